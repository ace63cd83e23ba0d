"""Many users at once: Odoo in prefork mode with the production configuration, and
``locust`` playing what people do through the web client's JSON-RPC.

Run by ``make bench`` (``BENCH=load`` runs only this step). Prints one JSON object.

    python tests/benchmarks/bench_load.py -c CONF -d DB [--users 50] [--run-time 3m]

1. Prepares the database (committed, reused by later runs): a company of
   ``--customers`` generated customers when it has none (``bulk_generator.py``), their
   scores, five departments with their account teams, one relationship user per
   simulated user (department head, billing), opportunities, hand-offs to accept and
   scorecards. It also reads, as each user, the views the web client would load and
   turns them into the ``specification`` of ``web_read``/``web_search_read``: our
   pages with our addons' views, Odoo's pages with its own views only (ours set
   inactive in a rolled-back savepoint), as a database without our addons asks.
2. Renders ``config/production/odoo.conf`` for this machine (workers = 2 x cores + 1,
   and at least users / 8 + 1: see ``default_workers``; the production limits, this
   database; the replica when ``--replica-port`` is given), starts Odoo in prefork
   mode on 127.0.0.1 and waits for it.
3. Runs locust headless (``tests/benchmarks/load/locustfile.py``, its own virtual
   environment: see ``config/requirements-load.txt``), then stops Odoo, also when
   something failed.
4. Prints, per page, requests per second, p50/p95/p99 latency and errors, and the
   ratio of the p95 of each of our pages to the p95 of Odoo's comparable page; the
   same for the time Odoo itself spent on each page (``server``, from its log: what
   the users saw beyond it is waiting for a worker or the CPU).

A page is the sequence of calls the web client makes for it (a form: the action, the
record, its chatter), timed as one request.
"""

import argparse
import configparser
import csv
import json
import logging
import math
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
OURS = ("crm_relationship", "crm_analytics")
PASSWORD = "bench-load"
LOGIN = "bench_load_%03d"
DEPARTMENTS = 5
CUSTOMERS_PER_DEPARTMENT = 200
LEADS_PER_USER = 30
HANDOFFS_PER_USER = 40
#: our page -> Odoo's comparable page, measured in the same run
COMPARABLE = {
    "customer_360": "odoo_customer_form",
    "score_list": "odoo_crm_pipeline",
    "scorecard": "odoo_crm_pipeline",
    "department_page": "odoo_crm_pipeline",
    "invoice_post": "odoo_bill_post",
    "handoff_accept": "odoo_lead_stage_change",
}


# ------------------------------------------------------------------
# the web client's specifications, out of a view's arch
# ------------------------------------------------------------------
def fields_spec(node, fields, models):
    """The ``specification`` the web client sends for the fields of ``node`` (a view
    arch, or an x2many's subview): many2one fields ask for their display name,
    x2many fields for their subview's fields (list or kanban, 40 rows)."""
    spec = {}
    level = node.xpath("count(ancestor::field)") if node.tag != "field" else None
    if level is None:
        level = node.xpath("count(ancestor-or-self::field)")
    for field in node.xpath(f".//field[count(ancestor::field) = {level}]"):
        name = field.get("name")
        info = fields.get(name)
        if not info:
            continue
        ftype = info["type"]
        if ftype in ("many2one", "reference"):
            spec[name] = {"fields": {"display_name": {}}}
        elif ftype in ("one2many", "many2many"):
            sub = {}
            relation = models.get(info["relation"], {}).get("fields", {})
            subviews = field.xpath("./list | ./kanban")
            if subviews:
                sub = fields_spec(subviews[0], relation, models)
            elif ftype == "many2many":
                sub = {"display_name": {}}
            spec[name] = {"fields": sub, "limit": 40}
            if subviews and subviews[0].tag == "list":
                spec[name]["order"] = ""
        else:
            spec.setdefault(name, {})
    return spec


def view_spec(env, model, view_type, view_id=False):
    views = env[model].get_views([(view_id, view_type)])
    models = {name: info for name, info in views["models"].items()}
    arch = etree.fromstring(views["views"][view_type]["arch"])
    spec = fields_spec(arch, models[model]["fields"], models)
    spec.setdefault("display_name", {})
    return spec


