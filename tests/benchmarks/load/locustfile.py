"""What relationship users do through the web client, for locust.

Started by ``tests/benchmarks/bench_load.py``, which prepares the users and writes the
plan (``BENCH_LOAD_PLAN``: logins, records, the views' specifications). Runs in
locust's own virtual environment: nothing here imports Odoo.

Each task is a page: the JSON-RPC calls the web client makes for it, one after the
other, reported together as one request of type ``PAGE`` (each call is also reported
on its own, type ``RPC``). A call that answers an error fails its page.
Pages of ours and Odoo's comparable pages have the same weight.

The figures count from the moment the last user has logged in (a login hashes its
password, PBKDF2: the logins of 50 users are seconds of CPU the pages would
otherwise share). From then on, each call of a page carries ``?page=NAME&n=N`` in
its URL (JSON-RPC routes ignore the query string; Odoo's log shows it), so that
``bench_load.py`` adds up the time Odoo spent on each page from its log.
"""

import itertools
import json
import os
import time

from locust import HttpUser, between, events, task

with open(os.environ["BENCH_LOAD_PLAN"]) as plan_file:
    PLAN = json.load(plan_file)
DB = os.environ["BENCH_LOAD_DB"]
WAIT = [float(x) for x in os.environ.get("BENCH_LOAD_WAIT", "5,15").split(",")]
USERS = itertools.count()
EXPECTED_USERS = int(os.environ["BENCH_LOAD_USERS"])
LOGGED_IN = itertools.count(1)
PAGE_NUMBERS = itertools.count(1)
MEASURING = {"on": False}
SPECS = PLAN["specs"]
ACTIONS = PLAN["actions"]
# the kanban's grouped columns: 40 cards each (Odoo 18's default)
KANBAN_LIMIT = 40


class RpcError(Exception):
    pass


