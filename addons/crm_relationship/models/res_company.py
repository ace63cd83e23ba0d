from odoo import fields, models


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
