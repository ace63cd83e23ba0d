from odoo import api, fields, models
from odoo.exceptions import ValidationError

#: what each kind of action asks for, and the department function that acts on it
KINDS = [
    ("overdue_payment", "Overdue payment"),
    ("late_delivery", "Late or returned deliveries"),
    ("tier_upgrade", "Close to the next loyalty tier"),
    ("churn_risk", "Churn risk"),
    ("detractor", "Detractor"),
    ("recommended_product", "Recommended product"),
]
KIND_FUNCTION = {
    "overdue_payment": "finance",
    "late_delivery": "logistics",
    "tier_upgrade": "sales",
    "churn_risk": "sales",
    "detractor": "service",
    "recommended_product": "sales",
}
KIND_OUTCOME = {
    "overdue_payment": "activity",
    "late_delivery": "activity",
    "tier_upgrade": "opportunity",
    "churn_risk": "opportunity",
    "detractor": "activity",
    "recommended_product": "opportunity",
}
PRIORITIES = [
    ("0", "Low"),
    ("1", "Normal"),
    ("2", "High"),
    ("3", "Very high"),
]


class CrmNextActionRule(models.Model):
    """When to propose which action to whom. The daily generation reads every active
    rule; admins shape them without code."""

    _name = "crm.next.action.rule"
    _description = "Next best action rule"
    _inherit = ["mail.thread"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        help="Leave empty to apply the rule in every company.",
    )
    kind = fields.Selection(KINDS, required=True, tracking=True)
    threshold = fields.Float(
        tracking=True,
        help="Overdue payment: the overdue amount (company currency) above which "
        "to act; 0 acts on any overdue amount.\n"
        "Late deliveries: the number of late or returned deliveries in the look-back "
        "days from which to act (at least 1).\n"
        "Loyalty tier: the progress towards the next tier, in per cent, from which "
        "to act (80 by default).\n"
        "Churn risk: the health points lost since the previous snapshot from which "
        "to act; customers at risk of churn always qualify.\n"
        "Recommended product: the lowest recommendation score to propose.",
    )
    lookback_days = fields.Integer(
        "Look-back (days)",
        default=30,
        help="Late deliveries and detractors: how recent the deliveries or the "
        "NPS answer must be.",
    )
    department_id = fields.Many2one(
        "hr.department",
        check_company=True,
        tracking=True,
        help="The department that acts. Empty: the company's department whose "
        "function matches the kind (finance for overdue payments, logistics for "
        "deliveries, customer service for detractors, sales otherwise).",
    )
    outcome = fields.Selection(
        [
            ("activity", "An activity for the responsible person"),
            ("handoff", "A hand-off to another department"),
            ("opportunity", "An opportunity"),
        ],
        "Accepting creates",
        compute="_compute_outcome",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        tracking=True,
        help="By default, what the kind calls for: an activity (overdue payment, "
        "late deliveries, detractor), an opportunity (loyalty tier, churn risk, "
        "recommended product).",
    )
    handoff_department_id = fields.Many2one(
        "hr.department",
        "Hand-off to",
        check_company=True,
        help="The department that receives the hand-off when an action is accepted.",
    )
    priority = fields.Selection(
        PRIORITIES,
        "Lowest priority",
        default="0",
        required=True,
        help="Each action's priority comes from the customer's value (ABC class A: "
        "very high, B: high, C: normal); it never falls below this one.",
    )
    expiry_days = fields.Integer(
        "Expires after (days)",
        default=14,
        required=True,
        help="A proposed action nobody accepted expires after these days.",
    )
    cooldown_days = fields.Integer(
        "Pause after closing (days)",
        default=30,
        required=True,
        help="After an action was dismissed or done, no new action of this rule is "
        "proposed to the same customer for these days.",
    )
    control_share = fields.Float(
        "Control share (%)",
        default=10.0,
        required=True,
        tracking=True,
        help="The share of eligible customers held back at random: they get no "
        "action, so that the report can compare what happens with and without it.",
    )
    measure_days = fields.Integer(
        "Measured over (days)",
        default=90,
        required=True,
        help="How long after the proposal the revenue and purchases of acted-on and "
        "held-back customers are compared.",
    )
    action_ids = fields.One2many("crm.next.action", "rule_id")
    action_count = fields.Integer(compute="_compute_action_count")

    @api.depends("action_ids")
    def _compute_action_count(self):
        counts = dict(
            self.env["crm.next.action"]._read_group(
                [("rule_id", "in", self.ids), ("is_control", "=", False)],
                ["rule_id"],
                ["__count"],
            )
        )
        for rule in self:
            rule.action_count = counts.get(rule, 0)

    @api.constrains("control_share", "expiry_days", "cooldown_days", "measure_days")
    def _check_numbers(self):
        for rule in self:
            if not 0 <= rule.control_share < 100:
                raise ValidationError(
                    self.env._(
                        "The control share of rule %(rule)s must be at least 0 %% and "
                        "less than 100 %%.",
                        rule=rule.name,
                    )
                )
            if rule.expiry_days < 1 or rule.measure_days < 1 or rule.cooldown_days < 0:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: the expiry and the measuring window need at "
                        "least one day, and the pause cannot be negative.",
                        rule=rule.name,
                    )
                )

    @api.constrains("outcome", "handoff_department_id")
    def _check_handoff_department(self):
        for rule in self:
            if rule.outcome == "handoff" and not rule.handoff_department_id:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s creates hand-offs: say which department "
                        "receives them.",
                        rule=rule.name,
                    )
                )

    @api.depends("kind")
    def _compute_outcome(self):
        for rule in self:
            rule.outcome = KIND_OUTCOME.get(rule.kind, "activity")

    def action_open_actions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_next_action_action"
        )
        action["domain"] = [("rule_id", "=", self.id)]
        action["context"] = {"search_default_open": 1}
        return action

    def _department_for(self, company):
        """The department acting on this rule's actions in ``company``."""
        self.ensure_one()
        if self.department_id:
            return self.department_id
        # sudo: routing reads the departments of the company, whoever runs the cron
        return (
            self.env["hr.department"]
            .sudo()
            .search(
                [
                    ("company_id", "in", (company.id, False)),
                    ("crm_function", "=", KIND_FUNCTION[self.kind]),
                ],
                order="company_id, id",
                limit=1,
            )
        )
