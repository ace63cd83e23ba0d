from collections import defaultdict
from datetime import date

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression
from odoo.tools import SQL, float_compare, float_round, formatLang
from odoo.tools.misc import format_date

from ..tools import dates, scoring
from .survey_user_input import NPS_CATEGORIES

SCORE_GROUP = "crm_relationship.group_relationship_user"
# months of the 360's chart, the current one included
C360_CHART_MONTHS = 24
# Who reads receivables, overdue amounts and credit: accounting users, heads, managers.
FINANCE_GROUPS = (
    "account.group_account_invoice,account.group_account_readonly,"
    "crm_relationship.group_department_head"
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    relationship_score_ids = fields.One2many(
        "crm.relationship.score",
        "partner_id",
        string="Relationship scores (all companies)",
        groups=SCORE_GROUP,
    )
    crm_policy_payment_term_id = fields.Many2one(
        "account.payment.term",
        "Payment terms set by the tier policy",
        company_dependent=True,
        readonly=True,
        copy=False,
        help="The terms the tier policy last wrote on the customer: other terms were "
        "set by hand, and the policy keeps them.",
    )
    crm_policy_credit_limit = fields.Float(
        "Credit limit set by the tier policy",
        company_dependent=True,
        readonly=True,
        copy=False,
    )
    relationship_score_id = fields.Many2one(
        "crm.relationship.score",
        compute="_compute_relationship_score_id",
        groups=SCORE_GROUP,
        help="The commercial entity's scores in the current company.",
    )
    relationship_tier = fields.Selection(
        scoring.TIER_SELECTION,
        compute="_compute_relationship_score_id",
        string="Customer tier",
        groups=SCORE_GROUP,
    )
    relationship_health_score = fields.Float(
        compute="_compute_relationship_score_id",
        string="Health score",
        groups=SCORE_GROUP,
    )
    relationship_churn_state = fields.Selection(
        scoring.CHURN_STATES,
        compute="_compute_relationship_score_id",
        string="Churn",
        groups=SCORE_GROUP,
    )
    relationship_tier_trend = fields.Selection(
        scoring.TIER_TRENDS,
        compute="_compute_relationship_score_id",
        string="Tier trend",
        groups=SCORE_GROUP,
    )
    relationship_change_summary = fields.Text(
        compute="_compute_relationship_change_summary",
        string="What changed",
        groups=SCORE_GROUP,
        help="What moved in the current company's score since its previous snapshot.",
    )

    relationship_nps_score = fields.Integer(
        compute="_compute_relationship_score_id", string="NPS", groups=SCORE_GROUP
    )
    relationship_nps_category = fields.Selection(
        NPS_CATEGORIES,
        compute="_compute_relationship_score_id",
        string="NPS category",
        groups=SCORE_GROUP,
    )
    relationship_nps_date = fields.Date(
        compute="_compute_relationship_score_id",
        string="NPS answered on",
        groups=SCORE_GROUP,
    )
    relationship_nps_reason = fields.Text(
        compute="_compute_relationship_score_id",
        string="NPS reason",
        groups=SCORE_GROUP,
    )

    # Shared customer record -------------------------------------------------
    account_team_ids = fields.One2many(
        "crm.account.team.member",
        "partner_id",
        string="Account team",
        groups=SCORE_GROUP,
    )
    customer_note_ids = fields.One2many(
        "crm.customer.note",
        "partner_id",
        string="Department notes",
        groups=SCORE_GROUP,
    )
    handoff_ids = fields.One2many(
        "crm.handoff", "partner_id", string="Hand-offs", groups=SCORE_GROUP
    )
    crm_next_action_ids = fields.One2many(
        "crm.next.action",
        "partner_id",
        string="Next best actions",
        domain=[("state", "in", ("proposed", "accepted")), ("is_control", "=", False)],
        groups=SCORE_GROUP,
    )
    handoff_open_count = fields.Integer(
        compute="_compute_handoff_open_count",
        string="Open hand-offs",
        groups=SCORE_GROUP,
    )
    served_by_my_department = fields.Boolean(
        compute="_compute_served_by_my_department",
        search="_search_served_by_my_department",
        string="Served by my department",
        groups=SCORE_GROUP,
    )

    crm_recommendation_ids = fields.Many2many(
        "crm.product.recommendation",
        compute="_compute_crm_recommendation_ids",
        string="Recommended products",
        groups=SCORE_GROUP,
        help="The products to offer the commercial entity in the current company, "
        "best first, as of the last daily refresh.",
    )

    # Customer 360: figures of the current company, for the commercial entity ----
    c360_opportunity_count = fields.Integer(
        "Open opportunities", compute="_compute_c360_sales", groups=SCORE_GROUP
    )
    c360_pipeline_value = fields.Monetary(
        "Pipeline value",
        compute="_compute_c360_sales",
        currency_field="c360_currency_id",
        groups=SCORE_GROUP,
    )
    c360_quotation_count = fields.Integer(
        "Open quotations", compute="_compute_c360_sales", groups=SCORE_GROUP
    )
    c360_quotation_amount = fields.Monetary(
        "Quoted (untaxed)",
        compute="_compute_c360_sales",
        currency_field="c360_currency_id",
        groups=SCORE_GROUP,
    )
    c360_order_count = fields.Integer(
        "Orders this year", compute="_compute_c360_sales", groups=SCORE_GROUP
    )
    c360_order_amount = fields.Monetary(
        "Ordered this year (untaxed)",
        compute="_compute_c360_sales",
        currency_field="c360_currency_id",
        groups=SCORE_GROUP,
    )
    c360_receivable = fields.Monetary(
        "Receivable balance",
        compute="_compute_c360_finance",
        currency_field="c360_currency_id",
        groups=FINANCE_GROUPS,
    )
    c360_overdue = fields.Monetary(
        "Overdue amount",
        compute="_compute_c360_finance",
        currency_field="c360_currency_id",
        groups=FINANCE_GROUPS,
    )
    c360_credit_limit = fields.Monetary(
        "Credit limit",
        compute="_compute_c360_finance",
        currency_field="c360_currency_id",
        groups=FINANCE_GROUPS,
    )
    c360_credit_use = fields.Float(
        "Credit limit used",
        compute="_compute_c360_finance",
        groups=FINANCE_GROUPS,
        help="Receivable balance as a share of the credit limit; 0 without a limit.",
    )
    c360_days_to_pay = fields.Float(
        "Average days to pay",
        compute="_compute_c360_finance",
        groups=FINANCE_GROUPS,
        help="Over the scoring window, from the relationship score.",
    )
    c360_open_delivery_count = fields.Integer(
        "Open deliveries", compute="_compute_c360_supply", groups=SCORE_GROUP
    )
    c360_late_delivery_count = fields.Integer(
        "Late deliveries",
        compute="_compute_c360_supply",
        groups=SCORE_GROUP,
        help="Open deliveries past their scheduled date or deadline.",
    )
    c360_return_rate = fields.Float(
        "Return rate",
        compute="_compute_c360_supply",
        groups=SCORE_GROUP,
        help="Returns per delivery over the scoring window, from the relationship "
        "score.",
    )
    c360_loyalty_points = fields.Float(
        "Loyalty points", compute="_compute_c360_loyalty", groups=SCORE_GROUP
    )
    c360_loyalty_card_count = fields.Integer(
        "Loyalty cards", compute="_compute_c360_loyalty", groups=SCORE_GROUP
    )
    c360_complaint_count = fields.Integer(
        "Open complaints", compute="_compute_c360_service", groups=SCORE_GROUP
    )
    c360_complaint_late_count = fields.Integer(
        "Open complaints past their SLA",
        compute="_compute_c360_service",
        groups=SCORE_GROUP,
    )
    c360_complaint_next_deadline = fields.Datetime(
        "Next resolution due",
        compute="_compute_c360_service",
        groups=SCORE_GROUP,
        help="The earliest resolution deadline of the open complaints.",
    )
    c360_currency_id = fields.Many2one(
        "res.currency", compute="_compute_c360_currency_id", groups=SCORE_GROUP
    )

    # ------------------------------------------------------------
    # SCORES
    # ------------------------------------------------------------
    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_relationship_score_id(self):
        scores = self.env["crm.relationship.score"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = {score.partner_id.id: score for score in scores}
        for partner in self:
            score = by_partner.get(
                partner.commercial_partner_id.id, self.env["crm.relationship.score"]
            )
            partner.relationship_score_id = score
            partner.relationship_tier = score.tier
            partner.relationship_health_score = score.health_score
            partner.relationship_tier_trend = score.tier_trend
            partner.relationship_churn_state = score.churn_state
            partner.relationship_nps_score = score.nps_score
            partner.relationship_nps_category = score.nps_category
            partner.relationship_nps_date = score.nps_date
            partner.relationship_nps_reason = score.nps_reason

    @api.depends_context("company", "lang")
    @api.depends("commercial_partner_id")
    def _compute_relationship_change_summary(self):
        # apart from the score's other figures: a query the partner lists that show
        # the tier do not need
        for partner in self:
            partner.relationship_change_summary = (
                partner.relationship_score_id.change_summary
            )

    # ------------------------------------------------------------
    # PRODUCT RECOMMENDATIONS
    # ------------------------------------------------------------
    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_crm_recommendation_ids(self):
        """The stored rows of all the partners in one search."""
        rows = self.env["crm.product.recommendation"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = defaultdict(list)
        for row in rows:
            by_partner[row.partner_id.id].append(row.id)
        for partner in self:
            partner.crm_recommendation_ids = by_partner[
                partner.commercial_partner_id.id
            ]

    def _crm_recommended_products(self, limit=5):
        """``{partner id: [product.product ids, best first]}`` for each partner of
        ``self`` in the current company: the products its commercial entity is most
        often bought with by other customers, minus those it buys regularly; ``[]``
        without purchases.

        Computed live from the posted invoice lines (one query, the company's
        co-purchases with them), so it is right the moment an invoice is posted,
        whether or not the daily refresh has run."""
        company = self.env.company
        commercial = {p.id: p.commercial_partner_id.id for p in self}
        live = self.env["crm.recommendation.model"]._recommend_live(
            company, set(commercial.values()), limit=limit
        )
        return {pid: list(live[cid]) for pid, cid in commercial.items()}

    # ------------------------------------------------------------
    # ACCOUNT TEAM AND HAND-OFFS
    # ------------------------------------------------------------
    @api.depends("commercial_partner_id")
    def _compute_handoff_open_count(self):
        counts = dict(
            self.env["crm.handoff"]._read_group(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("state", "in", ("requested", "accepted")),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.handoff_open_count = counts.get(partner.commercial_partner_id, 0)

    @api.depends_context("uid", "company")
    def _compute_served_by_my_department(self):
        served = self.search(
            [("id", "in", self.ids), ("served_by_my_department", "=", True)]
        )
        for partner in self:
            partner.served_by_my_department = partner in served

    def _search_served_by_my_department(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on 'Served by my department'."))
        department = self.env.user.department_id
        members = self.env["crm.account.team.member"]._search(
            [("department_id", "=", department.id)] if department else [("id", "=", 0)]
        )
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", members.subselect("partner_id"))]

    # ------------------------------------------------------------
    # CUSTOMER 360
    # ------------------------------------------------------------
    @api.depends_context("company")
    def _compute_c360_currency_id(self):
        self.c360_currency_id = self.env.company.currency_id

    def _c360_domain(self, figure, partner_ids):
        """The records behind one figure of the 360, for these commercial customers.

        The same domain computes the figure and opens its records, so that what the
        user clicks is what was counted.
        """
        company = self.env.company
        customers = [("partner_id.commercial_partner_id", "in", partner_ids)]
        # days and years in the company's time zone: their first instants in UTC
        tz = company._crm_tz()
        today = company._crm_today()
        year_start = dates.utc_bounds(date(today.year, 1, 1), today, tz)[0]
        today_start = dates.utc_bounds(today, today, tz)[0]
        open_receivable = [
            ("company_id", "=", company.id),
            ("account_id.account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
        ]
        open_delivery = [
            ("company_id", "=", company.id),
            ("picking_type_code", "=", "outgoing"),
            ("state", "in", ("confirmed", "waiting", "assigned")),
        ]
        domains = {
            "opportunities": (
                "crm.lead",
                [
                    ("company_id", "in", (company.id, False)),
                    ("type", "=", "opportunity"),
                    ("active", "=", True),
                    ("stage_id.is_won", "=", False),
                ],
            ),
            "quotations": (
                "sale.order",
                [("company_id", "=", company.id), ("state", "in", ("draft", "sent"))],
            ),
            "orders": (
                "sale.order",
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "sale"),
                    ("date_order", ">=", year_start),
                ],
            ),
            "receivable": ("account.move.line", open_receivable),
            "overdue": (
                "account.move.line",
                [*open_receivable, ("date_maturity", "<", today)],
            ),
            "deliveries": ("stock.picking", open_delivery),
            "late_deliveries": (
                "stock.picking",
                [
                    *open_delivery,
                    "|",
                    ("scheduled_date", "<", today_start),
                    ("date_deadline", "<", today_start),
                ],
            ),
            "complaints": (
                "crm.complaint",
                [("company_id", "=", company.id), ("is_closed", "=", False)],
            ),
            "complaints_late": (
                "crm.complaint",
                [
                    ("company_id", "=", company.id),
                    ("is_closed", "=", False),
                    ("sla_breached", "=", True),
                ],
            ),
            "loyalty": (
                "loyalty.card",
                [
                    ("program_id.program_type", "=", "loyalty"),
                    ("program_id.company_id", "in", (company.id, False)),
                ],
            ),
        }
        model, domain = domains[figure]
        return model, expression.AND([customers, domain])

    def _c360_totals(self, figure, aggregates):
        """Sum ``aggregates`` of one figure per commercial customer (``field:min``
        ones: their minimum, 0 for none): one grouped query.

        The 360 is a summary every relationship user reads whatever their rights on
        sales, accounting or inventory, hence ``sudo``; the domain keeps it to the
        current company, and the records behind each figure open with the user's rights.
        """
        partners = self.commercial_partner_id
        model, domain = self._c360_domain(figure, partners.ids)
        groups = (
            self.env[model]
            # sudo: the 360 counts documents the user may not open (figures only)
            .sudo()
            ._read_group(domain, ["partner_id"], ["__count", *aggregates])
        )
        # contacts' groups add up to their customer's; a minimum stays the minimum
        minimum = [False] + [spec.endswith(":min") for spec in aggregates]
        totals = defaultdict(lambda: [0] * (len(aggregates) + 1))
        for partner, *values in groups:
            total = totals[partner.commercial_partner_id.id]
            for index, value in enumerate(values):
                if not minimum[index]:
                    total[index] += value or 0
                elif value and (not total[index] or value < total[index]):
                    total[index] = value
        return totals

    @api.depends_context("company")
    def _compute_c360_sales(self):
        leads = self._c360_totals("opportunities", ["expected_revenue:sum"])
        quotations = self._c360_totals("quotations", ["amount_untaxed:sum"])
        orders = self._c360_totals("orders", ["amount_untaxed:sum"])
        for partner in self:
            key = partner.commercial_partner_id.id
            partner.c360_opportunity_count, partner.c360_pipeline_value = leads[key]
            partner.c360_quotation_count, partner.c360_quotation_amount = quotations[
                key
            ]
            partner.c360_order_count, partner.c360_order_amount = orders[key]

    @api.depends_context("company")
    def _compute_c360_finance(self):
        receivable = self._c360_totals("receivable", ["amount_residual:sum"])
        overdue = self._c360_totals("overdue", ["amount_residual:sum"])
        scores = self._c360_scores()
        use_limit = self.env.company.account_use_credit_limit
        for partner in self:
            commercial = partner.commercial_partner_id
            balance = receivable[commercial.id][1]
            # sudo: the credit limit is shown to those who see the receivable
            limit = use_limit and commercial.sudo().credit_limit or 0.0
            partner.c360_receivable = balance
            partner.c360_overdue = overdue[commercial.id][1]
            partner.c360_credit_limit = limit
            partner.c360_credit_use = balance / limit if limit > 0 else 0.0
            partner.c360_days_to_pay = scores[commercial.id]["avg_days_to_pay"]

    @api.depends_context("company")
    def _compute_c360_supply(self):
        deliveries = self._c360_totals("deliveries", [])
        late = self._c360_totals("late_deliveries", [])
        scores = self._c360_scores()
        for partner in self:
            key = partner.commercial_partner_id.id
            partner.c360_open_delivery_count = deliveries[key][0]
            partner.c360_late_delivery_count = late[key][0]
            partner.c360_return_rate = scores[key]["return_rate"]

    @api.depends_context("company")
    def _compute_c360_service(self):
        complaints = self._c360_totals("complaints", ["resolution_deadline:min"])
        late = self._c360_totals("complaints_late", [])
        for partner in self:
            key = partner.commercial_partner_id.id
            count, deadline = complaints[key]
            partner.c360_complaint_count = count
            partner.c360_complaint_next_deadline = deadline or False
            partner.c360_complaint_late_count = late[key][0]

    @api.depends_context("company")
    def _compute_c360_loyalty(self):
        cards = self._c360_totals("loyalty", ["points:sum"])
        for partner in self:
            key = partner.commercial_partner_id.id
            partner.c360_loyalty_card_count, partner.c360_loyalty_points = cards[key]

    def _c360_scores(self):
        """Historical figures the nightly scoring already holds, per commercial id."""
        rows = (
            self.env["crm.relationship.score"]
            # sudo: the scores' figures, shown on the 360 to its readers
            .sudo()
            .search_read(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", self.env.company.id),
                ],
                ["partner_id", "avg_days_to_pay", "return_rate"],
                load=None,
            )
        )
        scores = defaultdict(lambda: {"avg_days_to_pay": 0.0, "return_rate": 0.0})
        scores.update({row["partner_id"]: row for row in rows})
        return scores

    # ------------------------------------------------------------
    # CUSTOMER 360: CHART
    # ------------------------------------------------------------
    def c360_chart_data(self):
        """The series of the 360's chart for one customer (the ``crm_c360_chart``
        widget), in the current company: see :meth:`_c360_chart_series`."""
        self.ensure_one()
        if not self.env.user.has_group(SCORE_GROUP):
            raise AccessError(_("Only relationship users see the customer 360."))
        self.check_access("read")
        return self._c360_chart_series()[self.id]

    def _c360_chart_series(self):
        """``{partner id: series}`` of the 360's chart for each partner of ``self``
        (its commercial entity, contacts included), in the current company only,
        over the last :data:`C360_CHART_MONTHS` months to the current one (in the
        company's time zone); a few queries whatever the number of partners::

            {
                "months": ["Jan 25", ...],          # in the user's language
                "revenue": [float, ...],            # invoices less credit notes,
                                                    # untaxed, company currency
                "health": [float or None, ...],     # last snapshot of each month
                "tier": ["A".."F" or None, ...],
                "purchases": [{"month": index, "date": "5 Jan 2025",
                               "amount": float}],   # one per invoicing day
                "loyalty": {...} or False,          # see _c360_chart_loyalty
                "curves": [],                       # further charts (crm_analytics)
                "currency_id": id,
            }

        The 360 is a summary every relationship user reads whatever their rights
        on accounting, hence ``sudo`` on the invoices (figures only, as
        :meth:`_c360_totals`)."""
        company = self.env.company
        this_month = company._crm_today().replace(day=1)
        first = this_month - relativedelta(months=C360_CHART_MONTHS - 1)
        starts = [first + relativedelta(months=i) for i in range(C360_CHART_MONTHS)]
        index = {start: i for i, start in enumerate(starts)}
        commercial_ids = self.commercial_partner_id.ids
        invoices = [
            ("company_id", "=", company.id),
            ("state", "=", "posted"),
            ("commercial_partner_id", "in", commercial_ids),
            ("invoice_date", ">=", first),
            ("invoice_date", "<", this_month + relativedelta(months=1)),
        ]
        # sudo: the 360 shows invoiced figures to users who may not open invoices
        Move = self.env["account.move"].sudo()
        revenue = defaultdict(lambda: [0.0] * C360_CHART_MONTHS)
        for partner, month, amount in Move._read_group(
            [*invoices, ("move_type", "in", ("out_invoice", "out_refund"))],
            ["commercial_partner_id", "invoice_date:month"],
            ["amount_untaxed_signed:sum"],
        ):
            revenue[partner.id][index[month]] += amount
        purchases = defaultdict(list)
        for partner, day, amount in Move._read_group(
            [*invoices, ("move_type", "=", "out_invoice")],
            ["commercial_partner_id", "invoice_date:day"],
            ["amount_untaxed_signed:sum"],
            order="invoice_date:day",
        ):
            purchases[partner.id].append(
                {
                    "month": index[day.replace(day=1)],
                    "date": format_date(self.env, day),
                    "amount": amount,
                }
            )
        history = self._c360_chart_history(company, commercial_ids, first, index)
        loyalty = self._c360_chart_loyalty(company)
        months = [
            format_date(self.env, start, date_format="MMM yy") for start in starts
        ]
        result = {}
        for partner in self:
            key = partner.commercial_partner_id.id
            health, tier = history.get(key, ([None] * C360_CHART_MONTHS,) * 2)
            result[partner.id] = {
                "months": months,
                "revenue": revenue[key],
                "health": health,
                "tier": tier,
                "purchases": purchases[key],
                "loyalty": loyalty.get(key, False),
                "curves": [],
                "currency_id": company.currency_id.id,
            }
        return result

    def _c360_chart_history(self, company, partner_ids, first, index):
        """``{commercial id: (health per month, tier per month)}``: the last
        snapshot of each month of the score history, one query."""
        History = self.env["crm.relationship.score.history"]
        History.flush_model(["partner_id", "company_id", "snapshot_date"])
        # the history of the current company only, as the 360's other figures
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (partner_id, date_trunc('month', snapshot_date))
                       partner_id,
                       date_trunc('month', snapshot_date)::date,
                       health_score,
                       tier
                  FROM crm_relationship_score_history
                 WHERE company_id = %s
                   AND partner_id = ANY(%s)
                   AND snapshot_date >= %s
                   AND snapshot_date < %s
                 ORDER BY partner_id, date_trunc('month', snapshot_date),
                          snapshot_date DESC
                """,
                company.id,
                partner_ids,
                first,
                first + relativedelta(months=C360_CHART_MONTHS),
            )
        )
        history = {}
        for partner_id, month, health, tier in self.env.cr.fetchall():
            health_row, tier_row = history.setdefault(
                partner_id,
                ([None] * C360_CHART_MONTHS, [None] * C360_CHART_MONTHS),
            )
            health_row[index[month]] = health
            tier_row[index[month]] = tier
        return history

    def _c360_chart_loyalty(self, company):
        """``{commercial id: progress}`` of each customer's loyalty card of the
        current company (or of a program shared by all) with tiers: its tier, the
        next one and how far it is, from one search."""
        # sudo: the card's tier is shown on the 360 as its points are
        cards = (
            self.env["loyalty.card"]
            .sudo()
            .search(
                [
                    (
                        "partner_id.commercial_partner_id",
                        "in",
                        self.commercial_partner_id.ids,
                    ),
                    ("program_id.program_type", "=", "loyalty"),
                    ("program_id.company_id", "in", (company.id, False)),
                    ("program_id.tier_ids", "!=", False),
                ],
                order="points desc, id",
            )
        )
        progress = {}
        for card in cards:
            key = card.partner_id.commercial_partner_id.id
            if key in progress:
                continue
            tier, following = card.tier_id, card.next_tier_id
            base = tier.threshold if tier else 0.0
            value = (
                following.threshold - card.next_tier_missing
                if following
                else card.tier_points
            )
            span = following.threshold - base if following else 0.0
            progress[key] = {
                "program": card.program_id.name,
                "tier": tier.name or False,
                "next_tier": following.name or False,
                "spend": following.threshold_type == "spend",
                "value": value,
                "threshold": following.threshold if following else base,
                "missing": card.next_tier_missing,
                "percent": (
                    min(100.0, max(0.0, 100.0 * (value - base) / span))
                    if span > 0
                    else 100.0
                ),
            }
        return progress

    def action_open_c360(self):
        """Open the records behind the figure named in the button's context."""
        self.ensure_one()
        figure = self.env.context.get("c360_figure")
        titles = {
            "opportunities": _("Open opportunities"),
            "quotations": _("Open quotations"),
            "orders": _("Orders this year"),
            "receivable": _("Open receivables"),
            "overdue": _("Overdue receivables"),
            "deliveries": _("Open deliveries"),
            "late_deliveries": _("Late deliveries"),
            "loyalty": _("Loyalty cards"),
            "complaints": _("Open complaints"),
            "complaints_late": _("Open complaints past their SLA"),
        }
        if figure not in titles:
            raise UserError(_("This figure has no records to open."))
        model, domain = self._c360_domain(figure, self.commercial_partner_id.ids)
        action = {
            "type": "ir.actions.act_window",
            "name": _("%(figure)s: %(customer)s")
            % {"figure": titles[figure], "customer": self.commercial_partner_id.name},
            "res_model": model,
            "view_mode": "list,form",
            "domain": domain,
            "context": {"create": False},
        }
        if model == "account.move.line":
            action["views"] = [
                (self.env.ref("account.view_move_line_tree").id, "list"),
                (False, "form"),
            ]
        if model == "crm.lead":
            action["view_mode"] = "list,kanban,form"
        return action

    def action_open_relationship_score(self):
        self.ensure_one()
        score = self.relationship_score_id
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.relationship.score",
            "view_mode": "form",
            "res_id": score.id,
        }

    def action_open_handoffs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_handoff_action"
        )
        commercial = self.commercial_partner_id
        action["domain"] = [("partner_id", "=", commercial.id)]
        action["context"] = {"default_partner_id": commercial.id}
        return action

    def action_request_handoff(self):
        """A new hand-off about this customer, in a dialog over the customer's form."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Request a hand-off"),
            "res_model": "crm.handoff",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }

    @api.model
    def _crm_relationship_generate_demo(self, customers=200, seed=42):
        """Entry point of the demo data (called from demo XML).

        The generator is shared with the tests and the benchmarks, so that all three
        speak of the same kind of company. Imported here: only the demo needs it.
        """
        from ..tools.demo_generator import DemoDataGenerator

        return DemoDataGenerator(self.env, seed=seed).generate(customers=customers)

    @api.model
    def _crm_relationship_score_demo_history(self, months=24, seed=42):
        """Demo: the demo company scored at each month end of the last two years,
        then today, so that trends, tier changes and churn have a history (called
        from demo XML, after the generator)."""
        from ..tools.demo_generator import DemoDataGenerator

        return len(DemoDataGenerator(self.env, seed=seed).score_history(months))

    @api.model
    def _crm_relationship_generate_demo_voice(self, seed=42):
        """Demo: a year of NPS answers and the complaints' surveys, after the first
        scoring (called from demo XML)."""
        from ..tools.demo_generator import DemoDataGenerator

        return DemoDataGenerator(self.env, seed=seed).generate_voice()

    @api.model
    def _crm_relationship_generate_demo_service(self, seed=42):
        """Demo: the tier policies at work after the first scoring (called from
        demo XML)."""
        from ..tools.demo_generator import DemoDataGenerator

        return len(DemoDataGenerator(self.env, seed=seed).generate_service())

    @api.model
    def _crm_overdue_sql(self, partner, company, due_before):
        """SQL of one row ``(overdue, since, credits, invoices)``: what the
        commercial entity ``partner`` owes ``company`` on open receivable lines of
        posted entries of itself or any of its contacts, due before ``due_before``
        (each an SQL expression, for a LATERAL join), in the company's currency,
        with the oldest due date, the unapplied credits (payments and credit notes
        not yet matched, negative) and the number of entries overdue. Odoo's
        receivable counts the balance so; the credit holds and the overdue next
        actions both read it here. Flush before running it."""
        due = SQL("COALESCE(aml.date_maturity, aml.date)")
        late = SQL("aml.amount_residual > 0 AND %s < %s", due, due_before)
        return SQL(
            """
            SELECT COALESCE(SUM(aml.amount_residual) FILTER (WHERE %(late)s), 0)
                       AS overdue,
                   MIN(%(due)s) FILTER (WHERE %(late)s) AS since,
                   COALESCE(SUM(aml.amount_residual)
                       FILTER (WHERE aml.amount_residual < 0), 0) AS credits,
                   COUNT(DISTINCT aml.move_id) FILTER (WHERE %(late)s) AS invoices
              FROM account_move_line aml
              JOIN account_account acc ON acc.id = aml.account_id
             WHERE aml.partner_id IN (
                       SELECT id FROM res_partner
                        WHERE commercial_partner_id = %(partner)s)
               AND aml.company_id = %(company)s
               AND aml.parent_state = 'posted'
               AND acc.account_type = 'asset_receivable'
               AND NOT aml.reconciled
            """,
            late=late,
            due=due,
            partner=partner,
            company=company,
        )

    @api.model
    def _crm_relationship_generate_demo_actions(self, seed=42):
        """Demo: next best actions with four months of history (called from demo
        XML, after the scoring)."""
        from ..tools.demo_generator import DemoDataGenerator

        return len(DemoDataGenerator(self.env, seed=seed).generate_actions())

    # ------------------------------------------------------------
    # LOYALTY MEMBERSHIP
    # ------------------------------------------------------------

    def write(self, vals):
        """A company's time zone changes the local day of its deliveries; a contact
        that changes commercial entity leaves its points (see
        :meth:`_loyalty_entities_before`)."""
        entities = self._loyalty_entities_before(vals)
        res = super().write(vals)
        for card, entity in entities.items():
            if card.partner_id.commercial_partner_id != entity:
                card._hand_back_to(entity)
        if "tz" in vals:
            # sudo: the companies whose contact this is, whoever edits the contact
            companies = (
                self.env["res.company"].sudo().search([("partner_id", "in", self.ids)])
            )
            if companies:
                self.env["stock.picking"]._refresh_delivered_on_time(companies)
        return res

    # ------------------------------------------------------------
    # SERVICE BY TIER: PAYMENT TERMS AND CREDIT LIMIT
    # ------------------------------------------------------------
    @api.model
    def _crm_apply_tier_policies(self, company, changes):
        """Customers who changed tier in ``company`` get the payment terms and
        credit limit of their new tier's policy on Odoo's own fields, the previous
        values logged in their chatter; values a person set by hand are kept.

        A value follows the policy when it is empty (Odoo's default), is the one
        the policy last wrote, or is the previous tier's; anything else was set
        by hand.

        :param changes: ``{commercial partner id: (previous tier or None, tier)}``
        """
        Policy = self.env["crm.tier.policy"]
        policies = Policy._policies_of(company)
        acting = {
            key: policy
            for key, policy in policies.items()
            if policy.payment_term_id or policy.credit_limit_mode != "none"
        }
        changes = {
            pid: tiers
            for pid, tiers in changes.items()
            if (company.id, tiers[1]) in acting
        }
        if not changes:
            return
        # sudo: the policy writes the customer's terms, whoever triggered the change
        partners = self.sudo().with_company(company).browse(list(changes))
        invoicing = self._crm_monthly_invoicing(company, partners)
        fallback = self._fields["credit_limit"].get_company_dependent_fallback(partners)
        currency = company.currency_id
        none = _("none")
        writes = defaultdict(lambda: self.browse())
        logs = {}
        for partner in partners:
            previous, tier = changes[partner.id]
            policy = acting[(company.id, tier)]
            before = policies.get((company.id, previous), Policy)
            vals, lines = {}, []
            terms = partner.property_payment_term_id
            wanted = policy.payment_term_id
            if wanted and terms != wanted:
                if (
                    not terms
                    or terms == partner.crm_policy_payment_term_id
                    or terms == before.payment_term_id
                ):
                    vals["property_payment_term_id"] = wanted.id
                    vals["crm_policy_payment_term_id"] = wanted.id
                    lines.append(
                        _(
                            "Tier %(tier)s policy: payment terms set to %(new)s "
                            "(were %(old)s).",
                            tier=tier,
                            new=wanted.display_name,
                            old=terms.display_name or none,
                        )
                    )
                else:
                    lines.append(
                        _(
                            "Tier %(tier)s policy: payment terms %(old)s kept, set by "
                            "hand (the policy proposes %(new)s).",
                            tier=tier,
                            new=wanted.display_name,
                            old=terms.display_name,
                        )
                    )
            if policy.credit_limit_mode != "none":
                limit = (
                    policy.credit_limit
                    if policy.credit_limit_mode == "amount"
                    else max(
                        float_round(
                            policy.credit_limit_months * invoicing.get(partner.id, 0.0),
                            precision_rounding=currency.rounding,
                        ),
                        # Odoo reads zero as no limit: a customer invoiced nothing
                        # gets the least limit, at worst the smallest amount
                        policy.credit_limit or currency.rounding,
                    )
                )
                current = partner.credit_limit
                rounding = currency.rounding
                if float_compare(current, limit, precision_rounding=rounding):
                    follows = (
                        not float_compare(
                            current, fallback, precision_rounding=rounding
                        )
                        or not float_compare(
                            current,
                            partner.crm_policy_credit_limit,
                            precision_rounding=rounding,
                        )
                        or (
                            before.credit_limit_mode == "amount"
                            and not float_compare(
                                current,
                                before.credit_limit,
                                precision_rounding=rounding,
                            )
                        )
                    )
                    old = formatLang(self.env, current, currency_obj=currency)
                    new = formatLang(self.env, limit, currency_obj=currency)
                    if follows:
                        vals["credit_limit"] = limit
                        vals["crm_policy_credit_limit"] = limit
                        lines.append(
                            _(
                                "Tier %(tier)s policy: credit limit set to %(new)s "
                                "(was %(old)s).",
                                tier=tier,
                                new=new,
                                old=old,
                            )
                        )
                    else:
                        lines.append(
                            _(
                                "Tier %(tier)s policy: credit limit %(old)s kept, set "
                                "by hand (the policy proposes %(new)s).",
                                tier=tier,
                                new=new,
                                old=old,
                            )
                        )
            if vals:
                writes[tuple(sorted(vals.items()))] |= partner
            if lines:
                logs[partner.id] = Markup("<br/>").join(lines)
        for vals, group in writes.items():
            group.write(dict(vals))
        if logs:
            partners.browse(list(logs))._message_log_batch(bodies=logs)

    @api.model
    def _crm_monthly_invoicing(self, company, partners):
        """``{commercial partner id: amount}``: what each customer was invoiced by
        ``company`` per month on average over the twelve months to today (in the
        company's time zone): posted invoices less credit notes, taxes included,
        in the company's currency. One query."""
        today = company._crm_today()
        self.env["account.move"].flush_model(
            ["amount_total_signed", "state", "invoice_date", "commercial_partner_id"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT commercial_partner_id, SUM(amount_total_signed) / 12.0
                  FROM account_move
                 WHERE company_id = %s AND state = 'posted'
                   AND move_type IN ('out_invoice', 'out_refund')
                   AND commercial_partner_id = ANY(%s)
                   AND invoice_date > %s AND invoice_date <= %s
                 GROUP BY commercial_partner_id
                """,
                company.id,
                partners.ids,
                today - relativedelta(years=1),
                today,
            )
        )
        return {
            pid: max(float(amount or 0.0), 0.0)
            for pid, amount in self.env.cr.fetchall()
        }

    def _loyalty_entities_before(self, vals):
        """A contact that changes commercial entity (moved to another company, made
        a company of its own, or with the contact above it) leaves the points it
        earned with the entity it earned them for (``loyalty.card._hand_back_to``).

        :return: {loyalty card held by these contacts or those below them: its
            customer before the write}, empty when ``vals`` cannot move them
        """
        if "parent_id" not in vals and "is_company" not in vals:
            return {}
        # sudo: the cards follow the customer who earned them, whoever edits the
        # contact; the contacts below this one change entity with it
        cards = (
            self.env["loyalty.card"]
            .sudo()
            .search(
                [
                    ("partner_id", "child_of", self.ids),
                    ("program_id.program_type", "=", "loyalty"),
                ]
            )
        )
        return {card: card.partner_id.commercial_partner_id for card in cards}
