"""Lifetime value benchmark: fit and score a company's customers, against the floor.

Run by ``make bench`` on the benchmark database (100k customers, kept between runs),
and by ``test_clv_benchmark.py`` at a small size inside ``make test``. Prints one JSON
object. The floor is the query that reads every customer's purchase occasions into
arrays, measured in the same run: fitting adds the two likelihood maximisations and
the hold-out check, scoring the predictions and the UPDATEs of the score rows.

    python tests/benchmarks/bench_clv.py -c CONF -d DB [--customers N] [--commit]

Customers are generated (by the demo generator's SQL path) only when the database has
none from an earlier ``--commit`` run of a benchmark. Without ``--commit`` everything
is rolled back.
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
        # Score rows committed by an earlier run (the scoring benchmark's) are used as
        # they are: the daily rescore runs in its own transaction, after the
        # recompute's. Rows written earlier in the same transaction would make
        # PostgreSQL check all their foreign keys again at the UPDATE (it skips the
        # check of an unchanged key only for rows of another transaction): 13 s
        # instead of 4.9 s for a bare UPDATE of the 100k rows (2026-12-07).
        cr.execute(
            SQL(
                "SELECT count(*) FROM crm_relationship_score WHERE company_id = %s",
                company.id,
            )
        )
        result["scores_reused"] = bool(cr.fetchone()[0])
        if not result["scores_reused"]:
            env["crm.relationship.score"].recompute(
                company_ids=company.ids, date_ref=date_ref
            )
        # the peak memory so far: loading Odoo (and generating, if it did)
        result["rss_before_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        )
        Fit = env["crm.clv.fit"]
        probe = Fit.create({"company_id": company.id, "calibration_date": date_ref})

        start = time.perf_counter()
        summaries = probe._summaries(date_ref)
        result["floor_s"] = round(time.perf_counter() - start, 3)
        result["customers"] = len(summaries["x"])
        result["repeat_customers"] = int((summaries["x"] > 0).sum())
        probe.unlink()

        start, cpu = time.perf_counter(), time.process_time()
        fit = Fit.fit_company(company, date_ref)
        result["fit_s"] = round(time.perf_counter() - start, 3)
        # this process's CPU time: what the fit costs whatever else the machine runs
        # (the wall time above waits for the other processes on a loaded machine)
        result["fit_cpu_s"] = round(time.process_time() - cpu, 3)
        result["fit_state"] = fit.state
        result["fit_failure"] = fit.failure_reason or ""
        result["holdout_groups"] = len(fit.holdout_line_ids)
        result["spend_model"] = fit.spend_model or ""
        result["spend_note"] = fit.spend_note or ""
        result["model"] = fit.model
        result["grade"] = fit.grade or ""
        # the models compared on the hold-out; the others say why not
        result["candidates"] = {
            candidate.model: round(candidate.holdout_error, 4)
            for candidate in fit.candidate_ids
            if not candidate.note
        }
        result["candidate_notes"] = {
            candidate.model: candidate.note
            for candidate in fit.candidate_ids
            if candidate.note
        }
        dropout = ("s", "beta") if fit.model == "pareto_nbd" else ("a", "b")
        result["params"] = {
            name: round(fit[name], 4)
            for name in ("r", "alpha", *dropout, "p", "q", "gamma")
        }
        if fit.state == "done":
            start = time.perf_counter()
            result["scored"] = fit._write_scores(as_of=date_ref)
            result["score_s"] = round(time.perf_counter() - start, 3)
            cr.execute(
                SQL(
                    "SELECT count(*) FROM crm_relationship_score"
                    " WHERE company_id = %s AND clv_fit_id = %s",
                    company.id,
                    fit.id,
                )
            )
            result["score_rows_written"] = cr.fetchone()[0]
            result["fit_vs_floor"] = round(result["fit_s"] / result["floor_s"], 2)
            result["score_vs_floor"] = round(result["score_s"] / result["floor_s"], 2)
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
