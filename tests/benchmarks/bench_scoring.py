"""Relationship-scoring benchmark: full and incremental recompute against the floor.

Run by ``make bench`` at 100k customers, and by ``test_scoring_benchmark.py`` at a small
size inside ``make test``. Prints one JSON object. All timings come from one process and
one run, and the figures that matter are ratios against the floor measured in that same
run: the bare SQL that reads the same rows as the recompute's staging and computes the
same aggregates, writing nothing.

    python tests/benchmarks/bench_scoring.py -c CONF -d DB --customers 100000 [--commit]

Without ``--commit`` everything happens in one transaction that is rolled back, so the
database is left as it was. With it, the generated company is kept, and a later run
on the same database reuses it (``--customers`` then only applies to the first run).
"""

import argparse
import json
import resource
import sys
import time
from datetime import date, timedelta


def floor_query(Score, company, date_ref, window_days):
    """The floor: the rows the recompute's staging reads, aggregated the same way,
    nothing written. ``count(src)`` takes the whole row: with count(*) PostgreSQL
    would drop the unread aggregates and the floor would be too low."""
    from odoo.tools import SQL

    date_from = date_ref - timedelta(days=window_days)
    sources = Score._source_queries(company, date_ref, date_from, None)
    return SQL(
        "SELECT %s",
        SQL(", ").join(
            SQL("(SELECT count(src) FROM (%s) src)", query)
            for query in sources.values()
        ),
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--incremental", type=int, default=1000)
    parser.add_argument("--commit", action="store_true")
    # the cost curves (bench_curves.py) generate in a process of their own, so that
    # the measured run's peak memory is the measured steps' only
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args()

    import odoo
    from odoo.tools import SQL

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    result = {"customers_requested": args.customers}
    date_ref = date(2026, 6, 30)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        # the script's own folder is on sys.path: the generator beside it
        from bulk_generator import BulkDataGenerator

        Score = env["crm.relationship.score"]
        company = env.company
        cr.execute(
            SQL("SELECT array_agg(id) FROM res_partner WHERE name LIKE %s", "Bulk %")
        )
        existing = cr.fetchone()[0]
        start = time.perf_counter()
        if existing and args.commit:
            partner_ids = existing
            result["generated"] = "reused"
        else:
            counts = BulkDataGenerator(env, date_ref=date_ref).generate(
                customers=args.customers
            )
            partner_ids = counts.pop("partner_ids")
            result["generated"] = counts
            if args.commit:
                cr.commit()
        result["generate_s"] = round(time.perf_counter() - start, 2)
        if args.commit:
            # as autovacuum would have done by the time a company recomputes: sets
            # the hint bits of the freshly loaded rows, which the first reader pays
            vacuum = odoo.sql_db.db_connect(args.database).cursor()
            vacuum._cnx.autocommit = True
            vacuum.execute(SQL("VACUUM ANALYZE"))
            vacuum.close()
        else:
            cr.execute(SQL("ANALYZE"))
        if args.generate_only:
            if args.commit:
                cr.commit()
            json.dump(result, sys.stdout)
            sys.stdout.write("\n")
            return
        # the peak memory so far: loading Odoo (and generating, if it did)
        result["rss_before_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        )

        # Floor: the staging queries' reads, aggregated, nothing written
        profile = env["crm.relationship.scoring.profile"]._get_for_company(company)
        floor_sql = floor_query(Score, company, date_ref, profile.window_days)
        for _warm in range(2):  # warm the cache: both sides then read from memory
            cr.execute(floor_sql)
        # the floor is the faster of JIT on and off (the recompute turns it off)
        floors = []
        for jit in ("on", "off"):
            cr.execute(SQL("SELECT set_config('jit', %s, true)", jit))
            start = time.perf_counter()
            cr.execute(floor_sql)
            floors.append(time.perf_counter() - start)
        cr.execute(SQL("SELECT set_config('jit', 'on', true)"))
        result["floor_s"] = round(min(floors), 3)

        def step():
            # each cron run is its own transaction: commit between steps, unless
            # this run must leave the database as it found it; and between two daily
            # runs autovacuum has cleaned the score tables (every row of them is dead
            # after a run, far above its 20 % trigger), which frees the page room
            # that the next run's in-place (HOT) updates need
            if args.commit:
                cr.commit()
                vacuum = odoo.sql_db.db_connect(args.database).cursor()
                vacuum._cnx.autocommit = True
                vacuum.execute(
                    SQL("VACUUM crm_relationship_score, crm_relationship_score_history")
                )
                vacuum.close()

        start = time.perf_counter()
        Score.recompute(company_ids=company.ids, date_ref=date_ref)
        result["full_first_s"] = round(time.perf_counter() - start, 3)
        step()
        start = time.perf_counter()
        Score.recompute(company_ids=company.ids, date_ref=date_ref)
        result["full_s"] = round(time.perf_counter() - start, 3)
        step()
        cr.execute(
            SQL(
                "SELECT count(*) FROM crm_relationship_score WHERE company_id = %s",
                company.id,
            )
        )
        result["scored_customers"] = cr.fetchone()[0]

        marked = sorted(partner_ids)[:: max(1, len(partner_ids) // args.incremental)]
        marked = marked[: args.incremental]
        figures = SQL(
            """
            SELECT partner_id, health_score, tier, r_score, f_score, m_score,
                   abc_class, monetary, overdue_amount
              FROM crm_relationship_score
             WHERE company_id = %s AND partner_id = ANY(%s) ORDER BY partner_id
            """,
            company.id,
            marked,
        )
        cr.execute(figures)
        before = cr.fetchall()
        # what the frequent cron does for its batch, without its commit
        start = time.perf_counter()
        Score.recompute(company_ids=company.ids, partner_ids=marked, date_ref=date_ref)
        result["incremental_customers"] = len(marked)
        result["incremental_s"] = round(time.perf_counter() - start, 3)
        # nothing changed in between: the incremental path must agree with the full one
        cr.execute(figures)
        result["incremental_matches_full"] = cr.fetchall() == before and bool(before)

        # the customers' tier on their transfers (issue 15): filled once for every
        # transfer when the module is installed on an existing database, then kept
        # current by each recompute (the marked customers', then everyone's)
        Picking = env["stock.picking"]
        cr.execute(SQL("UPDATE stock_picking SET crm_tier = NULL"))
        Picking.invalidate_model(["crm_tier"])
        start = time.perf_counter()
        Picking._refresh_crm_tier(open_only=False)
        result["transfer_tier_fill_s"] = round(time.perf_counter() - start, 3)
        start = time.perf_counter()
        Picking._refresh_crm_tier(company, marked)
        result["transfer_tier_incremental_s"] = round(time.perf_counter() - start, 3)
        start = time.perf_counter()
        Picking._refresh_crm_tier(company)
        result["transfer_tier_all_s"] = round(time.perf_counter() - start, 3)
        cr.execute(SQL("SELECT count(*) FROM stock_picking"))
        result["transfers"] = cr.fetchone()[0]
        cr.execute(
            SQL(
                """
                SELECT count(*) FROM stock_picking sp
                  JOIN res_partner p ON p.id = sp.partner_id
                  JOIN crm_relationship_score s
                    ON s.partner_id = p.commercial_partner_id
                   AND s.company_id = sp.company_id
                 WHERE sp.state != 'cancel' AND sp.crm_tier IS NULL
                """
            )
        )
        result["scored_transfers_without_tier"] = cr.fetchone()[0]

        result["full_vs_floor"] = round(result["full_s"] / result["floor_s"], 2)
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
