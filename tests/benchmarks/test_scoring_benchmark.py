"""The scoring benchmark, small, inside ``make test``: the runner works end to end and
its figures hang together. Speed is not asserted here; ``make bench`` measures it at
100k customers (README)."""

from odoo.tests import tagged

from .common import BenchmarkCase


@tagged("post_install", "-at_install")
class TestScoringBenchmark(BenchmarkCase):
    def test_runner_at_small_scale(self):
        result = self.run_benchmark(
            "bench_scoring.py", "--customers", 300, "--incremental", 50
        )
        generated = result["generated"]
        self.assertEqual(generated["customers"], 300)
        self.assertEqual(generated["invoice_lines"], 2 * generated["invoices"])
        self.assertGreater(generated["payments"], 0)
        # every generated customer has a posted document, so every one is scored
        self.assertGreaterEqual(result["scored_customers"], 300)
        self.assertEqual(result["incremental_customers"], 50)
        self.assertTrue(result["incremental_matches_full"])
        self.assertGreater(result["transfers"], 0)
        self.assertEqual(result["scored_transfers_without_tier"], 0)
        for key in (
            "floor_s", "full_s", "incremental_s", "peak_rss_mb",
            "transfer_tier_incremental_s", "transfer_tier_all_s",
            "transfer_tier_fill_s",
        ):  # fmt: skip
            self.assertGreater(result[key], 0, key)
        self.assertAlmostEqual(
            result["full_vs_floor"], result["full_s"] / result["floor_s"], delta=0.05
        )
