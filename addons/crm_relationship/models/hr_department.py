from collections import defaultdict
from datetime import date

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.sql import column_exists

SCORE_GROUP = "crm_relationship.group_relationship_user"
#: what a department does for customers: the tier policies route credit holds to
#: finance and priority deliveries to logistics
CRM_FUNCTIONS = [
    ("sales", "Sales"),
    ("finance", "Finance"),
    ("logistics", "Logistics"),
    ("service", "Customer service"),
]
#: words of a department's name that tell its function, when none is given
#: (English and Chinese, as the first users write)
FUNCTION_WORDS = {
    "finance": ("financ", "accounting", "treasury", "credit control", "财务", "会计"),
    "logistics": ("logistic", "warehouse", "shipping", "supply", "物流", "仓"),
    "service": ("service", "support", "服务", "客服"),
    "sales": ("sale", "销售"),
}


def guess_function(name):
    """The function a department's name tells (``None`` when it tells none)."""
    name = (name or "").lower()
    for function, words in FUNCTION_WORDS.items():
        if any(word in name for word in words):
            return function
    return None


class HrDepartment(models.Model):
    """Counters of the department heads' dashboard, one grouped query each."""

    _inherit = "hr.department"

    crm_function = fields.Selection(
        CRM_FUNCTIONS,
        "Function for customers",
        help="What the department does for customers: a finance department's heads "
        "release orders on credit hold; a logistics department's dashboard shows the "
        "deliveries of priority customers. Guessed from the name when left empty.",
    )
    crm_customer_count = fields.Integer(
        "Customers served", compute="_compute_crm_dashboard", groups=SCORE_GROUP
    )
    crm_handoff_in_count = fields.Integer(
        "Hand-offs to do", compute="_compute_crm_dashboard", groups=SCORE_GROUP
    )
    crm_handoff_unassigned_count = fields.Integer(
        "Hand-offs to dispatch", compute="_compute_crm_dashboard", groups=SCORE_GROUP
    )
    crm_next_action_count = fields.Integer(
        "Next best actions to do",
        compute="_compute_crm_dashboard",
        groups=SCORE_GROUP,
    )
    crm_handoff_out_count = fields.Integer(
        "Hand-offs awaited", compute="_compute_crm_dashboard", groups=SCORE_GROUP
    )
    crm_handoff_overdue_count = fields.Integer(
        "Overdue hand-offs", compute="_compute_crm_dashboard", groups=SCORE_GROUP
    )
    crm_tier_up_count = fields.Integer(
        "Upgrades this month", compute="_compute_crm_dashboard", groups=SCORE_GROUP
    )
    crm_tier_down_count = fields.Integer(
        "Downgrades this month", compute="_compute_crm_dashboard", groups=SCORE_GROUP
    )
    crm_priority_delivery_count = fields.Integer(
        "Open deliveries of A and B customers",
        compute="_compute_crm_service_dashboard",
        groups=SCORE_GROUP,
    )
    crm_priority_delivery_late_count = fields.Integer(
        "Late deliveries of A and B customers",
        compute="_compute_crm_service_dashboard",
        groups=SCORE_GROUP,
    )
    crm_credit_hold_count = fields.Integer(
        "Quotations on credit hold",
        compute="_compute_crm_service_dashboard",
        groups=SCORE_GROUP,
    )
    is_my_department = fields.Boolean(
        compute="_compute_is_my_department",
        search="_search_is_my_department",
        groups=SCORE_GROUP,
    )

    def _auto_init(self):
        """Departments made before the module (Odoo's own, or an earlier version
        of ours) get the function their name tells, as new ones do."""
        cr = self.env.cr
        missing = not column_exists(cr, "hr_department", "crm_function")
        res = super()._auto_init()
        if missing:
            cr.execute(SQL("SELECT id, name->>'en_US', name::text FROM hr_department"))
            guessed = defaultdict(list)
            for department_id, english, names in cr.fetchall():
                function = guess_function(english) or guess_function(names)
                if function:
                    guessed[function].append(department_id)
            for function, ids in guessed.items():
                cr.execute(
                    SQL(
                        "UPDATE hr_department SET crm_function = %s WHERE id = ANY(%s)",
                        function,
                        ids,
                    )
                )
        return res

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if "crm_function" not in vals:
                vals["crm_function"] = guess_function(vals.get("name"))
        return super().create(vals_list)

    @api.depends_context("uid", "company")
    def _compute_crm_dashboard(self):
        open_states = [("state", "in", ("requested", "accepted"))]
        ids = [("to_department_id", "in", self.ids)]

        def count(model, domain, groupby):
            return {
                department.id: total
                for department, total in self.env[model]._read_group(
                    domain, [groupby], ["__count"]
                )
            }

        incoming = count("crm.handoff", ids + open_states, "to_department_id")
        unassigned = count(
            "crm.handoff",
            [*ids, ("state", "=", "requested"), ("user_id", "=", False)],
            "to_department_id",
        )
        overdue = count(
            "crm.handoff", [*ids, ("is_overdue", "=", True)], "to_department_id"
        )
        outgoing = count(
            "crm.handoff",
            [("from_department_id", "in", self.ids), *open_states],
            "from_department_id",
        )
        actions = count(
            "crm.next.action",
            [
                ("department_id", "in", self.ids),
                ("state", "in", ("proposed", "accepted")),
                ("is_control", "=", False),
            ],
            "department_id",
        )
        members = self.env["crm.account.team.member"]._read_group(
            [("department_id", "in", self.ids)],
            ["department_id"],
            ["partner_id:array_agg"],
        )
        served = {
            department.id: set(partner_ids) for department, partner_ids in members
        }
        changes = self.env["crm.relationship.tier.change"]._read_group(
            [
                ("partner_id", "in", list(set().union(*served.values()))),
                ("date", ">=", self._crm_month_start()),
            ],
            ["partner_id", "direction"],
            ["__count"],
        )
        for department in self:
            partners = served.get(department.id, set())
            department.crm_customer_count = len(partners)
            department.crm_handoff_in_count = incoming.get(department.id, 0)
            department.crm_handoff_unassigned_count = unassigned.get(department.id, 0)
            department.crm_handoff_overdue_count = overdue.get(department.id, 0)
            department.crm_handoff_out_count = outgoing.get(department.id, 0)
            department.crm_next_action_count = actions.get(department.id, 0)
            department.crm_tier_up_count = sum(
                total
                for partner, direction, total in changes
                if direction == "up" and partner.id in partners
            )
            department.crm_tier_down_count = sum(
                total
                for partner, direction, total in changes
                if direction == "down" and partner.id in partners
            )

    def _crm_service_domain(self, figure):
        """The records behind a logistics or finance counter of the department's
        company: open deliveries of tier A and B customers (late ones: past their
        scheduled date or deadline, as Odoo's "Late" filter), quotations that met a
        credit hold and were not released."""
        company = [("company_id", "=", self.company_id.id or self.env.company.id)]
        now = fields.Datetime.now()
        deliveries = [
            *company,
            ("picking_type_code", "=", "outgoing"),
            ("state", "in", ("confirmed", "waiting", "assigned")),
            ("crm_tier", "in", ("A", "B")),
        ]
        return {
            "priority_deliveries": deliveries,
            "priority_late": [
                *deliveries,
                "|",
                ("scheduled_date", "<", now),
                ("date_deadline", "<", now),
            ],
            "credit_holds": [*company, ("crm_credit_hold", "=", True)],
        }[figure]

    @api.depends_context("uid", "company")
    def _compute_crm_service_dashboard(self):
        self.crm_priority_delivery_count = 0
        self.crm_priority_delivery_late_count = 0
        self.crm_credit_hold_count = 0
        for department in self:
            if department.crm_function == "logistics":
                Picking = self.env["stock.picking"]
                department.crm_priority_delivery_count = Picking.search_count(
                    department._crm_service_domain("priority_deliveries")
                )
                department.crm_priority_delivery_late_count = Picking.search_count(
                    department._crm_service_domain("priority_late")
                )
            elif department.crm_function == "finance":
                department.crm_credit_hold_count = self.env["sale.order"].search_count(
                    department._crm_service_domain("credit_holds")
                )

    @api.depends_context("uid", "company")
    def _compute_is_my_department(self):
        mine = self.env.user.department_id
        for department in self:
            department.is_my_department = department == mine

    def _search_is_my_department(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on 'My department'."))
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", self.env.user.department_id.ids)]

    def _crm_month_start(self):
        today = fields.Date.context_today(self)
        return date(today.year, today.month, 1)

    def action_crm_open(self):
        """Open what a dashboard counter counts, named in the button's context."""
        self.ensure_one()
        figure = self.env.context.get("crm_figure")
        handoff_domains = {
            "handoff_in": [
                ("to_department_id", "=", self.id),
                ("state", "in", ("requested", "accepted")),
            ],
            "handoff_unassigned": [
                ("to_department_id", "=", self.id),
                ("state", "=", "requested"),
                ("user_id", "=", False),
            ],
            "handoff_out": [
                ("from_department_id", "=", self.id),
                ("state", "in", ("requested", "accepted")),
            ],
            "handoff_overdue": [
                ("to_department_id", "=", self.id),
                ("is_overdue", "=", True),
            ],
        }
        served = [("partner_id.account_team_ids.department_id", "=", self.id)]
        if figure in handoff_domains:
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "crm_relationship.crm_handoff_action"
            )
            action["domain"] = handoff_domains[figure]
            action["context"] = {"default_from_department_id": self.id}
        elif figure == "next_actions":
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "crm_relationship.crm_next_action_action"
            )
            action["domain"] = [("department_id", "=", self.id)]
            action["context"] = {"search_default_open": 1}
        elif figure == "customers":
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "crm_relationship.crm_relationship_score_action"
            )
            action["domain"] = served
            action["context"] = {}
        elif figure in ("tier_up", "tier_down"):
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "crm_relationship.crm_relationship_tier_change_action"
            )
            action["domain"] = [
                *served,
                ("date", ">=", self._crm_month_start()),
                ("direction", "=", "up" if figure == "tier_up" else "down"),
            ]
            action["context"] = {}
        elif figure in ("priority_deliveries", "priority_late"):
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "stock.action_picking_tree_all"
            )
            action["domain"] = self._crm_service_domain(figure)
            action["context"] = {"search_default_group_crm_tier": 1}
        elif figure == "credit_holds":
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "sale.action_quotations_with_onboarding"
            )
            action["domain"] = self._crm_service_domain(figure)
            action["context"] = {}
        else:
            raise UserError(_("This counter has no records to open."))
        action["display_name"] = f"{self.name}: {action['name']}"
        return action
