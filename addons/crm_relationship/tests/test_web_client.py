"""What a person does in the real web client, in headless Chromium."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestWebClient(HttpCase):
    def test_relationship_user_opens_customers_from_crm(self):
        new_test_user(
            self.env,
            login="tour_rel_user",
            groups="sales_team.group_sale_salesman,crm_relationship.group_relationship_user",
        )
        customer = self.env["res.partner"].create(
            {"name": "Tour Customer Ltd", "is_company": True}
        )
        customer._increase_rank("customer_rank")
        self.start_tour(
            "/web", "crm_relationship_customers_tour", login="tour_rel_user"
        )

    def test_manager_reads_a_score_and_recomputes(self):
        new_test_user(
            self.env,
            login="tour_rel_manager",
            groups=(
                "sales_team.group_sale_salesman,"
                "crm_relationship.group_relationship_manager"
            ),
        )
        customer = self.env["res.partner"].create(
            {"name": "Tour Scored Ltd", "is_company": True}
        )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": fields.Date.today() - timedelta(days=3),
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Service", "price_unit": 500, "tax_ids": []}
                    )
                ],
            }
        )
        invoice.action_post()
        self.env["crm.relationship.score"].recompute(partner_ids=customer.ids)
        self.start_tour(
            "/web", "crm_relationship_scores_tour", login="tour_rel_manager"
        )
