from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import scoring


class CrmTierPolicy(models.Model):
    """How the company serves the customers of one tier, in the other departments.

    Each line acts through Odoo's own mechanisms: the delivery priority becomes the
    procurement priority of the tier's confirmed orders (Odoo reserves stock for
    urgent moves first); the payment terms and credit limit are written on the
    customer's own accounting fields when the customer enters the tier; the credit
    hold stops the confirmation of orders of a customer with invoices overdue for
    longer than ``credit_hold_days``. A tier without a line is served as Odoo does.
    """

    _name = "crm.tier.policy"
    _description = "Service policy of a customer tier"
    _inherit = ["mail.thread"]
    _order = "company_id, tier"
    _rec_name = "tier"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    tier = fields.Selection(scoring.TIER_SELECTION, required=True, tracking=True)
    delivery_priority = fields.Selection(
        [("0", "Normal"), ("1", "Urgent")],
        required=True,
        default="0",
        tracking=True,
        help="Urgent: the deliveries of the tier's confirmed orders are starred, and "
        "Odoo reserves stock for starred deliveries first when it is short.",
    )
    payment_term_id = fields.Many2one(
        "account.payment.term",
        "Payment terms",
        check_company=True,
        tracking=True,
        help="Written on the customer when they enter the tier, so that their new "
        "orders and invoices propose them; terms a person set by hand are kept.",
    )
    credit_limit_mode = fields.Selection(
        [
            ("none", "Not set by the policy"),
            ("amount", "Fixed amount"),
            ("months", "Months of average invoicing"),
        ],
        "Credit limit",
        required=True,
        default="none",
        tracking=True,
    )
    credit_limit = fields.Monetary(
        "Credit limit amount",
        tracking=True,
        help="The customer's credit limit while in the tier (Odoo warns on orders "
        "above it when the credit limit is enabled in the Accounting settings); "
        "with months of invoicing, the least limit given (a customer invoiced "
        "nothing gets it, or the smallest amount of the currency: Odoo reads a "
        "limit of zero as no limit).",
    )
    credit_limit_months = fields.Float(
        "Months of invoicing",
        digits=(16, 1),
        default=2.0,
        tracking=True,
        help="Credit limit as this many months of what the customer was invoiced "
        "on average per month over the last twelve months (invoices less credit "
        "notes, taxes included, in the company's currency).",
    )
    credit_hold = fields.Boolean(
        tracking=True,
        help="Orders of a customer of this tier cannot be confirmed while part of "
        "their balance is overdue for longer than the days below; a finance head or "
        "an accounting manager can release an order with a reason.",
    )
    credit_hold_days = fields.Integer(
        "Days overdue before a hold",
        default=30,
        tracking=True,
        help="An amount due for more than this many days (counted in the company's "
        "time zone) holds the customer's new orders.",
    )

    _sql_constraints = [
        (
            "tier_company_uniq",
            "unique(company_id, tier)",
            "Each tier has one service policy per company.",
        ),
        (
            "credit_hold_days_positive",
            "CHECK(credit_hold_days >= 0)",
            "The days overdue before a hold cannot be negative.",
        ),
    ]

    @api.depends("tier", "company_id")
    def _compute_display_name(self):
        for policy in self:
            policy.display_name = _("Tier %(tier)s policy", tier=policy.tier or "")

    @api.constrains("credit_limit_mode", "credit_limit", "credit_limit_months")
    def _check_credit_limit(self):
        for policy in self:
            if policy.credit_limit_mode == "amount" and policy.credit_limit <= 0:
                raise ValidationError(
                    _(
                        "The credit limit of tier %(tier)s must be above zero: Odoo "
                        "reads a credit limit of zero as no limit at all.",
                        tier=policy.tier,
                    )
                )
            if policy.credit_limit < 0:
                raise ValidationError(
                    _(
                        "The credit limit of tier %(tier)s cannot be negative.",
                        tier=policy.tier,
                    )
                )
            if policy.credit_limit_mode == "months" and policy.credit_limit_months <= 0:
                raise ValidationError(
                    _(
                        "The credit limit of tier %(tier)s needs a number of months "
                        "above zero.",
                        tier=policy.tier,
                    )
                )

    @api.model
    def _policies_of(self, companies):
        """``{(company id, tier): policy}`` of these companies, in one query. Read as
        superuser: a tier's service applies whoever confirms or invoices the order."""
        policies = self.sudo().search([("company_id", "in", companies.ids)])
        return {(p.company_id.id, p.tier): p for p in policies}

    def action_apply_now(self):
        """Apply the payment terms and credit limit of these policies to the
        customers now in their tiers (terms set by hand are kept).

        :raises AccessError: for users who may not edit the policies
        """
        self.check_access("write")
        Score = self.env["crm.relationship.score"]
        for policy in self:
            # sudo: the tier decides the terms, whoever may read the score rows
            rows = Score.sudo().search_fetch(
                [("company_id", "=", policy.company_id.id), ("tier", "=", policy.tier)],
                ["partner_id"],
            )
            self.env["res.partner"]._crm_apply_tier_policies(
                policy.company_id,
                {pid: (None, policy.tier) for pid in rows.partner_id.ids},
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _(
                    "The policies were applied to the customers of their tiers."
                ),
            },
        }
