import math
from pathlib import Path

import numpy as np
from scipy import integrate

from odoo.tests import BaseCase, tagged

from ..tools import clv

DATA = Path(__file__).parent / "data"

# Published CDNOW estimates: BG/NBD and Pareto/NBD from Fader, Hardie & Lee 2005
# ("Counting your customers the easy way", table 1), MBG/NBD as lifetimes'
# ModifiedBetaGeoFitter 0.11.3 fits it on the same data (checked once, by hand)
PUBLISHED = {
    "bgnbd": ({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, -9582.4),
    "mbgnbd": ({"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}, -9582.1),
    "pareto_nbd": ({"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}, -9595.0),
}
# parameters for the checks against numerical integration: shapes above 1, so that
# the mixing densities are bounded and quad converges tightly
SMOOTH = {
    "bgnbd": {"r": 1.4, "alpha": 6.0, "a": 1.5, "b": 3.0},
    "mbgnbd": {"r": 1.4, "alpha": 6.0, "a": 1.5, "b": 3.0},
    "pareto_nbd": {"r": 1.4, "alpha": 6.0, "s": 1.3, "beta": 9.0},
}
CUSTOMERS = ((0, 0.0, 30.0), (1, 4.0, 30.0), (6, 10.0, 38.0))


def _sig3(value):
    return float(f"{value:.3g}")


def _cdnow():
    data = np.loadtxt(DATA / "cdnow_customers_summary.csv", delimiter=",", skiprows=1)
    return data[:, 1], data[:, 2], data[:, 3]


def _individual(model, x, t_x, T):
    """The individual-level likelihood, the part of it where the customer is
    still alive at T, and the purchases an alive customer makes over the next t,
    as functions of (rate, dropout) for the model's mixing distributions."""
    if model == "pareto_nbd":

        def likelihood(lam, mu):
            total = lam + mu
            return lam**x * (
                math.exp(-total * T)
                + mu / total * (math.exp(-total * t_x) - math.exp(-total * T))
            )

        def alive(lam, mu):
            return lam**x * math.exp(-(lam + mu) * T)

        def future(lam, mu, t):
            return lam / mu * -math.expm1(-mu * t)

        return likelihood, alive, future
    modified = model == "mbgnbd"

    def likelihood(lam, p):
        stays = (1 - p) ** (x + modified) * lam**x * math.exp(-lam * T)
        if x or modified:
            stays += p * (1 - p) ** (x - 1 + modified) * lam**x * math.exp(-lam * t_x)
        return stays

    def alive(lam, p):
        return (1 - p) ** (x + modified) * lam**x * math.exp(-lam * T)

    def future(lam, p, t):
        return -math.expm1(-lam * p * t) / p

    return likelihood, alive, future


def _gamma_pdf(shape, rate):
    log_norm = shape * math.log(rate) - math.lgamma(shape)

    def pdf(value):
        return math.exp(log_norm + (shape - 1) * math.log(value) - rate * value)

    return pdf


def _beta_pdf(a, b):
    log_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)

    def pdf(value):
        return math.exp(
            log_norm + (a - 1) * math.log(value) + (b - 1) * math.log1p(-value)
        )

    return pdf


def _mixture(model, params, function):
    """∫∫ function(λ, θ) g(λ) h(θ): θ the dropout probability (beta) or rate
    (gamma). The densities are written out: scipy.stats' are slow per point."""
    rate = _gamma_pdf(params["r"], params["alpha"])
    if model == "pareto_nbd":
        dropout = _gamma_pdf(params["s"], params["beta"])
        upper = np.inf
    else:
        dropout = _beta_pdf(params["a"], params["b"])
        upper = 1.0

    def integrand(theta, lam):
        if not (lam > 0 and 0 < theta < upper):
            return 0.0
        return function(lam, theta) * rate(lam) * dropout(theta)

    value, _error = integrate.dblquad(
        integrand, 0, np.inf, 0, upper, epsabs=0, epsrel=1e-8
    )
    return value


@tagged("post_install", "-at_install")
class TestPurchaseModels(BaseCase):
    def test_registry(self):
        self.assertEqual(set(clv.PURCHASE_MODELS), {"bgnbd", "mbgnbd", "pareto_nbd"})
        self.assertEqual(
            clv.PURCHASE_MODELS["pareto_nbd"].params, ("r", "alpha", "s", "beta")
        )
        for key, model in clv.PURCHASE_MODELS.items():
            self.assertEqual(model.key, key)
            self.assertTrue(model.label and model.source)

    def test_cdnow_published_estimates(self):
        x, t_x, T = _cdnow()
        self.assertEqual(len(x), 2357)
        for key, (published, log_likelihood) in PUBLISHED.items():
            with self.subTest(key):
                fit = clv.PURCHASE_MODELS[key].fit(x, t_x, T)
                for name, value in published.items():
                    self.assertEqual(_sig3(fit.params[name]), _sig3(value), fit.params)
                self.assertAlmostEqual(fit.log_likelihood, log_likelihood, delta=0.06)

    def test_warm_start_reaches_the_same_optimum_sooner(self):
        """The hold-out refit starts from the whole history's parameters: on the
        CDNOW customers with ages 9 weeks shorter (recencies capped), started
        from the fit of the whole data, each model reaches the optimum of a cold
        start, in fewer iterations."""
        x, t_x, T = _cdnow()
        keep = T > 9
        x, t_x, T = x[keep], np.minimum(t_x[keep], T[keep] - 9), T[keep] - 9
        x = np.where(t_x > 0, x, 0)
        for key, model in clv.PURCHASE_MODELS.items():
            with self.subTest(key):
                whole = model.fit(*_cdnow())
                cold = model.fit(x, t_x, T)
                warm = model.fit(x, t_x, T, start=whole.params)
                self.assertAlmostEqual(
                    warm.log_likelihood, cold.log_likelihood, delta=1e-3
                )
                for name in model.params:
                    self.assertEqual(
                        _sig3(warm.params[name]), _sig3(cold.params[name]), key
                    )
                self.assertLess(warm.iterations, cold.iterations)
                # parameters that cannot start a search are ignored
                bad = dict.fromkeys(model.params, float("nan"))
                self.assertEqual(model.fit(x, t_x, T, start=bad).params, cold.params)

    def test_simulated_customers_give_back_their_parameters(self):
        # 20000 customers acquired over 12 weeks, watched until week 39, dates in
        # whole days. Between seeds the estimates move by up to 10 % (r, alpha) and
        # 30 % (a and b, s and beta, which move together); what the data pin down,
        # the purchases expected of a new customer over a year, moves by 2 %.
        rng = np.random.default_rng(17)
        T = rng.integers(27 * 7, 39 * 7 + 1, 20000) / 7
        bounds = {"r": 0.2, "alpha": 0.2, "a": 0.4, "b": 0.4, "s": 0.4, "beta": 0.45}
        for key, (truth, _ll) in PUBLISHED.items():
            with self.subTest(key):
                model = clv.PURCHASE_MODELS[key]
                x, t_x, T_ = model.simulate(truth, len(T), T, rng)
                t_x = np.round(t_x * 7) / 7
                fit = model.fit(x, t_x, T_)
                for name, value in truth.items():
                    self.assertAlmostEqual(
                        fit.params[name] / value, 1, delta=bounds[name], msg=fit.params
                    )
                at_truth = model.log_likelihood(truth, x, t_x, T_).sum()
                self.assertGreaterEqual(fit.log_likelihood, at_truth)
                self.assertLess(fit.log_likelihood - at_truth, 20)
                self.assertAlmostEqual(
                    float(model.expected_purchases_unconditional(fit.params, 52))
                    / float(model.expected_purchases_unconditional(truth, 52)),
                    1,
                    delta=0.06,
                )

    def test_closed_forms_are_the_mixture_integrals(self):
        t = 13.0
        for key, params in SMOOTH.items():
            model = clv.PURCHASE_MODELS[key]
            for x, t_x, T in CUSTOMERS:
                with self.subTest(key, x=x, t_x=t_x, T=T):
                    likelihood, alive, future = _individual(key, x, t_x, T)
                    total = _mixture(key, params, likelihood)
                    self.assertAlmostEqual(
                        float(model.log_likelihood(params, x, t_x, T)),
                        math.log(total),
                        6,
                    )
                    self.assertAlmostEqual(
                        float(model.p_alive(params, x, t_x, T)),
                        _mixture(key, params, alive) / total,
                        7,
                    )
                    expected = _mixture(
                        key,
                        params,
                        lambda lam, theta, alive=alive, future=future: (
                            alive(lam, theta) * future(lam, theta, t)
                        ),
                    )
                    self.assertAlmostEqual(
                        float(model.expected_purchases(params, t, x, t_x, T)),
                        expected / total,
                        6,
                    )

    def test_unconditional_is_the_conditional_of_a_new_customer(self):
        t = np.array([1.0, 13.0, 39.0, 78.0])
        for key, (params, _ll) in PUBLISHED.items():
            model = clv.PURCHASE_MODELS[key]
            with self.subTest(key):
                np.testing.assert_allclose(
                    model.expected_purchases(params, t, 0, 0, 0),
                    model.expected_purchases_unconditional(params, t),
                    rtol=1e-9,
                )
        # s == 1 and a == 1: the limits, continuous with their neighbours
        for key, name in (("pareto_nbd", "s"), ("mbgnbd", "a")):
            params = dict(PUBLISHED[key][0], **{name: 1.0})
            near = dict(params, **{name: 1.0 + 1e-6})
            model = clv.PURCHASE_MODELS[key]
            self.assertAlmostEqual(
                float(model.expected_purchases(params, 39, 2, 20, 30)),
                float(model.expected_purchases(near, 39, 2, 20, 30)),
                5,
            )

    def test_one_time_buyers_fade_except_under_bgnbd(self):
        ages = np.array([1.0, 13.0, 52.0, 104.0])
        for key, (params, _ll) in PUBLISHED.items():
            alive = clv.PURCHASE_MODELS[key].p_alive(params, 0, 0, ages)
            with self.subTest(key):
                if key == "bgnbd":
                    np.testing.assert_array_equal(alive, 1.0)
                else:
                    self.assertTrue((np.diff(alive) < 0).all(), alive)
                    self.assertLess(alive[-1], 0.5 * alive[0])

    def test_many_purchases_stay_finite(self):
        # the 2F1 of Pareto/NBD's A0 grows like (1 - z)^-(r + x) before Euler's
        # transformation: x in the hundreds overflowed it
        for key, (params, _ll) in PUBLISHED.items():
            model = clv.PURCHASE_MODELS[key]
            x = np.array([0, 50, 400, 2000])
            t_x = np.array([0, 300, 310, 312])
            T = np.full(4, 312.0)
            with self.subTest(key):
                self.assertTrue(
                    np.isfinite(model.log_likelihood(params, x, t_x, T)).all()
                )
                alive = model.p_alive(params, x, t_x, T)
                self.assertTrue(((alive >= 0) & (alive <= 1)).all())
                self.assertGreater(alive[-1], 0.99)
                expected = model.expected_purchases(params, 52, x, t_x, T)
                self.assertTrue(np.isfinite(expected).all())
                # a customer buying 2000 times in 312 weeks buys ~6.4 a week
                self.assertAlmostEqual(expected[-1] / (52 * 2000 / 312), 1, delta=0.1)

    def test_weights_and_penalizer(self):
        rng = np.random.default_rng(3)
        for key in ("mbgnbd", "pareto_nbd"):
            model = clv.PURCHASE_MODELS[key]
            x, t_x, T = model.simulate(PUBLISHED[key][0], 400, 39.0, rng)
            t_x = np.round(t_x * 7) / 7
            counts = rng.integers(1, 4, 400)
            with self.subTest(key):
                weighted = model.fit(x, t_x, T, weights=counts)
                expanded = model.fit(
                    np.repeat(x, counts), np.repeat(t_x, counts), np.repeat(T, counts)
                )
                self.assertAlmostEqual(
                    weighted.log_likelihood, expanded.log_likelihood, 5
                )
                held = model.fit(x, t_x, T, penalizer=0.1)
                self.assertLess(
                    sum(v**2 for v in held.params.values()),
                    sum(v**2 for v in model.fit(x, t_x, T).params.values()),
                )
                with self.assertRaises(ValueError):
                    model.fit([0] * 20, [0] * 20, [10] * 20)

    def test_baseline_repeats_the_past_rate(self):
        np.testing.assert_allclose(
            clv.baseline_expected_purchases(13, [0, 2, 4, 3], [26, 26, 13, 0]),
            [0, 1, 4, 0],
        )

    def test_grade_cutoffs(self):
        self.assertEqual(clv.mean_absolute_error([1, 3], [2, 1]), 1.5)
        self.assertAlmostEqual(clv.improvement(0.8, 1.0), 0.2)
        self.assertIsNone(clv.improvement(0.5, 0.0))
        for value, letter in ((0.2, "A"), (0.5, "A"), (0.1999, "B"), (0.05, "B")):
            self.assertEqual(clv.grade(value), letter)
        for value in (0.0499, 0.0, -1.0):
            self.assertEqual(clv.grade(value), "C")
        self.assertIsNone(clv.grade(None))
        np.testing.assert_array_equal(
            clv.top_share([5, 1, 9, 3, 7, 2, 8, 4, 6, 0]),
            [0, 0, 1, 0, 0, 0, 1, 0, 0, 0],
        )
        self.assertEqual(clv.top_share([3.0]).tolist(), [True])

    def test_parameters_running_off_stop_early(self):
        # nobody ever drops out: Pareto/NBD's beta runs off to infinity (a dropout
        # rate of 0); the fit stops as not converging (the model then tries a
        # penalty, or keeps another model) instead of thousands of slow steps
        rng = np.random.default_rng(5)
        T = rng.integers(27 * 7, 39 * 7 + 1, 3000) / 7
        x = rng.poisson(rng.gamma(0.6, 1 / 10.0, 3000) * T)
        t_x = np.round(np.where(x > 0, T * rng.beta(np.maximum(x, 1), 1), 0.0) * 7) / 7
        # said in the user's terms: nobody leaves, whichever model
        for fit in (clv.fit_pareto_nbd, clv.fit_mbgnbd):
            with self.assertRaisesRegex(
                ValueError, "did not converge: the history shows almost no customer"
            ):
                fit(x, t_x, T)
