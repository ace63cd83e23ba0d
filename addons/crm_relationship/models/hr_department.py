from collections import defaultdict
from datetime import date

import pytz
from babel import dates as babel_dates
from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, format_date
from odoo.tools.sql import column_exists

from ..tools import scoring

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

#: the tiers' colours on the dashboard's charts, best green to worst red
TIER_COLORS = {
    "A": "#2e7d32",
    "B": "#7cb342",
    "C": "#c0ca33",
    "D": "#fbc02d",
    "E": "#fb8c00",
    "F": "#e53935",
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
            ["partner_id", "company_id", "direction"],
            ["__count"],
        )
        for department in self:
            partners = served.get(department.id, set())
            company = department._crm_company()
            department.crm_customer_count = len(partners)
            department.crm_handoff_in_count = incoming.get(department.id, 0)
            department.crm_handoff_unassigned_count = unassigned.get(department.id, 0)
            department.crm_handoff_overdue_count = overdue.get(department.id, 0)
            department.crm_handoff_out_count = outgoing.get(department.id, 0)
            department.crm_next_action_count = actions.get(department.id, 0)
            department.crm_tier_up_count = sum(
                total
                for partner, change_company, direction, total in changes
                if direction == "up"
                and partner.id in partners
                and change_company == company
            )
            department.crm_tier_down_count = sum(
                total
                for partner, change_company, direction, total in changes
                if direction == "down"
                and partner.id in partners
                and change_company == company
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
        served = self._crm_served_domain()
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

    # ------------------------------------------------------------
    # DEPARTMENT DASHBOARD (client action crm_relationship.department_dashboard)
    # ------------------------------------------------------------
    @api.model
    def get_crm_dashboard(self, department_id=None):
        """The blocks of a department's dashboard, for the web client.

        Each block is a plain dict the page renders without knowing its meaning:
        ``kpis`` (figures), an optional ``chart`` (Chart.js data) and ``table`` (rows);
        anything a person can click carries an ``open`` that
        :meth:`action_crm_dashboard_open` turns into an action, so that every
        figure opens its records. Modules add blocks by overriding
        :meth:`_crm_dashboard_blocks`. Each block reads its figures with one
        grouped query; record rules apply (no sudo), so a figure never counts a
        record its reader could not open.
        """
        departments = self._crm_dashboard_departments()
        department = self.browse(department_id) if department_id else False
        if department and department not in departments:
            raise AccessError(_("You can only open the dashboard of your department."))
        department = department or departments[:1]
        result = {
            "departments": [{"id": d.id, "name": d._crm_name()} for d in departments],
            "department": False,
            "blocks": [],
        }
        if not department:
            return result
        result["department"] = {
            "id": department.id,
            "name": department._crm_name(),
            "company": department.company_id.name or "",
            "function": dict(
                self._fields["crm_function"]._description_selection(self.env)
            ).get(department.crm_function, ""),
        }
        blocks = [block for block in department._crm_dashboard_blocks() if block]
        result["blocks"] = sorted(blocks, key=lambda block: block["sequence"])
        return result

    def _crm_name(self):
        """The department's full name in the reader's language. Odoo's display
        name is the stored complete name, written once in the language of whoever
        computed it: a Chinese reader would read "Logistics", not 物流部."""
        self.ensure_one()
        names = []
        # sudo: the parents' names, which the complete name shows anyway
        department = self.sudo()
        while department:
            names.append(department.name)
            department = department.parent_id
        return " / ".join(reversed(names))

    @api.model
    def _crm_dashboard_departments(self):
        """The departments whose dashboard the user may open: all of the current
        companies' for relationship managers, else the department of their
        employee record and those they manage. Plain users have none."""
        user = self.env.user
        if not user.has_group("crm_relationship.group_department_head"):
            raise AccessError(_("The department dashboard is for department heads."))
        company_domain = [("company_id", "in", [False, *self.env.companies.ids])]
        if user.has_group("crm_relationship.group_relationship_manager"):
            own = user.employee_ids.department_id.filtered_domain(company_domain)
            others = self.search(company_domain)
            return own + (others - own)
        return self.search(
            [
                *company_domain,
                "|",
                ("id", "in", user.employee_ids.department_id.ids),
                ("manager_id.user_id", "=", user.id),
            ]
        )

    def _crm_dashboard_blocks(self):
        """The blocks of this department's dashboard; override to add some."""
        self.ensure_one()
        return [
            self._crm_dashboard_block_customers(),
            self._crm_dashboard_block_handoffs(),
            self._crm_dashboard_block_at_risk(),
            self._crm_dashboard_block_notes(),
            self._crm_dashboard_block_service(),
        ]

    def _crm_company(self):
        """The company of the department's figures: its own (or the current one
        for a department shared by all), whatever other companies are active."""
        return self.company_id or self.env.company

    def _crm_served_domain(self):
        """The department's customers' scores, tier changes and notes (any model
        with ``partner_id`` and ``company_id``) in the department's company."""
        return [
            ("partner_id.account_team_ids.department_id", "=", self.id),
            ("company_id", "=", self._crm_company().id),
        ]

    def _crm_served_partner_ids(self):
        """The customers the department serves: those with one of its people on
        their account team (read under the user's rules and companies)."""
        groups = self.env["crm.account.team.member"]._read_group(
            [("department_id", "=", self.id)], [], ["partner_id:array_agg"]
        )
        return sorted(set(groups[0][0] or [])) if groups else []

    def _crm_dashboard_block_customers(self):
        """Customers served by tier and by tier trend, the tier mix of the last
        months from the score history, and this month's tier changes."""
        partner_ids = self._crm_served_partner_ids()
        Score = self.env["crm.relationship.score"]
        company = [("company_id", "=", self._crm_company().id)]
        by_tier_trend = Score._read_group(
            [("partner_id", "in", partner_ids), *company],
            ["tier", "tier_trend"],
            ["__count"],
        )
        tiers = defaultdict(int)
        trends = defaultdict(int)
        for tier, trend, total in by_tier_trend:
            tiers[tier] += total
            trends[trend] += total
        changes = dict(
            self.env["crm.relationship.tier.change"]._read_group(
                [
                    ("partner_id", "in", partner_ids),
                    *company,
                    ("date", ">=", self._crm_month_start()),
                ],
                ["direction"],
                ["__count"],
            )
        )
        tier_labels = [tier for tier in scoring.TIERS if tiers.get(tier)]
        kpis = [
            # the scored ones, as the list the figure opens
            self._crm_kpi(
                _("Customers served"), sum(tiers.values()), "customers", main=True
            ),
            *(
                self._crm_kpi(
                    self.env._("Tier %(tier)s", tier=tier),
                    tiers[tier],
                    "tier",
                    {"tier": tier},
                )
                for tier in tier_labels
            ),
            self._crm_kpi(
                _("Trending up"), trends["up"], "trend", {"trend": "up"}, tone="success"
            ),
            self._crm_kpi(
                _("Trending down"),
                trends["down"],
                "trend",
                {"trend": "down"},
                tone="danger",
            ),
            self._crm_kpi(
                _("Upgrades this month"),
                changes.get("up", 0),
                "tier_up",
                tone="success",
            ),
            self._crm_kpi(
                _("Downgrades this month"),
                changes.get("down", 0),
                "tier_down",
                tone="danger",
            ),
        ]
        return {
            "key": "customers",
            "sequence": 10,
            "title": _("Customers served"),
            "icon": "fa-users",
            "width": "wide",
            "kpis": kpis,
            "chart": self._crm_tier_mix_chart(partner_ids, tiers),
            "empty": not partner_ids
            and _("No customer has a member of this department on their account team."),
        }

    def _crm_tier_mix_chart(self, partner_ids, current):
        """A stacked bar per month: how many served customers sat in each tier at
        their last snapshot of the month in the score history (the daily cron
        snapshots every day), for the six months before this one, then today."""
        month_start = self._crm_month_start()
        History = self.env["crm.relationship.score.history"]
        query = History._search(
            [
                ("partner_id", "in", partner_ids),
                ("company_id", "=", self._crm_company().id),
                ("snapshot_date", ">=", month_start - relativedelta(months=6)),
                ("snapshot_date", "<", month_start),
            ]
        )
        partner = SQL.identifier(query.table, "partner_id")
        day = SQL.identifier(query.table, "snapshot_date")
        month = SQL("date_trunc('month', %s)::date", day)
        query.order = SQL("%s, %s, %s DESC", partner, month, day)
        last_of_month = query.select(
            SQL(
                "DISTINCT ON (%s, %s) %s AS month, %s AS tier",
                partner,
                month,
                month,
                SQL.identifier(query.table, "tier"),
            )
        )
        self.env.cr.execute(
            SQL(
                "SELECT month, tier, COUNT(*) FROM (%s) AS last GROUP BY month, tier",
                last_of_month,
            )
        )
        history = self.env.cr.fetchall()
        months = sorted({month for month, _tier, _count in history})
        counts = {(month, tier): total for month, tier, total in history}
        labels = [
            babel_dates.format_date(month, "MMM yyyy", locale=self._crm_locale())
            for month in months
        ]
        labels.append(_("Today"))
        datasets = []
        for tier in scoring.TIERS:
            data = [counts.get((month, tier), 0) for month in months]
            data.append(current.get(tier, 0))
            if not any(data):
                continue
            datasets.append(
                {
                    "label": _("Tier %(tier)s", tier=tier),
                    "data": data,
                    "color": TIER_COLORS.get(tier),
                    "opens": [None] * len(months) + [self._crm_open("tier", tier=tier)],
                }
            )
        if not datasets:
            return False
        return {
            "type": "bar",
            "stacked": True,
            "title": _("Tier mix by month"),
            "labels": labels,
            "datasets": datasets,
        }

    def _crm_locale(self):
        return (self.env.lang or "en_US").replace("-", "_")

    def _crm_dashboard_block_handoffs(self):
        """Hand-offs to the department and from it: open, overdue, waiting for
        someone, their average age, and the share done on time in 90 days (the
        SLA is the due date). One query per direction over the readable rows."""
        today = fields.Date.context_today(self)
        tz = self.env.context.get("tz") or self.env.user.tz
        tz = tz if tz in pytz.all_timezones_set else "UTC"
        since = today - relativedelta(days=90)
        Handoff = self.env["crm.handoff"]
        figures = {}
        for direction, field in (
            ("in", "to_department_id"),
            ("out", "from_department_id"),
        ):
            query = Handoff._search(
                [
                    (field, "=", self.id),
                    "|",
                    ("state", "in", ("requested", "accepted")),
                    "&",
                    ("state", "=", "done"),
                    ("date_closed", ">=", since),
                ]
            )

            def col(name, query=query):
                return SQL.identifier(query.table, name)

            is_open = SQL("%s IN ('requested', 'accepted')", col("state"))
            self.env.cr.execute(
                query.select(
                    SQL("COUNT(*) FILTER (WHERE %s)", is_open),
                    SQL(
                        "COUNT(*) FILTER (WHERE %s AND %s < %s)",
                        is_open,
                        col("date_deadline"),
                        today,
                    ),
                    SQL(
                        "COUNT(*) FILTER (WHERE %s = 'requested' AND %s IS NULL)",
                        col("state"),
                        col("user_id"),
                    ),
                    SQL(
                        "AVG(%s - %s::date) FILTER (WHERE %s)",
                        today,
                        col("create_date"),
                        is_open,
                    ),
                    SQL("COUNT(*) FILTER (WHERE %s = 'done')", col("state")),
                    # closed on its due date in the user's time zone, as
                    # "today" and "overdue" are read
                    SQL(
                        "COUNT(*) FILTER (WHERE %s = 'done' AND (%s IS NULL"
                        " OR (%s AT TIME ZONE 'UTC' AT TIME ZONE %s)::date <= %s))",
                        col("state"),
                        col("date_deadline"),
                        col("date_closed"),
                        tz,
                        col("date_deadline"),
                    ),
                )
            )
            figures[direction] = self.env.cr.fetchone()
        actions = self.env["crm.next.action"]._read_group(
            [
                ("department_id", "=", self.id),
                ("state", "in", ("proposed", "accepted")),
                ("is_control", "=", False),
            ],
            [],
            ["__count"],
        )[0][0]

        def age(days):
            if days is None:
                return "–"
            return self.env._("%(days)s days", days=round(float(days), 1))

        def on_time(done, in_time):
            return f"{round(100.0 * in_time / done)} %" if done else "–"

        kpis = []
        for direction, figure, label in (
            ("in", "handoff_in", _("Open to us")),
            ("out", "handoff_out", _("Open from us")),
        ):
            open_, overdue, unassigned, avg_age, done, in_time = figures[direction]
            kpis.append(self._crm_kpi(label, open_, figure, main=True, group=direction))
            kpis.append(
                self._crm_kpi(
                    _("Overdue"),
                    overdue,
                    f"{figure}_overdue" if direction == "out" else "handoff_overdue",
                    tone="danger" if overdue else "muted",
                    group=direction,
                )
            )
            if direction == "in":
                kpis.append(
                    self._crm_kpi(
                        _("To dispatch"),
                        unassigned,
                        "handoff_unassigned",
                        tone="warning" if unassigned else "muted",
                        group=direction,
                    )
                )
            kpis.append(
                self._crm_kpi(_("Average age"), age(avg_age), figure, group=direction)
            )
            kpis.append(
                self._crm_kpi(
                    _("Done on time (90 days)"),
                    on_time(done, in_time),
                    f"{figure}_done",
                    group=direction,
                )
            )
        kpis.append(
            self._crm_kpi(
                _("Next best actions to do"), actions, "next_actions", group="actions"
            )
        )
        return {
            "key": "handoffs",
            "sequence": 20,
            "title": _("Hand-offs"),
            "icon": "fa-exchange",
            "width": "wide",
            "kpis": kpis,
            "groups": [
                {"key": "in", "title": _("To the department")},
                {"key": "out", "title": _("From the department")},
                {"key": "actions", "title": _("Next best actions")},
            ],
        }

    def _crm_dashboard_block_at_risk(self, limit=8):
        """The served customers at risk of leaving, the most valuable first."""
        partner_ids = self._crm_served_partner_ids()
        Score = self.env["crm.relationship.score"]
        domain = [
            ("partner_id", "in", partner_ids),
            ("company_id", "=", self._crm_company().id),
            ("churn_state", "=", "at_risk"),
        ]
        ((count, value),) = Score._read_group(
            domain, [], ["__count", "clv_historical:sum"]
        )
        currency = self._crm_company().currency_id
        rows = [
            {
                "cells": [
                    score.partner_id.display_name,
                    score.tier or "",
                    format_amount(self.env, score.clv_historical, score.currency_id),
                    self.env._("%(days)s days", days=score.recency_days),
                ],
                "open": {"res_model": "res.partner", "res_id": score.partner_id.id},
            }
            for score in Score.search(
                domain, order="clv_historical desc, id", limit=limit
            )
        ]
        return {
            "key": "at_risk",
            "sequence": 30,
            "title": _("Customers at risk"),
            "icon": "fa-exclamation-triangle",
            "kpis": [
                self._crm_kpi(_("At risk"), count, "at_risk", main=True, tone="danger"),
                self._crm_kpi(
                    _("Lifetime value at risk"),
                    format_amount(self.env, value or 0.0, currency),
                    "at_risk",
                ),
            ],
            "table": {
                "columns": [
                    _("Customer"),
                    _("Tier"),
                    _("Lifetime value"),
                    _("Since last purchase"),
                ],
                "rows": rows,
            },
            "empty": not rows and _("No customer of the department is at risk."),
        }

    def _crm_dashboard_block_notes(self, limit=6):
        """The last notes the department wrote or that concern its customers."""
        Note = self.env["crm.customer.note"]
        domain = self._crm_notes_domain()
        recent = Note._read_group(
            [*domain, *self._crm_recent_notes_domain()],
            [],
            ["__count"],
        )[0][0]
        kinds = dict(Note._fields["kind"]._description_selection(self.env))
        rows = [
            {
                "cells": [
                    format_date(self.env, note.create_date),
                    note.partner_id.display_name,
                    kinds.get(note.kind, ""),
                    note.summary or "",
                ],
                "open": {"res_model": "crm.customer.note", "res_id": note.id},
            }
            for note in Note.search(
                domain, order="create_date desc, id desc", limit=limit
            )
        ]
        return {
            "key": "notes",
            "sequence": 50,
            "title": _("Recent notes"),
            "icon": "fa-sticky-note-o",
            "kpis": [
                self._crm_kpi(_("Notes in 30 days"), recent, "notes", main=True),
            ],
            "table": {
                "columns": [_("Date"), _("Customer"), _("Kind"), _("Note")],
                "rows": rows,
            },
            "empty": not rows and _("No note about the department's customers."),
        }

    def _crm_recent_notes_domain(self):
        """The notes the figure "Notes in 30 days" counts, and opens."""
        return [("create_date", ">=", fields.Datetime.now() - relativedelta(days=30))]

    def _crm_notes_domain(self):
        return [
            ("company_id", "=", self._crm_company().id),
            "|",
            ("department_id", "=", self.id),
            ("partner_id", "in", self._crm_served_partner_ids()),
        ]

    def _crm_dashboard_block_service(self):
        """A logistics department's open deliveries of tier A and B customers, a
        finance department's quotations on credit hold."""
        if self.crm_function == "logistics":
            Picking = self.env["stock.picking"]
            return {
                "key": "service",
                "sequence": 25,
                "title": _("Deliveries of A and B customers"),
                "icon": "fa-truck",
                "kpis": [
                    self._crm_kpi(
                        _("Open"),
                        Picking.search_count(
                            self._crm_service_domain("priority_deliveries")
                        ),
                        "priority_deliveries",
                        main=True,
                    ),
                    self._crm_kpi(
                        _("Late"),
                        Picking.search_count(self._crm_service_domain("priority_late")),
                        "priority_late",
                        tone="danger",
                    ),
                ],
            }
        if self.crm_function == "finance":
            return {
                "key": "service",
                "sequence": 25,
                "title": _("Credit holds"),
                "icon": "fa-lock",
                "kpis": [
                    self._crm_kpi(
                        _("Quotations on hold"),
                        self.env["sale.order"].search_count(
                            self._crm_service_domain("credit_holds")
                        ),
                        "credit_holds",
                        main=True,
                    ),
                ],
            }
        return False

    def _crm_open(self, figure, **params):
        return {"figure": figure, "params": params}

    def _crm_kpi(
        self, label, value, figure, params=None, main=False, tone=None, group=None
    ):
        """One figure of a block; ``tone`` is a Bootstrap colour name."""
        return {
            "label": label,
            "value": value,
            "main": main,
            "tone": tone or "",
            "group": group or "",
            "open": figure and self._crm_open(figure, **(params or {})),
        }

    def _crm_check_dashboard_access(self):
        self.ensure_one()
        if self not in self._crm_dashboard_departments():
            raise AccessError(_("You can only open the dashboard of your department."))

    def action_crm_dashboard_open(self, figure, params=None):
        """The action that opens the records behind a figure of the dashboard."""
        self._crm_check_dashboard_access()
        params = params or {}
        # an RPC anyone can forge: only what a figure of the dashboard sends
        allowed = {
            "tier": scoring.TIERS,
            "trend": [value for value, _label in scoring.TIER_TRENDS],
        }
        if (
            not isinstance(figure, str)
            or not isinstance(params, dict)
            or (figure in allowed and params.get(figure) not in allowed[figure])
        ):
            raise UserError(_("This counter has no records to open."))
        served = self._crm_served_domain()
        window = self.env["ir.actions.act_window"]
        if figure in ("tier", "trend", "at_risk"):
            action = window._for_xml_id(
                "crm_relationship.crm_relationship_score_action"
            )
            field, value = {
                "tier": ("tier", params.get("tier")),
                "trend": ("tier_trend", params.get("trend")),
                "at_risk": ("churn_state", "at_risk"),
            }[figure]
            action["domain"] = [*served, (field, "=", value)]
            action["context"] = {}
        elif figure in ("handoff_out_overdue", "handoff_in_done", "handoff_out_done"):
            field = "to_department_id" if "_in_" in figure else "from_department_id"
            domain = [(field, "=", self.id)]
            if figure.endswith("_overdue"):
                domain += [("is_overdue", "=", True)]
            else:
                since = fields.Date.context_today(self) - relativedelta(days=90)
                domain += [("state", "=", "done"), ("date_closed", ">=", since)]
            action = window._for_xml_id("crm_relationship.crm_handoff_action")
            action["domain"] = domain
            action["context"] = {"default_from_department_id": self.id}
        elif figure == "notes":
            action = window._for_xml_id("crm_relationship.crm_customer_note_action")
            action["domain"] = [
                *self._crm_notes_domain(),
                *self._crm_recent_notes_domain(),
            ]
            action["context"] = {}
        else:
            action = self.with_context(crm_figure=figure).action_crm_open()
        action["display_name"] = f"{self.name}: {action['name']}"
        return action

    def action_crm_dashboard(self):
        """Open this department's dashboard page."""
        self.ensure_one()
        return {
            "type": "ir.actions.client",
            "tag": "crm_relationship.department_dashboard",
            "name": _("Department Dashboard"),
            "context": {"active_id": self.id},
        }
