"""The shipped spreadsheet dashboards read only models and fields that exist.

Each pivot, list and chart of every ``data/files/*_dashboard.json`` is run through
the ORM the way the dashboard's data sources run it (a read_group with the same
measures, group-bys and domain; a search of the list's columns and order), and each
field matching is resolved field by field to the filter's model.
"""

import json
import re
from pathlib import Path

from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools.translate import extract_spreadsheet_terms

FILES = Path(__file__).resolve().parent.parent / "data" / "files"
DASHBOARDS = {
    "customer_relationships_dashboard.json": (
        "crm_analytics.spreadsheet_dashboard_customer_relationships"
    ),
    "balanced_scorecard_dashboard.json": (
        "crm_analytics.spreadsheet_dashboard_balanced_scorecard"
    ),
}
GRANULARITIES = {"day", "week", "month", "quarter", "year"}
#: the filters a data source may leave out, by model: the stored churn and cohort
#: figures are computed per company only, and a customer's current score has no date
UNMATCHED = {
    "crm.churn.report": {"Salesperson", "Sales Team", "Department"},
    "crm.cohort.report": {"Salesperson", "Sales Team", "Department"},
    "crm.relationship.score": {"Period"},
}


def _sources(data):
    """``(kind, name, model, domain, field matching, group-bys, measures)`` of every
    pivot, list and Odoo chart of a dashboard."""
    for pivot in data["pivots"].values():
        yield (
            "pivot",
            pivot["name"],
            pivot["model"],
            pivot["domain"],
            pivot["fieldMatching"],
            [
                d["fieldName"] + (":" + d["granularity"] if "granularity" in d else "")
                for d in pivot["rows"] + pivot["columns"]
            ],
            [(m["fieldName"], m["aggregator"]) for m in pivot["measures"]],
        )
    for list_ in data["lists"].values():
        yield (
            "list",
            list_["name"],
            list_["model"],
            list_["domain"],
            list_["fieldMatching"],
            [],
            [],
        )
    for sheet in data["sheets"]:
        for figure in sheet["figures"]:
            chart = figure["data"]
            if not chart["type"].startswith("odoo_"):
                continue
            meta = chart["metaData"]
            yield (
                "chart",
                chart["title"]["text"],
                meta["resModel"],
                chart["searchParams"]["domain"],
                chart["fieldMatching"],
                meta["groupBy"],
                [(meta["measure"], None)],
            )