def odoo_view_spec(env, model, view_type, view_id=False):
    """The spec of the same view as a database without our addons would send it:
    our addons' extensions of the model's views are set inactive, in a savepoint
    rolled back afterwards."""
    View = env["ir.ui.view"].sudo()  # sudo: the bench's own set-up, rolled back
    ours = View.search(
        [("model", "=", model), ("inherit_id", "!=", False), ("mode", "=", "extension")]
    ).filtered(lambda v: v.xml_id.split(".")[0] in OURS)
    with env.cr.savepoint(flush=True) as savepoint:
        ours.write({"active": False})
        env.registry.clear_cache("templates")
        spec = view_spec(env, model, view_type, view_id)
        savepoint.rollback()
    env.registry.clear_cache("templates")
    env.invalidate_all()
    return spec


# ------------------------------------------------------------------
# the bench company, its users and what they work on
# ------------------------------------------------------------------
def prepare(env, args):
    """Create what is missing (committed), return the plan the locust users read."""
    import odoo
    from odoo import Command
    from odoo.tools import SQL

    cr = env.cr
    company = env.company
    result = {}
    cr.execute(SQL("SELECT count(*) FROM res_partner WHERE name LIKE %s", "Bulk %"))
    if not cr.fetchone()[0]:
        from bulk_generator import BulkDataGenerator

        start = time.perf_counter()
        # the reference date of bench_scoring.py, which reuses these customers
        generator = BulkDataGenerator(env, date_ref=date(2026, 6, 30))
        counts = generator.generate(customers=args.customers)
        counts.pop("partner_ids")
        result["generated"] = counts
        cr.commit()
        # as autovacuum would have by then: statistics of the freshly loaded rows
        analyze = odoo.sql_db.db_connect(cr.dbname).cursor()
        analyze._cnx.autocommit = True
        analyze.execute(SQL("VACUUM ANALYZE"))
        analyze.close()
        env["crm.relationship.score"].recompute(company_ids=company.ids)
        cr.commit()
        result["generate_s"] = round(time.perf_counter() - start, 1)
    elif not env["crm.relationship.score"].search_count([], limit=1):
        env["crm.relationship.score"].recompute(company_ids=company.ids)
        cr.commit()

    Department = env["hr.department"]
    departments = Department.search([("name", "=like", "Bench load %")], order="id")
    if len(departments) < DEPARTMENTS:
        departments |= Department.create(
            [
                {
                    "name": f"Bench load {n}",
                    "company_id": company.id,
                    "crm_function": "sales",
                }
                for n in range(len(departments) + 1, DEPARTMENTS + 1)
            ]
        )
    groups = [
        env.ref("crm_relationship.group_department_head").id,
        env.ref("account.group_account_invoice").id,
        env.ref("sales_team.group_sale_salesman").id,
    ]
    Users = env["res.users"].with_context(no_reset_password=True)
    users = Users.search([("login", "=like", "bench_load_%")], order="login")
    new_users = Users.browse()
    for n in range(len(users) + 1, args.users + 1):
        new_users |= Users.create(
            {
                "name": f"Bench load user {n:03d}",
                "login": LOGIN % n,
                "password": PASSWORD,
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "groups_id": [Command.set(groups)],
            }
        )
    for index, user in enumerate(new_users, start=len(users)):
        env["hr.employee"].create(
            {
                "name": user.name,
                "user_id": user.id,
                "company_id": company.id,
                "department_id": departments[index % DEPARTMENTS].id,
            }
        )
    users = (users | new_users)[: args.users]

    # each department serves its own customers, those with a score
    Member = env["crm.account.team.member"]
    served = {}
    scored = env["crm.relationship.score"].search(
        [("company_id", "=", company.id)],
        order="partner_id",
        limit=DEPARTMENTS * CUSTOMERS_PER_DEPARTMENT,
    )
    partner_ids = scored.partner_id.ids
    for index, department in enumerate(departments):
        members = Member.search([("department_id", "=", department.id)])
        if not members:
            heads = users.filtered(
                lambda u, d=department: u.employee_ids.department_id == d
            )
            chunk = partner_ids[index::DEPARTMENTS]
            members = Member.create(
                [
                    {
                        "partner_id": partner_id,
                        "user_id": heads[i % len(heads)].id,
                        "company_id": company.id,
                    }
                    for i, partner_id in enumerate(chunk)
                ]
            )
        served[department.id] = members.partner_id.ids

    # per user: opportunities of their own, hand-offs to their department
    Lead = env["crm.lead"].with_context(tracking_disable=True, mail_create_nolog=True)
    Handoff = env["crm.handoff"].with_context(
        tracking_disable=True, mail_create_nolog=True
    )
    stages = env["crm.stage"].search([("is_won", "=", False)], order="sequence")
    plan_users = []
    for index, user in enumerate(users):
        department = user.employee_ids.department_id[:1]
        customers = served[department.id]
        rng = random.Random(user.id)
        if not Lead.search_count([("user_id", "=", user.id)]):
            Lead.create(
                [
                    {
                        "name": f"Bench opportunity {user.login} {n}",
                        "type": "opportunity",
                        "user_id": user.id,
                        "partner_id": rng.choice(customers),
                        "stage_id": stages[n % len(stages)].id,
                        "expected_revenue": rng.randint(1, 100) * 500,
                    }
                    for n in range(LEADS_PER_USER)
                ]
            )
        open_handoffs = Handoff.search(
            [("user_id", "=", user.id), ("state", "=", "requested")]
        )
        if len(open_handoffs) < HANDOFFS_PER_USER:
            source = departments[(index + 1) % DEPARTMENTS]
            open_handoffs |= Handoff.create(
                [
                    {
                        "name": f"Bench hand-off {user.login} {n}",
                        "partner_id": rng.choice(customers),
                        "from_department_id": source.id,
                        "to_department_id": department.id,
                        "user_id": user.id,
                        "requested_by_id": users[(index + 1) % len(users)].id,
                    }
                    for n in range(HANDOFFS_PER_USER - len(open_handoffs))
                ]
            )
        plan_users.append(
            {
                "login": user.login,
                "password": PASSWORD,
                "customers": customers[:100],
                "leads": Lead.search([("user_id", "=", user.id)]).ids,
                "handoffs": open_handoffs.ids,
                # the scorecards the user may open (the company's, their department's)
                "scorecards": [],
            }
        )

    # scorecards: the company's balanced scorecard and one per department
    Scorecard = env["crm.scorecard"]
    cards = Scorecard.search([("name", "=like", "Bench load %")])
    if not cards:
        from odoo.addons.crm_analytics.tools.demo_scorecards import (
            COMPANY_KPIS,
            DEPARTMENT_KPIS,
        )

        def lines(xmlids):
            return [
                Command.create({"kpi_id": env.ref("crm_analytics." + x).id})
                for x in xmlids
            ]

        cards = Scorecard.create(
            [
                {
                    "name": "Bench load company scorecard",
                    "owner_type": "company",
                    "line_ids": lines(x for x, _weight in COMPANY_KPIS),
                }
            ]
            + [
                {
                    "name": f"Bench load {department.name} scorecard",
                    "owner_type": "department",
                    "department_id": department.id,
                    "line_ids": lines(DEPARTMENT_KPIS["Sales"]),
                }
                for department in departments
            ]
        )

    for user, plan_user in zip(users, plan_users, strict=True):
        plan_user["scorecards"] = (
            cards.with_user(user).search([("id", "in", cards.ids)]).ids
        )

    # what invoices and vendor bills are made of
    product = env["product.product"].search(
        [("name", "=like", "Bulk product %")], limit=1
    ) or env["product.product"].create({"name": "Bench load product"})
    vendor = env["res.partner"].search(
        [("name", "=", "Bench load vendor")], limit=1
    ) or env["res.partner"].create({"name": "Bench load vendor", "is_company": True})
    cr.commit()

    # the pages' specifications, read as the first user (their groups, their views)
    user_env = env(user=users[0].id)
    pipeline = env.ref("crm.crm_lead_action_pipeline")
    plan = {
        "users": plan_users,
        "product_id": product.id,
        "vendor_id": vendor.id,
        "stage_ids": stages.ids,
        "actions": {
            "customers": env.ref("crm_relationship.res_partner_action_customers").id,
            "scores": env.ref("crm_relationship.crm_relationship_score_action").id,
            "scorecards": env.ref("crm_analytics.crm_scorecard_action").id,
            "department": env.ref("crm_relationship.hr_department_action_dashboard").id,
            "pipeline": pipeline.id,
            "contacts": env.ref("contacts.action_contacts").id
            if env.ref("contacts.action_contacts", raise_if_not_found=False)
            else env.ref("base.action_partner_form").id,
            "invoices": env.ref("account.action_move_out_invoice_type").id,
            "bills": env.ref("account.action_move_in_invoice_type").id,
            "handoffs": env.ref("crm_relationship.crm_handoff_action").id
            if env.ref("crm_relationship.crm_handoff_action", raise_if_not_found=False)
            else False,
        },
        "specs": {
            "customer_360": view_spec(user_env, "res.partner", "form"),
            "score_list": view_spec(user_env, "crm.relationship.score", "list"),
            "scorecard": view_spec(user_env, "crm.scorecard", "form"),
            "invoice": view_spec(user_env, "account.move", "form"),
            "handoff": view_spec(user_env, "crm.handoff", "form"),
        },
    }
    plan["specs"]["odoo_customer_form"] = odoo_view_spec(
        user_env, "res.partner", "form"
    )
    kanban_id = env.ref("crm.crm_case_kanban_view_leads").id
    plan["specs"]["odoo_pipeline"] = odoo_view_spec(
        user_env, "crm.lead", "kanban", kanban_id
    )
    cr.rollback()
    result["users"] = len(plan_users)
    result["departments"] = len(departments)
    result["spec_fields"] = {
        "customer_360": len(plan["specs"]["customer_360"]),
        "odoo_customer_form": len(plan["specs"]["odoo_customer_form"]),
    }
    return plan, result


