from odoo import _, fields, models
from odoo.tools import SQL, float_is_zero


class CrmRelationshipScore(models.Model):
    _inherit = "crm.relationship.score"

    p_alive = fields.Float(
        "P(alive)",
        readonly=True,
        digits=(16, 3),
        aggregator="avg",
        help="Probability that the customer is still buying (BG/NBD model).",
    )
    expected_purchases = fields.Float(
        readonly=True,
        digits=(16, 2),
        help="Purchase occasions expected over the company's prediction horizon.",
    )
    predicted_clv = fields.Monetary(
        "Predicted lifetime value",
        readonly=True,
        help="Discounted value of the purchases expected over the horizon, at the "
        "expected spend of this customer, times the margin share.",
    )
    clv_fit_id = fields.Many2one("crm.clv.fit", "Model", readonly=True)
    alive_component = fields.Float(
        "Still buying",
        readonly=True,
        digits=(16, 1),
        help="100 x P(alive), in the health score when the scoring profile gives "
        "it a weight.",
    )
    alive_contribution = fields.Float(readonly=True, digits=(16, 1))
    spend_change = fields.Float(
        "Spend change (%)",
        readonly=True,
        digits=(16, 1),
        aggregator="avg",
        help="Invoiced untaxed revenue of the last 12 months against the 12 before, "
        "credit notes netted, in percent; empty without revenue in the 12 before.",
    )
    partial_defection = fields.Boolean(
        readonly=True,
        help="Still buying in the last 12 months, but the spend fell by more than "
        "the company's partial defection share against the 12 months before.",
    )
    is_loyalty_member = fields.Boolean(
        "Loyalty member",
        compute="_compute_is_loyalty_member",
        search="_search_is_loyalty_member",
        help="The customer, or one of its contacts, holds an active card of a loyalty "
        "program of the score's company (or of a program shared by all companies).",
    )

    def _health_components(self, company):
        components = super()._health_components(company)
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(company)
        if profile.weight_alive:
            # the prediction stored on the row by the last run of the model; unknown
            # (out of the weighting) until the customer has one
            components["alive"] = SQL(
                """(SELECT 100.0 * previous.p_alive
                      FROM crm_relationship_score previous
                     WHERE previous.partner_id = ranked.partner_id
                       AND previous.company_id = %s
                       AND previous.clv_fit_id IS NOT NULL)""",
                company.id,
            )
        return components

    def _change_components(self):
        components = super()._change_components()
        components["alive"] = _("Still buying")
        return components

    def _snapshot_columns(self):
        return [*super()._snapshot_columns(), "p_alive"]

    def _change_lines(self, previous, labels):
        """Adds the move of P(alive) (shown to two decimals), when the customer had a
        prediction at the previous snapshot and has one now."""
        lines = super()._change_lines(previous, labels)
        before = previous.get("p_alive")
        if (
            before is not None
            and self.clv_fit_id
            and not float_is_zero(self.p_alive - before, precision_digits=2)
        ):
            lines.append(
                _(
                    "P(alive) %(before)s → %(after)s.",
                    before=self._format_number(before, digits=2),
                    after=self._format_number(self.p_alive, digits=2),
                )
            )
        return lines

    def _health_weights(self, company, profile):
        weights = super()._health_weights(company, profile)
        if profile.weight_alive:
            weights["alive"] = profile.weight_alive
        return weights

    def _after_upsert(self, company, targets):
        # before the snapshot and the churn-change events: both must see the churn
        # state the row ends with
        result = super()._after_upsert(company, targets)
        self._apply_model_churn(company, targets)
        self._apply_spend_change(company, targets)
        return result

    def _apply_model_churn(self, company, partner_ids=None):
        """When the company asks for it, the churn state follows P(alive) of the
        lifetime value model instead of the purchase-interval rule: below the "lost"
        threshold lost, below the "at risk" one at risk, else active. Rows without a
        prediction keep the rule's state.

        One-time buyers (one purchase day) under BG/NBD keep the rule's state
        unless P(alive) says worse: that model lets customers leave only right
        after a repeat purchase, so their P(alive) is 1 forever and would keep a
        customer who bought once years ago active. The modified BG/NBD and
        Pareto/NBD lower it with the time since that purchase, and are followed,
        except that a one-time buyer the rule calls lost stays lost under every
        model: with little drop-out fitted, their P(alive) two years on can
        still be above the thresholds."""
        if not company.clv_churn_from_model:
            return
        self.flush_model()
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(company)
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_relationship_score w
                   SET churn_state = CASE
                           WHEN w.p_alive < %(lost)s THEN 'lost'
                           WHEN w.purchase_count <= 1 AND %(rule)s = 'lost'
                               THEN 'lost'
                           WHEN w.p_alive < %(at_risk)s THEN 'at_risk'
                           WHEN %(once)s THEN COALESCE(%(rule)s, 'active')
                           ELSE 'active' END
                  FROM crm_clv_fit fit
                 WHERE fit.id = w.clv_fit_id
                   AND w.company_id = %(company)s
                   AND (%(all)s OR w.partner_id = ANY(%(partners)s))
                """,
                once=SQL("(fit.model = 'bgnbd' AND w.purchase_count <= 1)"),
                rule=self._churn_sql(profile),
                lost=company.clv_lost_below,
                at_risk=company.clv_at_risk_below,
                company=company.id,
                all=partner_ids is None,
                partners=list(partner_ids or []),
            )
        )
        self.invalidate_model(["churn_state"])

    def _compute_is_loyalty_member(self):
        members = self.search(
            [("id", "in", self.ids), ("is_loyalty_member", "=", True)]
        )
        for score in self:
            score.is_loyalty_member = score in members

    def _search_is_loyalty_member(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        # One correlated subquery, so that membership follows each row's company.
        members = SQL(
            """(
            SELECT score.id
              FROM crm_relationship_score score
             WHERE EXISTS (
                   SELECT 1
                     FROM loyalty_card card
                     JOIN loyalty_program program ON program.id = card.program_id
                     JOIN res_partner holder ON holder.id = card.partner_id
                    WHERE program.program_type = 'loyalty'
                      AND card.active
                      AND holder.commercial_partner_id = score.partner_id
                      AND (program.company_id = score.company_id
                           OR program.company_id IS NULL))
            )"""
        )
        in_members = (operator == "=") == value
        return [("id", "in" if in_members else "not in", members)]

    def _apply_spend_change(self, company, partner_ids=None):
        """Spend change and partial defection of the company's rows (of
        ``partner_ids``, or all), as of each row's reference date, in one statement.

        Revenue is the untaxed signed amount of posted customer invoices less
        credit notes (company currency), per commercial partner: ``recent`` over
        the 12 months up to the reference date, ``before`` over the 12 months
        before those. Spend change = 100 x (recent - before) / before, empty when
        ``before`` is not positive. Partial defection: an invoice in the recent 12
        months, ``before`` positive, and recent < (1 - share) x before."""
        self.flush_model()
        self.env["account.move"].flush_model(
            ["commercial_partner_id", "company_id", "state", "move_type",
             "invoice_date", "amount_untaxed_signed"]
        )  # fmt: skip
        scope = (
            SQL("TRUE")
            if partner_ids is None
            else SQL("target.partner_id = ANY(%s)", list(partner_ids))
        )
        # the same bound on the invoices, so that a few marked customers read
        # their own invoices through the index rather than the company's
        move_scope = (
            SQL("TRUE")
            if partner_ids is None
            else SQL("m.commercial_partner_id = ANY(%s)", list(partner_ids))
        )
        self.env.cr.execute(
            SQL(
                """
                WITH spend AS (
                    SELECT target.id,
                           SUM(m.amount_untaxed_signed) FILTER (
                               WHERE m.invoice_date > target.date_ref
                                                      - INTERVAL '12 months'
                           ) AS recent,
                           SUM(m.amount_untaxed_signed) FILTER (
                               WHERE m.invoice_date <= target.date_ref
                                                       - INTERVAL '12 months'
                           ) AS before,
                           COUNT(*) FILTER (
                               WHERE m.move_type = 'out_invoice'
                                 AND m.invoice_date > target.date_ref
                                                      - INTERVAL '12 months'
                           ) AS recent_invoices
                      FROM crm_relationship_score target
                      JOIN account_move m
                        ON m.commercial_partner_id = target.partner_id
                       AND m.company_id = target.company_id
                       AND m.state = 'posted'
                       AND m.move_type IN ('out_invoice', 'out_refund')
                       AND m.invoice_date <= target.date_ref
                       AND m.invoice_date > target.date_ref - INTERVAL '24 months'
                       AND %(move_scope)s
                     WHERE target.company_id = %(company)s AND %(scope)s
                     GROUP BY target.id
                )
                UPDATE crm_relationship_score score
                   SET spend_change = CASE WHEN spend.before > 0
                           THEN 100.0 * (COALESCE(spend.recent, 0) - spend.before)
                                / spend.before END,
                       partial_defection = COALESCE(
                           spend.recent_invoices > 0 AND spend.before > 0
                           AND COALESCE(spend.recent, 0)
                               < (1 - %(share)s) * spend.before, FALSE)
                  FROM crm_relationship_score target
                  LEFT JOIN spend ON spend.id = target.id
                 WHERE score.id = target.id
                   AND target.company_id = %(company)s AND %(scope)s
                """,
                company=company.id,
                scope=scope,
                move_scope=move_scope,
                share=company.partial_defection_share,
            )
        )
        self.invalidate_model(["spend_change", "partial_defection"])
