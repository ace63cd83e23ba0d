from odoo import api, fields, models
from odoo.exceptions import ValidationError


class LoyaltyProgram(models.Model):
    _inherit = "loyalty.program"

    tier_ids = fields.One2many("loyalty.tier", "program_id", string="Tiers", copy=True)
    tier_period = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")],
        string="Tier evaluation period",
        default="year",
        required=True,
        help="A tier is kept at least until the end of the period in which it was "
        "reached or renewed; a downgrade can only happen after it.",
    )
    tier_grace_days = fields.Integer(
        "Grace days",
        help="Days after the end of the evaluation period before a member who no "
        "longer qualifies is moved down.",
    )
    invoice_points_rate = fields.Float(
        "Points per invoiced unit",
        help="Points earned per unit of company currency on posted customer "
        "invoices (untaxed). 0 disables points on invoices.",
    )
    points_validity_days = fields.Integer(
        "Points validity (days)",
        help="Points not used within this number of days expire (oldest first). "
        "0 means points never expire.",
    )
    allowed_tier_ids = fields.Many2many(
        "loyalty.tier",
        "loyalty_program_allowed_tier_rel",
        "program_id",
        "tier_id",
        string="Members of tiers",
        help="When set, only customers whose loyalty card is in one of these tiers "
        "may use this program.",
    )
    allowed_partner_ids = fields.Many2many(
        "res.partner",
        "loyalty_program_allowed_partner_rel",
        "program_id",
        "partner_id",
        string="Customers",
        help="When set, only these customers may use this program.",
    )

    @api.constrains("tier_grace_days", "invoice_points_rate", "points_validity_days")
    def _check_loyalty_tier_settings(self):
        for program in self:
            if (
                program.tier_grace_days < 0
                or program.invoice_points_rate < 0
                or program.points_validity_days < 0
            ):
                raise ValidationError(
                    self.env._(
                        "Grace days, invoice points rate and points validity of "
                        "program %(program)s cannot be negative.",
                        program=program.name,
                    )
                )

    def _is_allowed_for_partner(self, partner, tiers):
        """Whether ``partner`` (whose cards hold ``tiers``) may use this program."""
        self.ensure_one()
        if self.allowed_partner_ids and not (
            self.allowed_partner_ids & (partner | partner.commercial_partner_id)
        ):
            return False
        return not self.allowed_tier_ids or bool(self.allowed_tier_ids & tiers)
