"""Next best actions benchmark: propose the actions of every shipped rule for a
company's customers, against the floor.

Run by ``make bench`` on the benchmark database (100k customers, kept between runs),
and by ``test_next_action_benchmark.py`` at a small size inside ``make test``. Prints
one JSON object. The floor reads the same rows: each rule's eligibility query (the
receivable lines, deliveries, loyalty cards and score rows it selects from) into its
temporary table, measured in the same run. Generating adds the expiry of old
proposals, the pause check, the control draw, the insertion of the proposals with
their department, person and priority, and the uplift report's refresh.

    python tests/benchmarks/bench_next_action.py -c CONF -d DB [--customers N]

Customers are generated (by the demo generator's SQL path) only when the database has
none from an earlier ``--commit`` run of a benchmark. Everything is rolled back.
"""

import argparse
import json
import resource
import sys
import time
from datetime import date


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--customers", type=int, default=100_000)
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
            counts = BulkDataGenerator(env, date_ref=date_ref).generate(
                customers=args.customers
            )
            counts.pop("partner_ids")
            result["generated"] = counts
            cr.execute(SQL("ANALYZE"))
            env["crm.relationship.score"].recompute(
                company_ids=company.ids, date_ref=date_ref
            )
        # every department function present, so that each rule routes somewhere
        Department = env["hr.department"]
        for function in ("finance", "logistics", "sales", "service"):
            if not Department.search([("crm_function", "=", function)], limit=1):
                Department.create({"name": function.title(), "crm_function": function})
        Action = env["crm.next.action"]
        cr.execute(SQL("DELETE FROM crm_next_action WHERE company_id = %s", company.id))
        rules = env["crm.next.action.rule"].search([])
        result["rules"] = len(rules)
        env.flush_all()

        start = time.perf_counter()
        eligible = {}
        for rule in rules:
            cr.execute(SQL("DROP TABLE IF EXISTS pg_temp.crm_next_action_eligible"))
            cr.execute(
                SQL(
                    """
                    CREATE TEMPORARY TABLE crm_next_action_eligible (
                        partner_id integer PRIMARY KEY, amount double precision,
                        count integer, product_id integer,
                        because_product_id integer, loyalty_tier_id integer)
                    """
                )
            )
            getattr(Action, f"_eligible_{rule.kind}")(
                company, rule, company._crm_today()
            )
            cr.execute(SQL("SELECT * FROM crm_next_action_eligible"))
            eligible[rule.kind] = len(cr.fetchall())
        cr.execute(SQL("DROP TABLE pg_temp.crm_next_action_eligible"))
        result["floor_s"] = round(time.perf_counter() - start, 3)
        result["eligible"] = eligible

        start = time.perf_counter()
        Action._cron_generate(company)
        result["generate_s"] = round(time.perf_counter() - start, 3)
        cr.execute(
            SQL(
                """
                SELECT COUNT(*), COUNT(*) FILTER (WHERE is_control)
                  FROM crm_next_action WHERE company_id = %s
                """,
                company.id,
            )
        )
        result["actions"], result["control"] = cr.fetchone()
        # the next morning: nothing new to insert, the same reading
        start = time.perf_counter()
        Action._cron_generate(company)
        result["generate_again_s"] = round(time.perf_counter() - start, 3)
        cr.execute(
            SQL(
                "SELECT COUNT(*) FROM crm_next_action WHERE company_id = %s", company.id
            )
        )
        result["actions_after_again"] = cr.fetchone()[0]
        result["uplift_rows"] = env["crm.next.action.uplift"].search_count(
            [("company_id", "=", company.id)]
        )
        result["generate_vs_floor"] = round(result["generate_s"] / result["floor_s"], 2)
        result["again_vs_floor"] = round(
            result["generate_again_s"] / result["floor_s"], 2
        )
        result["peak_rss_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        )
        cr.rollback()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
