"""One Odoo process of the crash suite (``test_cron_crash.py``), run as a subprocess.

    python tests/integration/crash_runner.py -c CONF -d DB setup [--customers 30]
    python tests/integration/crash_runner.py -c CONF -d DB jobs PLAN.json
    python tests/integration/crash_runner.py -c CONF -d DB rows BASE.json TABLE...

``setup`` writes a small company of the shared demo generator and commits it.
``jobs`` runs the steps of the plan (see :func:`jobs`) and prints, after each, a
digest of every table. Each step makes its cron due now with the step's code (the
job with small batches), then forks worker processes from this one, as Odoo's
prefork server forks its workers from a master that has loaded the registry:

- a cron worker acquires the cron's row as Odoo 18's do
  (``ir.cron._acquire_one_job``: ``FOR NO KEY UPDATE SKIP LOCKED``) and processes
  it (``ir.cron._process_job``: its own committed transactions, progress,
  rescheduling), again while the job is still due (partially done);
- a direct call runs the cron's code itself, without the cron's lock, as a script,
  a server action or a second scheduler would.

Kill points: a worker sends itself SIGKILL right after the Nth SQL statement it
executes (mid-transaction: PostgreSQL rolls the open transaction back) or right
after its Nth commit (between two batches), counted from the start of the job. The
same N on the same data kills at the same point.

``rows`` prints the rows of tables as the digest compares them, to show a difference.
"""

import argparse
import json
import os
import signal
import sys
import time
from datetime import timedelta

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

COUNTS = {"statements": 0, "commits": 0}
KILL = {"statement": None, "commit": None}


def _install_kill_points():
    """Count every statement and commit of this process from now on and kill
    the process at the chosen one. SIGKILL: no handler, no cleanup, no rollback
    sent by Odoo; the server notices the broken connection."""
    Cursor = odoo.sql_db.Cursor
    execute, commit = Cursor.execute, Cursor.commit

    def counted_execute(self, query, params=None, log_exceptions=True):
        result = execute(self, query, params, log_exceptions)
        COUNTS["statements"] += 1
        if COUNTS["statements"] == KILL["statement"]:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    def counted_commit(self):
        result = commit(self)
        COUNTS["commits"] += 1
        if COUNTS["commits"] == KILL["commit"]:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    Cursor.execute = counted_execute
    Cursor.commit = counted_commit


def setup(registry, customers):
    # imported here: the generator needs the registry loaded
    from odoo.addons.crm_relationship.tools.demo_generator import DemoDataGenerator

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        today = env.company._crm_today()
        DemoDataGenerator(env, seed=19, date_ref=today).generate(customers=customers)
        env["crm.scorecard"]._demo_create_scorecards()
        # a third of the points lots are past their expiry date: the expiry job has
        # work to do
        cr.execute(
            SQL(
                """
                UPDATE loyalty_points_lot SET expiry_date = %s
                 WHERE remaining > 0 AND mod(id, 3) = 0
                """,
                today - timedelta(days=1),
            )
        )
        env.flush_all()
        cr.commit()
        cr.execute(SQL("SELECT count(*) FROM crm_relationship_score_queue"))
        return {"queued": cr.fetchone()[0]}


def arm(registry, xmlid, code):
    """Make the cron due now, with ``code`` (the job with small batches)."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        cron = env.ref(xmlid)
        cron.write({"code": code, "active": True})
        cr.execute(
            SQL(
                """
                UPDATE ir_cron
                   SET nextcall = (now() AT TIME ZONE 'UTC') - interval '1 minute',
                       failure_count = 0, first_failure_date = NULL
                 WHERE id = %s
                """,
                cron.id,
            )
        )
        return {"cron_id": cron.id}


def _job(registry, database, cron_id, direct):
    """What one cron worker does with one job (see the module's docstring)."""
    if direct:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ir.cron"].browse(cron_id).ir_actions_server_id.run()
        return 1
    db = odoo.sql_db.db_connect(database)
    IrCron = registry["ir.cron"]
    runs = 0
    while runs < 50:
        with db.cursor() as cron_cr:
            job = IrCron._acquire_one_job(cron_cr, cron_id)
            if not job:  # done, or another worker holds it
                break
            IrCron._process_job(db, cron_cr, job)
            runs += 1
    return runs


def _fork_worker(registry, database, cron_id, direct=False, kill=None):
    """A worker process forked from this one, as Odoo's prefork server forks its
    workers from a master that has loaded the registry. Returns its pid and the
    pipe it reports on."""
    odoo.sql_db.close_all()  # connections are not shared across a fork
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_end)
        return pid, read_end
    os.close(read_end)
    code = 0
    try:
        KILL.update(kill or {})
        _install_kill_points()
        report = {"runs": _job(registry, database, cron_id, direct), **COUNTS}
    except Exception as error:  # noqa: BLE001 - reported to the parent
        report = {"error": repr(error), **COUNTS}
        code = 1
    os.write(write_end, json.dumps(report).encode())
    os.close(write_end)
    os._exit(code)


