from collections import defaultdict

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression
from odoo.tools import SQL, float_compare, float_round, format_date, formatLang

from ..tools import scoring
from ..tools.cron import in_user_language
from ..tools.dates import local_date
from .loyalty_card import LEDGER_DONE, POINTS_DIGITS

FINANCE_MANAGER = "account.group_account_manager"
DEPARTMENT_HEAD = "crm_relationship.group_department_head"


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # ------------------------------------------------------------
    # FIELDS: SERVICE BY TIER
    # ------------------------------------------------------------
    crm_tier = fields.Selection(
        scoring.TIER_SELECTION,
        "Customer tier",
        readonly=True,
        copy=False,
        help="The customer's tier when the order was made, then when it was "
        "confirmed: the tier whose service policy the order got.",
    )
    crm_credit_hold = fields.Boolean(
        "On credit hold",
        compute="_compute_crm_credit_hold",
        search="_search_crm_credit_hold",
        help="The customer's tier policy holds orders while part of their balance "
        "is overdue for too long, and this order was not released.",
    )
    crm_credit_hold_message = fields.Text(compute="_compute_crm_credit_hold")
    crm_can_release_hold = fields.Boolean(compute="_compute_crm_credit_hold")
    crm_hold_date = fields.Date(
        "Held on",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The day a credit hold was first met on this order.",
    )
    crm_hold_released_by_id = fields.Many2one(
        "res.users", "Hold released by", readonly=True, copy=False
    )
    crm_hold_release_date = fields.Datetime(
        "Hold released on", readonly=True, copy=False
    )
    crm_hold_release_reason = fields.Text(
        "Hold release reason", readonly=True, copy=False
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------
    @api.depends("partner_id", "company_id", "state", "crm_hold_release_date")
    @api.depends_context("uid")
    def _compute_crm_credit_hold(self):
        holds = self._crm_credit_holds()
        for order in self:
            hold = holds.get(order)
            order.crm_credit_hold = bool(hold)
            order.crm_credit_hold_message = hold and hold["message"]
            order.crm_can_release_hold = bool(hold) and order._crm_can_release_hold()

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("partner_id", "company_id")
    def _compute_pricelist_id(self):
        """Members of a tier with a pricelist get it on their quotations."""
        res = super()._compute_pricelist_id()
        Card = self.env["loyalty.card"]
        for company, orders in (
            self.filtered(lambda o: o.state == "draft" and o.partner_id)
            .grouped("company_id")
            .items()
        ):
            best = Card._tier_by_partner(orders.partner_id, company)
            for order in orders:
                tier = best.get(order.partner_id.commercial_partner_id.id, {}).get(
                    "pricelist"
                )
                if tier:
                    order.pricelist_id = tier.pricelist_id
        return res

    # ------------------------------------------------------------
    # LOYALTY RESTRICTIONS
    # ------------------------------------------------------------

    def _loyalty_customer_tiers(self):
        """Tiers held by the cards of the order's customer."""
        self.ensure_one()
        best = self.env["loyalty.card"]._tier_by_partner(
            self.partner_id, self.company_id
        )
        return best.get(self.partner_id.commercial_partner_id.id, {}).get(
            "tiers", self.env["loyalty.tier"]
        )

    def _loyalty_member_domain(self, prefix=""):
        """Programs reserved to some tiers or customers are out of reach of others."""
        partners = self.partner_id | self.partner_id.commercial_partner_id
        tiers = self._loyalty_customer_tiers()
        return [
            "|",
            (f"{prefix}allowed_partner_ids", "=", False),
            (f"{prefix}allowed_partner_ids", "in", partners.ids),
            "|",
            (f"{prefix}allowed_tier_ids", "=", False),
            (f"{prefix}allowed_tier_ids", "in", tiers.ids),
        ]

    def _get_program_domain(self):
        return expression.AND(
            [super()._get_program_domain(), self._loyalty_member_domain()]
        )

    def _get_trigger_domain(self):
        return expression.AND(
            [super()._get_trigger_domain(), self._loyalty_member_domain("program_id.")]
        )

    def _program_check_compute_points(self, programs):
        result = super()._program_check_compute_points(programs)
        restricted = programs.filtered(
            lambda p: p.allowed_partner_ids or p.allowed_tier_ids
        )
        if restricted:
            tiers = self._loyalty_customer_tiers()
            for program in restricted:
                if not program._is_allowed_for_partner(self.partner_id, tiers):
                    result[program] = {
                        "error": self.env._(
                            "The program %(program)s is reserved to other members.",
                            program=program.name,
                        )
                    }
        return result

    def _get_claimable_rewards(self, forced_coupons=None):
        result = super()._get_claimable_rewards(forced_coupons=forced_coupons)
        if not any(rewards.allowed_tier_ids for rewards in result.values()):
            return result
        tiers = self._loyalty_customer_tiers()
        for coupon in list(result):
            result[coupon] = result[coupon].filtered(
                lambda r: not r.allowed_tier_ids or r.allowed_tier_ids & tiers
            )
            if not result[coupon]:
                del result[coupon]
        return result

    def _apply_program_reward(self, reward, coupon, **kwargs):
        if reward.allowed_tier_ids and not (
            reward.allowed_tier_ids & self._loyalty_customer_tiers()
        ):
            return {
                "error": self.env._(
                    "The reward %(reward)s is reserved to other members.",
                    reward=reward.description,
                )
            }
        return super()._apply_program_reward(reward, coupon, **kwargs)

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        orders._crm_stamp_service()
        return orders

    def write(self, vals):
        if "partner_id" not in vals and "company_id" not in vals:
            return super().write(vals)
        before = {o: (o.partner_id.commercial_partner_id, o.company_id) for o in self}
        res = super().write(vals)
        moved = self.filtered(
            lambda o: before[o] != (o.partner_id.commercial_partner_id, o.company_id)
        )
        # a release was given for one customer in one company: it lapses when the
        # quotation goes to another
        moved.filtered("crm_hold_release_date")._crm_lapse_release(
            _("The release of the credit hold lapsed: the quotation changed customer.")
        )
        moved._crm_stamp_service(restamp=True)
        return res

    def action_draft(self):
        """A cancelled order set back to quotation is a new sale: its release,
        which let one confirmation through, lapses."""
        released = self.filtered(
            lambda o: o.state == "cancel" and o.crm_hold_release_date
        )
        res = super().action_draft()
        released._crm_lapse_release(
            _("The release of the credit hold lapsed: the order is a quotation again.")
        )
        return res

    def _crm_lapse_release(self, message):
        if not self:
            return
        # sudo: service fields, reset whoever edits the quotation
        super(SaleOrder, self.sudo()).write(
            {
                "crm_hold_released_by_id": False,
                "crm_hold_release_date": False,
                "crm_hold_release_reason": False,
            }
        )
        for order in self:
            order.sudo()._message_log(body=message)

    # ------------------------------------------------------------
    # SERVICE BY TIER: CREDIT HOLDS
    # ------------------------------------------------------------
    def _crm_stamp_service(self, restamp=False):
        """Record the customer's tier on new quotations, and the day a hold was
        first met (the service report counts holds by tier and month). With
        ``restamp`` (the quotation changed customer), a hold met for the previous
        customer is forgotten when the new one is not held."""
        drafts = self.filtered(lambda o: o.state in ("draft", "sent") and o.partner_id)
        if not drafts:
            return
        # sudo: the tier decides the service, whoever makes the quotation
        tiers = self.env["crm.relationship.score"]._tiers_of(
            drafts.partner_id.commercial_partner_id, drafts.company_id
        )
        holds = drafts._crm_credit_holds()
        writes = defaultdict(lambda: self.browse())
        for order in drafts:
            tier = tiers.get(
                (order.partner_id.commercial_partner_id.id, order.company_id.id)
            )
            vals = {}
            if tier != order.crm_tier:
                vals["crm_tier"] = tier
            if order in holds and not order.crm_hold_date:
                vals["crm_hold_date"] = order.company_id._crm_today()
            elif (
                restamp
                and order not in holds
                and order.crm_hold_date
                and not order.crm_hold_release_date
            ):
                vals["crm_hold_date"] = False
            if vals:
                writes[tuple(sorted(vals.items()))] |= order
        for vals, orders in writes.items():
            # sudo: service fields, stamped whoever edits the quotation
            super(SaleOrder, orders.sudo()).write(dict(vals))

    def _crm_delivery_priorities(self):
        """``{order id: "0" or "1"}``: the delivery priority of each order's
        customer tier policy, ``"0"`` without one. Three queries for any number."""
        # sudo: the tier and its policy decide the service, whoever confirms
        orders = self.sudo()
        tiers = self.env["crm.relationship.score"]._tiers_of(
            orders.partner_id.commercial_partner_id, orders.company_id
        )
        policies = self.env["crm.tier.policy"]._policies_of(orders.company_id)
        result = {}
        for order in orders:
            key = (order.partner_id.commercial_partner_id.id, order.company_id.id)
            policy = policies.get((order.company_id.id, tiers.get(key)))
            result[order.id] = policy.delivery_priority if policy else "0"
        return result

    def _crm_credit_holds(self):
        """``{order: hold}`` of these orders held by their customer's tier policy
        (see ``_crm_held_sql``). Each hold is a dict: ``amount`` (company
        currency), ``since`` (oldest due date of that amount), ``days`` overdue,
        ``policy`` and the ``message`` the user reads. One query, also for new
        records (a quotation being written)."""
        orders = self.filtered(
            lambda o: (
                o.state in ("draft", "sent")
                and o.partner_id
                and o.company_id
                and not o.crm_hold_release_date
            )
        )
        if not orders:
            return {}
        # sudo: the customer's tier, policy and overdue balance decide the hold,
        # whoever sells to them; the user is only told the total and the date
        sudo_orders = orders.sudo()
        if not self._crm_hold_policies(sudo_orders.company_id):
            return {}
        candidates = SQL(
            "SELECT * FROM unnest(%s::int[], %s::int[], %s::int[])",
            list(range(len(orders))),
            sudo_orders.mapped(lambda o: o.partner_id.id),
            sudo_orders.mapped(lambda o: o.company_id.id),
        )
        self.env.cr.execute(self._crm_held_sql(candidates, sudo_orders.company_id))
        rows = self.env.cr.fetchall()
        Policy = self.env["crm.tier.policy"].sudo()
        holds = {}
        for index, policy_id, amount, since in rows:
            order = orders[index]
            company = sudo_orders[index].company_id
            hold = {
                "amount": float(amount),
                "since": since,
                "days": (company._crm_today() - since).days,
                "policy": Policy.browse(policy_id),
            }
            hold["message"] = order._crm_hold_message(hold)
            holds[order] = hold
        return holds

    @api.model
    def _crm_hold_policies(self, companies):
        """The credit-holding tier policies of these companies (one query): without
        any, nothing is held and nothing needs to be read."""
        return [
            policy
            for policy in self.env["crm.tier.policy"]._policies_of(companies).values()
            if policy.credit_hold
        ]

    @api.model
    def _crm_held_sql(self, candidates, companies):
        """SQL: the candidate orders held by a credit hold, as rows ``(candidate,
        policy id, amount, oldest due date)``.

        ``candidates``: SQL of rows ``(ord, partner_id, company_id)`` (quotations
        not released). A candidate is held when the policy of its customer's tier
        (the commercial entity's score row in the order's company) holds orders and
        the customer owes the company an amount due more than the policy's days
        ago (days in the company's time zone), net of their unapplied credits
        (payments and credit notes not yet matched), as Odoo's receivable counts
        it: open receivable lines of posted entries of the customer or any of its
        contacts, in the company's currency (``res.partner._crm_overdue_sql``, which
        the overdue next actions read too). The same SQL decides the banner, the
        refusal, the dashboard counter, the record rule and the report.
        """
        # the balance moves through invoices, payments and reconciliations, each
        # with its own pending writes: all of them, as Odoo's SQL reports do
        self.env.flush_all()
        # sudo: each company's today and currency, whoever asks
        days = SQL(", ").join(
            SQL(
                "(%s, %s::date, %s::numeric)",
                company.id,
                company._crm_today(),
                company.currency_id.rounding / 2,
            )
            for company in companies.sudo()
        ) or SQL("(0, NULL::date, 0::numeric)")
        return SQL(
            """
            WITH day(company_id, today, half_unit) AS (VALUES %(days)s),
            held AS (
                SELECT c.ord, pol.id AS policy_id, c.company_id,
                       p.commercial_partner_id AS partner_id, day.half_unit,
                       day.today - pol.credit_hold_days AS due_before
                  FROM (%(candidates)s) AS c(ord, partner_id, company_id)
                  JOIN day ON day.company_id = c.company_id
                  JOIN res_partner p ON p.id = c.partner_id
                  JOIN crm_relationship_score s
                    ON s.partner_id = p.commercial_partner_id
                   AND s.company_id = c.company_id
                  JOIN crm_tier_policy pol
                    ON pol.company_id = c.company_id AND pol.tier = s.tier
                   AND pol.credit_hold
            )
            SELECT held.ord, held.policy_id, o.overdue + o.credits, o.since
              FROM held
              CROSS JOIN LATERAL (%(owed)s) o
             WHERE o.since IS NOT NULL
               AND o.overdue + o.credits >= held.half_unit
            """,
            days=days,
            candidates=candidates,
            owed=self.env["res.partner"]._crm_overdue_sql(
                SQL("held.partner_id"), SQL("held.company_id"), SQL("held.due_before")
            ),
        )

    def _search_crm_credit_hold(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on 'On credit hold'."))
        # sudo: which quotations are held, whoever searches; the caller's own
        # rules still apply to the orders found
        companies = self.env["res.company"].sudo().search([])
        positive = (operator == "=") == value
        if not self._crm_hold_policies(companies):
            return [("id", "in" if positive else "not in", [])]
        candidates = SQL(
            """
            SELECT so.id, so.partner_id, so.company_id FROM sale_order so
             WHERE so.state IN ('draft', 'sent') AND so.crm_hold_release_date IS NULL
            """
        )
        self.env.cr.execute(self._crm_held_sql(candidates, companies))
        ids = [row[0] for row in self.env.cr.fetchall()]
        return [("id", "in" if positive else "not in", ids)]

    @api.model
    @in_user_language
    def _cron_stamp_credit_holds(self):
        """Daily: quotations that came under a hold since they were made (their
        customer fell overdue) are recorded as held, for the service report and so
        that department heads can open them."""
        held = self.search(
            [("crm_credit_hold", "=", True), ("crm_hold_date", "=", False)]
        )
        for company, orders in held.grouped("company_id").items():
            super(SaleOrder, orders).write({"crm_hold_date": company._crm_today()})
        return len(held)

    def _crm_hold_message(self, hold):
        self.ensure_one()
        return _(
            "%(customer)s is on credit hold: %(amount)s has been overdue since "
            "%(since)s (%(days)s days; the policy of tier %(tier)s holds orders past "
            "%(limit)s days). A finance department head or an accounting manager can "
            'release this order: use "Request release" to ask Finance.',
            customer=self.partner_id.commercial_partner_id.display_name,
            amount=formatLang(
                self.env, hold["amount"], currency_obj=self.company_id.currency_id
            ),
            since=format_date(self.env, hold["since"]),
            days=hold["days"],
            tier=hold["policy"].tier,
            limit=hold["policy"].credit_hold_days,
        )

    def _crm_can_release_hold(self):
        """Accounting managers, and the heads of a finance department of the
        order's company, release credit holds."""
        self.ensure_one()
        user = self.env.user
        if self.env.su:
            return True
        if self.sudo().company_id not in user.company_ids:
            return False
        if user.has_group(FINANCE_MANAGER):
            return True
        if not user.has_group(DEPARTMENT_HEAD):
            return False
        # sudo: the user's own employee records, in the order's company (Odoo's
        # user.employee_ids only holds those of the current companies)
        employees = (
            self.env["hr.employee"]
            .sudo()
            .search(
                [
                    ("user_id", "=", user.id),
                    ("company_id", "=", self.sudo().company_id.id),
                ]
            )
        )
        return "finance" in employees.department_id.mapped("crm_function")

    def _crm_check_credit_hold(self):
        """Refuse to confirm orders held by their customer's tier policy. Orders
        paid online to their confirmation amount are never held: the customer has
        paid (as Odoo's payment flow confirms them)."""
        holds = self._crm_credit_holds()
        held = [
            hold
            for order, hold in holds.items()
            if not order.sudo()._is_confirmation_amount_reached()
            or not order.sudo().transaction_ids
        ]
        if held:
            raise UserError("\n\n".join(hold["message"] for hold in held))

    def action_crm_release_hold(self, reason):
        """Release the credit hold of these orders, for the reason given: logged on
        each order and its customer; the hand-offs asking for the release are done.

        :param str reason: why the orders may be confirmed (required)
        :raises UserError: without a reason
        :raises AccessError: for users other than accounting managers and heads
            of the order's company's finance department
        """
        reason = (reason or "").strip()
        if not reason:
            raise UserError(
                _("Say why the hold is released: the customer's record keeps it.")
            )
        for order in self:
            if not order._crm_can_release_hold():
                raise AccessError(
                    _(
                        "Only a head of the finance department or an accounting "
                        "manager can release the credit hold of %(order)s.",
                        order=order.sudo().name,
                    )
                )
        # sudo: the releaser may not read the salesperson's order; rights checked above
        orders = self.sudo()
        holds = orders._crm_credit_holds()
        free = orders.filtered(lambda o: o not in holds)
        if free:
            raise UserError(
                _(
                    "%(order)s is not on credit hold: there is nothing to release.",
                    order=free[0].name,
                )
            )
        now = fields.Datetime.now()
        for order in orders:
            super(SaleOrder, order).write(
                {
                    "crm_hold_released_by_id": self.env.uid,
                    "crm_hold_release_date": now,
                    "crm_hold_release_reason": reason,
                    "crm_hold_date": order.crm_hold_date
                    or order.company_id._crm_today(),
                }
            )
            body = Markup("<p>%s</p><p>%s</p>") % (
                _(
                    "%(user)s released the credit hold of %(order)s.",
                    user=self.env.user.name,
                    order=order.name,
                ),
                reason,
            )
            order._message_log(body=body)
            order.partner_id.commercial_partner_id._message_log(body=body)
            handoffs = (
                self.env["crm.handoff"]
                .sudo()
                .search(
                    [
                        ("document_ref", "=", f"sale.order,{order.id}"),
                        ("state", "in", ("requested", "accepted")),
                        ("to_department_id.crm_function", "=", "finance"),
                    ]
                )
            )
            if handoffs:
                handoffs.write({"result": body})
                handoffs.action_done()
        return True

    def action_crm_open_release_hold(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Release the credit hold"),
            "res_model": "sale.order.hold.release",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }

    def action_crm_request_release(self):
        """Open a hand-off to the finance department asking to release the hold,
        filled from the order."""
        self.ensure_one()
        company = self.company_id
        # sudo: any salesperson may find which department is finance
        finance = (
            self.env["hr.department"]
            .sudo()
            .search(
                [
                    ("crm_function", "=", "finance"),
                    ("company_id", "in", [company.id, False]),
                ],
                limit=1,
            )
        )
        if not finance:
            raise UserError(
                _(
                    "No department of %(company)s is marked as Finance: set its "
                    '"Function for customers" in Employees > Departments.',
                    company=company.name,
                )
            )
        hold = self._crm_credit_holds().get(self)
        if hold and not self.crm_hold_date:
            # sudo: service field, stamped whoever asks
            super(SaleOrder, self.sudo()).write({"crm_hold_date": company._crm_today()})
        employee = (
            self.env["hr.employee"]
            .sudo()
            .search(
                [("user_id", "=", self.env.uid), ("company_id", "=", company.id)],
                limit=1,
            )
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Request a release"),
            "res_model": "crm.handoff",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_partner_id": self.partner_id.commercial_partner_id.id,
                "default_company_id": company.id,
                "default_to_department_id": finance.id,
                "default_from_department_id": employee.department_id.id,
                "default_priority": "1",
                "default_document_ref": f"sale.order,{self.id}",
                "default_name": _(
                    "Release the credit hold on %(order)s", order=self.name
                ),
                "default_description": Markup("<p>%s</p>")
                % (hold["message"] if hold else ""),
            },
        }

    # ------------------------------------------------------------
    # POINTS LEDGER
    # ------------------------------------------------------------

    def action_confirm(self):
        """A credit hold stops the confirmation (see ``_crm_credit_holds``); the
        customer's tier is recorded. sale_loyalty moves the cards' balances itself;
        the ledger records what each order gave and took, from the order's history
        lines."""
        to_confirm = self.filtered(lambda o: o.state != "sale")
        to_confirm._crm_check_credit_hold()
        to_confirm._crm_stamp_service()
        res = super(
            SaleOrder, self.with_context(**{LEDGER_DONE: True})
        ).action_confirm()
        to_confirm.with_env(self.env)._loyalty_ledger_record()
        return res

    def _action_cancel(self):
        """A cancelled order takes back the lots it gave and gives back what it
        redeemed (sale_loyalty has already moved the balances)."""
        confirmed = self.filtered(lambda o: o.state == "sale")
        # sudo: the balances before sale_loyalty moves them, read for whoever cancels
        Card = self.env["loyalty.card"].sudo()
        touched = Card.browse()
        if confirmed:
            touched = (
                confirmed.sudo().coupon_point_ids.coupon_id
                | confirmed.sudo().order_line.coupon_id
                | Card.search(
                    [
                        ("lot_ids.origin_model", "=", self._name),
                        ("lot_ids.origin_id", "in", confirmed.ids),
                    ]
                )
            )
        before = {card: card.points for card in touched}
        res = super(
            SaleOrder, self.with_context(**{LEDGER_DONE: True})
        )._action_cancel()
        if confirmed:
            delta = Card._ledger_undo_document(
                self._name,
                confirmed.ids,
                self.env._("Order cancelled"),
            )
            # sale_loyalty took the order's points and gave back its rewards'
            # whatever had lapsed or been taken back since: the balance is the
            # one before the cancellation moved by what the ledger undid
            for card in (Card.union(*delta) | touched).exists():
                right = float_round(
                    before.get(card, card.points) + delta.get(card, 0.0),
                    POINTS_DIGITS,
                )
                if float_compare(card.points, right, POINTS_DIGITS):
                    card.with_context(**{LEDGER_DONE: True}).points = right
            Card.union(*delta)._ledger_refresh()
        return res

    def _loyalty_ledger_record(self):
        """Lots for the points these confirmed orders gave, dated the order date;
        redemptions for the points their rewards cost. A contact's new card is
        merged into the customer's membership card."""
        # sudo: the ledger follows the order the user was allowed to confirm
        lines = (
            self.env["loyalty.history"]
            .sudo()
            .search(
                [("order_model", "=", self._name), ("order_id", "in", self.ids)],
                order="id",
            )
        )
        if not lines:
            return
        orders = {order.id: order for order in self}
        # sudo: the customer's membership cards, whoever confirms the order
        cards = self.env["loyalty.card"].sudo()
        for line in lines:
            order = orders[line.order_id]
            date = local_date(order.date_order, order.company_id._crm_tz())
            origin = (self._name, order.id)
            card = line.card_id
            if line.issued > 0:
                card._ledger_award(line.issued, date, line.description, origin)
            if line.used > 0:
                card._ledger_consume(
                    line.used, "redeem", date, line.description, origin
                )
            cards |= card
        cards._ledger_refresh()
        members = cards.filtered(
            lambda c: c.program_id.program_type == "loyalty" and c.partner_id
        )
        memberships = members._membership_cards(members.partner_id, members.program_id)
        # every other usable card of the customer in the program joins the
        # membership (a contact's card when the company orders, and the reverse)
        usable = members.search(
            [
                ("program_id", "in", members.program_id.ids),
                (
                    "partner_id",
                    "child_of",
                    members.partner_id.commercial_partner_id.ids,
                ),
                "|",
                ("expiration_date", "=", False),
                ("expiration_date", ">=", self.company_id[:1]._crm_today()),
            ]
        )
        for key, kept in memberships.items():
            duplicates = (
                usable.filtered(
                    lambda c, key=key: (
                        (
                            c.program_id.id,
                            c.partner_id.commercial_partner_id.id,
                        )
                        == key
                    )
                )
                - kept
            )
            if duplicates:
                kept._merge_from(duplicates)

    def __try_apply_program(self, program, coupon, status):
        """A loyalty card past its expiration date takes no new points: the order
        uses the customer's valid card, or a new one (sale_loyalty would pick the
        first card of the customer, expired or not)."""
        if (
            not coupon
            and program.is_nominative
            and program.program_type == "loyalty"
            and self.partner_id
        ):
            Card = self.env["loyalty.card"]
            held = Card.search(
                [
                    ("partner_id", "=", self.partner_id.id),
                    ("program_id", "=", program.id),
                ]
            )
            today = self.company_id._crm_today()
            usable = held.filtered(
                lambda c: not c.expiration_date or c.expiration_date >= today
            )
            if held and not usable:
                # sudo: as sale_loyalty creates its cards
                usable = (
                    Card.sudo()
                    .with_context(loyalty_no_mail=True, tracking_disable=True)
                    .create(
                        {
                            "program_id": program.id,
                            "partner_id": self.partner_id.id,
                            "points": 0,
                        }
                    )
                )
            if held and usable:
                coupon = usable[:1]
        return super().__try_apply_program(program, coupon, status)
