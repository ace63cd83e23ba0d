"""The lifetime value benchmark, small, inside ``make test``: the runner fits and
scores end to end and its figures hang together. Speed and memory are not asserted
here; ``make bench`` measures them at 100k customers (README)."""

from odoo.tests import tagged

from .common import BenchmarkCase


@tagged("post_install", "-at_install")
class TestClvBenchmark(BenchmarkCase):
    def test_runner_at_small_scale(self):
        result = self.run_benchmark("bench_clv.py", "--customers", 400)
        self.assertEqual(result["fit_state"], "done", result["fit_failure"])
        # a few generated customers have no posted invoice by the calibration date
        self.assertGreater(result["customers"], 380)
        self.assertGreater(result["repeat_customers"], 0)
        # every customer with a purchase has a score row, and gets its prediction
        self.assertEqual(result["scored"], result["customers"])
        self.assertEqual(result["score_rows_written"], result["customers"])
        self.assertGreater(result["holdout_groups"], 0)
        for key in ("floor_s", "fit_s", "score_s", "peak_rss_mb"):
            self.assertGreater(result[key], 0, key)
        self.assertAlmostEqual(
            result["fit_vs_floor"], result["fit_s"] / result["floor_s"], delta=0.05
        )
        # the three purchase models tried, those that fit compared on the hold-out,
        # the best one kept
        self.assertEqual(
            set(result["candidates"]) | set(result["candidate_notes"]),
            {"bgnbd", "mbgnbd", "pareto_nbd"},
        )
        self.assertEqual(
            result["candidates"][result["model"]], min(result["candidates"].values())
        )
        self.assertIn(result["grade"], ("A", "B", "C"))
        for name in ("r", "alpha"):
            self.assertGreater(result["params"][name], 0, name)
        self.assertIn(result["spend_model"], ("gamma_gamma", "observed"))