def _wait_worker(pid, read_end):
    with os.fdopen(read_end) as pipe:
        output = pipe.read()
    _pid, status = os.waitpid(pid, 0)
    report = json.loads(output) if output else {}
    if os.WIFSIGNALED(status):
        report["signal"] = os.WTERMSIG(status)
    else:
        report["exit"] = os.WEXITSTATUS(status)
    return report


def jobs(registry, database, plan, base):
    """Every job of ``plan`` in turn: armed, then each kill point in a worker of
    its own (each one killed, or finished before its point), then ``workers``
    cron workers and ``direct`` direct calls at once that run it to the end; the
    digest of the database after each.
    """
    results = []
    for step in plan:
        arm(registry, step["xmlid"], step["code"])
        with registry.cursor() as cr:
            cron_id = api.Environment(cr, SUPERUSER_ID, {}).ref(step["xmlid"]).id
        start = time.perf_counter()
        kills = []
        for kill in step.get("kills", []):
            kills.append(
                _wait_worker(*_fork_worker(registry, database, cron_id, kill=kill))
            )
        workers = [
            _fork_worker(registry, database, cron_id)
            for _i in range(step.get("workers", 1))
        ] + [
            _fork_worker(registry, database, cron_id, direct=True)
            for _i in range(step.get("direct", 0))
        ]
        finish = [_wait_worker(*worker) for worker in workers]
        if any(report.get("exit") == 1 for report in finish):
            # a direct call that lost the race (serialization failure, unique key)
            # rolled its batch back; it is made again
            retry = _fork_worker(registry, database, cron_id, direct=True)
            finish.append(dict(_wait_worker(*retry), retry=True))
        if _failed(registry, cron_id):
            # a cron worker that lost the race, or Odoo 18's guard against crash
            # loops: a job killed three times in a row before it committed any
            # progress is not run again before its next call
            # (``ir.cron._process_job``, failed by timeout). The next call:
            arm(registry, step["xmlid"], step["code"])
            finish.append(_wait_worker(*_fork_worker(registry, database, cron_id)))
            finish[-1]["next_call"] = True
        results.append(
            {
                "xmlid": step["xmlid"],
                "kills": kills,
                "finish": finish,
                "seconds": round(time.perf_counter() - start, 2),
                "digest": digest(registry, base),
            }
        )
    return results


def _failed(registry, cron_id):
    with registry.cursor() as cr:
        cr.execute(SQL("SELECT failure_count FROM ir_cron WHERE id = %s", cron_id))
        return bool(cr.fetchone()[0])


# tables that record the runs themselves, not their results, and the large
# tables of the schema's description, which no job writes
SKIP_TABLES = {
    "ir_ui_view",
    "ir_model_data",
    "ir_model_fields",
    "ir_model_fields_selection",
    "ir_model_constraint",
    "ir_module_module",
    "ir_cron",
    "ir_cron_progress",
    "ir_cron_trigger",
    "ir_act_server",
    "ir_logging",
    "bus_bus",
    "bus_presence",
    "res_users_log",
    "ir_sessions",
}


def _max_ids(registry):
    """The highest id of each table before the jobs: a reference to a row made
    by a job is compared as "a new row", since crashed runs use more ids."""
    with registry.cursor() as cr:
        cr.execute(
            SQL(
                """
                SELECT c.table_name FROM information_schema.columns c
                  JOIN information_schema.tables t USING (table_schema, table_name)
                 WHERE c.table_schema = 'public' AND c.column_name = 'id'
                   AND t.table_type = 'BASE TABLE'
                """
            )
        )
        tables = [row[0] for row in cr.fetchall()]
        result = {}
        for table in tables:
            cr.execute(
                SQL("SELECT COALESCE(max(id), 0) FROM %s", SQL.identifier(table))
            )
            result[table] = cr.fetchone()[0]
        return result


