from odoo import api, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.depends("order_id.partner_id")
    def _compute_discount(self):
        """Members of a tier with a discount get at least that discount."""
        res = super()._compute_discount()
        lines = self.filtered(
            lambda line: (
                line.product_id
                and not line.display_type
                and not line.is_reward_line
                and line.order_id.partner_id
                and line.state in ("draft", "sent")
            )
        )
        Card = self.env["loyalty.card"]
        for company, company_lines in lines.grouped("company_id").items():
            best = Card._tier_by_partner(company_lines.order_id.partner_id, company)
            for line in company_lines:
                tier = best.get(
                    line.order_id.partner_id.commercial_partner_id.id, {}
                ).get("discount")
                if tier and line.discount < tier.discount:
                    line.discount = tier.discount
        return res
