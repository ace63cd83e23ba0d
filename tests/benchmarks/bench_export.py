"""KPI values export benchmark: time and memory of the raw Excel export.

Inserts ``--rows`` KPI value snapshots by SQL into scorecards it creates, then
exports them through the code behind ``/crm_analytics/kpi_values/xlsx``
(``crm.kpi.value._export_xlsx``: ids through the record rules, rows read in
batches, written in xlsxwriter's constant-memory mode) as a relationship manager
would, into the same kind of temporary file as the route. Prints one JSON object:

- ``rows``, ``seconds``: rows exported and the time it took;
- ``rss_before_mb``: the process's resident memory just before the export (the
  registry and what the inserts left);
- ``peak_rss_mb``: the process's peak resident memory (``ru_maxrss``) after it;
- ``export_delta_mb``: the difference, what the export added at most.

    python tests/benchmarks/bench_export.py -c CONF -d DB --rows 100000 [--commit]
        [--output PATH]

Without ``--commit`` everything happens in one transaction that is rolled back, so
the database is left as it was. ``--output`` keeps a copy of the workbook.
"""

import argparse
import json
import math
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

# rows per scorecard line: one a day, as many days back
ROWS_PER_LINE = 1000


def rss_mb():
    """The resident memory now, from /proc; the peak where /proc is missing."""
    status = Path("/proc/self/status")
    if not status.exists():
        return peak_rss_mb()
    for line in status.read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return peak_rss_mb()


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--commit", action="store_true")
    parser.add_argument("--output", help="keep a copy of the workbook here")
    args = parser.parse_args()

    import odoo
    from odoo import Command
    from odoo.tools import SQL

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    result = {"rows_requested": args.rows}
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        from odoo.addons.crm_analytics.controllers.main import SPOOL_MAX_SIZE

        start = time.perf_counter()
        company = env.company
        kpi = env["crm.kpi"].create(
            {
                "name": "Benchmark customers",
                "perspective": "customer",
                "measure": "count",
                "model_id": env["ir.model"]._get("res.partner").id,
                "date_mode": "none",
                "company_field_id": env["ir.model.fields"]
                ._get("res.partner", "company_id")
                .id,
            }
        )
        n_cards = max(1, math.ceil(args.rows / ROWS_PER_LINE))
        cards = env["crm.scorecard"].create(
            [
                {
                    "name": "Benchmark scorecard %s" % i,
                    "company_id": company.id,
                    "period": "month",
                    "line_ids": [Command.create({"kpi_id": kpi.id, "target": 50.0})],
                }
                for i in range(n_cards)
            ]
        )
        env.flush_all()
        # row g goes to line g mod n, on the day g div n before 2026-06-30: every
        # (line, period) once
        cr.execute(
            SQL(
                """
                INSERT INTO crm_kpi_value (
                    line_id, scorecard_id, kpi_id, perspective, owner_type,
                    company_id, date_from, date_to, value, value_known, target,
                    achievement, light, create_uid, write_uid, create_date, write_date
                )
                SELECT lines.line_id, lines.scorecard_id, %(kpi)s, 'customer',
                       'company', %(company)s, day, day, mod(g, 97), mod(g, 20) <> 0,
                       50.0, CASE WHEN mod(g, 20) <> 0 THEN mod(g, 97) * 2.0 ELSE 0 END,
                       CASE WHEN mod(g, 20) = 0 THEN NULL
                            WHEN mod(g, 97) >= 50 THEN 'green'
                            WHEN mod(g, 97) >= 45 THEN 'amber'
                            ELSE 'red' END,
                       %(uid)s, %(uid)s, now() at time zone 'UTC',
                       now() at time zone 'UTC'
                  FROM generate_series(0, %(rows)s - 1) AS g
                  JOIN unnest(%(line_ids)s::int[], %(card_ids)s::int[])
                       WITH ORDINALITY AS lines(line_id, scorecard_id, position)
                    ON lines.position = mod(g, %(n)s) + 1,
                       LATERAL (SELECT DATE '2026-06-30' - g / %(n)s AS day) AS days
                """,
                kpi=kpi.id,
                company=company.id,
                uid=env.uid,
                rows=args.rows,
                line_ids=cards.line_ids.ids,
                card_ids=cards.ids,
                n=n_cards,
            )
        )
        result["rows_inserted"] = cr.rowcount
        cr.execute(SQL("ANALYZE crm_kpi_value"))
        result["insert_s"] = round(time.perf_counter() - start, 2)

        # a relationship manager: the record rules apply, as in the route
        manager = env["res.users"].create(
            {
                "name": "Benchmark export manager",
                "login": "bench_export_manager_%s" % cards[0].id,
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "groups_id": [
                    Command.set(
                        [
                            env.ref("base.group_user").id,
                            env.ref("crm_relationship.group_relationship_manager").id,
                        ]
                    )
                ],
            }
        )
        env.flush_all()
        env.invalidate_all()
        user_env = odoo.api.Environment(cr, manager.id, {"lang": "en_US"})

        result["rss_before_mb"] = round(rss_mb(), 1)
        result["peak_rss_before_mb"] = round(peak_rss_mb(), 1)
        # the route's file: in memory up to a few megabytes, then on disk
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_SIZE) as fileobj:
            start = time.perf_counter()
            rows = user_env["crm.kpi.value"]._export_xlsx(
                fileobj, [("scorecard_id", "in", cards.ids)]
            )
            result["seconds"] = round(time.perf_counter() - start, 3)
            result["rows"] = rows
            result["file_mb"] = round(fileobj.tell() / 1024 / 1024, 2)
            if args.output:
                fileobj.seek(0)
                with open(args.output, "wb") as output:
                    shutil.copyfileobj(fileobj, output)
        result["peak_rss_mb"] = round(peak_rss_mb(), 1)
        result["export_delta_mb"] = round(
            result["peak_rss_mb"] - result["rss_before_mb"], 1
        )
        result["rows_per_s"] = round(rows / result["seconds"]) if rows else 0
        if args.commit:
            # a standalone run asked to keep its data
            cr.commit()  # pylint: disable=invalid-commit
        else:
            cr.rollback()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