def _table_selects(cr, base):
    """``{table: SQL}``: the rows of each table without what differs between two
    runs that did the same work (ids, timestamps, ids of rows made by the jobs)."""
    cr.execute(
        SQL(
            """
            SELECT cl.relname, a.attname, format_type(a.atttypid, NULL),
                   (SELECT ref.relname FROM pg_constraint con
                      JOIN pg_class ref ON ref.oid = con.confrelid
                     WHERE con.conrelid = cl.oid AND con.contype = 'f'
                       AND con.conkey = ARRAY[a.attnum]
                     LIMIT 1)
              FROM pg_class cl
              JOIN pg_namespace n ON n.oid = cl.relnamespace
              JOIN pg_attribute a ON a.attrelid = cl.oid
             WHERE n.nspname = 'public' AND cl.relkind = 'r'
               AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY cl.relname, a.attnum
            """
        )
    )
    columns = {}
    found = cr.fetchall()
    models = {(table, column) for table, column, _t, _r in found}
    for table, column, data_type, ref_table in found:
        if table in SKIP_TABLES or column == "id" or data_type.startswith("timestamp"):
            continue
        if column in ("message_id", "access_token") and "char" in data_type:
            continue  # random per message
        if column == "duration" or column.endswith("_seconds"):
            continue  # measured time
        ident = SQL.identifier(column)
        if ref_table and ref_table in base:
            expr = SQL(
                "CASE WHEN %s > %s THEN -1 ELSE %s END", ident, base[ref_table], ident
            )
        elif column == "res_id" and (table, "model") in models:
            # a message or follower of a record the job made
            expr = SQL(
                "CASE WHEN res_id > COALESCE("
                "(%s::jsonb ->> replace(model, '.', '_'))::int, 0)"
                " THEN -1 ELSE res_id END",
                json.dumps(base),
            )
        elif data_type in ("double precision", "real"):
            expr = SQL("round(%s::numeric, 6)", ident)
        else:
            expr = ident
        columns.setdefault(table, []).append(expr)
    return {
        table: SQL("SELECT %s FROM %s", SQL(", ").join(exprs), SQL.identifier(table))
        for table, exprs in columns.items()
    }


def digest(registry, base, tables=None):
    """``{table: [row count, md5 of the sorted rows]}`` of every table."""
    with registry.cursor() as cr:
        selects = _table_selects(cr, base)
        result = {}
        for table, select in selects.items():
            if tables and table not in tables:
                continue
            cr.execute(
                SQL(
                    "SELECT count(*), md5(string_agg(r::text, '|' ORDER BY r::text))"
                    " FROM (%s) r",
                    select,
                )
            )
            count, md5 = cr.fetchone()
            result[table] = [count, md5]
        return result


def rows(registry, base, table):
    """The rows of ``table`` as ``digest`` compares them, as text, sorted."""
    with registry.cursor() as cr:
        select = _table_selects(cr, base)[table]
        cr.execute(SQL("SELECT r::text FROM (%s) r ORDER BY 1", select))
        return [row[0] for row in cr.fetchall()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    p_setup = sub.add_parser("setup")
    p_setup.add_argument("--customers", type=int, default=30)
    p_jobs = sub.add_parser("jobs")
    p_jobs.add_argument("plan", help="a JSON file: the list of steps")
    p_rows = sub.add_parser("rows")
    p_rows.add_argument("base", help="a JSON file: the max ids of the jobs' output")
    p_rows.add_argument("tables", nargs="+")
    args = parser.parse_args()
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(args.database)
    if args.command == "setup":
        result = setup(registry, args.customers)
    elif args.command == "jobs":
        with open(args.plan) as plan:
            steps = json.load(plan)
        base = _max_ids(registry)
        result = {"base": base, "steps": jobs(registry, args.database, steps, base)}
    else:
        with open(args.base) as base:
            base = json.load(base)
        result = {table: rows(registry, base, table) for table in args.tables}
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
