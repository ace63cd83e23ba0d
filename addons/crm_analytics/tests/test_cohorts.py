import io

import openpyxl
from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.crm_analytics.controllers.main import XLSX_MIMETYPE
from odoo.addons.crm_relationship.tests.common import RelationshipScoringCommon

USER = "base.group_user,crm_relationship.group_relationship_user"


class CohortCommon(RelationshipScoringCommon):
    """Three customers of the company and one of another, invoiced in months
    counted from ``M0``, 22 months before the current one, so that every lapse of
    12 months has ended before today (the reports read PostgreSQL's date).

    ===========  =====================  ==================
    customer     months with invoices   first purchase
    ===========  =====================  ==================
    Alpha        M0 (twice), M1, M3     M0
    Beta         M0, M2                 M0
    Gamma        M1                     M1
    Delta        M0, in company 2       (another company)
    ===========  =====================  ==================

    Alpha also has a credit note in M4 and a draft invoice in M5: neither is a
    purchase. The reports are stored: refreshed once the invoices are posted.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company()["company"]
        this_month = fields.Date.context_today(cls.env["res.partner"]).replace(day=1)
        cls.this_month = this_month
        cls.m0 = this_month - relativedelta(months=22)
        Partner = cls.env["res.partner"]
        cls.alpha = Partner.create({"name": "Alpha"})
        cls.beta = Partner.create({"name": "Beta"})
        cls.gamma = Partner.create({"name": "Gamma"})
        cls.delta = Partner.create({"name": "Delta"})
        cls._invoice(cls.alpha, cls._day(0, 10), 100.0)
        cls._invoice(cls.alpha, cls._day(0, 20), 50.0)
        cls._invoice(cls.alpha, cls._day(1, 5), 200.0)
        cls._invoice(cls.alpha, cls._day(3, 1), 10.0)
        cls._invoice(cls.alpha, cls._day(4, 2), 30.0, move_type="out_refund")
        cls._invoice(cls.alpha, cls._day(5, 2), 500.0, state="draft")
        cls._invoice(cls.beta, cls._day(0, 15), 300.0)
        cls._invoice(cls.beta, cls._day(2, 3), 40.0)
        cls._invoice(cls.gamma, cls._day(1, 10), 70.0)
        cls._invoice(cls.delta, cls._day(0, 5), 999.0, company=cls.company_2)
        for model in ("crm.cohort.report", "crm.churn.report"):
            cls.env[model]._refresh()
        cls.user = new_test_user(
            cls.env,
            login="cohort_user",
            groups=USER,
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )

    @classmethod
    def _day(cls, month, day):
        return cls.m0 + relativedelta(months=month, day=day)

    def _month(self, month):
        return self.m0 + relativedelta(months=month)

    def _cohorts(self, env=None, company=None):
        env = env or self.env
        env.flush_all()
        rows = env["crm.cohort.report"].search_read(
            [("company_id", "=", (company or self.company).id)],
            [
                "cohort_month",
                "months_since",
                "month",
                "cohort_size",
                "active_customers",
                "retention_rate",
                "revenue",
            ],
        )
        return {(row["cohort_month"], row["months_since"]): row for row in rows}

    def _churn(self, env=None, company=None):
        env = env or self.env
        env.flush_all()
        rows = env["crm.churn.report"].search_read(
            [("company_id", "=", (company or self.company).id)],
            ["month", "active_start", "churned", "churn_rate", "new_customers"],
        )
        return {row["month"]: row for row in rows}


@tagged("post_install", "-at_install")
class TestCohortReport(CohortCommon):
    def assertCell(self, cells, cohort, months_since, size, active, rate, revenue):
        row = cells[(self._month(cohort), months_since)]
        self.assertEqual(
            (
                row["month"],
                row["cohort_size"],
                row["active_customers"],
                row["revenue"],
            ),
            (self._month(cohort + months_since), size, active, revenue),
            f"cohort M{cohort}, {months_since} months since",
        )
        self.assertAlmostEqual(row["retention_rate"], rate, places=4)

    def test_cohort_matrix(self):
        cells = self._cohorts()
        # first cohort (Alpha, Beta): both in M0, Alpha in M1 and M3, Beta in M2
        self.assertCell(cells, 0, 0, 2, 2, 100.0, 450.0)
        self.assertCell(cells, 0, 1, 2, 1, 50.0, 200.0)
        self.assertCell(cells, 0, 2, 2, 1, 50.0, 40.0)
        self.assertCell(cells, 0, 3, 2, 1, 50.0, 10.0)
        # a credit note and a draft invoice are no purchases
        self.assertCell(cells, 0, 4, 2, 0, 0.0, 0.0)
        self.assertCell(cells, 0, 5, 2, 0, 0.0, 0.0)
        # second cohort (Gamma)
        self.assertCell(cells, 1, 0, 1, 1, 100.0, 70.0)
        self.assertCell(cells, 1, 1, 1, 0, 0.0, 0.0)
        # no cohort without first purchases, and whole months up to this one
        self.assertEqual({cohort for cohort, _m in cells}, {self.m0, self._month(1)})
        self.assertEqual(len(cells), 23 + 22)
        self.assertEqual(max(row["month"] for row in cells.values()), self.this_month)

    def test_cohort_matrix_read_group(self):
        """The pivot's aggregates: the size of a cohort over its months is its
        size, and the mean of the rates of one cell is that cell's rate."""
        self.env.flush_all()
        groups = self.env["crm.cohort.report"]._read_group(
            [("company_id", "=", self.company.id), ("months_since", "<", 2)],
            ["cohort_month:month", "months_since"],
            ["cohort_size:max", "active_customers:sum", "retention_rate:avg"],
        )
        self.assertEqual(
            groups,
            [
                (self.m0, 0, 2, 2, 100.0),
                (self.m0, 1, 2, 1, 50.0),
                (self._month(1), 0, 1, 1, 100.0),
                (self._month(1), 1, 1, 0, 0.0),
            ],
        )

    def test_churn(self):
        churn = self._churn()
        expected = {
            # month: (active at start, churned, rate, new customers)
            0: (0, 0, False, 2),
            1: (2, 0, 0.0, 1),
            2: (3, 0, 0.0, 0),
            12: (3, 0, 0.0, 0),
            # Gamma's last purchase was in M1, 12 months before
            13: (3, 1, 100.0 / 3, 0),
            # Beta's in M2
            14: (2, 1, 50.0, 0),
            # Alpha's in M3
            15: (1, 1, 100.0, 0),
            16: (0, 0, False, 0),
        }
        for month, (active, churned, rate, new) in expected.items():
            row = churn[self._month(month)]
            self.assertEqual(
                (row["active_start"], row["churned"], row["new_customers"]),
                (active, churned, new),
                f"M{month}",
            )
            if rate is False:
                self.assertFalse(row["churn_rate"], f"M{month}")
            else:
                self.assertAlmostEqual(row["churn_rate"], rate, places=4)
        # from the first invoiced month to the last whole one
        self.assertEqual(min(churn), self.m0)
        self.assertEqual(max(churn), self.this_month - relativedelta(months=1))
        self.assertEqual(len(churn), 22)
        self.assertEqual(sum(row["churned"] for row in churn.values()), 3)

    def test_other_company(self):
        """Delta's invoice makes a cohort of the other company only, which the
        company rule hides from a user of the first company."""
        cells = self._cohorts(company=self.company_2)
        row = cells[(self.m0, 0)]
        self.assertEqual((row["cohort_size"], row["revenue"]), (1, 999.0))
        self.assertEqual(
            self._churn(company=self.company_2)[self.m0]["new_customers"], 1
        )

        env = self.env(user=self.user)
        for model in ("crm.cohort.report", "crm.churn.report"):
            env.flush_all()
            companies = env[model].search([]).company_id
            self.assertEqual(companies, self.company, model)
        self.assertEqual(self._cohorts(env), self._cohorts())

    def test_export_data_without_http(self):
        """The cohort workbook's figures, built on the model for the companies
        the user works in: the two cohorts of the user's company, sizes 2 and 1,
        and the first one's actives month by month."""
        data = self.env["crm.cohort.report"].with_user(self.user)._export_data()
        self.assertEqual([size for _month, size, _cells in data["cohorts"]], [2, 1])
        first = data["cohorts"][0][2]
        self.assertEqual([first[n][0] for n in range(4)], [2, 1, 1, 1])
        self.assertTrue(data["churn"])

    def test_segment_mailing_of_a_cohort(self):
        """The first cohort's button opens the segment mailing with its customers,
        Alpha and Beta, neither without an address: two excluded."""
        marketer = new_test_user(
            self.env,
            login="cohort_marketer",
            groups=USER + ",mass_mailing.group_mass_mailing_user",
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        self.env.flush_all()
        row = (
            self.env["crm.cohort.report"]
            .with_user(marketer)
            .search([("cohort_month", "=", self.m0), ("months_since", "=", 0)])
        )
        action = row.action_segment_mailing()
        Wizard = self.env[action["res_model"]].with_user(marketer)
        with Form(Wizard.with_context(**action["context"])) as form:
            form.subject = "Welcome back"
        wizard = form.record
        self.assertEqual(wizard.partner_ids, self.alpha + self.beta)
        self.assertEqual(wizard.company_id, self.company)
        self.assertTrue(wizard.segment.startswith("Cohort of "), wizard.segment)
        self.assertEqual((wizard.customer_count, wizard.excluded_count), (2, 2))

    def test_export_action(self):
        action = self.env["crm.cohort.report"].action_export_xlsx()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertTrue(action["url"].startswith("/crm_analytics/cohorts/xlsx?"))


@tagged("post_install", "-at_install")
class TestStoredReports(CohortCommon):
    """The reports' tables hold what their live query gives, per company, as of
    their last refresh."""

    MODELS = ("crm.cohort.report", "crm.churn.report")

    def _stored_and_live(self, model, company):
        Report = self.env[model]
        columns = Report._stored_report_columns()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM %s WHERE company_id = %s",
                SQL(", ").join(map(SQL.identifier, columns)),
                SQL.identifier(Report._table),
                company.id,
            )
        )
        stored = sorted(self.env.cr.fetchall(), key=repr)
        self.env.cr.execute(Report._stored_report_query(company))
        live = sorted(self.env.cr.fetchall(), key=repr)
        return stored, live

    def test_stored_equals_live(self):
        for model in self.MODELS:
            for company in self.company + self.company_2:
                stored, live = self._stored_and_live(model, company)
                self.assertTrue(stored, (model, company.name))
                self.assertEqual(stored, live, (model, company.name))
            refreshed = self.env[model].search([]).mapped("refreshed_at")
            self.assertTrue(refreshed and all(refreshed), model)

    def test_refresh_after_new_invoices(self):
        """A first purchase this month makes a new cohort and a new customer of
        this month only once refreshed, by the daily cron; the other company's
        rows stay as they were."""
        epsilon = self.env["res.partner"].create({"name": "Epsilon"})
        self._invoice(epsilon, self.this_month, 25.0)
        Cohort = self.env["crm.cohort.report"]
        other_before = Cohort.search([("company_id", "=", self.company_2.id)]).ids
        self.assertNotIn((self.this_month, 0), self._cohorts())
        stored, live = self._stored_and_live("crm.cohort.report", self.company)
        self.assertNotEqual(stored, live)

        for model in self.MODELS:
            self.env[model]._cron_refresh()
        cell = self._cohorts()[(self.this_month, 0)]
        self.assertEqual(
            (cell["cohort_size"], cell["active_customers"], cell["revenue"]),
            (1, 1, 25.0),
        )
        for model in self.MODELS:
            stored, live = self._stored_and_live(model, self.company)
            self.assertEqual(stored, live, model)
        # the churn of the current month is told once it ends: no row yet
        self.assertNotIn(self.this_month, self._churn())
        # rewritten: the other company's rows are new ones with the same figures
        other = Cohort.search([("company_id", "=", self.company_2.id)])
        self.assertTrue(other)
        self.assertFalse(set(other.ids) & set(other_before))

    def test_refresh_now_is_for_managers(self):
        """A manager refreshes the companies they work in; a user may read the
        report but not refresh it."""
        epsilon = self.env["res.partner"].create({"name": "Epsilon"})
        self._invoice(epsilon, self.this_month, 25.0)
        Cohort = self.env["crm.cohort.report"]
        with self.assertRaises(AccessError):
            Cohort.with_user(self.user).action_refresh()
        self.assertNotIn((self.this_month, 0), self._cohorts())

        manager = new_test_user(
            self.env,
            login="cohort_manager",
            groups="base.group_user,crm_relationship.group_relationship_manager",
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        other_before = Cohort.search([("company_id", "=", self.company_2.id)]).ids
        action = Cohort.with_user(manager).action_refresh()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn((self.this_month, 0), self._cohorts())
        # the manager works in the first company only: the other one untouched
        self.assertEqual(
            Cohort.search([("company_id", "=", self.company_2.id)]).ids, other_before
        )


@tagged("post_install", "-at_install")
class TestCohortXlsx(CohortCommon, HttpCase):
    def _download(self, url="/crm_analytics/cohorts/xlsx"):
        self.env.flush_all()
        self.authenticate(self.user.login, self.user.login)
        response = self.url_open(url, allow_redirects=False)
        self.assertEqual(response.status_code, 200, response.text[:500])
        self.assertEqual(response.headers["Content-Type"], XLSX_MIMETYPE)
        return openpyxl.load_workbook(io.BytesIO(response.content))

    def test_workbook(self):
        workbook = self._download()
        self.assertEqual(workbook.sheetnames, ["Cohorts", "Churn"])

        sheet = workbook["Cohorts"]
        self.assertEqual(sheet["A3"].value, "Cohort")
        self.assertEqual(sheet["B3"].value, "Customers")
        # months since across: 0 to 22 for the first cohort, up to this month
        self.assertEqual(
            [sheet.cell(3, 3 + n).value for n in range(23)], list(range(23))
        )
        self.assertIsNone(sheet.cell(3, 3 + 23).value)
        # only the user's company: Delta's cohort would add to the first one
        self.assertEqual(sheet["B4"].value, 2)
        self.assertEqual(sheet["B5"].value, 1)
        self.assertIsNone(sheet["A6"].value)
        first = [sheet.cell(4, 3 + n).value for n in range(6)]
        self.assertEqual(first, [1.0, 0.5, 0.5, 0.5, 0.0, 0.0])
        self.assertEqual(sheet.cell(4, 3 + 22).value, 0.0)
        second = [sheet.cell(5, 3 + n).value for n in range(3)]
        self.assertEqual(second, [1.0, 0.0, 0.0])
        # the second cohort ends a month earlier
        self.assertIsNone(sheet.cell(5, 3 + 22).value)
        self.assertEqual(sheet["C4"].number_format, "0.0%")
        rules = {
            str(cf.sqref): [rule.type for rule in cf.rules]
            for cf in sheet.conditional_formatting
        }
        self.assertEqual(rules, {"C4:Y5": ["colorScale"]})
        scale = sheet.conditional_formatting["C4:Y5"][0].colorScale
        self.assertEqual(len(scale.color), 3)

        sheet = workbook["Churn"]
        self.assertEqual(
            [cell.value for cell in sheet[1]],
            ["Month", "Active at start", "Churned", "Churn rate", "New customers"],
        )
        self.assertEqual(sheet.max_row, 1 + 22)
        rows = {
            sheet.cell(row, 1).value.date(): [
                sheet.cell(row, col).value for col in range(2, 6)
            ]
            for row in range(2, sheet.max_row + 1)
        }
        self.assertEqual(rows[self.m0], [0, 0, None, 2])
        self.assertEqual(rows[self._month(1)], [2, 0, 0.0, 1])
        self.assertEqual(rows[self._month(14)], [2, 1, 0.5, 0])
        self.assertEqual(rows[self._month(15)], [1, 1, 1.0, 0])
        self.assertEqual(rows[self._month(16)], [0, 0, None, 0])
        self.assertAlmostEqual(rows[self._month(13)][2], 1 / 3)
        self.assertEqual(sheet["D3"].number_format, "0.0%")

    def test_company_not_allowed(self):
        self.env.flush_all()
        self.authenticate(self.user.login, self.user.login)
        response = self.url_open(
            f"/crm_analytics/cohorts/xlsx?company_ids={self.company_2.id}",
            allow_redirects=False,
        )
        self.assertNotEqual(response.status_code, 200)
        response = self.url_open(
            "/crm_analytics/cohorts/xlsx?company_ids=x", allow_redirects=False
        )
        self.assertEqual(response.status_code, 400)
