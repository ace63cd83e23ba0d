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
