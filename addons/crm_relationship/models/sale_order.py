from odoo import api, models
from odoo.osv import expression


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("partner_id", "company_id")
    def _compute_pricelist_id(self):
        """Members of a tier with a pricelist get it on their quotations."""
        res = super()._compute_pricelist_id()
        Card = self.env["loyalty.card"]
        for company, orders in (
            self.filtered(lambda o: o.state == "draft" and o.partner_id)
            .grouped("company_id")
            .items()
        ):
            best = Card._tier_by_partner(orders.partner_id, company)
            for order in orders:
                tier = best.get(order.partner_id.commercial_partner_id.id, {}).get(
                    "pricelist"
                )
                if tier:
                    order.pricelist_id = tier.pricelist_id
        return res

    # ------------------------------------------------------------
    # LOYALTY RESTRICTIONS
    # ------------------------------------------------------------

    def _loyalty_customer_tiers(self):
        """Tiers held by the cards of the order's customer."""
        self.ensure_one()
        best = self.env["loyalty.card"]._tier_by_partner(
            self.partner_id, self.company_id
        )
        return best.get(self.partner_id.commercial_partner_id.id, {}).get(
            "tiers", self.env["loyalty.tier"]
        )

    def _loyalty_member_domain(self, prefix=""):
        """Programs reserved to some tiers or customers are out of reach of others."""
        partners = self.partner_id | self.partner_id.commercial_partner_id
        tiers = self._loyalty_customer_tiers()
        return [
            "|",
            (f"{prefix}allowed_partner_ids", "=", False),
            (f"{prefix}allowed_partner_ids", "in", partners.ids),
            "|",
            (f"{prefix}allowed_tier_ids", "=", False),
            (f"{prefix}allowed_tier_ids", "in", tiers.ids),
        ]

    def _get_program_domain(self):
        return expression.AND(
            [super()._get_program_domain(), self._loyalty_member_domain()]
        )

    def _get_trigger_domain(self):
        return expression.AND(
            [super()._get_trigger_domain(), self._loyalty_member_domain("program_id.")]
        )

    def _program_check_compute_points(self, programs):
        result = super()._program_check_compute_points(programs)
        restricted = programs.filtered(
            lambda p: p.allowed_partner_ids or p.allowed_tier_ids
        )
        if restricted:
            tiers = self._loyalty_customer_tiers()
            for program in restricted:
                if not program._is_allowed_for_partner(self.partner_id, tiers):
                    result[program] = {
                        "error": self.env._(
                            "The program %(program)s is reserved to other members.",
                            program=program.name,
                        )
                    }
        return result

    def _get_claimable_rewards(self, forced_coupons=None):
        result = super()._get_claimable_rewards(forced_coupons=forced_coupons)
        if not any(rewards.allowed_tier_ids for rewards in result.values()):
            return result
        tiers = self._loyalty_customer_tiers()
        for coupon in list(result):
            result[coupon] = result[coupon].filtered(
                lambda r: not r.allowed_tier_ids or r.allowed_tier_ids & tiers
            )
            if not result[coupon]:
                del result[coupon]
        return result

    def _apply_program_reward(self, reward, coupon, **kwargs):
        if reward.allowed_tier_ids and not (
            reward.allowed_tier_ids & self._loyalty_customer_tiers()
        ):
            return {
                "error": self.env._(
                    "The reward %(reward)s is reserved to other members.",
                    reward=reward.description,
                )
            }
        return super()._apply_program_reward(reward, coupon, **kwargs)
