"""Write the spreadsheet JSON of crm_analytics' two dashboards (Dashboards app).

    .venv/bin/python scripts/build_dashboards.py

The dashboards are data (``addons/crm_analytics/data/files/*_dashboard.json``), as
Odoo's ``spreadsheet_dashboard_sale`` ships them; this script is their source, so that
a layout change is a code review rather than a diff of generated JSON. The labels are
``_t("...")`` formulas, chart titles and filter labels: Odoo's translation export
extracts exactly those from ``data/**/*_dashboard.json`` files, and the dashboard
translates them at display.
"""

import json
import math
from pathlib import Path

FILES = Path(__file__).resolve().parent.parent / "addons/crm_analytics/data/files"

# global filters: ids are fixed so that translations and field matchings stay put
PERIOD = "6f1c9e0a-1b7e-4d5c-9a31-0c1d2e3f4a01"
COMPANY = "6f1c9e0a-1b7e-4d5c-9a31-0c1d2e3f4a02"
SALESPERSON = "6f1c9e0a-1b7e-4d5c-9a31-0c1d2e3f4a03"
TEAM = "6f1c9e0a-1b7e-4d5c-9a31-0c1d2e3f4a04"
DEPARTMENT = "6f1c9e0a-1b7e-4d5c-9a31-0c1d2e3f4a05"
SCORECARD = "6f1c9e0a-1b7e-4d5c-9a31-0c1d2e3f4a06"


def relation_filter(filter_id, label, model):
    return {
        "id": filter_id,
        "type": "relation",
        "label": label,
        "modelName": model,
        "defaultValue": [],
        "defaultValueDisplayNames": [],
        "rangeType": "year",
    }


def period_filter():
    return {
        "id": PERIOD,
        "type": "date",
        "label": "Period",
        "defaultValue": "last_year",
        "rangeType": "relative",
    }


def matching(date=None, date_type="date", company=None, user=None, team=None,
             department=None, scorecard=None):  # fmt: skip
    """The field matching of one data source: the path each filter reads; a filter
    left out does not apply to the source (a company-level report has no
    salesperson)."""
    result = {}
    if date:
        result[PERIOD] = {"chain": date, "type": date_type, "offset": 0}
    for filter_id, chain in (
        (COMPANY, company),
        (SALESPERSON, user),
        (TEAM, team),
        (DEPARTMENT, department),
        (SCORECARD, scorecard),
    ):
        if chain:
            result[filter_id] = {"chain": chain, "type": "many2one"}
    return result


# how a customer's row reaches each filter: the team is the salesperson's team; the
# department is any department whose people are in the customer's account team
CUSTOMER = {
    "company": "company_id",
    "user": "user_id",
    "team": "user_id.sale_team_id",
    "department": "partner_id.account_team_ids.department_id",
}
SCORE = dict(CUSTOMER)
HISTORY = dict(CUSTOMER, date="snapshot_date")
TIER_CHANGE = dict(CUSTOMER, date="date")
WINBACK = dict(CUSTOMER, team="team_id", date="date_start")
SURVEY = dict(
    CUSTOMER, department="department_id", date="date_answered", date_type="datetime"
)
CHURN = {"company": "company_id", "date": "month"}
COHORT = {"company": "company_id", "date": "month"}
KPI_VALUE = {
    "company": "company_id",
    "user": "scorecard_id.user_id",
    "team": "scorecard_id.team_id",
    "department": "scorecard_id.department_id",
    "scorecard": "scorecard_id",
    "date": "date_from",
}

WIDTH = 1100
GAP = 16
HALF = (WIDTH - GAP) // 2
ROW = 23


