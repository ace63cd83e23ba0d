from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.crm_relationship.tests.common import MANAGER

from .common import MARCH, ScorecardCase


@tagged("post_install", "-at_install")
class TestKpiInEveryCompany(ScorecardCase):
    """The KPI catalogue is shared (no company on a KPI): a company created after
    installation measures itself with it, its own figures only."""

    def test_company_created_later_uses_the_shipped_kpis(self):
        company_b = self.env["res.company"].create({"name": "Later Co (KPI)"})
        sales_b = self.env["hr.department"].create(
            {"name": "Sales B", "company_id": company_b.id}
        )
        manager_b = self._person(
            "kpi_mc_manager",
            f"{MANAGER},sales_team.group_sale_salesman_all_leads",
            sales_b,
            company_b,
        )
        won = self.env.ref("crm_analytics.kpi_won_opportunities")
        self.assertIn(won, self.env["crm.kpi"].with_user(manager_b).search([]))
        for company, count in ((self.company, 1), (company_b, 2)):
            for _index in range(count):
                lead = self._lead(MARCH[0], 100, company_id=company.id, team_id=False)
                lead.action_set_won()
                lead.date_closed = datetime(2026, 3, 10, 12, 0)
        card = (
            self.env["crm.scorecard"]
            .with_user(manager_b)
            .create(
                {
                    "name": "Later Co",
                    "line_ids": [Command.create({"kpi_id": won.id, "target": 5})],
                }
            )
        )
        self.assertEqual(card.company_id, company_b)
        self.assertEqual(card.compute(*MARCH), {card.line_ids.id: 2})

    def test_history_of_companies_in_far_apart_time_zones(self):
        """At 00:30 UTC on 1 July it is already 14:30 on 1 July in Kiritimati
        (UTC+14) and still 14:30 on 30 June in Honolulu (UTC-10). Recording the
        history of both companies' scorecards at once, each gets its own last
        complete month: June for Kiritimati, May for Honolulu."""
        kiritimati = self.env["res.company"].create({"name": "Kiritimati (KPI)"})
        kiritimati.partner_id.tz = "Pacific/Kiritimati"
        self.company.partner_id.tz = "Pacific/Honolulu"
        revenue = self._kpi("Revenue (zones)", "sum")
        cards = self.env["crm.scorecard"].create(
            [
                {
                    "name": company.name,
                    "company_id": company.id,
                    "period": "month",
                    "line_ids": [Command.create({"kpi_id": revenue.id, "target": 1})],
                }
                for company in (kiritimati, self.company)
            ]
        )
        with freeze_time("2026-07-01 00:30:00"):
            values = cards._snapshot(periods_back=1)
        self.assertEqual(
            {value.scorecard_id.company_id: value.date_from for value in values},
            {kiritimati: date(2026, 6, 1), self.company: date(2026, 5, 1)},
        )
