"""The recommendations benchmark, small, inside ``make test``: the runner refreshes
and grades end to end and its figures hang together. Speed and memory are not
asserted here; ``make bench`` measures them at 100k customers (README)."""

from odoo.tests import tagged

from .common import BenchmarkCase


@tagged("post_install", "-at_install")
class TestRecommendBenchmark(BenchmarkCase):
    def test_runner_at_small_scale(self):
        result = self.run_benchmark("bench_recommend.py", "--customers", 400)
        # the suite's runners may reuse the 300 customers an earlier one generated
        self.assertGreater(result["customers"], 250)
        self.assertGreater(result["products"], 100)
        self.assertEqual(result["rows_written"], result["recommendations"])
        self.assertGreater(result["customers_with_rows"], 250)
        self.assertGreater(result["evaluated"], 0)
        self.assertIn(result["grade"], ("A", "B", "C"))
        # the live answer of the partner method is the stored one
        self.assertTrue(result["live_matches_stored"])
        for key in ("floor_s", "time", "live_100_s", "peak_rss_mb"):
            self.assertGreater(result[key], 0, key)
        self.assertAlmostEqual(
            result["ratio"], result["time"] / result["floor_s"], delta=0.05
        )
