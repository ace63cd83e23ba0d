from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import MANAGER, USER, SharedRecordCase

FINANCE_FIGURES = [
    "c360_receivable",
    "c360_overdue",
    "c360_credit_limit",
    "c360_credit_use",
    "c360_days_to_pay",
]


@tagged("post_install", "-at_install")
class TestCustomerNoteRules(SharedRecordCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance_public = cls._note(cls.clerk, "everyone", "Pays by transfer")
        cls.finance_private = cls._note(cls.clerk, "department", "Dunning level 2")
        cls.finance_heads = cls._note(cls.clerk, "heads", "Credit under review")
        cls.sales_private = cls._note(cls.seller_2, "department", "Wants samples")
        cls.seller_heads = cls._note(cls.seller, "heads", "Buyer leaving soon")

    def test_plain_user_reads_public_own_and_department_notes(self):
        self.assertEqual(
            self._notes_seen_by(self.seller),
            self.finance_public | self.sales_private | self.seller_heads,
        )
        with self.assertRaises(AccessError):
            self.finance_private.with_user(self.seller).read(["body"])
        with self.assertRaises(AccessError):
            self.finance_heads.with_user(self.seller).read(["body"])

    def test_user_outside_any_department_reads_public_notes_only(self):
        outsider = new_test_user(self.env, login="sr_nodept", groups=USER)
        self.assertEqual(self._notes_seen_by(outsider), self.finance_public)

    def test_head_reads_all_heads_notes_but_not_other_departments(self):
        # Logistics' head: every note for heads, no department-only note elsewhere
        self.assertEqual(
            self._notes_seen_by(self.logistics_head),
            self.finance_public | self.finance_heads | self.seller_heads,
        )
        self.assertEqual(
            self._notes_seen_by(self.finance_head),
            self.finance_public
            | self.finance_private
            | self.finance_heads
            | self.seller_heads,
        )

    def test_manager_reads_and_edits_every_note(self):
        everything = (
            self.finance_public
            | self.finance_private
            | self.finance_heads
            | self.sales_private
            | self.seller_heads
        )
        self.assertEqual(self._notes_seen_by(self.manager), everything)
        everything.with_user(self.manager).write({"pinned": True})
        self.assertTrue(all(everything.mapped("pinned")))

    def test_plain_user_edits_and_deletes_only_own_notes(self):
        with self.assertRaises(AccessError):
            self.sales_private.with_user(self.seller).write({"pinned": True})
        with self.assertRaises(AccessError):
            self.sales_private.with_user(self.seller).unlink()
        # readable, yet not his: another department's note for everyone
        with self.assertRaises(AccessError):
            self.finance_public.with_user(self.seller).write({"kind": "risk"})
        self.sales_private.with_user(self.seller_2).write({"kind": "preference"})
        self.assertEqual(self.sales_private.kind, "preference")
        self.sales_private.with_user(self.seller_2).unlink()
        self.assertFalse(self.sales_private.exists())

    def test_head_edits_own_department_notes_only(self):
        self.finance_private.with_user(self.finance_head).write({"kind": "risk"})
        self.assertEqual(self.finance_private.kind, "risk")
        with self.assertRaises(AccessError):
            self.finance_heads.with_user(self.logistics_head).write({"pinned": True})
        with self.assertRaises(AccessError):
            self.finance_public.with_user(self.sales_head).unlink()

    def test_customer_form_lists_only_readable_notes(self):
        # as a request of the web client would: the superuser's creations filled
        # the cache of the one2many, which record rules do not filter
        self.env.invalidate_all()
        notes = self.customer.with_user(self.planner).customer_note_ids
        self.assertEqual(notes, self.finance_public)

    def test_restricted_notes_never_reach_the_partner_chatter(self):
        bodies = " ".join(self.customer.message_ids.mapped("body"))
        self.assertIn("Pays by transfer", bodies)
        for secret in (
            "Dunning level 2",
            "Credit under review",
            "Wants samples",
            "Buyer leaving soon",
        ):
            self.assertNotIn(secret, bodies)


@tagged("post_install", "-at_install")
class TestCustomerNoteInput(SharedRecordCase):
    def test_empty_body_is_refused(self):
        Note = self.env["crm.customer.note"].with_user(self.clerk)
        for body in ("<p><br></p>", "<p>  </p>", "", False):
            with self.assertRefused(ValidationError, "empty note"):
                Note.create({"partner_id": self.customer.id, "body": body})
        with self.assertRefused(ValidationError, "empty note"):
            Note.create({"partner_id": self.customer.id})

    def test_body_cannot_be_emptied_later(self):
        note = self._note(self.clerk, "department", "Prefers invoices by post")
        with self.assertRefused(ValidationError, "empty note"):
            note.write({"body": "<p><br></p>"})

    def test_department_is_required(self):
        outsider = new_test_user(self.env, login="sr_nodept", groups=USER)
        with self.assertRefused(ValidationError, "belongs to a department"):
            self._note(outsider, "everyone", "Orphan note")
        with self.assertRefused(ValidationError, "belongs to a department"):
            self._note(self.clerk, "everyone", "No owner", department_id=False)

    def test_form_defaults_to_authors_department(self):
        form = Form(self.env["crm.customer.note"].with_user(self.planner))
        form.partner_id = self.customer
        form.body = "<p>Dock closes at 4 pm</p>"
        note = form.save()
        self.assertRecordValues(
            note,
            [
                {
                    "department_id": self.logistics.id,
                    "author_id": self.planner.id,
                    "visibility": "everyone",
                    "summary": "Dock closes at 4 pm",
                }
            ],
        )


@tagged("post_install", "-at_install")
class TestAccountTeamRules(SharedRecordCase):
    def test_every_user_reads_but_does_not_edit_the_team(self):
        member = self._member(user_id=self.planner.id, role="Planner")
        self.assertEqual(
            self.env["crm.account.team.member"].with_user(self.clerk).search([]),
            member,
        )
        with self.assertRaises(AccessError):
            member.with_user(self.planner).write({"role": "Lead planner"})
        with self.assertRaises(AccessError):
            member.with_user(self.planner).unlink()
        with self.assertRaises(AccessError):
            self._member(self.seller, user_id=self.seller.id)

    def test_head_manages_own_department_members(self):
        member = self._member(self.logistics_head, user_id=self.planner.id)
        self.assertEqual(member.department_id, self.logistics)
        member.with_user(self.logistics_head).write({"role": "Dock planner"})
        self.assertEqual(member.role, "Dock planner")
        with self.assertRaises(AccessError):
            member.with_user(self.finance_head).write({"role": "Anything"})
        with self.assertRaises(AccessError):
            member.with_user(self.finance_head).unlink()
        with self.assertRaises(AccessError):
            self._member(self.finance_head, user_id=self.planner_2.id)
        member.with_user(self.logistics_head).unlink()
        self.assertFalse(member.exists())

    def test_manager_manages_every_department(self):
        member = self._member(self.manager, user_id=self.clerk.id)
        self.assertEqual(member.department_id, self.finance)
        member.with_user(self.manager).write({"is_primary": True})
        member.with_user(self.manager).unlink()
        self.assertFalse(member.exists())

    def test_one_primary_per_customer_and_department(self):
        self._member(user_id=self.planner.id, is_primary=True)
        with self.assertRaises(ValidationError):
            self._member(user_id=self.planner_2.id, is_primary=True)
        second = self._member(user_id=self.planner_2.id)
        with self.assertRaises(ValidationError):
            second.write({"is_primary": True})
        # each department names its own primary contact
        finance = self._member(user_id=self.clerk.id, is_primary=True)
        self.assertTrue(finance.is_primary)
        # and another customer is another team
        other = self.env["res.partner"].create({"name": "Fabrikam", "is_company": 1})
        self._member(partner_id=other.id, user_id=self.planner_2.id, is_primary=True)


@tagged("post_install", "-at_install")
class TestHandoffRouting(SharedRecordCase):
    def test_request_goes_to_receiving_departments_manager(self):
        handoff = self._handoff()
        todo = self._open_todos(handoff)
        self.assertEqual(len(todo), 1)
        self.assertEqual(todo.user_id, self.logistics_head)
        self.assertEqual(todo.date_deadline, self.deadline)
        self.assertRecordValues(
            handoff,
            [
                {
                    "state": "requested",
                    "from_department_id": self.sales.id,
                    "requested_by_id": self.seller.id,
                    "user_id": False,
                }
            ],
        )

    def test_request_with_assignee_goes_to_the_assignee(self):
        handoff = self._handoff(self.sales_head, user_id=self.planner.id)
        self.assertEqual(self._open_todos(handoff).user_id, self.planner)

    def test_department_without_manager_gets_no_activity_until_accepted(self):
        handoff = self._handoff(to_department_id=self.finance.id)
        self.assertFalse(self._open_todos(handoff))
        handoff.with_user(self.clerk).action_accept()
        self.assertEqual(self._open_todos(handoff).user_id, self.clerk)

    def test_accept_moves_the_activity_to_the_assignee(self):
        handoff = self._handoff()
        handoff.with_user(self.planner).action_accept()
        self.assertEqual(handoff.state, "accepted")
        self.assertEqual(handoff.user_id, self.planner)
        self.assertTrue(handoff.date_accepted)
        self.assertEqual(self._open_todos(handoff).user_id, self.planner)

    def test_dispatch_moves_the_activity(self):
        handoff = self._handoff()
        handoff.with_user(self.logistics_head).write({"user_id": self.planner_2.id})
        self.assertEqual(self._open_todos(handoff).user_id, self.planner_2)
        handoff.with_user(self.logistics_head).write({"user_id": False})
        self.assertEqual(self._open_todos(handoff).user_id, self.logistics_head)

    def test_new_due_date_reschedules_the_activity(self):
        handoff = self._handoff()
        later = self.deadline + timedelta(days=7)
        handoff.with_user(self.seller).write({"date_deadline": later})
        self.assertEqual(self._open_todos(handoff).date_deadline, later)

    def test_done_closes_the_activity_and_notifies_the_requester(self):
        handoff = self._handoff()
        handoff.with_user(self.planner).action_accept()
        handoff.with_user(self.planner).write({"result": "<p>42 pallets</p>"})
        handoff.with_user(self.planner).action_done()
        self.assertEqual(handoff.state, "done")
        self.assertTrue(handoff.date_closed)
        self.assertFalse(self._open_todos(handoff))
        # marked done, not deleted: the feedback message of the activity is there
        self.assertTrue(
            handoff.message_ids.filtered(lambda m: m.mail_activity_type_id == self.todo)
        )
        told = handoff.message_ids.filtered(
            lambda m: self.seller.partner_id in m.partner_ids
        )
        self.assertEqual(len(told), 1)
        self.assertIn("42 pallets", told.body)
        self.assertIn(self.seller.partner_id, told.notification_ids.res_partner_id)

    def test_followers_hear_of_each_step(self):
        """As project.task: a colleague following the hand-off is notified of its
        acceptance and completion, each with its own subtype."""
        handoff = self._handoff()
        follower = new_test_user(
            self.env, login="handoff_follower", groups="base.group_user"
        ).partner_id
        handoff.message_subscribe(partner_ids=follower.ids)
        # tracking is posted at commit: one message per transaction
        handoff.with_user(self.planner).action_accept()
        self.env.cr.precommit.run()
        handoff.with_user(self.planner).write({"result": "<p>42 pallets</p>"})
        handoff.with_user(self.planner).action_done()
        self.env.cr.precommit.run()
        for state in ("accepted", "done"):
            subtype = self.env.ref(f"crm_relationship.mt_handoff_{state}")
            message = handoff.message_ids.filtered(
                lambda m, s=subtype: m.subtype_id == s
            )
            self.assertEqual(len(message), 1, state)
            self.assertIn(follower, message.notified_partner_ids)

    def test_refuse_needs_a_reason_and_removes_the_activity(self):
        handoff = self._handoff()
        for reason in (None, "", "   \n"):
            with self.assertRefused(UserError, "why"):
                handoff.with_user(self.planner).action_refuse(reason)
        self.assertEqual(handoff.state, "requested")
        handoff.with_user(self.planner).action_refuse("  Carrier fault  ")
        self.assertRecordValues(
            handoff, [{"state": "refused", "refuse_reason": "Carrier fault"}]
        )
        self.assertFalse(handoff.activity_ids)
        # removed, not marked done
        self.assertFalse(
            handoff.message_ids.filtered(lambda m: m.mail_activity_type_id == self.todo)
        )
        told = handoff.message_ids.filtered(
            lambda m: self.seller.partner_id in m.partner_ids
        )
        self.assertIn("Carrier fault", told.body)

    def test_reopen_sends_it_back_to_the_receiving_department(self):
        handoff = self._handoff()
        handoff.with_user(self.planner).action_refuse("Wrong customer")
        with self.assertRefused(UserError, "refused"):
            handoff.with_user(self.planner).action_accept()
        handoff.with_user(self.seller).action_reopen()
        self.assertRecordValues(handoff, [{"state": "requested", "date_closed": False}])
        self.assertEqual(self._open_todos(handoff).user_id, self.logistics_head)
        with self.assertRefused(UserError, "requested"):
            handoff.with_user(self.seller).action_reopen()


@tagged("post_install", "-at_install")
class TestHandoffRules(SharedRecordCase):
    def _seen_by(self, user, handoff):
        return self.env["crm.handoff"].with_user(user).search([("id", "=", handoff.id)])

    def test_visible_to_both_departments_and_managers_only(self):
        handoff = self._handoff()
        for user in (self.seller_2, self.sales_head, self.planner_2, self.manager):
            self.assertEqual(self._seen_by(user, handoff), handoff, user.login)
        for user in (self.clerk, self.finance_head):
            self.assertFalse(self._seen_by(user, handoff), user.login)
            with self.assertRaises(AccessError):
                handoff.with_user(user).read(["name"])
            with self.assertRaises(AccessError):
                handoff.with_user(user).write({"priority": "1"})

    def test_requester_keeps_it_after_changing_department(self):
        handoff = self._handoff()
        # what he saw before the move is in the record rules' cache
        from_finance = self._handoff(self.clerk, name="From finance")
        self.assertFalse(self._seen_by(self.seller, from_finance))
        self.seller.employee_id.department_id = self.finance
        # the move counts at once: Finance's hand-offs are now his to see
        self.assertEqual(self._seen_by(self.seller, from_finance), from_finance)
        self.assertEqual(self._seen_by(self.seller, handoff), handoff)
        # what keeps it visible is having asked, not the new department
        self.assertFalse(self._seen_by(self.clerk, handoff))

    def test_managers_act_for_any_department(self):
        # the manager sits in Sales, the requesting side, yet may act
        unassigned = self._handoff()
        unassigned.with_user(self.manager).action_refuse("Handled by phone")
        self.assertEqual(unassigned.state, "refused")
        # and may be assigned although not in the receiving department
        handoff = self._handoff(name="For the manager")
        handoff.with_user(self.logistics_head).write({"user_id": self.manager.id})
        self.assertEqual(self._open_todos(handoff).user_id, self.manager)
        handoff.with_user(self.manager).action_accept()
        self.assertRecordValues(
            handoff, [{"state": "accepted", "user_id": self.manager.id}]
        )

    def test_only_the_receiving_side_accepts_completes_or_refuses(self):
        handoff = self._handoff()
        for user in (self.seller, self.seller_2, self.sales_head):
            mine = handoff.with_user(user)
            with self.assertRefused(UserError, "Logistics"):
                mine.action_accept()
            with self.assertRefused(UserError, "Logistics"):
                mine.action_done()
            with self.assertRefused(UserError, "Logistics"):
                mine.action_refuse("Not needed")
        with self.assertRaises(AccessError):
            handoff.with_user(self.clerk).action_accept()
        self.assertEqual(handoff.state, "requested")
        # any member of the receiving department may act, not only its head
        handoff.with_user(self.planner_2).action_done()
        self.assertEqual(handoff.state, "done")

    def test_plain_users_take_hand_offs_but_do_not_assign_them(self):
        with self.assertRefused(UserError, "heads"):
            self._handoff(self.seller, user_id=self.planner.id)
        handoff = self._handoff()
        with self.assertRefused(UserError, "heads"):
            handoff.with_user(self.planner).write({"user_id": self.planner_2.id})
        handoff.with_user(self.planner).write({"user_id": self.planner.id})
        self.assertEqual(handoff.user_id, self.planner)

    def test_assignee_must_belong_to_the_receiving_department(self):
        handoff = self._handoff()
        with self.assertRefused(ValidationError, "Logistics"):
            handoff.with_user(self.logistics_head).write({"user_id": self.clerk.id})
        with self.assertRefused(ValidationError, "Logistics"):
            self._handoff(self.sales_head, user_id=self.seller.id)
        # a requester cannot take it himself either
        with self.assertRefused(ValidationError, "Logistics"):
            handoff.with_user(self.seller).write({"user_id": self.seller.id})

    def test_colleague_accepts_a_hand_off_dispatched_to_someone_else(self):
        handoff = self._handoff()
        handoff.with_user(self.logistics_head).write({"user_id": self.planner.id})
        handoff.with_user(self.planner_2).action_accept()
        self.assertRecordValues(
            handoff, [{"state": "accepted", "user_id": self.planner.id}]
        )
        self.assertEqual(self._open_todos(handoff).user_id, self.planner)

    def test_only_managers_delete_hand_offs(self):
        handoff = self._handoff()
        for user in (self.seller, self.logistics_head):
            with self.assertRaises(AccessError):
                handoff.with_user(user).unlink()
        handoff.with_user(self.manager).unlink()
        self.assertFalse(handoff.exists())

    def test_own_department_and_past_due_dates_are_refused(self):
        with self.assertRefused(ValidationError, "itself"):
            self._handoff(to_department_id=self.sales.id)
        with self.assertRefused(ValidationError, "past"):
            self._handoff(date_deadline=fields.Date.today() - timedelta(days=1))
        handoff = self._handoff(date_deadline=fields.Date.today())
        with self.assertRefused(ValidationError, "past"):
            handoff.write({"date_deadline": fields.Date.today() - timedelta(days=2)})
        with self.assertRefused(ValidationError, "itself"):
            handoff.write({"to_department_id": self.sales.id})

    def test_overdue_flag_and_search(self):
        late = self._handoff()
        closed = self._handoff(name="Closed in time")
        closed.with_user(self.planner).action_done()
        undated = self._handoff(name="No due date", date_deadline=False)
        Handoff = self.env["crm.handoff"].with_user(self.seller)
        self.assertFalse(Handoff.search([("is_overdue", "=", True)]))
        with freeze_time(self.deadline + timedelta(days=1)):
            (late | closed | undated).invalidate_recordset(["is_overdue"])
            self.assertEqual(
                (late | closed | undated).mapped("is_overdue"), [True, False, False]
            )
            self.assertEqual(Handoff.search([("is_overdue", "=", True)]), late)
            self.assertEqual(
                Handoff.search([("is_overdue", "!=", True)]), closed | undated
            )
        with freeze_time(self.deadline):
            late.invalidate_recordset(["is_overdue"])
            self.assertFalse(late.is_overdue)


@tagged("post_install", "-at_install")
class TestFinanceFigures(SharedRecordCase):
    def test_plain_user_is_refused_every_finance_figure(self):
        partner = self.customer.with_user(self.seller)
        for name in FINANCE_FIGURES:
            with self.assertRaises(AccessError, msg=name):
                partner.read([name])
        # reading the whole record simply leaves them out
        values = partner.read()[0]
        self.assertIn("c360_quotation_count", values)
        self.assertFalse(set(FINANCE_FIGURES) & set(values))

    def test_accounting_users_and_heads_read_finance_figures(self):
        self.company.account_use_credit_limit = True
        self.customer.credit_limit = 5000.0
        invoicing = self._person(
            "sr_invoicing", USER + ",account.group_account_invoice", self.finance
        )
        auditor = self._person(
            "sr_auditor", USER + ",account.group_account_readonly", self.finance
        )
        for user in (invoicing, auditor, self.logistics_head, self.manager):
            values = self.customer.with_user(user).read(FINANCE_FIGURES)[0]
            self.assertEqual(values["c360_credit_limit"], 5000.0, user.login)
            self.assertEqual(values["c360_receivable"], 0.0, user.login)
            self.assertEqual(values["c360_credit_use"], 0.0, user.login)

    def test_sales_figures_count_documents_the_user_cannot_open(self):
        admin = self.env.ref("base.user_admin")
        self.env["sale.order"].create(
            {"partner_id": self.customer.id, "user_id": admin.id}
        )
        orders = self.env["sale.order"].with_user(self.seller)
        self.assertFalse(orders.search([("partner_id", "=", self.customer.id)]))
        partner = self.customer.with_user(self.seller)
        self.assertEqual(partner.c360_quotation_count, 1)
        self.assertEqual(partner.c360_order_count, 0)

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
            values = self.customer.with_user(user).read(FINANCE_FIGURES)[0]
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
class TestSharedRecordCompanies(SharedRecordCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Northwind Europe"})
        cls.sales_b = cls.env["hr.department"].create(
            {"name": "Sales B", "company_id": cls.company_b.id}
        )
        cls.logistics_b = cls.env["hr.department"].create(
            {"name": "Logistics B", "company_id": cls.company_b.id}
        )
        cls.manager_b = cls._person("sr_manager_b", MANAGER, cls.sales_b, cls.company_b)
        cls.seller_b = cls._person("sr_seller_b", USER, cls.sales_b, cls.company_b)

    def _records_of_company_a(self):
        return (
            self._handoff(),
            self._note(self.seller, "everyone", "Company A only"),
            self._member(user_id=self.planner.id),
        )

    def test_company_b_sees_none_of_company_a(self):
        for record in self._records_of_company_a():
            for user in (self.seller_b, self.manager_b):
                Model = self.env[record._name].with_user(user)
                self.assertFalse(Model.search([]), f"{record._name} {user.login}")
                with self.assertRaises(AccessError):
                    record.with_user(user).read(["partner_id"])
        partner = self.customer.with_user(self.manager_b)
        self.assertFalse(partner.customer_note_ids)
        self.assertFalse(partner.handoff_ids)
        self.assertFalse(partner.account_team_ids)

    def test_company_a_sees_none_of_company_b(self):
        handoff = (
            self.env["crm.handoff"]
            .with_user(self.seller_b)
            .create(
                {
                    "name": "Company B request",
                    "partner_id": self.customer.id,
                    "to_department_id": self.logistics_b.id,
                }
            )
        )
        note = self._note(self.seller_b, "everyone", "Company B only")
        self.assertEqual(handoff.company_id, self.company_b)
        self.assertEqual(note.department_id, self.sales_b)
        self.assertEqual(self._notes_seen_by(self.seller_b), note)
        self.assertFalse(self._notes_seen_by(self.manager))
        self.assertFalse(self.env["crm.handoff"].with_user(self.manager).search([]))

    def test_active_company_limits_a_user_of_both(self):
        a_records = self._records_of_company_a()
        self.manager.company_ids += self.company_b
        in_b = self.env(
            user=self.manager, context={"allowed_company_ids": self.company_b.ids}
        )
        in_both = self.env(
            user=self.manager,
            context={"allowed_company_ids": (self.company | self.company_b).ids},
        )
        for record in a_records:
            self.assertFalse(in_b[record._name].search([("id", "=", record.id)]))
            self.assertEqual(
                in_both[record._name].search([("id", "=", record.id)]), record
            )


@tagged("post_install", "-at_install")
class TestDepartmentDashboard(SharedRecordCase):
    def test_handoff_and_customer_counters(self):
        self._handoff()
        self._handoff(name="Accepted").with_user(self.planner).action_accept()
        self._handoff(name="Closed").with_user(self.planner).action_done()
        self._handoff(self.clerk, name="From finance")
        self._member(user_id=self.planner.id)
        other = self.env["res.partner"].create({"name": "Fabrikam", "is_company": 1})
        self._member(partner_id=other.id, user_id=self.planner_2.id)
        self.assertRecordValues(
            self.logistics.with_user(self.logistics_head),
            [
                {
                    "crm_handoff_in_count": 3,
                    "crm_handoff_unassigned_count": 2,
                    "crm_handoff_out_count": 0,
                    "crm_handoff_overdue_count": 0,
                    "crm_customer_count": 2,
                }
            ],
        )
        self.assertRecordValues(
            self.sales.with_user(self.sales_head),
            [{"crm_handoff_out_count": 2, "crm_handoff_in_count": 0}],
        )

    def test_overdue_counter(self):
        self._handoff()
        self._handoff(name="Later", date_deadline=self.deadline + timedelta(days=9))
        logistics = self.logistics.with_user(self.logistics_head)
        with freeze_time(self.deadline + timedelta(days=1)):
            logistics.invalidate_recordset()
            self.assertEqual(logistics.crm_handoff_overdue_count, 1)
            self.assertEqual(logistics.crm_handoff_in_count, 2)


# the suite formerly test_shared_record_access.py: the same fixture


@tagged("post_install", "-at_install")
class TestCustomerNotes(SharedRecordCase):
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
class TestHandoffs(SharedRecordCase):
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
class TestAccountTeam(SharedRecordCase):
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
class TestSharedRecordMultiCompany(SharedRecordCase):
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
