from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

SEVERITIES = [
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
    ("critical", "Critical"),
]

# shipped policies for complaints of any category, in calendar hours:
# (severity, first response, resolution)
DEFAULT_POLICIES = [
    ("low", 48, 240),
    ("medium", 24, 120),
    ("high", 8, 48),
    ("critical", 2, 24),
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

    # categories are shared by all companies: no company to check
    category_id = fields.Many2one(
        "crm.complaint.category", help="Empty: every category without its own policy."
    )
    severity = fields.Selection(SEVERITIES, required=True)
    response_hours = fields.Float("First response within (hours)", required=True)
    resolution_hours = fields.Float("Resolution within (hours)", required=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )

    @api.depends("category_id", "severity")
    def _compute_display_name(self):
        severities = dict(SEVERITIES)
        for policy in self:
            policy.display_name = "{} / {}".format(
                policy.category_id.name or _("Any category"),
                severities.get(policy.severity, ""),
            )

    @api.constrains("response_hours", "resolution_hours")
    def _check_hours(self):
        for policy in self:
            if policy.response_hours <= 0 or policy.resolution_hours <= 0:
                raise ValidationError(
                    _(
                        "The SLA policy %(policy)s needs a positive number of hours "
                        "for the first response and for the resolution.",
                        policy=policy.display_name,
                    )
                )
            if policy.resolution_hours < policy.response_hours:
                raise ValidationError(
                    _(
                        "A complaint cannot be resolved before it is answered: the "
                        "resolution time of %(policy)s must be at least its first "
                        "response time.",
                        policy=policy.display_name,
                    )
                )

    @api.constrains("category_id", "severity", "company_id")
    def _check_unique(self):
        """One policy per category and severity, else the deadline would be a lottery.

        A Python check rather than a SQL constraint so that the user reads which
        policy is doubled instead of a database error.
        """
        keys = {(p.category_id, p.severity, p.company_id) for p in self}
        groups = self._read_group(
            [
                ("company_id", "in", self.company_id.ids),
                ("severity", "in", self.mapped("severity")),
            ],
            ["category_id", "severity", "company_id"],
            ["__count"],
        )
        for category, severity, company, count in groups:
            if count > 1 and (category, severity, company) in keys:
                raise ValidationError(
                    _(
                        "There is already an SLA policy for %(category)s complaints "
                        "of %(severity)s severity in %(company)s.",
                        category=category.name or _("any category"),
                        severity=dict(SEVERITIES)[severity],
                        company=company.name,
                    )
                )

    @api.model
    def _create_per_company_policies(self, companies):
        """The shipped policies, in each company that has no policy yet.

        A company that has policies keeps them as they are, even when some
        severities are missing: its managers chose so.
        """
        have = {
            company.id
            for [company] in self._read_group(
                [("company_id", "in", companies.ids)], ["company_id"]
            )
        }
        return self.create(
            [
                {
                    "company_id": company.id,
                    "severity": severity,
                    "response_hours": response_hours,
                    "resolution_hours": resolution_hours,
                }
                for company in companies
                if company.id not in have
                for severity, response_hours, resolution_hours in DEFAULT_POLICIES
            ]
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
