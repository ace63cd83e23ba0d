"""People without an e-mail address do their work like everyone else.

Odoo's own flows (validating a transfer, moving a lead, the chatter) never need the
acting user's e-mail address; ours must not either. Every user here has none.
"""

from odoo.tests import Form, new_test_user, tagged

from .common import HEAD, USER
from .test_shared_record import SharedRecordCase

TODO = "mail.mail_activity_data_todo"


@tagged("post_install", "-at_install")
class TestHandoffWithoutEmail(SharedRecordCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seller_bare = cls._person("ne_seller", USER, cls.sales)
        cls.planner_bare = cls._person("ne_planner", USER, cls.logistics)
        cls.head_bare = cls._person("ne_head", HEAD, cls.logistics)
        cls.logistics.manager_id = cls.head_bare.employee_id
        (cls.seller_bare | cls.planner_bare | cls.head_bare).partner_id.email = False

    def test_users_have_no_email(self):
        for user in (self.seller_bare, self.planner_bare, self.head_bare):
            self.assertFalse(user.email)

    def test_request_accept_and_complete(self):
        handoff = self._handoff(self.seller_bare)
        # the head of the receiving department got the to-do
        self.assertEqual(self._open_todos(handoff).user_id, self.head_bare)
        handoff.with_user(self.planner_bare).action_accept()
        self.assertEqual(handoff.user_id, self.planner_bare)
        handoff.with_user(self.planner_bare).write({"result": "<p>12 pallets</p>"})
        handoff.with_user(self.planner_bare).action_done()
        self.assertEqual(handoff.state, "done")
        told = handoff.message_ids.filtered(
            lambda m: self.seller_bare.partner_id in m.partner_ids
        )
        self.assertEqual(len(told), 1)
        self.assertIn("12 pallets", told.body)
        self.assertEqual(told.author_id, self.planner_bare.partner_id)
        self.assertIn(self.seller_bare.partner_id, told.notification_ids.res_partner_id)
        # the customer's timeline says so too
        self.assertIn(
            "completed the hand-off",
            " ".join(self.customer.message_ids.mapped("body")),
        )

    def test_refuse_and_reopen(self):
        handoff = self._handoff(self.seller_bare)
        handoff.with_user(self.planner_bare).action_refuse("Not our customer")
        self.assertEqual(handoff.state, "refused")
        told = handoff.message_ids.filtered(
            lambda m: self.seller_bare.partner_id in m.partner_ids
        )
        self.assertIn("Not our customer", told.body)
        self.assertEqual(told.author_id, self.planner_bare.partner_id)
        handoff.with_user(self.seller_bare).action_reopen()
        self.assertEqual(handoff.state, "requested")
        self.assertEqual(self._open_todos(handoff).user_id, self.head_bare)

    def test_refuse_through_the_wizard(self):
        handoff = self._handoff(self.seller_bare)
        action = handoff.with_user(self.planner_bare).action_open_refuse()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.planner_bare)
            .with_context(**action["context"])
        )
        wizard.reason = "Wrong warehouse"
        wizard.save().action_refuse()
        self.assertEqual(handoff.state, "refused")

    def test_head_dispatches_and_reschedules(self):
        handoff = self._handoff(self.seller_bare)
        handoff.with_user(self.head_bare).user_id = self.planner_bare
        self.assertEqual(self._open_todos(handoff).user_id, self.planner_bare)
        handoff.with_user(self.seller_bare).date_deadline = self.deadline
        handoff.with_user(self.planner_bare).action_accept()
        handoff.with_user(self.planner_bare).action_done()
        self.assertEqual(handoff.state, "done")

    def test_notes_and_account_team(self):
        note = self._note(self.planner_bare, "everyone", "Ramp on the north side")
        self.assertIn(
            "Ramp on the north side",
            " ".join(self.customer.message_ids.mapped("body")),
        )
        self.assertEqual(note.author_id, self.planner_bare)
        member = self._member(self.head_bare, user_id=self.planner_bare.id)
        self.assertEqual(member.department_id, self.logistics)

    def test_person_writes_in_the_chatter(self):
        """The chatter posts in sudo (mail/controllers/thread.py): same here."""
        handoff = self._handoff(self.seller_bare)
        message = (
            handoff.with_user(self.planner_bare)
            .sudo()
            .message_post(
                body="Checking tomorrow",
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
        )
        self.assertEqual(message.author_id, self.planner_bare.partner_id)


@tagged("post_install", "-at_install")
class TestComplaintWithoutEmail(SharedRecordCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service = cls.env["hr.department"].create({"name": "Service"})
        cls.agent_bare = cls._person("ne_agent", USER, cls.service)
        cls.agent_bare.partner_id.email = False
        cls.buyer = cls.env["res.partner"].create(
            {
                "name": "Nora Buyer",
                "parent_id": cls.customer.id,
                "email": "nora@northwind.example.com",
            }
        )
        cls.Complaint = cls.env["crm.complaint"].with_user(cls.agent_bare)

    def test_record_assign_answer_close_and_rate(self):
        self.env.company.email = "service@northwind.example.com"
        colleague = self._person("ne_agent2", USER, self.service)
        colleague.partner_id.email = False
        complaint = self.Complaint.create(
            {"name": "Dented crates", "partner_id": self.buyer.id, "severity": "high"}
        )
        self.assertEqual(complaint.user_id, self.agent_bare)
        self.assertTrue(complaint.response_deadline)
        complaint.action_respond()
        self.assertTrue(complaint.date_first_response)
        complaint.user_id = colleague
        self.assertIn(colleague.partner_id, complaint.message_partner_ids)
        complaint.user_id = self.agent_bare
        stage = self.env.ref("crm_relationship.crm_complaint_stage_progress")
        complaint.stage_id = stage
        complaint.severity = "critical"
        complaint.action_close()
        self.assertTrue(complaint.is_closed)
        # the customer is asked to rate it, from the company's address
        rating = self.env["rating.rating"].search(
            [("res_model", "=", "crm.complaint"), ("res_id", "=", complaint.id)]
        )
        self.assertEqual(rating.partner_id, self.buyer)
        request = complaint.message_ids.filtered(
            lambda m: m.subject and "How did we handle" in m.subject
        )
        self.assertEqual(len(request), 1)
        self.assertIn("service@northwind.example.com", request.email_from)
        complaint.action_reopen()
        self.assertFalse(complaint.is_closed)

    def test_reply_in_the_chatter_is_the_first_response(self):
        complaint = self.Complaint.create(
            {"name": "Wrong invoice", "partner_id": self.buyer.id}
        )
        # as the chatter posts it (in sudo, the author stays the agent)
        complaint.sudo().message_post(
            body="We are correcting it.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.assertTrue(complaint.date_first_response)


@tagged("post_install", "-at_install")
class TestLostCustomerWithoutEmail(SharedRecordCase):
    def test_mark_a_customer_lost(self):
        seller = new_test_user(
            self.env,
            login="ne_lost_seller",
            groups="sales_team.group_sale_salesman,"
            "crm_relationship.group_relationship_user",
            email=False,
        )
        reason = self.env["crm.lost.reason"].create({"name": "Moved away"})
        wizard = Form(
            self.env["res.partner.lost"]
            .with_user(seller)
            .with_context(default_partner_id=self.customer.id)
        )
        wizard.lost_reason_id = reason
        wizard.note = "<p>They opened a plant abroad.</p>"
        wizard.save().action_mark_lost()
        lead = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search([("partner_id", "=", self.customer.id), ("is_winback", "=", True)])
        )
        self.assertEqual(lead.lost_reason_id, reason)
        self.assertIn(
            "They opened a plant abroad", " ".join(lead.message_ids.mapped("body"))
        )
        self.assertIn(
            "Marked as a lost customer",
            " ".join(self.customer.message_ids.mapped("body")),
        )