def single_user(env, plan):
    """Each read page's server work alone, as the first user, before the load: the
    median of 5 runs (ms) and its query count, to tell what a page costs from how
    long it waits for a worker under load. Rolled back."""

    user = env["res.users"].search([("login", "=", plan["users"][0]["login"])])
    uenv = env(user=user.id)
    specs = plan["specs"]
    partner = plan["users"][0]["customers"][1]
    card = plan["users"][0]["scorecards"][0]
    leads = uenv["crm.lead"]
    pipeline_domain = [("type", "=", "opportunity"), ("user_id", "=", user.id)]

    def pipeline():
        groups = leads.web_read_group(
            pipeline_domain, ["expected_revenue:sum"], ["stage_id"], lazy=True
        )
        leads.read_progress_bar(
            pipeline_domain,
            "stage_id",
            {"field": "activity_state", "colors": {"planned": "success"}},
        )
        for group in groups["groups"]:
            leads.web_search_read(
                group["__domain"], specs["odoo_pipeline"], limit=40, order=""
            )

    pages = {
        "customer_360": lambda: (
            uenv["res.partner"].browse(partner).web_read(specs["customer_360"])
        ),
        "odoo_customer_form": lambda: (
            uenv["res.partner"].browse(partner).web_read(specs["odoo_customer_form"])
        ),
        "score_list": lambda: uenv["crm.relationship.score"].web_search_read(
            [], specs["score_list"], limit=80, count_limit=10001
        ),
        "scorecard": lambda: (
            uenv["crm.scorecard"].browse(card).web_read(specs["scorecard"])
        ),
        "department_page": lambda: uenv["hr.department"].get_crm_dashboard(),
        "odoo_crm_pipeline": pipeline,
    }
    result = {}
    for name, read in pages.items():
        read()  # warm the caches
        times, queries = [], []
        for _run in range(5):
            env.invalidate_all()
            count = env.cr.sql_log_count
            start = time.perf_counter()
            read()
            times.append(time.perf_counter() - start)
            queries.append(env.cr.sql_log_count - count)
        result[name] = {
            "ms": round(statistics.median(times) * 1000, 1),
            "queries": statistics.median(queries),
        }
    env.cr.rollback()
    return result


