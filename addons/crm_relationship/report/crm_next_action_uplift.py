from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import uplift


class CrmNextActionUplift(models.Model):
    """What happened to the customers each rule proposed an action for, against the
    customers it held back, per rule and month of proposal.

    Intention to treat: every proposal outside the control group counts as treated,
    accepted or not, because comparing only the accepted ones would compare the
    customers people chose to act on. Revenue per customer is the net invoiced
    amount (invoices less credit notes, company currency, untaxed) in the days
    measured after the proposal; the purchase rate is the share of customers with a
    positive net amount there; the churn rate the share whose score row says "lost"
    now. Differences come with 95 % intervals (tools/uplift.py: Welch for revenue,
    Newcombe for rates). Rows are rewritten by the daily generation.
    """

    _name = "crm.next.action.uplift"
    _description = "Next best action uplift"
    _order = "period desc, rule_id"

    rule_id = fields.Many2one("crm.next.action.rule", required=True, readonly=True)
    kind = fields.Selection(related="rule_id.kind")
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    period = fields.Date(
        "Month", readonly=True, help="Month the actions were proposed."
    )
    window_end = fields.Date(
        "Measured until",
        readonly=True,
        help="The end of the measuring window of the month's last proposal.",
    )
    window_complete = fields.Boolean("Window over", readonly=True)
    treated_count = fields.Integer("Acted on", readonly=True)
    accepted_count = fields.Integer("Accepted", readonly=True)
    control_count = fields.Integer("Held back", readonly=True)
    treated_revenue = fields.Monetary("Revenue per customer (acted on)", readonly=True)
    control_revenue = fields.Monetary("Revenue per customer (held back)", readonly=True)
    revenue_uplift = fields.Monetary("Revenue uplift", readonly=True)
    revenue_low = fields.Monetary("Revenue uplift: low", readonly=True)
    revenue_high = fields.Monetary("Revenue uplift: high", readonly=True)
    treated_purchase_rate = fields.Float("Purchase rate (acted on, %)", readonly=True)
    control_purchase_rate = fields.Float("Purchase rate (held back, %)", readonly=True)
    purchase_uplift = fields.Float("Purchase rate uplift (points)", readonly=True)
    purchase_low = fields.Float("Purchase uplift: low", readonly=True)
    purchase_high = fields.Float("Purchase uplift: high", readonly=True)
    treated_churn_rate = fields.Float("Churn rate (acted on, %)", readonly=True)
    control_churn_rate = fields.Float("Churn rate (held back, %)", readonly=True)
    churn_uplift = fields.Float("Churn rate change (points)", readonly=True)
    churn_low = fields.Float("Churn change: low", readonly=True)
    churn_high = fields.Float("Churn change: high", readonly=True)
    interval_known = fields.Boolean(readonly=True)
    revenue_significant = fields.Boolean(readonly=True)
    purchase_significant = fields.Boolean(readonly=True)
    churn_significant = fields.Boolean(readonly=True)
    significant = fields.Boolean(
        "Effect shown",
        readonly=True,
        help="At least one of the three differences has a 95 % interval that "
        "excludes zero.",
    )
    conclusion = fields.Char(compute="_compute_conclusion")

    @api.depends_context("lang")
    @api.depends(
        "significant", "control_count", "treated_count", "window_complete", "period"
    )
    def _compute_conclusion(self):
        _ = self.env._
        for row in self:
            if not row.control_count or not row.treated_count:
                row.conclusion = _("Nothing to compare: no customer held back.")
            elif not row.window_complete:
                row.conclusion = _(
                    "Still measuring until %(date)s.",
                    date=fields.Date.to_string(row.window_end),
                )
            elif not row.interval_known:
                row.conclusion = _("Too few customers to tell.")
            elif not row.significant:
                row.conclusion = _(
                    "Not distinguishable from zero: the effect may be nothing."
                )
            else:
                row.conclusion = " ".join(row._shown_effects())

    def _shown_effects(self):
        """One sentence per difference whose 95 % interval excludes zero."""
        _ = self.env._
        money = self.currency_id.format
        effects = []
        if self.revenue_significant:
            effects.append(
                _(
                    "Revenue per customer %(diff)s (95 %% CI %(low)s to %(high)s).",
                    diff=money(self.revenue_uplift),
                    low=money(self.revenue_low),
                    high=money(self.revenue_high),
                )
            )
        for shown, label, diff, low, high in (
            (
                self.purchase_significant,
                _("Purchase rate"),
                self.purchase_uplift,
                self.purchase_low,
                self.purchase_high,
            ),
            (
                self.churn_significant,
                _("Churn rate"),
                self.churn_uplift,
                self.churn_low,
                self.churn_high,
            ),
        ):
            if shown:
                diff, low, high = (f"{v:+.1f}" for v in (diff, low, high))
                effects.append(
                    _(
                        "%(measure)s %(diff)s points (95 %% CI %(low)s to %(high)s).",
                        measure=label,
                        diff=diff,
                        low=low,
                        high=high,
                    )
                )
        return effects

    @api.model
    def _refresh(self, companies):
        """Rewrite the rows of ``companies`` from the actions, in one aggregate."""
        companies = companies.sudo()
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                WITH outcome AS (
                    SELECT a.rule_id, a.company_id, a.is_control,
                           date_trunc('month', a.date_proposed)::date AS period,
                           a.date_proposed + rule.measure_days AS window_end,
                           a.state IN ('accepted', 'done') AS accepted,
                           COALESCE(spent.amount, 0) AS revenue,
                           COALESCE(score.churn_state = 'lost', FALSE) AS churned
                      FROM crm_next_action a
                      JOIN crm_next_action_rule rule ON rule.id = a.rule_id
                      LEFT JOIN crm_relationship_score score
                        ON score.partner_id = a.partner_id
                       AND score.company_id = a.company_id
                      LEFT JOIN LATERAL (
                            SELECT SUM(am.amount_untaxed_signed) AS amount
                              FROM account_move am
                             WHERE am.company_id = a.company_id
                               AND am.commercial_partner_id = a.partner_id
                               AND am.state = 'posted'
                               AND am.move_type IN ('out_invoice', 'out_refund')
                               AND am.invoice_date > a.date_proposed
                               AND am.invoice_date <= a.date_proposed
                                                      + rule.measure_days
                      ) spent ON TRUE
                     WHERE a.company_id = ANY(%s)
                )
                SELECT rule_id, company_id, period, is_control, MAX(window_end),
                       COUNT(*), COUNT(*) FILTER (WHERE accepted),
                       AVG(revenue), VAR_SAMP(revenue),
                       COUNT(*) FILTER (WHERE revenue > 0),
                       COUNT(*) FILTER (WHERE churned)
                  FROM outcome
                 GROUP BY rule_id, company_id, period, is_control
                """,
                companies.ids,
            )
        )
        groups = {}
        for row in cr.fetchall():
            rule, company, period, control = row[:4]
            groups.setdefault((rule, company, period), {})[control] = row[4:]
        self.sudo().search([("company_id", "in", companies.ids)]).unlink()
        today = {company.id: company._crm_today() for company in companies}
        vals_list = []
        for (rule, company, period), sides in groups.items():
            vals_list.append(
                self._row_values(rule, company, period, sides, today[company])
            )
        self.sudo().create(vals_list)

    def _row_values(self, rule, company, period, sides, today):
        empty = (period, 0, 0, 0.0, None, 0, 0)
        treated, control = sides.get(False, empty), sides.get(True, empty)
        window_end = max(treated[0], control[0])
        t_n, c_n = treated[1], control[1]
        revenue = uplift.mean_difference(
            (t_n, float(treated[3] or 0), float(treated[4] or 0)),
            (c_n, float(control[3] or 0), float(control[4] or 0)),
        )
        purchase = uplift.proportion_difference((treated[5], t_n), (control[5], c_n))
        churn = uplift.proportion_difference((treated[6], t_n), (control[6], c_n))

        def pct(part, whole):
            return 100.0 * part / whole if whole else 0.0

        def points(value):
            return 100.0 * value if value is not None else False

        return {
            "rule_id": rule,
            "company_id": company,
            "period": period,
            "window_end": window_end,
            # invoices dated on the window's last day still count: over the day after
            "window_complete": window_end < today,
            "treated_count": t_n,
            "accepted_count": treated[2],
            "control_count": c_n,
            "treated_revenue": float(treated[3] or 0),
            "control_revenue": float(control[3] or 0),
            "revenue_uplift": revenue["difference"] or 0.0,
            "revenue_low": revenue["low"] if revenue["low"] is not None else False,
            "revenue_high": revenue["high"] if revenue["high"] is not None else False,
            "treated_purchase_rate": pct(treated[5], t_n),
            "control_purchase_rate": pct(control[5], c_n),
            "purchase_uplift": points(purchase["difference"]) or 0.0,
            "purchase_low": points(purchase["low"]),
            "purchase_high": points(purchase["high"]),
            "treated_churn_rate": pct(treated[6], t_n),
            "control_churn_rate": pct(control[6], c_n),
            "churn_uplift": points(churn["difference"]) or 0.0,
            "churn_low": points(churn["low"]),
            "churn_high": points(churn["high"]),
            "interval_known": revenue["low"] is not None,
            "revenue_significant": revenue["significant"],
            "purchase_significant": purchase["significant"],
            "churn_significant": churn["significant"],
            "significant": revenue["significant"]
            or purchase["significant"]
            or churn["significant"],
        }

    def action_refresh(self):
        self._refresh(self.env.companies)
        return True