class Sheet:
    def __init__(self, sheet_id, name):
        self.id = sheet_id
        self.name = name
        self.cells = {}
        self.figures = []
        self.cols = {}
        self.rows = {}
        self.styles = {}
        self.formats = {}

    def cell(self, ref, content, style=None, fmt=None):
        self.cells[ref] = {"content": content}
        if style:
            self.styles[ref] = int(style)
        if fmt:
            self.formats[ref] = int(fmt)

    def chart(self, x, y, width, height, data):
        figure_id = "%s-%02d" % (self.id[:-3], len(self.figures) + 1)
        self.figures.append(
            {
                "id": figure_id,
                "x": x,
                "y": y,
                "width": width,
                "height": height,
                "tag": "chart",
                "data": data,
            }
        )

    def to_json(self):
        return {
            "id": self.id,
            "name": self.name,
            "colNumber": 14,
            "rowNumber": 140,
            "rows": self.rows,
            "cols": self.cols,
            "merges": [],
            "cells": self.cells,
            "styles": self.styles,
            "formats": self.formats,
            "borders": {},
            "conditionalFormats": [],
            "figures": self.figures,
            "tables": [],
            "areGridLinesVisible": False,
            "isVisible": True,
            "headerGroups": {"ROW": [], "COL": []},
            "dataValidationRules": [],
            "comments": {},
        }


class Dashboard:
    def __init__(self, prefix):
        self.prefix = prefix
        self.pivots = {}
        self.lists = {}
        self.filters = []
        self.sheets = []

    def sheet(self, name):
        sheet = Sheet("%s-sheet-%d-000" % (self.prefix, len(self.sheets) + 1), name)
        self.sheets.append(sheet)
        return sheet

    def pivot(self, name, model, source, measures, rows=(), columns=(), domain=()):
        pivot_id = str(len(self.pivots) + 1)
        self.pivots[pivot_id] = {
            "type": "ODOO",
            "name": name,
            "model": model,
            "domain": list(domain),
            "context": {},
            "measures": [
                {"id": "%s:%s" % m, "fieldName": m[0], "aggregator": m[1]}
                for m in measures
            ],
            "rows": [_dimension(r) for r in rows],
            "columns": [_dimension(c) for c in columns],
            "sortedColumn": None,
            "formulaId": pivot_id,
            "fieldMatching": matching(**source),
        }
        return pivot_id

    def list(self, name, model, source, columns, order, domain=()):
        list_id = str(len(self.lists) + 1)
        self.lists[list_id] = {
            "id": list_id,
            "name": name,
            "model": model,
            "domain": list(domain),
            "context": {},
            "columns": list(columns),
            "orderBy": [{"name": order, "asc": False}],
            "fieldMatching": matching(**source),
        }
        return list_id

    def to_json(self):
        return {
            "version": 21,
            "sheets": [sheet.to_json() for sheet in self.sheets],
            "styles": STYLES,
            "formats": FORMATS,
            "borders": {},
            "revisionId": "START_REVISION",
            "uniqueFigureIds": True,
            "settings": {
                "locale": {
                    "name": "English (US)",
                    "code": "en_US",
                    "thousandsSeparator": ",",
                    "decimalSeparator": ".",
                    "dateFormat": "mm/dd/yyyy",
                    "timeFormat": "hh:mm:ss",
                    "formulaArgSeparator": ",",
                    "weekStart": 7,
                }
            },
            "pivots": self.pivots,
            "pivotNextId": len(self.pivots) + 1,
            "customTableStyles": {},
            "odooVersion": 12,
            "globalFilters": self.filters,
            "lists": self.lists,
            "listNextId": len(self.lists) + 1,
        }


def _dimension(spec):
    name, _sep, granularity = spec.partition(":")
    dimension = {"fieldName": name}
    if granularity:
        dimension["granularity"] = granularity
    return dimension


STYLES = {
    "1": {"textColor": "#01666b", "bold": True, "fontSize": 16},
    "2": {"bold": True, "fontSize": 11, "textColor": "#434343"},
    "3": {"textColor": "#434343", "verticalAlign": "middle"},
}
FORMATS = {"1": "#,##0", "2": "0.0", "3": '0.0" %"'}


