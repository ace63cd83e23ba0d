from odoo import fields, models


class IrActionsServer(models.Model):
    _inherit = "ir.actions.server"

    # The automation rules this addon ships schedule activities whose title the
    # salesperson reads: translated like the rules' names (Odoo keeps it plain text).
    activity_summary = fields.Char(translate=True)
