"""Excel download of the customer cohorts and the monthly churn rates.

The figures are read with the user's rights (the reports' company rules apply) by
one ``_read_group`` per report, summed over the companies the user works in, so
that rates are pooled (active over size), never means of the companies' rates.
"""

from werkzeug.exceptions import BadRequest

from odoo import http
from odoo.http import request

from ..tools import xlsx_export
from .main import _xlsx_download


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
        data = env["crm.cohort.report"]._export_data()
        return _xlsx_download(
            env._("Customer cohorts") + ".xlsx", xlsx_export.write_cohorts, data, env
        )