def odoo_chart(title, kind, model, source, group_by, measure, domain=(), **options):
    """An Odoo chart (``odoo_bar``, ``odoo_line``, ``odoo_pie``) reading ``model``
    live: the same read_group as the model's graph view."""
    data = {
        "title": {"text": title, "bold": True, "color": "#434343"},
        "background": "#FFFFFF",
        "legendPosition": "top" if len(group_by) > 1 else "none",
        "metaData": {
            "groupBy": list(group_by),
            "measure": measure,
            "order": None,
            "resModel": model,
            "mode": kind,
        },
        "searchParams": {
            "comparison": None,
            "context": {},
            "domain": list(domain),
            "groupBy": list(group_by),
            "orderBy": [],
        },
        "type": "odoo_%s" % kind,
        "fieldMatching": matching(**source),
    }
    if kind != "pie":
        data["verticalAxisPosition"] = "left"
        data["stacked"] = False
    if kind == "line":
        data["fillArea"] = False
        data["cumulative"] = False
    if kind == "pie":
        data["legendPosition"] = "top"
    data.update(options)
    return data


def scorecard(title, key, background, humanize=True):
    return {
        "type": "scorecard",
        "title": {"text": title, "bold": True, "color": "#434343"},
        "background": background,
        "keyValue": key,
        "baseline": "",
        "baselineDescr": "",
        "baselineMode": "text",
        "baselineColorUp": "#00A04A",
        "baselineColorDown": "#DC6965",
        "humanize": humanize,
    }


BLUE = "#EFF6FF"
ORANGE = "#FFF7ED"
CHART_HEIGHT = 330


def grid(sheet, charts, top):
    """Charts two by two from ``top`` (pixels); returns the y below them."""
    y = top
    for index in range(0, len(charts), 2):
        for column, data in enumerate(charts[index : index + 2]):
            width = WIDTH if len(charts[index : index + 2]) == 1 else HALF
            sheet.chart(column * (HALF + GAP), y, width, CHART_HEIGHT, data)
        y += CHART_HEIGHT + GAP
    return y


def tiles(sheet, tiles_data, top=8, height=100):
    width = (WIDTH - 3 * GAP) // 4
    for index, data in enumerate(tiles_data):
        sheet.chart(index * (width + GAP), top, width, height, data)
    return top + height + GAP


def col_name(index):
    return chr(ord("A") + index)


def layout(sheet, widths):
    for index, width in enumerate(widths):
        sheet.cols[str(index)] = {"size": width}


