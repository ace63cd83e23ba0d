from odoo import api, fields, models


class CrmNextActionDismiss(models.TransientModel):
    _name = "crm.next.action.dismiss"
    _description = "Dismiss next best actions"

    action_ids = fields.Many2many("crm.next.action", string="Actions")
    reason = fields.Text(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "crm.next.action":
            values["action_ids"] = [(6, 0, self.env.context.get("active_ids", []))]
        return values

    def action_dismiss(self):
        self.ensure_one()
        self.action_ids.action_dismiss(self.reason)
        return {"type": "ir.actions.act_window_close"}
