"""Analytics read on a real streaming replica, writes go to the primary.

``tests/replica/replica.sh`` makes a hot standby of the test cluster (pg_basebackup
-R, streaming through a slot) on a free port. A data set is committed on the
primary (customers and posted invoices of the main company, a scorecard on the
catalogue's revenue KPI, the cohort report refreshed) and the test waits until the
standby has replayed it. An Odoo server is then started as production runs it
(``db_replica_host``/``db_replica_port`` on the standby) and driven over HTTP as
the web client does: the scorecard's values, the cohort report, the KPI snapshots
rebuilt, a lifetime value fit, the three Excel downloads. PostgreSQL's statistics
on each side (``pg_stat_user_tables``: scans are reads, inserted and updated rows
are writes) say where each read and write ran. The replica is then stopped under
the running server, and the same pages must give the same figures, read on the
primary, with no error.

Statistics are flushed by a backend when it goes idle, at most once a second, or
by a timer of 10 s (PostgreSQL's PGSTAT_IDLE_INTERVAL): the test waits that long
before it reads them, once per group of steps.
"""

import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import openpyxl
import psycopg2
import requests
from dateutil.relativedelta import relativedelta
from passlib.context import CryptContext

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import config

from odoo.addons.base.models.res_users import MIN_ROUNDS

ROOT = Path(__file__).resolve().parents[2]
REPLICA_SH = ROOT / "tests" / "replica" / "replica.sh"
LOGIN = "crm_replica_manager"
GROUPS = (
    "base.group_user,crm_relationship.group_relationship_manager,"
    "account.group_account_invoice"
)
CUSTOMERS = 16
# PostgreSQL's idle statistics flush (PGSTAT_IDLE_INTERVAL, 10 s) and a margin
STATS_DELAY = 11
# the analytics' source tables and their results
TABLES = ("account_move", "crm_cohort_report", "crm_kpi_value", "crm_clv_fit")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _connect(host, port):
    cnx = psycopg2.connect(
        host=host,
        port=port,
        dbname=config["db_name"].split(",")[0],
        user=config["db_user"],
        password=config["db_password"],
    )
    cnx.autocommit = True
    return cnx


def _stats(cnx):
    """``{table: {"reads": scans, "writes": rows written}}`` of the analytics
    tables, as this server counted them."""
    with cnx.cursor() as cr:
        cr.execute(
            """
            SELECT relname, seq_scan + COALESCE(idx_scan, 0),
                   n_tup_ins + n_tup_upd + n_tup_del
              FROM pg_stat_user_tables WHERE relname = ANY(%s)
            """,
            [list(TABLES)],
        )
        return {
            name: {"reads": reads, "writes": writes}
            for name, reads, writes in cr.fetchall()
        }


def _delta(before, after):
    return {
        table: {key: after[table][key] - before[table][key] for key in after[table]}
        for table in after
    }


