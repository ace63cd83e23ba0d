from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    relationship_scoring_profile_ids = fields.One2many(
        "crm.relationship.scoring.profile", "company_id"
    )

    def _crm_tz(self):
        """The time zone in which the relationship CRM cuts the company's datetimes
        into days, months and years (on-time deliveries, scoring windows, periods of
        KPIs, cohorts): the company contact's, else its working hours', else UTC.

        Datetimes are stored in UTC; a delivery done at 01:00 in Brussels on 11 June
        is still 10 June in UTC, and it is late for a promise of 10 June.
        """
        self.ensure_one()
        return self.partner_id.tz or self.resource_calendar_id.tz or "UTC"

    def _crm_today(self):
        """Today in the company's time zone: the reference date of what the
        company's crons and defaults compute."""
        self.ensure_one()
        return fields.Date.context_today(self.with_context(tz=self._crm_tz()))

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