class RelationshipUser(HttpUser):
    wait_time = between(*WAIT)

    def on_start(self):
        me = PLAN["users"][next(USERS) % len(PLAN["users"])]
        self.me = me
        self.customers = itertools.cycle(me["customers"])
        self.leads = itertools.cycle(me["leads"])
        self.handoffs = iter(me["handoffs"])
        self.scorecards = itertools.cycle(me["scorecards"])
        self.stages = itertools.cycle(PLAN["stage_ids"])
        self.rpc_id = itertools.count(1)
        self.page_tag = None
        for attempt in range(3):  # a full accept queue drops the connection
            try:
                session = self.call(
                    "/web/session/authenticate",
                    {"db": DB, "login": me["login"], "password": me["password"]},
                    name="login",
                )
                break
            except RpcError:
                if attempt == 2:
                    raise
        self.uid = session["uid"]
        if next(LOGGED_IN) == EXPECTED_USERS:
            # every user is logged in: the figures start now
            self.environment.runner.stats.reset_all()
            MEASURING["on"] = True
        self.odoo_context = {
            **session["user_context"],
            "allowed_company_ids": [session["user_companies"]["current_company"]],
        }

    # --------------------------------------------------------------
    # JSON-RPC as the web client sends it
    # --------------------------------------------------------------
    def call(self, url, params, name):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": next(self.rpc_id),
            "params": params,
        }
        if self.page_tag:
            url = f"{url}?{self.page_tag}"
        with self.client.post(
            url, json=payload, name=name, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                raise RpcError(f"HTTP {response.status_code} on {name}")
            body = response.json()
            if "error" in body:
                data = body["error"].get("data", {})
                message = (
                    f"{data.get('name', '')}: {data.get('message', body['error'])}"
                )
                response.failure(message)
                raise RpcError(f"{name}: {message}")
            response.success()
            return body["result"]

    def call_kw(self, page, model, method, args, kwargs=None, button=False):
        kwargs = dict(kwargs or {})
        kwargs["context"] = {**self.odoo_context, **kwargs.get("context", {})}
        route = "call_button" if button else "call_kw"
        return self.call(
            f"/web/dataset/{route}/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs},
            name=f"{page}: {model}.{method}",
        )

    def load_action(self, page, action_id):
        return self.call(
            "/web/action/load",
            {"action_id": action_id, "context": self.odoo_context},
            name=f"{page}: /web/action/load",
        )

    def chatter(self, page, model, res_id):
        """What a form's chatter loads beside the record (Odoo 18's mail chatter)."""
        thread = {"thread_model": model, "thread_id": res_id}
        self.call(
            "/mail/thread/data",
            {
                **thread,
                "request_list": [
                    "activities",
                    "attachments",
                    "followers",
                    "scheduledMessages",
                    "suggestedRecipients",
                ],
            },
            name=f"{page}: /mail/thread/data",
        )
        self.call(
            "/mail/thread/messages",
            {**thread, "limit": 30},
            name=f"{page}: /mail/thread/messages",
        )

    def page(self, name, steps):
        """Run ``steps`` (the page's calls) and report them as one request."""
        start = time.perf_counter()
        exception = None
        if MEASURING["on"]:
            self.page_tag = f"page={name}&n={next(PAGE_NUMBERS)}"
        try:
            steps()
        except RpcError as error:
            exception = error
        finally:
            self.page_tag = None
        self.environment.events.request.fire(
            request_type="PAGE",
            name=name,
            response_time=(time.perf_counter() - start) * 1000,
            response_length=0,
            exception=exception,
            context={},
        )

    # --------------------------------------------------------------
    # our pages
    # --------------------------------------------------------------
    @task(3)
    def customer_360(self):
        partner = next(self.customers)

        def steps():
            self.load_action("customer_360", ACTIONS["customers"])
            self.call_kw(
                "customer_360",
                "res.partner",
                "web_read",
                [[partner]],
                {"specification": SPECS["customer_360"]},
            )
            self.chatter("customer_360", "res.partner", partner)

        self.page("customer_360", steps)

    @task(1)
    def score_list(self):
        def steps():
            self.load_action("score_list", ACTIONS["scores"])
            self.call_kw(
                "score_list",
                "crm.relationship.score",
                "web_search_read",
                [],
                {
                    "specification": SPECS["score_list"],
                    "domain": [],
                    "offset": 0,
                    "limit": 80,
                    "order": "",
                    "count_limit": 10001,
                },
            )

        self.page("score_list", steps)

    @task(1)
    def scorecard(self):
        card = next(self.scorecards)

        def steps():
            self.load_action("scorecard", ACTIONS["scorecards"])
            self.call_kw(
                "scorecard",
                "crm.scorecard",
                "web_read",
                [[card]],
                {"specification": SPECS["scorecard"]},
            )
            self.chatter("scorecard", "crm.scorecard", card)

        self.page("scorecard", steps)

    @task(1)
    def department_page(self):
        def steps():
            self.load_action("department_page", ACTIONS["department"])
            self.call_kw("department_page", "hr.department", "get_crm_dashboard", [])

        self.page("department_page", steps)

    def save_and_post(self, page, move_type, partner):
        record = self.call_kw(
            page,
            "account.move",
            "web_save",
            [
                [],
                {
                    "partner_id": partner,
                    "invoice_date": time.strftime("%Y-%m-%d"),
                    "invoice_line_ids": [
                        [
                            0,
                            0,
                            {
                                "product_id": PLAN["product_id"],
                                "quantity": 1,
                                "price_unit": 100,
                            },
                        ]
                    ],
                },
            ],
            {
                "specification": SPECS["invoice"],
                "context": {"default_move_type": move_type},
            },
        )
        move_id = record[0]["id"]
        self.call_kw(page, "account.move", "action_post", [[move_id]], button=True)
        self.call_kw(
            page,
            "account.move",
            "web_read",
            [[move_id]],
            {"specification": SPECS["invoice"]},
        )

    @task(1)
    def invoice_post(self):
        partner = next(self.customers)
        self.page(
            "invoice_post",
            lambda: self.save_and_post("invoice_post", "out_invoice", partner),
        )

    @task(1)
    def handoff_accept(self):
        handoff = next(self.handoffs, None)
        if handoff is None:  # this user accepted all of theirs
            return

        def steps():
            self.call_kw(
                "handoff_accept",
                "crm.handoff",
                "action_accept",
                [[handoff]],
                button=True,
            )
            self.call_kw(
                "handoff_accept",
                "crm.handoff",
                "web_read",
                [[handoff]],
                {"specification": SPECS["handoff"]},
            )

        self.page("handoff_accept", steps)

    # --------------------------------------------------------------
    # Odoo's comparable pages, as a database without our addons asks them
    # --------------------------------------------------------------
    @task(3)
    def odoo_customer_form(self):
        partner = next(self.customers)

        def steps():
            self.load_action("odoo_customer_form", ACTIONS["contacts"])
            self.call_kw(
                "odoo_customer_form",
                "res.partner",
                "web_read",
                [[partner]],
                {"specification": SPECS["odoo_customer_form"]},
            )
            self.chatter("odoo_customer_form", "res.partner", partner)

        self.page("odoo_customer_form", steps)

    @task(3)
    def odoo_crm_pipeline(self):
        page = "odoo_crm_pipeline"
        domain = [["type", "=", "opportunity"], ["user_id", "=", self.uid]]

        def steps():
            self.load_action(page, ACTIONS["pipeline"])
            groups = self.call_kw(
                page,
                "crm.lead",
                "web_read_group",
                [],
                {
                    "domain": domain,
                    "fields": ["expected_revenue:sum"],
                    "groupby": ["stage_id"],
                    "orderby": "",
                    "lazy": True,
                },
            )
            self.call_kw(
                page,
                "crm.lead",
                "read_progress_bar",
                [],
                {
                    "domain": domain,
                    "group_by": "stage_id",
                    "progress_bar": {
                        "field": "activity_state",
                        "colors": {
                            "planned": "success",
                            "today": "warning",
                            "overdue": "danger",
                        },
                    },
                },
            )
            for group in groups["groups"]:
                if group.get("__fold"):
                    continue
                self.call_kw(
                    page,
                    "crm.lead",
                    "web_search_read",
                    [],
                    {
                        "specification": SPECS["odoo_pipeline"],
                        "domain": group["__domain"],
                        "offset": 0,
                        "limit": KANBAN_LIMIT,
                        "order": "",
                    },
                )

        self.page(page, steps)

    @task(1)
    def odoo_bill_post(self):
        self.page(
            "odoo_bill_post",
            lambda: self.save_and_post(
                "odoo_bill_post", "in_invoice", PLAN["vendor_id"]
            ),
        )

    @task(1)
    def odoo_lead_stage_change(self):
        lead = next(self.leads)
        stage = next(self.stages)

        def steps():
            self.call_kw(
                "odoo_lead_stage_change",
                "crm.lead",
                "web_save",
                [[lead], {"stage_id": stage}],
                {"specification": SPECS["odoo_pipeline"]},
            )

        self.page("odoo_lead_stage_change", steps)


@events.quitting.add_listener
def _exit_code(environment, **_kwargs):
    # the runner reads the figures from the CSV files: failures are not locust's exit
    environment.process_exit_code = 0
