"""The long jobs killed mid-run, and run by two workers and a direct call at once.

Every long job of both addons runs in real Odoo processes that commit, on copies of
one database holding a small generated company (``crash_runner.py`` does the work;
see its docstring). A reference copy runs each job once, uninterrupted. A second copy
runs the same jobs, each one killed with SIGKILL at three seeded points (after the
Nth SQL statement, mid-transaction, or after the Nth commit, between two batches),
then finished by a fresh worker, as Odoo's cron does after a crash: the job's row
was never rescheduled, so it is due again. A third copy runs each job with two cron
workers and a direct call of the job's method (as a script, a server action or a
second scheduler would make, without the cron's lock) at once. After every job,
every table (ids, timestamps and references to rows the jobs made left out) must
hold the same rows as the reference: nothing lost, nothing doubled, no half-written
rows.

Run it alone::

    .venv/bin/python -m pytest --odoo-config=.local/odoo-test.conf \\
        --odoo-database=DB tests/integration/test_cron_crash.py -q -p no:cacheprovider

``CRASH_SEED`` changes the kill points (the seed is in every failure message).
"""

import difflib
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2

import odoo
from odoo.sql_db import close_db, db_connect
from odoo.tests import BaseCase, tagged
from odoo.tools import SQL

RUNNER = Path(__file__).with_name("crash_runner.py")
SEED = int(os.environ.get("CRASH_SEED", "19"))
KILLS_PER_JOB = 3
# the long jobs, in the order a day runs them, with batches small enough that the
# small company takes several
JOBS = [
    (
        "crm_relationship.ir_cron_recompute_marked",
        "model._cron_recompute_marked(batch_size=7)",
    ),
    (
        "crm_relationship.ir_cron_recompute_all",
        "model._cron_recompute_all(chunk_size=8)",
    ),
    (
        "crm_relationship.ir_cron_loyalty_evaluate_tiers",
        "model._cron_evaluate_tiers(batch_size=6)",
    ),
    (
        "crm_relationship.ir_cron_loyalty_expire_points",
        "model._cron_expire_points(batch_size=4)",
    ),
    ("crm_analytics.ir_cron_clv_refit", "model._cron_refit()"),
    ("crm_analytics.ir_cron_clv_rescore", "model._cron_rescore()"),
    ("crm_analytics.ir_cron_churn_driver_refit", "model._cron_refit()"),
    ("crm_relationship.ir_cron_next_action_generate", "model._cron_generate()"),
    ("crm_analytics.ir_cron_scorecard_daily", "model._cron_daily(batch_size=2)"),
]


def _admin_execute(query):
    """``query`` on the cluster, outside any transaction (CREATE/DROP DATABASE)."""
    with db_connect("postgres").cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute(query)