@tagged("post_install", "-at_install")
class TestDashboards(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.boards = {
            name: json.loads((FILES / name).read_text()) for name in DASHBOARDS
        }

    def test_every_dashboard_file_is_shipped(self):
        self.assertEqual(
            {path.name for path in FILES.glob("*_dashboard.json")}, set(DASHBOARDS)
        )
        user_group = self.env.ref("crm_relationship.group_relationship_user")
        for name, xmlid in DASHBOARDS.items():
            dashboard = self.env.ref(xmlid)
            self.assertEqual(
                json.loads(dashboard.spreadsheet_data), self.boards[name], name
            )
            self.assertEqual(
                dashboard.dashboard_group_id,
                self.env.ref("crm_analytics.spreadsheet_dashboard_group_relationships"),
            )
            self.assertEqual(dashboard.group_ids, user_group, name)
            self.assertTrue(dashboard.is_published)

    def test_dashboards_visible_to_relationship_users_only(self):
        """Odoo's record rule shows a dashboard to the members of its groups."""
        ours = self.env["spreadsheet.dashboard"].browse(
            [self.env.ref(x).id for x in DASHBOARDS.values()]
        )
        reader = new_test_user(
            self.env,
            "dashboard_reader",
            groups="crm_relationship.group_relationship_user",
        )
        other = new_test_user(self.env, "dashboard_other", groups="base.group_user")
        Dashboard = self.env["spreadsheet.dashboard"]
        self.assertEqual(
            Dashboard.with_user(reader).search([("id", "in", ours.ids)]), ours
        )
        self.assertFalse(Dashboard.with_user(other).search([("id", "in", ours.ids)]))

    def _check_path(self, model, chain, filter_):
        """Follow ``chain`` field by field from ``model``; its last field must hold
        the filter's model (relation) or a date (period)."""
        Model = self.env[model]
        names = chain.split(".")
        for name in names[:-1]:
            self.assertIn(name, Model._fields, f"{model}: {chain}")
            Model = self.env[Model._fields[name].comodel_name]
        field = Model._fields.get(names[-1])
        self.assertIsNotNone(field, f"{model}: {chain}")
        # a filter adds a domain: a stored field, or one with a search method
        self.assertTrue(
            field.store or field.search, f"{model}: {chain} is not searchable"
        )
        if filter_["type"] == "relation":
            self.assertEqual(field.comodel_name, filter_["modelName"], chain)
        else:
            self.assertIn(field.type, ("date", "datetime"), chain)
        # the domain the filter adds runs
        value = [1] if filter_["type"] == "relation" else "2020-01-01"
        operator = "in" if filter_["type"] == "relation" else ">="
        self.env[model].search_count([(chain, operator, value)])

    def _check_field(self, model, spec, label):
        name, _sep, granularity = spec.partition(":")
        field = self.env[model]._fields.get(name)
        self.assertIsNotNone(field, f"{label}: {model}.{name}")
        self.assertTrue(field.store, f"{label}: {model}.{name} is not stored")
        if granularity:
            self.assertIn(field.type, ("date", "datetime"), label)
            self.assertIn(granularity, GRANULARITIES, label)
        return field

    def test_sources_read_existing_fields(self):
        checked = 0
        for name, data in self.boards.items():
            filters = {f["id"]: f for f in data["globalFilters"]}
            for kind, title, model, domain, matching, groupby, measures in _sources(
                data
            ):
                label = f"{name} {kind} {title!r}"
                self.assertIn(model, self.env, label)
                Model = self.env[model]
                for spec in groupby:
                    self._check_field(model, spec, label)
                aggregates = []
                for measure, aggregator in measures:
                    if measure == "__count":
                        aggregates.append("__count")
                        continue
                    field = self._check_field(model, measure, label)
                    if kind == "chart":
                        # web's graph model: a relation counts distinct records
                        aggregator = (
                            "count_distinct"
                            if field.type == "many2one"
                            else field.aggregator
                        )
                    self.assertTrue(aggregator, f"{label}: {measure} has no aggregator")
                    aggregates.append(f"{measure}:{aggregator}")
                # the read_group of the data source runs as written
                Model._read_group(domain, groupby, aggregates or ["__count"])
                # every filter is matched unless the model cannot say it
                matched = {filters[f]["label"] for f in matching}
                unmatched = {f["label"] for f in filters.values()} - matched
                self.assertLessEqual(
                    unmatched,
                    UNMATCHED.get(model, set()) | {"Scorecard"},
                    label,
                )
                for filter_id, match in matching.items():
                    self.assertIn(filter_id, filters, label)
                    self._check_path(model, match["chain"], filters[filter_id])
                checked += 1
            for list_ in data["lists"].values():
                for column in list_["columns"]:
                    self._check_field(list_["model"], column, list_["name"])
                order = ", ".join(
                    "%s %s" % (o["name"], "asc" if o["asc"] else "desc")
                    for o in list_["orderBy"]
                )
                self.env[list_["model"]].search_read(
                    list_["domain"], list_["columns"], order=order, limit=10
                )
        self.assertGreaterEqual(checked, 20)

    def test_formulas_point_at_existing_sources(self):
        for name, data in self.boards.items():
            sheets = {sheet["name"]: sheet for sheet in data["sheets"]}
            for sheet in data["sheets"]:
                for ref, cell in sheet["cells"].items():
                    content = cell["content"]
                    label = f"{name} {sheet['name']}!{ref}"
                    # every label is a formula: a translated _t("...") or a value
                    self.assertTrue(content.startswith("="), label)
                    for pivot_id, measure in re.findall(
                        r'PIVOT\.VALUE\((\d+),"([^"]+)"', content
                    ):
                        measures = [
                            m["id"] for m in data["pivots"][pivot_id]["measures"]
                        ]
                        self.assertIn(measure, measures, label)
                    for pivot_id in re.findall(r"PIVOT\((\d+)", content):
                        self.assertIn(pivot_id, data["pivots"], label)
                    for list_id, column in re.findall(
                        r'ODOO\.LIST\((\d+),\d+,"([^"]+)"', content
                    ):
                        self.assertIn(column, data["lists"][list_id]["columns"], label)
                for figure in sheet["figures"]:
                    chart = figure["data"]
                    if chart["type"] == "scorecard":
                        sheet_name, ref = chart["keyValue"].split("!")
                        self.assertIn(ref, sheets[sheet_name]["cells"], chart)

    def test_labels_are_exported_for_translation(self):
        """Odoo's export extracts the _t() cells, chart titles and filter labels of
        ``data/**/*_dashboard.json``: every label of ours is among them."""
        for name in DASHBOARDS:
            with open(FILES / name, "rb") as file:
                terms = {term for _l, _f, term, _c in extract_spreadsheet_terms(
                    file, [], [], {}
                )}  # fmt: skip
            data = self.boards[name]
            self.assertIn("Period", terms)
            self.assertIn("Department", terms)
            for sheet in data["sheets"]:
                for figure in sheet["figures"]:
                    self.assertIn(figure["data"]["title"]["text"], terms)
            self.assertGreaterEqual(len(terms), 15, name)

    def test_department_filter_reads_the_customers_it_serves(self):
        """The Department filter keeps the customers whose account team has someone
        of the department: the customers the department head's page counts."""
        data = self.boards["customer_relationships_dashboard.json"]
        department_filter = next(
            f["id"] for f in data["globalFilters"] if f["label"] == "Department"
        )
        chain = next(
            p["fieldMatching"][department_filter]["chain"]
            for p in data["pivots"].values()
            if p["model"] == "crm.relationship.score"
        )
        departments = self.env["hr.department"].create(
            [{"name": "Served (test)"}, {"name": "Other (test)"}]
        )
        person = new_test_user(self.env, "dashboard_member", groups="base.group_user")
        customers = self.env["res.partner"].create(
            [{"name": "Served customer", "is_company": True},
             {"name": "Other customer", "is_company": True}]
        )  # fmt: skip
        self.env["crm.account.team.member"].create(
            {
                "partner_id": customers[0].id,
                "user_id": person.id,
                "department_id": departments[0].id,
            }
        )
        scores = self.env["crm.relationship.score"].create(
            [
                {"partner_id": customer.id, "company_id": self.env.company.id}
                for customer in customers
            ]
        )
        found = self.env["crm.relationship.score"].search(
            [("id", "in", scores.ids), (chain, "in", departments[0].ids)]
        )
        self.assertEqual(found.partner_id, customers[0])
        self.assertEqual(departments[0].crm_customer_count, 1)
        self.assertFalse(
            self.env["crm.relationship.score"].search(
                [("id", "in", scores.ids), (chain, "in", departments[1].ids)]
            )
        )

    def test_department_filter_keeps_the_department_company(self):
        """With two companies active, a department's filter keeps its company's
        rows of a customer both companies score: the other company's scores,
        history, tier changes and win-backs are not the department's."""
        data = self.boards["customer_relationships_dashboard.json"]
        department_filter = next(
            f["id"] for f in data["globalFilters"] if f["label"] == "Department"
        )
        chains = {
            model: matching[department_filter]["chain"]
            for _kind, _title, model, _domain, matching, _gb, _m in _sources(data)
            if department_filter in matching
        }
        company_b = self.env["res.company"].create({"name": "Filter B Co"})
        department = self.env["hr.department"].create({"name": "Served (test)"})
        person = new_test_user(
            self.env, "dashboard_member_mc", groups="base.group_user"
        )
        customer = self.env["res.partner"].create(
            {"name": "Shared customer", "is_company": True}
        )
        self.env["crm.account.team.member"].create(
            {
                "partner_id": customer.id,
                "user_id": person.id,
                "department_id": department.id,
            }
        )
        self.env["crm.relationship.score"].create(
            [
                {"partner_id": customer.id, "company_id": company.id}
                for company in self.env.company + company_b
            ]
        )
        self.env["crm.relationship.score.history"].create(
            [
                {
                    "partner_id": customer.id,
                    "company_id": company.id,
                    "snapshot_date": "2026-01-31",
                    "health_score": 50.0,
                    "tier": "C",
                }
                for company in self.env.company + company_b
            ]
        )
        for model in ("crm.relationship.score", "crm.relationship.score.history"):
            Model = self.env[model].with_context(
                allowed_company_ids=(self.env.company + company_b).ids
            )
            found = Model.search(
                [
                    ("partner_id", "=", customer.id),
                    (chains[model], "in", department.ids),
                ]
            )
            self.assertEqual(found.company_id, self.env.company, model)
