from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import scoring


class CrmRelationshipScoringProfile(models.Model):
    """How a company scores its customers: window, ABC shares, weights, tier thresholds.

    One per company, created on first use with sensible defaults.
    """

    _name = "crm.relationship.scoring.profile"
    _description = "Relationship Scoring Profile"
    _inherit = ["mail.thread"]

    name = fields.Char(required=True, default=lambda self: _("Scoring profile"))
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        ondelete="cascade",
        index=True,
    )
    window_days = fields.Integer(
        "Scoring window (days)",
        default=365,
        required=True,
        tracking=True,
        help="Frequency, monetary value, payments and deliveries are counted over "
        "this many days before the reference date.",
    )
    abc_a_share = fields.Float(
        "A share (%)",
        default=80.0,
        tracking=True,
        help="A customer is A while the customers ranked before them hold less "
        "than this share of the net invoiced amount.",
    )
    abc_b_share = fields.Float("B share (%)", default=95.0, tracking=True)
    weight_recency = fields.Float("Recency weight", default=25.0, tracking=True)
    weight_frequency = fields.Float("Frequency weight", default=20.0, tracking=True)
    weight_monetary = fields.Float("Monetary weight", default=25.0, tracking=True)
    weight_payment = fields.Float("Payment weight", default=15.0, tracking=True)
    weight_delivery = fields.Float("Delivery weight", default=15.0, tracking=True)
    weight_complaint = fields.Float(
        "Complaints weight",
        default=10.0,
        tracking=True,
        help="Complaints in the window, by severity and SLA breaches.",
    )
    weight_satisfaction = fields.Float(
        "Satisfaction weight",
        default=10.0,
        tracking=True,
        help="Ratings the customer gave when their complaints closed.",
    )
    threshold_a = fields.Float("Tier A from", default=80.0, tracking=True)
    threshold_b = fields.Float("Tier B from", default=65.0, tracking=True)
    threshold_c = fields.Float("Tier C from", default=50.0, tracking=True)
    threshold_d = fields.Float("Tier D from", default=35.0, tracking=True)
    threshold_e = fields.Float("Tier E from", default=20.0, tracking=True)
    churn_risk_multiple = fields.Float(
        "At risk after (x usual interval)",
        default=2.0,
        tracking=True,
        help="A customer with several purchases is at risk when the days since "
        "their last purchase exceed this multiple of their own usual interval "
        "between purchases.",
    )
    churn_lost_multiple = fields.Float(
        "Lost after (x usual interval)", default=4.0, tracking=True
    )
    churn_min_days = fields.Integer(
        "Never at risk before (days)",
        default=30,
        tracking=True,
        help="Customers who buy very often are not flagged sooner than this.",
    )
    churn_single_risk_days = fields.Integer(
        "One purchase: at risk after (days)", default=180, tracking=True
    )
    churn_single_lost_days = fields.Integer(
        "One purchase: lost after (days)", default=365, tracking=True
    )
    winback_cooldown_days = fields.Integer(
        "New win-back after (days)",
        default=180,
        tracking=True,
        help="A customer gets no new win-back opportunity within this many days of "
        "the start of the previous one.",
    )
    history_days = fields.Integer(
        "Keep score history (days)",
        default=730,
        required=True,
        help="Score snapshots older than this are deleted by the daily recompute.",
    )

    _sql_constraints = [
        (
            "company_uniq",
            "unique(company_id)",
            "A company has one scoring profile.",
        ),
    ]

    @api.constrains(
        "window_days",
        "abc_a_share",
        "abc_b_share",
        "weight_recency",
        "weight_frequency",
        "weight_monetary",
        "weight_payment",
        "weight_delivery",
        "weight_complaint",
        "weight_satisfaction",
        "threshold_a",
        "threshold_b",
        "threshold_c",
        "threshold_d",
        "threshold_e",
        "history_days",
        "churn_risk_multiple",
        "churn_lost_multiple",
        "churn_min_days",
        "churn_single_risk_days",
        "churn_single_lost_days",
        "winback_cooldown_days",
    )
    def _check_profile(self):
        messages = {
            "negative_weight": _("Weights cannot be negative."),
            "no_weight": _(
                "At least one component needs a weight above zero: with all weights "
                "at zero no customer could be scored."
            ),
            "threshold_range": _("Tier thresholds are health scores from 0 to 100."),
            "threshold_order": _(
                "Tier thresholds must decrease strictly from A to E "
                "(for example A 80, B 65, C 50, D 35, E 20)."
            ),
            "abc_shares": _(
                "ABC shares must satisfy 0 < A share < B share <= 100 "
                "(for example 80 and 95)."
            ),
            "window": _("The scoring window must be at least one day."),
            "churn_multiples": _(
                "Churn multiples must satisfy 0 < at risk < lost (for example 2 "
                "and 4 times the usual interval)."
            ),
            "churn_single_days": _(
                "For one-purchase customers, 0 < days to at risk < days to lost "
                "(for example 180 and 365)."
            ),
            "churn_min_days": _("The minimum days before at risk cannot be negative."),
            "cooldown": _("The win-back cooldown cannot be negative."),
        }
        for profile in self:
            problems = scoring.check_profile(
                profile._weights(),
                profile._thresholds(),
                profile.abc_a_share,
                profile.abc_b_share,
                profile.window_days,
            )
            problems += scoring.check_churn(profile._churn_params())
            if profile.winback_cooldown_days < 0:
                problems.append("cooldown")
            if profile.history_days <= 0:
                problems.append("history")
                messages["history"] = _("Score history must be kept at least one day.")
            if problems:
                raise ValidationError(
                    _(
                        "The scoring profile %(name)s cannot be saved:",
                        name=profile.name,
                    )
                    + "\n"
                    + "\n".join(f"- {messages[code]}" for code in problems)
                )

    def _weights(self):
        self.ensure_one()
        return {name: self[f"weight_{name}"] for name in scoring.COMPONENTS}

    def _churn_params(self):
        self.ensure_one()
        return {
            "risk_multiple": self.churn_risk_multiple,
            "lost_multiple": self.churn_lost_multiple,
            "min_days": self.churn_min_days,
            "single_risk_days": self.churn_single_risk_days,
            "single_lost_days": self.churn_single_lost_days,
        }

    def _thresholds(self):
        self.ensure_one()
        return tuple(self[f"threshold_{tier.lower()}"] for tier in scoring.TIERS[:-1])

    @api.model
    def _create_per_company_profiles(self, companies):
        """A profile with the defaults for each company that has none."""
        have = {
            company.id
            for [company] in self._read_group(
                [("company_id", "in", companies.ids)], ["company_id"]
            )
        }
        missing = companies.filtered(lambda company: company.id not in have)
        return self.create([{"company_id": company.id} for company in missing])

    @api.model
    def _get_for_company(self, company):
        """The company's profile, created with the defaults when it has none yet."""
        # sudo: every recompute needs the profile, whoever triggered it; the profile
        # holds no secret and its defaults are what the company would get anyway
        profile = self.sudo().search([("company_id", "=", company.id)], limit=1)
        if not profile:
            profile = self.sudo().create({"company_id": company.id})
        return profile
