"""Excel download of the customer cohorts and the monthly churn rates.

The figures are read with the user's rights (the reports' company rules apply) by
one ``_read_group`` per report, summed over the companies the user works in, so
that rates are pooled (active over size), never means of the companies' rates.
"""

from datetime import datetime

import xlsxwriter
from werkzeug.exceptions import BadRequest

from odoo import http
from odoo.http import request
from odoo.tools.misc import format_date

from ..tools import xlsx_export
from .main import _xlsx_download

MONTH_FORMAT = "MMM y"
# Excel's red - yellow - green colour scale
COLOR_SCALE = {
    "type": "3_color_scale",
    "min_color": "#F8696B",
    "mid_color": "#FFEB84",
    "max_color": "#63BE7B",
}
# cohort sheet: the matrix starts under two title rows, after two label columns
MATRIX_HEADER_ROW = 2
MATRIX_FIRST_COL = 2


class CohortExportController(http.Controller):
    @http.route(
        "/crm_analytics/cohorts/xlsx",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
    )
    def cohorts_xlsx(self, company_ids="", **kwargs):
        env = request.env
        if company_ids:
            try:
                ids = [int(part) for part in company_ids.split(",") if part.strip()]
            except ValueError as error:
                raise BadRequest(str(error)) from error
            env = env(context=dict(env.context, allowed_company_ids=ids))
            # refused (AccessError) for a company the user may not work in: now,
            # rather than half-way through the workbook
            if not env.companies:
                raise BadRequest("company_ids")
        data = cohorts_data(env)
        return _xlsx_download(
            env._("Customer cohorts") + ".xlsx", write_cohorts, data, env
        )


def cohorts_data(env):
    """The figures of the workbook, as the user may read them::

    {
        "cohorts": [(cohort month, size, {months since: (active, revenue)})],
        "churn": [(month, active at start, churned, new customers)],
    }

    both oldest first.
    """
    Cohort = env["crm.cohort.report"]
    Cohort.check_access("read")
    domain = [("company_id", "in", env.companies.ids)]
    cohorts = {}
    for cohort_month, months_since, size, active, revenue in Cohort._read_group(
        domain,
        ["cohort_month:month", "months_since"],
        ["cohort_size:sum", "active_customers:sum", "revenue:sum"],
    ):
        cohort = cohorts.setdefault(cohort_month, [0, {}])
        if months_since == 0:
            cohort[0] = size
        cohort[1][months_since] = (active, revenue)
    Churn = env["crm.churn.report"]
    Churn.check_access("read")
    churn = Churn._read_group(
        domain,
        ["month:month"],
        ["active_start:sum", "churned:sum", "new_customers:sum"],
    )
    return {
        "cohorts": [
            (month, size, cells) for month, (size, cells) in sorted(cohorts.items())
        ],
        "churn": sorted(churn),
    }


def write_cohorts(fileobj, data, env):
    """Two sheets: the cohort matrix of retention rates (cohort months down,
    months since the first purchase across) with a colour scale, and the monthly
    churn rates. Rates are written as fractions in a percent format."""
    workbook = xlsxwriter.Workbook(fileobj, xlsx_export.WORKBOOK_OPTIONS)
    header = workbook.add_format(
        {"bold": True, "bg_color": "#DDE3EA", "border": 1, "text_wrap": True}
    )
    title = workbook.add_format({"bold": True, "font_size": 14})
    text = workbook.add_format({"border": 1})
    number = workbook.add_format({"border": 1, "num_format": "#,##0"})
    percent = workbook.add_format({"border": 1, "num_format": "0.0%"})

    def label(month):
        return format_date(env, month, date_format=MONTH_FORMAT)

    # cohorts
    sheet = workbook.add_worksheet(env._("Cohorts"))
    cohorts = data["cohorts"]
    width = max((max(cells, default=0) + 1 for _m, _s, cells in cohorts), default=1)
    sheet.write_string(0, 0, env._("Retention by cohort (%)"), title)
    sheet.write_string(MATRIX_HEADER_ROW, 0, env._("Cohort"), header)
    sheet.write_string(MATRIX_HEADER_ROW, 1, env._("Customers"), header)
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 11)
    sheet.set_column(MATRIX_FIRST_COL, MATRIX_FIRST_COL + width - 1, 8)
    for months_since in range(width):
        sheet.write_number(
            MATRIX_HEADER_ROW, MATRIX_FIRST_COL + months_since, months_since, header
        )
    sheet.write_string(
        MATRIX_HEADER_ROW - 1, MATRIX_FIRST_COL, env._("Months since first purchase")
    )
    row = MATRIX_HEADER_ROW
    for month, size, cells in cohorts:
        row += 1
        sheet.write_string(row, 0, label(month), text)
        sheet.write_number(row, 1, size, number)
        for months_since, (active, _revenue) in sorted(cells.items()):
            col = MATRIX_FIRST_COL + months_since
            sheet.write_number(row, col, active / size if size else 0.0, percent)
    if cohorts:
        sheet.conditional_format(
            MATRIX_HEADER_ROW + 1,
            MATRIX_FIRST_COL,
            row,
            MATRIX_FIRST_COL + width - 1,
            COLOR_SCALE,
        )
    sheet.freeze_panes(MATRIX_HEADER_ROW + 1, MATRIX_FIRST_COL)

    # churn
    sheet = workbook.add_worksheet(env._("Churn"))
    headers = [
        env._("Month"),
        env._("Active at start"),
        env._("Churned"),
        env._("Churn rate"),
        env._("New customers"),
    ]
    for col, name in enumerate(headers):
        sheet.write_string(0, col, name, header)
    sheet.set_column(0, len(headers) - 1, 14)
    day = workbook.add_format({"border": 1, "num_format": "mmm yyyy"})
    for row, (month, active_start, churned, new_customers) in enumerate(
        data["churn"], start=1
    ):
        sheet.write_datetime(row, 0, datetime.combine(month, datetime.min.time()), day)
        sheet.write_number(row, 1, active_start, number)
        sheet.write_number(row, 2, churned, number)
        if active_start:
            sheet.write_number(row, 3, churned / active_start, percent)
        else:
            sheet.write_blank(row, 3, None, percent)
        sheet.write_number(row, 4, new_customers, number)
    sheet.freeze_panes(1, 1)
    workbook.close()
