"""Shipped configuration works in every company, now and later.

SLA policies and the scoring profile are per company: each company gets its own copy
when it is created, and the companies that existed before the module get theirs at
install and update. Stages and categories are shared (no company on them); the
category's department is per company. Links across companies are refused.
"""

import re
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import MANAGER, USER, DepartmentCase

T0 = datetime(2026, 3, 2, 9, 0)


@tagged("post_install", "-at_install")
class TestMultiCompanyConfig(DepartmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Later Co"})
        cls.service_a = cls.env["hr.department"].create(
            {"name": "Service A", "company_id": cls.company_a.id}
        )
        cls.service_b = cls.env["hr.department"].create(
            {"name": "Service B", "company_id": cls.company_b.id}
        )
        cls.agent_a = cls._person("mc_agent_a", USER, cls.service_a)
        cls.agent_b = cls._person("mc_agent_b", USER, cls.service_b, cls.company_b)
        cls.manager_b = cls._person(
            "mc_manager_b", MANAGER, cls.service_b, cls.company_b
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Shared customer", "is_company": True}
        )
        cls.Policy = cls.env["crm.complaint.sla.policy"]
        cls.Profile = cls.env["crm.relationship.scoring.profile"]

    def _complaint(self, user, **values):
        return (
            self.env["crm.complaint"]
            .with_user(user)
            .create({"name": "Dented crates", "partner_id": self.customer.id, **values})
        )

    # ------------------------------------------------------------
    # EACH COMPANY ITS OWN COPY
    # ------------------------------------------------------------
    def test_company_created_later_gets_deadlines(self):
        """In the later company's own working hours (Odoo's standard 40 hours, in
        UTC here): 8 h from Monday 09:00 end on Tuesday 09:00, 48 h on the next
        Tuesday 09:00."""
        self.company_b.resource_calendar_id.tz = "UTC"
        with freeze_time(T0):
            complaint = self._complaint(self.agent_b, severity="high")
        self.assertEqual(complaint.company_id, self.company_b)
        self.assertEqual(T0.weekday(), 0)
        self.assertEqual(complaint.response_deadline, T0 + timedelta(days=1))
        self.assertEqual(complaint.resolution_deadline, T0 + timedelta(days=8))
        with freeze_time(T0 + timedelta(days=8, hours=1)):
            self.env["crm.complaint"]._cron_check_sla()
        self.assertRecordValues(
            complaint, [{"response_breached": True, "resolution_breached": True}]
        )

    def test_company_created_later_gets_its_own_policies_and_profile(self):
        policies = self.Policy.search([("company_id", "=", self.company_b.id)])
        self.assertEqual(
            sorted(policies.mapped("severity")), ["critical", "high", "low", "medium"]
        )
        self.assertFalse(policies.category_id)
        self.assertEqual(
            self.Profile.search([("company_id", "=", self.company_b.id)]).window_days,
            365,
        )
        # its managers tune them without touching the first company's
        policies.filtered(lambda p: p.severity == "high").with_user(
            self.manager_b
        ).response_hours = 4
        high_a = self.Policy.search(
            [
                ("company_id", "=", self.company_a.id),
                ("severity", "=", "high"),
                ("category_id", "=", False),
            ]
        )
        self.assertEqual(high_a.response_hours, 8)
        # users of the later company read theirs only
        self.assertEqual(
            self.Policy.with_user(self.agent_b).search([]).company_id, self.company_b
        )

    def test_companies_that_existed_before_get_theirs_at_update(self):
        Company = self.env["res.company"]
        older = Company.create({"name": "Older Co"})
        # as if it had existed before the module: nothing of ours yet
        self.Policy.search([("company_id", "=", older.id)]).unlink()
        self.Profile.search([("company_id", "=", older.id)]).unlink()
        # a company whose managers kept one policy only keeps it as it is
        self.Policy.search(
            [("company_id", "=", self.company_b.id), ("severity", "!=", "low")]
        ).unlink()
        Company._create_missing_relationship_config()
        self.assertEqual(len(self.Policy.search([("company_id", "=", older.id)])), 4)
        self.assertEqual(len(self.Profile.search([("company_id", "=", older.id)])), 1)
        self.assertEqual(
            self.Policy.search([("company_id", "=", self.company_b.id)]).severity,
            "low",
        )
        # nothing twice
        Company._create_missing_relationship_config()
        self.assertEqual(len(self.Policy.search([("company_id", "=", older.id)])), 4)

    def test_every_company_has_policies_and_a_profile(self):
        companies = self.env["res.company"].search([])
        for model in (self.Policy, self.Profile):
            self.assertEqual(
                model.search([("company_id", "in", companies.ids)]).company_id,
                companies,
                model._name,
            )

    def test_every_profile_has_the_shipped_surveys(self):
        """The profiles made at install (before the module's surveys were loaded
        they had none: no survey after a complaint on a fresh installation), those of
        companies created later, and those made at update."""
        nps = self.env.ref("crm_relationship.survey_relationship_nps")
        complaint = self.env.ref("crm_relationship.survey_complaint_satisfaction")
        older = self.env["res.company"].create({"name": "Older Co 2"})
        self.Profile.search([("company_id", "=", older.id)]).unlink()
        self.env["res.company"]._create_missing_relationship_config()
        profiles = self.Profile.search([])
        self.assertIn(self.company_a, profiles.company_id)
        self.assertIn(older, profiles.company_id)
        for profile in profiles:
            self.assertEqual(
                (profile.nps_survey_id, profile.complaint_survey_id),
                (nps, complaint),
                profile.company_id.name,
            )

    # ------------------------------------------------------------
    # SHARED CONFIGURATION
    # ------------------------------------------------------------
    def test_stages_and_categories_serve_every_company(self):
        delivery = self.env.ref("crm_relationship.crm_complaint_category_delivery")
        complaint = self._complaint(self.agent_b, category_id=delivery.id)
        self.assertEqual(
            complaint.stage_id, self.env.ref("crm_relationship.crm_complaint_stage_new")
        )
        self.assertIn(
            delivery,
            self.env["crm.complaint.category"].with_user(self.agent_b).search([]),
        )
        complaint.with_user(self.agent_b).action_close()
        self.assertTrue(complaint.is_closed)

    def test_category_department_is_per_company(self):
        delivery = self.env.ref("crm_relationship.crm_complaint_category_delivery")
        delivery.with_company(self.company_a).department_id = self.service_a
        delivery.with_company(self.company_b).department_id = self.service_b
        in_a = self._complaint(self.agent_a, category_id=delivery.id)
        in_b = self._complaint(self.agent_b, category_id=delivery.id)
        self.assertEqual(in_a.department_id, self.service_a)
        self.assertEqual(in_b.department_id, self.service_b)
        with self.assertRaisesRegex(
            ValidationError, re.escape(f"belongs to {self.company_a.name}")
        ):
            delivery.with_company(self.company_b).department_id = self.service_a

    # ------------------------------------------------------------
    # LINKS ACROSS COMPANIES ARE REFUSED
    # ------------------------------------------------------------
    def test_complaint_refuses_links_to_another_company(self):
        product_a = self.env["product.product"].create(
            {"name": "A's crate", "company_id": self.company_a.id}
        )
        for field, value in (
            ("department_id", self.service_a),
            ("user_id", self.agent_a),
            ("product_id", product_a),
        ):
            with (
                self.subTest(field=field),
                self.assertRaisesRegex(UserError, "Incompatible companies"),
            ):
                self._complaint(self.manager_b, **{field: value.id})

    def test_shared_record_refuses_people_of_another_company(self):
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            self.env["crm.account.team.member"].create(
                {
                    "partner_id": self.customer.id,
                    "user_id": self.agent_a.id,
                    "department_id": self.service_b.id,
                    "company_id": self.company_b.id,
                }
            )
        logistics_b = self.env["hr.department"].create(
            {"name": "Logistics B", "company_id": self.company_b.id}
        )
        handoff = (
            self.env["crm.handoff"]
            .with_user(self.manager_b)
            .create(
                {
                    "name": "Check the pallets",
                    "partner_id": self.customer.id,
                    "to_department_id": logistics_b.id,
                }
            )
        )
        # managers take any hand-off, but not one of another company
        manager_a = self._person("mc_manager_a", MANAGER, self.service_a)
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            handoff.user_id = manager_a

    def test_winback_refuses_strategy_and_coupon_of_another_company(self):
        strategy_a = self.env["crm.winback.strategy"].create(
            {"name": "Call", "tier": "A", "company_id": self.company_a.id}
        )
        program_a = self.env["loyalty.program"].create(
            {
                "name": "Come back",
                "program_type": "coupons",
                "company_id": self.company_a.id,
            }
        )
        coupon_a = self.env["loyalty.card"].create(
            {"program_id": program_a.id, "partner_id": self.customer.id}
        )
        for field, value in (
            ("winback_strategy_id", strategy_a),
            ("winback_coupon_id", coupon_a),
        ):
            with (
                self.subTest(field=field),
                self.assertRaisesRegex(UserError, "Incompatible companies"),
            ):
                self.env["crm.lead"].create(
                    {
                        "name": "Win back",
                        "partner_id": self.customer.id,
                        "company_id": self.company_b.id,
                        "is_winback": True,
                        field: value.id,
                    }
                )

    def test_user_of_both_companies_can_be_linked_in_either(self):
        both = new_test_user(
            self.env,
            login="mc_both",
            groups="crm_relationship.group_relationship_user",
            company_id=self.company_a.id,
            company_ids=[(6, 0, (self.company_a | self.company_b).ids)],
        )
        complaint = self._complaint(self.manager_b, user_id=both.id)
        self.assertEqual(complaint.user_id, both)
