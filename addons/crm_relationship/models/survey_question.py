from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

CRM_MEASURES = [
    ("nps", "NPS (0-10)"),
    ("nps_reason", "Reason for the NPS"),
    ("csat", "CSAT (1-5)"),
    ("ces", "CES (1-7)"),
    ("nps_topic", "Topic of the NPS"),
]


class SurveyQuestion(models.Model):
    _inherit = "survey.question"

    crm_measure = fields.Selection(
        CRM_MEASURES,
        "Relationship measure",
        help="What the answers to this question measure for the customer "
        "relationship: the likelihood to recommend (NPS, a 0-10 scale), its reason "
        "(free text), satisfaction (CSAT, 1-5), effort (CES, 1-7), or what the NPS "
        "answer concerns most (a single choice whose choices name a complaint "
        "category: a detractor's follow-up goes to that category's department).",
    )

    @api.constrains("crm_measure", "survey_id")
    def _check_crm_measure(self):
        """One question per measure and survey, else which answer counts would be a
        matter of line order."""
        for question in self.filtered("crm_measure"):
            twins = question.survey_id.question_and_page_ids.filtered(
                lambda q, m=question.crm_measure: q.crm_measure == m
            )
            if len(twins) > 1:
                raise ValidationError(
                    _(
                        "The survey %(survey)s has more than one question measuring "
                        "%(measure)s: keep one question per measure.",
                        survey=question.survey_id.display_name,
                        measure=dict(CRM_MEASURES)[question.crm_measure],
                    )
                )


class SurveyQuestionAnswer(models.Model):
    _inherit = "survey.question.answer"

    crm_category_id = fields.Many2one(
        "crm.complaint.category",
        "Concerns",
        ondelete="set null",
        help="For the topic of the NPS: the complaint category this choice speaks "
        "of; a detractor who picks it is handed off to the category's department.",
    )
