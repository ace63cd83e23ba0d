import logging
from contextlib import contextmanager
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, float_is_zero, format_date, formatLang

from ..tools import cron, dates, scoring
from ..tools.cron import in_user_language
from .survey_user_input import NPS_CATEGORIES

_logger = logging.getLogger(__name__)

# Customer documents: what scoring reads from finance.
CUSTOMER_MOVE_TYPES = ("out_invoice", "out_refund")


class CrmRelationshipScore(models.Model):
    """One customer's relationship scores in one company: the hub of the addon.

    Rows are written by SQL only (see ``recompute``), in one pass over the ERP's own
    tables for all customers at once; nothing here is a stored compute on res.partner.
    """

    _name = "crm.relationship.score"
    _inherit = ["crm.served.department.mixin"]
    _description = "Customer Relationship Score"
    _order = "health_score desc, id"
    _rec_name = "partner_id"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------
    partner_id = fields.Many2one(
        "res.partner", "Customer", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="cascade", index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    # indexed: scorecards and KPIs of a salesperson or a team read their customers
    # (the daily recompute keeps it: it rewrites rows in place, the salesperson
    # rarely changes)
    user_id = fields.Many2one(
        "res.users", "Salesperson", readonly=True, index="btree_not_null",
        help="The customer's salesperson at the last recompute.",
    )  # fmt: skip
    date_ref = fields.Date("Reference date", readonly=True)
    window_days = fields.Integer("Window (days)", readonly=True)
    last_recompute = fields.Datetime("Last recompute", readonly=True)

    # RFM
    first_invoice_date = fields.Date("First invoice", readonly=True)
    last_invoice_date = fields.Date("Last invoice", readonly=True)
    recency_days = fields.Integer(
        "Recency (days)", readonly=True, aggregator="avg",
        help="Days from the last posted customer invoice to the reference date.",
    )  # fmt: skip
    frequency = fields.Integer(
        readonly=True, aggregator="avg",
        help="Posted customer invoices in the scoring window.",
    )  # fmt: skip
    monetary = fields.Monetary(
        readonly=True,
        help="Untaxed invoiced minus refunded in the window, in company currency.",
    )
    r_score = fields.Integer("R", readonly=True, aggregator="avg")
    f_score = fields.Integer("F", readonly=True, aggregator="avg")
    m_score = fields.Integer("M", readonly=True, aggregator="avg")
    rfm_segment = fields.Selection(scoring.RFM_SEGMENTS, "RFM segment", readonly=True)
    abc_class = fields.Selection(scoring.ABC_CLASSES, "ABC class", readonly=True)

    # Lifetime value so far
    clv_historical = fields.Monetary(
        "Lifetime value", readonly=True,
        help="Untaxed invoiced minus refunded over the whole history.",
    )  # fmt: skip
    gross_margin = fields.Monetary(
        "Gross margin",
        readonly=True,
        help="Lifetime revenue less product cost, over the invoice lines whose "
        "product has a cost.",
    )
    margin_known = fields.Boolean("Margin known", readonly=True)

    # Payment behaviour
    paid_invoice_count = fields.Integer("Paid invoices", readonly=True)
    late_invoice_count = fields.Integer("Paid late", readonly=True)
    avg_days_to_pay = fields.Float(
        "Average days to pay", readonly=True, digits=(16, 1), aggregator="avg",
        help="Days from invoice date to full payment, over the invoices of the "
        "window paid in full by the reference date.",
    )  # fmt: skip
    late_payment_rate = fields.Float(
        "Paid late (share)", readonly=True, aggregator="avg",
        help="Share of the invoices paid in the window that were paid after their "
        "due date.",
    )  # fmt: skip
    overdue_invoice_count = fields.Integer("Overdue invoices", readonly=True)
    overdue_amount = fields.Monetary(
        "Overdue amount",
        readonly=True,
        help="Amount still open at the reference date on invoices due before it.",
    )
    payment_known = fields.Boolean("Payment history known", readonly=True)

    # Delivery experience
    delivery_count = fields.Integer("Deliveries", readonly=True)
    on_time_delivery_count = fields.Integer("On-time deliveries", readonly=True)
    return_count = fields.Integer("Returns", readonly=True)
    on_time_delivery_rate = fields.Float(
        "On-time delivery", readonly=True, aggregator="avg",
        help="Share of the deliveries done in the window that were done by their "
        "promised date (deadline, else scheduled date).",
    )  # fmt: skip
    return_rate = fields.Float("Return rate", readonly=True, aggregator="avg")
    delivery_known = fields.Boolean("Delivery history known", readonly=True)
    # Service (complaints opened in the window, ratings given in it)
    complaint_count = fields.Integer("Complaints", readonly=True)
    complaint_severity_points = fields.Integer("Severity points", readonly=True)
    complaint_breach_count = fields.Integer("SLA breaches", readonly=True)
    complaint_known = fields.Boolean("Complaints known", readonly=True)
    satisfaction_rating = fields.Float(
        "Satisfaction (1-5)", readonly=True, digits=(16, 2), aggregator="avg"
    )
    rating_count = fields.Integer("Ratings", readonly=True)
    satisfaction_known = fields.Boolean("Satisfaction known", readonly=True)

    # Health score: components (0-100, empty when unknown) and their contributions
    recency_component = fields.Float(
        "Recency component", readonly=True, aggregator="avg"
    )
    frequency_component = fields.Float(
        "Frequency component", readonly=True, aggregator="avg"
    )
    monetary_component = fields.Float(
        "Monetary component", readonly=True, aggregator="avg"
    )
    payment_component = fields.Float(
        "Payment component", readonly=True, aggregator="avg"
    )
    delivery_component = fields.Float(
        "Delivery component", readonly=True, aggregator="avg"
    )
    recency_contribution = fields.Float(
        "Recency contribution", readonly=True, aggregator="avg"
    )
    frequency_contribution = fields.Float(
        "Frequency contribution", readonly=True, aggregator="avg"
    )
    monetary_contribution = fields.Float(
        "Monetary contribution", readonly=True, aggregator="avg"
    )
    payment_contribution = fields.Float(
        "Payment contribution", readonly=True, aggregator="avg"
    )
    complaint_component = fields.Float(
        "Complaints component", readonly=True, aggregator="avg"
    )
    satisfaction_component = fields.Float(
        "Satisfaction component", readonly=True, aggregator="avg"
    )
    complaint_contribution = fields.Float(
        "Complaints contribution", readonly=True, aggregator="avg"
    )
    satisfaction_contribution = fields.Float(
        "Satisfaction contribution", readonly=True, aggregator="avg"
    )
    delivery_contribution = fields.Float(
        "Delivery contribution", readonly=True, aggregator="avg"
    )
    health_score = fields.Float(
        "Health score", readonly=True, digits=(16, 1), aggregator="avg"
    )
    tier = fields.Selection(scoring.TIER_SELECTION, readonly=True)
    # Voice of the customer: the latest NPS answer on or before the reference date
    nps_score = fields.Integer(
        "NPS answer",
        readonly=True,
        aggregator="avg",
        help="The customer's latest answer (0-10) to the likelihood to recommend; "
        "empty (no category) when the customer never answered.",
    )
    nps_category = fields.Selection(NPS_CATEGORIES, "NPS category", readonly=True)
    nps_date = fields.Date("NPS answered on", readonly=True)
    nps_reason = fields.Text("NPS reason", readonly=True)

    # Trend against the last snapshot before the reference date
    previous_health_score = fields.Float(
        "Previous health score", readonly=True, digits=(16, 1)
    )
    previous_tier = fields.Selection(
        scoring.TIER_SELECTION, "Previous tier", readonly=True
    )
    score_delta = fields.Float(
        "Health change", readonly=True, digits=(16, 1), aggregator="avg"
    )
    tier_trend = fields.Selection(
        scoring.TIER_TRENDS,
        "Tier trend",
        readonly=True,
    )
    purchase_count = fields.Integer(
        "Purchase days",
        readonly=True,
        help="Days with a posted customer invoice, over the whole history.",
    )
    purchase_interval_days = fields.Float(
        "Usual interval (days)",
        readonly=True,
        digits=(16, 1),
        aggregator="avg",
        help="Mean gap between purchase days; empty with one purchase day.",
    )
    churn_state = fields.Selection(
        scoring.CHURN_STATES,
        "Churn",
        readonly=True,
        index=True,
        help="Active, at risk or lost, from the days since the last purchase "
        "against the customer's usual interval (scoring profile).",
    )
    explanation = fields.Text(compute="_compute_explanation")
    change_summary = fields.Text(
        "What changed",
        compute="_compute_change_summary",
        help="What moved since the customer's previous snapshot: health points "
        "gained or lost per component, tier, churn state and predictions.",
    )

    # what the upsert writes from the stage, in this order
    _STAGED_COLUMNS = (
        "partner_id",
        "user_id",
        "first_invoice_date",
        "last_invoice_date",
        "recency_days",
        "frequency",
        "monetary",
        "clv_historical",
        "gross_margin",
        "margin_known",
        "paid_invoice_count",
        "late_invoice_count",
        "avg_days_to_pay",
        "late_payment_rate",
        "overdue_invoice_count",
        "overdue_amount",
        "payment_known",
        "delivery_count",
        "on_time_delivery_count",
        "return_count",
        "on_time_delivery_rate",
        "return_rate",
        "delivery_known",
        "purchase_count",
        "purchase_interval_days",
        "complaint_count",
        "complaint_severity_points",
        "complaint_breach_count",
        "complaint_known",
        "satisfaction_rating",
        "rating_count",
        "satisfaction_known",
    )

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique(partner_id, company_id)",
            "A customer has one score row per company.",
        ),
    ]

    def init(self):
        # Every recompute rewrites each row: with room left in its page, PostgreSQL
        # updates it in place (HOT) and skips the index writes, when, as usual,
        # no indexed column changed. Hence also no index on tier or salesperson.
        self.env.cr.execute(
            SQL("ALTER TABLE crm_relationship_score SET (fillfactor = 60)")
        )
        # The scoring reads customer documents by commercial partner; Odoo indexes
        # account_move.partner_id but not commercial_partner_id. A partial index keeps
        # the incremental recompute of a few customers off a sequential scan.
        self.env.cr.execute(
            SQL(
                """
                CREATE INDEX IF NOT EXISTS account_move_crm_relationship_idx
                    ON account_move (company_id, commercial_partner_id, invoice_date)
                 WHERE state = 'posted' AND move_type IN %s
                """,
                CUSTOMER_MOVE_TYPES,
            )
        )

    # ------------------------------------------------------------
    # CRUD: TIER CHANGES WRITTEN THROUGH THE ORM
    # ------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        rows = super().create(vals_list)
        rows._tier_changed({row: None for row in rows})
        return rows

    def write(self, vals):
        """The recompute writes rows in SQL and applies tier policies itself; a tier
        written through the ORM (an import, a correction) applies them too."""
        before = {row: row.tier for row in self} if "tier" in vals else {}
        res = super().write(vals)
        self._tier_changed(before)
        return res

    def _tier_changed(self, before):
        """``before``: ``{row: previous tier}``; rows whose tier moved get their
        tier's policy."""
        moved = [row for row, tier in before.items() if row.tier and row.tier != tier]
        for company in {row.company_id for row in moved}:
            rows = [row for row in moved if row.company_id == company]
            self.env["res.partner"]._crm_apply_tier_policies(
                company, {row.partner_id.id: (before[row], row.tier) for row in rows}
            )
            self.env["stock.picking"]._refresh_crm_tier(
                company, [row.partner_id.id for row in rows]
            )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------
    @api.depends_context("lang")
    def _compute_explanation(self):
        for score in self:
            score.explanation = "\n".join(score._explanation_lines())

    @api.depends_context("lang")
    def _compute_change_summary(self):
        previous = self._previous_snapshots()
        # once for the recordset: the labels are read from the database
        labels = {
            "churn_state": dict(
                self._fields["churn_state"]._description_selection(self.env)
            )
        }
        for score in self:
            snapshot = previous.get(score.id)
            if not snapshot:
                score.change_summary = _("First score.")
                continue
            lines = score._change_lines(snapshot, labels) or [
                _(
                    "No change since %(date)s.",
                    date=format_date(score.env, snapshot["snapshot_date"]),
                )
            ]
            score.change_summary = "\n".join(lines)

    def _previous_snapshots(self):
        """``{score id: {column: value}}``: for each row, its customer's last
        snapshot in the row's company dated before the row's reference date (the
        snapshot the trend fields compare with), with ``snapshot_date`` and the
        columns of :meth:`_snapshot_columns`; rows without one are left out.

        One query for the recordset, on the unique (partner, company, date) index.
        Plain SQL reads the history of the rows' own customer and company only:
        what the history's access rules (same group, same company rule as the
        score) show to whoever reads the rows.
        """
        ids = [score_id for score_id in self.ids if score_id]
        if not ids:
            return {}
        self.flush_model(["partner_id", "company_id", "date_ref"])
        self.env["crm.relationship.score.history"].flush_model()
        columns = self._snapshot_columns()
        self.env.cr.execute(
            SQL(
                """
                SELECT score.id AS score_id, prev.snapshot_date, %(columns)s
                  FROM crm_relationship_score score
                  JOIN LATERAL (
                        SELECT h.*
                          FROM crm_relationship_score_history h
                         WHERE h.partner_id = score.partner_id
                           AND h.company_id = score.company_id
                           AND h.snapshot_date < score.date_ref
                         ORDER BY h.snapshot_date DESC
                         LIMIT 1) prev ON TRUE
                 WHERE score.id = ANY(%(ids)s)
                """,
                columns=SQL(", ").join(
                    SQL("prev.%s", SQL.identifier(c)) for c in columns
                ),
                ids=ids,
            )
        )
        return {row.pop("score_id"): row for row in self.env.cr.dictfetchall()}

    def _change_components(self):
        """``{name: label}`` of the health components whose points the history
        keeps (``<name>_contribution`` on the score and its history) and "what
        changed" names. Modules adding a health component add it here."""
        return {
            "recency": _("Recency"),
            "frequency": _("Frequency"),
            "monetary": _("Monetary"),
            "payment": _("Payment"),
            "delivery": _("Delivery"),
            "complaint": _("Complaints"),
            "satisfaction": _("Satisfaction"),
        }

    def _format_number(self, value, digits=1, signed=False):
        """``value`` in the user's language (decimal and thousands separators);
        ``signed``: with a plus or a minus sign (U+2212) in front."""
        text = formatLang(self.env, abs(value) if signed else value, digits=digits)
        if not signed:
            return text
        return ("+" if value > 0 else "\N{MINUS SIGN}") + text

    def _change_lines(self, previous, labels):
        """What moved since ``previous`` (a row of :meth:`_previous_snapshots`), in
        words, one sentence a line: health with the points each component gained
        or lost (largest first), tier, churn state; empty when nothing moved.
        ``labels``: ``{field: {value: label}}`` of selections in the user's
        language. Modules append the lines of their own figures.

        A health or a component moves when it moves by 0.1 point (as shown); a
        component not known in a snapshot counts 0 points there, as in the health
        score. Snapshots written before the history kept the contributions give the
        health line without its breakdown.
        """
        self.ensure_one()
        lines = []
        before = previous["health_score"]
        after = self.health_score if self.tier else None
        components = self._change_components()
        parts = []
        if any(previous.get(f"{name}_contribution") is not None for name in components):
            moves = []
            for name, label in components.items():
                delta = (self[f"{name}_contribution"] or 0.0) - (
                    previous.get(f"{name}_contribution") or 0.0
                )
                if not float_is_zero(delta, precision_digits=1):
                    moves.append((label, delta))
            moves.sort(key=lambda move: -abs(move[1]))
            parts = [
                self.env._(
                    "%(component)s %(points)s",
                    component=label,
                    points=self._format_number(delta, signed=True),
                )
                for label, delta in moves
            ]
        if before is not None and after is not None:
            delta = after - before
            if not float_is_zero(delta, precision_digits=1):
                values = {
                    "before": self._format_number(before),
                    "after": self._format_number(after),
                    "delta": self._format_number(delta, signed=True),
                }
                if parts:
                    lines.append(
                        _(
                            "Health %(before)s → %(after)s (%(delta)s): %(parts)s.",
                            parts=", ".join(parts),
                            **values,
                        )
                    )
                else:
                    lines.append(
                        _("Health %(before)s → %(after)s (%(delta)s).", **values)
                    )
            elif parts:
                lines.append(
                    _(
                        "Health unchanged at %(health)s: %(parts)s.",
                        health=self._format_number(after),
                        parts=", ".join(parts),
                    )
                )
        elif after is not None:
            lines.append(
                _(
                    "Health %(after)s, not known before.",
                    after=self._format_number(after),
                )
            )
        elif before is not None:
            lines.append(
                _(
                    "Health no longer known (was %(before)s).",
                    before=self._format_number(before),
                )
            )
        if (previous["tier"] or False) != (self.tier or False):
            lines.append(
                _(
                    "Tier %(before)s → %(after)s.",
                    before=previous["tier"] or _("none"),
                    after=self.tier or _("none"),
                )
            )
        if (
            previous["churn_state"]
            and self.churn_state
            and previous["churn_state"] != self.churn_state
        ):
            lines.append(
                _(
                    "Churn %(before)s → %(after)s.",
                    before=labels["churn_state"][previous["churn_state"]],
                    after=labels["churn_state"][self.churn_state],
                )
            )
        return lines

    def _explanation_lines(self):
        """What drives this customer's tier, in words, from the row's own figures."""
        self.ensure_one()
        lines = []
        if self.tier_trend == "up":
            lines.append(
                _(
                    "Tier up from %(previous)s to %(tier)s (health %(delta)+.1f).",
                    previous=self.previous_tier,
                    tier=self.tier,
                    delta=self.score_delta,
                )
            )
        elif self.tier_trend == "down":
            lines.append(
                _(
                    "Tier down from %(previous)s to %(tier)s (health %(delta)+.1f).",
                    previous=self.previous_tier,
                    tier=self.tier,
                    delta=self.score_delta,
                )
            )
        if self.last_invoice_date:
            if self.r_score <= 2:
                lines.append(_("No invoice for %(days)s days.", days=self.recency_days))
            elif self.r_score >= 4:
                lines.append(
                    _("Bought recently (%(days)s days ago).", days=self.recency_days)
                )
        if self.frequency and self.f_score >= 4:
            lines.append(_("%(count)s invoices in the window.", count=self.frequency))
        if self.late_invoice_count:
            lines.append(
                _("%(count)s invoices paid late.", count=self.late_invoice_count)
            )
        if self.overdue_invoice_count:
            lines.append(
                _(
                    "%(count)s invoices overdue (%(amount)s).",
                    count=self.overdue_invoice_count,
                    amount=self.currency_id.format(self.overdue_amount),
                )
            )
        if self.complaint_count:
            lines.append(
                _(
                    "%(count)s complaints in the window (%(breaches)s past their SLA).",
                    count=self.complaint_count,
                    breaches=self.complaint_breach_count,
                )
            )
        if self.rating_count:
            lines.append(
                _(
                    "Rated %(rating).1f of 5 on closed complaints.",
                    rating=self.satisfaction_rating,
                )
            )
        late_deliveries = self.delivery_count - self.on_time_delivery_count
        if late_deliveries:
            lines.append(
                _(
                    "%(late)s of %(count)s deliveries late.",
                    late=late_deliveries,
                    count=self.delivery_count,
                )
            )
        if self.return_count:
            lines.append(_("%(count)s deliveries returned.", count=self.return_count))
        if not self.payment_known:
            lines.append(_("Too little payment history to judge payments."))
        if not self.delivery_known:
            lines.append(_("No delivery in the window to judge deliveries."))
        return lines

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------
    def action_recompute_now(self):
        """Recompute the selected customers now (all of the current companies' customers
        when called with no selection)."""
        if self:
            for company in self.company_id:
                rows = self.filtered(lambda s, c=company: s.company_id == c)
                self.recompute(company_ids=company.ids, partner_ids=rows.partner_id.ids)
        else:
            self.recompute(company_ids=self.env.companies.ids)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("Relationship scores recomputed."),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS: MARKING AND RECOMPUTING
    # ------------------------------------------------------------
    @api.model
    def _mark_customers(self, pairs):
        """Queue (commercial partner id, company id) pairs for the frequent cron.

        Called from postings, reconciliations and validated deliveries: cheap, one
        INSERT, no scoring inside the user's transaction. Always a new row, even for
        a customer already queued: a recompute running meanwhile empties only the
        marks its snapshot holds, so the mark of a posting it did not see survives
        it (an existing row would have been emptied with the posting unseen), and
        two postings never wait for one another here.
        """
        pairs = {(p, c) for p, c in pairs if p and c}
        if not pairs:
            return
        partner_ids, company_ids = zip(*sorted(pairs), strict=True)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_relationship_score_queue (partner_id, company_id)
                SELECT p, c FROM unnest(%s::int[], %s::int[]) AS t(p, c)
                """,
                list(partner_ids),
                list(company_ids),
            )
        )

    @api.model
    def recompute(self, company_ids=None, partner_ids=None, date_ref=None):
        """Recompute the scores of the given companies' customers (all by default),
        or only of the given customers, as of ``date_ref`` (default: today in each
        company's time zone).

        Each company's recompute is one transaction step: it either replaces the
        scores or, when anything fails, leaves the previous scores as they were.
        """
        self._check_recompute_rights()
        date_ref = fields.Date.to_date(date_ref)
        # sudo: scoring reads every customer's invoices, payments and deliveries, which
        # the person asking may not read one by one; rights were checked above
        companies = (
            self.env["res.company"].sudo().browse(company_ids)
            if company_ids
            else self.env["res.company"].sudo().search([])
        )
        for company in companies:
            try:
                with self.env.cr.savepoint():
                    # sudo: the right to recompute was checked above; scoring reads all
                    self.sudo()._recompute_company(
                        company, date_ref or company._crm_today(), partner_ids
                    )
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                # another transaction changed the same scores: the request (or
                # the cron's batch) runs again, the user sees no error
                raise
            except Exception as error:
                _logger.exception("Relationship scoring failed for %s", company.name)
                raise UserError(
                    _(
                        "The relationship scores of %(company)s could not be "
                        "recomputed; the previous scores are kept.\n%(error)s",
                        company=company.name,
                        error=error,
                    )
                ) from error
            finally:
                self._drop_stage()
        self.env.invalidate_all()
        return True

    @api.model
    def _tiers_of(self, partners, companies):
        """``{(partner id, company id): tier}`` of these customers' score rows, in
        one query. Read as superuser: the tier decides the service a customer gets
        (SLA policy, survey strata) whoever records the complaint or the answer (a
        portal customer, a service agent without access to the scores)."""
        rows = self.sudo().search_fetch(
            [("partner_id", "in", partners.ids), ("company_id", "in", companies.ids)],
            ["partner_id", "company_id", "tier"],
        )
        return {(r.partner_id.id, r.company_id.id): r.tier for r in rows}

    def _check_recompute_rights(self):
        if not (
            self.env.su
            or self.env.user.has_group("crm_relationship.group_relationship_manager")
        ):
            raise AccessError(
                _("Only Relationship Managers can recompute relationship scores.")
            )

    def _recompute_company(self, company, date_ref, partner_ids=None, chunk_size=None):
        """Stage the figures of the company's customers, then apply them in one go.

        With ``chunk_size`` (the daily cron) the staging runs in chunks of customers
        and commits between them, reporting progress; the scores themselves change
        only in the final step, so a failure anywhere before leaves them untouched.
        """
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(company)
        date_from = date_ref - timedelta(days=profile.window_days)
        targets = self._target_partners(partner_ids)
        # the staging reads the stored flag of deliveries done in this transaction
        self.env["stock.picking"].flush_model(["delivered_on_time"])
        self._drop_stage()
        with self._without_jit():
            self._recompute_company_steps(
                company, profile, date_ref, date_from, targets, chunk_size
            )

    @contextmanager
    def _without_jit(self):
        """PostgreSQL's JIT compiles the large scoring expressions for longer than
        it saves (at 100k customers: 1.4 s of a 1.9 s incremental run). Off for
        these statements only; the caller's setting comes back afterwards."""
        cr = self.env.cr
        cr.execute(SQL("SELECT current_setting('jit')"))
        previous = cr.fetchone()[0]
        cr.execute(SQL("SELECT set_config('jit', 'off', true)"))
        # no finally: after an error the setting goes with the rollback (of the
        # transaction or the caller's savepoint), and a statement in the aborted
        # transaction would hide the error (a serialization failure is retried)
        yield
        cr.execute(SQL("SELECT set_config('jit', %s, true)", previous))

    def _recompute_company_steps(
        self, company, profile, date_ref, date_from, targets, chunk_size
    ):
        queued = None
        if chunk_size and targets is None:
            # the marks this run has seen: the later chunks and the final step run
            # on later snapshots, where postings committed meanwhile have marked
            # customers their chunk did not see
            queued = self._queued_marks(company)
            chunks = self._customer_chunks(company, date_ref, chunk_size)
            for done, chunk in enumerate(chunks, start=1):
                self._stage(company, date_ref, date_from, chunk)
                self._commit_progress(done, len(chunks) - done + 1)
                # a commit ends the transaction, and with it SET LOCAL settings
                self.env.cr.execute(SQL("SELECT set_config('jit', 'off', true)"))
        else:
            self._stage(company, date_ref, date_from, targets)
        self._apply_stage(company, profile, date_ref, targets, queued)

    def _commit_progress(self, done, remaining):
        cron.commit_progress(self.env, done, remaining)

    def _target_partners(self, partner_ids):
        """The commercial partners of ``partner_ids``, or None for every customer."""
        if partner_ids is None:
            return None
        partners = self.env["res.partner"].browse(partner_ids).exists()
        return sorted(set(partners.commercial_partner_id.ids))

    def _customer_chunks(self, company, date_ref, chunk_size):
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT commercial_partner_id FROM account_move
                 WHERE company_id = %s AND state = 'posted' AND move_type IN %s
                   AND invoice_date <= %s AND commercial_partner_id IS NOT NULL
                 ORDER BY 1
                """,
                company.id,
                CUSTOMER_MOVE_TYPES,
                date_ref,
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        return [ids[i : i + chunk_size] for i in range(0, len(ids), chunk_size)] or [[]]

    # ------------------------------------------------------------
    # STAGING: ONE SET-BASED QUERY PER SOURCE, INTO A TEMPORARY TABLE
    # ------------------------------------------------------------
    def _create_stage(self):
        """An empty stage of exactly the shape ``_stage`` creates (for tests)."""
        self._drop_stage()
        company = self.env.company
        today = company._crm_today()
        self.env.cr.execute(
            SQL(
                "CREATE TEMP TABLE crm_relationship_score_stage AS %s WITH NO DATA",
                self._stage_select(company, today, today, []),
            )
        )

    def _drop_stage(self):
        self.env.cr.execute(SQL("DROP TABLE IF EXISTS crm_relationship_score_stage"))

    def _customer_moves_where(self, company, date_ref, partners, alias="am"):
        move = SQL.identifier(alias)
        where = SQL(
            """%s.company_id = %s AND %s.state = 'posted' AND %s.move_type IN %s
               AND %s.invoice_date <= %s AND %s.commercial_partner_id IS NOT NULL""",
            move, company.id, move, move, CUSTOMER_MOVE_TYPES, move, date_ref, move,
        )  # fmt: skip
        if partners is not None:
            where = SQL(
                "%s AND %s.commercial_partner_id = ANY(%s)", where, move, partners
            )
        return where

    def _stage(self, company, date_ref, date_from, partners):
        """Stage the figures of ``partners`` (None: all): the four sources joined in
        one statement, each staged row written once.

        The first chunk creates the stage with CREATE TABLE AS, which PostgreSQL may
        run with parallel workers (INSERT ... SELECT never is): at 100k customers
        this halves the staging. Later chunks of the daily cron append to it.
        """
        cr = self.env.cr
        select = self._stage_select(company, date_ref, date_from, partners)
        cr.execute(SQL("SELECT to_regclass('pg_temp.crm_relationship_score_stage')"))
        if cr.fetchone()[0]:
            cr.execute(SQL("INSERT INTO crm_relationship_score_stage %s", select))
        else:
            # ON COMMIT PRESERVE ROWS (the default): the daily cron commits between
            # chunks
            cr.execute(
                SQL("CREATE TEMP TABLE crm_relationship_score_stage AS %s", select)
            )
        # a temporary table has no statistics until analysed: the upsert's plan
        # would assume a handful of rows
        cr.execute(SQL("ANALYZE crm_relationship_score_stage"))

    def _stage_select(self, company, date_ref, date_from, partners):
        """The staged row of each customer: the four sources joined, typed."""
        sources = self._source_queries(company, date_ref, date_from, partners)
        return SQL(
            """
            SELECT s.partner_id::integer AS partner_id, s.first_invoice_date,
                   s.last_invoice_date, s.frequency::integer AS frequency,
                   s.purchase_days::integer AS purchase_days,
                   s.monetary::numeric AS monetary, s.clv::numeric AS clv,
                   m.margin::numeric AS margin,
                   COALESCE(p.paid_count, 0)::integer AS paid_count,
                   COALESCE(p.late_count, 0)::integer AS late_count,
                   COALESCE(p.days_sum, 0)::numeric AS days_to_pay_sum,
                   COALESCE(p.overdue_count, 0)::integer AS overdue_count,
                   COALESCE(p.overdue_amount, 0)::numeric AS overdue_amount,
                   COALESCE(d.deliveries, 0)::integer AS delivery_count,
                   COALESCE(d.on_time, 0)::integer AS on_time_count,
                   COALESCE(d.returns, 0)::integer AS return_count,
                   COALESCE(c.complaints, 0)::integer AS complaint_count,
                   COALESCE(c.severity_points, 0)::integer AS severity_points,
                   COALESCE(c.breaches, 0)::integer AS breach_count,
                   r.rating_avg::numeric AS rating_avg,
                   COALESCE(r.ratings, 0)::integer AS rating_count,
                   n.nps::numeric AS nps_latest, q.csat_avg::numeric AS csat_avg
              FROM (%(sales)s) s
              LEFT JOIN (%(margin)s) m ON m.partner_id = s.partner_id
              LEFT JOIN (%(payments)s) p ON p.partner_id = s.partner_id
              LEFT JOIN (%(deliveries)s) d ON d.partner_id = s.partner_id
              LEFT JOIN (%(complaints)s) c ON c.partner_id = s.partner_id
              LEFT JOIN (%(ratings)s) r ON r.partner_id = s.partner_id
              LEFT JOIN (%(nps)s) n ON n.partner_id = s.partner_id
              LEFT JOIN (%(csat)s) q ON q.partner_id = s.partner_id
            """,
            **sources,
        )

    def _source_queries(self, company, date_ref, date_from, partners):
        """One SELECT per source, each giving one row per commercial partner."""
        moves_where = self._customer_moves_where(company, date_ref, partners)
        # Sales: RFM and lifetime value, from the customer documents' own totals
        # (amount_untaxed_signed is in company currency, negative for refunds)
        sales = SQL(
            """
            SELECT am.commercial_partner_id AS partner_id,
                   MIN(am.invoice_date) FILTER (WHERE am.move_type = 'out_invoice')
                       AS first_invoice_date,
                   MAX(am.invoice_date) FILTER (WHERE am.move_type = 'out_invoice')
                       AS last_invoice_date,
                   COUNT(*) FILTER (WHERE am.move_type = 'out_invoice'
                                      AND am.invoice_date > %(date_from)s)
                       AS frequency,
                   COUNT(DISTINCT am.invoice_date)
                       FILTER (WHERE am.move_type = 'out_invoice') AS purchase_days,
                   COALESCE(SUM(am.amount_untaxed_signed)
                            FILTER (WHERE am.invoice_date > %(date_from)s), 0)
                       AS monetary,
                   SUM(am.amount_untaxed_signed) AS clv
              FROM account_move am
             WHERE %(where)s
             GROUP BY am.commercial_partner_id
            """,
            date_from=date_from,
            where=moves_where,
        )
        # Margin: product lines whose product has a cost in this company
        margin = SQL(
            """
            SELECT am.commercial_partner_id AS partner_id,
                   SUM(-aml.balance - aml.quantity * cost.value
                       * CASE WHEN am.move_type = 'out_refund' THEN -1 ELSE 1 END)
                       AS margin
              FROM account_move am
              JOIN account_move_line aml ON aml.move_id = am.id
              JOIN product_product pp ON pp.id = aml.product_id,
                   LATERAL (SELECT (pp.standard_price ->> %(company)s)::numeric
                                   AS value) cost
             WHERE %(where)s AND aml.display_type = 'product'
               AND cost.value IS NOT NULL
             GROUP BY am.commercial_partner_id
            """,
            company=str(company.id),
            where=moves_where,
        )
        # Payments: per receivable line, what was settled by the reference date.
        # Payment behaviour reads payments only, as Odoo's payment_state does: a
        # credit note (any invoice-type counterpart) or the exchange difference of a
        # reconciliation lowers what the invoice asks for, it pays nothing. An
        # invoice credited in full ("reversed" in Odoo) is neither paid nor overdue;
        # one partly credited is paid on the day its last payment came. Each
        # receivable line is an instalment with its own due date (date_maturity): an
        # invoice is late when an instalment was paid after its due date, overdue
        # when one due before the reference date is still open, for what is open.
        payments = SQL(
            """
            WITH receivable AS (
                SELECT aml.id, am.id AS move_id,
                       am.commercial_partner_id AS partner_id, am.invoice_date,
                       COALESCE(aml.date_maturity, am.invoice_date_due,
                                am.invoice_date) AS due,
                       aml.balance
                  FROM account_move am
                  JOIN account_move_line aml ON aml.move_id = am.id
                  JOIN account_account acc ON acc.id = aml.account_id
                 WHERE %(where)s AND am.move_type = 'out_invoice'
                   AND acc.account_type = 'asset_receivable'
            ), settlement AS (
                SELECT receivable.id, apr.amount, apr.max_date,
                       counterpart.move_type = 'entry'
                       AND NOT EXISTS (SELECT 1 FROM account_partial_reconcile x
                                        WHERE x.exchange_move_id = counterpart.id)
                       AND NOT EXISTS (SELECT 1 FROM account_full_reconcile f
                                        WHERE f.exchange_move_id = counterpart.id)
                           AS is_payment
                  FROM receivable
                  JOIN account_partial_reconcile apr
                    ON apr.debit_move_id = receivable.id
                  JOIN account_move_line cl ON cl.id = apr.credit_move_id
                  JOIN account_move counterpart ON counterpart.id = cl.move_id
                 WHERE apr.max_date <= %(date_ref)s
            ), settled AS (
                SELECT id,
                       COALESCE(SUM(amount) FILTER (WHERE is_payment), 0) AS paid,
                       COALESCE(SUM(amount) FILTER (WHERE NOT is_payment), 0)
                           AS credited,
                       MAX(max_date) FILTER (WHERE is_payment) AS last_date
                  FROM settlement
                 GROUP BY id
            ), instalment AS (
                SELECT r.move_id, r.partner_id, r.invoice_date, r.due,
                       r.balance - COALESCE(s.credited, 0) AS asked,
                       r.balance - COALESCE(s.credited, 0) - COALESCE(s.paid, 0)
                           AS residual,
                       s.last_date
                  FROM receivable r
                  LEFT JOIN settled s ON s.id = r.id
            ), invoice AS (
                SELECT move_id, partner_id, invoice_date,
                       SUM(asked) AS asked, SUM(residual) AS residual,
                       MAX(last_date) AS paid_date,
                       COALESCE(BOOL_OR(last_date > due)
                           FILTER (WHERE asked >= %(half_cent)s), FALSE) AS late,
                       COALESCE(SUM(residual)
                           FILTER (WHERE residual >= %(half_cent)s
                                     AND due < %(date_ref)s), 0) AS overdue_open
                  FROM instalment
                 GROUP BY move_id, partner_id, invoice_date
            )
            SELECT partner_id,
                   COUNT(*) FILTER (WHERE paid AND invoice_date > %(date_from)s)
                       AS paid_count,
                   COUNT(*) FILTER (WHERE paid AND invoice_date > %(date_from)s
                                      AND late) AS late_count,
                   COALESCE(SUM(paid_date - invoice_date)
                       FILTER (WHERE paid AND invoice_date > %(date_from)s), 0)
                       AS days_sum,
                   COUNT(*) FILTER (WHERE NOT paid
                                      AND overdue_open >= %(half_cent)s)
                       AS overdue_count,
                   COALESCE(SUM(overdue_open) FILTER (WHERE NOT paid), 0)
                       AS overdue_amount
              FROM (SELECT *, residual < %(half_cent)s AS paid FROM invoice
                     WHERE asked >= %(half_cent)s) i
             GROUP BY partner_id
            """,
            where=moves_where,
            date_ref=date_ref,
            date_from=date_from,
            half_cent=company.currency_id.rounding / 2,
        )
        # Deliveries done in the window, and returns of deliveries. Datetimes are cut
        # into days in the company's time zone: the window's local days run from
        # ``start`` to ``end`` in UTC; a delivery is on time as its stored
        # ``delivered_on_time`` says (stock.picking, the one definition).
        tz = company._crm_tz()
        start, end = dates.utc_bounds(date_from + timedelta(days=1), date_ref, tz)
        partner_filter = (
            SQL("TRUE")
            if partners is None
            else SQL("rp.commercial_partner_id = ANY(%s)", partners)
        )
        deliveries = SQL(
            """
            SELECT rp.commercial_partner_id AS partner_id,
                   COUNT(*) FILTER (WHERE spt.code = 'outgoing') AS deliveries,
                   COUNT(*) FILTER (
                       WHERE spt.code = 'outgoing' AND sp.delivered_on_time
                   ) AS on_time,
                   COUNT(*) FILTER (WHERE spt.code = 'incoming') AS returns
              FROM stock_picking sp
              JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
              JOIN res_partner rp ON rp.id = sp.partner_id
             WHERE sp.company_id = %(company)s AND sp.state = 'done'
               AND sp.date_done >= %(start)s AND sp.date_done < %(end)s
               AND ((spt.code = 'outgoing' AND sp.return_id IS NULL)
                    OR (spt.code = 'incoming' AND sp.return_id IS NOT NULL))
               AND %(partner_filter)s
             GROUP BY rp.commercial_partner_id
            """,
            company=company.id,
            start=start,
            end=end,
            partner_filter=partner_filter,
        )
        # Service: complaints opened in the window, and the ratings of complaints
        # given in it (rating 0 is "no rating yet")
        service_filter = SQL(
            """c.company_id = %(company)s
               AND c.create_date >= %(start)s AND c.create_date < %(end)s
               AND %(partner_filter)s""",
            company=company.id,
            start=start,
            end=end,
            partner_filter=partner_filter,
        )
        severity = SQL(
            "CASE c.severity %s ELSE 0 END",
            SQL(" ").join(
                SQL("WHEN %s THEN %s", name, points)
                for name, points in scoring.SEVERITY_POINTS.items()
            ),
        )
        complaints = SQL(
            """
            SELECT rp.commercial_partner_id AS partner_id, COUNT(*) AS complaints,
                   SUM(%(severity)s) AS severity_points,
                   COUNT(*) FILTER (WHERE c.sla_breached) AS breaches
              FROM crm_complaint c
              JOIN res_partner rp ON rp.id = c.partner_id
             WHERE %(where)s
             GROUP BY rp.commercial_partner_id
            """,
            severity=severity,
            where=service_filter,
        )
        ratings = SQL(
            """
            SELECT rp.commercial_partner_id AS partner_id,
                   AVG(rr.rating) AS rating_avg, COUNT(*) AS ratings
              FROM rating_rating rr
              JOIN crm_complaint c
                ON rr.res_model = 'crm.complaint' AND rr.res_id = c.id
              JOIN res_partner rp ON rp.id = c.partner_id
             WHERE rr.consumed AND rr.rating > 0
               AND c.company_id = %(company)s
               AND rr.write_date >= %(start)s AND rr.write_date < %(end)s
               AND %(partner_filter)s
             GROUP BY rp.commercial_partner_id
            """,
            company=company.id,
            start=start,
            end=end,
            partner_filter=partner_filter,
        )
        # What the customer said in surveys: the latest NPS answer given by the end
        # of the reference date, and the mean CSAT of the window
        survey_partner_filter = (
            SQL("TRUE")
            if partners is None
            else SQL("ui.crm_partner_id = ANY(%s)", partners)
        )
        nps = SQL(
            """
            SELECT DISTINCT ON (ui.crm_partner_id) ui.crm_partner_id AS partner_id,
                   ui.crm_nps AS nps
              FROM survey_user_input ui
             WHERE ui.crm_company_id = %(company)s AND ui.state = 'done'
               AND ui.crm_nps_category IS NOT NULL AND ui.end_datetime < %(end)s
               AND %(partner_filter)s
             ORDER BY ui.crm_partner_id, ui.end_datetime DESC, ui.id DESC
            """,
            company=company.id,
            end=end,
            partner_filter=survey_partner_filter,
        )
        csat = SQL(
            """
            SELECT ui.crm_partner_id AS partner_id, AVG(ui.crm_csat) AS csat_avg
              FROM survey_user_input ui
             WHERE ui.crm_company_id = %(company)s AND ui.state = 'done'
               AND ui.crm_csat > 0
               AND ui.end_datetime >= %(start)s AND ui.end_datetime < %(end)s
               AND %(partner_filter)s
             GROUP BY ui.crm_partner_id
            """,
            company=company.id,
            start=start,
            end=end,
            partner_filter=survey_partner_filter,
        )
        return {
            "sales": sales,
            "margin": margin,
            "payments": payments,
            "deliveries": deliveries,
            "complaints": complaints,
            "ratings": ratings,
            "nps": nps,
            "csat": csat,
        }

    # ------------------------------------------------------------
    # APPLYING: RANK THE STAGED CUSTOMERS AGAINST THE COMPANY, WRITE EACH ROW ONCE
    # ------------------------------------------------------------
    def _queued_marks(self, company):
        """Ids of the company's marks visible to this transaction."""
        self.env.cr.execute(
            SQL(
                "SELECT id FROM crm_relationship_score_queue WHERE company_id = %s",
                company.id,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _apply_stage(self, company, profile, date_ref, targets, queued=None):
        """Replace the scores of ``targets`` (None: every customer) by the staged
        figures, then empty the marks the staging has seen: those of ``queued``
        (ids) if given, else those of ``targets`` visible to this transaction (the
        staging's snapshot: Odoo's REPEATABLE READ). A mark committed after that
        snapshot is a posting the staging did not see: it stays for the next run.
        """
        cr = self.env.cr
        self.flush_model()
        scope = (
            SQL("TRUE")
            if targets is None
            else SQL("score.partner_id = ANY(%s)", targets)
        )
        # Customers who no longer have any posted document in this company
        cr.execute(
            SQL(
                """
                DELETE FROM crm_relationship_score score
                 WHERE score.company_id = %s AND %s
                   AND NOT EXISTS (SELECT 1 FROM crm_relationship_score_stage s
                                    WHERE s.partner_id = score.partner_id)
                """,
                company.id,
                scope,
            )
        )
        current = date_ref >= company._crm_today()
        # the rows before a recompute as of today: the tier policies apply to the
        # customers who changed tier, and each change becomes an event record that
        # Automation Rules can act on (at 100k customers a copy of three columns)
        track = current and any(
            p.payment_term_id or p.credit_limit_mode != "none"
            for p in self.env["crm.tier.policy"]._policies_of(company).values()
        )
        if current:
            cr.execute(SQL("DROP TABLE IF EXISTS pg_temp.crm_score_before"))
            cr.execute(
                SQL(
                    """
                    CREATE TEMPORARY TABLE crm_score_before ON COMMIT DROP AS
                    SELECT score.partner_id, score.tier, score.churn_state,
                           score.health_score, score.date_ref
                      FROM crm_relationship_score score
                     WHERE score.company_id = %s AND %s
                    """,
                    company.id,
                    scope,
                )
            )
        cr.execute(self._upsert_sql(company, profile, date_ref))
        self._after_upsert(company, targets)
        self._snapshot(company, date_ref, scope)
        if track:
            self._apply_tier_policies(company, scope)
        if current:
            self.env["stock.picking"]._refresh_crm_tier(company, targets)
            self.env["crm.relationship.event"]._create_from_recompute(
                company, date_ref, profile.health_drop_points
            )
            cr.execute(SQL("DROP TABLE pg_temp.crm_score_before"))
        cr.execute(
            SQL(
                """
                DELETE FROM crm_relationship_score_queue queue
                 WHERE queue.company_id = %s AND %s
                """,
                company.id,
                SQL("queue.id = ANY(%s)", queued)
                if queued is not None
                else SQL("TRUE")
                if targets is None
                else SQL("queue.partner_id = ANY(%s)", targets),
            )
        )
        self.invalidate_model()
        self._refresh_nps(company, targets, date_ref)

    def _after_upsert(self, company, targets):
        """Hook: change the rows just written (``targets``: commercial partner ids,
        or None for all), before the snapshot and the events read them."""

    def _apply_tier_policies(self, company, scope):
        """After a recompute as of today: the customers who changed tier get their
        new tier's payment terms and credit limit."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT score.partner_id, before.tier, score.tier
                  FROM crm_relationship_score score
                  LEFT JOIN crm_score_before before
                    ON before.partner_id = score.partner_id
                 WHERE score.company_id = %s AND %s
                   AND score.tier IS DISTINCT FROM before.tier
                """,
                company.id,
                scope,
            )
        )
        changes = {pid: (previous, tier) for pid, previous, tier in cr.fetchall()}
        self.env["res.partner"]._crm_apply_tier_policies(company, changes)

    def _refresh_nps(self, company, partner_ids=None, date_ref=None):
        """Write on the company's score rows (of ``partner_ids``, or all) the latest
        NPS answer of each customer given by the end of ``date_ref`` (a day in the
        company's time zone; no bound when empty): score, category, day and reason.
        A customer without an answer gets none: unknown, not zero. One statement."""
        Answer = self.env["survey.user_input"]
        Answer.flush_model(
            ["crm_partner_id", "crm_company_id", "state", "end_datetime", "crm_nps",
             "crm_nps_category", "crm_nps_reason"]
        )  # fmt: skip
        self.flush_model()
        tz = company._crm_tz()
        until = dates.utc_bounds(date_ref, date_ref, tz)[1] if date_ref else None
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_relationship_score score
                   SET (nps_score, nps_category, nps_date, nps_reason) = (
                        SELECT answer.crm_nps, answer.crm_nps_category, %(day)s,
                               answer.crm_nps_reason
                          FROM survey_user_input answer
                         WHERE answer.crm_partner_id = score.partner_id
                           AND answer.crm_company_id = score.company_id
                           AND answer.state = 'done'
                           AND answer.crm_nps_category IS NOT NULL
                           AND (%(until)s::timestamp IS NULL
                                OR answer.end_datetime < %(until)s::timestamp)
                         ORDER BY answer.end_datetime DESC, answer.id DESC
                         LIMIT 1)
                 WHERE score.company_id = %(company)s AND %(scope)s
                """,
                day=dates.local_date_sql(SQL("answer.end_datetime"), tz),
                until=until,
                company=company.id,
                scope=SQL("TRUE")
                if partner_ids is None
                else SQL("score.partner_id = ANY(%s)", list(partner_ids)),
            )
        )
        self.invalidate_model(["nps_score", "nps_category", "nps_date", "nps_reason"])

    def _health_components(self, company):
        """``{name: SQL}``: each health component, 0-100 or NULL when unknown, over
        a row of the ranked staging. Modules may add components: each needs the
        score columns ``<name>_component`` and ``<name>_contribution``, a weight
        in :meth:`_health_weights`, and, for the history and "what changed", a
        ``<name>_contribution`` column on the history and a label in
        :meth:`_change_components`."""
        return {
            "recency": SQL("(r_score - 1) * 25.0"),
            "frequency": SQL("(f_score - 1) * 25.0"),
            "monetary": SQL("(m_score - 1) * 25.0"),
            "payment": SQL(
                """CASE WHEN paid_invoice_count + overdue_invoice_count > 0
                   THEN 100.0 * (1 - (late_invoice_count + overdue_invoice_count)
                                     ::numeric
                                 / (paid_invoice_count + overdue_invoice_count)) END"""
            ),
            "delivery": SQL(
                """CASE WHEN delivery_count > 0
                   THEN 100.0 * on_time_delivery_count / delivery_count
                        * (1 - LEAST(1, return_count::numeric / delivery_count)) END"""
            ),
            "complaint": SQL(
                """CASE WHEN complaint_count > 0
                   THEN GREATEST(0, 100.0 - 10.0 * (complaint_severity_points
                                                    + complaint_breach_count)) END"""
            ),
            "satisfaction": self._satisfaction_sql(company),
        }

    def _satisfaction_sql(self, company):
        """SQL of ``tools.scoring.satisfaction``: the latest NPS, the window's CSAT
        and the complaint ratings, weighted by the profile over the parts known."""
        weights = (
            self.env["crm.relationship.scoring.profile"]
            ._get_for_company(company)
            ._satisfaction_weights()
        )
        parts = {
            "nps": SQL("nps_latest * 10.0"),
            "csat": SQL("(csat_avg - 1) * 25.0"),
            "rating": SQL(
                "CASE WHEN rating_count > 0 THEN (satisfaction_rating - 1) * 25.0 END"
            ),
        }
        known = SQL(" + ").join(
            SQL("CASE WHEN %s IS NULL THEN 0 ELSE %s END", part, weights[name])
            for name, part in parts.items()
        )
        points = SQL(" + ").join(
            SQL("COALESCE(%s * %s, 0)", weights[name], part)
            for name, part in parts.items()
        )
        return SQL("(%s) / NULLIF(%s, 0)", points, known)

    def _health_weights(self, company, profile):
        """``{name: weight}`` of the components of :meth:`_health_components`."""
        return profile._weights()

    def _upsert_sql(self, company, profile, date_ref):
        """Ranks, segments, components, health, tier and trend of the staged
        customers, upserted in one statement: one write per row.

        Quintiles and ABC rank the staged customers among all the company's
        customers: the staged figures for them, the stored ones for the others (an
        incremental run), which are read but not written; they keep the ranks of
        their last recompute until the daily one.
        """
        weights = self._health_weights(company, profile)
        components = self._health_components(company)
        # weights of the known components: the denominator of every contribution
        known_weight = SQL(" + ").join(
            SQL(
                "CASE WHEN %s IS NULL THEN 0 ELSE %s END",
                SQL.identifier(f"{name}_component"),
                w,
            )
            for name, w in weights.items()
        )
        contributions = SQL(", ").join(
            SQL(
                "%s * %s / NULLIF(known_weight, 0) AS %s",
                weights[name],
                SQL.identifier(f"{name}_component"),
                SQL.identifier(f"{name}_contribution"),
            )
            for name in components
        )
        health = SQL(
            "CASE WHEN known_weight > 0 THEN %s END",
            SQL(" + ").join(
                SQL("COALESCE(%s, 0)", SQL.identifier(f"{name}_contribution"))
                for name in components
            ),
        )
        tier = SQL(
            "CASE WHEN health IS NULL THEN NULL %s ELSE 'F' END",
            SQL(" ").join(
                SQL("WHEN health >= %s THEN %s", minimum, name)
                for name, minimum in zip(
                    scoring.TIERS, profile._thresholds(), strict=False
                )
            ),
        )
        component_columns = [
            column
            for name in components
            for column in (f"{name}_component", f"{name}_contribution")
        ]
        columns = [
            *self._STAGED_COLUMNS,
            "r_score",
            "f_score",
            "m_score",
            "abc_class",
            "rfm_segment",
            *component_columns,
            "health_score",
            "tier",
            "previous_health_score",
            "previous_tier",
            "score_delta",
            "tier_trend",
            "churn_state",
        ]
        return SQL(
            """
            WITH staged AS (
                SELECT s.partner_id, rp.user_id,
                       s.first_invoice_date, s.last_invoice_date,
                       %(date_ref)s - s.last_invoice_date AS recency_days,
                       s.frequency, s.monetary, s.clv AS clv_historical,
                       COALESCE(s.margin, 0) AS gross_margin,
                       s.margin IS NOT NULL AS margin_known,
                       s.paid_count AS paid_invoice_count,
                       s.late_count AS late_invoice_count,
                       s.days_to_pay_sum / NULLIF(s.paid_count, 0) AS avg_days_to_pay,
                       s.late_count::numeric / NULLIF(s.paid_count, 0)
                           AS late_payment_rate,
                       s.overdue_count AS overdue_invoice_count, s.overdue_amount,
                       s.paid_count + s.overdue_count > 0 AS payment_known,
                       s.delivery_count, s.on_time_count AS on_time_delivery_count,
                       s.return_count,
                       s.on_time_count::numeric / NULLIF(s.delivery_count, 0)
                           AS on_time_delivery_rate,
                       LEAST(1, s.return_count::numeric / NULLIF(s.delivery_count, 0))
                           AS return_rate,
                       s.delivery_count > 0 AS delivery_known,
                       s.complaint_count,
                       s.severity_points AS complaint_severity_points,
                       s.breach_count AS complaint_breach_count,
                       s.complaint_count > 0 AS complaint_known,
                       s.rating_avg AS satisfaction_rating, s.rating_count,
                       s.nps_latest, s.csat_avg,
                       s.rating_count > 0 OR s.nps_latest IS NOT NULL
                           OR s.csat_avg IS NOT NULL AS satisfaction_known,
                       s.purchase_days AS purchase_count,
                       (s.last_invoice_date - s.first_invoice_date)::numeric
                           / NULLIF(s.purchase_days - 1, 0) AS purchase_interval_days
                  FROM crm_relationship_score_stage s
                  JOIN res_partner rp ON rp.id = s.partner_id
            ), population AS (
                SELECT partner_id, recency_days, frequency, monetary FROM staged
                UNION ALL
                SELECT score.partner_id, score.recency_days, score.frequency,
                       score.monetary
                  FROM crm_relationship_score score
                 WHERE score.company_id = %(company)s
                   AND NOT EXISTS (SELECT 1 FROM crm_relationship_score_stage s
                                    WHERE s.partner_id = score.partner_id)
            ), active AS (
                -- R, F, M: ceil(5 * k / n) in integer arithmetic, k the active
                -- customers at or below (peers included: ties share a score)
                SELECT partner_id,
                       COUNT(*) OVER () AS n,
                       COUNT(*) OVER (ORDER BY recency_days DESC) AS r_k,
                       COUNT(*) OVER (ORDER BY frequency) AS f_k,
                       COUNT(*) OVER (ORDER BY monetary) AS m_k
                  FROM population WHERE frequency > 0
            ), positive AS (
                -- the share held by those ranked before: a running total minus
                -- the row itself (a frame ending at 1 PRECEDING is not aggregated
                -- incrementally by PostgreSQL: 1 s instead of 20 ms at 100k rows)
                SELECT partner_id,
                       SUM(monetary) OVER (ORDER BY monetary DESC, partner_id
                                           ROWS UNBOUNDED PRECEDING) - monetary
                           AS before,
                       SUM(monetary) OVER () AS total
                  FROM population WHERE monetary > 0
            ), ranked AS (
                SELECT staged.*,
                       COALESCE((5 * a.r_k + a.n - 1) / a.n, 1) AS r_score,
                       COALESCE((5 * a.f_k + a.n - 1) / a.n, 1) AS f_score,
                       COALESCE((5 * a.m_k + a.n - 1) / a.n, 1) AS m_score,
                       CASE WHEN p.partner_id IS NULL THEN 'C'
                            WHEN 100 * p.before / p.total < %(a_share)s THEN 'A'
                            WHEN 100 * p.before / p.total < %(b_share)s THEN 'B'
                            ELSE 'C' END AS abc_class
                  FROM staged
                  LEFT JOIN active a ON a.partner_id = staged.partner_id
                  LEFT JOIN positive p ON p.partner_id = staged.partner_id
            -- MATERIALIZED: inlined, each step's expression would be copied into
            -- every use of it downstream (health into each of the tier tests),
            -- hundreds of numeric operations per row instead of a few dozen
            ), with_components AS MATERIALIZED (
                SELECT ranked.*, %(components)s FROM ranked
            ), with_known AS (
                SELECT *, %(known_weight)s AS known_weight FROM with_components
            ), with_contributions AS (
                SELECT *, %(contributions)s FROM with_known
            ), with_health AS MATERIALIZED (
                SELECT *, %(health)s AS health_score FROM with_contributions
            ), final AS (
                SELECT w.*, %(segment)s AS rfm_segment, t.tier,
                       prev.health_score AS previous_health_score,
                       prev.tier AS previous_tier,
                       w.health_score - prev.health_score AS score_delta,
                       CASE WHEN prev.tier IS NULL THEN 'new'
                            WHEN t.tier < prev.tier THEN 'up'
                            WHEN t.tier > prev.tier THEN 'down'
                            ELSE 'same' END AS tier_trend,
                       %(churn)s AS churn_state
                  FROM with_health w,
                       LATERAL (SELECT %(tier)s AS tier
                                  FROM (SELECT w.health_score AS health) h) t
                  LEFT JOIN LATERAL (
                    SELECT h.health_score, h.tier
                      FROM crm_relationship_score_history h
                     WHERE h.partner_id = w.partner_id
                       AND h.company_id = %(company)s
                       AND h.snapshot_date < %(date_ref)s
                     ORDER BY h.snapshot_date DESC LIMIT 1
                  ) prev ON TRUE
            )
            INSERT INTO crm_relationship_score AS score
                (company_id, date_ref, window_days, last_recompute,
                 create_uid, create_date, write_uid, write_date, %(columns)s)
            SELECT %(company)s, %(date_ref)s, %(window)s, now() AT TIME ZONE 'UTC',
                   %(uid)s, now() AT TIME ZONE 'UTC',
                   %(uid)s, now() AT TIME ZONE 'UTC', %(values)s
              FROM final
            ON CONFLICT (partner_id, company_id) DO UPDATE SET
                date_ref = EXCLUDED.date_ref, window_days = EXCLUDED.window_days,
                last_recompute = EXCLUDED.last_recompute,
                write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date,
                %(updates)s
            """,
            date_ref=date_ref,
            company=company.id,
            a_share=profile.abc_a_share,
            b_share=profile.abc_b_share,
            components=SQL(", ").join(
                SQL("%s AS %s", expr, SQL.identifier(f"{name}_component"))
                for name, expr in components.items()
            ),
            known_weight=known_weight,
            contributions=contributions,
            health=health,
            tier=tier,
            segment=scoring.rfm_segment_sql(
                SQL("w.r_score"), SQL("w.f_score"), SQL("w.m_score")
            ),
            churn=self._churn_sql(profile),
            window=profile.window_days,
            uid=self.env.uid,
            columns=SQL(", ").join(SQL.identifier(c) for c in columns),
            values=SQL(", ").join(SQL.identifier(c) for c in columns),
            updates=SQL(", ").join(
                SQL("%s = EXCLUDED.%s", SQL.identifier(c), SQL.identifier(c))
                for c in columns
                if c != "partner_id"
            ),
        )

    def _churn_sql(self, profile):
        """``scoring.churn_state`` over the ``w`` row of the upsert."""
        params = profile._churn_params()
        return SQL(
            """
            CASE WHEN w.last_invoice_date IS NULL THEN NULL
                 WHEN w.purchase_count >= 2 THEN
                    CASE WHEN w.recency_days > GREATEST(
                                %(lost_multiple)s * w.purchase_interval_days,
                                %(min_days)s) THEN 'lost'
                         WHEN w.recency_days > GREATEST(
                                %(risk_multiple)s * w.purchase_interval_days,
                                %(min_days)s) THEN 'at_risk'
                         ELSE 'active' END
                 WHEN w.recency_days > %(single_lost_days)s THEN 'lost'
                 WHEN w.recency_days > %(single_risk_days)s THEN 'at_risk'
                 ELSE 'active' END
            """,
            **params,
        )

    def _snapshot_columns(self):
        """Columns copied from the score row into its history snapshot, under the
        same name in both tables. Modules that add a figure worth comparing over
        time (a component's contribution, a prediction) add its column to both
        models and here."""
        return [
            "health_score",
            "tier",
            "r_score",
            "f_score",
            "m_score",
            "rfm_segment",
            "abc_class",
            "recency_days",
            "frequency",
            "monetary",
            "clv_historical",
            "overdue_amount",
            "on_time_delivery_rate",
            "user_id",
            "churn_state",
            *(f"{name}_contribution" for name in self._change_components()),
        ]

    def _snapshot(self, company, date_ref, scope):
        """One history row per customer and reference date (a re-run replaces it),
        with the columns of :meth:`_snapshot_columns`, in one statement."""
        columns = [SQL.identifier(c) for c in self._snapshot_columns()]
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_relationship_score_history AS h (
                    partner_id, company_id, snapshot_date, %(columns)s,
                    create_uid, create_date, write_uid, write_date)
                SELECT score.partner_id, score.company_id, %(date_ref)s,
                       %(values)s,
                       %(uid)s, now() AT TIME ZONE 'UTC',
                       %(uid)s, now() AT TIME ZONE 'UTC'
                  FROM crm_relationship_score score
                 WHERE score.company_id = %(company)s AND %(scope)s
                ON CONFLICT (partner_id, company_id, snapshot_date) DO UPDATE SET
                    %(updates)s, write_date = EXCLUDED.write_date
                """,
                columns=SQL(", ").join(columns),
                values=SQL(", ").join(SQL("score.%s", c) for c in columns),
                updates=SQL(", ").join(SQL("%s = EXCLUDED.%s", c, c) for c in columns),
                date_ref=date_ref,
                uid=self.env.uid,
                company=company.id,
                scope=scope,
            )
        )

    # ------------------------------------------------------------
    # CRONS
    # ------------------------------------------------------------
    @api.model
    @in_user_language
    def _cron_recompute_all(self, chunk_size=20000):
        """Daily: every customer of every company, staged in committed chunks, then
        applied per company in one step; old history is pruned."""
        companies = self.env["res.company"].search([])
        for done, company in enumerate(companies, start=1):
            self._run_batch(
                lambda company=company: self._recompute_company_batch(
                    company, company._crm_today(), chunk_size=chunk_size
                ),
                done,
                len(companies) - done,
            )
        self._prune_history()

    @api.model
    @in_user_language
    def _cron_recompute_marked(self, batch_size=5000, date_ref=None):
        """Frequent: only the customers marked by postings, payments and deliveries."""
        self.env.cr.execute(
            SQL(
                """
                SELECT company_id, array_agg(DISTINCT partner_id ORDER BY partner_id)
                  FROM crm_relationship_score_queue GROUP BY company_id
                """
            )
        )
        queued = self.env.cr.fetchall()
        total = sum(len(ids) for _c, ids in queued)
        done = 0
        for company_id, partner_ids in queued:
            company = self.env["res.company"].browse(company_id)
            for start in range(0, len(partner_ids), batch_size):
                batch = partner_ids[start : start + batch_size]
                done += len(batch)
                self._run_batch(
                    lambda company=company, batch=batch: self._recompute_marked_batch(
                        company, date_ref or company._crm_today(), batch
                    ),
                    done,
                    total - done,
                )

    def _recompute_marked_batch(self, company, date_ref, partner_ids):
        """Recompute those of ``partner_ids`` (ids) still marked in ``company`` on
        this transaction's snapshot. A batch run again after a concurrency failure,
        or beside another run of the frequent cron (a second worker, "Recompute
        now"), leaves out the customers that run has already done and unmarked:
        ranked again later against the company's newer scores, they would get
        figures no single run gives."""
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT partner_id FROM crm_relationship_score_queue
                 WHERE company_id = %s AND partner_id = ANY(%s)
                 ORDER BY partner_id
                """,
                company.id,
                list(partner_ids),
            )
        )
        marked = [row[0] for row in self.env.cr.fetchall()]
        if marked:
            self._recompute_company_batch(company, date_ref, marked)

    def _recompute_company_batch(self, company, date_ref, partner_ids=None, **kwargs):
        """A cron's step. No ``finally``: after a failure the transaction is
        aborted (a statement there would replace a serialization failure, which the
        cron retries, by an error it does not); its rollback drops a stage made in
        it, and the next recompute drops one left by committed chunks."""
        self._recompute_company(company, date_ref, partner_ids, **kwargs)
        self._drop_stage()

    def _run_batch(self, work, done, remaining):
        """One committed batch of a scoring cron, run again when a concurrent
        transaction changed the same rows (see ``tools.cron.run_batch``)."""
        cron.run_batch(self.env, work, done, remaining)

    @api.model
    def _prune_history(self):
        """Drop the snapshots older than each profile's history, counted from the
        company's today (snapshots are dated by the company's days)."""
        companies = self.env["res.company"].search([])
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM crm_relationship_score_history h
                 USING crm_relationship_scoring_profile p,
                       (VALUES %s) AS today(company_id, day)
                 WHERE p.company_id = h.company_id
                   AND today.company_id = h.company_id
                   AND h.snapshot_date < today.day - p.history_days
                """,
                SQL(", ").join(
                    SQL("(%s, %s::date)", company.id, company._crm_today())
                    for company in companies
                ),
            )
        )
