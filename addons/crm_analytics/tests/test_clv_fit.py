from datetime import date, datetime, time, timedelta

import numpy as np
import pytz
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.crm_relationship.tests.common import RelationshipScoringCommon
from odoo.addons.crm_relationship.tools import scoring

from ..tools import clv

CALIBRATION = date(2026, 6, 30)


@tagged("post_install", "-at_install")
class TestClvFit(RelationshipScoringCommon):
    """Fits on invoices booked through the ORM, with dates chosen so that every
    summary can be worked out by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Fit = cls.env["crm.clv.fit"]
        cls.first = cls.env["res.partner"].create({"name": "First buyer"})
        # 2026-01-05: two invoices on one day are one occasion of 100 + 50
        cls._invoice(cls.first, date(2026, 1, 5), 100)
        cls._invoice(cls.first, date(2026, 1, 5), 50)
        cls._invoice(cls.first, date(2026, 2, 2), 300)
        cls._invoice(cls.first, date(2026, 3, 2), 500)
        # neither a credit note, a draft, nor what comes after the calibration date
        cls._invoice(cls.first, date(2026, 3, 9), 80, move_type="out_refund")
        cls._invoice(cls.first, date(2026, 4, 6), 999, state="draft")
        cls._invoice(cls.first, date(2026, 7, 6), 999)
        cls.once = cls.env["res.partner"].create({"name": "One-time buyer"})
        cls._invoice(cls.once, date(2026, 6, 16), 70)

    def _fit(self, **values):
        return self.Fit.create({"company_id": self.company.id, **values})

    def test_summaries_count_occasions(self):
        data = self._fit(calibration_date=CALIBRATION)._summaries(CALIBRATION)
        row = {pid: i for i, pid in enumerate(data["partner_ids"])}
        first = row[self.first.id]
        # occasions on Jan 5, Feb 2, Mar 2: two repeat purchases
        self.assertEqual(data["x"][first], 2)
        # last - first = 56 days = 8 weeks; calibration - first = 176 days
        self.assertAlmostEqual(data["t_x"][first], 8)
        self.assertAlmostEqual(data["T"][first], 176 / 7)
        # the mean of the repeat occasions only: (300 + 500) / 2
        self.assertAlmostEqual(data["m"][first], 400)
        once = row[self.once.id]
        self.assertEqual(
            (data["x"][once], data["t_x"][once], data["m"][once]), (0, 0, 0)
        )
        self.assertAlmostEqual(data["T"][once], 2)
        days = self._fit(time_unit="day")._summaries(CALIBRATION)
        self.assertAlmostEqual(days["T"][row[self.first.id]], 176)

    def test_too_little_data_fails_readably_and_keeps_the_previous_fit(self):
        previous = self._fit(calibration_date=date(2026, 1, 31))
        previous.write({"state": "done", "r": 0.2, "alpha": 4, "a": 0.8, "b": 2.4})
        previous.write({"p": 6, "q": 4, "gamma": 15})
        fit = self.Fit.fit_company(self.company, CALIBRATION)
        self.assertEqual(fit.state, "failed")
        self.assertIn("too few customers", fit.failure_reason)
        self.assertFalse(fit.is_current)
        self.assertTrue(previous.is_current)
        # the form says the previous fit stays in use only when there is one
        self.assertTrue(fit.previous_in_use)
        self.assertFalse(previous.previous_in_use)
        previous.state = "failed"
        fit.invalidate_recordset(["previous_in_use"])
        self.assertFalse(fit.previous_in_use)
        previous.state = "done"
        self.assertIn("The fit failed", fit.message_ids[0].body)
        with self.assertRaisesRegex(UserError, "has not succeeded"):
            fit.predict(self.first, 90)

    def test_fit_predict_and_write_scores(self):
        rng = np.random.default_rng(7)
        buyers = self.env["res.partner"].create(
            [{"name": f"Buyer {i}"} for i in range(40)]
        )
        for i, buyer in enumerate(buyers):
            day = date(2025, 9, 1) + timedelta(days=int(rng.integers(0, 120)))
            for _occasion in range(1 + i % 4):
                self._invoice(buyer, day, float(rng.gamma(6.0, 20.0 + i)))
                day += timedelta(days=int(rng.integers(10, 50)))
        self.Score.recompute(company_ids=self.company.ids, date_ref=CALIBRATION)
        self.company.clv_holdout_days = 60
        fit = self.Fit.fit_company(self.company, CALIBRATION)
        self.assertEqual(fit.state, "done", fit.failure_reason)
        self.assertTrue(fit.is_current)
        self.assertEqual(fit.customer_count, 42)
        # the company's default compares the three purchase models
        self.assertEqual(fit.model_choice, "auto")
        self.assertEqual(len(fit.candidate_ids), 3)
        self.assertEqual(fit.candidate_ids.filtered("chosen").model, fit.model)
        model = clv.PURCHASE_MODELS[fit.model]
        for name in (*model.params, "p", "q", "gamma"):
            self.assertGreater(fit[name], 0, name)
        self.assertLess(fit.log_likelihood, 0)
        # invoices follow the calibration date (July 6): the check compares this
        # fit's predictions with the purchases made since
        self.assertEqual(
            (fit.holdout_start, fit.holdout_end), (CALIBRATION, date(2026, 7, 6))
        )
        self.assertEqual(sum(fit.holdout_line_ids.mapped("customers")), 42)
        twice = fit.holdout_line_ids.filtered(lambda line: line.frequency == 2)
        # the first buyer (two repeat purchases before) bought once more on July 6
        self.assertGreater(twice.actual, 0)
        self.assertGreater(twice.predicted, 0)

        predictions = fit.predict(buyers | self.first, 365)
        self.assertEqual(set(predictions), set((buyers | self.first).ids))
        # the same numbers as the maths module on the same history
        data = fit._summaries(CALIBRATION, partner_ids=[self.first.id])
        bgnbd, spend = fit._params()
        first = predictions[self.first.id]
        self.assertAlmostEqual(
            first["p_alive"],
            float(model.p_alive(bgnbd, data["x"], data["t_x"], data["T"])[0]),
        )
        self.assertAlmostEqual(
            first["expected_purchases"],
            float(
                model.expected_purchases(
                    bgnbd, 365 / 7, data["x"], data["t_x"], data["T"]
                )[0]
            ),
        )
        self.assertAlmostEqual(
            first["expected_value"],
            float(clv.gamma_gamma_expected_value(spend, 2, 400)),
        )
        for values in predictions.values():
            self.assertTrue(0 <= values["p_alive"] <= 1)

        self.assertEqual(fit._write_scores(as_of=CALIBRATION), 42)
        score = self._score(self.first)
        self.assertEqual(score.clv_fit_id, fit)
        self.assertAlmostEqual(score.p_alive, first["p_alive"], places=3)
        value = score.predicted_clv
        self.assertGreater(value, 0)
        # the stored lifetime value is the maths module's, on the same history
        company = self.company
        self.assertAlmostEqual(
            value,
            float(
                clv.clv(
                    bgnbd,
                    spend,
                    data["x"],
                    data["t_x"],
                    data["T"],
                    data["m"],
                    company.clv_horizon_months,
                    company.clv_monthly_discount,
                    company.clv_margin_share,
                    time_unit_days=7,
                    model=fit.model,
                )[0]
            ),
            places=2,
        )
        # a higher discount rate lowers the predicted value
        self.company.clv_monthly_discount = 0.2
        fit._write_scores(as_of=CALIBRATION)
        self.assertLess(score.predicted_clv, value)

        # P(alive) may weigh in the health score, and so in the tiers
        self.Score.recompute(company_ids=self.company.ids, date_ref=CALIBRATION)
        without = score.health_score
        self.assertFalse(score.alive_component)
        self._profile().weight_alive = 30
        self.Score.recompute(company_ids=self.company.ids, date_ref=CALIBRATION)
        self.assertAlmostEqual(score.alive_component, 100 * score.p_alive, places=1)
        self.assertGreater(score.alive_contribution, 0)
        contributions = sum(
            score[f"{name}_contribution"] for name in (*scoring.COMPONENTS, "alive")
        )
        self.assertAlmostEqual(score.health_score, contributions, places=0)
        self.assertNotAlmostEqual(score.health_score, without, places=1)
        self._profile().weight_alive = 0

        # churn detection may follow P(alive) instead of the purchase-interval rule
        self.company.write(
            {
                "clv_churn_from_model": True,
                "clv_at_risk_below": 0.9,
                "clv_lost_below": 0.5,
            }
        )
        fit._write_scores(as_of=CALIBRATION)
        scores = self.Score.search([("company_id", "=", self.company.id)])
        expected = {
            s.id: "lost"
            if s.p_alive < 0.5
            else "at_risk"
            if s.p_alive < 0.9
            else "active"
            for s in scores
        }
        self.assertEqual({s.id: s.churn_state for s in scores}, expected)
        # and keeps it when the scores are recomputed
        self.Score.recompute(company_ids=self.company.ids, date_ref=CALIBRATION)
        self.assertEqual({s.id: s.churn_state for s in scores}, expected)
        self.company.clv_churn_from_model = False

        # the crons: a monthly refit of companies with invoices, a daily rescore
        self.company.clv_holdout_days = 0
        with freeze_time("2026-07-10"):
            self.Fit._cron_refit()
            refit = self.Fit.search(
                [("is_current", "=", True), ("company_id", "=", self.company.id)]
            )
            self.assertEqual(refit.calibration_date, date(2026, 7, 10))
            # nothing after the calibration date, and no hold-out days to refit on
            self.assertEqual(refit.holdout_note, "No hold-out days.")
            self.assertEqual(self._score(self.first).clv_fit_id, refit)
            self.Score.invalidate_model()
            self.Fit._cron_rescore()
            self.company.clv_holdout_days = 40
            again = self.Fit.fit_company(self.company)
            # the purchase model refitted on the history up to May 31, checked on
            # the 40 days since
            self.assertEqual(again.holdout_start, date(2026, 5, 31))
            self.assertTrue(again.holdout_line_ids or again.holdout_note)
            self.assertEqual(self._score(self.first).clv_fit_id, refit)

    def test_refit_after_a_crash_or_beside_a_second_worker_fits_once(self):
        """The monthly refit leaves a company that another transaction is fitting
        right now to it, and run again the same day (killed after its commit,
        before the cron was rescheduled) makes no second fit."""
        self.company.clv_holdout_days = 0
        domain = [("company_id", "=", self.company.id)]
        with freeze_time("2026-07-10"):
            with self.registry.cursor() as cr:
                cr.execute(
                    "SELECT pg_advisory_xact_lock(hashtext('crm.clv.fit'), %s)",
                    [self.company.id],
                )
                self.Fit._cron_refit()
                self.assertFalse(self.Fit.search(domain))
            self.Fit._cron_refit()
            self.assertEqual(len(self.Fit.search(domain)), 1)
            self.Fit._cron_refit()
            self.assertEqual(len(self.Fit.search(domain)), 1)
        with freeze_time("2026-07-11"):
            self.Fit._cron_refit()
        self.assertEqual(len(self.Fit.search(domain)), 2)

    def _profile(self):
        return self.env["crm.relationship.scoring.profile"]._get_for_company(
            self.company
        )

    def test_settings_are_checked(self):
        Company = self.env["res.company"]
        for field, value, message in (
            ("clv_monthly_discount", 1.5, "discount"),
            ("clv_margin_share", 0, "margin"),
            ("clv_horizon_months", 0, "horizon"),
            ("clv_holdout_days", -1, "hold-out"),
            ("clv_lost_below", 0.8, "thresholds"),
        ):
            with self.assertRaisesRegex(ValidationError, message):
                Company.create({"name": f"Bad {field}", field: value})
        # the weight of P(alive) sits with the other weights, on the profile
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(
            self.company
        )
        with self.assertRaisesRegex(ValidationError, "weight"):
            profile.weight_alive = -1

    def test_access(self):
        user = new_test_user(
            self.env,
            login="clv.user",
            groups="base.group_user,crm_relationship.group_relationship_user",
        )
        fit = self._fit(calibration_date=CALIBRATION)
        self.assertEqual(fit.with_user(user).read(["state"])[0]["state"], "draft")
        with self.assertRaises(AccessError):
            self.Fit.with_user(user).create({"company_id": self.company.id})
        other = self.env["res.company"].create({"name": "Other (clv)"})
        elsewhere = self._fit(company_id=other.id)
        user.company_ids |= other
        mine = self.Fit.with_user(user).with_context(
            allowed_company_ids=self.company.ids
        )
        self.assertNotIn(elsewhere, mine.search([]))

    def test_spend_model_that_does_not_fit_falls_back_on_observed_means(self):
        x, t_x, T = clv.simulate_bgnbd(
            {"r": 0.24, "alpha": 4.4, "a": 0.8, "b": 2.4}, 3000, 39.0, rng=3
        )
        # spends spread so widely that the Gamma-Gamma mean is infinite (q <= 1)
        rng = np.random.default_rng(3)
        m = np.where(x > 0, rng.pareto(0.8, len(x)) * 50 + 1, 0.0)
        summaries = {
            "partner_ids": np.arange(len(x)),
            "x": x,
            "t_x": t_x,
            "T": T,
            "m": m,
        }
        fit = self._fit(calibration_date=CALIBRATION)
        values = fit._fit_values(summaries)
        self.assertEqual(values["spend_model"], "observed")
        self.assertIn("spend model does not fit", values["spend_note"])
        values.pop("holdout_line_ids", None)
        fit.write({**values, "state": "done"})
        bgnbd, spend = fit._params()
        self.assertIsNone(spend)
        columns = fit._predict_columns(summaries, bgnbd, spend, 365, months=12)
        repeat = x > 0
        np.testing.assert_allclose(columns["expected_value"][repeat], m[repeat])
        self.assertAlmostEqual(
            float(columns["expected_value"][~repeat][0]), m[repeat].mean(), places=2
        )
        self.assertTrue(np.isfinite(columns["clv"]).all())

    def test_spend_model_that_runs_away_stops_early_and_falls_back(self):
        """Spends as the benchmark generates them (a customer's level log-uniform,
        each purchase within 50 % of it): the unpenalised Gamma-Gamma run stops
        once p runs away, the penalised one ends with q <= 1, a failure no
        penalizer cures: the expected spend falls back on observed means."""
        x, t_x, T = clv.simulate_bgnbd(
            {"r": 0.24, "alpha": 4.4, "a": 0.8, "b": 2.4}, 3000, 39.0, rng=4
        )
        rng = np.random.default_rng(4)
        level = 40 * np.exp(4 * rng.random(len(x)))
        m = np.array(
            [
                np.round(lvl * (0.5 + rng.random(k)), 2).mean() if k else 0.0
                for lvl, k in zip(level, x.astype(int), strict=True)
            ]
        )
        summaries = {"partner_ids": np.arange(len(x)), "x": x, "t_x": t_x, "T": T}
        summaries["m"] = m
        spenders = x > 0
        with self.assertRaises(clv.FitStopped) as stopped:
            clv.fit_gamma_gamma(x[spenders], m[spenders])
        self.assertIn("did not converge: p ran away", str(stopped.exception))
        self.assertLess(stopped.exception.iterations, 100)

        fit = self._fit(calibration_date=CALIBRATION)
        values = fit._fit_values(summaries)
        self.assertEqual(values["spend_model"], "observed")
        self.assertIn("not above 1", values["spend_note"])
        self.assertEqual((values["p"], values["q"], values["gamma"]), (0.0, 0.0, 0.0))

    def test_demo_fit_runs_without_committing(self):
        # two customers only: the demo's fit fails readably, and nothing raises
        fit = self.Fit._demo_fit()
        self.assertEqual(fit.state, "failed")
        self.assertTrue(fit.failure_reason)
        # the churn drivers are fitted too: too few churned customers, said so
        drivers = self.env["crm.churn.driver.fit"].search(
            [("company_id", "=", self.env.company.id)]
        )
        self.assertEqual(len(drivers), 1)
        self.assertEqual(drivers.state, "failed")
        self.assertIn("churned", drivers.failure_reason)
        # nothing earlier to fall back on, and the forms say so
        self.assertFalse(fit.previous_in_use)
        self.assertFalse(drivers.previous_in_use)

    def test_failed_fit_by_a_manager_without_email(self):
        """A relationship manager without an e-mail address fits a company with too
        few customers: the fit fails and says why, in its chatter as a log note,
        instead of the whole call failing on "configure the sender's email"."""
        manager = new_test_user(
            self.env,
            login="clv.no.email",
            groups="base.group_user,crm_relationship.group_relationship_manager",
            email=False,
            company_id=self.company.id,
        )
        manager.partner_id.email = False
        fit = self.Fit.with_user(manager).fit_company(self.company, CALIBRATION)
        self.assertEqual(fit.state, "failed")
        self.assertIn("too few customers", fit.failure_reason)
        self.assertIn("The fit failed", fit.message_ids[0].body)


@tagged("post_install", "-at_install")
class TestRefitTimeZones(TransactionCase):
    """The monthly refit skips a company fitted on its own today. Around UTC
    midnight, the day of a company at UTC+14 or UTC-11 is not UTC's: a fit at
    23:30 of the company's yesterday is not today's, one at 00:30 of its today is.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Fit = cls.env["crm.clv.fit"]
        cls.kiritimati = cls.env["res.company"].create({"name": "Kiritimati (test)"})
        cls.kiritimati.partner_id.tz = "Pacific/Kiritimati"
        cls.pago_pago = cls.env["res.company"].create({"name": "Pago Pago (test)"})
        cls.pago_pago.partner_id.tz = "Pacific/Pago_Pago"

    def _fit_at(self, company, day, hour, minute):
        """A fit stamped at this local time of the company (stored in UTC)."""
        local = datetime.combine(day, time(hour, minute))
        stamp = pytz.timezone(company._crm_tz()).localize(local).astimezone(pytz.utc)
        return self.Fit.create(
            {"company_id": company.id, "date_fitted": stamp.replace(tzinfo=None)}
        )

    def _refitted(self, companies):
        """The companies the refit fits now (``fit_one`` records them)."""
        fitted = []
        self.Fit._refit_companies(companies, fitted.append)
        return fitted

    def test_fitted_today_is_the_companys_today(self):
        companies = [self.kiritimati, self.pago_pago]
        # the companies' days on either side of UTC midnight: 10 July in
        # Kiritimati, still 9 July in Pago Pago
        for now in ("2026-07-09 23:30:00", "2026-07-10 00:30:00"):
            with self.subTest(now=now), freeze_time(now):
                self.assertEqual(self.kiritimati._crm_today(), date(2026, 7, 10))
                self.assertEqual(self.pago_pago._crm_today(), date(2026, 7, 9))
                self.Fit.search(
                    [("company_id", "in", [c.id for c in companies])]
                ).unlink()
                for company in companies:
                    today = company._crm_today()
                    yesterday = self._fit_at(company, today - timedelta(days=1), 23, 30)
                    self.assertFalse(self.Fit._fitted_today(company), company.name)
                    self._fit_at(company, today, 0, 30)
                    self.assertTrue(self.Fit._fitted_today(company), company.name)
                    # and the fit of yesterday alone is not today's
                    self.Fit.search(
                        [("company_id", "=", company.id), ("id", "!=", yesterday.id)]
                    ).unlink()
                self.assertEqual(self._refitted(companies), companies)
                for company in companies:
                    self._fit_at(company, company._crm_today(), 0, 30)
                self.assertEqual(self._refitted(companies), [])
                # one fitted 23:30 of its day is today's too, the other still refits
                self.Fit.search([("company_id", "=", self.pago_pago.id)]).unlink()
                self._fit_at(self.pago_pago, self.pago_pago._crm_today(), 23, 30)
                self.assertEqual(self._refitted(companies), [])
