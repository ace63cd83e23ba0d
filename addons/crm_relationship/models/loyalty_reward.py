from odoo import fields, models


class LoyaltyReward(models.Model):
    _inherit = "loyalty.reward"

    allowed_tier_ids = fields.Many2many(
        "loyalty.tier",
        "loyalty_reward_allowed_tier_rel",
        "reward_id",
        "tier_id",
        string="Members of tiers",
        help="When set, only customers whose loyalty card is in one of these tiers "
        "may claim this reward.",
    )
