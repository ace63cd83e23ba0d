from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

SEVERITIES = [
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
    ("critical", "Critical"),
]


class CrmComplaintSlaPolicy(models.Model):
    """How fast a complaint of a category and severity must be answered and solved.

    A policy without category applies to the categories that have none of their own.
    Hours are calendar hours from the complaint's creation.
    """

    _name = "crm.complaint.sla.policy"
    _description = "Complaint SLA policy"
    _order = "category_id, severity, id"
    _rec_name = "severity"

    category_id = fields.Many2one(
        "crm.complaint.category", help="Empty: every category without its own policy."
    )
    severity = fields.Selection(SEVERITIES, required=True)
    response_hours = fields.Float("First response within (hours)", required=True)
    resolution_hours = fields.Float("Resolution within (hours)", required=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )

    _sql_constraints = [
        (
            "policy_uniq",
            "UNIQUE NULLS NOT DISTINCT (category_id, severity, company_id)",
            "There is already a policy for this category and severity.",
        ),
    ]

    @api.constrains("response_hours", "resolution_hours")
    def _check_hours(self):
        for policy in self:
            if policy.response_hours <= 0 or policy.resolution_hours <= 0:
                raise ValidationError(
                    _("SLA hours must be positive: a deadline cannot be in the past.")
                )
            if policy.resolution_hours < policy.response_hours:
                raise ValidationError(
                    _(
                        "A complaint cannot be resolved before it is answered: the "
                        "resolution time must be at least the first response time."
                    )
                )

    @api.model
    def _policies_for(self, complaints):
        """{(category id or False, severity, company id): policy} for these."""
        policies = self.search(
            [
                ("company_id", "in", complaints.company_id.ids),
                ("severity", "in", complaints.mapped("severity")),
                "|",
                ("category_id", "=", False),
                ("category_id", "in", complaints.category_id.ids),
            ]
        )
        return {
            (policy.category_id.id, policy.severity, policy.company_id.id): policy
            for policy in policies
        }