# ------------------------------------------------------------------
# prefork Odoo with the production configuration
# ------------------------------------------------------------------
def render_config(args, test_conf, path, logfile):
    """``config/production/odoo.conf`` with this machine's paths, database and size:
    prefork workers by Odoo's rule (2 x cores + 1), the production limits, no cron
    thread (the crons' batches would compete with the users: measured on their own
    by the other benchmarks), the replica only when one is given."""
    test = configparser.ConfigParser()
    test.read(test_conf)
    prod = configparser.ConfigParser()
    prod.read(HERE.parents[1] / "config" / "production" / "odoo.conf")
    opts = prod["options"]
    for key in ("addons_path", "data_dir", "db_host", "db_port", "db_user"):
        opts[key] = test["options"][key]
    opts["db_password"] = test["options"].get("db_password", "")
    opts["admin_passwd"] = test["options"].get("admin_passwd", "admin")
    opts["db_name"] = args.database
    opts["dbfilter"] = f"^{args.database}$"
    opts["workers"] = str(args.workers or default_workers(args.users))
    opts["max_cron_threads"] = "0"
    opts["proxy_mode"] = "False"  # no proxy in front: locust talks to Odoo itself
    opts["http_interface"] = "127.0.0.1"
    opts["http_port"] = str(args.http_port)
    opts["gevent_port"] = str(args.gevent_port)
    opts["logfile"] = str(logfile)
    if args.replica_port:
        opts["db_replica_host"] = args.replica_host
        opts["db_replica_port"] = str(args.replica_port)
    else:
        opts.pop("db_replica_host", None)
        opts.pop("db_replica_port", None)
    with open(path, "w") as out:
        prod.write(out)
    return dict(opts)


