import json

from werkzeug.urls import url_encode

from odoo import fields, models

from .crm_scorecard_line import LIGHTS


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
