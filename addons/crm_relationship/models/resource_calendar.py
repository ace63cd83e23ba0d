from odoo import models


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    def write(self, vals):
        res = super().write(vals)
        if "tz" in vals:
            # sudo: the companies working these hours, whoever edits them
            companies = (
                self.env["res.company"]
                .sudo()
                .search([("resource_calendar_id", "in", self.ids)])
            )
            if companies:
                self.env["stock.picking"]._refresh_delivered_on_time(companies)
        return res
