from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged
from odoo.tools import SQL

from .test_loyalty_tiers import LoyaltyTierCommon


@tagged("post_install", "-at_install")
class TestLoyaltyPoints(LoyaltyTierCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.invoice_points_rate = 0.5
        cls.product = cls.env["product.product"].create(
            {
                "name": "Service",
                "type": "service",
                "list_price": 100.0,
                "invoice_policy": "order",
                "taxes_id": [],
            }
        )

    def _member_card(self, partner=None):
        return self.Card.search(
            [
                ("program_id", "=", self.program.id),
                ("partner_id", "=", (partner or self.member).id),
            ]
        )

    def _invoice_history(self, move):
        return self.env["loyalty.history"].search(
            [("order_model", "=", "account.move"), ("order_id", "=", move.id)]
        )

    def _backdate(self, history, when):
        history.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE loyalty_history SET create_date = %s WHERE id IN %s",
                when,
                tuple(history.ids),
            )
        )
        history.invalidate_recordset(["create_date"])

    # ------------------------------------------------------------
    # POINTS ON INVOICES
    # ------------------------------------------------------------

    @freeze_time("2025-03-10")
    def test_invoice_and_refund_points(self):
        invoice = self._invoice(self.member, "2025-03-01", 400.0)
        card = self._member_card()
        self.assertEqual(len(card), 1, "posting creates the missing card")
        self.assertEqual(card.points, 200.0)
        history = self._invoice_history(invoice)
        self.assertRecordValues(
            history, [{"card_id": card.id, "issued": 200.0, "used": 0.0}]
        )
        self.assertEqual(card.tier_id, self.silver)
        # Gold members earn twice as fast
        card.points = 600
        self.assertEqual(card.tier_id, self.gold)
        second = self._invoice(self.member, "2025-03-02", 100.0)
        self.assertEqual(card.points, 700.0)
        self.assertEqual(self._invoice_history(second).issued, 100.0)
        # a credit note of the first invoice takes back its share of what it gave,
        # not what the Gold tier would give today
        refund = invoice._reverse_moves([{"invoice_date": "2025-03-03", "ref": "half"}])
        refund.invoice_line_ids.price_unit = 200.0
        refund.action_post()
        self.assertEqual(card.points, 600.0)
        self.assertRecordValues(
            self._invoice_history(refund), [{"issued": 0.0, "used": 100.0}]
        )
        # a free-standing credit note removes points at the current rate
        self._invoice(self.member, "2025-03-04", 50.0, move_type="out_refund")
        self.assertEqual(card.points, 550.0)

    def test_reset_and_cancel_reverse_points(self):
        invoice = self._invoice(self.member, "2025-03-01", 100.0)
        card = self._member_card()
        self.assertEqual(card.points, 50.0)
        invoice.button_draft()
        self.assertEqual(card.points, 0.0)
        self.assertFalse(self._invoice_history(invoice))
        invoice.action_post()
        self.assertEqual(card.points, 50.0)
        self.assertEqual(len(self._invoice_history(invoice)), 1)
        invoice.button_cancel()
        self.assertEqual(card.points, 0.0)
        self.assertFalse(self._invoice_history(invoice))
        refund = self._invoice(self.member, "2025-03-02", 20.0, move_type="out_refund")
        self.assertEqual(card.points, -10.0)
        refund.button_draft()
        self.assertEqual(card.points, 0.0)

    def test_other_company_program_and_vendor_bills_give_nothing(self):
        self.program.company_id = self.env["res.company"].create({"name": "Other"})
        self._invoice(self.member, "2025-03-01", 100.0)
        self.assertFalse(self._member_card())
        self.program.company_id = self.company
        self._invoice(self.member, "2025-03-01", 100.0, move_type="in_invoice")
        self.assertFalse(self._member_card())

    def test_no_double_count_for_orders_that_earned_points(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.member.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": 3,
                            "price_unit": 100.0,
                            "tax_id": [],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        card = self._member_card()
        self.assertEqual(card.points, 300.0, "the program's rule gave 1 point per $")
        invoice = order._create_invoices()
        invoice.invoice_date = "2025-03-01"
        invoice.write(
            {
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Extra",
                            "quantity": 1,
                            "price_unit": 40.0,
                            "tax_ids": [],
                        }
                    )
                ]
            }
        )
        invoice.action_post()
        # only the line which is not from the order earns invoice points
        self.assertEqual(card.points, 320.0)
        self.assertEqual(self._invoice_history(invoice).issued, 20.0)

    def test_orders_of_other_programs_still_earn(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.member.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": 2,
                            "price_unit": 100.0,
                            "tax_id": [],
                        }
                    )
                ],
            }
        )
        # the order did not earn points through the program
        self.program.rule_ids.minimum_amount = 1000
        order.action_confirm()
        self.assertFalse(order.coupon_point_ids)
        invoice = order._create_invoices()
        invoice.invoice_date = "2025-03-01"
        invoice.action_post()
        self.assertEqual(self._member_card().points, 100.0)

    # ------------------------------------------------------------
    # EXPIRY
    # ------------------------------------------------------------

    def test_points_expire_oldest_first(self):
        self.program.points_validity_days = 30
        with freeze_time("2025-03-10"):
            self._invoice(self.member, "2025-01-01", 200.0)  # 100 points
            self._invoice(self.member, "2025-02-20", 100.0)  # 50 points
            card = self._member_card()
        with freeze_time("2025-02-25"):
            card.points -= 70
        # the January lot expired on 2025-01-31 with 30 of its points left
        self.Card._cron_expire_points(date=date(2025, 3, 10))
        self.assertEqual(card.points, 50.0)
        expired = card.history_ids.filtered(lambda h: h.description == "Points expired")
        self.assertRecordValues(expired, [{"issued": 0.0, "used": 30.0}])
        # running again the same day expires nothing more
        self.Card._cron_expire_points(date=date(2025, 3, 10))
        self.assertEqual(card.points, 50.0)
        # the 50 newer points expire 30 days after their invoice
        self.Card._cron_expire_points(date=date(2025, 3, 22))
        self.assertEqual(card.points, 50.0)
        with freeze_time("2025-03-23"):
            self.Card._cron_expire_points()
        self.assertEqual(card.points, 0.0)

    def test_points_never_expire_without_validity(self):
        card = self._card()
        earned = self.env["loyalty.history"].create(
            {"card_id": card.id, "description": "Old", "issued": 100.0}
        )
        self._backdate(earned, "2020-01-01 10:00:00")
        card.points = 100.0
        self.Card._cron_expire_points(date=date(2025, 3, 10))
        self.assertEqual(card.points, 100.0)

    def test_card_expiration_date_empties_card(self):
        card = self._card(points=40.0)
        card.expiration_date = "2025-03-01"
        self.Card._cron_expire_points(date=date(2025, 3, 1))
        self.assertEqual(card.points, 40.0)
        self.Card._cron_expire_points(date=date(2025, 3, 2))
        self.assertEqual(card.points, 0.0)
        self.assertRecordValues(
            card.history_ids.filtered(lambda h: h.description == "Card expired"),
            [{"issued": 0.0, "used": 40.0}],
        )


