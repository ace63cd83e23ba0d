from odoo import fields, models

from ..tools import scoring


class CrmRelationshipScoreHistory(models.Model):
    """A customer's scores as they stood at one recompute: the trend's memory.

    Filled by the recompute (one row per customer, company and reference date) and
    pruned after the scoring profile's ``history_days``.
    """

    _name = "crm.relationship.score.history"
    _inherit = ["crm.served.department.mixin"]
    _description = "Customer Relationship Score History"
    _order = "snapshot_date desc, id desc"
    _rec_name = "partner_id"

    # no single-column indexes: the unique (partner, company, date) index serves the
    # trend's "last snapshot before" lookup; a date index would lure the planner into
    # scanning every customer's snapshots of earlier days for each customer
    partner_id = fields.Many2one(
        "res.partner", "Customer", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    snapshot_date = fields.Date(required=True, readonly=True)
    health_score = fields.Float(readonly=True, digits=(16, 1), aggregator="avg")
    tier = fields.Selection(scoring.TIER_SELECTION, readonly=True)
    r_score = fields.Integer("R", readonly=True, aggregator="avg")
    f_score = fields.Integer("F", readonly=True, aggregator="avg")
    m_score = fields.Integer("M", readonly=True, aggregator="avg")
    rfm_segment = fields.Selection(scoring.RFM_SEGMENTS, "RFM segment", readonly=True)
    abc_class = fields.Selection(scoring.ABC_CLASSES, "ABC class", readonly=True)
    recency_days = fields.Integer("Recency (days)", readonly=True, aggregator="avg")
    frequency = fields.Integer(readonly=True, aggregator="avg")
    monetary = fields.Monetary(readonly=True)
    clv_historical = fields.Monetary("Lifetime value", readonly=True)
    overdue_amount = fields.Monetary(readonly=True)
    on_time_delivery_rate = fields.Float(
        "On-time delivery", readonly=True, aggregator="avg"
    )
    churn_state = fields.Selection(scoring.CHURN_STATES, "Churn", readonly=True)
    # each health component's points in the health score (empty: not known then),
    # what "what changed" compares between two snapshots
    recency_contribution = fields.Float(
        "Recency contribution", readonly=True, digits=(16, 1), aggregator="avg"
    )
    frequency_contribution = fields.Float(
        "Frequency contribution", readonly=True, digits=(16, 1), aggregator="avg"
    )
    monetary_contribution = fields.Float(
        "Monetary contribution", readonly=True, digits=(16, 1), aggregator="avg"
    )
    payment_contribution = fields.Float(
        "Payment contribution", readonly=True, digits=(16, 1), aggregator="avg"
    )
    delivery_contribution = fields.Float(
        "Delivery contribution", readonly=True, digits=(16, 1), aggregator="avg"
    )
    complaint_contribution = fields.Float(
        "Complaints contribution", readonly=True, digits=(16, 1), aggregator="avg"
    )
    satisfaction_contribution = fields.Float(
        "Satisfaction contribution", readonly=True, digits=(16, 1), aggregator="avg"
    )

    _sql_constraints = [
        (
            "snapshot_uniq",
            "unique(partner_id, company_id, snapshot_date)",
            "One snapshot per customer, company and date.",
        ),
    ]