def customer_relationships():
    board = Dashboard("cr")
    board.filters = [
        period_filter(),
        relation_filter(COMPANY, "Company", "res.company"),
        relation_filter(SALESPERSON, "Salesperson", "res.users"),
        relation_filter(TEAM, "Sales Team", "crm.team"),
        relation_filter(DEPARTMENT, "Department", "hr.department"),
    ]
    main = board.sheet("Dashboard")
    data = board.sheet("Data")
    score = "crm.relationship.score"
    history = "crm.relationship.score.history"

    # key figures, read from the Data sheet
    overview = board.pivot(
        "Customers",
        score,
        SCORE,
        [("__count", "sum"), ("health_score", "avg"), ("clv_historical", "sum")],
    )
    at_risk = board.pivot(
        "At-risk customers",
        score,
        SCORE,
        [("__count", "sum"), ("clv_historical", "sum")],
        domain=[["churn_state", "=", "at_risk"]],
    )
    nps = board.pivot(
        "Net Promoter Score",
        "crm.survey.report",
        SURVEY,
        [("nps_points", "avg"), ("answered", "sum")],
        domain=[["kind", "=", "nps"], ["answered", "=", 1]],
    )
    data.cell("A1", '=_t("Key figure")', style=2)
    data.cell("B1", '=_t("Value")', style=2)
    figures = [
        ("Customers scored", '=PIVOT.VALUE(%s,"__count:sum")' % overview, "1"),
        ("Average health", '=PIVOT.VALUE(%s,"health_score:avg")' % overview, "2"),
        ("At-risk value", '=PIVOT.VALUE(%s,"clv_historical:sum")' % at_risk, None),
        ("Net Promoter Score", '=IFERROR(PIVOT.VALUE(%s,"nps_points:avg"),"-")' % nps,
         "2"),
        ("At-risk customers", '=PIVOT.VALUE(%s,"__count:sum")' % at_risk, "1"),
        ("Lifetime value", '=PIVOT.VALUE(%s,"clv_historical:sum")' % overview, None),
    ]  # fmt: skip
    for row, (label, formula, fmt) in enumerate(figures, start=2):
        data.cell("A%d" % row, '=_t("%s")' % label)
        data.cell("B%d" % row, formula, fmt=fmt)
    y = tiles(
        main,
        [
            scorecard("Customers scored", "Data!B2", BLUE),
            scorecard("Average health (0-100)", "Data!B3", BLUE),
            scorecard("Lifetime value at risk", "Data!B4", ORANGE),
            scorecard("Net Promoter Score", "Data!B5", ORANGE),
        ],
    )
    y = grid(
        main,
        [
            odoo_chart(
                "Tier mix, month by month (customers)",
                "bar",
                history,
                HISTORY,
                ["snapshot_date:month", "tier"],
                "partner_id",
                stacked=True,
            ),
            odoo_chart(
                "Tier migrations, month by month",
                "bar",
                "crm.relationship.tier.change",
                TIER_CHANGE,
                ["date:month", "direction"],
                "__count",
            ),
            odoo_chart(
                "Health trend (average health score)",
                "line",
                history,
                HISTORY,
                ["snapshot_date:month"],
                "health_score",
                fillArea=True,
            ),
            odoo_chart(
                "Active, at-risk and lost customers, month by month",
                "bar",
                history,
                HISTORY,
                ["snapshot_date:month", "churn_state"],
                "partner_id",
                # rows scored before churn states existed have none: not a state
                domain=[["churn_state", "!=", False]],
                stacked=True,
            ),
            odoo_chart(
                "Churn rate by month (%)",
                "line",
                "crm.churn.report",
                CHURN,
                ["month:month"],
                "churn_rate",
            ),
            odoo_chart(
                "Retention by months since first purchase (%)",
                "line",
                "crm.cohort.report",
                COHORT,
                ["months_since"],
                "retention_rate",
                fillArea=True,
            ),
            odoo_chart(
                "Lifetime value by RFM segment",
                "bar",
                score,
                SCORE,
                ["rfm_segment"],
                "clv_historical",
            ),
            odoo_chart(
                "At-risk lifetime value by tier",
                "bar",
                score,
                SCORE,
                ["tier"],
                "clv_historical",
                domain=[["churn_state", "=", "at_risk"]],
            ),
            odoo_chart(
                "Win-back campaigns by outcome, month by month",
                "bar",
                "crm.winback.report",
                WINBACK,
                ["date_start:month", "state"],
                "__count",
                stacked=True,
            ),
            odoo_chart(
                "Net Promoter Score by month",
                "line",
                "crm.survey.report",
                SURVEY,
                ["date_answered:month"],
                "nps_points",
                domain=[["kind", "=", "nps"], ["answered", "=", 1]],
            ),
        ],
        y,
    )
    # the top at-risk customers by value: a list under the charts
    columns = [
        ("partner_id", "Customer"),
        ("user_id", "Salesperson"),
        ("tier", "Tier"),
        ("health_score", "Health"),
        ("last_invoice_date", "Last invoice"),
        ("clv_historical", "Lifetime value"),
    ]
    layout(main, [300, 190, 110, 110, 150, 240])
    list_id = board.list(
        "Top at-risk customers by value",
        score,
        SCORE,
        [name for name, _label in columns],
        "clv_historical",
        domain=[["churn_state", "=", "at_risk"]],
    )
    first = math.ceil(y / ROW) + 1
    main.cell("A%d" % first, '=_t("Top at-risk customers by value")', style=1)
    main.rows[str(first - 1)] = {"size": 40}
    for index, (name, label) in enumerate(columns):
        main.cell("%s%d" % (col_name(index), first + 1), '=_t("%s")' % label, style=2)
        for rank in range(1, 11):
            main.cell(
                "%s%d" % (col_name(index), first + 1 + rank),
                '=ODOO.LIST(%s,%d,"%s")' % (list_id, rank, name),
                style=3,
            )
    return board


