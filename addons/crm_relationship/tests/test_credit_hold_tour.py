"""A credit hold end to end in the web client (issue 15).

A salesperson meets the hold on confirming a quotation and asks Finance in a
hand-off; the finance head releases the order from the hand-off with a reason; the
salesperson confirms the order.
"""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

RELATIONSHIP_USER = (
    "base.group_user,sales_team.group_sale_salesman,"
    "crm_relationship.group_relationship_user"
)
HEAD = "base.group_user,crm_relationship.group_department_head"


@tagged("post_install", "-at_install")
class TestCreditHoldTour(HttpCase):
    def setUp(self):
        super().setUp()
        company = self.env.company
        Department = self.env["hr.department"]
        sales = Department.create({"name": "Tour Sales", "crm_function": "sales"})
        self.finance = Department.create(
            {"name": "Tour Finance", "crm_function": "finance"}
        )
        self.seller = new_test_user(
            self.env, login="tour_hold_seller", groups=RELATIONSHIP_USER
        )
        self.head = new_test_user(self.env, login="tour_hold_head", groups=HEAD)
        self.env["hr.employee"].create(
            [
                {
                    "name": "Seller",
                    "user_id": self.seller.id,
                    "department_id": sales.id,
                },
                {
                    "name": "Head",
                    "user_id": self.head.id,
                    "department_id": self.finance.id,
                },
            ]
        )
        customer = self.env["res.partner"].create(
            {"name": "Held Customer Ltd", "is_company": True}
        )
        self.env["crm.tier.policy"].create(
            {"tier": "F", "credit_hold": True, "credit_hold_days": 30}
        )
        # sudo: score rows are written by the recompute only; the test sets the tier
        self.env["crm.relationship.score"].sudo().create(
            {"partner_id": customer.id, "company_id": company.id, "tier": "F"}
        )
        # an invoice due 45 days ago, unpaid
        due = fields.Date.today() - timedelta(days=45)
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": due - timedelta(days=30),
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Crates", "quantity": 1, "price_unit": 800.0,
                         "tax_ids": []}
                    )
                ],
            }
        )  # fmt: skip
        invoice.action_post()
        product = self.env["product.product"].create(
            {"name": "Tour Crate", "type": "consu", "list_price": 120.0}
        )
        self.order = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "user_id": self.seller.id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": 2})
                ],
            }
        )

    def test_hold_request_release_confirm(self):
        url = (
            "/web#action=sale.action_quotations_with_onboarding"
            f"&id={self.order.id}&view_type=form"
        )
        self.start_tour(
            url, "crm_relationship_credit_hold_request_tour", login=self.seller.login
        )
        handoff = self.env["crm.handoff"].search(
            [("document_ref", "=", f"sale.order,{self.order.id}")]
        )
        self.assertEqual(handoff.to_department_id, self.finance)
        self.assertEqual(handoff.requested_by_id, self.seller)
        self.assertEqual(self.order.state, "draft")
        self.start_tour(
            "/web", "crm_relationship_credit_hold_release_tour", login=self.head.login
        )
        self.assertEqual(handoff.state, "done")
        self.assertEqual(self.order.crm_hold_released_by_id, self.head)
        self.assertIn("remittance received", self.order.crm_hold_release_reason)
        self.start_tour(
            url, "crm_relationship_credit_hold_confirm_tour", login=self.seller.login
        )
        self.assertEqual(self.order.state, "sale")
