"""The cohort and churn reports benchmark, small, inside ``make test``: the runner
refreshes and reads both reports, stored and live, and they agree. Speed is not
asserted here; ``make bench`` measures it at 100k customers (README)."""

from odoo.tests import tagged

from .common import BenchmarkCase


@tagged("post_install", "-at_install")
class TestReportsBenchmark(BenchmarkCase):
    def test_runner_at_small_scale(self):
        result = self.run_benchmark("bench_reports.py", "--customers", 300)
        self.assertGreater(result["customers"], 250)
        for key in ("cohort", "churn"):
            # the stored reads give what the live query gave, read for read
            self.assertTrue(result[f"{key}_same"], key)
            self.assertGreater(result[f"{key}_rows"], 0, key)
            for measure in ("refresh_s", "live_s", "stored_s"):
                self.assertGreater(result[f"{key}_{measure}"], 0, measure)
            self.assertAlmostEqual(
                result[f"{key}_stored_vs_live"],
                result[f"{key}_stored_s"] / result[f"{key}_live_s"],
                delta=0.01,
            )
            self.assertGreater(result[f"{key}_speedup"], 0, key)
        self.assertEqual(result["cohort_reads"], 5)
        self.assertGreater(result["peak_rss_mb"], 0)
