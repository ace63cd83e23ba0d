from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import scoring

SEVERITIES = [
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
    ("critical", "Critical"),
]

# shipped policies for complaints of any category, in working hours:
# (severity, first response, resolution)
DEFAULT_POLICIES = [
    ("low", 48, 240),
    ("medium", 24, 120),
    ("high", 8, 48),
    ("critical", 2, 24),
]


class CrmComplaintSlaPolicy(models.Model):
    """How fast a complaint must be answered and solved, by category, severity and
    the customer's relationship tier (an entitlement, as Salesforce calls it).

    Hours are working hours of the policy's calendar, else the company's, from the
    complaint's reception, skipping the calendar's public holidays (leaves without a
    resource) and the time spent in paused stages; a company without a calendar
    counts clock hours. The most specific policy applies, in this order: category,
    severity and tier; category and severity; severity and tier; severity alone
    (see ``_policy_for``).
    """

    _name = "crm.complaint.sla.policy"
    _description = "Complaint SLA policy"
    _order = "category_id, severity, customer_tier, id"
    _rec_name = "severity"
    _check_company_auto = True

    # categories are shared by all companies: no company to check
    category_id = fields.Many2one(
        "crm.complaint.category", help="Empty: every category without its own policy."
    )
    severity = fields.Selection(SEVERITIES, required=True)
    response_hours = fields.Float("First response within (hours)", required=True)
    resolution_hours = fields.Float("Resolution within (hours)", required=True)
    customer_tier = fields.Selection(
        scoring.TIER_SELECTION,
        help="Empty: customers of any tier. A policy for a tier gives the customers "
        "of that relationship tier their own deadlines (A customers served faster).",
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        "Working hours",
        check_company=True,
        help="Empty: the company's working hours. Deadlines count the hours of this "
        "calendar and skip its public holidays.",
    )
    warning_percent = fields.Float(
        "Warn at (%)",
        default=80.0,
        help="Share of the time after which the responsible and the department head "
        "are warned that a deadline is near.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )

    @api.depends("category_id", "severity", "customer_tier")
    def _compute_display_name(self):
        severities = dict(SEVERITIES)
        for policy in self:
            name = "{} / {}".format(
                policy.category_id.name or _("Any category"),
                severities.get(policy.severity, ""),
            )
            if policy.customer_tier:
                name = _(
                    "%(policy)s / tier %(tier)s", policy=name, tier=policy.customer_tier
                )
            policy.display_name = name

    @api.constrains("warning_percent")
    def _check_warning_percent(self):
        for policy in self:
            if not 0 < policy.warning_percent < 100:
                raise ValidationError(
                    _(
                        "The warning of the SLA policy %(policy)s must come before the "
                        "deadline: a share of the time between 0 and 100 %%.",
                        policy=policy.display_name,
                    )
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

    @api.constrains("category_id", "severity", "customer_tier", "company_id")
    def _check_unique(self):
        """One policy per category, severity and tier, else the deadline would be a
        lottery.

        A Python check rather than a SQL constraint so that the user reads which
        policy is doubled instead of a database error.
        """
        keys = {
            (p.category_id, p.severity, p.customer_tier, p.company_id) for p in self
        }
        groups = self._read_group(
            [
                ("company_id", "in", self.company_id.ids),
                ("severity", "in", self.mapped("severity")),
            ],
            ["category_id", "severity", "customer_tier", "company_id"],
            ["__count"],
        )
        for category, severity, tier, company, count in groups:
            if count > 1 and (category, severity, tier, company) in keys:
                values = {
                    "category": category.name or _("any category"),
                    "severity": dict(SEVERITIES)[severity],
                    "company": company.name,
                    "tier": tier,
                }
                raise ValidationError(
                    _(
                        "There is already an SLA policy for %(category)s complaints "
                        "of %(severity)s severity from customers of tier %(tier)s in "
                        "%(company)s.",
                        **values,
                    )
                    if tier
                    else _(
                        "There is already an SLA policy for %(category)s complaints "
                        "of %(severity)s severity in %(company)s.",
                        **values,
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
    def _policy_for(self, complaints, tiers):
        """{complaint id: the policy that applies, or an empty recordset}.

        ``tiers`` maps each complaint id to its customer's tier (or False). The most
        specific policy wins: category + severity + tier, then category + severity,
        then severity + tier, then severity alone.
        """
        policies = self.search(
            [
                ("company_id", "in", complaints.company_id.ids),
                ("severity", "in", complaints.mapped("severity")),
                "|",
                ("category_id", "=", False),
                ("category_id", "in", complaints.category_id.ids),
            ]
        )
        by_key = {
            (p.category_id.id, p.severity, p.customer_tier, p.company_id.id): p
            for p in policies
        }
        result = {}
        for complaint in complaints:
            tier, category = tiers.get(complaint.id) or False, complaint.category_id.id
            result[complaint.id] = self.browse()
            for key in (
                (category, tier),
                (category, False),
                (False, tier),
                (False, False),
            ):
                policy = by_key.get(
                    (key[0], complaint.severity, key[1], complaint.company_id.id)
                )
                if policy:
                    result[complaint.id] = policy
                    break
        return result

    # ------------------------------------------------------------
    # WORKING-HOUR ARITHMETIC
    # ------------------------------------------------------------
    @api.model
    def _add_hours(self, calendar, start, hours):
        """``start`` (naive UTC) plus ``hours`` working hours of ``calendar``.

        Odoo's ``resource.calendar.plan_hours`` with its global leaves (public
        holidays); clock hours without a calendar, or when the calendar has no
        working time within its planning horizon.
        """
        if calendar and hours > 0:
            planned = calendar.plan_hours(hours, start, compute_leaves=True)
            if planned:
                return planned
        return start + timedelta(hours=hours)

    @api.model
    def _count_hours(self, calendar, start, end):
        """Working hours of ``calendar`` between two naive UTC datetimes (0 when
        ``end`` is not after ``start``); clock hours without a calendar."""
        if not (start and end) or end <= start:
            return 0.0
        if calendar:
            return calendar.get_work_hours_count(start, end, compute_leaves=True)
        return (end - start).total_seconds() / 3600
