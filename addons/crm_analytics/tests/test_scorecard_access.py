from datetime import date

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.crm_relationship.tests.common import HEAD, MANAGER, USER

from .common import ScorecardCase


@tagged("post_install", "-at_install")
class TestScorecardAccess(ScorecardCase):
    """Users see their own scorecards, heads their department's, managers all;
    only managers edit KPI definitions and targets."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = cls._person("sc.user", USER, cls.sales)
        cls.colleague = cls._person("sc.colleague", USER, cls.sales)
        cls.outsider = cls._person("sc.outsider", USER, cls.logistics)
        cls.head = cls._person("sc.head", HEAD, cls.sales)
        cls.manager = cls._person("sc.manager", MANAGER, cls.logistics)
        cls.kpi = cls._kpi("Count")
        cls._lead(date(2026, 3, 2), 10, cls.user)
        cls.mine = cls._card(cls.kpi, 1, owner_type="user", user_id=cls.user.id)
        cls.colleagues = cls._card(
            cls.kpi, 1, owner_type="user", user_id=cls.colleague.id
        )
        cls.outsiders = cls._card(
            cls.kpi, 1, owner_type="user", user_id=cls.outsider.id
        )
        cls.department = cls._card(
            cls.kpi, 1, owner_type="department", department_id=cls.sales.id
        )
        cls.logistics_card = cls._card(
            cls.kpi, 1, owner_type="department", department_id=cls.logistics.id
        )
        cls.company_card = cls._card(cls.kpi, 1)
        cls.cards = (
            cls.mine
            | cls.colleagues
            | cls.outsiders
            | cls.department
            | cls.logistics_card
            | cls.company_card
        )
        with cls.env.cr.savepoint():
            cls.cards.with_context(scorecard_date="2026-04-02")._snapshot(
                periods_back=1
            )

    def _visible(self, user, model="crm.scorecard"):
        records = self.env[model].with_user(user).search([])
        return records

    def test_user_sees_own_scorecard(self):
        self.assertEqual(self._visible(self.user) & self.cards, self.mine)
        self.assertEqual(
            self._visible(self.user, "crm.kpi.value").scorecard_id & self.cards,
            self.mine,
        )
        self.assertEqual(
            self._visible(self.user, "crm.scorecard.line").scorecard_id & self.cards,
            self.mine,
        )
        with self.assertRaises(AccessError):
            self.colleagues.with_user(self.user).read(["name"])

    def test_head_sees_department(self):
        self.assertEqual(
            self._visible(self.head) & self.cards,
            self.mine | self.colleagues | self.department,
        )

    def test_manager_sees_all(self):
        self.assertEqual(self._visible(self.manager) & self.cards, self.cards)

    def test_only_managers_edit_kpis_and_targets(self):
        line = self.department.line_ids
        for person in (self.user, self.head):
            with self.assertRaises(AccessError):
                self.kpi.with_user(person).write({"name": "Renamed"})
            with self.assertRaises(AccessError):
                self.env["crm.kpi"].with_user(person).create(
                    {"name": "New", "measure": "ratio"}
                )
        with self.assertRaises(AccessError):
            line.with_user(self.head).write({"target": 99})
        with self.assertRaises(AccessError):
            self.env["crm.scorecard.target"].with_user(self.head).create(
                {"line_id": line.id, "date_from": date(2026, 5, 1), "target": 5}
            )
        with self.assertRaises(AccessError):
            self.mine.with_user(self.user).write({"name": "Mine"})
        line.with_user(self.manager).write({"target": 99})
        self.assertEqual(line.target, 99)
        card = (
            self.env["crm.scorecard"]
            .with_user(self.manager)
            .create(
                {
                    "name": "By manager",
                    "line_ids": [Command.create({"kpi_id": self.kpi.id})],
                }
            )
        )
        self.assertEqual(card.owner_type, "company")

    def test_users_read_kpis_and_live_values(self):
        mine = self.mine.with_user(self.user).with_context(scorecard_date="2026-03-15")
        self.assertEqual(mine.line_ids.value, 1)
        # the KPI form shows its source and fields, which point to ir.model(.fields)
        shown = self.kpi.with_user(self.user).read(
            ["model_id", "date_field_id", "user_field_id"]
        )[0]
        self.assertEqual(
            shown["date_field_id"][1], "Expected Closing (Lead/Opportunity)"
        )

    def test_only_managers_rebuild_history(self):
        with self.assertRaises(AccessError):
            self.mine.with_user(self.user).action_rebuild_snapshots()

    def test_multi_company_isolation(self):
        other = self.env["res.company"].create({"name": "Other company (test)"})
        self.manager.company_ids |= other
        card = (
            self.env["crm.scorecard"]
            .with_company(other)
            .create({"name": "Elsewhere", "company_id": other.id})
        )
        cards = self.env["crm.scorecard"].with_user(self.manager)
        self.assertNotIn(
            card, cards.with_context(allowed_company_ids=[self.company.id]).search([])
        )
        self.assertIn(
            card,
            cards.with_context(allowed_company_ids=[self.company.id, other.id]).search(
                []
            ),
        )
        self.assertNotIn(card, self._visible(self.head))
