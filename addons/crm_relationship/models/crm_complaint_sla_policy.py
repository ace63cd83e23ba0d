from odoo import fields, models


class CrmComplaintSlaPolicy(models.Model):
    _name = "crm.complaint.sla.policy"
    _description = "Complaint SLA policy"

    name = fields.Char(required=True)
