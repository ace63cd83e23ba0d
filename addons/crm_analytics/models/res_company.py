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

    clv_model = fields.Selection(
        [
            ("auto", "Best on the hold-out"),
            ("bgnbd", "BG/NBD"),
            ("mbgnbd", "Modified BG/NBD"),
            ("pareto_nbd", "Pareto/NBD"),
        ],
        "Purchase model",
        default="auto",
        required=True,
        help="Best on the hold-out: each fit tries the three purchase models and "
        "keeps the one whose predictions of the hold-out purchases were closest "
        "(smallest mean error per customer; equal errors: highest likelihood). "
        "Otherwise every fit uses the model chosen here.",
    )
    clv_churn_from_model = fields.Boolean(
        "Churn from P(alive)",
        help="The churn state of scored customers follows the probability that they "
        "are still buying, from the lifetime value model, instead of the "
        "purchase-interval rule of the scoring profile. Customers who bought only "
        "once: under the modified BG/NBD and Pareto/NBD their P(alive) falls as "
        "time passes since that purchase; BG/NBD cannot see them leave (P(alive) "
        "stays 1), so under BG/NBD they keep the purchase-interval rule's state "
        "(or a worse one from P(alive)).",
    )
    clv_at_risk_below = fields.Float(
        "At risk below",
        default=0.5,
        digits=(16, 2),
        help="P(alive) under this: at risk.",
    )
    clv_lost_below = fields.Float(
        "Lost below", default=0.2, digits=(16, 2), help="P(alive) under this: lost."
    )

    @api.constrains(
        "clv_horizon_months",
        "clv_monthly_discount",
        "clv_margin_share",
        "clv_holdout_days",
        "clv_at_risk_below",
        "clv_lost_below",
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
            if not 0 <= company.clv_lost_below <= company.clv_at_risk_below <= 1:
                raise ValidationError(
                    _(
                        "The P(alive) thresholds are between 0 and 1, the “lost” one "
                        "below the “at risk” one."
                    )
                )
            if company.clv_holdout_days < 0:
                raise ValidationError(_("The hold-out cannot be negative."))

    partial_defection_share = fields.Float(
        "Partial defection below",
        default=0.3,
        digits=(16, 2),
        help="A customer still buying whose invoiced revenue of the last 12 months "
        "fell by more than this share against the 12 before is a partial "
        "defector (0.3 for 30 %).",
    )

    @api.constrains("partial_defection_share")
    def _check_partial_defection_share(self):
        for company in self:
            if not 0 < company.partial_defection_share < 1:
                raise ValidationError(
                    _(
                        "The partial defection share is above 0 and below 1 (0.3 "
                        "for 30 %)."
                    )
                )
