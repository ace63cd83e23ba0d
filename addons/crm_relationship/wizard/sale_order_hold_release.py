from odoo import fields, models


class SaleOrderHoldRelease(models.TransientModel):
    _name = "sale.order.hold.release"
    _description = "Release the credit hold of an order"

    order_id = fields.Many2one("sale.order", required=True, ondelete="cascade")
    message = fields.Text(related="order_id.crm_credit_hold_message")
    reason = fields.Text(required=True)

    def action_release(self):
        self.ensure_one()
        self.order_id.action_crm_release_hold(self.reason)
        return {"type": "ir.actions.act_window_close"}
