"""The churn drivers benchmark, small, inside ``make test``: the runner fits the
drivers end to end and its figures hang together. Speed and memory are not asserted
here; the 100k run measures them (README)."""

from odoo.tests import tagged

from .common import BenchmarkCase


@tagged("post_install", "-at_install")
class TestChurnDriversBenchmark(BenchmarkCase):
    def test_runner_at_small_scale(self):
        result = self.run_benchmark("bench_churn_drivers.py", "--customers", 400)
        self.assertGreater(result["customers"], 300)
        self.assertLessEqual(result["churned"], result["customers"])
        self.assertLessEqual(result["partial_defectors"], result["customers"])
        for key in (
            "read_s",
            "baseline_s",
            "drivers_s",
            "spend_change_s",
            "peak_rss_mb",
        ):
            self.assertGreater(result[key], 0, key)
        self.assertAlmostEqual(
            result["drivers_vs_baseline"],
            result["drivers_s"] / result["baseline_s"],
            delta=0.05,
        )
        if result["state"] == "done":
            self.assertTrue(result["drivers"])
            self.assertGreater(result["concordance"], 0)
        else:
            self.assertTrue(result["failure"])
