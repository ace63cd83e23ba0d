from odoo.exceptions import UserError
from odoo.tests import tagged

from .test_cohorts import CohortCommon


@tagged("post_install", "-at_install")
class TestCohortHeatmap(CohortCommon):
    """The heat map reads the stored cohort report (see CohortCommon's table)."""

    def _row(self, data, cohort):
        month = str(self._month(cohort))
        (row,) = [row for row in data["cohorts"] if row["month"] == month]
        return row

    def test_matrix(self):
        data = (
            self.env["crm.cohort.report"].with_company(self.company).get_heatmap_data()
        )
        # newest cohort first; 23 months since M0 up to this month
        self.assertEqual(
            [row["month"] for row in data["cohorts"]],
            [str(self._month(1)), str(self._month(0))],
        )
        self.assertEqual(data["columns"], list(range(23)))
        first = self._row(data, 0)
        self.assertEqual(first["size"], 2)
        self.assertEqual(
            [(c["active"], c["rate"]) for c in first["cells"][:5]],
            [(2, 100.0), (1, 50.0), (1, 50.0), (1, 50.0), (0, 0.0)],
        )
        second = self._row(data, 1)
        self.assertEqual(second["size"], 1)
        # the second cohort has one month less: its last column is empty
        self.assertEqual(
            second["cells"][-1], {"months_since": 22, "active": None, "rate": None}
        )
        self.assertEqual(second["cells"][0]["rate"], 100.0)

    def test_companies_pool(self):
        Report = self.env["crm.cohort.report"].with_context(
            allowed_company_ids=[self.company.id, self.company_2.id]
        )
        first = self._row(Report.get_heatmap_data(), 0)
        # Delta joins the first cohort in company 2 and never buys again
        self.assertEqual(first["size"], 3)
        self.assertEqual([c["rate"] for c in first["cells"][:3]], [100.0, 33.3, 33.3])

    def test_user_reads_own_company_only(self):
        data = self.env["crm.cohort.report"].with_user(self.user).get_heatmap_data()
        # Delta (company 2) would make the first cohort three customers
        self.assertEqual(self._row(data, 0)["size"], 2)

    def test_cell_opens_its_customers(self):
        Report = self.env["crm.cohort.report"].with_user(self.user)
        cohort = str(self._month(0))
        action = Report.action_open_cohort_customers(cohort, 0)
        self.assertEqual(action["res_model"], "res.partner")
        customers = self.env["res.partner"].search(action["domain"])
        self.assertEqual(customers, self.alpha | self.beta)
        self.assertEqual(
            self.env["res.partner"].search(
                Report.action_open_cohort_customers(cohort, 2)["domain"]
            ),
            self.beta,
        )
        self.assertFalse(
            self.env["res.partner"].search(
                Report.action_open_cohort_customers(cohort, 4)["domain"]
            )
        )

    def test_forged_cell_is_refused(self):
        """The cell's click is an RPC: what no cell of the heat map sends is
        refused in words, not with a server error."""
        Report = self.env["crm.cohort.report"].with_user(self.user)
        cohort = str(self._month(0))
        for month, months_since in (
            (None, 0),
            ("garbage", 0),
            (12345, 0),
            (str(self._month(0).replace(day=15)), 0),
            (cohort, None),
            (cohort, "x"),
            (cohort, -3),
            (cohort, 10**9),
        ):
            with (
                self.subTest(month=month, months_since=months_since),
                self.assertRaises(UserError),
            ):
                Report.action_open_cohort_customers(month, months_since)
        # what the heat map sends still opens its customers (a string as JSON
        # may carry an integer)
        self.assertEqual(
            self.env["res.partner"].search(
                Report.action_open_cohort_customers(cohort, "2")["domain"]
            ),
            self.beta,
        )
