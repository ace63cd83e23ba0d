"""Cohort and churn reports benchmark: the web client's reads, stored against live.

Run by ``make bench`` on the benchmark database (100k customers, kept between runs),
and by ``test_reports_benchmark.py`` at a small size inside ``make test``. Prints one
JSON object. The baseline is the reports as they were before they were stored: the
same reads (the ``read_group`` calls the pivot and graph views make) over the live
query as a ``_table_query``, measured in the same run. The stored reads are measured
after a refresh of the company, whose time is given too.

    python tests/benchmarks/bench_reports.py -c CONF -d DB [--customers N] [--commit]

Customers are generated (by the bulk generator) only when the database has none from
an earlier ``--commit`` run of a benchmark. Without ``--commit`` everything is rolled
back, the refresh included.
"""

import argparse
import json
import resource
import sys
import time
from contextlib import contextmanager
from datetime import date

# What the views read, as the web client asks it: each pivot makes one read_group
# per combination of its row and column groupings (totals included), each graph one.
COHORT_DOMAIN = [("months_since", "<", 12)]  # the action's default filter
READS = {
    "crm.cohort.report": [
        # pivot: cohort months down, months since across, retention
        (COHORT_DOMAIN, [], ["retention_rate:avg"]),
        (COHORT_DOMAIN, ["cohort_month:month"], ["retention_rate:avg"]),
        (COHORT_DOMAIN, ["months_since"], ["retention_rate:avg"]),
        (COHORT_DOMAIN, ["cohort_month:month", "months_since"], ["retention_rate:avg"]),
        # graph: a line per cohort over the months since
        (COHORT_DOMAIN, ["months_since", "cohort_month:month"], ["retention_rate:avg"]),
    ],
    "crm.churn.report": [
        # graph: churn rate by month
        ([], ["month:month"], ["churn_rate:avg"]),
        # pivot: months down, four measures
        *(
            (
                [],
                groupby,
                [
                    "active_start:sum",
                    "churned:sum",
                    "churn_rate:avg",
                    "new_customers:sum",
                ],
            )
            for groupby in ([], ["month:month"])
        ),
    ],
}


@contextmanager
def live(Report, company):
    """The report read from its live query, as before it was stored."""
    from odoo.tools import SQL

    cls = type(Report)
    cls._table_query = SQL(
        "SELECT row_number() OVER () AS id, live.* FROM (%s) AS live",
        Report._stored_report_query(company),
    )
    try:
        yield
    finally:
        cls._table_query = None


def read_all(Report, company):
    """The view's reads; returns their results (to compare) and the seconds."""
    start = time.perf_counter()
    results = [
        Report._read_group([("company_id", "=", company.id), *domain], groupby, aggs)
        for domain, groupby, aggs in READS[Report._name]
    ]
    return results, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--commit", action="store_true")
    args = parser.parse_args()

    import odoo
    from odoo.tools import SQL

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    date_ref = date(2026, 6, 30)
    result = {}
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        # the script's own folder is on sys.path: the generator beside it
        from bulk_generator import BulkDataGenerator

        company = env.company
        cr.execute(SQL("SELECT count(*) FROM res_partner WHERE name LIKE %s", "Bulk %"))
        if cr.fetchone()[0]:
            result["generated"] = "reused"
        else:
            start = time.perf_counter()
            counts = BulkDataGenerator(env, date_ref=date_ref).generate(
                customers=args.customers
            )
            counts.pop("partner_ids")
            result["generated"] = counts
            result["generate_s"] = round(time.perf_counter() - start, 2)
            cr.execute(SQL("ANALYZE"))
        cr.execute(
            SQL(
                "SELECT count(DISTINCT commercial_partner_id) FROM account_move"
                " WHERE company_id = %s AND move_type = 'out_invoice'"
                " AND state = 'posted'",
                company.id,
            )
        )
        result["customers"] = cr.fetchone()[0]
        for model, key in (
            ("crm.cohort.report", "cohort"),
            ("crm.churn.report", "churn"),
        ):
            Report = env[model]
            start = time.perf_counter()
            Report._refresh(company)
            result[f"{key}_refresh_s"] = round(time.perf_counter() - start, 3)
            result[f"{key}_rows"] = Report.search_count(
                [("company_id", "=", company.id)]
            )
            with live(Report, company):
                expected, live_s = read_all(Report, company)
            stored, stored_s = read_all(Report, company)
            result[f"{key}_reads"] = len(READS[model])
            result[f"{key}_live_s"] = round(live_s, 3)
            result[f"{key}_stored_s"] = round(stored_s, 4)
            result[f"{key}_same"] = stored == expected
            result[f"{key}_stored_vs_live"] = round(stored_s / live_s, 6)
            result[f"{key}_speedup"] = round(live_s / stored_s)
            result[f"{key}_refresh_vs_live"] = round(
                result[f"{key}_refresh_s"] / live_s, 2
            )
        result["peak_rss_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        )
        if args.commit:
            cr.commit()
        else:
            cr.rollback()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
