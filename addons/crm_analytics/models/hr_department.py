from markupsafe import Markup, escape

from odoo import api, fields, models

from odoo.addons.crm_relationship.models.hr_department import SCORE_GROUP


class HrDepartment(models.Model):
    _inherit = "hr.department"

    crm_churn_driver_ids = fields.Many2many(
        "crm.churn.driver",
        string="Why customers leave",
        compute="_compute_crm_churn_drivers",
        groups=SCORE_GROUP,
        help="The significant churn drivers this department owns, from its "
        "company's churn drivers model in use.",
    )
    crm_churn_driver_html = fields.Html(
        "Churn drivers",
        compute="_compute_crm_churn_drivers",
        sanitize=False,
        groups=SCORE_GROUP,
    )

    @api.depends_context("uid", "company", "lang")
    def _compute_crm_churn_drivers(self):
        Fit = self.env["crm.churn.driver.fit"]
        current = Fit.search([("is_current", "=", True)])
        by_company = {fit.company_id.id: fit for fit in current}
        drivers = self.env["crm.churn.driver"].search(
            [
                ("fit_id", "in", current.ids),
                ("is_significant", "=", True),
                ("hazard_ratio", ">", 0),
            ],
            order="hazard_ratio desc",
        )
        for department in self:
            fit = by_company.get((department.company_id or self.env.company).id)
            mine = drivers.filtered(
                lambda d, fit=fit, department=department: (
                    d.fit_id == fit and d.crm_function == department.crm_function
                )
            )
            department.crm_churn_driver_ids = mine
            # each sentence opens the drivers report on its line; the web client
            # reads the /web# form of a URL whatever its own path prefix
            department.crm_churn_driver_html = (
                Markup("").join(
                    Markup(
                        '<a class="d-block" href="/web#action=%s&amp;model=%s'
                        '&amp;view_type=form&amp;id=%s">%s</a>'
                    )
                    % (
                        "crm_analytics.crm_churn_driver_action",
                        "crm.churn.driver",
                        driver.id,
                        escape(driver._sentence(with_department=False)),
                    )
                    for driver in mine
                )
                or False
            )
