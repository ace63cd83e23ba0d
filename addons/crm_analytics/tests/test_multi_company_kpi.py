from datetime import datetime

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
