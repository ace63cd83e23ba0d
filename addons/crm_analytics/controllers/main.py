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
from odoo.tools.misc import format_date

from ..models.crm_scorecard import HISTORY_PERIODS
from ..tools import kpi as kpi_tools
from ..tools import xlsx_export

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# in memory up to this size, then on disk
SPOOL_MAX_SIZE = 4 * 1024 * 1024
# rows read per batch: one query per field group and a cache emptied each time
BATCH_SIZE = 5000
PERIOD_LABEL_FORMATS = {"month": "MMM y", "quarter": "QQQ y", "year": "y"}
VALUE_COLUMNS = [
    # (field, Excel number format)
    ("scorecard_id", None),
    ("kpi_id", None),
    ("perspective", None),
    ("company_id", None),
    ("date_from", None),
    ("date_to", None),
    ("value", "#,##0.00"),
    ("target", "#,##0.00"),
    ("achievement", "0.0"),
    ("light", None),
]


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
        data = scorecards_data(cards)
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
            lambda fileobj: write_kpi_values(request.env, domain, fileobj),
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


# ------------------------------------------------------------
# SCORECARDS
# ------------------------------------------------------------


def _labels(model, fname):
    return dict(model._fields[fname]._description_selection(model.env))


def scorecards_data(cards):
    """The dicts of :func:`xlsx_export.write_scorecards` for these scorecards.

    Current figures come from the lines' live fields (computed for all lines at
    once); history from the snapshots the user may read, in one query.
    """
    env = cards.env
    Line = env["crm.scorecard.line"]
    owner_types = _labels(cards, "owner_type")
    period_kinds = _labels(cards, "period")
    perspectives = _labels(env["crm.kpi"], "perspective")
    units = _labels(env["crm.kpi"], "unit")
    lights = _labels(Line, "light")
    trends = _labels(Line, "trend")
    history = _history(cards)
    result = []
    for card in cards:
        currency = card.company_id.currency_id
        lines = card.line_ids
        result.append(
            {
                "name": card.name,
                "owner": f"{owner_types[card.owner_type]}: {card.owner_name or ''}",
                "period": period_kinds[card.period],
                "date_from": card.date_from,
                "date_to": card.date_to,
                "score": card.total_achievement / 100 if card.total_known else None,
                "light": card.light or None,
                "light_label": lights.get(card.light, ""),
                "currency": {
                    "symbol": currency.symbol,
                    "position": currency.position,
                    "digits": currency.decimal_places,
                },
                "lines": [
                    {
                        "kpi": line.kpi_id.name,
                        "perspective": perspectives.get(line.perspective, ""),
                        "unit": line.unit,
                        "unit_label": units.get(line.unit, ""),
                        "weight": line.weight,
                        "target": line.target,
                        "alert_threshold": line.alert_threshold,
                        "alert_achievement": _alert_achievement(line),
                        "value": line.value if line.value_known else None,
                        "achievement": _achievement(line),
                        "light": line.light or None,
                        "light_label": lights.get(line.light, ""),
                        "previous": line.previous_value_display or "",
                        "last_year": line.last_year_value_display or "",
                        "trend": line.trend or None,
                        "trend_label": trends.get(line.trend, ""),
                    }
                    for line in lines
                ],
                "history": history[card.id],
            }
        )
    return result


def _achievement(line):
    """The line's achievement as a fraction, None when it cannot be said (the
    field holds 0 then, as the scorecard's total reads it)."""
    if not (line.value_known and line.target):
        return None
    return line.achievement / 100


def _alert_achievement(line):
    """The achievement at the alert threshold, below which the line is red: the
    threshold ``crm.scorecard.line._light`` compares with."""
    if not line.alert_threshold:
        return 0.0
    achieved = kpi_tools.achievement(
        line.alert_threshold, line.target, line.direction != "lower"
    )
    return min(achieved or 0.0, 1.0)