@tagged("post_install", "-at_install")
class TestReplica(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db_name = config["db_name"].split(",")[0]
        cls.primary_host = config["db_host"] or "127.0.0.1"
        cls.primary_port = config["db_port"] or 5432

    # ------------------------------------------------------------
    # the replica, the data, the server
    # ------------------------------------------------------------

    def _start_replica(self):
        # the directory name is what replica.sh knows live replicas by
        self.replica_dir = tempfile.mkdtemp(prefix="crm_replica.", dir="/tmp")
        self.addCleanup(self._stop_replica)
        started = time.monotonic()
        result = subprocess.run(
            [str(REPLICA_SH), "start", self.replica_dir],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        self.assertEqual(
            result.returncode, 0, f"the replica did not start:\n{result.stderr}"
        )
        self.replica_port = int(result.stdout.split()[-1])
        self.replica_start_seconds = time.monotonic() - started
        self.primary = _connect(self.primary_host, self.primary_port)
        self.addCleanup(self.primary.close)
        self.standby = _connect("127.0.0.1", self.replica_port)
        with self.standby.cursor() as cr:
            cr.execute("SELECT pg_is_in_recovery()")
            self.assertTrue(cr.fetchone()[0], "the standby is not in recovery")
        # pg_stat_replication on the primary, read by the superuser
        status = subprocess.run(
            [str(REPLICA_SH), "status", self.replica_dir],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        self.assertEqual(status.stdout.strip(), "streaming", status.stderr)

    def _stop_replica(self):
        if getattr(self, "standby", None) is not None and not self.standby.closed:
            self.standby.close()
        if os.path.isdir(self.replica_dir):
            result = subprocess.run(
                [str(REPLICA_SH), "stop", self.replica_dir],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            self.assertEqual(result.returncode, 0, result.stderr)

    def _wait_replayed(self, timeout=60):
        """Until the standby has replayed everything committed on the primary."""
        with self.primary.cursor() as cr:
            cr.execute("SELECT pg_current_wal_lsn()")
            (lsn,) = cr.fetchone()
        deadline = time.monotonic() + timeout
        with self.standby.cursor() as cr:
            while True:
                cr.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
                if cr.fetchone()[0]:
                    return
                self.assertLess(time.monotonic(), deadline, "the standby lags")
                time.sleep(0.2)

    def _commit_data(self):
        """Customers with posted invoices over eight months, a revenue scorecard
        and the cohort report refreshed: committed, removed by the cleanup."""
        self.created = {}
        self.addCleanup(self._remove_data)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            self.company_id = company.id
            today = company._crm_today()
            user = new_test_user(
                env,
                login=LOGIN,
                groups=GROUPS,
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )
            self.created["user"] = user.id
            # hashed as the server hashes (the test framework's single round would be
            # upgraded at login, a write the replica would not have yet)
            rounds = max(
                MIN_ROUNDS,
                int(env["ir.config_parameter"].get_param("password.hashing.rounds", 0)),
            )
            user._set_encrypted_password(
                user.id,
                CryptContext(["pbkdf2_sha512"], pbkdf2_sha512__rounds=rounds).hash(
                    LOGIN
                ),
            )
            partners = env["res.partner"].create(
                [
                    {"name": f"Replica customer {i}", "company_id": company.id}
                    for i in range(CUSTOMERS)
                ]
            )
            self.created["partners"] = partners.ids
            moves = []
            for i, partner in enumerate(partners):
                first = today - relativedelta(months=1 + i % 8)
                for n in range(1 + i % 4):
                    day = min(first + timedelta(days=23 * n), today)
                    moves.append(
                        {
                            "move_type": "out_invoice",
                            "partner_id": partner.id,
                            "invoice_date": day,
                            "company_id": company.id,
                            "invoice_line_ids": [
                                Command.create(
                                    {
                                        "name": "Goods",
                                        "quantity": 1,
                                        "price_unit": 100.0 + 10 * i + n,
                                        "tax_ids": [],
                                    }
                                )
                            ],
                        }
                    )
            # two this month: the scorecard's current value is not zero
            for partner in partners[:2]:
                moves.append(
                    {**moves[0], "partner_id": partner.id, "invoice_date": today}
                )
            invoices = env["account.move"].with_company(company).create(moves)
            self.created["invoices"] = invoices.ids
            invoices.action_post()
            card = env["crm.scorecard"].create(
                {
                    "name": "Replica revenue",
                    "company_id": company.id,
                    "owner_type": "company",
                    "period": "month",
                    "line_ids": [
                        Command.create(
                            {
                                "kpi_id": env.ref("crm_analytics.kpi_revenue").id,
                                "target": 1000.0,
                            }
                        )
                    ],
                }
            )
            self.created["card"] = card.id
            env["crm.cohort.report"]._refresh(company)
            self.created["fits_after"] = max(env["crm.clv.fit"].search([]).ids or [0])

    def _remove_data(self):
        created = self.created
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].browse(self.company_id)
            if "card" in created:
                card = env["crm.scorecard"].browse(created["card"]).exists()
                card.value_ids.unlink()
                card.alert_ids.unlink()
                card.unlink()
            if "fits_after" in created:
                env["crm.clv.fit"].search([("id", ">", created["fits_after"])]).unlink()
            invoices = env["account.move"].browse(created.get("invoices", [])).exists()
            invoices.filtered(lambda move: move.state == "posted").button_draft()
            invoices.unlink()
            partners = env["res.partner"].browse(created.get("partners", []))
            env["crm.relationship.score"].search(
                [("partner_id", "in", partners.ids)]
            ).unlink()
            partners.exists().unlink()
            # the report as the remaining invoices make it
            env["crm.cohort.report"]._refresh(company)
            if "user" in created:
                user = env["res.users"].browse(created["user"])
                try:
                    with cr.savepoint():
                        user.unlink()
                except Exception:  # noqa: BLE001 - a user with a history is archived
                    user.active = False

    def _start_server(self, replica_port):
        port = _free_port()
        handle, log = tempfile.mkstemp(prefix="crm_replica_odoo_", suffix=".log")
        os.close(handle)
        self.server_log = Path(log)
        command = [
            sys.executable,
            "-c",
            "import sys, odoo.cli; sys.argv[0] = 'odoo'; odoo.cli.main()",
            "server",
            "-c",
            config.rcfile,
            "-d",
            self.db_name,
            f"--db-filter=^{self.db_name}$",
            "--http-interface=127.0.0.1",
            f"--http-port={port}",
            "--workers=0",
            "--max-cron-threads=0",
            "--db_replica_host=127.0.0.1",
            f"--db_replica_port={replica_port}",
            "--log-level=info",
            f"--logfile={self.server_log}",
        ]
        server = subprocess.Popen(command, cwd=ROOT)

        def stop():
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            self.server_log.unlink(missing_ok=True)

        self.addCleanup(stop)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            self.assertIsNone(server.poll(), f"Odoo stopped:\n{self._log_tail()}")
            try:
                if requests.get(f"{self.url}/web/health", timeout=30).ok:
                    break
            except requests.RequestException:
                pass
            self.assertLess(time.monotonic(), deadline, "Odoo did not start")
            time.sleep(0.5)
        self.http = requests.Session()
        self.addCleanup(self.http.close)
        self._rpc(
            "/web/session/authenticate",
            {"db": self.db_name, "login": LOGIN, "password": LOGIN},
        )
        # what the login wrote (its log, the device) is there to read
        self._wait_replayed()
        return server

    def _log_tail(self, lines=60):
        if not self.server_log.exists():
            return ""
        return "\n".join(self.server_log.read_text().splitlines()[-lines:])

    # ------------------------------------------------------------
    # what the web client asks
    # ------------------------------------------------------------

    def _rpc(self, path, params):
        response = self.http.post(
            f"{self.url}{path}",
            json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params},
            timeout=300,
        )
        self.assertEqual(response.status_code, 200, response.text[:2000])
        body = response.json()
        if "error" in body:
            self.fail(f"{json.dumps(body['error'])[:4000]}\n{self._log_tail()}")
        return body.get("result")

    def _call(self, model, method, *args, **kwargs):
        return self._rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def _download(self, path, **params):
        response = self.http.get(f"{self.url}{path}", params=params, timeout=300)
        self.assertEqual(response.status_code, 200, self._log_tail())
        self.assertNotIn(b"Traceback", response.content)
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        return {
            sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets
        }

    def _scorecard_values(self):
        (card,) = self._call(
            "crm.scorecard",
            "web_read",
            [self.created["card"]],
            specification={
                "total_achievement": {},
                "line_ids": {
                    "fields": {"value": {}, "value_display": {}, "achievement": {}}
                },
            },
        )
        return card

    def _cohorts(self):
        return self._call(
            "crm.cohort.report",
            "web_read_group",
            [("company_id", "=", self.company_id)],
            ["cohort_size:max", "active_customers:sum", "revenue:sum"],
            ["cohort_month:month"],
            lazy=False,
        )

    def _exports(self):
        return {
            "scorecard": self._download(
                "/crm_analytics/scorecards/xlsx", ids=str(self.created["card"])
            ),
            "kpi values": self._download(
                "/crm_analytics/kpi_values/xlsx",
                domain=json.dumps([["scorecard_id", "=", self.created["card"]]]),
            ),
            "cohorts": self._download("/crm_analytics/cohorts/xlsx"),
        }

    def _measured(self, steps):
        """Run ``steps``, then the statistics each server counted meanwhile."""
        before = (_stats(self.primary), _stats(self.standby))
        result = steps()
        time.sleep(STATS_DELAY)
        primary = _delta(before[0], _stats(self.primary))
        standby = _delta(before[1], _stats(self.standby))
        return result, primary, standby

    # ------------------------------------------------------------
    # the test
    # ------------------------------------------------------------

    def test_analytics_read_on_the_replica(self):
        self._start_replica()
        self._commit_data()
        self._wait_replayed()
        self._start_server(self.replica_port)

        # The scorecard's values and the cohort report: read-only requests, on the
        # standby alone (the invoices summed by the KPI, the report's rows).
        (card, cohorts), primary, standby = self._measured(
            lambda: (self._scorecard_values(), self._cohorts())
        )
        self.assertGreater(card["line_ids"][0]["value"], 0)
        self.assertTrue(cohorts)
        self.assertGreater(standby["account_move"]["reads"], 0, standby)
        self.assertGreater(standby["crm_cohort_report"]["reads"], 0, standby)
        self.assertEqual(primary["account_move"]["reads"], 0, primary)
        self.assertEqual(primary["crm_cohort_report"]["reads"], 0, primary)

        # KPI snapshots: computed from the standby's invoices, stored on the primary
        _result, primary, standby = self._measured(
            lambda: self._call(
                "crm.scorecard", "action_rebuild_snapshots", [self.created["card"]]
            )
        )
        self.assertGreater(standby["account_move"]["reads"], 0, standby)
        self.assertEqual(primary["account_move"]["reads"], 0, primary)
        self.assertGreater(primary["crm_kpi_value"]["writes"], 0, primary)

        # A lifetime value fit: the purchase histories read on the standby, the
        # fit written on the primary
        def fit():
            fit_id = self._call(
                "crm.clv.fit", "create", {"company_id": self.company_id}
            )
            self._call("crm.clv.fit", "action_fit", [fit_id])
            # the read below runs on the standby: after the fit's write is replayed
            self._wait_replayed()
            return self._call(
                "crm.clv.fit",
                "read",
                [fit_id],
                ["state", "customer_count", "failure_reason"],
            )[0]

        fitted, primary, standby = self._measured(fit)
        self.assertEqual(fitted["state"], "done", fitted)
        # at least this test's customers: other suites of the session may have
        # committed customers of their own in the same company
        self.assertGreaterEqual(fitted["customer_count"], CUSTOMERS, fitted)
        self.assertGreater(standby["account_move"]["reads"], 0, standby)
        self.assertEqual(primary["account_move"]["reads"], 0, primary)
        self.assertGreater(primary["crm_clv_fit"]["writes"], 0, primary)

        # The Excel downloads, once the snapshots are on the standby
        self._wait_replayed()
        exports, primary, standby = self._measured(self._exports)
        for table in ("account_move", "crm_kpi_value", "crm_cohort_report"):
            self.assertGreater(standby[table]["reads"], 0, (table, standby))
            self.assertEqual(primary[table]["reads"], 0, (table, primary))
        # a standby writes nothing of its own
        for table, counts in standby.items():
            self.assertEqual(counts["writes"], 0, table)

        # The replica stops under the running server: the same figures, read on
        # the primary, no error.
        self.standby.close()
        self._stop_replica()
        before = _stats(self.primary)
        self.assertEqual(self._scorecard_values(), card)
        self.assertEqual(self._cohorts(), cohorts)
        self.assertEqual(self._exports(), exports)
        time.sleep(STATS_DELAY)
        primary = _delta(before, _stats(self.primary))
        for table in ("account_move", "crm_kpi_value", "crm_cohort_report"):
            self.assertGreater(primary[table]["reads"], 0, (table, primary))
        log = self.server_log.read_text()
        self.assertIn("falling back to read-write cursor", log)
        self.assertNotIn("Traceback", log, self._log_tail())
