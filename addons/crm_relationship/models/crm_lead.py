from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

from ..tools import scoring
from ..tools.cron import in_user_language


class CrmLead(models.Model):
    _inherit = "crm.lead"

    is_winback = fields.Boolean(
        "Win-back", index=True, readonly=True, copy=False,
        help="Opened for a customer at risk or lost, to win them back.",
    )  # fmt: skip
    winback_strategy_id = fields.Many2one(
        "crm.winback.strategy",
        string="Win-back strategy",
        readonly=True,
        copy=False,
        check_company=True,
    )
    winback_tier = fields.Selection(
        scoring.TIER_SELECTION, "Tier at churn", readonly=True, copy=False
    )
    winback_churn_state = fields.Selection(
        scoring.CHURN_STATES, "Churn state at start", readonly=True, copy=False
    )
    winback_date_start = fields.Date("Win-back started", readonly=True, copy=False)
    winback_coupon_id = fields.Many2one(
        "loyalty.card",
        string="Win-back coupon",
        readonly=True,
        copy=False,
        check_company=True,
    )
    winback_state = fields.Selection(
        [("running", "Running"), ("won", "Won back"), ("failed", "Failed")],
        compute="_compute_winback_state",
        store=True,
        string="Win-back outcome",
    )

    @api.depends("is_winback", "active", "probability", "stage_id.is_won")
    def _compute_winback_state(self):
        for lead in self:
            if not lead.is_winback:
                lead.winback_state = False
            elif lead.stage_id.is_won:
                lead.winback_state = "won"
            elif not lead.active and not lead.probability:
                lead.winback_state = "failed"
            else:
                lead.winback_state = "running"

    # ------------------------------------------------------------
    # CRONS
    # ------------------------------------------------------------
    @api.model
    @in_user_language
    def _cron_open_winbacks(self, batch_size=500):
        """Open a win-back opportunity for each customer at risk or lost who has
        none running and none started within the profile's cooldown.

        Idempotent: a second run finds the running ones and opens nothing.
        """
        # sudo: the cron serves every company, whatever the cron user's companies
        Lead = self.sudo()
        done = 0
        for company in Lead.env["res.company"].search([]):
            done += len(Lead.with_company(company)._open_winbacks(company, batch_size))
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)

    def _open_winbacks(self, company, batch_size):
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(company)
        since = company._crm_today() - timedelta(days=profile.winback_cooldown_days)
        Lead = self.with_company(company).with_context(active_test=False)
        recent = Lead._search(
            [
                ("is_winback", "=", True),
                ("company_id", "=", company.id),
                "|",
                ("winback_state", "=", "running"),
                ("winback_date_start", ">=", since),
            ]
        )
        scores = self.env["crm.relationship.score"].search(
            [
                ("company_id", "=", company.id),
                ("churn_state", "in", ("at_risk", "lost")),
                ("partner_id", "not in", recent.subselect("partner_id")),
            ],
            limit=batch_size,
        )
        strategies = {
            strategy.tier: strategy
            for strategy in self.env["crm.winback.strategy"].search(
                [("company_id", "=", company.id)]
            )
        }
        today = company._crm_today()
        leads = Lead.create(
            [
                {
                    "name": self.env._(
                        "Win back %(customer)s", customer=score.partner_id.name
                    ),
                    "type": "opportunity",
                    "partner_id": score.partner_id.id,
                    "user_id": self._winback_responsible(score.partner_id, company).id,
                    "company_id": company.id,
                    "expected_revenue": max(score.monetary, 0.0),
                    "is_winback": True,
                    "winback_tier": score.tier,
                    "winback_churn_state": score.churn_state,
                    "winback_date_start": today,
                    "winback_strategy_id": strategies.get(score.tier, Lead).id,
                }
                for score in scores
            ]
        )
        by_strategy = leads.grouped("winback_strategy_id")
        for strategy, strategy_leads in by_strategy.items():
            if strategy:
                strategy._apply(strategy_leads)
        return leads

    @api.model
    def _winback_responsible(self, partner, company):
        """Who runs the win-back of ``partner`` in ``company``: the customer's
        salesperson, else the primary member of the account team, provided they
        work in that company; else nobody (the sales team's leader assigns it)."""
        candidates = (
            partner.user_id | partner.account_team_ids.filtered("is_primary").user_id
        )
        return candidates.filtered(lambda user: company in user.company_ids)[:1]

    @api.model
    @in_user_language
    def _cron_track_winbacks(self):
        """A running win-back is won when its customer has a posted invoice dated on
        or after the start of the campaign."""
        running = self.search([("winback_state", "=", "running")])
        if not running:
            return
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT lead.id
                  FROM crm_lead lead
                  JOIN res_partner rp ON rp.id = lead.partner_id
                 WHERE lead.id = ANY(%(ids)s)
                   AND EXISTS (
                        SELECT 1 FROM account_move am
                         WHERE am.commercial_partner_id = rp.commercial_partner_id
                           AND am.company_id = lead.company_id
                           AND am.move_type = 'out_invoice'
                           AND am.state = 'posted'
                           AND am.invoice_date >= lead.winback_date_start)
                """,
                ids=running.ids,
            )
        )
        won = self.browse([row[0] for row in rows])
        if won:
            won.action_set_won()
            for lead in won:
                lead._message_log(body=_("The customer bought again: won back."))
        self.env["ir.cron"]._notify_progress(done=len(won), remaining=0)
