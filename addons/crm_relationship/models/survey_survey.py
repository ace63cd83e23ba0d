from odoo import api, fields, models


class SurveySurvey(models.Model):
    _inherit = "survey.survey"

    crm_asks_nps = fields.Boolean(
        "Asks the NPS",
        compute="_compute_crm_asks_nps",
        store=True,
        help="A question of this survey measures the likelihood to recommend: its "
        "invitations count in the survey response rate.",
    )

    @api.depends("question_and_page_ids.crm_measure")
    def _compute_crm_asks_nps(self):
        for survey in self:
            survey.crm_asks_nps = "nps" in survey.question_and_page_ids.mapped(
                "crm_measure"
            )
