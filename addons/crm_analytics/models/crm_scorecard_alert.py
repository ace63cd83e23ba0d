from odoo import fields, models


class CrmScorecardAlert(models.Model):
    """That a line's owners were told it is behind, for one period: never twice."""

    _name = "crm.scorecard.alert"
    _description = "Scorecard alert"
    _order = "create_date desc, id desc"
    _rec_name = "line_id"

    line_id = fields.Many2one(
        "crm.scorecard.line", required=True, ondelete="cascade", index=True
    )
    scorecard_id = fields.Many2one(
        "crm.scorecard", required=True, ondelete="cascade", index=True
    )
    kpi_id = fields.Many2one(related="line_id.kpi_id", store=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    date_from = fields.Date("From", required=True)
    date_to = fields.Date("To", required=True)
    value = fields.Float(digits=(16, 2))
    threshold = fields.Float(digits=(16, 2))

    _sql_constraints = [
        (
            "line_period_unique",
            "UNIQUE(line_id, date_from)",
            "A line is alerted once per period.",
        ),
    ]
