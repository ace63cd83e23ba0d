"""KPI engine benchmark: every scorecard value set-based against the naive way.

Run at full size by hand (README), and by ``test_kpi_benchmark.py`` at a small size
inside ``make test``. Prints one JSON object. Generates ``--leads`` opportunities by
SQL, ``--owners`` salespeople, ``--kpis`` KPIs over crm.lead (counts, sums and
averages with different domains and date fields, a fifth of them ratios of the
others) and one user scorecard per salesperson listing every KPI, then measures in
the same run:

- ``set_based_s``: the values of every line of every scorecard for ``--periods``
  months, through ``crm.scorecard.line._live_values`` (one grouped query per KPI
  and period for all the owners); ``queries`` counts its SQL queries;
- ``evaluate_s``: the same values from ``crm.kpi._evaluate`` called directly;
- ``naive_s_measured``: the way a loop per owner, KPI and period would do it
  (``search_count`` for counts, ``search`` then ``mapped`` for sums and averages,
  ratios from their parts), over ``--naive-owners`` owners spread over the list;
  ``naive_s_extrapolated`` scales it to every owner, and ``ratio`` is that against
  ``set_based_s``;
- ``values_match``: whether the naive values, built with domains of its own, equal
  the set-based ones for the sampled owners.

    python tests/benchmarks/bench_kpi.py -c CONF -d DB [--leads 200000]
        [--owners 200] [--kpis 50] [--periods 12] [--naive-owners 20] [--commit]

Without ``--commit`` everything happens in one transaction that is rolled back, so
the database is left as it was. With it, the generated users, leads, KPIs and
scorecards are kept, and a later run on the same database reuses them (the size
options then only apply to the first run).
"""

import argparse
import ast
import json
import math
import resource
import sys
import time
import uuid
from datetime import date, datetime, timedelta

import pytz
from dateutil.relativedelta import relativedelta

DATE_REF = date(2026, 6, 30)
CARD_PREFIX = "Bench KPI scorecard"
KPI_PREFIX = "Bench KPI"
# (measure, field, unit); the sums and averages are over stored numbers of crm.lead
MEASURES = [
    ("count", None, "number"),
    ("sum", "expected_revenue", "currency"),
    ("avg", "probability", "percent"),
    ("sum", "prorated_revenue", "currency"),
]
DOMAINS = [
    "[]",
    "[('expected_revenue', '>=', 50000)]",
    "[('probability', '>=', 50)]",
    "[('stage_id.is_won', '=', True)]",
    "[('expected_revenue', '<', 10000), ('probability', '<', 30)]",
    "[('priority', 'in', ['2', '3'])]",
    "['|', ('stage_id.sequence', '<=', 1), ('probability', '<', 10)]",
    "[('stage_id.is_won', '=', False), ('expected_revenue', '>', 0)]",
]
# a date (compared day by day) and a datetime (compared in the company's time zone)
DATE_FIELDS = ["date_deadline", "create_date"]


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def month_periods(count):
    """The ``count`` months up to the one of DATE_REF, oldest first."""
    last = DATE_REF.replace(day=1)
    starts = [last - relativedelta(months=n) for n in range(count - 1, -1, -1)]
    return [(start, start + relativedelta(months=1, days=-1)) for start in starts]