def _history(cards):
    """``{card_id: [period row]}``: the snapshots of the last periods, from the
    first one recorded, then the current period's live figures."""
    env = cards.env
    periods_by_card = {}
    for card in cards:
        periods = [(card.date_from, card.date_to)]
        for _i in range(HISTORY_PERIODS):
            periods.append(kpi_tools.previous_period(periods[-1][0], card.period))
        periods_by_card[card.id] = periods[::-1]
    snapshots = env["crm.kpi.value"].search_read(
        [
            ("scorecard_id", "in", cards.ids),
            ("date_from", ">=", min(p[0][0] for p in periods_by_card.values())),
        ],
        [
            "line_id",
            "date_from",
            "date_to",
            "value",
            "value_known",
            "target",
            "achievement",
        ],
        load=None,
    )
    by_key = {(s["line_id"], s["date_from"], s["date_to"]): s for s in snapshots}
    result = {}
    for card in cards:
        lines = card.line_ids
        *past, current = periods_by_card[card.id]
        rows = []
        for date_from, date_to in past:
            found = [by_key.get((line.id, date_from, date_to)) for line in lines]
            if not rows and not any(found):
                continue  # before the first snapshot
            rows.append(
                {
                    "label": _period_label(env, date_from, card.period),
                    "date_from": date_from,
                    "date_to": date_to,
                    "values": [
                        s["value"] if s and s["value_known"] else None for s in found
                    ],
                    "achievements": [
                        s["achievement"] / 100
                        if s and s["value_known"] and s["target"]
                        else None
                        for s in found
                    ],
                }
            )
        rows.append(
            {
                "label": _period_label(env, current[0], card.period),
                "date_from": current[0],
                "date_to": current[1],
                "values": [line.value if line.value_known else None for line in lines],
                "achievements": [_achievement(line) for line in lines],
            }
        )
        result[card.id] = rows
    return result


def _period_label(env, date_from, kind):
    return format_date(env, date_from, date_format=PERIOD_LABEL_FORMATS[kind])


# ------------------------------------------------------------
# KPI VALUES
# ------------------------------------------------------------


def write_kpi_values(env, domain, fileobj, batch_size=BATCH_SIZE):
    """Write the KPI value snapshots of ``domain`` that ``env``'s user may read.

    The ids come from one query that applies the record rules; the rows are then
    read ``batch_size`` at a time and the cache emptied after each batch, so that
    memory does not grow with the number of rows (xlsxwriter keeps none either).

    :return: the number of rows written
    """
    Value = env["crm.kpi.value"]
    Value.check_access("read")
    ids = list(Value._search(domain or []))
    header = [
        Value._fields[fname]._description_string(env) for fname, _f in VALUE_COLUMNS
    ]
    num_formats = [num_format for _fname, num_format in VALUE_COLUMNS]
    rows = _kpi_value_rows(Value, ids, batch_size)
    return xlsx_export.write_values(fileobj, rows, header, num_formats)


def _kpi_value_rows(Value, ids, batch_size):
    env = Value.env
    perspectives = _labels(Value, "perspective")
    lights = _labels(Value, "light")
    fnames = [fname for fname, _f in VALUE_COLUMNS] + ["value_known"]
    names = {}  # display names of the many2one values, few and repeated

    def name(model, record_id):
        if not record_id:
            return None
        key = (model, record_id)
        if key not in names:
            # as read() shows a many2one: its name is visible with the record
            # sudo: only the display name of the owner the export is about
            names[key] = env[model].sudo().browse(record_id).display_name
        return names[key]

    for start in range(0, len(ids), batch_size):
        batch = Value.browse(ids[start : start + batch_size])
        for row in batch.read(fnames, load=None):
            yield [
                name("crm.scorecard", row["scorecard_id"]),
                name("crm.kpi", row["kpi_id"]),
                perspectives.get(row["perspective"]),
                name("res.company", row["company_id"]),
                row["date_from"],
                row["date_to"],
                row["value"] if row["value_known"] else None,
                row["target"],
                row["achievement"],
                lights.get(row["light"]),
            ]
        Value.invalidate_model()
