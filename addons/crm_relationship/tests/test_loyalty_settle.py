"""Second round of attempts to break the loyalty ledger: credit notes withdrawn
from a set of credit notes, orders cancelled after their points lapsed, merges of
cards in debt or past their expiration date, contacts that become companies.

Each docstring gives the scenario and the value worked by hand; "Here ..." tells
what the ledger did before it was fixed.
"""

from freezegun import freeze_time

from odoo.tests import tagged

from .test_loyalty_ledger import LoyaltyLedgerCommon


@tagged("post_install", "-at_install")
class TestLoyaltySettle(LoyaltyLedgerCommon):
    def _assert_ledger(self, card, points, message=None):
        card.invalidate_recordset()
        self.assertEqual(
            (card.points, self._held(card)),
            (points, points),
            message or "balance and what the ledger holds",
        )

    # ------------------------------------------------------------
    # CREDIT NOTES: THE STANDING SET TAKES BACK ITS SHARE
    # ------------------------------------------------------------

    def test_over_credited_invoice_then_first_credit_note_withdrawn(self):
        """Invoice of 100 (100 points); a credit note of 60 takes 60; a second
        credit note of 60 can only take the 40 left (the invoice is credited
        120 %). The first credit note is then reset to draft. Right: the second
        one alone credits 60 % of the invoice: 60 points taken, 40 left. Here
        the first gives back its 60 and the second keeps its 40: 60 left."""
        with freeze_time("2026-03-10"):
            invoice = self._invoice(self.member, "2026-03-01", 100.0)
            card = self._cards(self.member)
            first = self._refund(invoice, "2026-03-02", 60.0)
            self._refund(invoice, "2026-03-03", 60.0)
            self._assert_ledger(card, 0.0)
            first.button_draft()
        self._assert_ledger(card, 40.0)
        self.assertEqual(card.tier_points, 40.0)

    def test_credit_notes_in_thirds_and_one_withdrawn(self):
        """Invoice of 100 credited by three credit notes of 33.33, 33.33 and
        33.34 (0 left). The second is cancelled. Right: the two standing credit
        notes credit 66.67 %: 33.33 points left, to the cent."""
        with freeze_time("2026-03-10"):
            invoice = self._invoice(self.member, "2026-03-01", 100.0)
            card = self._cards(self.member)
            self._refund(invoice, "2026-03-02", 33.33)
            second = self._refund(invoice, "2026-03-03", 33.33)
            self._refund(invoice, "2026-03-04", 33.34)
            self._assert_ledger(card, 0.0)
            second.button_draft()
            second.button_cancel()
        self._assert_ledger(card, 33.33)

    def test_withdrawn_credit_note_posted_again(self):
        """Invoice of 100; credit notes of 60 and 60; the first is reset and
        posted again. Right: 0 points (the invoice is credited in full again),
        never below."""
        with freeze_time("2026-03-10"):
            invoice = self._invoice(self.member, "2026-03-01", 100.0)
            card = self._cards(self.member)
            first = self._refund(invoice, "2026-03-02", 60.0)
            self._refund(invoice, "2026-03-03", 60.0)
            first.button_draft()
            self._assert_ledger(card, 40.0)
            first.action_post()
        self._assert_ledger(card, 0.0)

    def test_order_credited_twice_then_first_credit_note_withdrawn(self):
        """An order of 100 earns 100 points through the program's rule; its
        invoice is credited by 60 and by 60 (0 left). The first credit note is
        reset. Right: the second alone credits 60 % of the order: 40 left. Here
        the first gave back its 60: 60 left."""
        with freeze_time("2026-03-10"):
            order = self._order(self.member, 100.0)
            card = self._cards(self.member)
            order._create_invoices().action_post()
            first = self._refund(order.invoice_ids, "2026-03-11", 60.0)
            self._refund(order.invoice_ids - first, "2026-03-12", 60.0)
            self._assert_ledger(card, 0.0)
            first.button_draft()
        self._assert_ledger(card, 40.0)

    def test_credit_note_withdrawn_then_invoice_reset_and_reposted(self):
        """Invoice of 100; credit notes of 30 and 30; the first is withdrawn (70
        left); the invoice is reset (0) and posted again while the second stands
        (70); the second is withdrawn (100)."""
        with freeze_time("2026-03-10"):
            invoice = self._invoice(self.member, "2026-03-01", 100.0)
            card = self._cards(self.member)
            first = self._refund(invoice, "2026-03-02", 30.0)
            second = self._refund(invoice, "2026-03-03", 30.0)
            first.button_draft()
            self._assert_ledger(card, 70.0)
            invoice.button_draft()
            self._assert_ledger(card, 0.0)
            invoice.action_post()
            self._assert_ledger(card, 70.0)
            second.button_draft()
        self._assert_ledger(card, 100.0)

    def test_spent_points_then_over_credit_withdrawn(self):
        """Invoice of 100, 90 points redeemed, credit notes of 60 and 60: the
        customer owes 90 (-90). The first is withdrawn: owes 50 (-50); an invoice
        of 100 then pays the debt: 50."""
        with freeze_time("2026-03-10"):
            invoice = self._invoice(self.member, "2026-03-01", 100.0)
            card = self._cards(self.member)
            card.points -= 90
            first = self._refund(invoice, "2026-03-02", 60.0)
            self._refund(invoice, "2026-03-03", 60.0)
            self._assert_ledger(card, -90.0)
            first.button_draft()
            self._assert_ledger(card, -50.0)
            self._invoice(self.member, "2026-03-04", 100.0)
        self._assert_ledger(card, 50.0)

    # ------------------------------------------------------------
    # ORDERS CANCELLED AFTER THEIR POINTS LAPSED OR WERE TAKEN BACK
    # ------------------------------------------------------------

    def test_order_cancelled_after_its_points_expired(self):
        """Points valid 30 days. An order of 200 (200 points) on 1 March; they
        expire on 31 March (0 left). The order is cancelled in April. Right: 0
        points (what had expired is not taken twice). Here sale_loyalty takes
        the order's 200 points off the balance again: -200."""
        self.program.points_validity_days = 30
        with freeze_time("2026-03-01"):
            order = self._order(self.member, 200.0)
            card = self._cards(self.member)
            self.assertEqual(card.points, 200.0)
        with freeze_time("2026-04-05"):
            self.Card._cron_expire_points()
            self._assert_ledger(card, 0.0)
            order._action_cancel()
        self._assert_ledger(card, 0.0)

    def test_order_cancelled_after_part_of_its_points_was_spent(self):
        """An order gives 200 points; 150 are redeemed; the order is cancelled.
        Right: the customer owes the 150 spent: -150 (the ledger's uncovered
        use, paid by the next award); an invoice of 100 then leaves -50."""
        with freeze_time("2026-03-01"):
            order = self._order(self.member, 200.0)
            card = self._cards(self.member)
        self._redeem(card, 150.0, "2026-03-02")
        with freeze_time("2026-03-03"):
            order._action_cancel()
            self._assert_ledger(card, -150.0)
            self._invoice(self.member, "2026-03-03", 100.0)
        self._assert_ledger(card, -50.0)

    # ------------------------------------------------------------
    # MERGES
    # ------------------------------------------------------------

    def _card_in_debt(self, partner, when):
        """A card that owes 50 points: earned 50, spent them, the invoice was
        credited."""
        with freeze_time(when):
            card = self._card(partner=partner)
            invoice = self._invoice(partner, when, 50.0)
            card.points -= 50
            self._refund(invoice, when)
        self.assertEqual(card.points, -50.0)
        return card

    def test_merge_a_card_in_debt_then_expiry(self):
        """Points valid 30 days. A contact's card owes 50 points; the company's
        card holds 100 points from 1 March. Merged: 50. On 31 March the 100
        points' lot expires. Right: the debt was paid from that lot when the
        cards were merged, so only 50 expire: 0 left. Here the debt stays
        uncovered, the whole lot expires: -50."""
        self.program.points_validity_days = 30
        acme = self._company("Acme")
        buyer = self._contact(acme, "Buyer")
        debt = self._card_in_debt(buyer, "2026-02-20")
        with freeze_time("2026-03-01"):
            own = self._card(partner=acme)
            self._invoice(acme, "2026-03-01", 100.0)
            own.invalidate_recordset()
            self.assertEqual(own.points, 100.0)
            (own | debt).action_merge_memberships()
            self._assert_ledger(own, 50.0)
        with freeze_time("2026-04-05"):
            self.Card._cron_expire_points()
        self._assert_ledger(own, 0.0)
        self.assertFalse(own.points_use_ids.filtered(lambda u: not u.lot_id))

    def test_merge_a_card_past_its_expiration_date(self):
        """A contact's card of 50 points is past its expiration date (the
        expiry run has not emptied it yet); the company's card holds 10. Merged.
        Right: 10 (the 50 points died with their card). Here they move onto the
        company's card: 60."""
        acme = self._company("Acme")
        buyer = self._contact(acme, "Buyer")
        with freeze_time("2026-05-02"):
            own = self._card(partner=acme, points=10)
            old = self._card(partner=buyer, points=50)
            old.expiration_date = "2026-04-30"
            (own | old).action_merge_memberships()
        self._assert_ledger(own, 10.0)
        self.assertEqual(old.points, 0.0)

    # ------------------------------------------------------------
    # CONTACTS THAT CHANGE COMMERCIAL ENTITY
    # ------------------------------------------------------------

    def test_contact_made_a_company_leaves_the_points(self):
        """A contact of Acme orders 80 (their card is Acme's membership); the
        contact is then made a company of its own. Right: Acme keeps its 80
        points; the new company starts at 0 and its invoice of 10 gives it 10.
        Here the card follows the contact, who becomes its own commercial
        entity: Acme 0, the new company 90."""
        acme = self._company("Acme")
        buyer = self._contact(acme, "Buyer")
        with freeze_time("2026-05-02"):
            self._order(buyer, 80.0)
            buyer.is_company = True
            self.assertEqual(buyer.commercial_partner_id, buyer)
            self._invoice(buyer, "2026-05-03", 10.0)
        cards = self._active_cards(acme)
        by_entity = {
            partner: sum(cards.mapped("points"))
            for partner, cards in cards.grouped(
                lambda c: c.partner_id.commercial_partner_id
            ).items()
        }
        self.assertEqual(by_entity, {acme: 80.0, buyer: 10.0})

    def test_contact_of_a_moving_department(self):
        """Acme > Purchasing (a contact) > Buyer, who holds Acme's card of 80.
        Purchasing moves to Beta, and Buyer with it. Right: Acme keeps its 80
        points; Beta has none. Here only the moved contact's own cards were
        looked at: Buyer's card went to Beta."""
        acme, beta = self._company("Acme"), self._company("Beta")
        purchasing = self._contact(acme, "Purchasing")
        buyer = self._contact(purchasing, "Buyer")
        with freeze_time("2026-05-02"):
            self._order(buyer, 80.0)
            purchasing.parent_id = beta
            self.assertEqual(buyer.commercial_partner_id, beta)
        self.assertEqual(sum(self._active_cards(acme).mapped("points")), 80.0)
        self.assertEqual(sum(self._active_cards(beta).mapped("points")), 0.0)
