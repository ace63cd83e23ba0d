from odoo import fields, models


class CrmRelationshipScoreHistory(models.Model):
    _inherit = "crm.relationship.score.history"

    # the predictions as they stood at the snapshot: "what changed" compares them
    p_alive = fields.Float("P(alive)", readonly=True, digits=(16, 3), aggregator="avg")
    alive_contribution = fields.Float(
        "Still buying contribution", readonly=True, digits=(16, 1), aggregator="avg"
    )
