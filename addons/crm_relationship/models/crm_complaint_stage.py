from odoo import fields, models


class CrmComplaintStage(models.Model):
    _name = "crm.complaint.stage"
    _description = "Complaint stage"

    name = fields.Char(required=True, translate=True)
