from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import kpi as kpi_tools


class CrmScorecardTarget(models.Model):
    """A line's target for one period, when it differs from the line's usual one:
    a seasonal month, a quarter with a launch."""

    _name = "crm.scorecard.target"
    _description = "Scorecard target of a period"
    _order = "scorecard_id, line_id, date_from"
    _rec_name = "line_id"

    scorecard_id = fields.Many2one(
        "crm.scorecard", required=True, ondelete="cascade", index=True
    )
    line_id = fields.Many2one(
        "crm.scorecard.line",
        "KPI line",
        required=True,
        ondelete="cascade",
        index=True,
        domain="[('scorecard_id', '=', scorecard_id)]",
    )
    company_id = fields.Many2one(related="scorecard_id.company_id", store=True)
    date_from = fields.Date(
        "Period",
        required=True,
        help="Any day of the period; the target is kept on the period's first day.",
    )
    date_to = fields.Date("Period end", compute="_compute_date_to", store=True)
    target = fields.Float(required=True)

    _sql_constraints = [
        (
            "line_period_unique",
            "UNIQUE(line_id, date_from)",
            "A line has one target per period.",
        ),
    ]

    @api.depends("date_from", "scorecard_id.period")
    def _compute_date_to(self):
        for target in self:
            target.date_to = target.date_from and target._bounds()[1]

    def _bounds(self):
        return kpi_tools.period_bounds(self.date_from, self.scorecard_id.period)

    @api.constrains("line_id", "scorecard_id")
    def _check_line(self):
        for target in self:
            if target.line_id.scorecard_id != target.scorecard_id:
                raise ValidationError(
                    _("A period's target belongs to a line of the same scorecard.")
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("scorecard_id") and vals.get("line_id"):
                line = self.env["crm.scorecard.line"].browse(vals["line_id"])
                vals["scorecard_id"] = line.scorecard_id.id
        targets = super().create(vals_list)
        targets._align_to_period()
        return targets

    def write(self, vals):
        result = super().write(vals)
        if "date_from" in vals:
            self._align_to_period()
        return result

    def _align_to_period(self):
        for target in self:
            start = target._bounds()[0]
            if target.date_from != start:
                target.date_from = start
