from odoo import fields, models


class CrmRelationshipScoreQueue(models.Model):
    """Customers whose documents changed since their last recompute.

    Written by plain INSERTs from postings, reconciliations and deliveries, emptied by
    the recompute; nobody edits it by hand.
    """

    _name = "crm.relationship.score.queue"
    _description = "Customers Waiting for a Relationship Score Recompute"
    _log_access = False

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")

    _sql_constraints = [
        ("partner_company_uniq", "unique(partner_id, company_id)", "Queued once."),
    ]
