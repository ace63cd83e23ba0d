"""The scoring benchmark, small, inside ``make test``: the runner works end to end and
its figures hang together. Speed is not asserted here; ``make bench`` measures it at
100k customers (README)."""

import json
import subprocess
import sys
from pathlib import Path

import odoo
from odoo.tests import BaseCase, tagged

RUNNER = Path(__file__).with_name("bench_scoring.py")


@tagged("post_install", "-at_install")
class TestScoringBenchmark(BaseCase):
    def test_runner_at_small_scale(self):
        # its own process and transaction, rolled back: the test database is unchanged
        run = subprocess.run(
            [
                sys.executable,
                str(RUNNER),
                "-c",
                odoo.tools.config.rcfile,
                "-d",
                odoo.tools.config["db_name"],
                "--customers",
                "300",
                "--incremental",
                "50",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        self.assertEqual(run.returncode, 0, run.stderr[-3000:])
        result = json.loads(run.stdout.strip().splitlines()[-1])
        generated = result["generated"]
        self.assertEqual(generated["customers"], 300)
        self.assertEqual(generated["invoice_lines"], 2 * generated["invoices"])
        self.assertGreater(generated["payments"], 0)
        # every generated customer has a posted document, so every one is scored
        self.assertGreaterEqual(result["scored_customers"], 300)
        self.assertEqual(result["incremental_customers"], 50)
        self.assertTrue(result["incremental_matches_full"])
        for key in ("floor_s", "full_s", "incremental_s", "peak_rss_mb"):
            self.assertGreater(result[key], 0, key)
        self.assertAlmostEqual(
            result["full_vs_floor"], result["full_s"] / result["floor_s"], delta=0.05
        )
