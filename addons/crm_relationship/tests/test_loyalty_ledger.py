from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .test_loyalty_tiers import LoyaltyTierCommon


class LoyaltyLedgerCommon(LoyaltyTierCommon):
    """The Club program (Silver at 100 points, Gold at 500, yearly) earning 1 point
    per invoiced unit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.invoice_points_rate = 1.0
        cls.Lot = cls.env["loyalty.points.lot"]
        cls.Use = cls.env["loyalty.points.use"]
        cls.product = cls.env["product.product"].create(
            {
                "name": "Service",
                "type": "service",
                "list_price": 100.0,
                "invoice_policy": "order",
                "taxes_id": [],
            }
        )

    def _cards(self, partner):
        """Every card of the customer (the company and its contacts), archived too."""
        return self.Card.with_context(active_test=False).search(
            [
                ("program_id", "=", self.program.id),
                ("partner_id", "child_of", partner.commercial_partner_id.id),
            ]
        )

    def _order(self, partner, amount, confirm=True):
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": 1,
                            "price_unit": amount,
                            "tax_id": [],
                        }
                    )
                ],
            }
        )
        if confirm:
            order.action_confirm()
        return order

    def _refund(self, invoice, date, amount=None):
        refund = invoice._reverse_moves([{"invoice_date": date}])
        if amount is not None:
            refund.invoice_line_ids.price_unit = amount
        refund.action_post()
        return refund

    def _redeem(self, card, points, when):
        with freeze_time(when):
            card.points -= points

    def _active_cards(self, partner, program=None):
        return self.Card.search(
            [
                ("program_id", "=", (program or self.program).id),
                ("partner_id", "child_of", partner.commercial_partner_id.id),
            ]
        )

    def _held(self, card):
        """What the ledger holds for the card: open lots less uncovered uses."""
        uncovered = card.points_use_ids.filtered(lambda u: not u.lot_id)
        return round(
            sum(card.lot_ids.mapped("remaining")) - sum(uncovered.mapped("points")), 2
        )

    def _company(self, name):
        company = self.env["res.partner"].create(
            {"name": name, "is_company": True, "email": f"{name.lower()}@example.com"}
        )
        return company

    def _contact(self, company, name):
        return self.env["res.partner"].create(
            {
                "name": name,
                "parent_id": company.id,
                "email": f"{name.lower()}@example.com",
            }
        )


@tagged("post_install", "-at_install")
class TestLoyaltyLedger(LoyaltyLedgerCommon):
    # ------------------------------------------------------------
    # 1. EXPIRED CARDS TAKE NO NEW POINTS
    # ------------------------------------------------------------

    def test_points_after_card_expired(self):
        """A card of 30 points expired 10 days ago is emptied; an invoice of 100
        then gives 100 usable points, which the next expiry run leaves alone."""
        with freeze_time("2026-06-20"):
            old = self._card(points=30)
            old.expiration_date = "2026-06-10"
            self.Card._cron_expire_points()
            self.assertEqual(old.points, 0.0)
            self._invoice(self.member, "2026-06-20", 100.0)
            self.Card._cron_expire_points()
        cards = self._cards(self.member)
        usable = cards - old
        self.assertEqual(len(usable), 1, "the customer gets a new, usable card")
        self.assertEqual(usable.points, 100.0)
        self.assertFalse(usable.expiration_date)
        self.assertEqual(old.points, 0.0)
        self.assertEqual(sum(cards.mapped("points")), 100.0)

    def test_points_from_order_after_card_expired(self):
        with freeze_time("2026-06-20"):
            old = self._card(points=30)
            old.expiration_date = "2026-06-10"
            self.Card._cron_expire_points()
            self._order(self.member, 250.0)
            self.Card._cron_expire_points()
        new = self._cards(self.member) - old
        self.assertEqual(len(new), 1)
        self.assertEqual(new.points, 250.0, "the program's rule: 1 point per unit")
        self.assertEqual(old.points, 0.0)

    def test_card_that_expires_and_comes_back(self):
        with freeze_time("2026-06-20"):
            card = self._card(points=30)
            card.expiration_date = "2026-06-10"
            self.Card._cron_expire_points()
            self.assertEqual(card.points, 0.0)
            # a manager extends the card: it is the membership again
            card.expiration_date = "2026-12-31"
            self._invoice(self.member, "2026-06-20", 40.0)
            self.Card._cron_expire_points()
        self.assertEqual(self._cards(self.member), card)
        self.assertEqual(card.points, 40.0)
        # what expired stays expired: the lot of 30 is empty, the new one is open
        self.assertRecordValues(
            card.lot_ids.sorted("id"),
            [
                {"points": 30.0, "remaining": 0.0, "state": "expired"},
                {"points": 40.0, "remaining": 40.0, "state": "open"},
            ],
        )

    # ------------------------------------------------------------
    # 2. CREDIT NOTES TAKE BACK WHAT THEIR INVOICE GAVE
    # ------------------------------------------------------------

    def test_credit_note_of_invoice_that_earned_nothing(self):
        self.program.invoice_points_rate = 0.0
        first = self._invoice(self.member, "2026-03-01", 1000.0)
        self.program.invoice_points_rate = 1.0
        self._invoice(self.member, "2026-03-02", 200.0)
        card = self._cards(self.member)
        self.assertEqual(card.points, 200.0)
        self._refund(first, "2026-03-03")
        self.assertEqual(card.points, 200.0)
        self.assertFalse(card.points_use_ids, "nothing was taken back")

    def test_partial_credit_note_takes_back_its_share(self):
        with freeze_time("2026-03-10"):
            invoice = self._invoice(self.member, "2026-03-01", 400.0)
            card = self._cards(self.member)
            self.program.invoice_points_rate = 3.0  # today's rate does not matter
            refund = self._refund(invoice, "2026-03-05", 100.0)
        self.assertEqual(card.points, 300.0)
        lot = card.lot_ids
        self.assertRecordValues(
            lot,
            [{"points": 400.0, "remaining": 300.0, "reversed_points": 100.0}],
        )
        self.assertRecordValues(
            card.points_use_ids,
            [
                {
                    "kind": "reverse",
                    "lot_id": lot.id,
                    "reversed_lot_id": lot.id,
                    "points": 100.0,
                    "origin_model": "account.move",
                    "origin_id": refund.id,
                }
            ],
        )
        self.assertEqual(card.tier_points, 300.0, "a reversal lowers qualifying points")
        # two partial credit notes never take back more than the invoice gave
        with freeze_time("2026-03-10"):
            self._refund(invoice, "2026-03-06", 400.0)
        self.assertEqual(card.points, 0.0)
        self.assertEqual(lot.reversed_points, 400.0)

    def test_credit_note_after_points_were_spent(self):
        """The invoice's own lot gives what it still has; the rest comes from the
        other lots; what no lot covers is a debt the next award pays first."""
        with freeze_time("2026-03-10"):
            invoice = self._invoice(self.member, "2026-03-01", 100.0)
            card = self._cards(self.member)
            self._redeem(card, 80.0, "2026-03-02")
            self._refund(invoice, "2026-03-03")
            self.assertEqual(card.points, -80.0)
            uncovered = card.points_use_ids.filtered(lambda u: not u.lot_id)
            self.assertEqual(uncovered.mapped("points"), [80.0])
            self._invoice(self.member, "2026-03-04", 100.0)
        self.assertEqual(card.points, 20.0)
        self.assertFalse(card.points_use_ids.filtered(lambda u: not u.lot_id))
        self.assertEqual(sum(card.lot_ids.mapped("remaining")), 20.0)
        self.assertEqual(card.tier_points, 100.0)

    def test_reset_reverses_the_lots_of_its_origin(self):
        with freeze_time("2026-03-10"):
            january = self._invoice(self.member, "2026-01-10", 50.0)
            february = self._invoice(self.member, "2026-02-10", 100.0)
            card = self._cards(self.member)
            self._redeem(card, 30.0, "2026-03-01")  # from January's lot
            february.button_draft()
        self.assertEqual(card.points, 20.0)
        jan_lot = card.lot_ids.filtered(lambda lot: lot.origin_id == january.id)
        feb_lot = card.lot_ids.filtered(lambda lot: lot.origin_id == february.id)
        self.assertEqual(jan_lot.remaining, 20.0, "January's lot is left alone")
        self.assertEqual(feb_lot.remaining, 0.0)
        self.assertEqual(feb_lot.state, "reversed")
        # posted again, it gives a new lot
        with freeze_time("2026-03-10"):
            february.action_post()
        self.assertEqual(card.points, 120.0)
        self.assertEqual(card.tier_points, 150.0)

    # ------------------------------------------------------------
    # REDEMPTIONS USE THE OLDEST LOTS FIRST, TRACEABLY
    # ------------------------------------------------------------

    def test_redemptions_across_lots(self):
        self.program.points_validity_days = 365
        with freeze_time("2026-03-10"):
            jan = self._invoice(self.member, "2026-01-10", 50.0)
            feb = self._invoice(self.member, "2026-02-10", 100.0)
            card = self._cards(self.member)
            self._redeem(card, 80.0, "2026-03-01")
            self._redeem(card, 40.0, "2026-03-02")
        jan_lot, feb_lot = card.lot_ids.sorted("date")
        self.assertEqual(jan_lot.origin_id, jan.id)
        self.assertEqual(feb_lot.origin_id, feb.id)
        self.assertEqual(jan_lot.expiry_date, date(2027, 1, 10))
        self.assertEqual((jan_lot.remaining, feb_lot.remaining), (0.0, 30.0))
        self.assertRecordValues(
            card.points_use_ids.sorted("id"),
            [
                {"kind": "redeem", "lot_id": jan_lot.id, "points": 50.0},
                {"kind": "redeem", "lot_id": feb_lot.id, "points": 30.0},
                {"kind": "redeem", "lot_id": feb_lot.id, "points": 40.0},
            ],
        )
        self.assertEqual(card.points, 30.0)
        self.assertEqual(card.tier_points, 150.0, "redemptions keep qualifying points")
        self.assertEqual(card.tier_id, self.silver)

    def test_sale_order_lots_and_cancellation(self):
        with freeze_time("2026-04-02"):
            order = self._order(self.member, 300.0)
            card = self._cards(self.member)
            self.assertEqual(card.points, 300.0)
            self.assertRecordValues(
                card.lot_ids,
                [
                    {
                        "points": 300.0,
                        "date": date(2026, 4, 2),
                        "origin_model": "sale.order",
                        "origin_id": order.id,
                    }
                ],
            )
            self.assertEqual(card.tier_id, self.silver)
            order._action_cancel()
        self.assertEqual(card.points, 0.0)
        self.assertEqual(card.lot_ids.state, "reversed")
        self.assertEqual(card.tier_points, 0.0)

    # ------------------------------------------------------------
    # EXPIRY: EACH LOT ON ITS OWN
    # ------------------------------------------------------------

    def test_expiry_takes_only_what_remains_of_due_lots(self):
        self.program.points_validity_days = 30
        with freeze_time("2026-03-10"):
            self._invoice(self.member, "2026-01-01", 100.0)
            self._invoice(self.member, "2026-02-20", 50.0)
            card = self._cards(self.member)
            self._redeem(card, 70.0, "2026-02-25")
        self.Card._cron_expire_points(date=date(2026, 3, 10))
        self.assertEqual(card.points, 50.0)
        self.assertRecordValues(
            card.history_ids.filtered(lambda h: h.description == "Points expired"),
            [{"issued": 0.0, "used": 30.0}],
        )
        self.Card._cron_expire_points(date=date(2026, 3, 10))
        self.assertEqual(card.points, 50.0, "a second run the same day does nothing")
        self.Card._cron_expire_points(date=date(2026, 3, 22))
        self.assertEqual(card.points, 50.0, "the newer lot is valid until 22 March")
        self.Card._cron_expire_points(date=date(2026, 3, 23))
        self.assertEqual(card.points, 0.0)
        self.assertEqual(
            card.points_use_ids.filtered(lambda u: u.kind == "expire").mapped("points"),
            [30.0, 50.0],
        )
        with freeze_time("2026-03-23"):
            card._ledger_update_tier_points()
        self.assertEqual(card.tier_points, 150.0, "expiry keeps qualifying points")

    def test_lot_dated_by_its_document(self):
        """A back-dated invoice's points expire from the invoice date, not from the
        day it was posted."""
        self.program.points_validity_days = 30
        with freeze_time("2026-03-10"):
            self._invoice(self.member, "2026-01-05", 100.0)
        card = self._cards(self.member)
        self.assertEqual(card.lot_ids.expiry_date, date(2026, 2, 4))
        self.Card._cron_expire_points(date=date(2026, 3, 10))
        self.assertEqual(card.points, 0.0)

    def test_portal_summary_values(self):
        self.program.points_validity_days = 60
        with freeze_time("2026-03-10"):
            self._invoice(self.member, "2026-03-01", 80.0)
            card = self._cards(self.member)
            card.invalidate_recordset()
            self.assertEqual(card.tier_points, 80.0)
            self.assertFalse(card.tier_id)
            self.assertEqual(card.next_tier_id, self.silver)
            self.assertEqual(card.next_tier_missing, 20.0)
            self.assertEqual(card.next_expiry_date, date(2026, 4, 30))
            self.assertEqual(card.next_expiry_points, 80.0)

    # ------------------------------------------------------------
    # 3. ONE MEMBERSHIP PER CUSTOMER
    # ------------------------------------------------------------

    def test_card_held_by_contact_counts_for_company(self):
        company = self.env["res.partner"].create(
            {"name": "Acme", "is_company": True, "email": "acme@example.com"}
        )
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": company.id, "email": "b@example.com"}
        )
        with freeze_time("2026-05-02"):
            self._order(contact, 80.0)
            self._invoice(company, "2026-05-02", 40.0)
        cards = self._cards(company)
        self.assertEqual(len(cards), 1, "one membership for the customer")
        self.assertEqual(cards.points, 120.0)
        self.assertEqual(cards.tier_points, 120.0)
        self.assertEqual(cards.tier_id, self.silver)

    def test_second_contact_order_joins_the_membership(self):
        company = self.env["res.partner"].create(
            {"name": "Acme", "is_company": True, "email": "acme@example.com"}
        )
        first, second = self.env["res.partner"].create(
            [
                {"name": "First", "parent_id": company.id, "email": "f@example.com"},
                {"name": "Second", "parent_id": company.id, "email": "s@example.com"},
            ]
        )
        with freeze_time("2026-05-02"):
            self._invoice(company, "2026-05-02", 60.0)
            order = self._order(first, 70.0)
            self._order(second, 30.0)
        cards = self._cards(company).filtered("active")
        self.assertEqual(len(cards), 1)
        self.assertEqual(cards.partner_id, company)
        self.assertEqual(cards.points, 160.0)
        self.assertEqual(cards.tier_id, self.silver)
        # the order's points moved with it: cancelling takes them back from it
        with freeze_time("2026-05-03"):
            order._action_cancel()
        self.assertEqual(cards.points, 90.0)
        self.assertEqual(cards.tier_points, 90.0)

    def test_merge_existing_duplicate_cards(self):
        company = self.env["res.partner"].create(
            {"name": "Acme", "is_company": True, "email": "acme@example.com"}
        )
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": company.id, "email": "b@example.com"}
        )
        with freeze_time("2026-05-02"):
            own = self._card(partner=company, points=30)
            other = self._card(partner=contact, points=50)
            history = other.history_ids | own.history_ids
            (own | other).action_merge_memberships()
        self.assertEqual(own.points, 80.0)
        self.assertFalse(other.active)
        self.assertEqual(other.points, 0.0)
        self.assertEqual(own.lot_ids.mapped("points"), [30.0, 50.0])
        self.assertLessEqual(history, own.history_ids, "no history line is lost")
        self.assertEqual(own.tier_points, 80.0)
        with self.assertRaisesRegex(UserError, "at least two cards"):
            own.action_merge_memberships()

    # ------------------------------------------------------------
    # UPGRADE: CARDS FROM BEFORE THE LEDGER
    # ------------------------------------------------------------

    def test_rebuild_ledger_of_existing_cards(self):
        card = self.Card.with_context(loyalty_ledger_done=True).create(
            {"program_id": self.program.id, "partner_id": self.member.id, "points": 95}
        )
        self.assertFalse(card.lot_ids)
        History = self.env["loyalty.history"]
        History.create(
            [
                {"card_id": card.id, "description": "Order", "issued": 100.0},
                {"card_id": card.id, "description": "Invoice", "issued": 20.0},
                {"card_id": card.id, "description": "Reward", "used": 30.0},
            ]
        )
        with freeze_time("2026-05-02"):
            card._ledger_rebuild_from_history()
        self.assertEqual(card.lot_ids.mapped("points"), [100.0, 20.0, 5.0])
        self.assertEqual(sum(card.lot_ids.mapped("remaining")), 95.0)
        self.assertEqual(card.points_use_ids.mapped("points"), [30.0])
        # a second run finds the ledger open and changes nothing
        card._ledger_rebuild_from_history()
        self.assertEqual(len(card.lot_ids), 3)

    def test_reward_on_order_redeems_lots_and_cancel_gives_back(self):
        with freeze_time("2026-05-02"):
            card = self._card(points=1200)
            order = self._order(self.member, 200.0, confirm=False)
            order._update_programs_and_rewards()
            reward = self.program.reward_ids
            self.assertNotIn("error", order._apply_program_reward(reward, card))
            order.action_confirm()
            earned = order.coupon_point_ids.points
            self.assertEqual(card.points, 1200.0 - 1000.0 + earned)
            redemption = card.points_use_ids
            self.assertRecordValues(
                redemption,
                [
                    {
                        "kind": "redeem",
                        "points": 1000.0,
                        "origin_model": "sale.order",
                        "origin_id": order.id,
                    }
                ],
            )
            self.assertEqual(redemption.lot_id.description, "Opening balance")
            self.assertEqual(card.tier_points, 1200.0 + earned)
            order._action_cancel()
        self.assertEqual(card.points, 1200.0)
        self.assertFalse(card.points_use_ids.filtered(lambda u: u.kind == "redeem"))
        self.assertEqual(card.lot_ids[:1].remaining, 1200.0)
        self.assertEqual(card.tier_points, 1200.0)

    def test_orders_confirmed_together_each_give_their_lot(self):
        other = self.env["res.partner"].create({"name": "Other member"})
        with freeze_time("2026-05-02"):
            orders = self._order(self.member, 120.0, confirm=False) | self._order(
                other, 80.0, confirm=False
            )
            # a second program gives points on the same order: two history lines
            second = self.program.copy({"name": "Second club"})
            second.tier_ids.unlink()
            orders.action_confirm()
        for partner, points in ((self.member, 120.0), (other, 80.0)):
            cards = self.Card.search([("partner_id", "=", partner.id)])
            self.assertEqual(len(cards), 2, "one card per program")
            self.assertEqual(cards.mapped("points"), [points, points])
            self.assertEqual(cards.lot_ids.mapped("points"), [points, points])

    def test_expired_gift_card_keeps_its_balance(self):
        """Expiry is the loyalty programs' rule: Odoo keeps an expired gift card's
        balance (it cannot be used), and so do we."""
        gift = self.env["loyalty.program"].create(
            {"name": "Gift cards", "program_type": "gift_card"}
        )
        card = self.Card.create({"program_id": gift.id, "points": 50})
        card.expiration_date = "2026-01-01"
        self.Card._cron_expire_points(date=date(2026, 3, 1))
        self.assertEqual(card.points, 50.0)


@tagged("post_install", "-at_install")
class TestLoyaltyLedgerTimeZones(LoyaltyLedgerCommon):
    """Lots are dated, and expire, by the day in the company's time zone."""

    def _set_tz(self, tz):
        self.company.partner_id.tz = tz
        self.program.company_id = self.company

    def test_order_lot_dated_in_company_day(self):
        for tz, expected in (
            ("Asia/Shanghai", date(2026, 6, 1)),
            ("America/Los_Angeles", date(2026, 5, 31)),
        ):
            with self.subTest(tz=tz):
                self._set_tz(tz)
                partner = self.env["res.partner"].create({"name": f"Buyer {tz}"})
                # 20:00 UTC on 31 May: 04:00 on 1 June in Shanghai, 13:00 on 31 May
                # in Los Angeles
                with freeze_time("2026-05-31 20:00:00"):
                    order = self._order(partner, 120.0, confirm=False)
                    order.date_order = "2026-05-31 20:00:00"
                    order.action_confirm()
                card = self._cards(partner)
                self.assertEqual(card.lot_ids.date, expected)

    def test_expiry_by_company_day(self):
        self.program.points_validity_days = 10
        for tz, expired in (("Asia/Shanghai", True), ("America/Los_Angeles", False)):
            with self.subTest(tz=tz):
                self._set_tz(tz)
                partner = self.env["res.partner"].create({"name": f"Member {tz}"})
                self._invoice(partner, "2026-06-01", 50.0)
                card = self._cards(partner)
                self.assertEqual(card.lot_ids.expiry_date, date(2026, 6, 11))
                # 18:00 UTC on 11 June: 12 June in Shanghai, still 11 June in
                # Los Angeles
                with freeze_time("2026-06-11 18:00:00"):
                    self.Card._cron_expire_points()
                self.assertEqual(card.points, 0.0 if expired else 50.0)