@tagged("post_install", "-at_install")
class TestLoyaltyMemberBenefits(LoyaltyTierCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["product.product"].create(
            {"name": "Service", "type": "service", "list_price": 100.0, "taxes_id": []}
        )
        cls.other = cls.env["res.partner"].create({"name": "Someone else"})
        cls.promotion = cls.env["loyalty.program"].create(
            {
                "name": "Members promotion",
                "program_type": "promotion",
                "trigger": "auto",
                "applies_on": "current",
                "rule_ids": [Command.create({"minimum_qty": 1})],
                "reward_ids": [
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount": 10,
                            "discount_mode": "percent",
                            "discount_applicability": "order",
                        }
                    )
                ],
            }
        )

    def _order(self, partner):
        return self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "tax_id": []})
                ],
            }
        )

    def _applied(self, order):
        order._update_programs_and_rewards()
        claimable = order._get_claimable_rewards()
        return any(r.program_id == self.promotion for r in claimable.values())

    def test_program_reserved_to_customers(self):
        self.promotion.allowed_partner_ids = self.member
        self.assertTrue(self._applied(self._order(self.member)))
        order = self._order(self.other)
        self.assertFalse(self._applied(order))
        self.assertIn("error", order._try_apply_program(self.promotion))

    def test_program_reserved_to_tiers(self):
        self.promotion.allowed_tier_ids = self.gold
        card = self._card(points=150)
        self.assertEqual(card.tier_id, self.silver)
        self.assertFalse(self._applied(self._order(self.member)))
        card.points = 600
        self.assertTrue(self._applied(self._order(self.member)))

    def test_reward_reserved_to_tiers(self):
        reward = self.program.reward_ids
        reward.write({"allowed_tier_ids": [Command.set(self.gold.ids)]})
        card = self._card(points=1200)
        self.assertEqual(card.tier_id, self.gold)
        order = self._order(self.member)
        order._update_programs_and_rewards()
        self.assertIn(reward, order._get_claimable_rewards()[card])
        # another program's Gold would not do: only the reward's tiers count
        silver_card = self._card(partner=self.other, points=150)
        order = self._order(self.other)
        order._update_programs_and_rewards()
        self.assertNotIn(
            reward,
            order._get_claimable_rewards(forced_coupons=silver_card)[silver_card],
        )
        self.assertIn("error", order._apply_program_reward(reward, silver_card))

    def test_tier_pricelist_and_discount(self):
        pricelist = self.env["product.pricelist"].create(
            {"name": "Silver prices", "currency_id": self.company.currency_id.id}
        )
        self.silver.write({"pricelist_id": pricelist.id, "discount": 7.5})
        self._card(points=150)
        order = self._order(self.member)
        self.assertEqual(order.pricelist_id, pricelist)
        self.assertEqual(order.order_line.discount, 7.5)
        order = self._order(self.other)
        self.assertNotEqual(order.pricelist_id, pricelist)
        self.assertEqual(order.order_line.discount, 0.0)
