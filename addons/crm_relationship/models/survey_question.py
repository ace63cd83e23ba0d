from odoo import fields, models

CRM_MEASURES = [
    ("nps", "NPS (0-10)"),
    ("nps_reason", "Reason for the NPS"),
    ("csat", "CSAT (1-5)"),
    ("ces", "CES (1-7)"),
]


class SurveyQuestion(models.Model):
    _inherit = "survey.question"

    crm_measure = fields.Selection(
        CRM_MEASURES,
        "Relationship measure",
        help="What the answers to this question measure for the customer "
        "relationship: the likelihood to recommend (NPS, a 0-10 scale), its reason "
        "(free text), satisfaction (CSAT, 1-5) or effort (CES, 1-7).",
    )
