from datetime import date, timedelta

import numpy as np

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.crm_relationship.tests.common import DepartmentCase

from ..tools import survival

USER = "base.group_user,crm_relationship.group_relationship_user"
MANAGER = "base.group_user,crm_relationship.group_relationship_manager"
SCORED_ON = date(2026, 6, 30)


def generate_scores(env, company, n, seed, lost=None):
    """``n`` scored customers of ``company``: exponential times to churn at
    0.002 a day, 3x for the 40 % with a late delivery, observed over 200 to
    900 days; ``lost`` forces how many are lost (the first ones)."""
    rng = np.random.default_rng(seed)
    late = rng.random(n) < 0.4
    times = rng.exponential(1 / (0.002 * np.where(late, 3.0, 1.0)))
    ages = rng.integers(200, 900, n)
    churned = times < ages
    if lost is not None:
        churned = np.arange(n) < lost
    partners = env["res.partner"].create(
        [{"name": f"Drivers customer {i}", "is_company": True} for i in range(n)]
    )
    values = []
    for i, partner in enumerate(partners):
        first = SCORED_ON - timedelta(days=int(ages[i]))
        last = (
            first + timedelta(days=int(min(times[i], ages[i] - 1)))
            if churned[i]
            else SCORED_ON - timedelta(days=5)
        )
        values.append(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "date_ref": SCORED_ON,
                "window_days": 2000,
                "first_invoice_date": first,
                "last_invoice_date": last,
                "churn_state": "lost" if churned[i] else "active",
                "delivery_count": 2,
                "on_time_delivery_count": 1 if late[i] else 2,
                "late_invoice_count": 0,
                "tier": "C",
            }
        )
    env["crm.relationship.score"].create(values)
    return late, churned


