from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import HEAD, MANAGER, USER, DepartmentCase


class SharedRecordCommon(DepartmentCase):
    """Three departments with their people, a customer, in two companies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Other Co"})
        Department = cls.env["hr.department"]
        cls.sales = Department.create({"name": "Sales"})
        cls.finance = Department.create({"name": "Finance"})
        cls.logistics = Department.create({"name": "Logistics"})
        cls.seller = cls._person("seller", USER, cls.sales)
        cls.seller_2 = cls._person("seller2", USER, cls.sales)
        cls.clerk = cls._person("clerk", USER, cls.finance)
        cls.planner = cls._person("planner", USER, cls.logistics)
        cls.logistics_head = cls._person("loghead", HEAD, cls.logistics)
        cls.finance_head = cls._person("finhead", HEAD, cls.finance)
        cls.manager = cls._person("relmanager", MANAGER, cls.sales)
        cls.logistics.manager_id = cls.logistics_head.employee_id
        cls.customer = cls.env["res.partner"].create(
            {"name": "Acme", "is_company": True}
        )
        cls.deadline = fields.Date.today() + timedelta(days=5)

    def _handoff(self, user=None, **values):
        return (
            self.env["crm.handoff"]
            .with_user(user or self.seller)
            .create(
                {
                    "name": "Trace the late delivery",
                    "partner_id": self.customer.id,
                    "to_department_id": self.logistics.id,
                    "date_deadline": self.deadline,
                    **values,
                }
            )
        )

    def _note(self, user, visibility, text="A fact", **values):
        return (
            self.env["crm.customer.note"]
            .with_user(user)
            .create(
                {
                    "partner_id": self.customer.id,
                    "visibility": visibility,
                    "body": f"<p>{text}</p>",
                    **values,
                }
            )
        )


@tagged("post_install", "-at_install")
class TestCustomerNotes(SharedRecordCommon):
    def _visible(self, user):
        return (
            self.env["crm.customer.note"]
            .with_user(user)
            .search([("partner_id", "=", self.customer.id)])
        )

    def test_department_defaults_to_the_authors(self):
        note = self._note(self.clerk, "everyone")
        self.assertEqual(note.department_id, self.finance)
        self.assertEqual(note.author_id, self.clerk)

    def test_visibility_per_group_and_department(self):
        public = self._note(self.clerk, "everyone")
        finance_only = self._note(self.clerk, "department")
        heads_only = self._note(self.clerk, "heads")
        self.assertEqual(self._visible(self.seller), public)
        # the author reads all three; a colleague reads the department's
        self.assertEqual(self._visible(self.clerk), public | finance_only | heads_only)
        other_clerk = self._person("clerk2", USER, self.finance)
        self.assertEqual(self._visible(other_clerk), public | finance_only)
        # a head of another department reads notes for heads, not Finance's own
        self.assertEqual(self._visible(self.logistics_head), public | heads_only)
        self.assertEqual(
            self._visible(self.finance_head), public | finance_only | heads_only
        )
        self.assertEqual(
            self._visible(self.manager), public | finance_only | heads_only
        )
        with self.assertRaises(AccessError):
            finance_only.with_user(self.seller).read(["body"])

    def test_who_edits_a_note(self):
        note = self._note(self.clerk, "everyone", "Pays on the 10th")
        with self.assertRaises(AccessError):
            note.with_user(self.seller).write({"pinned": True})
        note.with_user(self.clerk).write({"pinned": True})
        note.with_user(self.finance_head).write({"kind": "risk"})
        with self.assertRaises(AccessError):
            note.with_user(self.logistics_head).write({"pinned": False})
        note.with_user(self.manager).unlink()
        self.assertFalse(note.exists())

    def test_restricted_notes_stay_out_of_the_shared_timeline(self):
        self._note(self.clerk, "everyone", "Invoices quote the PO number")
        self._note(self.clerk, "heads", "Secret credit worry")
        bodies = " ".join(self.customer.message_ids.mapped("body"))
        self.assertIn("Invoices quote the PO number", bodies)
        self.assertNotIn("Secret credit worry", bodies)

    def test_empty_note_is_refused(self):
        for body in ("<p><br></p>", "", "<p>   </p>"):
            with self.assertRefused(ValidationError, "empty note"):
                self._note(self.clerk, "everyone", body=body)
        with self.assertRefused(ValidationError, "empty note"):
            self.env["crm.customer.note"].with_user(self.clerk).create(
                {"partner_id": self.customer.id}
            )

    def test_note_needs_a_department(self):
        outsider = new_test_user(self.env, login="nodept", groups=USER)
        with self.assertRefused(ValidationError, "belongs to a department"):
            self._note(outsider, "everyone")

    def test_note_form_in_the_web_client(self):
        form = Form(self.env["crm.customer.note"].with_user(self.clerk))
        form.partner_id = self.customer
        form.body = "<p>Prefers calls in the morning</p>"
        note = form.save()
        self.assertEqual(note.department_id, self.finance)
        self.assertEqual(note.summary, "Prefers calls in the morning")


@tagged("post_install", "-at_install")
class TestHandoffs(SharedRecordCommon):
    def test_request_goes_to_the_receiving_departments_head(self):
        handoff = self._handoff()
        self.assertEqual(handoff.state, "requested")
        self.assertEqual(handoff.from_department_id, self.sales)
        self.assertEqual(handoff.requested_by_id, self.seller)
        self.assertEqual(handoff.activity_ids.user_id, self.logistics_head)
        self.assertEqual(handoff.activity_ids.date_deadline, self.deadline)
        self.assertIn(self.logistics_head.partner_id, handoff.message_partner_ids)
        self.assertIn("Trace the late delivery", self.customer.message_ids[0].body)

    def test_accept_done_notifies_the_requester(self):
        handoff = self._handoff()
        handoff.with_user(self.planner).action_accept()
        self.assertEqual(handoff.state, "accepted")
        self.assertEqual(handoff.user_id, self.planner)
        self.assertEqual(handoff.activity_ids.user_id, self.planner)
        handoff.with_user(self.planner).result = "<p>Found at the hub</p>"
        handoff.with_user(self.planner).action_done()
        self.assertEqual(handoff.state, "done")
        self.assertTrue(handoff.date_closed)
        self.assertFalse(handoff.activity_ids)
        told = handoff.message_ids.filtered(
            lambda m: self.seller.partner_id in m.partner_ids
        )
        self.assertTrue(told)
        self.assertIn("Found at the hub", told[0].body)

    def test_refuse_needs_a_reason_and_tells_why(self):
        handoff = self._handoff()
        with self.assertRefused(UserError, "why"):
            handoff.with_user(self.planner).action_refuse("  ")
        handoff.with_user(self.planner).action_refuse("Not ours: carrier's")
        self.assertEqual(handoff.state, "refused")
        self.assertEqual(handoff.refuse_reason, "Not ours: carrier's")
        self.assertFalse(handoff.activity_ids)
        handoff.with_user(self.seller).action_reopen()
        self.assertEqual(handoff.state, "requested")
        self.assertEqual(handoff.activity_ids.user_id, self.logistics_head)

    def test_refuse_wizard(self):
        handoff = self._handoff()
        action = handoff.with_user(self.planner).action_open_refuse()
        form = Form(
            self.env[action["res_model"]]
            .with_user(self.planner)
            .with_context(**action["context"])
        )
        form.reason = "Duplicate of yesterday's request"
        form.save().action_refuse()
        self.assertEqual(handoff.state, "refused")

    def test_only_the_receiving_department_acts(self):
        handoff = self._handoff()
        # the requesting department reads the hand-off but does not act on it
        with self.assertRefused(UserError, "Only Logistics can accept"):
            handoff.with_user(self.seller_2).action_accept()
        # a third department does not even read it
        with self.assertRaises(AccessError):
            handoff.with_user(self.clerk).action_accept()
        with self.assertRefused(UserError, "Only Logistics can complete"):
            self._handoff().with_user(self.seller).action_done()
        handoff.with_user(self.manager).action_accept()
        self.assertEqual(handoff.user_id, self.manager)

    def test_wrong_state_is_refused(self):
        handoff = self._handoff()
        handoff.with_user(self.planner).action_accept()
        with self.assertRefused(UserError, "accepted"):
            handoff.with_user(self.planner).action_accept()

    def test_dispatch_is_for_heads(self):
        handoff = self._handoff()
        with self.assertRefused(UserError, "department heads"):
            handoff.with_user(self.seller).write({"user_id": self.planner.id})
        handoff.with_user(self.logistics_head).write({"user_id": self.planner.id})
        self.assertEqual(handoff.activity_ids.user_id, self.planner)
        with self.assertRefused(ValidationError, "not in Logistics"):
            handoff.with_user(self.logistics_head).write({"user_id": self.clerk.id})

    def test_bad_input_is_refused_in_words(self):
        with self.assertRefused(ValidationError, "another department"):
            self._handoff(to_department_id=self.sales.id)
        with self.assertRefused(ValidationError, "in the past"):
            self._handoff(date_deadline=fields.Date.today() - timedelta(days=1))
        with self.assertRefused(ValidationError, "needs both"):
            self._handoff(to_department_id=False)
        self.assertFalse(
            self.env["crm.handoff"].search([("partner_id", "=", self.customer.id)])
        )

    def test_visible_to_both_departments_and_managers(self):
        handoff = self._handoff()
        Handoff = self.env["crm.handoff"]
        for user in (self.seller_2, self.planner, self.logistics_head, self.manager):
            self.assertEqual(
                Handoff.with_user(user).search([("id", "=", handoff.id)]),
                handoff,
                user.login,
            )
        for user in (self.clerk, self.finance_head):
            self.assertFalse(
                Handoff.with_user(user).search([("id", "=", handoff.id)]), user.login
            )
            with self.assertRaises(AccessError):
                handoff.with_user(user).read(["name"])

    def test_overdue_is_tracked(self):
        handoff = self._handoff()
        done = self._handoff(name="Done in time")
        done.with_user(self.planner).action_accept()
        done.with_user(self.planner).action_done()
        Handoff = self.env["crm.handoff"]
        self.assertFalse(handoff.is_overdue)
        with freeze_time(self.deadline + timedelta(days=1)):
            handoff.invalidate_recordset(["is_overdue"])
            self.assertTrue(handoff.is_overdue)
            overdue = Handoff.search([("is_overdue", "=", True)])
            self.assertIn(handoff, overdue)
            self.assertNotIn(done, overdue)
            self.assertIn(done, Handoff.search([("is_overdue", "=", False)]))
            self.assertEqual(self.logistics.crm_handoff_overdue_count, 1)

    def test_department_dashboard_counts(self):
        self._handoff()
        self._handoff(name="Second").with_user(self.planner).action_accept()
        self._handoff(user=self.clerk, name="From finance")
        self.env["crm.account.team.member"].create(
            [
                {"partner_id": self.customer.id, "user_id": self.planner.id},
                {"partner_id": self.customer.id, "user_id": self.seller.id},
            ]
        )
        logistics = self.logistics.with_user(self.logistics_head)
        self.assertRecordValues(
            logistics,
            [
                {
                    "crm_handoff_in_count": 3,
                    "crm_handoff_unassigned_count": 2,
                    "crm_handoff_out_count": 0,
                    "crm_handoff_overdue_count": 0,
                    "crm_customer_count": 1,
                }
            ],
        )
        self.assertEqual(self.sales.crm_handoff_out_count, 2)
        action = logistics.with_context(
            crm_figure="handoff_unassigned"
        ).action_crm_open()
        self.assertEqual(len(self.env["crm.handoff"].search(action["domain"])), 2)


@tagged("post_install", "-at_install")
class TestAccountTeam(SharedRecordCommon):
    def test_heads_edit_their_departments_members(self):
        Member = self.env["crm.account.team.member"]
        member = Member.with_user(self.logistics_head).create(
            {"partner_id": self.customer.id, "user_id": self.planner.id}
        )
        self.assertEqual(member.department_id, self.logistics)
        with self.assertRaises(AccessError):
            Member.with_user(self.finance_head).create(
                {"partner_id": self.customer.id, "user_id": self.logistics_head.id}
            )
        with self.assertRaises(AccessError):
            Member.with_user(self.planner).create(
                {"partner_id": self.customer.id, "user_id": self.planner.id}
            )
        # everyone reads the team
        self.assertEqual(Member.with_user(self.clerk).search([]), member)

    def test_one_primary_per_department(self):
        Member = self.env["crm.account.team.member"]
        Member.create(
            {"partner_id": self.customer.id, "user_id": self.seller.id, "is_primary": 1}
        )
        with self.assertRefused(ValidationError, "already has a primary"):
            Member.create(
                {
                    "partner_id": self.customer.id,
                    "user_id": self.seller_2.id,
                    "is_primary": True,
                }
            )
        # another department may have its own primary contact
        Member.create(
            {
                "partner_id": self.customer.id,
                "user_id": self.planner.id,
                "is_primary": 1,
            }
        )

    def test_customers_my_department_serves(self):
        other = self.env["res.partner"].create({"name": "Other", "is_company": True})
        self.env["crm.account.team.member"].create(
            {"partner_id": self.customer.id, "user_id": self.planner.id}
        )
        Partner = self.env["res.partner"]
        served = Partner.with_user(self.logistics_head).search(
            [("served_by_my_department", "=", True)]
        )
        self.assertEqual(served, self.customer)
        self.assertFalse(
            Partner.with_user(self.clerk).search(
                [("served_by_my_department", "=", True)]
            )
        )
        self.assertIn(
            other,
            Partner.with_user(self.planner).search(
                [("served_by_my_department", "=", False)]
            ),
        )


@tagged("post_install", "-at_install")
class TestFinanceFigures(SharedRecordCommon):
    FINANCE = [
        "c360_receivable",
        "c360_overdue",
        "c360_credit_limit",
        "c360_credit_use",
    ]

    def test_finance_figures_for_accounting_heads_and_managers(self):
        with self.assertRaises(AccessError):
            self.customer.with_user(self.seller).read(["c360_receivable"])
        # the rest of the 360 is for every relationship user
        self.customer.with_user(self.seller).read(
            ["c360_quotation_count", "c360_open_delivery_count"]
        )
        accountant = self._person(
            "accountant", USER + ",account.group_account_invoice", self.finance
        )
        for user in (accountant, self.logistics_head, self.manager):
            values = self.customer.with_user(user).read(self.FINANCE)[0]
            self.assertEqual(values["c360_receivable"], 0.0, user.login)

    def test_finance_tab_hidden_from_plain_users(self):
        arch = (
            self.env["res.partner"]
            .with_user(self.seller)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertIn("c360_quotation_count", arch)
        self.assertNotIn("c360_receivable", arch)
        arch = (
            self.env["res.partner"]
            .with_user(self.logistics_head)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertIn("c360_receivable", arch)


@tagged("post_install", "-at_install")
class TestSharedRecordMultiCompany(SharedRecordCommon):
    def test_other_company_sees_nothing(self):
        handoff = self._handoff()
        note = self._note(self.clerk, "everyone")
        member = self.env["crm.account.team.member"].create(
            {"partner_id": self.customer.id, "user_id": self.planner.id}
        )
        logistics_b = self.env["hr.department"].create(
            {"name": "Logistics B", "company_id": self.company_b.id}
        )
        outsider = self._person("outsider", MANAGER, logistics_b, self.company_b)
        for record in (handoff, note, member):
            self.assertFalse(
                record.with_user(outsider).search([("id", "=", record.id)]),
                record._name,
            )
            with self.assertRaises(AccessError):
                record.with_user(outsider).read(["partner_id"])

    def test_company_of_the_records_is_the_users(self):
        handoff = self._handoff()
        self.assertEqual(handoff.company_id, self.company)
        with self.assertRaises(UserError):
            # a department of another company cannot receive the hand-off
            self._handoff(
                to_department_id=self.env["hr.department"]
                .create({"name": "Elsewhere", "company_id": self.company_b.id})
                .id
            )
