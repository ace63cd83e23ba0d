"""The two dashboards open in the Dashboards app and every chart shows data."""

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.crm_relationship.tools.demo_generator import DemoDataGenerator


@tagged("post_install", "-at_install")
class TestDashboardsTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        generator = DemoDataGenerator(env, seed=11)
        generator.generate(customers=20, months=12)
        Score = env["crm.relationship.score"]
        today = fields.Date.context_today(Score)
        # two back-dated month ends, then today: history, trends and tier moves
        for back in (2, 1):
            month_end = today.replace(day=1) - relativedelta(months=back - 1, days=1)
            Score.recompute(date_ref=month_end)
        Score.recompute()
        generator.generate_voice()
        env["crm.lead"]._cron_open_winbacks()
        env["crm.scorecard"]._demo_create_scorecards()
        env["crm.churn.report"]._refresh()
        env["crm.cohort.report"]._refresh()

    def test_dashboards_show_their_charts(self):
        new_test_user(
            self.env,
            login="tour_dashboards",
            groups="crm_relationship.group_relationship_manager",
        )
        self.start_tour(
            "/web", "crm_analytics_dashboards_tour", login="tour_dashboards"
        )
