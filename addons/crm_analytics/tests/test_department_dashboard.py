"""The department dashboard's scorecard block: the department's lines only, target
against actual, the alert state, and each figure opening its records."""

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.crm_relationship.tests.common import HEAD, USER

from .common import ScorecardCase


@tagged("post_install", "-at_install")
class TestDepartmentDashboardScorecard(ScorecardCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.head = cls._person("dash.sc.head", HEAD, cls.sales)
        cls.user = cls._person("dash.sc.user", USER, cls.sales)
        cls.kpi = cls._kpi("Dashboard leads")
        cls._lead(fields.Date.today(), 10, cls.head)
        cls.card = cls._card(
            cls.kpi, 4, owner_type="department", department_id=cls.sales.id
        )
        cls.other_card = cls._card(
            cls.kpi, 4, owner_type="department", department_id=cls.logistics.id
        )
        today = fields.Date.today()
        cls.env["crm.scorecard.alert"].create(
            {
                "line_id": cls.card.line_ids.id,
                "scorecard_id": cls.card.id,
                "company_id": cls.env.company.id,
                "date_from": today.replace(day=1),
                "date_to": today.replace(day=28),
                "value": 1,
                "threshold": 2,
            }
        )

    def _blocks(self, user):
        data = self.env["hr.department"].with_user(user).get_crm_dashboard()
        return {block["key"]: block for block in data["blocks"]}

    def _open(self, user, kpi):
        action = self.sales.with_user(user).action_crm_dashboard_open(
            kpi["open"]["figure"], kpi["open"]["params"]
        )
        return self.env[action["res_model"]].with_user(user).search(action["domain"])

    def test_head_reads_the_department_lines(self):
        block = self._blocks(self.head)["scorecard"]
        line = self.card.line_ids.with_user(self.head)
        (row,) = block["table"]["rows"]
        self.assertEqual(row["cells"][0], "Dashboard leads")
        self.assertEqual(row["cells"][1], line._format(line.period_target))
        self.assertEqual(row["cells"][2], line.value_display)
        self.assertEqual(
            row["open"], {"res_model": "crm.scorecard", "res_id": self.card.id}
        )
        kpis = {kpi["label"]: kpi for kpi in block["kpis"]}
        self.assertEqual(kpis["On target"]["value"], int(line.light == "green"))
        self.assertEqual(kpis["In alert"]["value"], int(line.light == "red"))
        self.assertEqual(self._open(self.head, kpis["On target"]), self.card)
        self.assertEqual(kpis["Alerts sent this period"]["value"], 1)
        self.assertEqual(
            self._open(self.head, kpis["Alerts sent this period"]), self.card.alert_ids
        )
        # no churn drivers model in use: no block for it
        self.assertNotIn("churn_drivers", self._blocks(self.head))

    def test_plain_user_has_no_dashboard(self):
        with self.assertRaises(AccessError):
            self._blocks(self.user)
        with self.assertRaises(AccessError):
            self.sales.with_user(self.user).action_crm_dashboard_open("scorecard")

    def test_archived_scorecard_left_out(self):
        """An archived scorecard of the department is neither counted nor listed:
        its click (the scorecards list) would not show it."""
        old = self._card(
            self.kpi, 1, owner_type="department", department_id=self.sales.id
        )
        today = fields.Date.today()
        self.env["crm.scorecard.alert"].create(
            {
                "line_id": old.line_ids.id,
                "scorecard_id": old.id,
                "company_id": self.env.company.id,
                "date_from": today.replace(day=1),
                "date_to": today.replace(day=28),
                "value": 1,
                "threshold": 2,
            }
        )
        old.action_archive()
        block = self._blocks(self.head)["scorecard"]
        self.assertEqual(
            [row["open"]["res_id"] for row in block["table"]["rows"]], self.card.ids
        )
        kpis = {kpi["label"]: kpi for kpi in block["kpis"]}
        lights = sum(
            kpis[label]["value"] for label in ("On target", "Behind", "In alert")
        )
        self.assertLessEqual(lights, 1)
        self.assertEqual(self._open(self.head, kpis["On target"]), self.card)
        alerts = kpis["Alerts sent this period"]
        self.assertEqual(alerts["value"], 1)
        self.assertEqual(self._open(self.head, alerts), self.card.alert_ids)
