from odoo import fields, models
from odoo.tools import SQL

from ..tools import scoring


class CrmSurveyReport(models.Model):
    """Voice of the customer: one row per relationship survey sent to a customer
    (the NPS, and the survey sent when a complaint closes); test entries left out.

    The measures average to the figures of the field: ``response_percent`` (100
    answered, 0 not) to the response rate, ``nps_points`` (100 promoter, 0 passive,
    -100 detractor, empty without an NPS answer) to the Net Promoter Score, ``csat``
    (1-5) and ``ces`` (1-7) to their means; ``promoters``, ``passives`` and
    ``detractors`` (0 or 1) sum to counts. Every answer counts here; the catalogue
    KPI of NPS keeps each customer's latest answer of the period.
    """

    _name = "crm.survey.report"
    _description = "Voice of the customer analysis"
    _auto = False
    _rec_name = "partner_id"
    _order = "date_sent desc, id desc"
    # flushed before the view is read
    _depends = {
        "survey.user_input": [
            "crm_company_id", "crm_partner_id", "crm_user_id", "crm_tier",
            "crm_complaint_id", "crm_asks_nps", "crm_sent_date", "end_datetime",
            "state", "test_entry", "crm_nps", "crm_nps_category", "crm_csat",
            "crm_ces", "survey_id",
        ],
        "crm.complaint": ["department_id"],
        "hr.employee": ["user_id", "company_id", "department_id", "active"],
    }  # fmt: skip

    answer_id = fields.Many2one("survey.user_input", "Survey answer", readonly=True)
    survey_id = fields.Many2one("survey.survey", readonly=True)
    kind = fields.Selection(
        [("nps", "Relationship NPS"), ("complaint", "After a complaint")],
        "Survey kind",
        readonly=True,
    )
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    department_id = fields.Many2one(
        "hr.department",
        readonly=True,
        help="The complaint's department for a survey after a complaint, else the "
        "department of the customer's salesperson.",
    )
    customer_tier = fields.Selection(scoring.TIER_SELECTION, readonly=True)
    complaint_id = fields.Many2one("crm.complaint", readonly=True)
    date_sent = fields.Datetime("Sent on", readonly=True)
    date_answered = fields.Datetime("Answered on", readonly=True)
    answered = fields.Integer("Answers", readonly=True)
    response_percent = fields.Float(
        "Response rate (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    nps_answer = fields.Float(
        "NPS answer (0-10)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    nps_points = fields.Float("NPS", readonly=True, aggregator="avg", digits=(16, 1))
    promoters = fields.Integer(readonly=True)
    passives = fields.Integer(readonly=True)
    detractors = fields.Integer(readonly=True)
    csat = fields.Float("CSAT (1-5)", readonly=True, aggregator="avg", digits=(16, 2))
    ces = fields.Float("CES (1-7)", readonly=True, aggregator="avg", digits=(16, 2))

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT ui.id, ui.id AS answer_id, ui.survey_id,
                   CASE WHEN ui.crm_complaint_id IS NOT NULL THEN 'complaint'
                        ELSE 'nps' END AS kind,
                   ui.crm_company_id AS company_id, ui.crm_partner_id AS partner_id,
                   ui.crm_user_id AS user_id,
                   COALESCE(c.department_id, e.department_id) AS department_id,
                   ui.crm_tier AS customer_tier, ui.crm_complaint_id AS complaint_id,
                   ui.crm_sent_date AS date_sent,
                   CASE WHEN ui.state = 'done' THEN ui.end_datetime END
                       AS date_answered,
                   (ui.state = 'done')::int AS answered,
                   CASE WHEN ui.state = 'done' THEN 100.0 ELSE 0.0 END
                       AS response_percent,
                   CASE WHEN ui.crm_nps_category IS NOT NULL THEN ui.crm_nps END
                       AS nps_answer,
                   CASE ui.crm_nps_category WHEN 'promoter' THEN 100.0
                        WHEN 'passive' THEN 0.0 WHEN 'detractor' THEN -100.0 END
                       AS nps_points,
                   (ui.crm_nps_category = 'promoter')::int AS promoters,
                   (ui.crm_nps_category = 'passive')::int AS passives,
                   (ui.crm_nps_category = 'detractor')::int AS detractors,
                   NULLIF(ui.crm_csat, 0) AS csat, NULLIF(ui.crm_ces, 0) AS ces
              FROM survey_user_input ui
              LEFT JOIN crm_complaint c ON c.id = ui.crm_complaint_id
              LEFT JOIN LATERAL (
                    SELECT emp.department_id
                      FROM hr_employee emp
                     WHERE emp.user_id = ui.crm_user_id
                       AND emp.company_id = ui.crm_company_id
                       AND emp.active
                     ORDER BY emp.id
                     LIMIT 1
                   ) e ON TRUE
             WHERE ui.crm_partner_id IS NOT NULL
               AND ui.crm_company_id IS NOT NULL
               AND NOT COALESCE(ui.test_entry, FALSE)
               AND (ui.crm_asks_nps OR ui.crm_complaint_id IS NOT NULL)
            """
        )
