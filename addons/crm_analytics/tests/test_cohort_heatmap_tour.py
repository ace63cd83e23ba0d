"""A relationship user reads the cohort heat map and opens a cohort."""

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCohortHeatmapTour(HttpCase):
    def test_user_opens_a_cohort_from_the_heat_map(self):
        new_test_user(
            self.env,
            login="heatmap_user",
            groups=(
                "sales_team.group_sale_salesman,"
                "crm_relationship.group_relationship_user"
            ),
        )
        first = self.env.company._crm_today().replace(day=1) - relativedelta(months=3)
        Partner = self.env["res.partner"]
        alpha, beta, gamma = Partner.create(
            [{"name": f"Heat {name}"} for name in ("Alpha", "Beta", "Gamma")]
        )
        # the oldest cohort (Alpha, Beta): both buy in its month, Alpha the next
        for partner, months in ((alpha, 0), (beta, 0), (alpha, 1), (gamma, 1)):
            invoice = self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": first + relativedelta(months=months, day=10),
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Goods", "price_unit": 100.0, "tax_ids": []}
                        )
                    ],
                }
            )
            invoice.action_post()
        self.env["crm.cohort.report"]._refresh()
        self.start_tour(
            "/web", "crm_analytics_cohort_heatmap_tour", login="heatmap_user"
        )
