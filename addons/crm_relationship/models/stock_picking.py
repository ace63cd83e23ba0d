from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        res = super()._action_done()
        customer_moves = self.filtered(
            lambda p: (
                p.partner_id
                and (
                    p.picking_type_code == "outgoing"
                    or (p.picking_type_code == "incoming" and p.return_id)
                )
            )
        )
        self.env["crm.relationship.score"]._mark_customers(
            (p.partner_id.commercial_partner_id.id, p.company_id.id)
            for p in customer_moves
        )
        return res
