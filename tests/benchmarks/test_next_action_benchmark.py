"""The next-best-action benchmark, small, inside ``make test``: the runner proposes
end to end and its figures hang together. Speed is not asserted here; ``make bench``
measures it at 100k customers (README)."""

from odoo.tests import tagged

from .common import BenchmarkCase


@tagged("post_install", "-at_install")
class TestNextActionBenchmark(BenchmarkCase):
    def test_runner_at_small_scale(self):
        result = self.run_benchmark("bench_next_action.py", "--customers", 300)
        # the six shipped rules
        self.assertEqual(result["rules"], 6)
        # every eligible customer of every rule got exactly one proposal
        self.assertEqual(result["actions"], sum(result["eligible"].values()))
        self.assertGreater(result["eligible"]["overdue_payment"], 0)
        self.assertGreater(result["eligible"]["churn_risk"], 0)
        # the second morning adds nothing: the open proposals stand
        self.assertEqual(result["actions_after_again"], result["actions"])
        self.assertGreater(result["uplift_rows"], 0)
        for key in ("floor_s", "generate_s", "generate_again_s", "peak_rss_mb"):
            self.assertGreater(result[key], 0, key)
        self.assertAlmostEqual(
            result["generate_vs_floor"],
            result["generate_s"] / result["floor_s"],
            delta=0.05,
        )
