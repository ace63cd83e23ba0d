"""A logistics head reads why customers leave on the dashboard, in the web client."""

from odoo.tests import HttpCase, new_test_user, tagged

from .test_churn_drivers import generate_scores


@tagged("post_install", "-at_install")
class TestChurnDriversTour(HttpCase):
    def test_head_opens_a_driver_from_the_dashboard(self):
        company = self.env.company
        generate_scores(self.env, company, 160, seed=13)
        fit = self.env["crm.churn.driver.fit"].fit_company(company)
        late = fit.driver_ids.filtered(lambda d: d.covariate == "late_delivery")
        self.assertTrue(late.is_significant)
        logistics = self.env["hr.department"].create(
            {"name": "Tour Drivers Logistics", "company_id": company.id}
        )
        head = new_test_user(
            self.env,
            login="drivers_head",
            groups="crm_relationship.group_department_head",
        )
        self.env["hr.employee"].create(
            {"name": "Head", "user_id": head.id, "department_id": logistics.id}
        )
        self.start_tour(
            "/web", "crm_analytics_churn_drivers_tour", login="drivers_head"
        )
