"""A department head works the next-best-action queue in the web client (issue 16):
the head of Customer service accepts an action for a detractor; the hand-off it
creates reaches Sales."""

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

USER = (
    "base.group_user,sales_team.group_sale_salesman,"
    "crm_relationship.group_relationship_user"
)
HEAD = "base.group_user,crm_relationship.group_department_head"


@tagged("post_install", "-at_install")
class TestNextActionTour(HttpCase):
    def setUp(self):
        super().setUp()
        Department = self.env["hr.department"]
        self.service = Department.create(
            {"name": "Tour Service", "crm_function": "service"}
        )
        self.sales = Department.create({"name": "Tour Sales", "crm_function": "sales"})
        self.head = new_test_user(self.env, login="tour_nba_head", groups=HEAD)
        self.seller = new_test_user(self.env, login="tour_nba_seller", groups=USER)
        employees = self.env["hr.employee"].create(
            [
                {
                    "name": "Tour Service Head",
                    "user_id": self.head.id,
                    "department_id": self.service.id,
                },
                {
                    "name": "Tour Seller",
                    "user_id": self.seller.id,
                    "department_id": self.sales.id,
                },
            ]
        )
        self.service.manager_id = employees[0]
        self.customer = self.env["res.partner"].create(
            {"name": "Detractor Tour Ltd", "is_company": True}
        )
        # the score row as the recompute and the NPS refresh leave it
        self.env["crm.relationship.score"].sudo().create(
            {
                "partner_id": self.customer.id,
                "company_id": self.env.company.id,
                "nps_score": 3,
                "nps_category": "detractor",
                "nps_date": fields.Date.today(),
            }
        )
        self.env["crm.next.action.rule"].search([]).active = False
        self.rule = self.env["crm.next.action.rule"].create(
            {
                "name": "Call back the detractor",
                "kind": "detractor",
                "control_share": 0,
                "outcome": "handoff",
                "handoff_department_id": self.sales.id,
            }
        )
        self.env["crm.next.action"]._cron_generate(self.env.company)

    def test_head_accepts_and_the_handoff_reaches_sales(self):
        action = self.env["crm.next.action"].search([("rule_id", "=", self.rule.id)])
        self.assertEqual(action.department_id, self.service)
        self.start_tour(
            "/web", "crm_relationship_next_action_queue_tour", login=self.head.login
        )
        self.assertEqual(action.state, "accepted")
        self.assertEqual(action.accepted_by_id, self.head)
        handoff = action.handoff_id
        self.assertRecordValues(
            handoff,
            [
                {
                    "partner_id": self.customer.id,
                    "from_department_id": self.service.id,
                    "to_department_id": self.sales.id,
                    "state": "requested",
                }
            ],
        )
        self.start_tour(
            "/web", "crm_relationship_next_action_receive_tour", login=self.seller.login
        )
