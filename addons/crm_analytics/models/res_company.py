from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    clv_horizon_months = fields.Integer(
        "Prediction horizon (months)",
        default=12,
        help="Expected purchases and predicted lifetime value cover this many months.",
    )
    clv_monthly_discount = fields.Float(
        "Monthly discount rate",
        default=0.01,
        digits=(16, 4),
        help="Future purchases are discounted by this rate per month (0.01 is 1 %).",
    )
    clv_margin_share = fields.Float(
        "Margin share",
        default=1.0,
        digits=(16, 3),
        help="Share of revenue counted as value: 1 for revenue, 0.3 for a 30 % margin.",
    )
    clv_holdout_days = fields.Integer(
        "Hold-out (days)",
        default=90,
        help="Each fit is checked against the purchases of this many days before its "
        "calibration date.",
    )

    @api.constrains(
        "clv_horizon_months",
        "clv_monthly_discount",
        "clv_margin_share",
        "clv_holdout_days",
    )
    def _check_clv_settings(self):
        for company in self:
            if company.clv_horizon_months < 1:
                raise ValidationError(
                    _("The prediction horizon is at least one month.")
                )
            if not 0 <= company.clv_monthly_discount < 1:
                raise ValidationError(
                    _("The monthly discount rate is between 0 and 1 (0.01 for 1 %).")
                )
            if not 0 < company.clv_margin_share <= 1:
                raise ValidationError(_("The margin share is above 0 and at most 1."))
            if company.clv_holdout_days < 0:
                raise ValidationError(_("The hold-out cannot be negative."))
