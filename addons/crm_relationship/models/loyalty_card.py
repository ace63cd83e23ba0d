from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, date_utils, float_compare, float_round, split_every

from ..tools import cron
from ..tools.cron import in_user_language

#: context key: the caller records the ledger itself (lots and uses) for this change
LEDGER_DONE = "loyalty_ledger_done"
#: points are compared and rounded at this precision (Odoo rounds awards to it)
POINTS_DIGITS = 2


class LoyaltyCard(models.Model):
    _inherit = "loyalty.card"

    tier_id = fields.Many2one(
        "loyalty.tier",
        readonly=True,
        index="btree_not_null",
        tracking=True,
        ondelete="set null",
    )
    tier_since = fields.Date(readonly=True)
    tier_period_end = fields.Date(
        "Tier kept until",
        readonly=True,
        help="End of the evaluation period: the tier cannot go down before this date "
        "plus the program's grace days.",
    )
    tier_points = fields.Float(
        "Qualifying points",
        readonly=True,
        help="Points earned in the current tier period (awards less the awards "
        "reversed by credit notes and cancellations). Redemptions and expiry never "
        "lower them. Tiers with a points threshold are judged on them.",
    )
    archive_date = fields.Datetime(
        "Archived on",
        readonly=True,
        copy=False,
        help="When the card was last archived: it was a membership until then.",
    )
    program_tier_ids = fields.One2many(related="program_id.tier_ids")
    lot_ids = fields.One2many(
        "loyalty.points.lot", "card_id", string="Points lots", readonly=True
    )
    points_use_ids = fields.One2many(
        "loyalty.points.use", "card_id", string="Points uses", readonly=True
    )
    next_expiry_date = fields.Date(
        compute="_compute_next_expiry", string="Next points expiry"
    )
    next_expiry_points = fields.Float(
        compute="_compute_next_expiry", string="Points expiring next"
    )
    next_tier_id = fields.Many2one(
        "loyalty.tier", compute="_compute_next_tier", string="Next tier"
    )
    next_tier_missing = fields.Float(
        compute="_compute_next_tier",
        string="Needed for the next tier",
        help="Qualifying points (or spend) still needed to reach the next tier.",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    def _loyalty_today(self):
        """Today in the time zone of the card's company (the current company for a
        card of every company): the day points are awarded, used and expire."""
        return (self.company_id[:1] or self.env.company)._crm_today()

    def _compute_next_expiry(self):
        today = self[:1]._loyalty_today()
        # sudo: the lots are the card's own composition, shown to whoever sees it
        groups = (
            self.env["loyalty.points.lot"]
            .sudo()
            ._read_group(
                [
                    ("card_id", "in", self.ids),
                    ("remaining", ">", 0),
                    ("expiry_date", "!=", False),
                    ("expiry_date", ">=", today),
                ],
                ["card_id", "expiry_date:day"],
                ["remaining:sum"],
                order="expiry_date:day asc",
            )
        )
        first = {}
        for card, expiry, points in groups:
            first.setdefault(card.id, (expiry, points))
        for card in self:
            expiry, points = first.get(card.id, (False, 0.0))
            card.next_expiry_date = expiry
            card.next_expiry_points = points

    @api.depends("tier_id", "tier_points", "program_id.tier_ids")
    def _compute_next_tier(self):
        spend = {}
        spend_cards = self.filtered(
            lambda c: (
                "spend" in c.program_id.tier_ids.mapped("threshold_type")
                and c.partner_id
            )
        )
        if spend_cards:
            spend = self._loyalty_spend(
                spend_cards.partner_id.commercial_partner_id,
                spend_cards[:1]._loyalty_today(),
            )
        # sorted() without a key is a query: once per program, not per card
        ranked_by_program = {
            program: program.tier_ids.sorted() for program in self.program_id
        }
        for card in self:
            ranked = ranked_by_program.get(card.program_id, self.env["loyalty.tier"])
            above = ranked
            if card.tier_id in ranked:
                above = ranked[ranked.ids.index(card.tier_id.id) + 1 :]
            next_tier = above[:1]
            card.next_tier_id = next_tier
            if not next_tier:
                card.next_tier_missing = 0.0
                continue
            value = (
                card.tier_points
                if next_tier.threshold_type == "points"
                else card._loyalty_tier_value(next_tier, spend, {})
            )
            card.next_tier_missing = max(0.0, next_tier.threshold - value)

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        cards = super().create(vals_list)
        if not self.env.context.get(LEDGER_DONE):
            # a card created with points (an import, a gift card made by hand)
            # opens its ledger with one lot of them
            for card in cards.filtered(lambda c: c.points > 0):
                card._ledger_award(
                    card.points, card._loyalty_today(), self.env._("Opening balance")
                )
            cards.filtered("points")._ledger_refresh()
        return cards

    def write(self, vals):
        if "active" in vals:
            vals = {
                **vals,
                "archive_date": False if vals["active"] else fields.Datetime.now(),
            }
        if "points" not in vals or self.env.context.get(LEDGER_DONE):
            return super().write(vals)
        before = {card: card.points for card in self}
        res = super().write(vals)
        # a change of balance nobody recorded in the ledger (the balance wizard, a
        # reward added to a confirmed order, a person editing the field): an award
        # of what was added, or a redemption of what was taken, as of today
        description = self.env.context.get("loyalty_ledger_description")
        for card in self:
            today = card._loyalty_today()
            delta = float_round(card.points - before[card], POINTS_DIGITS)
            if delta > 0:
                card._ledger_award(
                    delta, today, description or self.env._("Balance increased")
                )
            elif delta < 0:
                card._ledger_consume(
                    -delta,
                    "redeem",
                    today,
                    description or self.env._("Balance decreased"),
                )
        self._ledger_refresh()
        return res

    # ------------------------------------------------------------
    # TIER EVALUATION
    # ------------------------------------------------------------

    @api.model
    def _loyalty_spend(self, partners, date):
        """Untaxed posted invoiced amount (minus refunds) of the last 12 months.

        :return: {commercial partner id: {company id: amount in company currency}}
        """
        if not partners:
            return {}
        # sudo: an aggregate used to rank customers, read by whoever changed points
        groups = (
            self.env["account.move"]
            .sudo()
            ._read_group(
                [
                    ("move_type", "in", ("out_invoice", "out_refund")),
                    ("state", "=", "posted"),
                    ("commercial_partner_id", "in", partners.ids),
                    ("invoice_date", ">", date - relativedelta(years=1)),
                    ("invoice_date", "<=", date),
                ],
                ["commercial_partner_id", "company_id"],
                ["amount_untaxed_signed:sum"],
            )
        )
        spend = defaultdict(dict)
        for partner, company, amount in groups:
            spend[partner.id][company.id] = amount
        return spend

    def _loyalty_tier_value(self, tier, spend, qualifying):
        """The value of this card compared with the threshold of ``tier``: the
        customer's qualifying points (``qualifying``, from
        :meth:`_membership_qualifying_points`) or spend (``spend``, from
        :meth:`_loyalty_spend`)."""
        self.ensure_one()
        if tier.threshold_type == "points":
            return qualifying.get(self.id, self.tier_points)
        by_company = spend.get(self.partner_id.commercial_partner_id.id, {})
        if self.company_id:
            return by_company.get(self.company_id.id, 0.0)
        return sum(by_company.values())

    def _evaluate_tiers(self, date=None, upgrade_only=False):
        """Move the cards to the tier their qualifying points or spend qualify for.

        Points thresholds are judged on the qualifying points of the customer
        (commercial entity: a contact's card counts for its company) in the current
        tier period or, when more, in the previous one: a tier earned in one period
        is held through the next. Upgrades happen at once. A downgrade waits until
        the evaluation period of the current tier has ended plus the program's grace
        days; a member who still qualifies after the period end keeps the tier for a
        new period.
        """
        cards = self.filtered(
            lambda c: c.active and c.program_id.tier_ids and c.partner_id
        )
        if not cards:
            return self.browse()
        if not date:
            changed = self.browse()
            for company, batch in cards.grouped("company_id").items():
                changed |= batch._evaluate_tiers(
                    (company or self.env.company)._crm_today(), upgrade_only
                )
            return changed
        tiers = cards.program_id.tier_ids
        spend = {}
        if "spend" in tiers.mapped("threshold_type"):
            spend = self._loyalty_spend(cards.partner_id.commercial_partner_id, date)
        qualifying = {}
        if "points" in tiers.mapped("threshold_type"):
            qualifying = cards._membership_qualifying_points(date)

        updates = defaultdict(lambda: self.browse())
        history_vals = []
        for card in cards:
            program = card.program_id
            ranked = program.tier_ids.sorted()
            reached = self.env["loyalty.tier"]
            for tier in ranked:
                value = card._loyalty_tier_value(tier, spend, qualifying)
                if float_compare(value, tier.threshold, POINTS_DIGITS) >= 0:
                    reached = tier
            current = card.tier_id if card.tier_id in ranked else reached.browse()
            new_rank = ranked.ids.index(reached.id) if reached else -1
            current_rank = ranked.ids.index(current.id) if current else -1
            period_end = date_utils.end_of(date, program.tier_period)
            if new_rank == current_rank:
                if (
                    current
                    and not upgrade_only
                    and (not card.tier_period_end or date > card.tier_period_end)
                ):
                    updates[(current.id, card.tier_since, period_end)] |= card
                continue
            if new_rank < current_rank:
                if upgrade_only:
                    continue
                deadline = (
                    card.tier_period_end
                    and card.tier_period_end
                    + relativedelta(days=program.tier_grace_days)
                )
                if deadline and date <= deadline:
                    continue
            updates[(reached.id, reached and date, reached and period_end)] |= card
            history_vals.append(
                {
                    "card_id": card.id,
                    "description": self.env._(
                        "Tier: %(old)s → %(new)s",
                        old=card.tier_id.name or self.env._("none"),
                        new=reached.name or self.env._("none"),
                    ),
                    "issued": 0.0,
                    "used": 0.0,
                }
            )
        for (tier_id, since, period_end), batch in updates.items():
            batch.write(
                {
                    "tier_id": tier_id,
                    "tier_since": since,
                    "tier_period_end": period_end,
                }
            )
        changed = self.browse([vals["card_id"] for vals in history_vals])
        if history_vals:
            # sudo: the history follows from a change the user was allowed to make
            self.env["loyalty.history"].sudo().create(history_vals)
            changed._send_tier_change_mail()
        return changed

    def _send_tier_change_mail(self):
        if self.env.context.get("loyalty_no_mail"):
            return
        template = self.env.ref(
            "crm_relationship.mail_template_loyalty_tier_change",
            raise_if_not_found=False,
        )
        cards = self.filtered("partner_id")
        if template and cards:
            # sudo: the notice goes with the tier change, whoever triggered it
            template.sudo().send_mail_batch(
                cards.ids, email_layout_xmlid="mail.mail_notification_light"
            )

    @api.model
    def _tier_by_partner(self, partners, company):
        """Best tier of each customer's cards in ``company``.

        :return: {commercial partner id: {"pricelist": tier, "discount": tier}} where
            "pricelist" is the highest-ranked tier with a pricelist and "discount" the
            tier with the largest discount.
        """
        commercial = partners.commercial_partner_id
        if not commercial:
            return {}
        # sudo: salespeople without loyalty rights still price their customers
        cards = (
            self.sudo()
            .search(
                [
                    ("partner_id", "in", (partners | commercial).ids),
                    ("tier_id", "!=", False),
                    ("company_id", "in", [company.id, False]),
                ]
            )
            .sorted(lambda c: (c.tier_id.sequence, c.tier_id.threshold, c.tier_id.id))
        )
        result = defaultdict(dict)
        for card in cards:
            tier = card.tier_id
            best = result[card.partner_id.commercial_partner_id.id]
            if tier.pricelist_id:
                best["pricelist"] = tier
            if tier.discount > best.get("discount", tier.browse()).discount:
                best["discount"] = tier
            best.setdefault("tiers", tier.browse())
            best["tiers"] |= tier
        return result

    @api.model
    @in_user_language
    def _cron_evaluate_tiers(self, batch_size=1000):
        """Daily: all cards of programs with tiers, in committed batches. The
        qualifying points are recomputed first: a new tier period starts at 0."""
        cards = self.search(
            [("program_id.tier_ids", "!=", False), ("partner_id", "!=", False)]
        )
        done = 0
        for batch_ids in split_every(batch_size, cards.ids):
            done += len(batch_ids)
            self._loyalty_run_batch(
                lambda batch_ids=batch_ids: self.browse(batch_ids)._evaluate_batch(),
                done,
                len(cards) - done,
            )

    def _evaluate_batch(self):
        self._ledger_update_tier_points()
        self._evaluate_tiers()

    def _loyalty_run_batch(self, work, done, remaining):
        """One committed batch of a loyalty cron, run again when a posting changed
        its cards meanwhile (see ``tools.cron.run_batch``)."""
        cron.run_batch(self.env, work, done, remaining)

    # ------------------------------------------------------------
    # MEMBERSHIP: ONE CARD PER CUSTOMER AND PROGRAM
    # ------------------------------------------------------------

    @api.model
    def _membership_cards(self, partners, programs, date=None):
        """The usable membership card of each customer in each program.

        A customer is a commercial entity: the card of the company itself is
        preferred, else the oldest card held by one of its contacts. Cards archived
        or past their expiration date take no new points.

        :return: {(program id, commercial partner id): loyalty.card}
        """
        date = date or self.env.company._crm_today()
        commercial = partners.commercial_partner_id
        if not commercial or not programs:
            return {}
        # sudo: the membership is looked up for whoever posts the document
        cards = self.sudo().search(
            [
                ("program_id", "in", programs.ids),
                ("partner_id", "child_of", commercial.ids),
                "|",
                ("expiration_date", "=", False),
                ("expiration_date", ">=", date),
            ],
            order="id",
        )
        result = {}
        for card in cards:
            key = (card.program_id.id, card.partner_id.commercial_partner_id.id)
            held = result.get(key)
            if not held or (
                card.partner_id == card.partner_id.commercial_partner_id
                and held.partner_id != held.partner_id.commercial_partner_id
            ):
                result[key] = card
        return result

    @api.model
    def _membership_claim(self, partner):
        """Before creating the membership card of ``partner`` (a commercial entity):
        two transactions that each found no card (each reads a snapshot without the
        other's) would both create one. Both update the customer's row (a no-op):
        PostgreSQL refuses the later one (serialization failure), which runs again
        and finds the card of the first."""
        cron.claim_rows(self.env, "res_partner", partner.ids)

    def _membership_qualifying_points(self, date):
        """Qualifying points of each card's customer: the points earned on all the
        customer's cards of the program and company, in the tier period of ``date``
        or in the previous one, whichever is more.

        :return: {card id: points}
        """
        if not self:
            return {}
        # sudo: a customer's other cards count, whoever evaluates this one
        members = self.sudo().search(
            [
                ("program_id", "in", self.program_id.ids),
                ("partner_id", "child_of", self.partner_id.commercial_partner_id.ids),
            ]
        )
        members |= self.sudo()
        current, previous = {}, {}
        for period, cards in members.grouped(
            lambda c: c.program_id.tier_period
        ).items():
            start = date_utils.start_of(date, period)
            current.update(cards._qualifying_points(start, date))
            previous_start = date_utils.start_of(start - timedelta(days=1), period)
            previous.update(
                cards._qualifying_points(previous_start, start - timedelta(days=1))
            )
        totals = defaultdict(lambda: [0.0, 0.0])
        for card in members:
            key = (card.program_id.id, card.partner_id.commercial_partner_id.id)
            totals[key][0] += current.get(card.id, 0.0)
            totals[key][1] += previous.get(card.id, 0.0)
        return {
            card.id: max(
                totals[(card.program_id.id, card.partner_id.commercial_partner_id.id)]
            )
            for card in self
        }

    def _qualifying_points(self, date_from, date_to):
        """Points awarded to these cards by documents dated in [date_from, date_to],
        less what reversals of those awards took back.

        :return: {card id: points}
        """
        # sudo: the ledger follows the reset the user was allowed to make
        Lot = self.env["loyalty.points.lot"].sudo()
        Use = self.env["loyalty.points.use"].sudo()
        awarded = {
            card.id: points
            for card, points in Lot._read_group(
                [
                    ("card_id", "in", self.ids),
                    ("date", ">=", date_from),
                    ("date", "<=", date_to),
                ],
                ["card_id"],
                ["points:sum"],
            )
        }
        for card, points in Use._read_group(
            [
                ("kind", "=", "reverse"),
                ("reversed_lot_id.card_id", "in", self.ids),
                ("reversed_lot_id.date", ">=", date_from),
                ("reversed_lot_id.date", "<=", date_to),
            ],
            ["card_id"],
            ["points:sum"],
        ):
            awarded[card.id] = awarded.get(card.id, 0.0) - points
        return {
            card_id: float_round(points, POINTS_DIGITS)
            for card_id, points in awarded.items()
        }

    def action_merge_memberships(self):
        """Merge the selected cards of one customer and program into one card.

        The kept card is the company's own, else the oldest. Points, history lines,
        lots, uses and the orders' points move to it; the others are archived with a
        note. Cards of different customers or programs are merged per customer and
        program.
        """
        merged = self.browse()
        for (_program, _partner), cards in self.grouped(
            lambda c: (c.program_id, c.partner_id.commercial_partner_id)
        ).items():
            if len(cards) < 2 or not _partner:
                continue
            today = cards[:1]._loyalty_today()
            keep = cards.sorted(
                lambda c, today=today: (
                    not c.active,
                    bool(c.expiration_date and c.expiration_date < today),
                    c.partner_id != c.partner_id.commercial_partner_id,
                    c.id,
                )
            )[:1]
            merged |= keep._merge_from(cards - keep)
        if not merged:
            raise UserError(
                self.env._(
                    "Select at least two cards of the same customer (a company and "
                    "its contacts) in the same program to merge them."
                )
            )
        return True

    def _merge_from(self, others):
        """Move the ledger, history and balance of ``others`` onto this card."""
        self.ensure_one()
        # sudo: merging moves records of models the manager may not write directly
        # (ledger, order points); the action itself needs write access on the cards
        others.check_access("write")
        sudo_others = others.sudo()
        # points of a card past its expiration date died with it: they expire
        # before the merge, they do not come back to life on the kept card
        today = self._loyalty_today()
        dead = sudo_others.filtered(
            lambda c: c.expiration_date and c.expiration_date < today
        )
        if dead:
            dead._expire_lots(today)
        moved_points = sum(sudo_others.mapped("points"))
        for model in ("loyalty.history", "loyalty.points.lot", "loyalty.points.use"):
            # sudo: see the method's docstring (merging moves ledger records)
            self.env[model].sudo().search([("card_id", "in", others.ids)]).write(
                {"card_id": self.id}
            )
        # the orders' points and reward lines follow the card, so that cancelling
        # an order later moves this card's balance (sale_loyalty reads both)
        for model in ("sale.order.coupon.points", "sale.order.line"):
            if model in self.env:
                # sudo: the orders' points follow the merged card
                self.env[model].sudo().search([("coupon_id", "in", others.ids)]).write(
                    {"coupon_id": self.id}
                )
        sudo_others.with_context(**{LEDGER_DONE: True}).write(
            {"points": 0, "active": False}
        )
        # sudo: the balance follows the merged ledger
        self.sudo().with_context(**{LEDGER_DONE: True}).points = (
            self.points + moved_points
        )
        # what a merged card owed is paid from the kept card's points at once
        self._ledger_cover_uncovered(self._ledger_open_lots())
        names = ", ".join(others.mapped("code"))
        self._message_log(
            body=self.env._("Merged the cards %(cards)s into this card.", cards=names)
        )
        for other in others:
            other._message_log(
                body=self.env._("Merged into the card %(card)s.", card=self.code)
            )
        self._ledger_refresh()
        return self

    # ------------------------------------------------------------
    # POINTS LEDGER
    # ------------------------------------------------------------

    def _ledger_award(self, points, date, description, origin=None):
        """Credit a lot of ``points`` dated ``date`` to this card, with the
        program's validity; uses left uncovered earlier are covered from it first.
        The caller changes the card's ``points``.

        :param origin: (model name, id) of the document that gave the points
        :return: the new ``loyalty.points.lot``
        """
        self.ensure_one()
        validity = self.program_id.points_validity_days
        # sudo: the ledger follows from a balance change the user was allowed to make
        lot = (
            self.env["loyalty.points.lot"]
            .sudo()
            .create(
                {
                    "card_id": self.id,
                    "description": description,
                    "date": date,
                    "expiry_date": date + relativedelta(days=validity)
                    if validity
                    else False,
                    "points": points,
                    "remaining": points,
                    "origin_model": origin and origin[0],
                    "origin_id": origin and origin[1],
                }
            )
        )
        self._ledger_cover_uncovered(lot)
        return lot

    def _ledger_open_lots(self):
        """This card's lots with points left, in the order they are used: the
        first to expire first, then the oldest."""
        self.ensure_one()
        # sudo: see _ledger_award
        return (
            self.env["loyalty.points.lot"]
            .sudo()
            .search(
                [("card_id", "=", self.id), ("remaining", ">", 0)],
                order="expiry_date asc nulls last, date, id",
            )
        )

    def _ledger_cover_uncovered(self, lots):
        """Pay the uses of this card no lot covered (points owed: spent, then taken
        back) from ``lots``, in their order, the oldest debt first."""
        self.ensure_one()
        # sudo: see _ledger_award
        uncovered = (
            self.env["loyalty.points.use"]
            .sudo()
            .search([("card_id", "=", self.id), ("lot_id", "=", False)], order="id")
        )
        lots = iter(lots)
        lot = next(lots, None)
        for use in uncovered:
            while lot and float_compare(lot.remaining, 0, POINTS_DIGITS) <= 0:
                lot = next(lots, None)
            if not lot:
                break
            take = min(use.points, lot.remaining)
            rest = float_round(use.points - take, POINTS_DIGITS)
            if rest > 0:
                use.copy({"points": rest, "lot_id": False})
            use.write({"points": take, "lot_id": lot.id})
            lot.remaining = float_round(lot.remaining - take, POINTS_DIGITS)

    def _ledger_consume(
        self, points, kind, date, description, origin=None, reversed_lot=None
    ):
        """Take ``points`` from this card's open lots, the first to expire first
        (then the oldest); what no lot covers is recorded uncovered. The caller
        changes the card's ``points``.

        :param kind: "redeem", "expire" or "reverse" (then ``reversed_lot`` is the
            award taken back)
        :return: the new ``loyalty.points.use`` records
        """
        self.ensure_one()
        # sudo: the ledger follows the credit note the user was allowed to post
        Use = self.env["loyalty.points.use"].sudo()
        lots = self._ledger_open_lots()
        values = {
            "card_id": self.id,
            "kind": kind,
            "date": date,
            "description": description,
            "origin_model": origin and origin[0],
            "origin_id": origin and origin[1],
            "reversed_lot_id": reversed_lot and reversed_lot.id,
        }
        vals_list = []
        left = float_round(points, POINTS_DIGITS)
        for lot in lots:
            if left <= 0:
                break
            take = float_round(min(left, lot.remaining), POINTS_DIGITS)
            lot.remaining = float_round(lot.remaining - take, POINTS_DIGITS)
            vals_list.append({**values, "lot_id": lot.id, "points": take})
            left = float_round(left - take, POINTS_DIGITS)
        if left > 0:
            vals_list.append({**values, "lot_id": False, "points": left})
        return Use.create(vals_list)

    def _ledger_reverse_lots(self, lots, points, date, description, origin):
        """Take back up to ``points`` of what ``lots`` (the awards of one document)
        gave, in their order: from each lot itself while it has points left; what
        of it had expired is not taken twice; what was spent is taken from the
        card's other lots. Qualifying points fall by all of it.

        :return: points taken from the balance
        """
        # sudo: the ledger follows the reset the user was allowed to make
        Use = self.env["loyalty.points.use"].sudo()
        reversed_before = defaultdict(float)
        expired_reversed = defaultdict(float)
        for lot, effect, total in Use._read_group(
            [("reversed_lot_id", "in", lots.ids), ("kind", "=", "reverse")],
            ["reversed_lot_id", "balance_effect"],
            ["points:sum"],
        ):
            reversed_before[lot.id] += total
            if not effect:
                expired_reversed[lot.id] += total
        expired = {
            lot.id: total
            for lot, total in Use._read_group(
                [("lot_id", "in", lots.ids), ("kind", "=", "expire")],
                ["lot_id"],
                ["points:sum"],
            )
        }
        left = float_round(points, POINTS_DIGITS)
        taken = 0.0
        for lot in lots:
            if left <= 0:
                break
            open_points = float_round(
                lot.points - reversed_before[lot.id], POINTS_DIGITS
            )
            amount = min(left, open_points)
            if amount <= 0:
                continue
            values = {
                "card_id": lot.card_id.id,
                "lot_id": lot.id,
                "reversed_lot_id": lot.id,
                "kind": "reverse",
                "date": date,
                "description": description,
                "origin_model": origin[0],
                "origin_id": origin[1],
            }
            own = float_round(min(amount, lot.remaining), POINTS_DIGITS)
            if own > 0:
                lot.remaining = float_round(lot.remaining - own, POINTS_DIGITS)
                Use.create({**values, "points": own})
            rest = float_round(amount - own, POINTS_DIGITS)
            lapsed = float_round(
                min(rest, expired.get(lot.id, 0.0) - expired_reversed[lot.id]),
                POINTS_DIGITS,
            )
            if lapsed > 0:
                Use.create({**values, "points": lapsed, "balance_effect": False})
            spent = float_round(rest - max(lapsed, 0.0), POINTS_DIGITS)
            if spent > 0:
                lot.card_id._ledger_consume(
                    spent, "reverse", date, description, origin, reversed_lot=lot
                )
            left = float_round(left - amount, POINTS_DIGITS)
            taken += own + spent
        return float_round(taken, POINTS_DIGITS)

    def _ledger_release(self, uses, points):
        """Give back up to ``points`` of what the reversals ``uses`` took, in
        their order: to the lot each took from (expired points stay expired:
        they change no balance).

        :return: points given back to the balance
        """
        left = float_round(points, POINTS_DIGITS)
        given = 0.0
        for use in uses:
            if left <= 0:
                break
            amount = float_round(min(left, use.points), POINTS_DIGITS)
            if use.balance_effect:
                if use.lot_id:
                    use.lot_id.remaining = float_round(
                        use.lot_id.remaining + amount, POINTS_DIGITS
                    )
                given += amount
            if float_compare(amount, use.points, POINTS_DIGITS) >= 0:
                use.unlink()
            else:
                use.points = float_round(use.points - amount, POINTS_DIGITS)
            left = float_round(left - amount, POINTS_DIGITS)
        return float_round(given, POINTS_DIGITS)

    @api.model
    def _ledger_undo_document(self, model, ids, description):
        """A document is reset or cancelled: take back every award it gave and give
        back every point it took (redemptions, reversals of other documents).

        :return: {card: points change} for the caller to apply to the balances
        """
        # sudo: see _ledger_award
        Lot = self.env["loyalty.points.lot"].sudo()
        Use = self.env["loyalty.points.use"].sudo()
        today = self.env.company._crm_today()
        delta = defaultdict(float)
        uses = Use.search([("origin_model", "=", model), ("origin_id", "in", ids)])
        # the reversal of the document's own earlier lots (an earlier reset) stays
        uses = uses.filtered(
            lambda u: (
                not (
                    u.reversed_lot_id.origin_model == model
                    and u.reversed_lot_id.origin_id == u.origin_id
                )
            )
        )
        for use in uses.filtered("balance_effect"):
            if use.lot_id:
                use.lot_id.remaining = float_round(
                    use.lot_id.remaining + use.points, POINTS_DIGITS
                )
            delta[use.card_id] += use.points
        uses.unlink()
        lots = Lot.search(
            [("origin_model", "=", model), ("origin_id", "in", ids)], order="id"
        )
        reversed_points = dict(
            Use._read_group(
                [("reversed_lot_id", "in", lots.ids), ("kind", "=", "reverse")],
                ["reversed_lot_id"],
                ["points:sum"],
            )
        )
        for lot in lots:
            taken = lot.card_id._ledger_reverse_lots(
                lot,
                lot.points - reversed_points.get(lot, 0.0),
                today,
                description,
                (model, lot.origin_id),
            )
            delta[lot.card_id] -= taken
        return delta

    def _ledger_apply(self, delta_by_card):
        """Change the balances by ``{card: points}`` already recorded in the ledger,
        then refresh qualifying points and tiers."""
        cards = self.browse()
        for card, delta in delta_by_card.items():
            delta = float_round(delta, POINTS_DIGITS)
            if delta:
                # sudo: the balance follows the ledger the caller was allowed to write
                card.sudo().with_context(**{LEDGER_DONE: True}).points = (
                    card.points + delta
                )
            cards |= card
        cards._ledger_refresh()

    def _ledger_update_tier_points(self, date=None):
        """Store the qualifying points of the current tier period (set-based), as of
        ``date`` (default: today in each card's company)."""
        for (company, period), cards in self.grouped(
            lambda c: (c.company_id, c.program_id.tier_period)
        ).items():
            day = date or (company or self.env.company)._crm_today()
            values = cards._qualifying_points(date_utils.start_of(day, period), day)
            by_value = defaultdict(lambda: self.browse())
            for card in cards:
                points = values.get(card.id, 0.0)
                if float_compare(points, card.tier_points, POINTS_DIGITS):
                    by_value[points] |= card
            for points, batch in by_value.items():
                # sudo: qualifying points follow the ledger, whoever changed it
                batch.sudo().with_context(**{LEDGER_DONE: True}).write(
                    {"tier_points": points}
                )

    def _ledger_refresh(self):
        """After a ledger change: qualifying points, then upgrades at once."""
        cards = self.exists()
        if not cards:
            return
        cards._ledger_update_tier_points()
        cards._evaluate_tiers(upgrade_only=True)

    # ------------------------------------------------------------
    # POINTS EXPIRY
    # ------------------------------------------------------------

    @api.model
    @in_user_language
    def _cron_expire_points(self, date=None, batch_size=1000):
        """Daily: expire what remains of each lot past its expiry date, then empty
        the cards past their expiration date; in committed batches.

        Only the lots' remaining points expire: what was used, reversed or is
        still valid is never touched. Each expiry is a use of the lot it empties
        and one history line per card.
        """
        # each card expires by its company's today; the candidates are read as of the
        # latest of them
        dates = (
            [date]
            if date
            # sudo: every company's day, whoever runs the expiry
            else [c._crm_today() for c in self.env["res.company"].sudo().search([])]
        )
        Lot = self.env["loyalty.points.lot"]
        Lot.flush_model()
        self.flush_model(["expiration_date", "points", "active"])
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT lot.card_id
                  FROM loyalty_points_lot lot
                  JOIN loyalty_card card ON card.id = lot.card_id
                  JOIN loyalty_program program ON program.id = card.program_id
                 WHERE lot.remaining > 0 AND program.program_type = 'loyalty'
                   AND (lot.expiry_date < %(date)s OR card.expiration_date < %(date)s)
                 ORDER BY 1
                """,
                date=max(dates),
            )
        )
        card_ids = [row[0] for row in self.env.cr.fetchall()]
        # cards past their expiration date with a balance the ledger does not hold
        outdated = self.search(
            [
                ("expiration_date", "<", max(dates)),
                ("points", ">", 0),
                ("program_id.program_type", "=", "loyalty"),
                ("id", "not in", card_ids),
            ]
        )
        card_ids += outdated.ids
        done = 0
        for batch_ids in split_every(batch_size, card_ids):
            done += len(batch_ids)
            self._loyalty_run_batch(
                lambda batch_ids=batch_ids: self.browse(batch_ids)._expire_lots(date),
                done,
                len(card_ids) - done,
            )

    def _expire_lots(self, date=None):
        """Expire the lots of these cards due at ``date`` (default: today in each
        card's company; all of them on a card past its expiration date)."""
        # sudo: expiry is the program's rule, run by the cron or a manager
        Lot = self.env["loyalty.points.lot"].sudo()
        History = self.env["loyalty.history"].sudo()
        lots = Lot.search(
            [("card_id", "in", self.ids), ("remaining", ">", 0)],
            order="card_id, expiry_date, date, id",
        )
        by_card = defaultdict(float)
        descriptions = {}
        use_vals = []
        today = {card: date or card._loyalty_today() for card in self}
        for lot in lots:
            card = lot.card_id
            day = today[card]
            card_expired = card.expiration_date and card.expiration_date < day
            if not card_expired and not (lot.expiry_date and lot.expiry_date < day):
                continue
            descriptions[card] = (
                self.env._("Card expired")
                if card_expired
                else self.env._("Points expired")
            )
            use_vals.append(
                {
                    "card_id": card.id,
                    "lot_id": lot.id,
                    "kind": "expire",
                    "date": day,
                    "description": descriptions[card],
                    "points": lot.remaining,
                }
            )
            by_card[card] += lot.remaining
            lot.remaining = 0.0
        # sudo: expiry is the program's rule, run by the cron or a manager
        self.env["loyalty.points.use"].sudo().create(use_vals)
        # a card past its expiration date loses a balance the ledger does not hold
        for card in self:
            if card.expiration_date and card.expiration_date < today[card]:
                rest = float_round(card.points - by_card[card], POINTS_DIGITS)
                if rest > 0:
                    by_card[card] += rest
                    descriptions[card] = self.env._("Card expired")
        by_card = {c: p for c, p in by_card.items() if float_round(p, POINTS_DIGITS)}
        History.create(
            [
                {
                    "card_id": card.id,
                    "description": descriptions[card],
                    "issued": 0.0,
                    "used": points,
                }
                for card, points in by_card.items()
            ]
        )
        self.with_context(loyalty_no_mail=True)._ledger_apply(
            {card: -points for card, points in by_card.items()}
        )

    # ------------------------------------------------------------
    # LEDGER OF EXISTING CARDS (UPGRADE FROM A VERSION WITHOUT IT)
    # ------------------------------------------------------------

    def _ledger_rebuild_from_history(self):
        """Open the ledger of cards that have none: a lot per history line that
        issued points (dated the line's day, with its document), the used points
        taken from them oldest first, and an adjustment for any difference with
        the balance. Run once by the upgrade."""
        # sudo: run once by the upgrade, over every card
        History = self.env["loyalty.history"].sudo()
        for card in self.sudo().filtered(lambda c: not c.lot_ids):
            lines = History.search([("card_id", "=", card.id)], order="create_date, id")
            for line in lines.filtered(lambda h: h.issued > 0):
                card._ledger_award(
                    line.issued,
                    line.create_date.date(),
                    line.description,
                    (line.order_model, line.order_id) if line.order_model else None,
                )
            for line in lines.filtered(lambda h: h.used > 0):
                card._ledger_consume(
                    line.used,
                    "redeem",
                    line.create_date.date(),
                    line.description,
                    (line.order_model, line.order_id) if line.order_model else None,
                )
            held = float_round(
                sum(card.lot_ids.mapped("remaining"))
                - sum(
                    card.points_use_ids.filtered(lambda u: not u.lot_id).mapped(
                        "points"
                    )
                ),
                POINTS_DIGITS,
            )
            difference = float_round(card.points - held, POINTS_DIGITS)
            today = card._loyalty_today()
            if difference > 0:
                card._ledger_award(difference, today, self.env._("Opening balance"))
            elif difference < 0:
                card._ledger_consume(
                    -difference, "redeem", today, self.env._("Opening balance")
                )
        self._ledger_update_tier_points()

    def _hand_back_to(self, entity):
        """The contact holding this card moved to another company: the points were
        earned for ``entity`` and stay its own, on its membership card, or on this
        card handed over to it."""
        self.ensure_one()
        memberships = self._membership_cards(entity, self.program_id)
        kept = memberships.get((self.program_id.id, entity.id))
        if kept and kept != self:
            kept._merge_from(self)
            return
        holder = self.partner_id
        # sudo: the card stays with the company, whoever moved the contact
        self.sudo().partner_id = entity
        self._message_log(
            body=self.env._(
                "%(contact)s left %(company)s: the card stays with %(company)s.",
                contact=holder.display_name,
                company=entity.display_name,
            )
        )
