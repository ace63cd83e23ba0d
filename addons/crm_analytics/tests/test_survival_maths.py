from datetime import date

import numpy as np

from odoo.tests import BaseCase, tagged

from ..tools import survival


def simulate(n, betas, seed=7, base_hazard=0.002, horizon=1500):
    """Exponential times with hazard ``base_hazard * exp(beta . z)`` per day, 0/1
    and normal covariates, censored uniformly over ``horizon`` days; durations
    rounded up to whole days as the product reads them."""
    rng = np.random.default_rng(seed)
    z = np.column_stack(
        [
            (rng.random(n) < 0.3).astype(float),
            (rng.random(n) < 0.2).astype(float),
            rng.normal(size=n),
        ]
    )
    times = rng.exponential(1 / (base_hazard * np.exp(z @ np.asarray(betas))))
    censor = rng.uniform(0, horizon, n)
    return np.ceil(np.minimum(times, censor)), times <= censor, z


@tagged("post_install", "-at_install")
class TestSurvivalMaths(BaseCase):
    def test_survival_table_days(self):
        first = np.array([date(2026, 1, 1).toordinal()] * 3)
        last = np.array(
            [date(2026, 1, 1).toordinal(), date(2026, 3, 1).toordinal(),
             date(2026, 3, 1).toordinal()]
        )  # fmt: skip
        reference = date(2026, 6, 30).toordinal()
        durations, events, entries = survival.survival_table(
            first, last, reference, [True, True, False]
        )
        # a one-day customer who left; one who left on his last purchase, 59 days
        # later; one still a customer on the reference day
        self.assertEqual(durations.tolist(), [1.0, 60.0, 181.0])
        self.assertEqual(events.tolist(), [True, True, False])
        self.assertEqual(entries.tolist(), [0.0, 0.0, 0.0])
        with self.assertRaises(ValueError):
            survival.survival_table(last, first, reference, [True, True, False])
        # traits measured from 2026-02-01: subjects enter the risk set on that day
        start = date(2026, 1, 31).toordinal()
        durations, events, entries = survival.survival_table(
            first[1:], last[1:], reference, [True, False], window_start=start
        )
        self.assertEqual(entries.tolist(), [31.0, 31.0])
        self.assertEqual(durations.tolist(), [60.0, 181.0])
        # the one-day customer left before the window: not a subject
        with self.assertRaisesRegex(ValueError, "without a purchase after"):
            survival.survival_table(
                first, last, reference, [True] * 3, window_start=start
            )

    def test_recovers_known_hazard_ratios_as_lifelines(self):
        import pandas as pd
        from lifelines import CoxPHFitter

        betas = [np.log(1.8), np.log(0.6), 0.3]
        durations, events, z = simulate(4000, betas)
        result = survival.fit_cox(
            durations,
            events,
            {
                "late": z[:, 0],
                "loyal": z[:, 1],
                "score": z[:, 2],
                "same": np.ones(4000),
            },
        )
        self.assertEqual(result.dropped, ["same"])
        self.assertEqual(result.n_subjects, 4000)
        self.assertEqual(result.n_events, int(events.sum()))
        self.assertGreater(result.concordance, 0.55)
        reference = CoxPHFitter().fit(
            pd.DataFrame(
                {"late": z[:, 0], "loyal": z[:, 1], "score": z[:, 2],
                 "T": durations, "E": events}
            ),
            "T",
            "E",
        )  # fmt: skip
        for covariate, beta in zip(result.covariates, betas, strict=True):
            # the true ratio lies in the interval; the figures are lifelines' own
            self.assertLess(covariate.ci_low, np.exp(beta), covariate.name)
            self.assertGreater(covariate.ci_high, np.exp(beta), covariate.name)
            self.assertAlmostEqual(
                covariate.hazard_ratio,
                reference.hazard_ratios_[covariate.name],
                places=6,
            )
            self.assertLess(covariate.p_value, 1e-3)
            # exponential times have proportional hazards: the check passes
            self.assertGreater(covariate.ph_p_value, 0.01, covariate.name)

    def test_detects_non_proportional_hazards(self):
        # the trait doubles the hazard early and halves it late: the ratio changes
        rng = np.random.default_rng(3)
        n = 3000
        trait = (rng.random(n) < 0.5).astype(float)
        early = rng.exponential(1 / (0.01 * np.where(trait, 4.0, 1.0)))
        late = 100 + rng.exponential(1 / (0.01 * np.where(trait, 0.25, 1.0)), n)
        times = np.where(early < 100, early, late)
        durations = np.ceil(np.minimum(times, 400))
        result = survival.fit_cox(durations, times <= 400, {"trait": trait})
        self.assertLess(result.covariates[0].ph_p_value, 0.01)

    def test_delayed_entry_as_lifelines(self):
        import pandas as pd
        from lifelines import CoxPHFitter

        durations, events, z = simulate(3000, [np.log(2.0), 0.0, 0.0], seed=5)
        entries = np.minimum(durations - 1, 100.0)
        result = survival.fit_cox(durations, events, {"late": z[:, 0]}, entries=entries)
        reference = CoxPHFitter().fit(
            pd.DataFrame({"late": z[:, 0], "T": durations, "E": events, "S": entries}),
            "T",
            "E",
            entry_col="S",
        )
        self.assertAlmostEqual(
            result.covariates[0].hazard_ratio,
            reference.hazard_ratios_["late"],
            places=6,
        )

    def test_too_few_events(self):
        durations, events, z = simulate(200, [0.5, 0.0, 0.0])
        events = np.zeros(200, dtype=bool)
        events[:9] = True
        with self.assertRaisesRegex(ValueError, "only 9 churned .* at least 10"):
            survival.fit_cox(durations, events, {"late": z[:, 0]})

    def test_every_covariate_constant(self):
        durations, events, _z = simulate(200, [0.5, 0.0, 0.0])
        with self.assertRaisesRegex(ValueError, "same value"):
            survival.fit_cox(durations, events, {"late": np.zeros(200)})

    def test_perfect_separation_is_left_out(self):
        """A trait every churned customer has and no other customer: the partial
        likelihood has no maximum (beta runs off to infinity). lifelines stops
        with a warning, not a ConvergenceError, and returns a hazard ratio of
        about 4e8 with a confidence interval of [0, inf] (which the web client's
        JSON cannot carry). The trait is left out and named, the others fitted;
        alone, it fails the fit."""
        durations, _events, z = simulate(200, [0.5, 0.0, 0.0])
        separated = z[:, 0] == 1
        result = survival.fit_cox(
            durations, separated, {"late": z[:, 0], "other": z[:, 2]}
        )
        self.assertEqual(result.dropped, ["late"])
        self.assertEqual([c.name for c in result.covariates], ["other"])
        self.assertTrue(np.isfinite(result.covariates[0].ci_high))
        with self.assertRaisesRegex(ValueError, "does not converge"):
            survival.fit_cox(durations, separated, {"late": z[:, 0]})

    def test_a_trait_repeating_another_is_left_out(self):
        """Every complaint missed its SLA: the two traits are the same column, the
        likelihood has no single maximum and lifelines stops on the singular
        matrix. The repeat is left out and named, as a constant trait is, and the
        other traits are fitted, instead of the whole model failing with "a trait
        separates the churned customers completely"."""
        durations, events, z = simulate(400, [0.7, 0.0, 0.3])
        result = survival.fit_cox(
            durations,
            events,
            {"complaints": z[:, 0], "sla_breach": z[:, 0].copy(), "other": z[:, 2]},
        )
        self.assertEqual(result.dropped, ["sla_breach"])
        self.assertEqual([c.name for c in result.covariates], ["complaints", "other"])
        alone = survival.fit_cox(
            durations, events, {"complaints": z[:, 0], "other": z[:, 2]}
        )
        self.assertAlmostEqual(
            result.covariates[0].hazard_ratio,
            alone.covariates[0].hazard_ratio,
            places=6,
        )
