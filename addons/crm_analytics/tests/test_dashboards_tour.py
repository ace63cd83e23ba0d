"""The two dashboards open in the Dashboards app and every chart shows data."""

from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.crm_relationship.tools.demo_generator import DemoDataGenerator


@tagged("post_install", "-at_install")
class TestDashboardsTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        # the demo's history at a smaller size: every month end of the last year
        # scored, customers who leave, come back and change tier (as the demo)
        generator = DemoDataGenerator(env, seed=71)
        generator.generate(customers=36, months=18)
        generator.score_history(months=12)
        generator.generate_voice()
        env["crm.lead"]._cron_open_winbacks()
        env["crm.scorecard"]._demo_create_scorecards()
        env["crm.churn.report"]._refresh()
        env["crm.cohort.report"]._refresh()

    def test_dashboards_show_their_charts(self):
        # what the charts need, so that a failure of the data says so
        at_risk = self.env["crm.relationship.score"].search_count(
            [("churn_state", "=", "at_risk"), ("clv_historical", ">", 0)]
        )
        self.assertTrue(at_risk, "the generated company has customers at risk")
        new_test_user(
            self.env,
            login="tour_dashboards",
            groups="crm_relationship.group_relationship_manager",
        )
        self.start_tour(
            "/web", "crm_analytics_dashboards_tour", login="tour_dashboards"
        )
