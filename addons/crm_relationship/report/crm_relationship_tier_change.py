from odoo import fields, models
from odoo.tools import SQL

from ..tools import scoring


class CrmRelationshipTierChange(models.Model):
    """Each time a customer moved to another tier, read from the score history.

    A snapshot whose tier differs from the customer's previous snapshot is a change;
    tiers run from A (best) to F, so a change towards A is an upgrade.
    """

    _name = "crm.relationship.tier.change"
    _inherit = ["crm.served.department.mixin"]
    _description = "Customer tier change"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "partner_id"
    _depends = {
        "crm.relationship.score.history": [
            "partner_id", "company_id", "user_id", "snapshot_date", "tier",
            "health_score",
        ],
    }  # fmt: skip

    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    date = fields.Date(readonly=True)
    previous_tier = fields.Selection(scoring.TIER_SELECTION, "From tier", readonly=True)
    tier = fields.Selection(scoring.TIER_SELECTION, "To tier", readonly=True)
    direction = fields.Selection(
        [("up", "Upgrade"), ("down", "Downgrade")], readonly=True
    )
    health_score = fields.Float(readonly=True, digits=(16, 1), aggregator="avg")
    previous_health_score = fields.Float(
        "Previous health score", readonly=True, digits=(16, 1), aggregator="avg"
    )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT h.id, h.partner_id, h.company_id, h.user_id,
                   h.snapshot_date AS date, h.previous_tier, h.tier,
                   CASE WHEN h.tier < h.previous_tier THEN 'up' ELSE 'down' END
                       AS direction,
                   h.health_score, h.previous_health_score
              FROM (
                SELECT id, partner_id, company_id, user_id, snapshot_date, tier,
                       health_score,
                       LAG(tier) OVER customer AS previous_tier,
                       LAG(health_score) OVER customer AS previous_health_score
                  FROM crm_relationship_score_history
                WINDOW customer AS (
                    PARTITION BY partner_id, company_id ORDER BY snapshot_date
                )
              ) h
             WHERE h.previous_tier IS NOT NULL AND h.tier <> h.previous_tier
            """
        )