@tagged("post_install", "-at_install")
class TestChurnDrivers(DepartmentCase):
    """Score rows of a generated company whose customers with late deliveries churn
    three times as fast; everyone pays on time (a constant trait)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Fit = cls.env["crm.churn.driver.fit"]
        cls.company = cls.env["res.company"].create({"name": "Drivers Co"})
        cls.other = cls.env["res.company"].create({"name": "Other Co"})
        cls._generate(cls.company, 160, seed=13)
        cls.manager = new_test_user(
            cls.env, login="drivers_manager", groups=MANAGER,
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )  # fmt: skip
        cls.user = new_test_user(
            cls.env, login="drivers_user", groups=USER,
            company_id=cls.company.id, company_ids=[(6, 0, cls.company.ids)],
        )  # fmt: skip
        cls.outsider = new_test_user(
            cls.env, login="drivers_outsider", groups=MANAGER,
            company_id=cls.other.id, company_ids=[(6, 0, cls.other.ids)],
        )  # fmt: skip

    @classmethod
    def _generate(cls, company, n, seed, lost=None):
        return generate_scores(cls.env, company, n, seed, lost)

    def _drivers(self, fit):
        return {driver.covariate: driver for driver in fit.driver_ids}

    def test_fit_finds_late_deliveries_and_names_logistics(self):
        fit = self.Fit.with_user(self.manager).fit_company(self.company)
        self.assertEqual(fit.state, "done", fit.failure_reason)
        self.assertTrue(fit.is_current)
        self.assertEqual(fit.subject_count, 160)
        table = fit._survival_table()
        self.assertEqual(fit.event_count, int(table["events"].sum()))
        self.assertGreaterEqual(fit.event_count, survival.MIN_EVENTS)
        # the stored figures are those of the maths module on the same table
        expected = survival.fit_cox(
            table["durations"],
            table["events"],
            table["covariates"],
            entries=table["entries"],
        )
        self.assertAlmostEqual(fit.concordance, expected.concordance, places=6)
        drivers = self._drivers(fit)
        # constant traits (pays late, tier...) are left out and said so
        self.assertEqual(set(drivers), {"late_delivery"})
        self.assertIn("Pays late", fit.dropped_note)
        late = drivers["late_delivery"]
        self.assertAlmostEqual(
            late.hazard_ratio, expected.covariates[0].hazard_ratio, places=4
        )
        self.assertEqual(late.crm_function, "logistics")
        self.assertLess(late.ci_low, 3.0)
        self.assertGreater(late.ci_high, 3.0)
        self.assertTrue(late.is_significant)
        self.assertEqual(
            late.sentence,
            "Customers with late deliveries churn %.1fx as fast: Logistics"
            % late.hazard_ratio,
        )
        self.assertIn("Fitted on 160 customers", fit.message_ids[0].body)

    def test_subjects_are_the_customers_the_window_saw(self):
        scores = self.env["crm.relationship.score"].search(
            [("company_id", "=", self.company.id)]
        )
        scores.write({"window_days": 365})
        window_start = SCORED_ON - timedelta(days=365)
        seen = scores.filtered(lambda s: s.last_invoice_date > window_start)
        self.assertLess(len(seen), len(scores))
        table = self.Fit.create({"company_id": self.company.id})._survival_table()
        self.assertEqual(len(table["events"]), len(seen))
        self.assertEqual(
            int(table["events"].sum()),
            len(seen.filtered(lambda s: s.churn_state == "lost")),
        )
        # a customer already buying before the window enters the risk set at its
        # start; one who came later, at its first purchase
        expected = sorted(
            max((window_start - s.first_invoice_date).days + 1, 0) for s in seen
        )
        self.assertTrue(any(expected))
        self.assertEqual(sorted(table["entries"].tolist()), expected)

    def test_department_dashboard_shows_its_own_drivers(self):
        fit = self.Fit.fit_company(self.company)
        logistics, finance = self.env["hr.department"].create(
            [
                {"name": "Logistics (drivers)", "company_id": self.company.id},
                {"name": "Finance (drivers)", "company_id": self.company.id},
            ]
        )
        self.assertEqual(logistics.crm_function, "logistics")
        late = self._drivers(fit)["late_delivery"]
        self.assertTrue(late.is_significant)
        # as the dashboard reads them: fresh (create leaves x2many caches empty)
        self.env.invalidate_all()
        self.assertEqual(logistics.crm_churn_driver_ids, late)
        html = str(logistics.crm_churn_driver_html)
        self.assertIn(
            "Customers with late deliveries churn %.1fx as fast" % late.hazard_ratio,
            html,
        )
        self.assertIn(
            "/web#action=crm_analytics.crm_churn_driver_action&amp;"
            "model=crm.churn.driver&amp;view_type=form&amp;id=%s" % late.id,
            html,
        )
        self.assertFalse(finance.crm_churn_driver_ids)
        self.assertFalse(finance.crm_churn_driver_html)
        # a department of another company sees its own company's model: none yet
        elsewhere = self.env["hr.department"].create(
            {"name": "Logistics elsewhere", "company_id": self.other.id}
        )
        self.assertFalse(elsewhere.crm_churn_driver_ids)
        action = fit.action_open_drivers()
        self.assertEqual(
            self.env["crm.churn.driver"].search(action["domain"]), fit.driver_ids
        )

    def test_too_few_events_fails_and_keeps_the_previous_fit(self):
        previous = self.Fit.fit_company(self.company)
        self.assertEqual(previous.state, "done")
        self.env["crm.relationship.score"].search(
            [("company_id", "=", self.company.id), ("churn_state", "=", "lost")]
        )[9:].write({"churn_state": "active"})
        fit = self.Fit.fit_company(self.company)
        self.assertEqual(fit.state, "failed")
        self.assertEqual(
            fit.failure_reason,
            "Only 9 of 160 scored customers are lost: the drivers need at least "
            "10 churned customers.",
        )
        self.assertFalse(fit.driver_ids)
        self.assertFalse(fit.is_current)
        self.assertTrue(previous.is_current)
        self.assertTrue(fit.previous_in_use)
        self.assertIn("The fit failed", fit.message_ids[0].body)
        self.assertEqual(self.Fit.search([("is_current", "=", True),
                                          ("company_id", "=", self.company.id)]),
                         previous)  # fmt: skip

    def test_access_per_group_and_company(self):
        fit = self.Fit.fit_company(self.company)
        # a user reads the drivers, cannot fit
        self.assertEqual(self.Fit.with_user(self.user).search([]), fit)
        self.assertTrue(fit.with_user(self.user).driver_ids.sentence)
        with self.assertRaises(AccessError):
            self.Fit.with_user(self.user).fit_company(self.company)
        with self.assertRaises(AccessError):
            fit.with_user(self.user).action_fit()
        # the manager's "Fit now" fits the current company
        action = self.Fit.with_user(self.manager).action_fit_now()
        self.assertEqual(self.Fit.browse(action["res_id"]).company_id, self.company)
        # another company's people see nothing of it
        self.assertFalse(self.Fit.with_user(self.outsider).search([]))
        self.assertFalse(
            self.env["crm.churn.driver"].with_user(self.outsider).search([])
        )
        with self.assertRaises(AccessError):
            fit.with_user(self.outsider).read(["concordance"])

    def test_cron_fits_every_company_with_scores(self):
        self.Fit._cron_refit()
        fits = self.Fit.search([("company_id", "in", (self.company | self.other).ids)])
        self.assertEqual(fits.company_id, self.company)
        self.assertEqual(fits.state, "done")
        # run again the same day (killed after its commit, before the cron was
        # rescheduled): no second fit
        self.Fit._cron_refit()
        self.assertEqual(
            self.Fit.search([("company_id", "in", (self.company | self.other).ids)]),
            fits,
        )

    def test_sentence_numbers_in_the_user_language(self):
        """The ratio in a driver's sentence is written as the user's language
        writes numbers, as the change summary's are: 3,7x in French, not 3.7x."""
        fit = self.Fit.fit_company(self.company)
        self.env["res.lang"]._activate_lang("fr_FR")
        late = fit.driver_ids.filtered(lambda d: d.covariate == "late_delivery")
        french = late.with_context(lang="fr_FR").sentence
        self.assertIn(("%.1fx" % late.hazard_ratio).replace(".", ","), french, french)

    def test_failure_reason_in_the_job_language(self):
        """The reason a fit failed, stored by the monthly job (no request, so
        Odoo cannot take the language from it), is in the job's language."""
        self.env["res.lang"]._activate_lang("zh_CN")
        fit = self.Fit.with_context(lang="zh_CN")
        reason = fit._failure_words(
            {"events": np.array([1, 0, 0])}, ValueError("singular matrix")
        )
        self.assertEqual(
            reason,
            "已评分的 3 位客户中仅有 1 位已流失：驱动因素分析至少需要 %s 位已流失客户。"
            % survival.MIN_EVENTS,
        )

    def test_dropped_traits_and_departments_in_the_job_language(self):
        """The traits the monthly job leaves out, stored with the fit, and the
        department a driver names are in the language, not in English."""
        self.env["res.lang"]._activate_lang("zh_CN")
        # the labels of choices are terms of the database, loaded with the language
        self.env["ir.module.module"]._load_module_terms(["crm_analytics"], ["zh_CN"])
        fit = self.Fit.with_context(lang="zh_CN").fit_company(self.company)
        self.assertEqual(fit.state, "done", fit.failure_reason)
        self.assertIn("逾期付款", fit.dropped_note)
        self.assertNotIn("Pays late", fit.dropped_note)
        late = fit.driver_ids.filtered(lambda d: d.covariate == "late_delivery")
        sentence = late.with_context(lang="zh_CN").sentence
        self.assertTrue(sentence.endswith("：物流"), sentence)

    def test_failure_reason_in_the_cron_user_language(self):
        """The monthly job as Odoo runs it (ir.cron: the cron's user, a context
        without any language) writes the reason in that user's language, as
        Odoo's own _() does there (it reads the user's language when the
        context has none)."""
        self.env["res.lang"]._activate_lang("zh_CN")
        cron = self.env.ref("crm_analytics.ir_cron_churn_driver_refit")
        cron.user_id.lang = "zh_CN"
        few = self.env["res.company"].create({"name": "Few lost Co"})
        self._generate(few, 30, seed=5, lost=2)
        cron.method_direct_trigger()
        fit = self.Fit.search([("company_id", "=", few.id)])
        self.assertEqual(fit.state, "failed")
        self.assertTrue(
            fit.failure_reason.startswith("已评分的 30 位客户中仅有 2 位已流失"),
            fit.failure_reason,
        )

    def test_separating_and_repeated_traits_are_left_out(self):
        """Every lost customer returned goods and no other did (the returns ratio
        cannot be estimated), and every late delivery came with a complaint that
        breached its SLA (two traits, one column): the fit keeps the others and
        names the traits it left out, with finite intervals only."""
        scores = self.env["crm.relationship.score"].search(
            [("company_id", "=", self.company.id)]
        )
        for score in scores:
            late = score.delivery_count > score.on_time_delivery_count
            score.write(
                {
                    "return_count": int(score.churn_state == "lost"),
                    "complaint_count": int(late),
                    "complaint_breach_count": int(late),
                }
            )
        fit = self.Fit.fit_company(self.company)
        self.assertEqual(fit.state, "done", fit.failure_reason)
        self.assertEqual(set(self._drivers(fit)), {"late_delivery"})
        self.assertIn("Returns", fit.dropped_note)
        self.assertIn("Complaints", fit.dropped_note)
        self.assertIn("SLA breaches", fit.dropped_note)
        for driver in fit.driver_ids:
            self.assertLess(driver.ci_high, float("inf"))