def default_workers(users):
    """Odoo's rule, 2 x cores + 1, and at least one worker per 8 users plus one.

    A prefork Odoo listens with a backlog of 8 connections per worker
    (``PreforkServer.socket.listen(8 * workers)``); with more users waiting at once,
    Linux drops their connections, and each dropped connection waits 1, 3, 7 s for
    its client to try again (seen with 5 workers and 50 users: ``ListenOverflows``
    in ``nstat``, pages of 10 s and more whose calls Odoo served in 0.3 s).
    """
    return max(2 * (os.cpu_count() or 1) + 1, math.ceil(users / 8) + 1)


def start_odoo(conf, workdir):
    # prefork spawns its gevent process as ``python sys.argv[0] gevent``: a real file
    launcher = Path(workdir) / "odoo-bin"
    launcher.write_text("import odoo.cli\nodoo.cli.main()\n")
    return subprocess.Popen(
        [sys.executable, str(launcher), "-c", str(conf)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_odoo(process):
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for(url, process, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Odoo stopped at start (exit {process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"Odoo did not answer {url} within {timeout} s")


def warm_up(url, workers):
    """Each worker loads the registry on its first request: have them all do it
    before the users come (a few rounds of concurrent requests)."""
    from concurrent.futures import ThreadPoolExecutor

    def get(_n):
        with urllib.request.urlopen(url, timeout=300) as response:
            return response.status

    with ThreadPoolExecutor(workers * 2) as pool:
        list(pool.map(get, range(workers * 6)))


# ------------------------------------------------------------------
# the figures
# ------------------------------------------------------------------
def read_stats(csv_prefix):
    pages = {}
    with open(f"{csv_prefix}_stats.csv", newline="") as stats:
        for row in csv.DictReader(stats):
            if row["Type"] != "PAGE":
                continue
            count = int(row["Request Count"])
            pages[row["Name"]] = {
                "requests": count,
                "errors": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 2),
                "p50_ms": float(row["50%"]) if count else None,
                "p95_ms": float(row["95%"]) if count else None,
                "p99_ms": float(row["99%"]) if count else None,
            }
    errors = {}
    failures = Path(f"{csv_prefix}_failures.csv")
    if failures.exists():
        with open(failures, newline="") as rows:
            for row in csv.DictReader(rows):
                errors.setdefault(row["Name"], []).append(
                    f"{row['Occurrences']}x {row['Error'][:300]}"
                )
    return pages, errors


LOG_CALL = re.compile(
    r'"POST \S+\?page=(?P<page>\w+)&n=(?P<n>\d+) HTTP/[\d.]+" \d+ - '
    r"(?P<queries>\d+) (?P<query_s>[\d.]+) (?P<other_s>[\d.]+)"
)


def read_server_times(logfile):
    """The time Odoo spent on each page, from its log: the sum, over the page's
    calls, of the SQL and other time werkzeug's request line reports. What the
    users saw beyond it is waiting: for a free worker, for the CPU (2 cores shared
    by the workers, PostgreSQL and locust here).

    :return: ``{page: {"pages": n, "p50_ms", "p95_ms", "queries_p50"}}``
    """
    seconds, queries = {}, {}
    with open(logfile, encoding="utf-8", errors="replace") as log:
        for line in log:
            match = LOG_CALL.search(line)
            if not match:
                continue
            key = (match["page"], int(match["n"]))
            seconds[key] = (
                seconds.get(key, 0.0)
                + float(match["query_s"])
                + float(match["other_s"])
            )
            queries[key] = queries.get(key, 0) + int(match["queries"])
    by_page = {}
    for (page, number), total in seconds.items():
        by_page.setdefault(page, []).append((total, queries[page, number]))
    result = {}
    for page, rows in sorted(by_page.items()):
        times = sorted(total for total, _queries in rows)
        result[page] = {
            "pages": len(times),
            "p50_ms": round(percentile(times, 50) * 1000),
            "p95_ms": round(percentile(times, 95) * 1000),
            "queries_p50": statistics.median(count for _total, count in rows),
        }
    return result


def percentile(values, rank):
    """The nearest-rank percentile of sorted ``values``, as locust reports them."""
    index = max(0, math.ceil(rank / 100 * len(values)) - 1)
    return values[index]


def ratios(pages, key):
    return {
        ours: round(pages[ours][key] / pages[odoo_page][key], 2)
        if pages.get(ours, {}).get(key) and pages.get(odoo_page, {}).get(key)
        else None
        for ours, odoo_page in COMPARABLE.items()
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--run-time", default="3m")
    parser.add_argument("--wait", default="5,15", help="think time, min,max seconds")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--http-port", type=int, default=8274)
    parser.add_argument("--gevent-port", type=int, default=8284)
    parser.add_argument("--replica-host", default="127.0.0.1")
    parser.add_argument("--replica-port", type=int, default=0)
    parser.add_argument(
        "--locust",
        default=str(HERE.parents[1] / ".local" / "locust-venv" / "bin" / "locust"),
    )
    parser.add_argument("--prepare-only", action="store_true")
    args = parser.parse_args()

    import odoo

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"lang": "en_US"})
        start = time.perf_counter()
        plan, result = prepare(env, args)
        result["prepare_s"] = round(time.perf_counter() - start, 1)
        # outside a request, _() in the pages' helpers finds no language: quiet
        logging.getLogger("odoo.tools.translate").setLevel(logging.ERROR)
        result["single_user"] = single_user(env, plan)
    if args.prepare_only:
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
        return

    workdir = tempfile.mkdtemp(prefix="bench_load_")
    plan_file = Path(workdir) / "plan.json"
    plan_file.write_text(json.dumps(plan))
    conf = Path(workdir) / "odoo.conf"
    logfile = Path(args.config).resolve().parent / "bench-load-odoo.log"
    logfile.unlink(missing_ok=True)  # Odoo appends: this run's lines only
    opts = render_config(args, args.config, conf, logfile)
    result.update(
        database=args.database,
        workers=int(opts["workers"]),
        replica=(
            f"{args.replica_host}:{args.replica_port}"
            if args.replica_port
            else "none in this run (BENCH_REPLICA_PORT gives one)"
        ),
        users_simulated=args.users,
        run_time=args.run_time,
        think_time_s=args.wait,
    )
    if not args.replica_port:
        print(
            "bench_load: no replica in this run (give BENCH_REPLICA_PORT to use one)",
            file=sys.stderr,
        )
    base = f"http://127.0.0.1:{args.http_port}"
    csv_prefix = Path(workdir) / "locust"
    # stopped by make or a CI timeout: still stop Odoo (the finally below)
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    process = start_odoo(conf, workdir)
    try:
        wait_for(f"{base}/web/health", process)
        warm_up(f"{base}/web/login?db={args.database}", int(opts["workers"]))
        env_vars = dict(
            os.environ,
            BENCH_LOAD_PLAN=str(plan_file),
            BENCH_LOAD_DB=args.database,
            BENCH_LOAD_WAIT=args.wait,
            BENCH_LOAD_USERS=str(args.users),
        )
        run = subprocess.run(
            [
                args.locust,
                "-f",
                str(HERE / "load" / "locustfile.py"),
                "--headless",
                "--host",
                base,
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                args.run_time,
                "--stop-timeout",
                "30",
                "--csv",
                str(csv_prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env=env_vars,
            capture_output=True,
            text=True,
            check=False,
        )
        if not Path(f"{csv_prefix}_stats.csv").exists():
            sys.stderr.write(run.stdout[-3000:] + run.stderr[-3000:])
            raise RuntimeError(f"locust failed (exit {run.returncode})")
    finally:
        stop_odoo(process)

    pages, errors = read_stats(csv_prefix)
    result["pages"] = pages
    result["errors"] = errors
    result["p95_vs_odoo"] = ratios(pages, "p95_ms")
    server = read_server_times(logfile)
    if not server:
        raise RuntimeError(
            "no measured page in Odoo's log: not every user logged in "
            f"(see {csv_prefix}_failures.csv)"
        )
    result["server"] = server
    result["server_p95_vs_odoo"] = ratios(server, "p95_ms")
    result["total_errors"] = sum(page["errors"] for page in pages.values())
    result["within_target"] = result["total_errors"] == 0 and all(
        ratio is not None and ratio <= 1.5 for ratio in result["p95_vs_odoo"].values()
    )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
