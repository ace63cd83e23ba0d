import math

import numpy as np
from scipy import integrate, stats

from odoo.tests import BaseCase, tagged

from ..tools import clv

# Published CDNOW estimates: BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma
# (Fader & Hardie's note on the model of monetary value)
CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_SPEND = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def hyp2f1_series(a, b, c, z, terms=2000):
    """Gauss's series, summed term by term: slow, but no shortcut to share a bug."""
    total, term = 1.0, 1.0
    for k in range(terms):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
    return total


@tagged("post_install", "-at_install")
class TestClvMaths(BaseCase):
    def _cdnow_like(self, n, seed):
        """``n`` customers acquired over 12 weeks and watched until week 39, as in
        the CDNOW sample; dates in days, so recency and age are whole days in weeks."""
        rng = np.random.default_rng(seed)
        T = rng.integers(27 * 7, 39 * 7 + 1, n) / 7
        x, t_x, T = clv.simulate_bgnbd(CDNOW, n, T, rng)
        return x, np.round(t_x * 7) / 7, T

    # ------------------------------------------------------------
    # FITS
    # ------------------------------------------------------------

    def test_bgnbd_recovers_the_parameters(self):
        # Over 40 seeds the estimates from 5000 customers spread by 4 % (r), 6 %
        # (alpha), 15 % (a) and 19 % (b): a and b move together, only their ratio is
        # sharp. 40000 customers bring that to 1.2, 2, 5 and 6.5 %; the bounds below
        # sit at 4 standard deviations or more, so a broken likelihood fails and a
        # seed change does not.
        x, t_x, T = self._cdnow_like(40000, seed=7)
        fit = clv.fit_bgnbd(x, t_x, T)
        self.assertTrue(fit.converged)
        self.assertEqual(fit.n, 40000)
        for name, bound in (("r", 0.10), ("alpha", 0.10), ("a", 0.25), ("b", 0.25)):
            with self.subTest(name):
                self.assertAlmostEqual(
                    fit.params[name] / CDNOW[name], 1, delta=bound, msg=fit.params
                )
        # the mean dropout probability a / (a + b) is what the data pin down
        dropout = fit.params["a"] / (fit.params["a"] + fit.params["b"])
        self.assertAlmostEqual(dropout, 0.793 / (0.793 + 2.426), delta=0.01)
        # a maximum: no better than the fit at the true parameters
        at_truth = clv.bgnbd_log_likelihood(CDNOW, x, t_x, T).sum()
        self.assertGreaterEqual(fit.log_likelihood, at_truth)
        self.assertLess(fit.log_likelihood - at_truth, 20)

    def test_gamma_gamma_recovers_the_parameters(self):
        # 20000 repeat buyers with 1 to ~10 repeat purchases: over 40 seeds p spreads
        # by 5 %, q by 1.6 %, gamma by 6 % and the population mean by 0.5 %; bounds at
        # 4 standard deviations or more.
        rng = np.random.default_rng(11)
        x = 1 + rng.poisson(2.0, 20000)
        m = np.round(clv.simulate_gamma_gamma(CDNOW_SPEND, x, rng), 2)
        # non-repeat buyers carry no spend: left out of the fit
        fit = clv.fit_gamma_gamma(np.r_[x, [0] * 50], np.r_[m, [0.0] * 50])
        self.assertEqual(fit.n, 20000)
        for name, bound in (("p", 0.25), ("q", 0.10), ("gamma", 0.25)):
            with self.subTest(name):
                self.assertAlmostEqual(
                    fit.params[name] / CDNOW_SPEND[name], 1, delta=bound, msg=fit.params
                )
        self.assertAlmostEqual(
            clv.gamma_gamma_expected_value(fit, 0, 0) / (6.25 * 15.44 / 2.74),
            1,
            delta=0.03,
        )
        at_truth = clv.gamma_gamma_log_likelihood(CDNOW_SPEND, x, m).sum()
        self.assertGreaterEqual(fit.log_likelihood, at_truth)

    @staticmethod
    def _bulk_like_spends(n, seed):
        """Spends as the benchmark's bulk generator makes them: each customer's
        level log-uniform over a 55-fold range, each purchase uniform within 50 %
        of it. Nothing like Gamma-Gamma: p runs away (a customer's spends look all
        alike to the model) and the fitted q stays below 1."""
        rng = np.random.default_rng(seed)
        x = 1 + rng.poisson(2.0, n)
        level = 40 * np.exp(4 * rng.random(n))
        m = np.array(
            [
                np.round(lvl * (0.5 + rng.random(k)), 2).mean()
                for lvl, k in zip(level, x, strict=True)
            ]
        )
        return x, m

    def test_gamma_gamma_stops_early_when_p_runs_away(self):
        x, m = self._bulk_like_spends(2000, seed=5)
        # unpenalised, the run went on for its 8,000 evaluations; it now stops
        # within a few dozen iterations, as one a penalizer may cure
        with self.assertRaises(clv.FitStopped) as stopped:
            clv.fit_gamma_gamma(x, m)
        self.assertRegex(str(stopped.exception), r"did not converge: p ran away")
        self.assertLess(stopped.exception.iterations, 100)
        # penalised, p stays bounded and the run ends with q <= 1: final
        with self.assertRaises(ValueError) as final:
            clv.fit_gamma_gamma(x, m, penalizer=0.001)
        self.assertIn("not above 1", str(final.exception))
        self.assertNotIn("did not converge", str(final.exception))

    def test_gamma_gamma_watch_rules(self):
        """The early-stop rules one by one, on the points a run would pass."""
        start = np.zeros(3)
        # q below 1e-6: final, as q <= 1 is
        with self.assertRaises(clv.FitStopped) as stopped:
            clv._GammaGammaWatch()(np.log([1.0, 1e-7, 1.0]), 5.0)
        self.assertIn("not above 1", str(stopped.exception))
        self.assertNotIn("did not converge", str(stopped.exception))
        # q beyond 1e6: curable
        with self.assertRaises(clv.FitStopped) as stopped:
            clv._GammaGammaWatch()(np.log([1.0, 2e6, 1.0]), 5.0)
        self.assertIn("did not converge: q ran away", str(stopped.exception))
        # gamma carries the currency's scale: no bound on it
        clv._GammaGammaWatch()(np.log([1.0, 2.0, 1e9]), 5.0)
        # a likelihood that improves keeps the run going; 200 iterations without
        # an improvement above the tolerance stop it
        watch = clv._GammaGammaWatch()
        for step in range(500):
            watch(start, 5.0 - 1e-6 * step)
        for _step in range(clv.STALL_ITERATIONS - 1):
            watch(start, 5.0 - 1e-6 * 499 - 1e-12)
        with self.assertRaises(clv.FitStopped) as stopped:
            watch(start, 5.0 - 1e-6 * 499 - 2e-12)
        self.assertIn("did not improve in 200 iterations", str(stopped.exception))
        self.assertEqual(stopped.exception.iterations, 500 + clv.STALL_ITERATIONS)

    def test_weights_count_as_repeated_rows(self):
        x, t_x, T = self._cdnow_like(400, seed=3)
        counts = np.random.default_rng(5).integers(1, 6, 400)
        weighted = clv.fit_bgnbd(x, t_x, T, weights=counts)
        expanded = clv.fit_bgnbd(
            np.repeat(x, counts), np.repeat(t_x, counts), np.repeat(T, counts)
        )
        self.assertEqual(weighted.n, counts.sum())
        self.assertAlmostEqual(weighted.log_likelihood, expanded.log_likelihood, 6)
        for name in clv.BGNBD_PARAMS:
            self.assertAlmostEqual(
                weighted.params[name], expanded.params[name], delta=1e-6
            )
        # and the likelihood itself, at any parameters
        self.assertAlmostEqual(
            (counts * clv.bgnbd_log_likelihood(CDNOW, x, t_x, T)).sum(),
            clv.bgnbd_log_likelihood(
                CDNOW,
                np.repeat(x, counts),
                np.repeat(t_x, counts),
                np.repeat(T, counts),
            ).sum(),
            6,
        )
        *rows, folded = clv.aggregate(x, t_x, T, weights=counts)
        self.assertLess(len(folded), 400)
        self.assertEqual(folded.sum(), counts.sum())
        self.assertAlmostEqual(
            (folded * clv.bgnbd_log_likelihood(CDNOW, *rows)).sum(),
            (counts * clv.bgnbd_log_likelihood(CDNOW, x, t_x, T)).sum(),
            6,
        )

    def test_penalizer_shrinks_the_parameters(self):
        x, t_x, T = self._cdnow_like(300, seed=4)
        free = clv.fit_bgnbd(x, t_x, T)
        held = clv.fit_bgnbd(x, t_x, T, penalizer=0.1)
        self.assertLess(
            sum(v**2 for v in held.params.values()),
            sum(v**2 for v in free.params.values()),
        )
        # the likelihood reported is not penalised, and lower away from the optimum
        self.assertLess(held.log_likelihood, free.log_likelihood)

    # ------------------------------------------------------------
    # CLOSED FORMS
    # ------------------------------------------------------------

    def test_bgnbd_log_likelihood_by_hand(self):
        # x = 0: A2 = 1 and A4 is absent, so LL = ln(alpha^r (alpha + T)^-r)
        #   = 0.243 ln(4.414 / 43.274) = -0.55471
        # x = 2, t_x = 30.43, T = 38.86 (the first CDNOW customer):
        #   ln A1 = lnΓ(2.243) - lnΓ(0.243) + 0.243 ln 4.414 = -0.83636
        #   ln A2 = lnΓ(3.219) + lnΓ(4.426) - lnΓ(2.426) - lnΓ(5.219) = -0.49103
        #   A3 = 43.274^-2.243 = 2.1377e-4, A4 = 0.793 / 3.426 * 34.844^-2.243
        #      = 8.0444e-5, LL = -0.83636 - 0.49103 + ln(2.9421e-4) = -9.45861
        r, alpha, a, b = CDNOW.values()
        x, t_x, T = 2, 30.43, 38.86
        ln_a1 = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
        ln_a2 = (
            math.lgamma(a + b)
            + math.lgamma(b + x)
            - math.lgamma(b)
            - math.lgamma(a + b + x)
        )
        a3 = (alpha + T) ** -(r + x)
        a4 = a / (b + x - 1) * (alpha + t_x) ** -(r + x)
        expected = [
            r * math.log(alpha / (alpha + T)),
            ln_a1 + ln_a2 + math.log(a3 + a4),
        ]
        actual = clv.bgnbd_log_likelihood(CDNOW, [0, 2], [0, 30.43], [38.86, 38.86])
        np.testing.assert_allclose(actual, expected, rtol=1e-12)
        np.testing.assert_allclose(actual, [-0.55471, -9.45861], atol=1e-5)

    def test_bgnbd_likelihood_is_the_mixture_integral(self):
        # eq. 6 is the integral over λ ~ Gamma(r, alpha) and p ~ Beta(a, b) of
        # (1 - p)^x λ^x e^(-λT) + p (1 - p)^(x - 1) λ^x e^(-λ t_x); it splits into
        # one-dimensional integrals, done numerically here
        r, alpha, a, b = CDNOW.values()
        x, t_x, T = 3, 20.0, 35.0
        rate = stats.gamma(r, scale=1 / alpha).pdf
        dropout = stats.beta(a, b).pdf

        def over_rate(until):
            return integrate.quad(
                lambda lam: lam**x * math.exp(-lam * until) * rate(lam), 0, np.inf
            )[0]

        def over_dropout(f):
            return integrate.quad(lambda p: f(p) * dropout(p), 0, 1)[0]

        likelihood = over_dropout(lambda p: (1 - p) ** x) * over_rate(T) + over_dropout(
            lambda p: p * (1 - p) ** (x - 1)
        ) * over_rate(t_x)
        self.assertAlmostEqual(
            float(clv.bgnbd_log_likelihood(CDNOW, x, t_x, T)), math.log(likelihood), 6
        )

    def test_p_alive_by_hand(self):
        # x = 2, t_x = 30.43, T = 38.86: a / (b + x - 1) = 0.793 / 3.426 = 0.231465,
        # (alpha + T) / (alpha + t_x) = 43.274 / 34.844 = 1.241935, to the power
        # r + x = 2.243: 1.625789; 1 / (1 + 0.231465 * 1.625789) = 0.726579
        p_alive = clv.bgnbd_p_alive(CDNOW, [0, 0, 2, 2], [0, 0, 30.43, 38.86], 38.86)
        # no repeat purchase: alive for sure, whatever the age
        self.assertEqual(p_alive[0], 1.0)
        self.assertEqual(p_alive[1], 1.0)
        self.assertAlmostEqual(p_alive[2], 1 / (1 + 0.231465 * 1.625789), 6)
        # a purchase today: only the chance of dropping out right after it
        self.assertAlmostEqual(p_alive[3], 1 / (1 + 0.793 / 3.426), 12)

    def test_expected_purchases_by_hand(self):
        # eq. 10 as printed, 2F1 summed as a series: z = 39 / 82.274 = 0.474
        r, alpha, a, b = CDNOW.values()
        t, x, t_x, T = 39, 2, 30.43, 38.86
        z = t / (alpha + T + t)
        bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1_series(
            r + x, b + x, a + b + x - 1, z
        )
        odds = a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
        by_hand = (a + b + x - 1) / (a - 1) * bracket / (1 + odds)
        actual = float(clv.bgnbd_expected_purchases(CDNOW, t, x, t_x, T))
        self.assertAlmostEqual(actual, by_hand, 10)
        # the value in Fader & Hardie's spreadsheet for this customer
        self.assertAlmostEqual(actual, 1.226, 3)
        # a customer who has not bought again expects fewer purchases than one who has
        self.assertLess(clv.bgnbd_expected_purchases(CDNOW, t, 0, 0, T), actual)

    def test_unconditional_expectation(self):
        # Fader & Hardie's spreadsheet, E[X(t)] for the CDNOW cohort; the published
        # parameters are rounded to 3 decimals, worth ~0.2 % at 78 weeks
        t = np.array([0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0])
        sheet = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
        unconditional = clv.bgnbd_expected_purchases_unconditional(CDNOW, t)
        np.testing.assert_allclose(unconditional, sheet, rtol=3e-3, atol=1e-4)
        # a customer who just made a first purchase: x = t_x = T = 0
        np.testing.assert_allclose(
            clv.bgnbd_expected_purchases(CDNOW, t, 0, 0, 0), unconditional, rtol=1e-10
        )
        # a == 1 divides 0 by 0: the limit is taken, continuous on both sides
        near = [
            float(clv.bgnbd_expected_purchases_unconditional(dict(CDNOW, a=a), 39))
            for a in (0.999, 1.0, 1.001)
        ]
        self.assertTrue(all(np.isfinite(near)))
        self.assertAlmostEqual(near[1], (near[0] + near[2]) / 2, 6)

    def test_conditional_expectation_averages_to_the_unconditional(self):
        # Law of total expectation: over customers all 39 weeks old, the mean of
        # E[purchases in (39, 78] | history] is E[X(78)] - E[X(39)]. The mean of 200k
        # simulated customers has a standard error of 0.002 here.
        x, t_x, T = clv.simulate_bgnbd(CDNOW, 200000, 39.0, rng=1)
        conditional = clv.bgnbd_expected_purchases(CDNOW, 39, x, t_x, T)
        before, after = clv.bgnbd_expected_purchases_unconditional(CDNOW, [39, 78])
        standard_error = conditional.std() / math.sqrt(len(conditional))
        self.assertAlmostEqual(
            conditional.mean(), after - before, delta=4 * standard_error
        )
        # and the simulated purchase counts match eq. 7
        self.assertAlmostEqual(x.mean(), before, delta=4 * x.std() / math.sqrt(len(x)))

    def test_gamma_gamma_by_hand(self):
        # x = 2, m = 35: (15.44 + 35 * 2) * 6.25 / (6.25 * 2 + 3.74 - 1) = 534 / 15.24
        # = 35.03937; x = 0: 6.25 * 15.44 / 2.74 = 35.21898, whatever m says
        values = clv.gamma_gamma_expected_value(CDNOW_SPEND, [2, 0, 0], [35, 0, np.nan])
        np.testing.assert_allclose(values, [534 / 15.24, 96.5 / 2.74, 96.5 / 2.74])
        # the likelihood of a mean of x transactions is the integral over ν of
        # Gamma(m; p x, rate x ν) times Gamma(ν; q, rate gamma)
        p, q, v = CDNOW_SPEND.values()
        x, m = 3, 42.0
        density = integrate.quad(
            lambda nu: (
                stats.gamma(p * x, scale=1 / (x * nu)).pdf(m)
                * stats.gamma(q, scale=1 / v).pdf(nu)
            ),
            0,
            np.inf,
        )[0]
        self.assertAlmostEqual(
            float(clv.gamma_gamma_log_likelihood(CDNOW_SPEND, x, m)),
            math.log(density),
            6,
        )

    def test_numerically_safe_for_heavy_buyers(self):
        # 300 repeat purchases over 5000 days, in days: naively
        # ((alpha + T) / (alpha + t_x)) ** (r + x) = (5004 / 104) ** 300.2 overflows
        params = dict(CDNOW, alpha=CDNOW["alpha"] * 7)
        x = np.array([300, 300, 300])
        t_x = np.array([100.0, 4000.0, 5000.0])
        T = 5000.0
        ll = clv.bgnbd_log_likelihood(params, x, t_x, T)
        p_alive = clv.bgnbd_p_alive(params, x, t_x, T)
        expected = clv.bgnbd_expected_purchases(params, 365, x, t_x, T)
        self.assertTrue(np.isfinite(ll).all())
        self.assertTrue(((p_alive >= 0) & (p_alive <= 1)).all())
        self.assertTrue(np.isfinite(expected).all())
        # silent for 4900 days: gone; bought today: still buying about 300 / 5000
        # a day, less the chance of dropping out during the year
        self.assertLess(p_alive[0], 1e-100)
        self.assertLess(expected[0], 1e-100)
        self.assertGreater(p_alive[2], 0.99)
        self.assertTrue(15 < expected[2] < 365 * 300 / 5000)
        self.assertTrue(expected[0] < expected[1] < expected[2])
        # a fit with such buyers among ordinary ones
        x, t_x, T = self._cdnow_like(500, seed=9)
        fit = clv.fit_bgnbd(np.r_[x, 300, 250], np.r_[t_x, 38, 20], np.r_[T, 39, 39])
        self.assertTrue(np.isfinite(fit.log_likelihood))

    # ------------------------------------------------------------
    # CLV
    # ------------------------------------------------------------

    def test_clv_discount_margin_and_lost_customers(self):
        x = np.array([4, 4, 0, 30])
        t_x = np.array([36.0, 36.0, 0.0, 1.0])
        T = np.array([39.0, 39.0, 39.0, 100.0])
        m = np.array([40.0, 40.0, np.nan, 40.0])

        def value(**kwargs):
            return clv.clv(CDNOW, CDNOW_SPEND, x, t_x, T, m, **{"months": 12, **kwargs})

        low, high = value(monthly_discount=0.01), value(monthly_discount=0.05)
        self.assertTrue((high[:3] < low[:3]).all())
        np.testing.assert_allclose(
            value(monthly_discount=0.01, margin=0.3), 0.3 * low, rtol=1e-12
        )
        # 30 purchases in the first week of 100: p_alive ~ 1e-30, nothing to expect
        self.assertLess(clv.bgnbd_p_alive(CDNOW, 30, 1.0, 100.0), 1e-20)
        self.assertLess(low[3], 1e-20)
        # undiscounted, the months add up to a year of purchases times their value
        spend = clv.gamma_gamma_expected_value(CDNOW_SPEND, x, np.nan_to_num(m))
        year = clv.bgnbd_expected_purchases(CDNOW, 360 / 7, x, t_x, T)
        np.testing.assert_allclose(value(monthly_discount=0), year * spend, rtol=1e-10)
        # two months by hand: E1 / 1.05 + (E2 - E1) / 1.05^2
        e1, e2 = (
            clv.bgnbd_expected_purchases(CDNOW, days / 7, x, t_x, T)
            for days in (30, 60)
        )
        np.testing.assert_allclose(
            value(months=2, monthly_discount=0.05),
            (e1 / 1.05 + (e2 - e1) / 1.05**2) * spend,
            rtol=1e-10,
        )
        np.testing.assert_array_equal(value(months=0, monthly_discount=0.01), 0)

    def test_clv_time_unit(self):
        # the same model counted in days: rates per day are 7 times lower, so alpha
        # is 7 times higher, and the value must not change
        x, t_x, T, m = [4, 1], [36.0, 3.0], [39.0, 20.0], [40.0, 12.0]
        weekly = clv.clv(CDNOW, CDNOW_SPEND, x, t_x, T, m, 24, 0.01)
        daily = clv.clv(
            dict(CDNOW, alpha=CDNOW["alpha"] * 7),
            CDNOW_SPEND,
            x,
            np.multiply(t_x, 7),
            np.multiply(T, 7),
            m,
            24,
            0.01,
            time_unit_days=1,
        )
        np.testing.assert_allclose(daily, weekly, rtol=1e-9)

    # ------------------------------------------------------------
    # FAILURES
    # ------------------------------------------------------------

    def test_fits_refuse_unusable_data(self):
        with self.assertRaisesRegex(ValueError, "too few customers"):
            clv.fit_bgnbd([1, 0, 2], [3.0, 0, 5.0], [10.0, 10.0, 10.0])
        with self.assertRaisesRegex(ValueError, "no customer has a repeat purchase"):
            clv.fit_bgnbd([0] * 50, [0.0] * 50, [39.0] * 50)
        with self.assertRaisesRegex(ValueError, "missing or infinite"):
            clv.fit_bgnbd([1] * 20, [2.0] * 20, [np.nan] + [39.0] * 19)
        with self.assertRaisesRegex(ValueError, "between the first one and now"):
            clv.fit_bgnbd([1] * 20, [40.0] * 20, [39.0] * 20)
        x, t_x, T = self._cdnow_like(500, seed=2)
        with self.assertRaisesRegex(ValueError, "the fit did not converge: "):
            clv.fit_bgnbd(x, t_x, T, maxiter=5)
        # 5 repeat buyers among 100 customers
        with self.assertRaisesRegex(
            ValueError,
            "too few customers with repeat purchases to fit the spend model",
        ):
            clv.fit_gamma_gamma([1] * 5 + [0] * 95, [20.0] * 5 + [0.0] * 95)
        with self.assertRaisesRegex(ValueError, "positive mean spend"):
            clv.fit_gamma_gamma([1] * 20, [0.0] + [20.0] * 19)

    def test_spend_model_needs_a_finite_mean(self):
        # spends drawn with q = 0.7: the mean spend of the population is infinite
        rng = np.random.default_rng(0)
        x = 1 + rng.poisson(2, 2000)
        m = clv.simulate_gamma_gamma({"p": 2.0, "q": 0.7, "gamma": 15.0}, x, rng)
        with self.assertRaisesRegex(ValueError, "not above 1"):
            clv.fit_gamma_gamma(x, m)
        with self.assertRaisesRegex(ValueError, "no finite mean"):
            clv.gamma_gamma_expected_value({"p": 2.0, "q": 0.9, "gamma": 15.0}, 0, 0)
