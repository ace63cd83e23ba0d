from datetime import date, timedelta

import numpy as np

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.crm_relationship.tests.common import RelationshipScoringCommon

from ..tools import clv

CALIBRATION = date(2026, 6, 30)


@tagged("post_install", "-at_install")
class TestClvModels(RelationshipScoringCommon):
    """The three purchase models behind crm.clv.fit: choice by hold-out, grades,
    predictions through one code path, and one-time buyers under churn from
    P(alive)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Fit = cls.env["crm.clv.fit"]
        rng = np.random.default_rng(17)
        cls.buyers = cls.env["res.partner"].create(
            [{"name": f"Model buyer {i}"} for i in range(50)]
        )
        # first purchases from June to December 2025, then a purchase every 2 to 10
        # weeks until the customer leaves (a fifth of them after each purchase) or
        # the end of September 2026: the three months after the calibration date
        # are the hold-out
        for buyer in cls.buyers:
            day = date(2025, 6, 1) + timedelta(days=int(rng.integers(0, 200)))
            while day <= date(2026, 9, 30):
                cls._invoice(buyer, day, float(rng.gamma(5.0, 30.0)))
                if rng.random() < 0.2:
                    break
                day += timedelta(days=int(rng.integers(14, 70)))
        # bought once, two years before the calibration date
        cls.old = cls.env["res.partner"].create({"name": "Bought once, long ago"})
        cls._invoice(cls.old, CALIBRATION - timedelta(days=730), 120.0)

    def _check_predictions(self, fit):
        """predict() and the stored scores are the registry's functions of the
        fit's model, on the same history."""
        model = clv.PURCHASE_MODELS[fit.model]
        params, _spend = fit._params()
        self.assertEqual(set(params), set(model.params))
        partners = self.buyers[:5] | self.old
        data = fit._summaries(CALIBRATION, partner_ids=partners.ids)
        predictions = fit.predict(partners, 365)
        for i, partner_id in enumerate(data["partner_ids"]):
            args = (data["x"][i], data["t_x"][i], data["T"][i])
            self.assertAlmostEqual(
                predictions[partner_id]["p_alive"],
                float(model.p_alive(params, *args)),
            )
            self.assertAlmostEqual(
                predictions[partner_id]["expected_purchases"],
                float(model.expected_purchases(params, 365 / 7, *args)),
            )
        self.assertEqual(fit._write_scores(as_of=CALIBRATION), 51)
        score = self._score(self.buyers[0])
        self.assertEqual(score.clv_fit_id, fit)
        self.assertAlmostEqual(
            score.p_alive, predictions[self.buyers[0].id]["p_alive"], places=3
        )

    def test_each_model_fits_predicts_and_is_graded(self):
        self.Score.recompute(company_ids=self.company.ids, date_ref=CALIBRATION)
        for key, model in clv.PURCHASE_MODELS.items():
            with self.subTest(key):
                fit = self.Fit.fit_company(self.company, CALIBRATION, model=key)
                self.assertEqual(fit.state, "done", fit.failure_reason)
                self.assertEqual((fit.model, fit.model_choice), (key, "fixed"))
                self.assertEqual(fit.candidate_ids.model, key)
                for name in ("r", "alpha", "a", "b", "s", "beta"):
                    if name in model.params:
                        self.assertGreater(fit[name], 0, name)
                    else:
                        self.assertEqual(fit[name], 0, name)
                # the hold-out: July to September, with this fit's parameters
                self.assertEqual(fit.holdout_start, CALIBRATION)
                self.assertGreater(fit.holdout_end, date(2026, 8, 1))
                self._check_grade(fit)
                self._check_predictions(fit)

    def _check_grade(self, fit):
        self.assertIn(fit.grade, ("A", "B", "C"))
        self.assertGreater(fit.baseline_mae, 0)
        # stored rounded: errors to 3 decimals, the improvement to 1
        self.assertAlmostEqual(
            fit.improvement, 100 * (1 - fit.holdout_mae / fit.baseline_mae), delta=0.5
        )
        self.assertEqual(fit.grade, clv.grade(fit.improvement / 100))
        self.assertIn(fit.value_grade, ("A", "B", "C"))
        if fit.spend_model == "gamma_gamma":
            self.assertIn(fit.spend_grade, ("A", "B", "C"))
        # per frequency group: the baseline is the past pace, 0 without repeats
        lines = fit.holdout_line_ids
        self.assertEqual(sum(lines.mapped("customers")), 51)
        never = lines.filtered(lambda line: line.frequency == 0)
        self.assertEqual(never.baseline, 0)
        self.assertTrue(any(line.baseline > 0 for line in lines))
        # the overall errors are the customer-weighted means of the groups'
        for field, overall in (
            ("error", fit.holdout_mae),
            ("baseline_error", fit.baseline_mae),
        ):
            weighted = sum(line[field] * line.customers for line in lines) / 51
            self.assertAlmostEqual(weighted, overall, places=3)

    def test_auto_keeps_the_best_on_the_holdout(self):
        self.assertEqual(self.company.clv_model, "auto")
        fit = self.Fit.fit_company(self.company, CALIBRATION)
        self.assertEqual(fit.state, "done", fit.failure_reason)
        self.assertEqual(fit.model_choice, "auto")
        candidates = fit.candidate_ids
        self.assertEqual(set(candidates.mapped("model")), set(clv.PURCHASE_MODELS))
        chosen = candidates.filtered("chosen")
        self.assertEqual(chosen.model, fit.model)
        compared = candidates.filtered(lambda candidate: not candidate.note)
        self.assertEqual(chosen.holdout_error, min(compared.mapped("holdout_error")))
        self.assertAlmostEqual(chosen.holdout_error, fit.holdout_mae, places=6)
        self.assertEqual(chosen.grade, fit.grade)
        for candidate in compared:
            self.assertIn(candidate.grade, ("A", "B", "C"))
            self.assertIn("r = ", candidate.parameters)
        # the setting fixes the model
        self.company.clv_model = "mbgnbd"
        fixed = self.Fit.fit_company(self.company, CALIBRATION)
        self.assertEqual((fixed.model, fixed.model_choice), ("mbgnbd", "fixed"))
        self.assertEqual(len(fixed.candidate_ids), 1)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.clv_model, "mbgnbd")

    def test_choice_rule(self):
        fits = {
            "bgnbd": (clv.FitResult({}, -100.0, 10, True, "", 1), 0.0),
            "mbgnbd": (clv.FitResult({}, -90.0, 10, True, "", 1), 0.0),
            "pareto_nbd": (clv.FitResult({}, -80.0, 10, True, "", 1), 0.0),
        }
        choose = self.Fit._choose
        # the smallest hold-out error wins, whatever the likelihood
        self.assertEqual(
            choose(fits, {"bgnbd": {"error": 1.0}, "mbgnbd": {"error": 2.0}}),
            "bgnbd",
        )
        # equal errors: the highest log-likelihood
        self.assertEqual(
            choose(fits, {"bgnbd": {"error": 1.0}, "mbgnbd": {"error": 1.0}}),
            "mbgnbd",
        )
        # no hold-out at all: the highest log-likelihood
        self.assertEqual(choose(fits, {}), "pareto_nbd")

    def test_no_holdout_no_grade(self):
        self.company.clv_holdout_days = 0
        fit = self.Fit.fit_company(self.company, date(2026, 10, 31))
        self.assertEqual(fit.state, "done", fit.failure_reason)
        self.assertFalse(fit.grade)
        self.assertFalse(fit.value_grade)
        self.assertEqual(fit.grade_note, "No hold-out days.")
        self.assertFalse(fit.holdout_line_ids)
        # without a hold-out, auto goes by log-likelihood
        chosen = fit.candidate_ids.filtered("chosen")
        self.assertEqual(
            chosen.log_likelihood, max(fit.candidate_ids.mapped("log_likelihood"))
        )
        # with hold-out days and nothing after the calibration date, the models
        # are refitted on the history before them and graded on them
        self.company.clv_holdout_days = 90
        refit = self.Fit.fit_company(self.company, date(2026, 10, 31))
        self.assertEqual(refit.holdout_start, date(2026, 8, 2))
        self.assertIn(refit.grade, ("A", "B", "C"))

    def test_one_time_buyer_two_years_on_is_not_active(self):
        self.company.write({"clv_churn_from_model": True})
        self.Score.recompute(company_ids=self.company.ids, date_ref=CALIBRATION)
        score = self._score(self.old)
        self.assertEqual(score.purchase_count, 1)
        for key in clv.PURCHASE_MODELS:
            with self.subTest(key):
                fit = self.Fit.fit_company(self.company, CALIBRATION, model=key)
                self.assertEqual(fit.state, "done", fit.failure_reason)
                fit._write_scores(as_of=CALIBRATION)
                if key == "bgnbd":
                    # BG/NBD cannot see a one-time buyer leave: the rule decides
                    self.assertEqual(score.p_alive, 1)
                else:
                    self.assertLess(score.p_alive, self.company.clv_at_risk_below)
                self.assertIn(score.churn_state, ("lost", "at_risk"))
                # and a recompute keeps it so
                self.Score.recompute(company_ids=self.company.ids, date_ref=CALIBRATION)
                self.assertIn(score.churn_state, ("lost", "at_risk"))

    def test_candidate_access(self):
        fit = self.Fit.fit_company(self.company, CALIBRATION, model="pareto_nbd")
        user = new_test_user(
            self.env,
            login="clv.models.user",
            groups="base.group_user,crm_relationship.group_relationship_user",
        )
        candidate = fit.candidate_ids.with_user(user)
        self.assertEqual(candidate.read(["model"])[0]["model"], "pareto_nbd")
        with self.assertRaises(AccessError):
            candidate.write({"chosen": False})
        other = self.env["res.company"].create({"name": "Other (clv models)"})
        user.company_ids |= other
        elsewhere = self.Fit.create({"company_id": other.id})
        self.env["crm.clv.fit.candidate"].create(
            {"fit_id": elsewhere.id, "model": "bgnbd"}
        )
        mine = (
            self.env["crm.clv.fit.candidate"]
            .with_user(user)
            .with_context(allowed_company_ids=self.company.ids)
            .search([])
        )
        self.assertEqual(mine, fit.candidate_ids)

    def test_one_time_buyer_two_years_on_is_not_active_under_low_dropout(self):
        """A company whose customers rarely drop out after a purchase: the fitted
        modified BG/NBD (or Pareto/NBD) gives a customer who bought once two years
        ago a P(alive) above the "at risk" threshold. Churn from P(alive) must not
        keep that customer active while the purchase-interval rule calls them
        lost (issue 17: never active two years on, under any model)."""
        self.company.write({"clv_churn_from_model": True})
        self.Score.recompute(company_ids=self.company.ids, date_ref=CALIBRATION)
        score = self._score(self.old)
        self.assertEqual(score.churn_state, "lost")
        for key, params in (
            ("mbgnbd", {"r": 0.5, "alpha": 5.0, "a": 0.1, "b": 3.0}),
            ("pareto_nbd", {"r": 0.5, "alpha": 5.0, "s": 0.05, "beta": 50.0}),
        ):
            with self.subTest(key):
                fit = self.Fit.create(
                    {
                        "company_id": self.company.id,
                        "calibration_date": CALIBRATION,
                        "model": key,
                        "model_choice": "fixed",
                        "state": "done",
                        "spend_model": "observed",
                        "population_spend": 100.0,
                        **params,
                    }
                )
                fit._write_scores(as_of=CALIBRATION)
                self.assertGreater(score.p_alive, self.company.clv_at_risk_below)
                self.assertNotEqual(score.churn_state, "active")

    def test_fit_again_puts_the_fit_in_use_on_the_scores(self):
        """A manager's "Fit Again" on a draft (or failed) fit that succeeds makes it
        the company's fit in use ("the one predictions come from"): the score rows
        take its predictions at once, not only at the next daily rescore."""
        self.Score.recompute(company_ids=self.company.ids, date_ref=CALIBRATION)
        previous = self.Fit.fit_company(self.company, CALIBRATION, model="bgnbd")
        previous._write_scores(as_of=CALIBRATION)
        score = self._score(self.buyers[0])
        self.assertEqual(score.clv_fit_id, previous)
        fit = self.Fit.create(
            {
                "company_id": self.company.id,
                "calibration_date": CALIBRATION,
                "model": "pareto_nbd",
                "model_choice": "fixed",
            }
        )
        fit.action_fit()
        self.assertEqual(fit.state, "done", fit.failure_reason)
        self.assertTrue(fit.is_current)
        self.assertEqual(score.clv_fit_id, fit)
        # a fit that fails again leaves the scores on the fit in use
        failed = self.Fit.create(
            {"company_id": self.company.id, "calibration_date": date(2025, 6, 2)}
        )
        failed.action_fit()
        self.assertEqual(failed.state, "failed")
        self.assertEqual(score.clv_fit_id, fit)

    def test_a_holdout_without_purchases_grades_nothing(self):
        """Nobody bought during the hold-out days (the last purchases are on 30
        September, the hold-out is November and December): a model predicting
        next to nothing would beat the baseline there on no evidence, so no
        candidate and no fit gets a purchase grade, and the fit says why."""
        self.company.clv_holdout_days = 60
        fit = self.Fit.fit_company(self.company, date(2026, 12, 31))
        self.assertEqual(fit.state, "done", fit.failure_reason)
        self.assertEqual(fit.holdout_start, date(2026, 11, 1))
        self.assertFalse(fit.grade)
        self.assertFalse(fit.spend_grade)
        self.assertFalse(fit.value_grade)
        self.assertIn("Nobody bought", fit.grade_note)
        self.assertIn("No value grade", fit.grade_note)
        self.assertFalse(any(fit.candidate_ids.mapped("grade")))
        self.assertEqual(sum(fit.holdout_line_ids.mapped("actual")), 0.0)

    def test_holdout_never_runs_into_days_to_come(self):
        """A fit calibrated today while an invoice is already posted for a later
        day (a delivery invoiced ahead): the days after today have not happened,
        so they cannot be the hold-out (where every customer but one would count
        as buying nothing). The hold-out stays within the days that happened: the
        last ``holdout_days`` before today, the models refitted before them."""
        today = self.company._crm_today()
        self.company.clv_holdout_days = 90
        self._invoice(self.buyers[0], today + timedelta(days=20), 100.0)
        fit = self.Fit.fit_company(self.company)
        self.assertEqual(fit.calibration_date, today)
        self.assertEqual(fit.state, "done", fit.failure_reason)
        self.assertLessEqual(fit.holdout_end, today)
        self.assertEqual(fit.holdout_start, today - timedelta(days=90))
