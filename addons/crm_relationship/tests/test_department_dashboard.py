"""A department head works their queue from the dashboard, in the web client."""

from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestDepartmentDashboard(HttpCase):
    def test_head_dispatches_from_the_dashboard(self):
        Department = self.env["hr.department"]
        sales = Department.create({"name": "Tour Sales"})
        logistics = Department.create({"name": "Tour Logistics"})
        groups = "crm_relationship.group_relationship_user"
        seller = new_test_user(self.env, login="tour_seller", groups=groups)
        planner = new_test_user(self.env, login="tour_planner", groups=groups)
        planner.name = "Tour Planner"
        head = new_test_user(
            self.env,
            login="tour_head",
            groups="crm_relationship.group_department_head",
        )
        self.env["hr.employee"].create(
            [
                {"name": "Seller", "user_id": seller.id, "department_id": sales.id},
                {
                    "name": "Planner",
                    "user_id": planner.id,
                    "department_id": logistics.id,
                },
                {"name": "Head", "user_id": head.id, "department_id": logistics.id},
            ]
        )
        customer = self.env["res.partner"].create(
            {"name": "Dashboard Customer", "is_company": True}
        )
        self.env["crm.account.team.member"].create(
            {"partner_id": customer.id, "user_id": planner.id}
        )
        handoff = (
            self.env["crm.handoff"]
            .with_user(seller)
            .create(
                {
                    "name": "Pallet count for the dock",
                    "partner_id": customer.id,
                    "to_department_id": logistics.id,
                    "date_deadline": fields.Date.today() + timedelta(days=2),
                }
            )
        )
        self.start_tour("/web", "crm_relationship_dashboard_tour", login="tour_head")
        self.assertEqual(handoff.user_id, planner)
        # the activity follows the hand-off to its assignee
        self.assertEqual(handoff.activity_ids.user_id, planner)
