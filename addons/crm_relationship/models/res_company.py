from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    relationship_scoring_profile_ids = fields.One2many(
        "crm.relationship.scoring.profile", "company_id"
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._create_per_company_relationship_config()
        return companies

    @api.model
    def _create_missing_relationship_config(self):
        """Run by the module's data at every install and update, for the companies
        that existed before (as stock's ``create_missing_*``); idempotent."""
        self.search([])._create_per_company_relationship_config()

    def _create_per_company_relationship_config(self):
        """What the module ships for each company of its own: the SLA policies of
        complaints and the scoring profile. Stages, categories and KPIs are shared
        by all companies instead (no company on them)."""
        # sudo: shipped configuration, created whoever creates the company
        companies = self.sudo()
        self.env["crm.complaint.sla.policy"].sudo()._create_per_company_policies(
            companies
        )
        self.env[
            "crm.relationship.scoring.profile"
        ].sudo()._create_per_company_profiles(companies)
