"""A loyalty member reads their card on the portal, over real HTTP."""

from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestLoyaltyPortal(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program = cls.env["loyalty.program"].create(
            {
                "name": "Portal Club",
                "program_type": "loyalty",
                "points_validity_days": 90,
                "tier_ids": [
                    (0, 0, {"name": "Silver", "sequence": 1, "threshold": 100}),
                    (0, 0, {"name": "Gold", "sequence": 2, "threshold": 500}),
                ],
            }
        )
        cls.member = new_test_user(
            cls.env, login="loyalty_portal", groups="base.group_portal"
        )
        cls.stranger = new_test_user(
            cls.env, login="loyalty_stranger", groups="base.group_portal"
        )
        cls.card = cls.env["loyalty.card"].create(
            {
                "program_id": cls.program.id,
                "partner_id": cls.member.partner_id.id,
                "points": 150,
            }
        )

    def test_card_history_shows_membership(self):
        today = fields.Date.today()
        self.assertEqual(self.card.tier_id.name, "Silver")
        self.authenticate("loyalty_portal", "loyalty_portal")
        page = self.url_open(f"/my/loyalty_card/{self.card.id}/history")
        self.assertEqual(page.status_code, 200)
        text = page.text
        self.assertIn("o_loyalty_card_summary", text)
        self.assertIn("Tier: <strong>Silver</strong>", text)
        self.assertIn("Qualifying points", text)
        self.assertIn("more to reach Gold", text)
        self.assertRegex(text, r'o_loyalty_next_tier_missing">350 ')
        self.assertRegex(text, r'o_loyalty_next_expiry_points">150 ')
        expiry = fields.Date.to_string(today + timedelta(days=90))
        self.assertEqual(self.card.next_expiry_date.isoformat(), expiry)
        # the home page's card shows the same summary
        home = self.url_open("/my")
        self.assertIn("o_loyalty_membership", home.text)

    def test_other_members_card_is_not_shown(self):
        self.authenticate("loyalty_stranger", "loyalty_stranger")
        page = self.url_open(f"/my/loyalty_card/{self.card.id}/history")
        self.assertNotIn("o_loyalty_card_summary", page.text)
        self.assertNotIn("Portal Club", page.text)
