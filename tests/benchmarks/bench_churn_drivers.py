"""Churn drivers benchmark: the Cox fit of a company's scored customers, against the
bare lifelines fit of the same arrays.

Run on the benchmark database (100k customers), and by
``test_churn_drivers_benchmark.py`` at a small size inside ``make test``. Prints one
JSON object. The baseline, measured in the same run, is lifelines' ``CoxPHFitter.fit``
alone on the survival table the model reads: the drivers fit adds the query, the
proportional-hazards check (Schoenfeld residuals), the concordance and the records.

    python tests/benchmarks/bench_churn_drivers.py -c CONF -d DB [--customers N]
        [--commit]

Customers are generated (by the demo generator's SQL path) only when the database has
none; scores are recomputed only when the company has none, so that a database
built by another benchmark is only read. Without ``--commit`` everything is rolled
back.
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
                "SELECT count(*) FROM crm_relationship_score WHERE company_id = %s",
                company.id,
            )
        )
        if not cr.fetchone()[0]:
            env["crm.relationship.score"].recompute(
                company_ids=company.ids, date_ref=date_ref
            )
            result["scores"] = "recomputed"
        else:
            result["scores"] = "reused"

        Fit = env["crm.churn.driver.fit"]
        probe = Fit.create({"company_id": company.id})
        # baseline: the table read and lifelines' fit alone (imports warmed first)
        import pandas as pd
        from lifelines import CoxPHFitter

        start = time.perf_counter()
        table = probe._survival_table()
        result["read_s"] = round(time.perf_counter() - start, 3)
        frame = pd.DataFrame(
            {
                name: values
                for name, values in table["covariates"].items()
                if values.min() != values.max()
            }
        )
        frame["_duration"] = table["durations"]
        frame["_event"] = table["events"]
        frame["_entry"] = table["entries"]
        start = time.perf_counter()
        try:
            CoxPHFitter().fit(
                frame, duration_col="_duration", event_col="_event", entry_col="_entry"
            )
        except Exception as error:  # noqa: BLE001 - a baseline that cannot fit is reported
            result["baseline_error"] = str(error)
        result["baseline_s"] = round(result["read_s"] + time.perf_counter() - start, 3)
        probe.unlink()

        start = time.perf_counter()
        fit = Fit.fit_company(company)
        result["drivers_s"] = round(time.perf_counter() - start, 3)
        result["state"] = fit.state
        result["failure"] = fit.failure_reason or ""
        result["customers"] = fit.subject_count
        result["churned"] = fit.event_count
        result["concordance"] = round(fit.concordance, 3)
        result["drivers"] = {
            driver.covariate: [
                round(driver.hazard_ratio, 3),
                round(driver.p_value, 4),
                round(driver.ph_p_value, 4),
            ]
            for driver in fit.driver_ids
        }
        # partial defection, as the scoring run's hook computes it for all rows
        Score = env["crm.relationship.score"]
        start = time.perf_counter()
        Score._apply_spend_change(company)
        result["spend_change_s"] = round(time.perf_counter() - start, 3)
        result["partial_defectors"] = Score.search_count(
            [("company_id", "=", company.id), ("partial_defection", "=", True)]
        )
        result["drivers_vs_baseline"] = round(
            result["drivers_s"] / result["baseline_s"], 2
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
