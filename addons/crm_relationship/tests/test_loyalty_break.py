"""Attempts to break the loyalty points ledger.

Each test is one scenario; its docstring states the scenario and the value a
loyalty-program owner expects (points are money the company owes its customers).
Tests whose docstring says "Was broken" failed on the first version of the ledger;
their "Here ..." sentence tells what it did then.
"""

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import float_is_zero

from .test_loyalty_ledger import LoyaltyLedgerCommon


@tagged("post_install", "-at_install")
class TestLoyaltyBreak(LoyaltyLedgerCommon):
    # ------------------------------------------------------------
    # CREDIT NOTES
    # ------------------------------------------------------------

    def test_partial_credit_notes_in_several_steps(self):
        """Was broken. Rate 0.1: an invoice of 100.00 gives 10 points; three
        credit notes of 33.33, 33.33 and 33.34 credit it in full. Right: the
        card is back to 0 points and 0 qualifying points (the invoice is fully
        credited, the company owes nothing). Each credit note rounds its share on
        its own (3.33 each), and 0.01 point is left for nothing."""
        self.program.invoice_points_rate = 0.1
        with freeze_time("2026-03-10"):
            invoice = self._invoice(self.member, "2026-03-01", 100.0)
            card = self._cards(self.member)
            self.assertEqual(card.points, 10.0)
            self._refund(invoice, "2026-03-02", 33.33)
            self._refund(invoice, "2026-03-03", 33.33)
            # the shares are cumulated: 3.33, then 6.67 - 3.33 = 3.34
            self.assertAlmostEqual(card.points, 3.33, places=2)
            self._refund(invoice, "2026-03-04", 33.34)
        self.assertAlmostEqual(card.points, 0.0, places=2)
        self.assertAlmostEqual(card.tier_points, 0.0, places=2)
        self.assertEqual(card.lot_ids.state, "reversed")

    def test_credit_note_in_foreign_currency(self):
        """Was broken. Invoice of 200 EUR when 1 USD = 2 EUR (100 USD: 100 points); a
        credit note of half the invoice (100 EUR) dated when 1 USD = 1 EUR. Right: half
        of what the invoice gave comes back, 50 points, whatever today's rate (the
        customer returns half of what they bought). Here the share is taken on company-
        currency amounts at each document's rate (100 USD for 100 USD: all), so the card
        drops to 0."""
        eur = self.setup_other_currency(
            "EUR", rates=[("2026-01-01", 2.0), ("2026-03-01", 1.0)]
        )
        with freeze_time("2026-03-10"):
            invoice = self._invoice(
                self.member, "2026-02-01", 200.0, currency_id=eur.id
            )
            card = self._cards(self.member)
            self.assertEqual(card.points, 100.0)
            refund = self._refund(invoice, "2026-03-05", 100.0)
        self.assertEqual(
            (invoice.amount_untaxed_signed, refund.amount_untaxed_signed),
            (100.0, -100.0),
            "half the invoice in EUR, the same amount in USD at the later rate",
        )
        self.assertEqual(card.points, 50.0)
        self.assertEqual(card.tier_points, 50.0)

    def test_credit_note_of_partly_expired_invoice(self):
        """Was broken. Validity 30 days. January invoice of 100 (lot expires
        31 January); 40 redeemed on 10 January; the other 60 expire. A February
        invoice gives 50. On 15 February the January invoice is credited in full.
        Right: the 40 the customer spent are taken back (from February's lot,
        README rule), the 60 that already expired are not taken a second time:
        10 points left, no debt. Taking them again means the customer pays twice
        for the same 60 points (expiry, then the credit note)."""
        self.program.points_validity_days = 30
        with freeze_time("2026-01-01"):
            january = self._invoice(self.member, "2026-01-01", 100.0)
        card = self._cards(self.member)
        self._redeem(card, 40.0, "2026-01-10")
        self.Card._cron_expire_points(date=date(2026, 2, 5))
        self.assertEqual(card.points, 0.0)
        with freeze_time("2026-02-15"):
            self._invoice(self.member, "2026-02-10", 50.0)
            self._refund(january, "2026-02-15")
        self.assertEqual(card.points, 10.0)
        self.assertFalse(card.points_use_ids.filtered(lambda u: not u.lot_id))
        self.assertEqual(card.tier_points, 50.0)

    def test_invoice_reset_after_its_credit_note(self):
        """Was broken. Invoice of 100 (100 points), credited in full (0), then
        the invoice is reset to draft and posted again while its credit note
        stays posted, then the credit note is reset to draft. Right: while both
        are posted the customer owes nothing and holds 0 points; once the credit
        note is withdrawn, 100 points (the invoice once). Here the reposted
        invoice gives a new lot that no credit note takes back (100), and
        resetting the credit note gives its 100 points back to the old lot
        (200)."""
        with freeze_time("2026-03-10"):
            invoice = self._invoice(self.member, "2026-03-01", 100.0)
            card = self._cards(self.member)
            refund = self._refund(invoice, "2026-03-02")
            self.assertEqual(card.points, 0.0)
            invoice.button_draft()
            self.assertEqual(card.points, 0.0)
            invoice.action_post()
            posted_both = card.points
            refund.button_draft()
            after_reset = card.points
        self.assertEqual(
            (posted_both, after_reset),
            (0.0, 100.0),
            "points while invoice and credit note are posted, then after the "
            "credit note is reset",
        )
        self.assertEqual(self._held(card), card.points)

    # ------------------------------------------------------------
    # SALE ORDERS
    # ------------------------------------------------------------

    def test_order_with_reward_invoiced_then_credited(self):
        """Was broken. A member with 1200 points orders 200, takes the 5 %
        reward (1000 points), confirms: the order earns its points (200, the
        program's rule). The
        order is invoiced: no invoice points on top (no double points). The
        invoice is then credited in full (the goods come back). Right: the points
        the returned order earned are taken back (points exist for sales
        that stand); the 1000 points spent on the discount stay spent. Here the
        credit note takes nothing, since the invoice's own lots gave nothing,
        and the customer keeps 200 points for a refunded sale."""
        with freeze_time("2026-05-02"):
            card = self._card(points=1200)
            order = self._order(self.member, 200.0, confirm=False)
            order._update_programs_and_rewards()
            self.assertNotIn(
                "error", order._apply_program_reward(self.program.reward_ids, card)
            )
            order.action_confirm()
            earned = order.coupon_point_ids.points
            self.assertTrue(earned)
            self.assertEqual(card.points, 200.0 + earned)
            invoice = order._create_invoices()
            invoice.invoice_date = "2026-05-02"
            invoice.action_post()
            self.assertEqual(card.points, 200.0 + earned, "no invoice points on top")
            self._refund(invoice, "2026-05-03")
        self.assertEqual(card.points, 200.0)
        self.assertEqual(card.tier_points, 1200.0)
        self.assertEqual(self._held(card), card.points)

    def test_orders_confirmed_in_batch(self):
        """Orders of two contacts of one company, of the company itself and of a
        second customer, with two programs, confirmed together. Right: per
        program, one active card for the company with 100 + 50 + 30 = 180 points
        and three lots, one card for the other customer with 70 points; card
        balances equal their ledgers."""
        acme = self._company("Acme")
        first, second = self._contact(acme, "First"), self._contact(acme, "Second")
        other = self.env["res.partner"].create({"name": "Other member"})
        second_program = self.program.copy({"name": "Second club"})
        second_program.tier_ids.unlink()
        with freeze_time("2026-05-02"):
            orders = (
                self._order(first, 100.0, confirm=False)
                | self._order(second, 50.0, confirm=False)
                | self._order(acme, 30.0, confirm=False)
                | self._order(other, 70.0, confirm=False)
            )
            orders.action_confirm()
        for program in (self.program, second_program):
            with self.subTest(program=program.name):
                cards = self._active_cards(acme, program)
                self.assertEqual(len(cards), 1, "one membership")
                self.assertEqual(cards.points, 180.0)
                self.assertEqual(sorted(cards.lot_ids.mapped("points")), [30, 50, 100])
                self.assertEqual(self._held(cards), cards.points)
                others = self._active_cards(other, program)
                self.assertEqual(others.points, 70.0)
                self.assertEqual(self._held(others), 70.0)
        self.assertEqual(self._active_cards(acme).tier_points, 180.0)

    def test_cancel_order_after_its_card_was_merged(self):
        """Was broken. A company holds a card (0 points); one of its contacts
        holds a duplicate card with 1200 points. The contact orders 200 with the
        reward (1000 points) on their card; at confirmation the contact's card is
        merged into the company's (200 + what the order earned: 400). The order
        is then cancelled. Right: the membership card is back to 1200 points, as
        its ledger says, and the archived card holds nothing. Here sale_loyalty
        gives the reward's 1000 points back to the archived card named on the
        reward line, so the membership shows 200 (its ledger 1200) and an
        archived card 1000."""
        acme = self._company("Acme")
        buyer = self._contact(acme, "Buyer")
        with freeze_time("2026-05-02"):
            membership = self._card(partner=acme)
            duplicate = self._card(partner=buyer, points=1200)
            order = self._order(buyer, 200.0, confirm=False)
            order._update_programs_and_rewards()
            self.assertNotIn(
                "error",
                order._apply_program_reward(self.program.reward_ids, duplicate),
            )
            order.action_confirm()
            earned = order.coupon_point_ids.points
            self.assertFalse(duplicate.active)
            self.assertEqual(membership.points, 200.0 + earned)
            order._action_cancel()
        self.assertEqual(
            (membership.points, self._held(membership), duplicate.points),
            (1200.0, 1200.0, 0.0),
            "membership balance, its ledger, the archived card's balance",
        )

    # ------------------------------------------------------------
    # COMPANIES
    # ------------------------------------------------------------

    def test_company_program_and_customer_in_two_companies(self):
        """The Club belongs to company 1; company 2 has its own club. The same
        customer is invoiced 100 in company 1 and 300 in company 2, posted
        together. Right: 100 points on the company 1 card, 300 on the company 2
        card, a credit note in company 2 takes back only from the company 2
        card."""
        company_2 = self.setup_other_company(name="Second company")["company"]
        self.program.company_id = self.company
        club_2 = (
            self.env["loyalty.program"]
            .with_company(company_2)
            .create(
                {
                    "name": "Club 2",
                    "program_type": "loyalty",
                    "company_id": company_2.id,
                    "invoice_points_rate": 1.0,
                }
            )
        )
        with freeze_time("2026-03-10"):
            first = self._invoice(self.member, "2026-03-01", 100.0, state="draft")
            second = self._invoice(
                self.member, "2026-03-01", 300.0, state="draft", company=company_2
            )
            (first | second).with_context(
                allowed_company_ids=[self.company.id, company_2.id]
            ).action_post()
            card_1 = self._active_cards(self.member)
            card_2 = self._active_cards(self.member, club_2)
            self.assertEqual((card_1.points, card_2.points), (100.0, 300.0))
            self._refund(second, "2026-03-02", 150.0)
        self.assertEqual((card_1.points, card_2.points), (100.0, 150.0))
        self.assertEqual(card_1.tier_points, 100.0)

    # ------------------------------------------------------------
    # TIERS
    # ------------------------------------------------------------

    def test_tiers_with_points_and_spend_thresholds(self):
        """Silver at 100 qualifying points, Gold at 1000 of spend (12 months),
        rate 0.05. An invoice of 1000 gives 50 points and 1000 of spend. Right:
        the card is Gold at once (a card moves up at once), with no next tier;
        a credit note of half the invoice brings spend to 500 and points to 25,
        but Gold is kept until its period ends (no downgrade before)."""
        self.program.invoice_points_rate = 0.05
        self.gold.write({"threshold_type": "spend", "threshold": 1000})
        with freeze_time("2026-03-10"):
            invoice = self._invoice(self.member, "2026-03-01", 1000.0)
            card = self._cards(self.member)
            card.invalidate_recordset()
            self.assertEqual(card.points, 50.0)
            self.assertEqual(card.tier_id, self.gold)
            self.assertFalse(card.next_tier_id)
            self._refund(invoice, "2026-03-02", 500.0)
            self.Card._cron_evaluate_tiers()
        self.assertEqual(card.points, 25.0)
        self.assertEqual(card.tier_id, self.gold)

    def test_tier_thresholds_of_different_types(self):
        """Was broken. A program with Silver at 1000 qualifying points and Gold
        at 1000 of spend: the thresholds are in different units (points, money),
        a sensible configuration. Right: accepted. Here the "same threshold"
        constraint refuses it (loyalty_tier.py, _check_threshold_unique groups by
        threshold only)."""
        self.silver.threshold = 50
        self.gold.write({"threshold_type": "spend", "threshold": 1000})
        self.silver.threshold = 1000
        self.assertEqual(self.silver.threshold, self.gold.threshold)

    def test_points_validity_changed_after_awards(self):
        """Validity 365 days: an invoice of 10 January (expires 10 January 2027).
        Validity becomes 30 days: an invoice of 1 March (expires 31 March).
        Right: each lot keeps the expiry it was given (the customer was told);
        on 15 April only the March lot has expired: 100 points left; the next
        expiry is the January lot's."""
        self.program.points_validity_days = 365
        with freeze_time("2026-04-15"):
            self._invoice(self.member, "2026-01-10", 100.0)
            self.program.points_validity_days = 30
            self._invoice(self.member, "2026-03-01", 40.0)
            card = self._cards(self.member)
            self.Card._cron_expire_points()
            card.invalidate_recordset()
            self.assertEqual(card.points, 100.0)
            self.assertEqual(card.next_expiry_date, date(2027, 1, 10))
            self.assertEqual(card.next_expiry_points, 100.0)
        self.assertEqual(card.tier_points, 140.0)

    # ------------------------------------------------------------
    # CARDS ARCHIVED, DELETED, MERGED
    # ------------------------------------------------------------

    def test_card_archived_or_deleted(self):
        """A member's card (100 from an invoice) is archived: the next invoice
        (50) opens a new card; resetting the first invoice takes its 100 from the
        archived card, not from the new one. Then the new card is deleted and
        its invoice credited: no error, no card with a negative balance."""
        with freeze_time("2026-03-10"):
            first = self._invoice(self.member, "2026-03-01", 100.0)
            old = self._cards(self.member)
            old.action_archive()
            second = self._invoice(self.member, "2026-03-02", 50.0)
            new = self._active_cards(self.member)
            self.assertEqual(len(new), 1)
            self.assertNotEqual(new, old)
            self.assertEqual(new.points, 50.0)
            first.button_draft()
            self.assertEqual((old.points, new.points), (0.0, 50.0))
            new.sudo().unlink()  # sales managers may not delete cards: an admin
            self._refund(second, "2026-03-03")
        cards = self._cards(self.member)
        self.assertEqual(cards, old)
        self.assertEqual(old.points, 0.0)

    def test_merge_does_not_cross_programs(self):
        """Cards of one customer in two programs, plus a duplicate in the first
        program, merged together. Right: only the two cards of the first program
        merge (80 points); the second program's card keeps its 40 points and
        stays active; merging cards of two programs only refuses."""
        acme = self._company("Acme")
        buyer = self._contact(acme, "Buyer")
        second_program = self.program.copy({"name": "Second club"})
        second_program.tier_ids.unlink()
        with freeze_time("2026-05-02"):
            own = self._card(partner=acme, points=30)
            duplicate = self._card(partner=buyer, points=50)
            other = self._card(partner=buyer, program=second_program, points=40)
            (own | duplicate | other).action_merge_memberships()
            self.assertEqual(own.points, 80.0)
            self.assertTrue(other.active)
            self.assertEqual(other.points, 40.0)
            self.assertEqual(other.lot_ids.mapped("points"), [40.0])
            with self.assertRaises(UserError):
                (own | other).action_merge_memberships()
        self.assertEqual(own.points, 80.0)
        self.assertEqual(other.points, 40.0)

    def test_merge_keeps_a_usable_card(self):
        """Was broken. A company's own card is past its expiration date
        (emptied); a contact's card holds 50 valid points. Merged: the kept card
        must be one that can hold points. Right: after the next expiry run the
        customer still has 50 usable points. Here the company's expired card is
        kept (loyalty_card.py action_merge_memberships prefers the company's
        card whatever its expiration), and the expiry run empties it."""
        acme = self._company("Acme")
        buyer = self._contact(acme, "Buyer")
        with freeze_time("2026-05-02"):
            own = self._card(partner=acme, points=0)
            own.expiration_date = "2026-04-30"
            duplicate = self._card(partner=buyer, points=50)
            (own | duplicate).action_merge_memberships()
            self.Card._cron_expire_points()
        self.assertEqual(sum(self._active_cards(acme).mapped("points")), 50.0)

    def test_company_order_when_a_contact_holds_the_membership(self):
        """Was broken. A contact of Acme orders 80: the contact's card is
        Acme's membership. Then Acme itself orders 50. Right: one membership
        for Acme, 130 points on one card (the customer can redeem them
        together). Here sale_loyalty opens a card for the company (it only looks
        for a card of the order's exact partner) and the confirmation keeps it,
        as the company's own card is preferred, without merging the contact's:
        two active cards of 80 and 50."""
        acme = self._company("Acme")
        buyer = self._contact(acme, "Buyer")
        with freeze_time("2026-05-02"):
            self._order(buyer, 80.0)
            self._order(acme, 50.0)
        cards = self._active_cards(acme)
        self.assertEqual(cards.mapped("points"), [130.0])

    def test_contact_moved_to_another_company(self):
        """Was broken. A contact of Acme orders 80 (the contact's card is
        Acme's membership), Acme is invoiced 40 on it (120). The contact then
        moves to Beta. Beta is invoiced 10, Acme 30. Right: Acme's points stay
        Acme's (120 + 30 = 150 on Acme's membership), Beta has 10. Here the card
        follows the contact: Beta gets Acme's 120 points (130) and Acme starts a
        new card with 30."""
        acme, beta = self._company("Acme"), self._company("Beta")
        buyer = self._contact(acme, "Buyer")
        with freeze_time("2026-05-02"):
            self._order(buyer, 80.0)
            self._invoice(acme, "2026-05-02", 40.0)
            self.assertEqual(self._active_cards(acme).points, 120.0)
            buyer.parent_id = beta
            self._invoice(beta, "2026-05-03", 10.0)
            self._invoice(acme, "2026-05-03", 30.0)
        self.assertEqual(sum(self._active_cards(acme).mapped("points")), 150.0)
        self.assertEqual(sum(self._active_cards(beta).mapped("points")), 10.0)

    # ------------------------------------------------------------
    # RIGHTS AND TIME ZONES
    # ------------------------------------------------------------

    def test_salesman_confirms_order_and_posts_invoice(self):
        """A salesman (own documents only) confirms an order of a company's
        contact (the contact's card joins the company's membership); a salesman
        who may also bill posts an invoice. Right: no access error; the
        membership holds 60 + 70 = 130 points, then the billing salesman's
        invoice of 40 adds 40 (170). (A salesman cannot cancel an order that
        earned points: Odoo's sale_loyalty unlinks sale.order.coupon.points,
        which only sales administrators may delete; not this addon's doing.)"""
        acme = self._company("Acme")
        buyer = self._contact(acme, "Buyer")
        salesman = new_test_user(
            self.env, login="loyalty_salesman", groups="sales_team.group_sale_salesman"
        )
        biller = new_test_user(
            self.env,
            login="loyalty_biller",
            groups="sales_team.group_sale_salesman,account.group_account_invoice",
        )
        with freeze_time("2026-05-02"):
            self._invoice(acme, "2026-05-02", 60.0)
            membership = self._active_cards(acme)
            Order = self.env["sale.order"].with_user(salesman)
            orders = Order.create(
                [
                    {
                        "partner_id": buyer.id,
                        "user_id": salesman.id,
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
                    for amount in (70.0,)
                ]
            )
            orders.action_confirm()
            self.assertEqual(self._active_cards(acme), membership)
            self.assertEqual(membership.points, 130.0)
            invoice = self._invoice(acme, "2026-05-02", 40.0, state="draft")
            invoice.with_user(biller).action_post()
        self.assertEqual(membership.points, 170.0)
        self.assertEqual(self._held(membership), 170.0)

    def test_user_far_from_company_time_zone(self):
        """The company is in Los Angeles, the user in Kiritimati (UTC+14). At
        20:00 UTC on 31 March (31 March in Los Angeles, 1 April for the user),
        with a monthly tier period, the user adds 50 points by hand and confirms
        an order of 60. Right: both lots are dated 31 March (the company's day),
        count in March's qualifying points, and a lot expiring 31 March is not
        expired yet by the cron then."""
        self.company.partner_id.tz = "America/Los_Angeles"
        self.program.write({"company_id": self.company.id, "tier_period": "month"})
        user = new_test_user(
            self.env,
            login="loyalty_far_user",
            groups="sales_team.group_sale_manager",
            tz="Pacific/Kiritimati",
        )
        self.program.points_validity_days = 30
        with freeze_time("2026-03-01 12:00:00"):
            early = self._card(points=20)  # expires 31 March
        with freeze_time("2026-03-31 20:00:00"):
            card = self._card(partner=self.env["res.partner"].create({"name": "Far"}))
            card.with_user(user).points += 50
            order = self._order(card.partner_id, 60.0, confirm=False)
            order.with_user(user).action_confirm()
            self.Card.with_user(user)._cron_expire_points()
            card.invalidate_recordset()
            self.assertEqual(card.lot_ids.mapped("date"), [date(2026, 3, 31)] * 2)
            self.assertEqual(card.tier_points, 110.0)
            self.assertEqual(early.points, 20.0)
            early.invalidate_recordset()
            self.assertEqual(early.with_user(user).next_expiry_date, date(2026, 3, 31))
        with freeze_time("2026-04-01 09:00:00"):
            self.Card._cron_expire_points()
        self.assertEqual(early.points, 0.0)

    def test_update_balance_wizard(self):
        """Was broken. Odoo's "Update balance" wizard: 100
        points, raised to 150 ("Goodwill"), then lowered to 20 ("Correction"). Right: a
        lot of 50 and a redemption of 130, the card's balance equals its ledger,
        qualifying points 150, and the ledger names the manager's reason (the wizard's
        description). Here the balances are right but the lot and the use are named
        "Balance increased" / "Balance decreased": the reason is only on the history
        line."""
        with freeze_time("2026-03-10"):
            card = self._card(points=100)
            Wizard = self.env["loyalty.card.update.balance"]
            for new_balance, reason in ((150.0, "Goodwill"), (20.0, "Correction")):
                Wizard.create(
                    {
                        "card_id": card.id,
                        "new_balance": new_balance,
                        "description": reason,
                    }
                ).action_update_card_point()
        self.assertEqual(card.points, 20.0)
        self.assertEqual(self._held(card), 20.0)
        self.assertEqual(sorted(card.lot_ids.mapped("points")), [50.0, 100.0])
        self.assertEqual(sum(card.points_use_ids.mapped("points")), 130.0)
        self.assertEqual(card.tier_points, 150.0)
        self.assertIn("Goodwill", card.lot_ids.mapped("description"))
        # the redemption of 130 takes 100 from the opening lot and 30 from the
        # goodwill lot: one traced use per lot, each with the reason
        self.assertEqual(set(card.points_use_ids.mapped("description")), {"Correction"})

    # ------------------------------------------------------------
    # EXPIRY IN BATCHES, FLOATS
    # ------------------------------------------------------------

    def test_expiry_cron_in_small_batches(self):
        """Seven members with a due lot of 10 + n points, one of them also with a
        valid lot of 5, and one card past its expiration date holding 7 points
        the ledger does not know, expired with ``batch_size=2``. Right: every due
        lot expired once, the valid lot kept, the outdated card emptied; a second
        run changes nothing."""
        self.program.points_validity_days = 30
        members = self.env["res.partner"].create(
            [{"name": f"Member {n}"} for n in range(7)]
        )
        with freeze_time("2026-01-05"):
            for n, member in enumerate(members):
                self._invoice(member, "2026-01-05", 10.0 + n)
        with freeze_time("2026-03-01"):
            self._invoice(members[0], "2026-03-01", 5.0)
        outdated = self.Card.with_context(loyalty_ledger_done=True).create(
            {
                "program_id": self.program.id,
                "partner_id": self.env["res.partner"].create({"name": "Old"}).id,
                "points": 7,
                "expiration_date": "2026-02-01",
            }
        )
        for _run in range(2):
            with freeze_time("2026-03-10"):
                self.Card._cron_expire_points(batch_size=2)
            cards = self.Card.search([("partner_id", "in", members.ids)])
            self.assertEqual(len(cards), 7)
            self.assertEqual(
                sorted(cards.mapped("points")), [0.0] * 6 + [5.0], "only the valid lot"
            )
            self.assertEqual(outdated.points, 0.0)
            expired = self.Use.search(
                [("card_id", "in", cards.ids), ("kind", "=", "expire")]
            )
            self.assertEqual(len(expired), 7)
            self.assertEqual(sum(expired.mapped("points")), sum(range(10, 17)))

    def test_floats_rate_tenth(self):
        """Rate 0.1: three invoices of 33.33 give 3.33 points each (9.99);
        one of 33.35 gives 3.34 (half up, as money). Redeeming 13.33 empties the
        card exactly. A credit note of a third of an invoice of 33.33 (11.11)
        takes back 1.11, three of them take back the invoice's 3.33 in full
        (the 13.33 given back by hand count as an award: qualifying points
        13.33 + 13.33 - 3.33 = 23.33)."""
        self.program.invoice_points_rate = 0.1
        with freeze_time("2026-03-10"):
            invoices = [
                self._invoice(self.member, "2026-03-01", 33.33) for _i in range(3)
            ]
            card = self._cards(self.member)
            self.assertAlmostEqual(card.points, 9.99, places=6)
            self._invoice(self.member, "2026-03-02", 33.35)
            self.assertAlmostEqual(card.points, 13.33, places=6)
            self.assertEqual(
                sorted(card.lot_ids.mapped("points")), [3.33, 3.33, 3.33, 3.34]
            )
            self._redeem(card, 13.33, "2026-03-03")
            self.assertTrue(float_is_zero(card.points, precision_digits=6))
            self.assertTrue(all(lot.remaining == 0.0 for lot in card.lot_ids))
            # give back the 13.33 and credit the first invoice in thirds
            card.points += 13.33
            self._refund(invoices[0], "2026-03-04", 11.11)
            self.assertAlmostEqual(card.points, 12.22, places=6)
            self._refund(invoices[0], "2026-03-05", 11.11)
            self._refund(invoices[0], "2026-03-06", 11.11)
        # the invoice of 33.33 is credited in full (3 × 11.11): its 3.33 are back
        self.assertAlmostEqual(card.points, 10.0, places=6)
        self.assertAlmostEqual(card.tier_points, 23.33, places=6)


@tagged("post_install", "-at_install")
class TestLoyaltyBreakPortal(HttpCase):
    """The history URL of a card, asked by other people."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program = cls.env["loyalty.program"].create(
            {
                "name": "Break Club",
                "program_type": "loyalty",
                "tier_ids": [
                    Command.create({"name": "Silver", "sequence": 1, "threshold": 100})
                ],
            }
        )
        cls.acme = cls.env["res.partner"].create(
            {"name": "Acme Break", "is_company": True, "email": "acme@example.com"}
        )
        cls.buyer = new_test_user(
            cls.env, login="break_buyer", groups="base.group_portal"
        )
        cls.buyer.partner_id.parent_id = cls.acme
        cls.stranger = new_test_user(
            cls.env, login="break_stranger", groups="base.group_portal"
        )
        cls.card = cls.env["loyalty.card"].create(
            {"program_id": cls.program.id, "partner_id": cls.acme.id, "points": 150}
        )

    def _history(self, login):
        self.authenticate(login, login)
        return self.url_open(
            f"/my/loyalty_card/{self.card.id}/history", allow_redirects=False
        )

    def test_other_customer_cannot_read_the_history(self):
        """A portal user of another customer opens the history URL of Acme's
        card. Right: refused (redirect, no balance, no program name); the JSON
        values route answers nothing either."""
        page = self._history("break_stranger")
        self.assertIn(page.status_code, (302, 303, 403, 404))
        self.assertNotIn("Break Club", page.text)
        self.assertNotIn("o_loyalty_card_summary", page.text)
        values = self.make_jsonrpc_request(
            f"/my/loyalty_card/{self.card.id}/values", {"card_id": self.card.id}
        )
        self.assertEqual(values, {})

    def test_contact_sees_the_company_membership(self):
        """Was broken. Acme's membership card (the company's own, as invoices
        credit it) is read by Acme's contact on the portal. Right: the contact,
        who buys for Acme, sees the membership's balance and tier, as they see
        Acme's orders and invoices. Here Odoo's route only shows cards whose
        holder is exactly the user's partner: redirected to /my."""
        page = self._history("break_buyer")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_loyalty_card_summary", page.text)
        self.assertIn("Tier: <strong>Silver</strong>", page.text)
