from odoo import fields, models


class CrmComplaintCategory(models.Model):
    _name = "crm.complaint.category"
    _description = "Complaint category"

    name = fields.Char(required=True, translate=True)
