"""A hand-off between two departments, end to end in the web client (issue 4).

A sales user opens a customer, reads the 360 and asks logistics for a trace through a
hand-off; a logistics user accepts and completes it; the sales user sees the result.
"""

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

RELATIONSHIP_USER = (
    "base.group_user,sales_team.group_sale_salesman,"
    "crm_relationship.group_relationship_user"
)
SUBJECT = "Trace the late delivery"
OUTCOME = "The pallet left the dock on Monday; the carrier delivers on Thursday."


@tagged("post_install", "-at_install")
class TestHandoffTour(HttpCase):
    def setUp(self):
        super().setUp()
        Department = self.env["hr.department"]
        self.sales = Department.create({"name": "Tour Sales"})
        self.logistics = Department.create({"name": "Tour Logistics"})
        self.seller = new_test_user(
            self.env, login="tour_handoff_seller", groups=RELATIONSHIP_USER
        )
        self.seller.name = "Tour Seller"
        self.planner = new_test_user(
            self.env, login="tour_handoff_planner", groups=RELATIONSHIP_USER
        )
        self.planner.name = "Tour Planner"
        self.env["hr.employee"].create(
            [
                {
                    "name": "Tour Seller",
                    "user_id": self.seller.id,
                    "department_id": self.sales.id,
                },
                {
                    "name": "Tour Planner",
                    "user_id": self.planner.id,
                    "department_id": self.logistics.id,
                },
            ]
        )
        self.customer = self.env["res.partner"].create(
            {"name": "Handoff Customer Ltd", "is_company": True}
        )
        self.customer._increase_rank("customer_rank")
        product = self.env["product.product"].create(
            {"name": "Tour Pallet", "type": "consu", "list_price": 1250.0}
        )
        # one open quotation: the figure the seller reads on the 360
        self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": 1,
                            "price_unit": 1250.0,
                            "tax_id": [Command.clear()],
                        }
                    )
                ],
            }
        )

    def test_sales_asks_logistics_and_reads_the_outcome(self):
        self.start_tour(
            "/web", "crm_relationship_handoff_request_tour", login=self.seller.login
        )
        handoff = self.env["crm.handoff"].search([("name", "=", SUBJECT)])
        self.assertEqual(len(handoff), 1, "the seller's dialog created the hand-off")
        self.assertRecordValues(
            handoff,
            [
                {
                    "state": "requested",
                    "partner_id": self.customer.id,
                    "from_department_id": self.sales.id,
                    "to_department_id": self.logistics.id,
                    "requested_by_id": self.seller.id,
                    "user_id": False,
                }
            ],
        )

        self.start_tour(
            "/web", "crm_relationship_handoff_handle_tour", login=self.planner.login
        )
        self.start_tour(
            "/web", "crm_relationship_handoff_result_tour", login=self.seller.login
        )

        self.env.invalidate_all()
        self.assertEqual(handoff.state, "done")
        self.assertEqual(handoff.user_id, self.planner)
        self.assertTrue(handoff.date_accepted)
        self.assertTrue(handoff.date_closed)
        self.assertIn(OUTCOME, handoff.result)
        # the requester is notified of the outcome, on the hand-off
        notified = handoff.message_ids.filtered(
            lambda m: self.seller.partner_id in m.partner_ids
        )
        self.assertTrue(notified, "the requester got a notification")
        self.assertIn("completed the hand-off", notified[0].body)
        self.assertIn(OUTCOME, notified[0].body)
        # the planner's to-do is done
        self.assertFalse(handoff.activity_ids)
        # and the customer's chatter keeps the story
        bodies = self.customer.message_ids.mapped("body")
        self.assertTrue(
            any(SUBJECT in body and "Hand-off requested" in body for body in bodies),
            "the request is logged on the customer",
        )
        self.assertTrue(
            any("completed the hand-off" in body for body in bodies),
            "the outcome is logged on the customer",
        )
