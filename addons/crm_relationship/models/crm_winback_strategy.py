from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.translate import html_translate

from ..tools import scoring


class CrmWinbackStrategy(models.Model):
    """What a win-back opportunity does for a customer of one tier.

    Any combination of a to-do activity for the account manager, a coupon from a
    loyalty program and an email to the customer; one strategy per tier and company.
    """

    _name = "crm.winback.strategy"
    _description = "Win-back strategy"
    _order = "tier, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    tier = fields.Selection(
        scoring.TIER_SELECTION,
        required=True,
        help="Customers of this tier get this strategy when they churn.",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Activity",
        help="Scheduled for the account manager on the win-back opportunity.",
    )
    activity_summary = fields.Char("Activity summary", translate=True)
    activity_days = fields.Integer("Activity due in (days)", default=3)
    loyalty_program_id = fields.Many2one(
        "loyalty.program",
        string="Coupon program",
        check_company=True,
        domain="[('program_type', 'in', ('coupons', 'next_order_coupons'))]",
        help="A coupon of this program is issued to the customer.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email",
        domain="[('model', '=', 'crm.lead')]",
        help="Sent to the customer when the win-back opens.",
    )
    description = fields.Html(translate=html_translate)
    winback_count = fields.Integer(compute="_compute_winback_counts")
    won_back_count = fields.Integer(compute="_compute_winback_counts")

    _sql_constraints = [
        (
            "tier_company_uniq",
            "UNIQUE(tier, company_id)",
            "A tier has one win-back strategy per company.",
        ),
    ]

    def _compute_winback_counts(self):
        groups = self.env["crm.lead"]._read_group(
            [("winback_strategy_id", "in", self.ids)],
            ["winback_strategy_id", "winback_state"],
            ["__count"],
        )
        totals = {}
        for strategy, state, count in groups:
            total, won = totals.get(strategy.id, (0, 0))
            totals[strategy.id] = (
                total + count,
                won + (count if state == "won" else 0),
            )
        for strategy in self:
            strategy.winback_count, strategy.won_back_count = totals.get(
                strategy.id, (0, 0)
            )

    @api.constrains("activity_days")
    def _check_activity_days(self):
        if any(strategy.activity_days < 0 for strategy in self):
            raise ValidationError(_("The activity cannot be due in the past."))

    def _apply(self, leads):
        """Run the strategy on its new win-back opportunities."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        for lead in leads:
            if self.activity_type_id:
                lead.activity_schedule(
                    activity_type_id=self.activity_type_id.id,
                    summary=self.activity_summary or self.name,
                    date_deadline=today + timedelta(days=self.activity_days),
                    user_id=lead.user_id.id or self.env.uid,
                )
        if self.loyalty_program_id:
            rewards = self.loyalty_program_id.reward_ids
            points = min(rewards.mapped("required_points") or [1])
            cards = self.env["loyalty.card"].create(
                [
                    {
                        "program_id": self.loyalty_program_id.id,
                        "partner_id": lead.partner_id.id,
                        "points": points,
                    }
                    for lead in leads
                ]
            )
            for lead, card in zip(leads, cards, strict=True):
                lead.winback_coupon_id = card
                lead._message_log(
                    body=_(
                        "Coupon %(code)s issued from %(program)s.",
                        code=card.code,
                        program=self.loyalty_program_id.name,
                    )
                )
        if self.mail_template_id:
            for lead in leads:
                lead.message_post_with_source(
                    self.mail_template_id, subtype_xmlid="mail.mt_comment"
                )
