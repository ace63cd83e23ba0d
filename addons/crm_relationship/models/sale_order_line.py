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

    def _action_launch_stock_rule(self, previous_product_uom_qty=False):
        """Lines of a customer whose tier policy says urgent are procured urgent,
        and their open transfers starred: Odoo 18 takes a move's priority from its
        transfer, and reserves stock for starred moves first when it is short."""
        priorities = self.order_id._crm_delivery_priorities()
        res = super(
            SaleOrderLine, self.with_context(crm_delivery_priorities=priorities)
        )._action_launch_stock_rule(previous_product_uom_qty)
        urgent = self.order_id.filtered(lambda o: priorities.get(o.id) == "1")
        pickings = urgent.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel") and p.priority != "1"
        )
        if pickings:
            # sudo: the transfers sale_stock made for the order, whoever confirms it
            pickings.sudo().write({"priority": "1"})
        return res

    def _prepare_procurement_values(self, group_id=False):
        """Lines of a customer whose tier policy says urgent are procured urgent:
        their moves and delivery are starred, and Odoo reserves stock for starred
        moves first."""
        values = super()._prepare_procurement_values(group_id=group_id)
        priorities = self.env.context.get("crm_delivery_priorities")
        if priorities is None:
            priorities = self.order_id._crm_delivery_priorities()
        if priorities.get(self.order_id.id) == "1":
            values["priority"] = "1"
        return values