@tagged("post_install", "-at_install")
class TestCronCrash(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = odoo.tools.config["db_name"]
        cls.copies = []
        cls.tmp = tempfile.TemporaryDirectory(prefix="crash_")
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.addClassCleanup(cls._drop_copies)
        base = cls._copy(cls.db, "base")
        cls._runner(base, "setup", "--customers", "30")
        ref, crashed, raced = (cls._copy(base, n) for n in ("ref", "kill", "race"))
        plan = [{"xmlid": xmlid, "code": code} for xmlid, code in JOBS]
        cls.reference = cls._jobs(ref, plan)
        rng = random.Random(SEED)
        kill_plan = []
        for step, done in zip(plan, cls.reference["steps"], strict=True):
            statements = done["finish"][0]["statements"]
            commits = done["finish"][0]["commits"]
            kills = [
                {"statement": rng.randint(1, statements)}
                if i % 2 == 0
                else {"commit": rng.randint(1, commits)}
                for i in range(KILLS_PER_JOB)
            ]
            kill_plan.append(dict(step, kills=kills))
        race_plan = [dict(step, workers=2, direct=1) for step in plan]
        cls.crashed = cls._jobs(crashed, kill_plan)
        cls.raced = cls._jobs(raced, race_plan)
        cls.dbs = {"ref": ref, "kill": crashed, "race": raced}

    @classmethod
    def _copy(cls, template, suffix):
        """A copy of ``template``: CREATE DATABASE needs it to have no session,
        so this process's idle connections to it are closed first."""
        name = f"{cls.db}_crash_{suffix}"
        close_db(template)
        _admin_execute(SQL("DROP DATABASE IF EXISTS %s", SQL.identifier(name)))
        try:
            _admin_execute(
                SQL(
                    "CREATE DATABASE %s TEMPLATE %s",
                    SQL.identifier(name),
                    SQL.identifier(template),
                )
            )
        except psycopg2.errors.ObjectInUse as error:
            with db_connect("postgres").cursor() as cr:
                cr.execute(
                    SQL(
                        "SELECT pid, application_name, state, query"
                        " FROM pg_stat_activity WHERE datname = %s",
                        template,
                    )
                )
                raise AssertionError(
                    f"{template} cannot be copied, it has sessions: {cr.fetchall()}"
                ) from error
        cls.copies.append(name)
        return name

    @classmethod
    def _drop_copies(cls):
        for name in reversed(cls.copies):
            close_db(name)
            _admin_execute(
                SQL("DROP DATABASE IF EXISTS %s WITH (FORCE)", SQL.identifier(name))
            )

    @classmethod
    def _runner(cls, database, *args):
        run = subprocess.run(
            [
                sys.executable,
                str(RUNNER),
                "-c",
                odoo.tools.config.rcfile,
                "-d",
                database,
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if run.returncode:
            raise AssertionError(
                f"{args[0]} failed on {database}:\n{run.stderr[-4000:]}"
            )
        return json.loads(run.stdout.strip().splitlines()[-1])

    @classmethod
    def _jobs(cls, database, plan):
        path = Path(cls.tmp.name, f"{database}.json")
        path.write_text(json.dumps(plan))
        return cls._runner(database, "jobs", str(path))

    def _diff(self, other, tables):
        """The rows that differ, per table, between the reference and ``other``."""
        base = Path(self.tmp.name, "base.json")
        base.write_text(json.dumps(self.reference["base"]))
        ref = self._runner(self.dbs["ref"], "rows", str(base), *tables)
        got = self._runner(self.dbs[other], "rows", str(base), *tables)
        return "\n".join(
            line
            for table in tables
            for line in difflib.unified_diff(
                ref[table], got[table], f"{table} (uninterrupted)", table, lineterm=""
            )
        )[:6000]

    def _assert_same(self, other, result):
        for ref, got in zip(self.reference["steps"], result["steps"], strict=True):
            tables = sorted(
                t
                for t in set(ref["digest"]) | set(got["digest"])
                if ref["digest"].get(t) != got["digest"].get(t)
            )
            if tables:
                self.fail(
                    f"after {got['xmlid']} (seed {SEED}), {other} differs from "
                    f"the uninterrupted run in {tables}; runs: {got['kills']} "
                    f"{got['finish']}\n{self._diff(other, tables)}"
                )

    def test_killed_jobs_resume_to_the_same_result(self):
        for step in self.crashed["steps"]:
            killed = [k for k in step["kills"] if k.get("signal") == 9]
            self.assertTrue(killed, f"{step['xmlid']} was killed at least once")
            for run in step["kills"]:
                self.assertIn(run.get("signal", run.get("exit")), (0, 9), run)
            self.assertEqual(step["finish"][0]["exit"], 0, step)
        self._assert_same("kill", self.crashed)

    def test_two_workers_and_a_direct_call_at_once_give_the_same_result(self):
        for step in self.raced["steps"]:
            cron_workers, manual = step["finish"][:2], step["finish"][2]
            # Odoo's lock on the cron's row: the worker that finds it taken skips
            self.assertEqual([w["exit"] for w in cron_workers], [0, 0], step)
            self.assertGreaterEqual(sum(w["runs"] for w in cron_workers), 1, step)
            # the direct call beside them either did the work again harmlessly, or
            # lost the race on a row or a unique key and was rolled back
            self.assertIn(manual["exit"], (0, 1), step)
            for run in step["finish"][3:]:
                self.assertEqual(run["exit"], 0, step)
        self._assert_same("race", self.raced)
