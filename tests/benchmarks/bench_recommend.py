"""Product recommendations benchmark: refresh and grade a company's recommender, and
the live recommendations of a few customers, against the floor.

Run by ``make bench`` on the benchmark database (100k customers, kept between runs),
and by ``test_recommend_benchmark.py`` at a small size inside ``make test``. Prints one
JSON object. The floor is reading the company's invoice lines aggregated per customer,
product and invoice day (the one query the recommender reads), measured in the same
run: the refresh adds the similarities, the recommendations of every customer, their
writing and the hold-out evaluation. ``time`` is a refresh over stored rows (the
nightly case: only changed rows are written), ``first_fill_s`` the first one, which
inserts every row.

    python tests/benchmarks/bench_recommend.py -c CONF -d DB [--customers N] [--commit]

Customers are generated (by the demo generator's SQL path) only when the database has
none from an earlier ``--commit`` run of a benchmark. Without ``--commit`` everything
is rolled back.
"""

import argparse
import json
import resource
import sys
import time
from datetime import date, timedelta


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
        Model = env["crm.recommendation.model"]
        cutoff = date_ref - timedelta(days=90)
        Model._purchase_data(company, cutoff)  # warm the cache, as the refresh finds it

        start = time.perf_counter()
        data = Model._purchase_data(company, cutoff)
        result["floor_s"] = round(time.perf_counter() - start, 3)
        result["customers"] = len(data["partner_ids"])
        result["products"] = len(data["product_ids"])
        result["pairs"] = int(data["train"].nnz)

        # the first refresh writes every row; the nightly one rewrites what changed
        start = time.perf_counter()
        Model._refresh_company(company, date_ref)
        result["first_fill_s"] = round(time.perf_counter() - start, 3)
        result["first_fill_ratio"] = round(
            result["first_fill_s"] / result["floor_s"], 2
        )
        start = time.perf_counter()
        model = Model._refresh_company(company, date_ref)
        result["time"] = round(time.perf_counter() - start, 3)
        result["ratio"] = round(result["time"] / result["floor_s"], 2)
        result["recommendations"] = model.recommendation_count
        cr.execute(
            SQL(
                "SELECT count(*), count(DISTINCT partner_id)"
                " FROM crm_product_recommendation WHERE company_id = %s",
                company.id,
            )
        )
        result["rows_written"], result["customers_with_rows"] = cr.fetchone()
        result["evaluated"] = model.evaluated_count
        result["hit_rate"] = round(model.hit_rate, 4)
        result["baseline_hit_rate"] = round(model.baseline_hit_rate, 4)
        result["grade"] = model.grade

        partners = env["res.partner"].browse(data["partner_ids"][:100].tolist())
        start = time.perf_counter()
        live = partners._crm_recommended_products(limit=5)
        result["live_100_s"] = round(time.perf_counter() - start, 3)
        result["live_ratio"] = round(result["live_100_s"] / result["floor_s"], 2)
        cr.execute(
            SQL(
                "SELECT partner_id, array_agg(product_id ORDER BY rank)"
                " FROM crm_product_recommendation"
                " WHERE company_id = %s AND partner_id = ANY(%s) GROUP BY partner_id",
                company.id,
                partners.ids,
            )
        )
        stored = dict(cr.fetchall())
        result["live_matches_stored"] = all(
            live[p] == stored.get(p, []) for p in partners.ids
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
