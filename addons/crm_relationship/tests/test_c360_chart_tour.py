"""A relationship user opens a customer's 360 and sees its chart."""

from datetime import timedelta

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestC360ChartTour(HttpCase):
    def test_user_sees_the_360_chart(self):
        new_test_user(
            self.env,
            login="c360_chart_user",
            groups=(
                "sales_team.group_sale_salesman,"
                "crm_relationship.group_relationship_user"
            ),
        )
        company = self.env.company
        customer = self.env["res.partner"].create(
            {"name": "Chart Customer Ltd", "is_company": True}
        )
        today = company._crm_today()
        for months, amount in ((1, 800.0), (4, 1200.0)):
            invoice = self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_date": today - timedelta(days=30 * months),
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Goods", "price_unit": amount, "tax_ids": []}
                        )
                    ],
                }
            )
            invoice.action_post()
        self.env["crm.relationship.score"].recompute(partner_ids=customer.ids)
        program = self.env["loyalty.program"].create(
            {
                "name": "Chart Rewards",
                "program_type": "loyalty",
                "company_id": company.id,
                "tier_ids": [
                    Command.create({"name": "Silver", "threshold": 0}),
                    Command.create({"name": "Gold", "threshold": 500}),
                ],
            }
        )
        self.env["loyalty.card"].create(
            {"program_id": program.id, "partner_id": customer.id, "points": 100}
        )
        self.start_tour(
            f"/web#id={customer.id}&model=res.partner&view_type=form",
            "crm_relationship_c360_chart_tour",
            login="c360_chart_user",
        )
