from markupsafe import Markup, escape

from odoo import _, api, fields, models

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

    # ------------------------------------------------------------
    # DEPARTMENT DASHBOARD: the scorecard and churn drivers blocks
    # ------------------------------------------------------------
    def _crm_dashboard_blocks(self):
        return [
            *super()._crm_dashboard_blocks(),
            self._crm_dashboard_block_scorecard(),
            self._crm_dashboard_block_churn_drivers(),
        ]

    def _crm_dashboard_block_scorecard(self):
        """The lines of the department's scorecards: this period's target against
        its actual, and whether it is on target, behind or alerted. The live
        values are computed for all lines at once (``_compute_live``)."""
        # the path to the scorecard matches archived ones too: left out, as the
        # scorecards list the figures open leaves them out
        lines = self.env["crm.scorecard.line"].search(
            [
                ("scorecard_id.department_id", "=", self.id),
                ("scorecard_id.active", "=", True),
            ]
        )
        if not lines:
            return False
        alerts = self.env["crm.scorecard.alert"]._read_group(
            [
                ("line_id", "in", lines.ids),
                ("date_to", ">=", fields.Date.context_today(self)),
            ],
            [],
            ["__count"],
        )[0][0]
        lights = dict(lines._fields["light"]._description_selection(self.env))
        tones = {"green": "success", "amber": "warning", "red": "danger"}
        rows = [
            {
                "cells": [
                    line.kpi_id.name,
                    line._format(line.period_target) or "",
                    line.value_display or "–",
                    f"{round(line.achievement)} %" if line.value_known else "–",
                    lights.get(line.light, ""),
                ],
                "tone": tones.get(line.light, ""),
                "open": {"res_model": "crm.scorecard", "res_id": line.scorecard_id.id},
            }
            for line in lines
        ]
        return {
            "key": "scorecard",
            "sequence": 40,
            "title": _("Scorecard"),
            "icon": "fa-bullseye",
            "kpis": [
                self._crm_kpi(
                    _("On target"),
                    sum(line.light == "green" for line in lines),
                    "scorecard",
                    main=True,
                    tone="success",
                ),
                self._crm_kpi(
                    _("Behind"),
                    sum(line.light == "amber" for line in lines),
                    "scorecard",
                    tone="warning",
                ),
                self._crm_kpi(
                    _("In alert"),
                    sum(line.light == "red" for line in lines),
                    "scorecard",
                    tone="danger",
                ),
                self._crm_kpi(
                    _("Alerts sent this period"),
                    alerts,
                    "scorecard_alerts",
                    tone="muted",
                ),
            ],
            "table": {
                "columns": [
                    _("KPI"),
                    _("Target"),
                    _("Actual"),
                    _("Achievement"),
                    _("State"),
                ],
                "rows": rows,
            },
        }

    def _crm_dashboard_block_churn_drivers(self):
        """Why the department's customers leave, from the churn drivers model."""
        drivers = self.crm_churn_driver_ids
        if not drivers:
            return False
        return {
            "key": "churn_drivers",
            "sequence": 60,
            "title": _("Why customers leave"),
            "icon": "fa-sign-out",
            "kpis": [],
            "table": {
                "columns": [_("Driver")],
                "rows": [
                    {
                        "cells": [driver._sentence(with_department=False)],
                        "open": {"res_model": "crm.churn.driver", "res_id": driver.id},
                    }
                    for driver in drivers
                ],
            },
        }

    def action_crm_dashboard_open(self, figure, params=None):
        if figure not in ("scorecard", "scorecard_alerts"):
            return super().action_crm_dashboard_open(figure, params=params)
        self._crm_check_dashboard_access()
        window = self.env["ir.actions.act_window"]
        if figure == "scorecard":
            action = window._for_xml_id("crm_analytics.crm_scorecard_action")
            action["domain"] = [("department_id", "=", self.id)]
        else:
            action = {
                "type": "ir.actions.act_window",
                "name": _("Scorecard alerts"),
                "res_model": "crm.scorecard.alert",
                "views": [(False, "list"), (False, "form")],
            }
            action["domain"] = [
                ("scorecard_id.department_id", "=", self.id),
                ("scorecard_id.active", "=", True),
                ("date_to", ">=", fields.Date.context_today(self)),
            ]
        action["context"] = {}
        action["display_name"] = f"{self.name}: {action['name']}"
        return action
