from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    relationship_scoring_profile_ids = fields.One2many(
        "crm.relationship.scoring.profile", "company_id"
    )
