from odoo import fields, models
from odoo.tools import SQL

from ..models.crm_complaint_sla_policy import SEVERITIES
from ..tools import scoring


class CrmComplaintSlaReport(models.Model):
    """Service levels: one row per complaint and deadline (first response, resolution).

    ``met_percent`` is 100 for a deadline met, 0 for one missed and empty while it
    runs, so that its average is the share met among the decided deadlines;
    ``working_hours`` is the time taken in the SLA's working hours, paused time
    excluded (empty while it runs).
    """

    _name = "crm.complaint.sla.report"
    _description = "Service level analysis"
    _auto = False
    _rec_name = "complaint_id"
    _order = "date_received desc, id desc"
    # flushed before the view is read
    _depends = {
        "crm.complaint": [
            "company_id", "partner_id", "user_id", "department_id", "category_id",
            "severity", "customer_tier", "sla_policy_id", "date_received",
            "date_first_response", "date_closed", "response_deadline",
            "resolution_deadline", "response_breached", "resolution_breached",
            "response_working_hours", "resolution_working_hours",
        ],
    }  # fmt: skip

    complaint_id = fields.Many2one("crm.complaint", readonly=True)
    kind = fields.Selection(
        [("response", "First response"), ("resolution", "Resolution")],
        "Deadline",
        readonly=True,
    )
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    user_id = fields.Many2one("res.users", "Responsible", readonly=True)
    department_id = fields.Many2one("hr.department", readonly=True)
    category_id = fields.Many2one("crm.complaint.category", readonly=True)
    severity = fields.Selection(SEVERITIES, readonly=True)
    customer_tier = fields.Selection(scoring.TIER_SELECTION, readonly=True)
    sla_policy_id = fields.Many2one(
        "crm.complaint.sla.policy", "SLA policy", readonly=True
    )
    date_received = fields.Datetime("Received", readonly=True)
    deadline = fields.Datetime("Due", readonly=True)
    decided = fields.Boolean(readonly=True, help="The deadline was met or missed.")
    met_percent = fields.Float("SLA met (%)", readonly=True, aggregator="avg")
    working_hours = fields.Float(
        "Working hours taken", readonly=True, aggregator="avg", digits=(16, 1)
    )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT c.id * 2 - 1 AS id, 'response' AS kind,
                   c.response_deadline AS deadline,
                   c.response_breached OR c.date_first_response IS NOT NULL
                       OR c.date_closed IS NOT NULL AS decided,
                   CASE WHEN c.response_breached THEN 0.0
                        WHEN c.date_first_response IS NOT NULL
                          OR c.date_closed IS NOT NULL THEN 100.0 END AS met_percent,
                   CASE WHEN c.date_first_response IS NOT NULL
                          OR c.date_closed IS NOT NULL
                        THEN c.response_working_hours END AS working_hours,
                   %(common)s
              FROM crm_complaint c
             WHERE c.response_deadline IS NOT NULL
            UNION ALL
            SELECT c.id * 2 AS id, 'resolution' AS kind,
                   c.resolution_deadline AS deadline,
                   c.resolution_breached OR c.date_closed IS NOT NULL AS decided,
                   CASE WHEN c.resolution_breached THEN 0.0
                        WHEN c.date_closed IS NOT NULL THEN 100.0 END AS met_percent,
                   CASE WHEN c.date_closed IS NOT NULL
                        THEN c.resolution_working_hours END AS working_hours,
                   %(common)s
              FROM crm_complaint c
             WHERE c.resolution_deadline IS NOT NULL
            """,
            common=SQL(
                """c.id AS complaint_id, c.company_id, c.partner_id, c.user_id,
                   c.department_id, c.category_id, c.severity, c.customer_tier,
                   c.sla_policy_id, c.date_received"""
            ),
        )
