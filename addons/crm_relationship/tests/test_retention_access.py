from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestRetentionAccess(TransactionCase):
    """Who configures and who reads loyalty tiers, win-back strategies and reasons."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env,
            login="retention_user",
            groups="crm_relationship.group_relationship_user",
        )
        cls.manager = new_test_user(
            cls.env,
            login="retention_manager",
            groups="crm_relationship.group_relationship_manager",
        )
        cls.program = cls.env["loyalty.program"].create(
            {
                "name": "Club",
                "program_type": "loyalty",
                "company_id": cls.env.company.id,
            }
        )

    def test_tiers_are_configured_by_managers(self):
        Tier = self.env["loyalty.tier"]
        tier = Tier.with_user(self.manager).create(
            {"program_id": self.program.id, "name": "Gold", "threshold": 100}
        )
        self.assertEqual(Tier.with_user(self.user).search([]), tier)
        with self.assertRaises(AccessError):
            Tier.with_user(self.user).create(
                {"program_id": self.program.id, "name": "Silver", "threshold": 10}
            )
        with self.assertRaises(AccessError):
            tier.with_user(self.user).threshold = 5

    def test_tiers_stay_in_their_company(self):
        tier = self.env["loyalty.tier"].create(
            {"program_id": self.program.id, "name": "Gold", "threshold": 100}
        )
        other = self.env["res.company"].create({"name": "Other Co"})
        outsider = new_test_user(
            self.env,
            login="retention_outsider",
            groups="crm_relationship.group_relationship_manager",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        self.assertFalse(self.env["loyalty.tier"].with_user(outsider).search([]))
        with self.assertRaises(AccessError):
            tier.with_user(outsider).read(["name"])

    def test_winback_strategies_stay_in_their_company(self):
        strategy = self.env["crm.winback.strategy"].create(
            {"name": "Call", "tier": "A"}
        )
        other = self.env["res.company"].create({"name": "Other Co"})
        outsider = new_test_user(
            self.env,
            login="retention_outsider2",
            groups="crm_relationship.group_relationship_manager",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        self.assertFalse(
            self.env["crm.winback.strategy"]
            .with_user(outsider)
            .search([("id", "=", strategy.id)])
        )
