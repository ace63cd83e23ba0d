from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import RelationshipScoringCommon


class LoyaltyTierCommon(RelationshipScoringCommon):
    """A loyalty program with two tiers (Silver at 100 points, Gold at 500), a
    yearly evaluation and 30 grace days, and one member without points."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id += cls.env.ref("sales_team.group_sale_manager")
        cls.Card = cls.env["loyalty.card"]
        cls.program = cls.env["loyalty.program"].create(
            {
                "name": "Club",
                "program_type": "loyalty",
                "applies_on": "both",
                "trigger": "auto",
                "tier_period": "year",
                "tier_grace_days": 30,
                "rule_ids": [
                    Command.create(
                        {"reward_point_mode": "money", "reward_point_amount": 1}
                    )
                ],
                "reward_ids": [
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount": 5,
                            "discount_mode": "percent",
                            "required_points": 1000,
                        }
                    )
                ],
                "tier_ids": [
                    Command.create({"name": "Silver", "sequence": 1, "threshold": 100}),
                    Command.create(
                        {
                            "name": "Gold",
                            "sequence": 2,
                            "threshold": 500,
                            "points_multiplier": 2.0,
                        }
                    ),
                ],
            }
        )
        cls.silver, cls.gold = cls.program.tier_ids.sorted()
        cls.member = cls.env["res.partner"].create(
            {"name": "Member", "email": "member@example.com"}
        )

    @classmethod
    def _card(cls, partner=None, program=None, points=0.0):
        return cls.Card.create(
            {
                "program_id": (program or cls.program).id,
                "partner_id": (partner or cls.member).id,
                "points": points,
            }
        )

    def _tier_mails(self, card):
        return self.env["mail.mail"].search(
            [
                ("model", "=", "loyalty.card"),
                ("res_id", "=", card.id),
                ("subject", "ilike", "membership level"),
            ]
        )

    def _tier_history(self, card):
        return card.history_ids.filtered(lambda h: h.description.startswith("Tier:"))


@tagged("post_install", "-at_install")
class TestLoyaltyTiers(LoyaltyTierCommon):
    @freeze_time("2025-03-10")
    def test_upgrade_at_once_with_history_and_mail(self):
        card = self._card()
        self.assertFalse(card.tier_id)
        card.points = 150
        self.assertEqual(card.tier_id, self.silver)
        self.assertEqual(card.tier_since, date(2025, 3, 10))
        self.assertEqual(card.tier_period_end, date(2025, 12, 31))
        card.points = 600
        self.assertEqual(card.tier_id, self.gold)
        history = self._tier_history(card).sorted("id")
        self.assertEqual(
            history.mapped("description"),
            ["Tier: none → Silver", "Tier: Silver → Gold"],
        )
        self.assertEqual(history.mapped("issued"), [0.0, 0.0])
        self.assertEqual(history.mapped("used"), [0.0, 0.0])
        mails = self._tier_mails(card)
        self.assertEqual(len(mails), 2)
        self.assertEqual(mails.recipient_ids, self.member)
        self.assertIn("Gold", mails.sorted("id")[-1].subject)

    def test_downgrade_only_after_period_end_and_grace(self):
        with freeze_time("2025-03-10"):
            card = self._card(points=600)
            self.assertEqual(card.tier_id, self.gold)
            # the member spends points: redemptions never lower qualifying points
            card.points = 150
            self.assertEqual(card.tier_points, 600)
            self.assertEqual(card.tier_id, self.gold)
        with freeze_time("2025-12-31"):
            self.Card._cron_evaluate_tiers()
            self.assertEqual(card.tier_id, self.gold)
        with freeze_time("2026-01-31"):
            # a new period starts at 0 qualifying points, but a tier earned in
            # 2025 is held through 2026
            self.Card._cron_evaluate_tiers()
            self.assertEqual(card.tier_points, 0)
            self.assertEqual(card.tier_id, self.gold)
            self.assertEqual(card.tier_period_end, date(2026, 12, 31))
        with freeze_time("2026-06-01"):
            card.points += 150  # 150 qualifying points in 2026
        with freeze_time("2027-01-30"):  # period end 2026-12-31 + 30 grace days
            self.Card._cron_evaluate_tiers()
            self.assertEqual(card.tier_id, self.gold)
        with freeze_time("2027-01-31"):
            self.Card._cron_evaluate_tiers()
            self.assertEqual(card.tier_id, self.silver)
            self.assertEqual(card.tier_since, date(2027, 1, 31))
            self.assertEqual(card.tier_period_end, date(2027, 12, 31))
        self.assertEqual(
            self._tier_history(card).sorted("id")[-1].description,
            "Tier: Gold → Silver",
        )
        self.assertEqual(len(self._tier_mails(card)), 2)
        # without qualifying points in 2027 the member leaves the tiers once 2027
        # and its grace days are over
        with freeze_time("2028-01-30"):
            card._ledger_update_tier_points()
            card._evaluate_tiers()
            self.assertEqual(card.tier_id, self.silver)
        with freeze_time("2028-01-31"):
            card._evaluate_tiers()
            self.assertFalse(card.tier_id)
            self.assertFalse(card.tier_period_end)

    def test_tier_renewed_when_still_qualifying(self):
        with freeze_time("2025-03-10"):
            card = self._card(points=600)
        with freeze_time("2026-01-05"):
            self.Card._cron_evaluate_tiers()
            self.assertEqual(card.tier_id, self.gold)
            self.assertEqual(card.tier_period_end, date(2026, 12, 31))
            self.assertEqual(card.tier_since, date(2025, 3, 10))
            card.points = 150
        with freeze_time("2026-03-01"):  # the renewed period protects the tier
            self.Card._cron_evaluate_tiers()
            self.assertEqual(card.tier_id, self.gold)
        self.assertEqual(len(self._tier_history(card)), 1)

    def test_quarterly_period(self):
        self.program.write({"tier_period": "quarter", "tier_grace_days": 0})
        with freeze_time("2025-02-10"):
            card = self._card(points=150)
            self.assertEqual(card.tier_period_end, date(2025, 3, 31))
            card.points = 10
        with freeze_time("2025-03-31"):
            card._evaluate_tiers()
            self.assertEqual(card.tier_id, self.silver)
        with freeze_time("2025-04-01"):
            # earned in the first quarter, held through the second
            card._evaluate_tiers()
            self.assertEqual(card.tier_id, self.silver)
            self.assertEqual(card.tier_period_end, date(2025, 6, 30))
        with freeze_time("2025-07-01"):
            card._evaluate_tiers()
            self.assertFalse(card.tier_id)

    def test_spend_thresholds_from_posted_invoices(self):
        program = self.program.copy({"name": "Spend club"})
        program.tier_ids.unlink()
        bronze, platinum = self.env["loyalty.tier"].create(
            [
                {
                    "program_id": program.id,
                    "name": "Bronze",
                    "sequence": 1,
                    "threshold": 500,
                    "threshold_type": "spend",
                },
                {
                    "program_id": program.id,
                    "name": "Platinum",
                    "sequence": 2,
                    "threshold": 2000,
                    "threshold_type": "spend",
                },
            ]
        )
        company = self.env["res.partner"].create(
            {"name": "Acme", "is_company": True, "email": "acme@example.com"}
        )
        buyer = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": company.id}
        )
        card = self._card(partner=company, program=program)
        self._invoice(buyer, "2024-01-10", 5000.0)  # older than 12 months
        self._invoice(company, "2025-01-10", 800.0)
        self._invoice(buyer, "2025-02-01", 100.0, move_type="out_refund")
        self._invoice(company, "2025-02-15", 900.0, state="draft")
        changed = card._evaluate_tiers(date=date(2025, 3, 10))
        self.assertEqual(changed, card)
        self.assertEqual(card.tier_id, bronze)
        self._invoice(buyer, "2025-03-01", 1300.0)
        card._evaluate_tiers(date=date(2025, 3, 10))
        self.assertEqual(card.tier_id, platinum)

    def test_evaluation_is_set_based(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Member {i}", "email": f"m{i}@example.com"} for i in range(6)]
        )
        cards = self.Card.create(
            [
                {"program_id": self.program.id, "partner_id": p.id, "points": 0}
                for p in partners
            ]
        )
        # lots recorded without the refresh that follows a balance change: the
        # cron recomputes the qualifying points before evaluating
        self.env["loyalty.points.lot"].sudo().create(
            [
                {
                    "card_id": card.id,
                    "description": "Imported",
                    "date": date.today(),
                    "points": 200,
                    "remaining": 200,
                }
                for card in cards
            ]
        )
        self.assertEqual(cards.mapped("tier_points"), [0.0] * 6)
        self.Card._cron_evaluate_tiers(batch_size=4)
        self.assertEqual(cards.mapped("tier_points"), [200.0] * 6)
        self.assertEqual(cards.tier_id, self.silver)
        self.assertEqual(len(self._tier_history(cards)), 6)

    def test_validation_errors(self):
        Tier = self.env["loyalty.tier"]
        values = {"program_id": self.program.id, "name": "Bad"}
        with (
            self.assertRaisesRegex(ValidationError, "cannot be negative"),
            self.env.cr.savepoint(),
        ):
            Tier.create({**values, "threshold": -1})
        with (
            self.assertRaisesRegex(ValidationError, "must be positive"),
            self.env.cr.savepoint(),
        ):
            Tier.create({**values, "threshold": 50, "points_multiplier": 0})
        with (
            self.assertRaisesRegex(ValidationError, "between 0 and 100"),
            self.env.cr.savepoint(),
        ):
            Tier.create({**values, "threshold": 50, "discount": 120})
        with (
            self.assertRaisesRegex(ValidationError, "same threshold"),
            self.env.cr.savepoint(),
        ):
            Tier.create({**values, "threshold": 100})
        promotion = self.env["loyalty.program"].create(
            {"name": "Promo", "program_type": "promotion"}
        )
        with (
            self.assertRaisesRegex(ValidationError, "loyalty card programs"),
            self.env.cr.savepoint(),
        ):
            Tier.create({**values, "program_id": promotion.id, "threshold": 1})
        with (
            self.assertRaisesRegex(ValidationError, "cannot be negative"),
            self.env.cr.savepoint(),
        ):
            self.program.points_validity_days = -1
