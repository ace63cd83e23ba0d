from odoo import fields, models


class CrmComplaint(models.Model):
    _name = "crm.complaint"
    _description = "Customer complaint"

    name = fields.Char(required=True)
    partner_id = fields.Many2one("res.partner", index=True)
    company_id = fields.Many2one(
        "res.company", default=lambda self: self.env.company, index=True
    )
    severity = fields.Selection(
        [
            ("low", "Low"),
            ("medium", "Medium"),
            ("high", "High"),
            ("critical", "Critical"),
        ],
        default="medium",
    )
    sla_breached = fields.Boolean()
