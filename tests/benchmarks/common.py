"""Running a benchmark's runner from a test, at a small scale."""

import json
import subprocess
import sys
from pathlib import Path

import odoo
from odoo.tests import BaseCase


class BenchmarkCase(BaseCase):
    def run_benchmark(self, runner, *args):
        """Run ``runner`` (a file beside this one) on the test database, in its own
        process and transaction, rolled back: the database is unchanged. Returns the
        JSON object it prints last."""
        run = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name(runner)),
                "-c",
                odoo.tools.config.rcfile,
                "-d",
                odoo.tools.config["db_name"],
                *map(str, args),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        self.assertEqual(run.returncode, 0, run.stderr[-3000:])
        return json.loads(run.stdout.strip().splitlines()[-1])
