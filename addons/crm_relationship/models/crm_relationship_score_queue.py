from odoo import fields, models


class CrmRelationshipScoreQueue(models.Model):
    """Customers whose documents changed since their last recompute.

    Written by plain INSERTs from postings, reconciliations and deliveries (a new row
    each time: a customer may be queued more than once), emptied by the recompute of
    the marks it has seen; nobody edits it by hand.
    """

    _name = "crm.relationship.score.queue"
    _description = "Customers Waiting for a Relationship Score Recompute"
    _log_access = False

    partner_id = fields.Many2one(
        "res.partner", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, ondelete="cascade", index=True
    )
