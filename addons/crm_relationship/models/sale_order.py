from odoo import api, models
from odoo.osv import expression
from odoo.tools import float_compare, float_round

from ..tools.dates import local_date
from .loyalty_card import LEDGER_DONE, POINTS_DIGITS


class SaleOrder(models.Model):
    _inherit = "sale.order"

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
    # POINTS LEDGER
    # ------------------------------------------------------------

    def action_confirm(self):
        """sale_loyalty moves the cards' balances itself; the ledger records what
        each order gave and took, from the order's history lines."""
        to_confirm = self.filtered(lambda o: o.state != "sale")
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
