from odoo import api, fields, models
from odoo.exceptions import ValidationError


class LoyaltyTier(models.Model):
    """A membership level of a loyalty program, reached by points or by spend.

    Tiers of one program are ranked by ``_order``: the last tier a card qualifies for
    is its tier. A tier gives benefits on sale orders (pricelist, discount) and
    multiplies the points earned on invoices.
    """

    _name = "loyalty.tier"
    _description = "Loyalty tier"
    _order = "program_id, sequence, threshold, id"
    _check_company_auto = True

    program_id = fields.Many2one(
        "loyalty.program",
        required=True,
        ondelete="cascade",
        index=True,
        domain="[('program_type', '=', 'loyalty')]",
    )
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    threshold = fields.Float(
        required=True,
        help="Points on the card, or untaxed invoiced amount of the last 12 months "
        "(company currency), needed to reach this tier.",
    )
    threshold_type = fields.Selection(
        [("points", "Points"), ("spend", "Spend (12 months)")],
        required=True,
        default="points",
    )
    pricelist_id = fields.Many2one(
        "product.pricelist",
        check_company=True,
        help="Pricelist given to the members of this tier on new quotations.",
    )
    discount = fields.Float(
        "Discount (%)",
        digits="Discount",
        help="Minimum discount on the sale order lines of the members of this tier.",
    )
    points_multiplier = fields.Float(
        default=1.0,
        help="Points earned on invoices are multiplied by this factor.",
    )
    color = fields.Integer()
    company_id = fields.Many2one(
        related="program_id.company_id", store=True, index=True
    )
    card_count = fields.Integer(compute="_compute_card_count", string="Members")

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    def _compute_card_count(self):
        counts = dict(
            self.env["loyalty.card"]._read_group(
                [("tier_id", "in", self.ids)], ["tier_id"], ["__count"]
            )
        )
        for tier in self:
            tier.card_count = counts.get(tier, 0)

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("threshold", "points_multiplier", "discount")
    def _check_values(self):
        for tier in self:
            if tier.threshold < 0:
                raise ValidationError(
                    self.env._(
                        "The threshold of tier %(tier)s cannot be negative.",
                        tier=tier.name,
                    )
                )
            if tier.points_multiplier <= 0:
                raise ValidationError(
                    self.env._(
                        "The points multiplier of tier %(tier)s must be positive.",
                        tier=tier.name,
                    )
                )
            if not 0 <= tier.discount <= 100:
                raise ValidationError(
                    self.env._(
                        "The discount of tier %(tier)s must be between 0 and 100%%.",
                        tier=tier.name,
                    )
                )

    @api.constrains("program_id", "threshold", "threshold_type")
    def _check_threshold_unique(self):
        groups = self._read_group(
            [("program_id", "in", self.program_id.ids)],
            ["program_id", "threshold_type", "threshold"],
            ["__count"],
            having=[("__count", ">", 1)],
        )
        if groups:
            program, _threshold_type, threshold, _count = groups[0]
            raise ValidationError(
                self.env._(
                    "Two tiers of program %(program)s have the same threshold "
                    "(%(threshold)s).",
                    program=program.name,
                    threshold=threshold,
                )
            )

    @api.constrains("program_id")
    def _check_program_type(self):
        if any(tier.program_id.program_type != "loyalty" for tier in self):
            raise ValidationError(
                self.env._("Tiers can only be defined on loyalty card programs.")
            )
