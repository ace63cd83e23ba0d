from odoo import fields, models


class CrmComplaintStage(models.Model):
    _name = "crm.complaint.stage"
    _description = "Complaint stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    fold = fields.Boolean("Folded in kanban")
    is_closed = fields.Boolean(
        "Closing stage",
        help="Complaints in this stage are resolved: the resolution time stops and "
        "the customer is asked to rate how it was handled.",
    )
    sla_paused = fields.Boolean(
        "Pauses the SLA",
        help="While a complaint is in this stage (waiting for the customer, say), "
        "its SLA clock stops; the deadlines still running move by the working hours "
        "spent here.",
    )
    rating_template_id = fields.Many2one(
        "mail.template",
        string="Rating request",
        domain="[('model', '=', 'crm.complaint')]",
        help="Sent to the customer when a complaint reaches this stage.",
    )
    description = fields.Text(translate=True)
