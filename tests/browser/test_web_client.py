"""What a person does in the real web client, in headless Chromium."""

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
