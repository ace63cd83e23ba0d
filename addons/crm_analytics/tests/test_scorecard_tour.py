"""Scorecards in the web client: a manager builds one, a head reads their own."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestScorecardTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kpi = cls.env["crm.kpi"].create(
            {
                "name": "Tour Opportunities",
                "perspective": "process",
                "measure": "count",
                "model_id": cls.env["ir.model"]._get("crm.lead").id,
                "domain": "[('name', 'like', 'Tour lead')]",
                "date_field_id": cls.env["ir.model.fields"]
                ._get("crm.lead", "date_deadline")
                .id,
                "company_field_id": cls.env["ir.model.fields"]
                ._get("crm.lead", "company_id")
                .id,
                "user_field_id": cls.env["ir.model.fields"]
                ._get("crm.lead", "user_id")
                .id,
            }
        )
        today = fields.Date.context_today(cls.env.user)
        first = today.replace(day=1)
        # three this month, one last month
        for deadline in (first, first, first, first - timedelta(days=1)):
            cls.env["crm.lead"].create(
                {"name": "Tour lead", "type": "opportunity", "date_deadline": deadline}
            )

    def test_manager_builds_a_scorecard(self):
        new_test_user(
            self.env,
            login="tour_scorecard",
            groups="crm_relationship.group_relationship_manager,"
            "sales_team.group_sale_salesman_all_leads",
        )
        self.start_tour("/web", "crm_analytics_scorecard_tour", login="tour_scorecard")
        card = self.env["crm.scorecard"].search([("name", "=", "Tour Team Scorecard")])
        self.assertEqual(card.owner_type, "company")
        self.assertEqual(card.line_ids.target, 4)
        self.assertEqual(card.line_ids.light, "red")

    def test_head_reads_the_department_scorecard(self):
        departments = self.env["hr.department"].create(
            [{"name": "Tour Sales"}, {"name": "Tour Other"}]
        )
        head = new_test_user(
            self.env,
            login="tour_head",
            groups="crm_relationship.group_department_head,"
            "sales_team.group_sale_salesman_all_leads",
        )
        self.env["hr.employee"].create(
            {
                "name": "Tour head",
                "user_id": head.id,
                "department_id": departments[0].id,
            }
        )
        for name, department in zip(
            ("Tour Department Scorecard", "Tour Other Department"),
            departments,
            strict=True,
        ):
            self.env["crm.scorecard"].create(
                {
                    "name": name,
                    "owner_type": "department",
                    "department_id": department.id,
                    "line_ids": [Command.create({"kpi_id": self.kpi.id, "target": 1})],
                }
            )
        self.start_tour("/web", "crm_analytics_head_scorecard_tour", login="tour_head")

    def test_manager_defines_a_kpi(self):
        new_test_user(
            self.env,
            login="tour_kpi",
            groups="crm_relationship.group_relationship_manager",
        )
        self.start_tour("/web", "crm_analytics_kpi_tour", login="tour_kpi")
        kpi = self.env["crm.kpi"].search([("name", "=", "Tour Meetings")])
        self.assertEqual(kpi.model_id.model, "crm.lead")
        self.assertEqual(kpi.measure, "count")
        self.assertEqual(kpi.user_field_id.name, "user_id")
        self.assertEqual(kpi.date_field_id.name, "create_date")
        self.assertEqual(kpi.company_field_id.name, "company_id")


@tagged("post_install", "-at_install")
class TestClvTour(HttpCase):
    def test_manager_reads_a_fit_its_grade_and_the_drivers(self):
        new_test_user(
            self.env,
            login="tour_clv",
            groups="crm_relationship.group_relationship_manager",
        )
        self.env["crm.clv.fit"].create(
            {
                "calibration_date": fields.Date.today(),
                "state": "done",
                "r": 0.243,
                "alpha": 4.414,
                "a": 0.793,
                "b": 2.426,
                "model": "bgnbd",
                "grade": "B",
                "spend_model": "gamma_gamma",
                "p": 6.25,
                "q": 3.74,
                "gamma": 15.44,
                "holdout_line_ids": [
                    Command.create(
                        {
                            "frequency": f,
                            "customers": 10,
                            "actual": f / 2,
                            "predicted": f / 2.1,
                        }
                    )
                    for f in range(8)
                ],
            }
        )
        self.env["crm.churn.driver.fit"].create(
            {
                "state": "done",
                "subject_count": 400,
                "event_count": 60,
                "driver_ids": [
                    Command.create(
                        {
                            "covariate": "late_delivery",
                            "crm_function": "logistics",
                            "hazard_ratio": 1.8,
                            "ci_low": 1.3,
                            "ci_high": 2.5,
                            "p_value": 0.001,
                            "ph_p_value": 0.4,
                        }
                    )
                ],
            }
        )
        self.start_tour("/web", "crm_analytics_clv_tour", login="tour_clv")