def balanced_scorecard():
    board = Dashboard("bsc")
    board.filters = [
        period_filter(),
        relation_filter(COMPANY, "Company", "res.company"),
        relation_filter(SCORECARD, "Scorecard", "crm.scorecard"),
        relation_filter(SALESPERSON, "Salesperson", "res.users"),
        relation_filter(TEAM, "Sales Team", "crm.team"),
        relation_filter(DEPARTMENT, "Department", "hr.department"),
    ]
    main = board.sheet("Dashboard")
    data = board.sheet("Data")
    value = "crm.kpi.value"
    by_perspective = board.pivot(
        "Achievement by perspective",
        value,
        KPI_VALUE,
        [("achievement", "avg")],
        rows=["perspective"],
        domain=[["value_known", "=", True]],
    )
    perspectives = [
        ("financial", "Financial"),
        ("customer", "Customer"),
        ("process", "Internal Process"),
        ("learning", "Learning and Growth"),
    ]
    data.cell("A1", '=_t("Perspective")', style=2)
    data.cell("B1", '=_t("Achievement (%)")', style=2)
    cards = []
    for row, (key, label) in enumerate(perspectives, start=2):
        data.cell("A%d" % row, '=_t("%s")' % label)
        data.cell(
            "B%d" % row,
            '=IFERROR(PIVOT.VALUE(%s,"achievement:avg","perspective","%s"),"-")'
            % (by_perspective, key),
            fmt="3",
        )
        cards.append(
            scorecard(
                label,
                "Data!B%d" % row,
                BLUE if row % 2 else ORANGE,
                humanize=False,
            )
        )
    y = tiles(main, cards)
    known = [["value_known", "=", True]]
    y = grid(
        main,
        [
            odoo_chart(
                "Achievement against target by perspective, month by month (%)",
                "line",
                value,
                KPI_VALUE,
                ["date_from:month", "perspective"],
                "achievement",
                domain=known,
            ),
            odoo_chart(
                "KPIs on target, behind and in alert, month by month",
                "bar",
                value,
                KPI_VALUE,
                ["date_from:month", "light"],
                "__count",
                domain=known,
                stacked=True,
            ),
            odoo_chart(
                "Achievement by KPI over the period (%)",
                "bar",
                value,
                KPI_VALUE,
                ["kpi_id"],
                "achievement",
                domain=known,
            ),
        ],
        y,
    )
    # target against actual: one line per KPI, the period's average of each
    table = board.pivot(
        "Target against actual by KPI",
        value,
        KPI_VALUE,
        [("target", "avg"), ("value", "avg"), ("achievement", "avg")],
        rows=["perspective", "kpi_id"],
        domain=known,
    )
    monthly = board.pivot(
        "Achievement by KPI, month by month",
        value,
        KPI_VALUE,
        [("achievement", "avg")],
        rows=["kpi_id"],
        columns=["date_from:month"],
        domain=known,
    )
    layout(main, [230] + [80] * 13)
    first = math.ceil(y / ROW) + 1
    main.rows[str(first - 1)] = {"size": 40}
    main.cell("A%d" % first, '=_t("Target against actual by KPI")', style=1)
    main.cell("A%d" % (first + 1), "=PIVOT(%s,100,FALSE)" % table, style=3)
    second = first + 24
    main.rows[str(second - 1)] = {"size": 40}
    main.cell("A%d" % second, '=_t("Achievement by KPI, month by month (%)")', style=1)
    main.cell("A%d" % (second + 1), "=PIVOT(%s,100,FALSE)" % monthly, style=3)
    return board


def main():
    FILES.mkdir(parents=True, exist_ok=True)
    for name, board in (
        ("customer_relationships_dashboard.json", customer_relationships()),
        ("balanced_scorecard_dashboard.json", balanced_scorecard()),
    ):
        path = FILES / name
        path.write_text(
            json.dumps(board.to_json(), indent=1, ensure_ascii=False) + "\n"
        )
        print(path)


if __name__ == "__main__":
    main()
