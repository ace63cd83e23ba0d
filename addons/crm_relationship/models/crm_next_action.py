import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..tools import control, cron, dates
from ..tools.cron import in_user_language
from .crm_next_action_rule import KIND_FUNCTION, KINDS, PRIORITIES

_logger = logging.getLogger(__name__)

STATES = [
    ("proposed", "Proposed"),
    ("accepted", "Accepted"),
    ("dismissed", "Dismissed"),
    ("done", "Done"),
    ("expired", "Expired"),
]
OPEN_STATES = ("proposed", "accepted")


class CrmNextAction(models.Model):
    """A proposal to act for one customer, routed to the department that can act.

    Generated daily by ``_cron_generate`` from the score rows and the ERP, one per
    rule and customer at a time. A share of the eligible customers of each rule is
    held back as a control group (``is_control``): their rows are recorded, never
    shown to the people who act, and the uplift report compares both groups.
    """

    _name = "crm.next.action"
    _description = "Next best action"
    _inherit = ["mail.thread"]
    _order = "priority desc, value desc, id desc"
    _check_company_auto = True
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", "Customer", required=True, index=True, readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    rule_id = fields.Many2one(
        "crm.next.action.rule", required=True, readonly=True, index=True
    )
    kind = fields.Selection(KINDS, required=True, readonly=True)
    department_id = fields.Many2one("hr.department", readonly=True, index=True)
    user_id = fields.Many2one("res.users", "Responsible", tracking=True, index=True)
    state = fields.Selection(
        STATES, default="proposed", required=True, readonly=True, tracking=True
    )
    is_control = fields.Boolean(
        "Control group",
        readonly=True,
        help="Held back at random: no one is asked to act, so that the report can "
        "measure what the action changes.",
    )
    priority = fields.Selection(PRIORITIES, default="1", readonly=True)
    value = fields.Monetary(
        "Customer value",
        readonly=True,
        help="The customer's historical lifetime value (score row) when proposed.",
    )
    date_proposed = fields.Date("Proposed on", readonly=True, index=True)
    date_expiry = fields.Date("Expires on", readonly=True)
    date_closed = fields.Date("Closed on", readonly=True)
    expiry_reason = fields.Selection(
        [
            ("time", "Nobody accepted it in time"),
            ("resolved", "It no longer applies"),
        ],
        readonly=True,
    )
    accepted_by_id = fields.Many2one("res.users", "Accepted by", readonly=True)
    dismiss_reason = fields.Text("Reason for dismissing", readonly=True)
    # the facts behind the proposal, written by the generation
    amount = fields.Float(readonly=True)
    count = fields.Integer(readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    because_product_id = fields.Many2one(
        "product.product", "Because they bought", readonly=True
    )
    loyalty_tier_id = fields.Many2one("loyalty.tier", "Next tier", readonly=True)
    reason = fields.Text(compute="_compute_reason")
    # what accepting created
    handoff_id = fields.Many2one("crm.handoff", "Hand-off", readonly=True)
    lead_id = fields.Many2one("crm.lead", "Opportunity", readonly=True)

    #: what a user may change directly; everything else moves through the buttons
    #: (which check the state and the control group) or the generation
    _USER_WRITABLE = frozenset({"user_id"})

    def init(self):
        """One open proposal per customer, rule and company, also when two
        generations run at once (two workers, a manual run beside the cron): the
        second insert of the same proposal fails and its step is rolled back, as
        account.move's unique posted name does for two postings."""
        self.env.cr.execute(
            SQL(
                """
                CREATE UNIQUE INDEX IF NOT EXISTS crm_next_action_open_unique
                    ON crm_next_action (company_id, rule_id, partner_id)
                 WHERE state IN ('proposed', 'accepted')
                """
            )
        )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------
    @api.depends_context("lang")
    @api.depends("kind", "amount", "count", "product_id", "loyalty_tier_id", "rule_id")
    def _compute_reason(self):
        for action in self:
            action.reason = action._reason_text()

    def _reason_text(self):
        _ = self.env._
        amount = self.currency_id and self.currency_id.format(self.amount) or ""
        # formatted apart: the extraction of translatable terms reads literals only
        whole = f"{self.amount:,.0f}"
        signed = f"{self.amount:+.1f}"
        if self.kind == "overdue_payment":
            return _(
                "%(amount)s overdue (invoices: %(count)s): ask for payment.",
                amount=amount,
                count=self.count,
            )
        if self.kind == "late_delivery":
            return _(
                "Late or returned deliveries in the last %(days)s days: %(count)s. "
                "Find out what went wrong and tell the customer.",
                days=self.rule_id.lookback_days,
                count=self.count,
            )
        if self.kind == "tier_upgrade":
            tier = self.loyalty_tier_id
            discount = f"{tier.discount:g}"
            offer = (
                _("%(discount)s %% discount", discount=discount)
                if tier.discount
                else tier.pricelist_id.display_name or _("the tier's benefits")
            )
            return _(
                "%(missing)s more to reach %(tier)s: offer %(offer)s.",
                missing=whole,
                tier=tier.name,
                offer=offer,
            )
        if self.kind == "churn_risk":
            return _(
                "At risk of leaving (health %(delta)s points since the last "
                "snapshot): plan a win-back.",
                delta=signed,
            )
        if self.kind == "detractor":
            return _(
                "Answered %(score)s on the NPS survey: call back and solve the cause.",
                score=int(self.amount),
            )
        if self.kind == "recommended_product":
            if self.because_product_id:
                return _(
                    "Offer %(product)s: often bought with %(because)s.",
                    product=self.product_id.display_name,
                    because=self.because_product_id.display_name,
                )
            return _("Offer %(product)s.", product=self.product_id.display_name)
        return ""

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------
    def write(self, vals):
        """The facts, the state and the control group are the generation's and the
        buttons'; a user may only reassign the action. Otherwise one could move a
        customer in or out of the control group and falsify the uplift."""
        business = set(vals) & set(self._fields) - self._USER_WRITABLE
        business = {f for f in business if self._fields[f].store} - {
            name for name in self._fields if name.startswith(("message_", "activity_"))
        }
        if (
            business
            and not self.env.su
            and not self.env.user.has_group(
                "crm_relationship.group_relationship_manager"
            )
        ):
            raise AccessError(
                self.env._(
                    "Next best actions change through their buttons (accept, done, "
                    "dismiss); only the responsible person can be changed here."
                )
            )
        return super().write(vals)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------
    def action_accept(self):
        """Accept the proposals: each creates what its rule says (an activity for
        the responsible person, a hand-off, an opportunity)."""
        self._check_can_act(("proposed",), self.env._("accepted"))
        for action in self:
            today = action.company_id._crm_today()
            outcome = action.rule_id.outcome
            vals = {"state": "accepted", "accepted_by_id": self.env.uid}
            if outcome == "handoff":
                vals["handoff_id"] = action._create_handoff(today).id
            elif outcome == "opportunity":
                vals["lead_id"] = action._create_opportunity().id
            else:
                action.partner_id.activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=today + timedelta(days=3),
                    summary=action.rule_id.name,
                    note=action.reason,
                    user_id=(action.user_id or self.env.user).id,
                )
            # sudo: the state moves through this button only, checked above
            action.sudo().write(vals)
            action._message_log(
                body=self.env._("Accepted by %(user)s.", user=self.env.user.name)
            )
        return True

    def action_done(self):
        self._check_can_act(OPEN_STATES, self.env._("marked done"))
        for action in self:
            # sudo: the state moves through this button only, checked above
            action.sudo().write(
                {"state": "done", "date_closed": action.company_id._crm_today()}
            )
        return True

    def action_dismiss(self, reason):
        """Dismiss with a reason, which is kept on the action and in its chatter."""
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Say why the action is dismissed."))
        self._check_can_act(OPEN_STATES, self.env._("dismissed"))
        for action in self:
            # sudo: the state moves through this button only, checked above
            action.sudo().write(
                {
                    "state": "dismissed",
                    "dismiss_reason": reason,
                    "date_closed": action.company_id._crm_today(),
                }
            )
            action._message_log(body=self.env._("Dismissed: %(reason)s", reason=reason))
        return True

    def action_open_dismiss(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Dismiss"),
            "res_model": "crm.next.action.dismiss",
            "view_mode": "form",
            "target": "new",
            "context": {"active_ids": self.ids, "active_model": self._name},
        }

    def action_open_outcome(self):
        self.ensure_one()
        record = self.handoff_id or self.lead_id
        if not record:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "view_mode": "form",
        }

    def _check_can_act(self, states, verb):
        for action in self:
            if action.is_control:
                raise UserError(
                    self.env._(
                        "The action for %(customer)s is held back as a control: it "
                        "cannot be %(verb)s.",
                        customer=action.partner_id.display_name,
                        verb=verb,
                    )
                )
            if action.state not in states:
                raise UserError(
                    self.env._(
                        "The action for %(customer)s is %(state)s: it cannot be "
                        "%(verb)s.",
                        customer=action.partner_id.display_name,
                        state=dict(
                            self._fields["state"]._description_selection(self.env)
                        )[action.state],
                        verb=verb,
                    )
                )

    def _create_handoff(self, today):
        rule = self.rule_id
        source = self.department_id or self.env.user.employee_id.department_id
        return self.env["crm.handoff"].create(
            {
                "name": rule.name,
                "partner_id": self.partner_id.id,
                "from_department_id": source.id,
                "to_department_id": rule.handoff_department_id.id,
                "company_id": self.company_id.id,
                "date_deadline": today + timedelta(days=3),
                "description": self.reason,
            }
        )

    def _create_opportunity(self):
        return self.env["crm.lead"].create(
            {
                "name": self.env._(
                    "%(rule)s: %(customer)s",
                    rule=self.rule_id.name,
                    customer=self.partner_id.display_name,
                ),
                "type": "opportunity",
                "partner_id": self.partner_id.id,
                "user_id": (self.user_id or self.env.user).id,
                "company_id": self.company_id.id,
                "description": self.reason,
            }
        )

    # ------------------------------------------------------------
    # GENERATION
    # ------------------------------------------------------------
    @api.model
    @in_user_language
    def _cron_generate(self, companies=None):
        """Propose the day's actions of every active rule in every company (or in
        ``companies``), expire what no longer applies, then refresh the uplift
        report. One committed step per company and rule outside tests."""
        # sudo: the cron reads every customer's documents and writes every
        # department's actions
        actions = self.sudo()
        companies = companies or actions.env["res.company"].search([])
        done = actions._generate_all(companies)
        cron.run_batch(
            actions.env,
            lambda: actions.env["crm.next.action.uplift"]._refresh(companies),
            done,
            0,
        )
        return True

    def _generate_all(self, companies):
        """Every active rule in every one of ``companies``, one committed step per
        company and rule outside tests, run again after a concurrency failure (a
        user closed an action the step expires; see ``tools.cron.run_batch``).

        :return: the number of steps
        """
        actions = self.sudo()
        rules = actions.env["crm.next.action.rule"].search([])
        steps = [
            (company, rule)
            for company in companies
            for rule in rules
            if not rule.company_id or rule.company_id == company
        ]
        for done, (company, rule) in enumerate(steps, start=1):
            cron.run_batch(
                actions.env,
                lambda company=company, rule=rule: actions._generate(company, rule),
                done,
                len(steps) - done,
            )
        return len(steps)

    def _generate(self, company, rule):
        """One rule in one company, in SQL: the eligible customers go to a temporary
        table; the proposals that no longer apply expire; the new ones are inserted,
        with the control group drawn among them."""
        cr = self.env.cr
        self.env.flush_all()
        today = company._crm_today()
        # proposals past their expiry
        cr.execute(
            SQL(
                """
                UPDATE crm_next_action
                   SET state = 'expired', expiry_reason = 'time',
                       date_closed = %(today)s,
                       write_date = now() AT TIME ZONE 'UTC', write_uid = %(uid)s
                 WHERE company_id = %(company)s AND rule_id = %(rule)s
                   AND state = 'proposed' AND date_expiry < %(today)s
                """,
                today=today,
                uid=self.env.uid,
                company=company.id,
                rule=rule.id,
            )
        )
        cr.execute(SQL("DROP TABLE IF EXISTS pg_temp.crm_next_action_eligible"))
        cr.execute(
            SQL(
                """
                CREATE TEMPORARY TABLE crm_next_action_eligible (
                    partner_id integer PRIMARY KEY,
                    amount double precision,
                    count integer,
                    product_id integer,
                    because_product_id integer,
                    loyalty_tier_id integer
                ) ON COMMIT DROP
                """
            )
        )
        getattr(self, f"_eligible_{rule.kind}")(company, rule, today)
        # what no longer applies: the overdue invoice was paid, the risk passed
        cr.execute(
            SQL(
                """
                UPDATE crm_next_action action
                   SET state = 'expired', expiry_reason = 'resolved',
                       date_closed = %(today)s,
                       write_date = now() AT TIME ZONE 'UTC', write_uid = %(uid)s
                 WHERE action.company_id = %(company)s AND action.rule_id = %(rule)s
                   AND action.state = 'proposed'
                   AND NOT EXISTS (SELECT 1 FROM crm_next_action_eligible e
                                    WHERE e.partner_id = action.partner_id)
                """,
                today=today,
                uid=self.env.uid,
                company=company.id,
                rule=rule.id,
            )
        )
        self._insert_proposals(company, rule, today)
        cr.execute(SQL("DROP TABLE pg_temp.crm_next_action_eligible"))
        self.invalidate_model()

    def _insert_proposals(self, company, rule, today):
        """Insert one proposal per eligible customer who has no open proposal of
        the rule and is not paused (dismissed, done or not accepted in time less
        than the rule's pause ago).

        The control group is drawn once per customer and rule: a customer proposed
        to before stays in the group it was in, so that no customer counts on both
        sides of the uplift. Among customers new to the rule, the share stays exact
        over the rule's history in the company: of all the distinct customers it
        ever proposed to, ``control_size(share, n)`` are held back, the new ones
        first in the order of ``md5(rule:customer)`` (``tools/control.py``'s
        ``hash_order`` with the rule's id as seed), a fixed, random-looking order
        that depends only on the rule and the customer."""
        cr = self.env.cr
        department = rule._department_for(company)
        function = KIND_FUNCTION[rule.kind]
        pause = today - timedelta(days=rule.cooldown_days)
        cr.execute(SQL("DROP TABLE IF EXISTS pg_temp.crm_next_action_new"))
        cr.execute(
            SQL(
                """
                CREATE TEMPORARY TABLE crm_next_action_new ON COMMIT DROP AS
                SELECT e.*,
                       (SELECT a.is_control FROM crm_next_action a
                         WHERE a.company_id = %(company)s AND a.rule_id = %(rule)s
                           AND a.partner_id = e.partner_id
                         ORDER BY a.id DESC LIMIT 1) AS previous
                  FROM crm_next_action_eligible e
                 WHERE NOT EXISTS (
                    SELECT 1 FROM crm_next_action a
                     WHERE a.company_id = %(company)s AND a.rule_id = %(rule)s
                       AND a.partner_id = e.partner_id
                       AND (a.state IN ('proposed', 'accepted')
                            OR ((a.state IN ('dismissed', 'done')
                                 OR (a.state = 'expired' AND a.expiry_reason = 'time'))
                                AND a.date_closed > %(pause)s)))
                """,
                company=company.id,
                rule=rule.id,
                pause=pause,
            )
        )
        cr.execute(
            SQL(
                """
                SELECT (SELECT COUNT(DISTINCT partner_id) FROM crm_next_action
                         WHERE company_id = %(company)s AND rule_id = %(rule)s),
                       (SELECT COUNT(DISTINCT partner_id) FROM crm_next_action
                         WHERE company_id = %(company)s AND rule_id = %(rule)s
                           AND is_control),
                       (SELECT COUNT(*) FROM crm_next_action_new
                         WHERE previous IS NULL),
                       (SELECT COUNT(*) FROM crm_next_action_new)
                """,
                company=company.id,
                rule=rule.id,
            )
        )
        before, before_control, first_time, total = cr.fetchone()
        if not total:
            cr.execute(SQL("DROP TABLE pg_temp.crm_next_action_new"))
            return
        held = control.control_size(rule.control_share, before + first_time)
        held = max(0, min(first_time, held - before_control))
        # the responsible person: for a sales action the salesperson; otherwise
        # the customer's account team member in the department; then the head
        sales_first = function == "sales"
        cr.execute(
            SQL(
                """
                WITH new AS (
                    SELECT n.*,
                           ROW_NUMBER() OVER (
                               PARTITION BY n.previous IS NULL
                               ORDER BY md5(%(rule)s::text || ':' || n.partner_id::text)
                           ) AS draw
                      FROM crm_next_action_new n
                )
                INSERT INTO crm_next_action (
                    partner_id, company_id, rule_id, kind, department_id, user_id,
                    state, is_control, priority, value, date_proposed, date_expiry,
                    amount, count, product_id, because_product_id, loyalty_tier_id,
                    create_uid, create_date, write_uid, write_date)
                SELECT new.partner_id, %(company)s, %(rule)s, %(kind)s,
                       COALESCE(own.id, %(department)s), responsible.id,
                       'proposed', COALESCE(new.previous, new.draw <= %(held)s),
                       GREATEST(%(floor)s, CASE score.abc_class
                            WHEN 'A' THEN '3' WHEN 'B' THEN '2' WHEN 'C' THEN '1'
                            ELSE '0' END),
                       COALESCE(score.clv_historical, 0),
                       %(today)s, %(expiry)s,
                       new.amount, new.count, new.product_id,
                       new.because_product_id, new.loyalty_tier_id,
                       %(uid)s, now() AT TIME ZONE 'UTC',
                       %(uid)s, now() AT TIME ZONE 'UTC'
                  FROM new
                  JOIN res_partner partner ON partner.id = new.partner_id
                  LEFT JOIN res_users salesperson
                    ON salesperson.id = partner.user_id AND salesperson.active
                  LEFT JOIN crm_relationship_score score
                    ON score.partner_id = new.partner_id
                   AND score.company_id = %(company)s
                  LEFT JOIN LATERAL (
                        SELECT m.user_id FROM crm_account_team_member m
                         WHERE m.partner_id = new.partner_id
                           AND m.department_id = %(department)s
                           AND (m.company_id IS NULL OR m.company_id = %(company)s)
                         ORDER BY m.is_primary DESC, m.id
                         LIMIT 1
                  ) member ON TRUE
                  CROSS JOIN LATERAL (
                        SELECT CASE WHEN %(sales_first)s
                            THEN COALESCE(salesperson.id, member.user_id, %(head)s)
                            ELSE COALESCE(member.user_id, %(head)s, salesperson.id)
                        END AS id
                  ) responsible
                  -- unless the rule names one, the department is the responsible
                  -- person's when it does this kind of work (the salesperson's
                  -- sales team of several), else the company's of the function
                  LEFT JOIN LATERAL (
                        SELECT employee.department_id AS id
                          FROM hr_employee employee
                          JOIN hr_department d ON d.id = employee.department_id
                         WHERE NOT %(fixed)s
                           AND employee.user_id = responsible.id
                           AND employee.active
                           AND employee.company_id = %(company)s
                           AND d.crm_function = %(function)s
                         ORDER BY employee.id
                         LIMIT 1
                  ) own ON TRUE
                """,
                rule=rule.id,
                company=company.id,
                kind=rule.kind,
                department=department.id or None,
                sales_first=sales_first,
                head=department.manager_id.user_id.id or None,
                held=held,
                fixed=bool(rule.department_id),
                function=function,
                floor=rule.priority,
                today=today,
                expiry=today + timedelta(days=rule.expiry_days),
                uid=self.env.uid,
            )
        )
        cr.execute(SQL("DROP TABLE pg_temp.crm_next_action_new"))

    # ------------------------------------------------------------
    # ELIGIBILITY, one SQL statement per kind into the temporary table
    # ------------------------------------------------------------
    def _eligible_overdue_payment(self, company, rule, today):
        """Customers whose receivable is overdue: the open amount due before today
        (company's time zone) less their open credits (unapplied payments, credit
        notes), above the rule's threshold. The balance is the credit holds' own
        (``res.partner._crm_overdue_sql``), read for each customer with an open
        line past due."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_next_action_eligible (partner_id, amount, count)
                SELECT late.partner_id, o.overdue + o.credits, o.invoices
                  FROM (SELECT DISTINCT rp.commercial_partner_id AS partner_id
                          FROM account_move_line aml
                          JOIN account_account acc ON acc.id = aml.account_id
                          JOIN res_partner rp ON rp.id = aml.partner_id
                         WHERE aml.company_id = %(company)s
                           AND aml.parent_state = 'posted'
                           AND acc.account_type = 'asset_receivable'
                           AND NOT aml.reconciled
                           AND aml.amount_residual > 0
                           AND COALESCE(aml.date_maturity, aml.date) < %(today)s
                       ) late
                 CROSS JOIN LATERAL (%(owed)s) o
                 WHERE o.overdue + o.credits > GREATEST(%(threshold)s, %(half_cent)s)
                """,
                company=company.id,
                today=today,
                owed=self.env["res.partner"]._crm_overdue_sql(
                    SQL("late.partner_id"), SQL("%s", company.id), SQL("%s", today)
                ),
                threshold=rule.threshold,
                half_cent=company.currency_id.rounding / 2,
            )
        )

    def _eligible_late_delivery(self, company, rule, today):
        """Customers with at least ``threshold`` (1 by default) deliveries done late
        or returned in the look-back days, as the scoring counts them."""
        start, end = dates.utc_bounds(
            today - timedelta(days=rule.lookback_days - 1), today, company._crm_tz()
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_next_action_eligible (partner_id, count)
                SELECT rp.commercial_partner_id, COUNT(*)
                  FROM stock_picking sp
                  JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
                  JOIN res_partner rp ON rp.id = sp.partner_id
                 WHERE sp.company_id = %(company)s AND sp.state = 'done'
                   AND sp.date_done >= %(start)s AND sp.date_done < %(end)s
                   AND ((spt.code = 'outgoing' AND sp.return_id IS NULL
                         AND sp.delivered_on_time IS NOT TRUE)
                        OR (spt.code = 'incoming' AND sp.return_id IS NOT NULL))
                 GROUP BY rp.commercial_partner_id
                HAVING COUNT(*) >= GREATEST(%(threshold)s, 1)
                """,
                company=company.id,
                start=start,
                end=end,
                threshold=rule.threshold,
            )
        )

    def _eligible_tier_upgrade(self, company, rule, today):
        """Loyalty members whose progress towards their program's next tier reached
        the threshold (80 % by default); the amount is what is still missing."""
        share = (rule.threshold or 80.0) / 100.0
        cards = self.env["loyalty.card"].search(
            [
                ("company_id", "in", (company.id, False)),
                ("program_id.tier_ids", "!=", False),
                ("partner_id", "!=", False),
            ]
        )
        rows = {}
        for card in cards:
            tier = card.next_tier_id
            if not tier or tier.threshold <= 0:
                continue
            missing = card.next_tier_missing
            if missing > 0 and (tier.threshold - missing) / tier.threshold >= share:
                partner = card.partner_id.commercial_partner_id.id
                if partner not in rows or missing < rows[partner][0]:
                    rows[partner] = (missing, tier.id)
        if rows:
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO crm_next_action_eligible
                        (partner_id, amount, loyalty_tier_id)
                    SELECT * FROM unnest(%s::int[], %s::float[], %s::int[])
                    """,
                    list(rows),
                    [r[0] for r in rows.values()],
                    [r[1] for r in rows.values()],
                )
            )

    def _eligible_churn_risk(self, company, rule, today):
        """Customers at risk of churn, or whose health fell by ``threshold`` points
        or more since the previous snapshot (score rows)."""
        drop = rule.threshold or 10.0
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_next_action_eligible (partner_id, amount)
                SELECT score.partner_id, COALESCE(score.score_delta, 0)
                  FROM crm_relationship_score score
                 WHERE score.company_id = %s
                   AND (score.churn_state = 'at_risk' OR score.score_delta <= %s)
                """,
                company.id,
                -abs(drop),
            )
        )

    def _eligible_detractor(self, company, rule, today):
        """Customers whose latest NPS answer, in the look-back days, is a detractor's
        (score rows)."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_next_action_eligible (partner_id, amount)
                SELECT score.partner_id, score.nps_score
                  FROM crm_relationship_score score
                 WHERE score.company_id = %s AND score.nps_category = 'detractor'
                   AND score.nps_date > %s
                """,
                company.id,
                today - timedelta(days=rule.lookback_days),
            )
        )

    def _eligible_recommended_product(self, company, rule, today):
        """Active customers' best recommendation (``crm.product.recommendation``)
        of a product still for sale, scoring at least the threshold."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_next_action_eligible
                    (partner_id, amount, product_id, because_product_id)
                SELECT DISTINCT ON (reco.partner_id)
                       reco.partner_id, reco.score, reco.product_id,
                       reco.because_product_id
                  FROM crm_product_recommendation reco
                  JOIN crm_relationship_score score
                    ON score.partner_id = reco.partner_id
                   AND score.company_id = reco.company_id
                  JOIN product_product pp ON pp.id = reco.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE reco.company_id = %s
                   AND reco.score >= %s AND score.churn_state = 'active'
                   AND pp.active AND pt.active AND pt.sale_ok
                 ORDER BY reco.partner_id, reco.rank
                """,
                company.id,
                rule.threshold,
            )
        )
