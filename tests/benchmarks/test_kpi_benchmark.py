"""The KPI engine benchmark, small, inside ``make test``: the runner works end to end,
the set-based values equal the naive ones, its figures hang together and its query
count does not grow with the owners. Speed is not asserted here; the benchmark
measures it at 200 owners, 50 KPIs and 12 months (README)."""

from odoo.tests import tagged

from .common import BenchmarkCase

KPIS = 10
PERIODS = 3
LEADS = 3000


@tagged("post_install", "-at_install")
class TestKpiBenchmark(BenchmarkCase):
    def result(self, owners, naive_owners):
        return self.run_benchmark(
            "bench_kpi.py",
            "--leads",
            LEADS,
            "--owners",
            owners,
            "--kpis",
            KPIS,
            "--periods",
            PERIODS,
            "--naive-owners",
            naive_owners,
        )

    def assertFigures(self, result, owners, sampled):
        self.assertEqual(
            result["generated"], {"leads": LEADS, "users": owners, "kpis": KPIS}
        )
        self.assertEqual(result["kpis"], KPIS)
        self.assertEqual(result["owners"], owners)
        self.assertEqual(result["periods"], PERIODS)
        self.assertEqual(result["lines"], KPIS * owners)
        self.assertEqual(result["values"], KPIS * owners * PERIODS)
        # every value of the sampled owners is checked, some of them unknown (an
        # average or a ratio over nothing) and most known
        self.assertEqual(result["naive_sampled_owners"], sampled)
        self.assertEqual(result["values_compared"], KPIS * sampled * PERIODS)
        self.assertTrue(result["values_match"])
        self.assertGreater(result["values_known"], result["values_compared"] // 2)
        for key in ("evaluate_s", "set_based_s", "naive_s_measured", "peak_rss_mb"):
            self.assertGreater(result[key], 0, key)
        self.assertAlmostEqual(
            result["naive_s_extrapolated"],
            result["naive_s_measured"] * owners / sampled,
            delta=0.002 * owners / sampled,
        )
        self.assertAlmostEqual(
            result["ratio"],
            result["naive_s_extrapolated"] / result["set_based_s"],
            delta=0.06,
        )
        # one grouped query per KPI and period at most (ratios reuse their parts),
        # and a few to read the scorecards; the naive way runs one or two per owner
        self.assertLessEqual(result["queries"], KPIS * PERIODS + 30)
        self.assertGreater(
            result["naive_queries_measured"], KPIS * sampled * PERIODS / 2
        )

    def test_runner_at_small_scale(self):
        # the naive way over every owner: nothing extrapolated
        self.assertFigures(self.result(owners=20, naive_owners=20), 20, 20)

    def test_queries_independent_of_owners(self):
        small = self.result(owners=10, naive_owners=10)
        large = self.result(owners=40, naive_owners=10)
        self.assertFigures(small, 10, 10)
        self.assertFigures(large, 40, 10)
        self.assertEqual(large["queries"], small["queries"])
