from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    clv_horizon_months = fields.Integer(
        related="company_id.clv_horizon_months", readonly=False
    )
    clv_monthly_discount = fields.Float(
        related="company_id.clv_monthly_discount", readonly=False
    )
    clv_margin_share = fields.Float(
        related="company_id.clv_margin_share", readonly=False
    )
    clv_holdout_days = fields.Integer(
        related="company_id.clv_holdout_days", readonly=False
    )
    clv_model = fields.Selection(related="company_id.clv_model", readonly=False)
    clv_churn_from_model = fields.Boolean(
        related="company_id.clv_churn_from_model", readonly=False
    )
    clv_at_risk_below = fields.Float(
        related="company_id.clv_at_risk_below", readonly=False
    )
    clv_lost_below = fields.Float(related="company_id.clv_lost_below", readonly=False)
    partial_defection_share = fields.Float(
        related="company_id.partial_defection_share", readonly=False
    )