def kpi_definitions(count):
    """``count`` KPI definitions: a fifth ratios, the rest base measures.

    The first two base KPIs count every opportunity by each date field; the ratios
    divide other base KPIs by the one of the same date field. Measures, domains,
    date fields and modes vary with different strides, so that any prefix mixes them.
    """
    n_ratios = count // 5
    n_base = count - n_ratios
    base = []
    for i in range(n_base):
        measure, field, unit = MEASURES[0] if i < 2 else MEASURES[i % len(MEASURES)]
        base.append(
            {
                "name": "%s %02d" % (KPI_PREFIX, i),
                "measure": measure,
                "field": field,
                "unit": unit,
                "domain": "[]" if i < 2 else DOMAINS[i % len(DOMAINS)],
                "date_field": DATE_FIELDS[i % 2 if i < 2 else (i // 4) % 2],
                "date_mode": "until" if i % 5 == 4 else "period",
            }
        )
    ratios = []
    for j in range(n_ratios):
        numerator = 2 + j % max(1, n_base - 2)
        denominator = DATE_FIELDS.index(base[numerator]["date_field"])
        ratios.append(
            {
                "name": "%s %02d" % (KPI_PREFIX, n_base + j),
                "measure": "ratio",
                "numerator": numerator,
                "denominator": denominator,
                "ratio_scale": "percent"
                if base[numerator]["measure"] == "count"
                else "one",
            }
        )
    return base, ratios


def create_kpis(env, count):
    Fields = env["ir.model.fields"]
    lead_model = env["ir.model"]._get("crm.lead")

    def field_id(name):
        return Fields._get("crm.lead", name).id

    base, ratios = kpi_definitions(count)
    Kpi = env["crm.kpi"].with_context(tracking_disable=True)
    base_kpis = Kpi.create(
        [
            {
                "name": spec["name"],
                "perspective": "customer",
                "measure": spec["measure"],
                "unit": spec["unit"],
                "model_id": lead_model.id,
                "domain": spec["domain"],
                "date_field_id": field_id(spec["date_field"]),
                "date_mode": spec["date_mode"],
                "field_id": field_id(spec["field"]) if spec["field"] else False,
                "company_field_id": field_id("company_id"),
                "user_field_id": field_id("user_id"),
                "team_field_id": field_id("team_id"),
            }
            for spec in base
        ]
    )
    ratio_kpis = Kpi.create(
        [
            {
                "name": spec["name"],
                "perspective": "financial",
                "measure": "ratio",
                "unit": "percent" if spec["ratio_scale"] == "percent" else "number",
                "numerator_id": base_kpis[spec["numerator"]].id,
                "denominator_id": base_kpis[spec["denominator"]].id,
                "ratio_scale": spec["ratio_scale"],
            }
            for spec in ratios
        ]
    )
    return base_kpis | ratio_kpis


def generate(env, args, periods):
    """Users, leads, KPIs and one user scorecard per user listing every KPI."""
    from odoo import Command
    from odoo.tools import SQL

    cr = env.cr
    company = env.company
    token = uuid.uuid4().hex[:8]
    users = (
        env["res.users"]
        .with_context(no_reset_password=True, tracking_disable=True)
        .create(
            [
                {
                    "name": "Bench KPI salesperson %s %03d" % (token, i),
                    "login": "bench_kpi_%s_%03d" % (token, i),
                    "company_id": company.id,
                    "company_ids": [Command.set(company.ids)],
                    "groups_id": [Command.set(env.ref("base.group_user").ids)],
                }
                for i in range(args.owners)
            ]
        )
    )
    stage_ids = env["crm.stage"].search([]).ids
    env.flush_all()
    # created over the periods and a month either side, due up to four months later;
    # in the order of their ids, as a table that grows over time stores them
    span_start = datetime.combine(
        periods[0][0] - relativedelta(months=1), datetime.min.time()
    )
    span_end = datetime.combine(
        periods[-1][1] + relativedelta(months=1), datetime.min.time()
    )
    cr.execute(SQL("SELECT setseed(0.42)"))
    cr.execute(
        SQL(
            """
            INSERT INTO crm_lead (
                name, type, active, user_id, company_id, stage_id, priority,
                expected_revenue, probability, prorated_revenue, date_deadline,
                create_date, write_date, create_uid, write_uid
            )
            SELECT 'Bench KPI lead ' || g, 'opportunity', r_active > 0.03,
                   (%(users)s::int[])[1 + floor(r_user * %(n_users)s)::int],
                   %(company)s,
                   (%(stages)s::int[])[1 + floor(r_stage * %(n_stages)s)::int],
                   (ARRAY['0', '1', '2', '3'])[1 + floor(r_priority * 4)::int],
                   revenue, probability,
                   round(revenue * probability::numeric / 100, 2),
                   CASE WHEN r_deadline < 0.1 THEN NULL
                        ELSE (created + r_deadline * interval '120 days')::date END,
                   created, created, %(uid)s, %(uid)s
              FROM (
                    SELECT g, random() AS r_active, random() AS r_user,
                           random() AS r_stage, random() AS r_priority,
                           random() AS r_deadline,
                           round((random() ^ 2 * 100000)::numeric, 2) AS revenue,
                           round(random() * 100)::float AS probability,
                           %(span_start)s::timestamp
                               + (g - random()) / %(leads)s
                                 * (%(span_end)s::timestamp
                                    - %(span_start)s::timestamp) AS created
                      FROM generate_series(1, %(leads)s) AS g
                   ) AS draws
            """,
            users=users.ids,
            n_users=len(users),
            company=company.id,
            stages=stage_ids,
            n_stages=len(stage_ids),
            uid=env.uid,
            leads=args.leads,
            span_start=span_start,
            span_end=span_end,
        )
    )
    leads = cr.rowcount
    kpis = create_kpis(env, args.kpis)
    cards = (
        env["crm.scorecard"]
        .with_context(tracking_disable=True, mail_create_nolog=True)
        .create(
            [
                {
                    "name": "%s %03d" % (CARD_PREFIX, i),
                    "company_id": company.id,
                    "owner_type": "user",
                    "user_id": user.id,
                    "responsible_id": user.id,
                    "period": "month",
                    "line_ids": [
                        Command.create({"kpi_id": kpi.id, "target": 100.0})
                        for kpi in kpis
                    ],
                }
                for i, user in enumerate(users)
            ]
        )
    )
    env.flush_all()
    return cards, {"leads": leads, "users": len(users), "kpis": len(kpis)}


def naive_values(env, kpis, owners, periods, tz_name):
    """``{(kpi_id, owner, period): value}`` one owner, KPI and period at a time.

    Its domains are its own, not the engine's: the check of the engine is only worth
    something if the two do not share their mistakes.
    """
    Lead = env["crm.lead"]
    tz = pytz.timezone(tz_name or "UTC")
    base = kpis.filtered(lambda kpi: kpi.measure != "ratio")
    ratios = kpis - base
    values = {}
    for owner in owners:
        _owner_type, user_id, company_id = owner
        for period in periods:
            date_from, date_to = period
            start = tz.localize(datetime.combine(date_from, datetime.min.time()))
            end = tz.localize(
                datetime.combine(date_to + timedelta(days=1), datetime.min.time())
            )
            utc = (
                start.astimezone(pytz.utc).replace(tzinfo=None),
                end.astimezone(pytz.utc).replace(tzinfo=None),
            )
            for kpi in base:
                domain = list(ast.literal_eval(kpi.domain or "[]"))
                domain += [("user_id", "=", user_id), ("company_id", "=", company_id)]
                fname = kpi.date_field_id.name
                if kpi.date_field_id.ttype == "datetime":
                    lower, upper = (fname, ">=", utc[0]), (fname, "<", utc[1])
                else:
                    lower, upper = (fname, ">=", date_from), (fname, "<=", date_to)
                if kpi.date_mode == "period":
                    domain += [lower, upper]
                elif kpi.date_mode == "until":
                    domain += [upper]
                if kpi.measure == "count":
                    value = float(Lead.search_count(domain))
                else:
                    amounts = Lead.search(domain).mapped(kpi.field_id.name)
                    if kpi.measure == "sum":
                        value = float(sum(amounts))
                    else:
                        value = sum(amounts) / len(amounts) if amounts else None
                values[kpi.id, owner, period] = value
            for kpi in ratios:
                numerator = values[kpi.numerator_id.id, owner, period]
                denominator = values[kpi.denominator_id.id, owner, period]
                factor = {
                    "one": 1.0,
                    "percent": 100.0,
                    "days": (date_to - date_from).days + 1,
                }[kpi.ratio_scale]
                values[kpi.id, owner, period] = (
                    None
                    if numerator is None or not denominator
                    else numerator / denominator * factor
                )
    return values


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument("--kpis", type=int, default=50)
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--naive-owners", type=int, default=20)
    parser.add_argument("--commit", action="store_true")
    # the cost curves (bench_curves.py) generate in a process of their own, so that
    # the measured run's peak memory is the measured steps' only
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args()

    import odoo
    from odoo.tools import SQL

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    periods = month_periods(args.periods)
    result = {}
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        Scorecard = env["crm.scorecard"]
        start = time.perf_counter()
        cards = Scorecard.search([("name", "=like", CARD_PREFIX + " %")])
        if cards and args.commit:
            result["generated"] = "reused"
        else:
            cards, result["generated"] = generate(env, args, periods)
            if args.commit:
                cr.commit()  # pylint: disable=invalid-commit
        result["generate_s"] = round(time.perf_counter() - start, 2)
        if args.commit:
            # as autovacuum would have done by then: statistics and the hint bits of
            # the freshly loaded rows, which the first reader would otherwise pay
            vacuum = odoo.sql_db.db_connect(args.database).cursor()
            vacuum._cnx.autocommit = True
            vacuum.execute(SQL("VACUUM ANALYZE crm_lead"))
            vacuum.close()
        else:
            cr.execute(SQL("ANALYZE crm_lead"))
        if args.generate_only:
            if args.commit:
                cr.commit()  # pylint: disable=invalid-commit
            json.dump(result, sys.stdout)
            sys.stdout.write("\n")
            return
        # the peak memory so far: loading Odoo (and generating, if it did)
        result["rss_before_mb"] = round(peak_rss_mb(), 1)

        lines = cards.line_ids
        kpis = lines.kpi_id
        owners = list(dict.fromkeys(card._owner_key() for card in cards))
        tz_name = cards[:1]._tz()
        result.update(
            kpis=len(kpis),
            owners=len(owners),
            periods=len(periods),
            lines=len(lines),
            values=len(kpis) * len(owners) * len(periods),
        )

        # the engine directly; also warms the cache, so that both sides below read
        # from memory
        env.invalidate_all()
        start = time.perf_counter()
        kpis._evaluate(owners, periods, tz_name)
        result["evaluate_s"] = round(time.perf_counter() - start, 3)

        # (a) set-based, the real path: every line of every scorecard, every period
        env.invalidate_all()
        queries = cr.sql_log_count
        start = time.perf_counter()
        live = cards.line_ids._live_values(periods)
        result["set_based_s"] = round(time.perf_counter() - start, 3)
        result["queries"] = cr.sql_log_count - queries
        # the peak before the naive way, whose record cache grows with the leads
        result["set_based_peak_rss_mb"] = round(peak_rss_mb(), 1)
        set_based = {}
        for line in cards.line_ids:
            owner = line._owner_key()
            for period in periods:
                set_based[line.kpi_id.id, owner, period] = live[line.id, period]

        # (b) naive, on owners spread over the list, scaled to all of them
        step = max(1, len(owners) // max(1, args.naive_owners))
        sampled = owners[::step][: args.naive_owners]
        env.invalidate_all()
        queries = cr.sql_log_count
        start = time.perf_counter()
        naive = naive_values(env, kpis, sampled, periods, tz_name)
        naive_s = time.perf_counter() - start
        result["naive_queries_measured"] = cr.sql_log_count - queries
        result["naive_sampled_owners"] = len(sampled)
        result["naive_s_measured"] = round(naive_s, 3)
        result["naive_s_extrapolated"] = round(naive_s * len(owners) / len(sampled), 3)
        result["ratio"] = round(
            result["naive_s_extrapolated"] / result["set_based_s"], 1
        )
        mismatches = [
            key for key, value in naive.items() if not same(value, set_based[key])
        ]
        result["values_compared"] = len(naive)
        result["values_known"] = sum(value is not None for value in naive.values())
        result["values_match"] = bool(naive) and not mismatches
        for key in mismatches[:5]:
            print(
                "mismatch %s: naive %s, set-based %s"
                % (key, naive[key], set_based[key]),
                file=sys.stderr,
            )
        result["peak_rss_mb"] = round(peak_rss_mb(), 1)
        if args.commit:
            cr.commit()  # pylint: disable=invalid-commit
        else:
            cr.rollback()
    if not args.commit:
        # gives back at once the room of the rolled-back leads, which later runs
        # would otherwise scan as dead rows until autovacuum passes
        vacuum = odoo.sql_db.db_connect(args.database).cursor()
        vacuum._cnx.autocommit = True
        vacuum.execute(SQL("VACUUM crm_lead"))
        vacuum.close()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
