from odoo import fields, models


class CrmHandoffRefuse(models.TransientModel):
    _name = "crm.handoff.refuse"
    _description = "Refuse a hand-off"

    handoff_id = fields.Many2one("crm.handoff", required=True, ondelete="cascade")
    reason = fields.Text(required=True)

    def action_refuse(self):
        self.ensure_one()
        self.handoff_id.action_refuse(self.reason)
        return {"type": "ir.actions.act_window_close"}
