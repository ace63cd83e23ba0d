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
        return result

    def _apply_model_churn(self, company, partner_ids=None):
        """When the company asks for it, the churn state follows P(alive) of the
        lifetime value model instead of the purchase-interval rule: below the "lost"
        threshold lost, below the "at risk" one at risk, else active. Rows without a
        prediction keep the rule's state."""
        if not company.clv_churn_from_model:
            return
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_relationship_score
                   SET churn_state = CASE
                           WHEN p_alive < %(lost)s THEN 'lost'
                           WHEN p_alive < %(at_risk)s THEN 'at_risk'
                           ELSE 'active' END
                 WHERE company_id = %(company)s
                   AND clv_fit_id IS NOT NULL
                   AND (%(all)s OR partner_id = ANY(%(partners)s))
                """,
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
