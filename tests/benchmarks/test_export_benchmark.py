"""The KPI values export benchmark, small, inside ``make test``: the runner works end
to end, its figures hang together and its workbook holds every row. Speed and memory
are not asserted here; the benchmark measures them at 100k rows (README)."""

import tempfile
from pathlib import Path

import openpyxl

from odoo.tests import tagged

from .common import BenchmarkCase

ROWS = 2000


@tagged("post_install", "-at_install")
class TestExportBenchmark(BenchmarkCase):
    def test_runner_at_small_scale(self):
        with tempfile.TemporaryDirectory() as tmpdir:
            output = Path(tmpdir, "values.xlsx")
            result = self.run_benchmark(
                "bench_export.py", "--rows", ROWS, "--output", output
            )
            workbook = openpyxl.load_workbook(output, read_only=True)
            rows = list(workbook.active.values)
            workbook.close()

        self.assertEqual(result["rows_inserted"], ROWS)
        self.assertEqual(result["rows"], ROWS)
        for key in ("seconds", "rss_before_mb", "peak_rss_mb", "file_mb"):
            self.assertGreater(result[key], 0, key)
        # the peak is a high-water mark: never below what was resident before
        self.assertGreaterEqual(result["peak_rss_mb"], result["peak_rss_before_mb"])
        self.assertGreaterEqual(result["peak_rss_mb"] + 0.2, result["rss_before_mb"])
        self.assertAlmostEqual(
            result["export_delta_mb"],
            result["peak_rss_mb"] - result["rss_before_mb"],
            delta=0.15,
        )
        speed = ROWS / result["seconds"]
        self.assertAlmostEqual(result["rows_per_s"], speed, delta=0.01 * speed)

        # the header and one row per snapshot, all of the benchmark's scorecards
        self.assertEqual(len(rows), ROWS + 1)
        self.assertEqual(rows[0][:2], ("Scorecard", "KPI"))
        self.assertEqual(
            {row[0] for row in rows[1:]},
            {"Benchmark scorecard 0", "Benchmark scorecard 1"},
        )
        self.assertEqual({row[1] for row in rows[1:]}, {"Benchmark customers"})
        # every 20th value could not be said: an empty cell
        self.assertEqual(sum(row[6] is None for row in rows[1:]), ROWS // 20)
