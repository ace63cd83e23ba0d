from odoo import fields, models
from odoo.tools import SQL

from ..tools import scoring


class CrmWinbackReport(models.Model):
    """Win-back campaigns and lost customers: outcome, rate and reasons.

    ``won`` is 1 for a customer won back, 0 for a failure and empty while the
    campaign runs, so that its average is the win-back rate of closed campaigns.
    """

    _name = "crm.winback.report"
    _inherit = ["crm.served.department.mixin"]
    _description = "Win-back analysis"
    _auto = False
    _rec_name = "partner_id"
    _order = "date_start desc, id desc"
    # flushed before the view is read
    _depends = {
        "crm.lead": [
            "partner_id", "user_id", "team_id", "company_id", "winback_strategy_id",
            "winback_tier", "winback_churn_state", "winback_date_start",
            "winback_state", "lost_reason_id", "expected_revenue", "is_winback",
        ],
    }  # fmt: skip

    lead_id = fields.Many2one("crm.lead", "Opportunity", readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    strategy_id = fields.Many2one("crm.winback.strategy", readonly=True)
    tier = fields.Selection(scoring.TIER_SELECTION, readonly=True)
    churn_state = fields.Selection(scoring.CHURN_STATES, readonly=True)
    date_start = fields.Date("Started", readonly=True)
    state = fields.Selection(
        [("running", "Running"), ("won", "Won back"), ("failed", "Failed")],
        "Outcome",
        readonly=True,
    )
    lost_reason_id = fields.Many2one("crm.lost.reason", "Reason", readonly=True)
    won = fields.Float("Win-back rate", readonly=True, aggregator="avg")
    value = fields.Monetary("Value at stake", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT lead.id, lead.id AS lead_id, lead.partner_id, lead.user_id,
                   lead.team_id, lead.company_id,
                   lead.winback_strategy_id AS strategy_id,
                   lead.winback_tier AS tier,
                   lead.winback_churn_state AS churn_state,
                   lead.winback_date_start AS date_start,
                   lead.winback_state AS state, lead.lost_reason_id,
                   CASE lead.winback_state WHEN 'won' THEN 1.0
                                           WHEN 'failed' THEN 0.0 END AS won,
                   lead.expected_revenue AS value, company.currency_id
              FROM crm_lead lead
              JOIN res_company company ON company.id = lead.company_id
             WHERE lead.is_winback
            """
        )
