import json

from werkzeug.urls import url_encode

from odoo import api, fields, models

from ..tools import xlsx_export
from .crm_scorecard_line import LIGHTS

# rows read per batch: one query per field group and a cache emptied each time
BATCH_SIZE = 5000


class CrmKpiValue(models.Model):
    """The recorded value of a scorecard line for a past period.

    Written by the daily cron once the period is over; later edits of the data do
    not change it, unless a manager rebuilds the history.
    """

    _name = "crm.kpi.value"
    _description = "KPI value snapshot"
    _order = "date_from desc, scorecard_id, line_id"
    _rec_name = "kpi_id"

    line_id = fields.Many2one("crm.scorecard.line", ondelete="cascade", index=True)
    scorecard_id = fields.Many2one(
        "crm.scorecard", required=True, ondelete="cascade", index=True
    )
    kpi_id = fields.Many2one("crm.kpi", "KPI", required=True, ondelete="cascade")
    perspective = fields.Selection(related="kpi_id.perspective", store=True)
    owner_type = fields.Selection(related="scorecard_id.owner_type", store=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    date_from = fields.Date("From", required=True, index=True)
    date_to = fields.Date("To", required=True)
    value = fields.Float(aggregator="avg", digits=(16, 2))
    value_known = fields.Boolean(
        "Known", help="Unchecked when the value could not be said (n/a)."
    )
    target = fields.Float(aggregator="avg")
    achievement = fields.Float("Achievement (%)", aggregator="avg", digits=(16, 1))
    light = fields.Selection(LIGHTS)

    _sql_constraints = [
        (
            "line_period_unique",
            "UNIQUE(line_id, date_from, date_to)",
            "A scorecard line has one value per period.",
        ),
    ]

    def action_export_xlsx(self):
        """Download these values as raw data; with *select all*, the list's domain
        travels instead of the ids, so the address stays short."""
        domain = self.env.context.get("active_domain") or [("id", "in", self.ids)]
        query = url_encode({"domain": json.dumps(domain)})
        return {
            "type": "ir.actions.act_url",
            "url": "/crm_analytics/kpi_values/xlsx?%s" % query,
            "target": "download",
        }

    # ------------------------------------------------------------
    # EXPORT
    # ------------------------------------------------------------

    @api.model
    def _export_xlsx(self, fileobj, domain=None, batch_size=BATCH_SIZE):
        """Write the snapshots of ``domain`` the user may read as a workbook into
        ``fileobj`` (see :func:`_write_kpi_values`).

        :return: the number of rows written
        """
        return _write_kpi_values(self.env, domain, fileobj, batch_size)


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


def _labels(model, fname):
    return dict(model._fields[fname]._description_selection(model.env))


def _write_kpi_values(env, domain, fileobj, batch_size):
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
