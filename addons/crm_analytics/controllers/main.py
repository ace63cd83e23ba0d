"""Excel downloads of scorecards and of KPI value snapshots.

Both routes read with the user's rights (record rules included) and write the
workbook into a temporary file that the response then streams, so that a large
export is never held as one bytes object.
"""

import json
import tempfile

from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.wsgi import wrap_file

from odoo import http
from odoo.http import content_disposition, request

from ..tools import xlsx_export

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# in memory up to this size, then on disk
SPOOL_MAX_SIZE = 4 * 1024 * 1024


class ScorecardExportController(http.Controller):
    @http.route(
        "/crm_analytics/scorecards/xlsx",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
    )
    def scorecards_xlsx(self, ids="", **kwargs):
        try:
            card_ids = [int(part) for part in ids.split(",") if part.strip()]
        except ValueError as error:
            raise BadRequest(str(error)) from error
        if not card_ids:
            raise BadRequest("ids: the scorecards to export")
        cards = request.env["crm.scorecard"].browse(card_ids).exists()
        if not cards:
            raise NotFound()
        cards.check_access("read")
        data = cards._export_data()
        if len(cards) == 1:
            filename = cards.name
        else:
            filename = request.env._("Scorecards")
        return _xlsx_download(f"{filename}.xlsx", xlsx_export.write_scorecards, data)

    @http.route(
        "/crm_analytics/kpi_values/xlsx",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
    )
    def kpi_values_xlsx(self, domain=None, **kwargs):
        try:
            domain = json.loads(domain) if domain else []
            if not isinstance(domain, list):
                raise TypeError("the domain is a JSON list of conditions")
            # builds the query without running it: a wrong field is a bad request
            request.env["crm.kpi.value"]._search(domain)
        except (ValueError, TypeError) as error:
            raise BadRequest(str(error)) from error
        return _xlsx_download(
            request.env._("KPI values") + ".xlsx",
            request.env["crm.kpi.value"]._export_xlsx,
            domain,
        )


def _xlsx_download(filename, write, *args):
    """A response streaming the workbook that ``write(fileobj, *args)`` writes.

    The workbook goes to a temporary file (on disk past a few megabytes), which the
    response closes, and so deletes, once sent.
    """
    # closed by the response, not here
    fileobj = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_SIZE)  # noqa: SIM115
    try:
        write(fileobj, *args)
    except BaseException:
        fileobj.close()
        raise
    size = fileobj.tell()
    fileobj.seek(0)
    response = request.make_response(
        wrap_file(request.httprequest.environ, fileobj),
        headers=[
            ("Content-Type", XLSX_MIMETYPE),
            ("Content-Disposition", content_disposition(filename)),
            ("Content-Length", str(size)),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ],
    )
    response.direct_passthrough = True
    return response
