from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import RelationshipScoringCommon

T0 = datetime(2026, 3, 2, 9, 0)

RAW_EMAIL = """Return-Path: <anna@acme.example.com>
To: complaints@example.com
From: Anna Buyer <anna@acme.example.com>
Subject: Broken crates in the last delivery
Message-ID: <complaint-1@acme.example.com>
Date: Mon, 02 Mar 2026 09:00:00 +0000
Content-Type: text/plain; charset=utf-8

Three of the crates arrived broken.
"""


@tagged("post_install", "-at_install")
class TestComplaint(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Complaint = cls.env["crm.complaint"]
        # these tests pin the clock-hour arithmetic: a company without working hours
        # (working hours: test_complaint_sla.py)
        cls.env.company.resource_calendar_id = False
        cls.customer = cls.env["res.partner"].create(
            {"name": "Acme", "is_company": True}
        )
        cls.buyer = cls.env["res.partner"].create(
            {
                "name": "Anna Buyer",
                "parent_id": cls.customer.id,
                "email": "anna@acme.example.com",
            }
        )
        cls.delivery = cls.env.ref("crm_relationship.crm_complaint_category_delivery")
        cls.agent = new_test_user(
            cls.env,
            login="complaint_agent",
            groups="crm_relationship.group_relationship_user",
        )

    def _complaint(self, **values):
        return self.Complaint.create(
            {
                "name": "Late delivery",
                "partner_id": self.buyer.id,
                "user_id": self.agent.id,
                **values,
            }
        )

    def test_deadlines_from_the_policy(self):
        with freeze_time(T0):
            generic = self._complaint(severity="high")
            self.env["crm.complaint.sla.policy"].create(
                {
                    "category_id": self.delivery.id,
                    "severity": "high",
                    "response_hours": 4,
                    "resolution_hours": 24,
                }
            )
            specific = self._complaint(severity="high", category_id=self.delivery.id)
        # shipped policy for any category: high is 8 h to answer, 48 h to solve
        self.assertEqual(generic.response_deadline, T0 + timedelta(hours=8))
        self.assertEqual(generic.resolution_deadline, T0 + timedelta(hours=48))
        self.assertEqual(specific.response_deadline, T0 + timedelta(hours=4))
        self.assertEqual(specific.resolution_deadline, T0 + timedelta(hours=24))
        # a new severity moves the deadlines, still from the creation time
        generic.severity = "critical"
        self.assertEqual(generic.response_deadline, T0 + timedelta(hours=2))

    def test_breaches_recorded_by_the_cron_and_on_late_close(self):
        with freeze_time(T0):
            silent = self._complaint(severity="high")
            answered = self._complaint(severity="high")
        with freeze_time(T0 + timedelta(hours=1)):
            answered.action_respond()
        with freeze_time(T0 + timedelta(hours=9)):
            self.Complaint._cron_check_sla()
        self.assertTrue(silent.response_breached)
        self.assertTrue(silent.sla_breached)
        self.assertFalse(silent.resolution_breached)
        self.assertFalse(answered.sla_breached)
        with freeze_time(T0 + timedelta(hours=50)):
            answered.action_close()
        self.assertTrue(answered.resolution_breached)
        self.assertTrue(answered.sla_breached)
        # a breach stays recorded when the complaint is reopened
        answered.action_reopen()
        self.assertTrue(answered.sla_breached)

    def test_met_deadlines_are_no_breach(self):
        with freeze_time(T0):
            complaint = self._complaint(severity="medium")
        with freeze_time(T0 + timedelta(hours=2)):
            complaint.with_user(self.agent).message_post(
                body="We are on it.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(complaint.date_first_response, T0 + timedelta(hours=2))
        with freeze_time(T0 + timedelta(hours=30)):
            complaint.action_close()
            self.Complaint._cron_check_sla()
        self.assertFalse(complaint.sla_breached)
        self.assertEqual(complaint.date_closed, T0 + timedelta(hours=30))

    def test_resolving_in_time_answers_the_complaint(self):
        with freeze_time(T0):
            complaint = self._complaint(severity="high")
        with freeze_time(T0 + timedelta(hours=3)):
            complaint.action_close()
        with freeze_time(T0 + timedelta(hours=60)):
            self.Complaint._cron_check_sla()
        self.assertFalse(complaint.response_breached)
        self.assertFalse(complaint.sla_breached)

    def test_unresolved_complaint_breaches_its_resolution_deadline(self):
        with freeze_time(T0):
            complaint = self._complaint(severity="critical")
        with freeze_time(T0 + timedelta(hours=1)):
            complaint.action_respond()
        with freeze_time(T0 + timedelta(hours=23)):
            self.Complaint._cron_check_sla()
        self.assertFalse(complaint.sla_breached)
        with freeze_time(T0 + timedelta(hours=25)):
            self.Complaint._cron_check_sla()
        self.assertRecordValues(
            complaint,
            [
                {
                    "response_breached": False,
                    "resolution_breached": True,
                    "sla_breached": True,
                }
            ],
        )

    def test_each_deadline_breach_is_recorded_on_its_own(self):
        with freeze_time(T0):
            silent = self._complaint(severity="high")
        # the cron records the late first response ...
        with freeze_time(T0 + timedelta(hours=9)):
            self.Complaint._cron_check_sla()
        self.assertRecordValues(
            silent,
            [{"response_breached": True, "resolution_breached": False}],
        )
        # ... and later the late resolution, although the SLA is breached already
        with freeze_time(T0 + timedelta(hours=49)):
            self.Complaint._cron_check_sla()
        self.assertRecordValues(
            silent,
            [
                {
                    "response_breached": True,
                    "resolution_breached": True,
                    "sla_breached": True,
                }
            ],
        )

    def test_both_deadlines_passed_at_once(self):
        with freeze_time(T0):
            forgotten = self._complaint(severity="high")
        with freeze_time(T0 + timedelta(hours=60)):
            self.Complaint._cron_check_sla()
        self.assertRecordValues(
            forgotten,
            [
                {
                    "response_breached": True,
                    "resolution_breached": True,
                    "sla_breached": True,
                }
            ],
        )

    def test_late_answer_resolved_in_time_breaches_the_response_only(self):
        with freeze_time(T0):
            complaint = self._complaint(severity="high")
        with freeze_time(T0 + timedelta(hours=10)):
            complaint.action_respond()
        self.assertRecordValues(
            complaint,
            [{"response_breached": True, "resolution_breached": False}],
        )
        with freeze_time(T0 + timedelta(hours=20)):
            complaint.action_close()
        with freeze_time(T0 + timedelta(hours=60)):
            self.Complaint._cron_check_sla()
        self.assertRecordValues(
            complaint,
            [
                {
                    "response_breached": True,
                    "resolution_breached": False,
                    "sla_breached": True,
                }
            ],
        )

    def test_customer_is_the_commercial_entity(self):
        complaint = self._complaint()
        self.assertEqual(complaint.partner_id, self.customer)
        self.assertEqual(complaint.partner_contact_id, self.buyer)
        self.assertEqual(complaint.email_from, self.buyer.email_formatted)
        self.assertEqual(complaint._rating_get_partner(), self.buyer)
        self.assertIn(self.buyer, complaint.message_partner_ids)
        individual = self.env["res.partner"].create({"name": "Solo Buyer"})
        complaint.partner_id = individual
        self.assertEqual(complaint.partner_id, individual)
        self.assertEqual(complaint._rating_get_partner(), individual)
        company_only = self._complaint(partner_id=self.customer.id)
        self.assertFalse(company_only.partner_contact_id)

    def test_customer_note_is_not_a_response(self):
        complaint = self._complaint()
        complaint.message_post(
            body="Internal: check with the carrier",
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        self.assertFalse(complaint.date_first_response)

    def test_closing_asks_for_a_rating_and_reopening_counts(self):
        complaint = self._complaint()
        complaint.action_close()
        self.assertTrue(complaint.is_closed)
        rating = self.env["rating.rating"].search(
            [("res_model", "=", "crm.complaint"), ("res_id", "=", complaint.id)]
        )
        self.assertEqual(rating.partner_id, self.buyer)
        self.assertEqual(rating.rated_partner_id, self.agent.partner_id)
        subjects = [m.subject for m in complaint.message_ids if m.subject]
        self.assertIn("How did we handle", " ".join(subjects))
        complaint.rating_apply(5, token=rating.access_token)
        self.assertEqual(complaint.rating_last_value, 5)
        complaint.action_reopen()
        self.assertFalse(complaint.is_closed)
        self.assertFalse(complaint.date_closed)
        self.assertEqual(complaint.reopen_count, 1)

    def test_complaint_by_email(self):
        thread_id = self.env["mail.thread"].message_process("crm.complaint", RAW_EMAIL)
        complaint = self.Complaint.browse(thread_id)
        self.assertEqual(complaint.name, "Broken crates in the last delivery")
        # filed on the customer, answered to the person who wrote
        self.assertEqual(complaint.partner_id, self.customer)
        self.assertEqual(complaint.partner_contact_id, self.buyer)
        self.assertEqual(complaint.channel, "email")
        self.assertFalse(complaint.user_id)
        self.assertTrue(complaint.response_deadline)
        self.assertIn(self.buyer, complaint.message_partner_ids)
        alias = self.env.ref("crm_relationship.mail_alias_complaints")
        self.assertEqual(alias.alias_model_id.model, "crm.complaint")

    def test_complaint_by_email_from_an_unknown_sender(self):
        raw = RAW_EMAIL.replace("anna@acme.example.com", "who@nowhere.example.com")
        complaint = self.Complaint.browse(
            self.env["mail.thread"].message_process("crm.complaint", raw)
        )
        self.assertFalse(complaint.partner_id)
        self.assertFalse(complaint.partner_contact_id)
        self.assertIn("who@nowhere.example.com", complaint.email_from)

    def test_followers_hear_of_stage_changes_and_resolution(self):
        """As project.task: a colleague following the complaint is notified when
        its stage changes, and when it is resolved; the customer following it is
        not (internal subtypes: the rating request tells them)."""
        complaint = self._complaint()
        colleague = new_test_user(
            self.env,
            login="complaint_follower",
            groups="crm_relationship.group_relationship_user",
        )
        complaint.message_subscribe(partner_ids=colleague.partner_id.ids)
        stages = self.env["crm.complaint.stage"].search([], order="sequence")
        working = stages.filtered(lambda s: not s.is_closed) - complaint.stage_id
        closed = stages.filtered("is_closed")[:1]
        complaint.stage_id = working[:1]
        self.env.cr.precommit.run()  # tracking is posted at commit
        moved = complaint.message_ids[0]
        self.assertEqual(
            moved.subtype_id, self.env.ref("crm_relationship.mt_complaint_stage")
        )
        self.assertIn(colleague.partner_id, moved.notified_partner_ids)
        self.assertNotIn(self.buyer, moved.notified_partner_ids)
        complaint.stage_id = closed
        self.env.cr.precommit.run()  # tracking is posted at commit
        resolved = complaint.message_ids.filtered(
            lambda m: (
                m.subtype_id == self.env.ref("crm_relationship.mt_complaint_resolved")
            )
        )
        self.assertEqual(len(resolved), 1)
        self.assertIn(colleague.partner_id, resolved.notified_partner_ids)

    def test_complaints_queue_their_customer_for_scoring(self):
        Queue = self.env["crm.relationship.score.queue"]
        Queue.search([]).unlink()
        self._complaint()
        self.assertEqual(Queue.search([]).partner_id, self.customer)

    def test_open_complaints_in_the_360(self):
        self._complaint()
        self._complaint().action_close()
        self.assertEqual(self.customer.c360_complaint_count, 1)
        action = self.customer.with_context(c360_figure="complaints").action_open_c360()
        self.assertEqual(self.Complaint.search_count(action["domain"]), 1)

    def _assert_refused(self, message, values):
        with self.assertRaises(ValidationError) as refusal:
            self.env["crm.complaint.sla.policy"].create(values)
        self.assertIn(message, str(refusal.exception))

    def test_policies_refuse_bad_input(self):
        delivery_low = {"category_id": self.delivery.id, "severity": "low"}
        self._assert_refused(
            "needs a positive number of hours",
            {**delivery_low, "response_hours": -1, "resolution_hours": 10},
        )
        self._assert_refused(
            "cannot be resolved before it is answered",
            {**delivery_low, "response_hours": 10, "resolution_hours": 5},
        )
        # the shipped policy for low complaints of any category exists already
        self._assert_refused(
            "already an SLA policy for any category complaints of Low severity",
            {"severity": "low", "response_hours": 1, "resolution_hours": 5},
        )
        self.env["crm.complaint.sla.policy"].create(
            {**delivery_low, "response_hours": 1, "resolution_hours": 5}
        )
        self._assert_refused(
            "already an SLA policy for Delivery complaints of Low severity",
            {**delivery_low, "response_hours": 2, "resolution_hours": 6},
        )

    def test_access(self):
        complaint = self._complaint()
        # relationship users handle complaints, managers configure
        self.assertEqual(
            self.Complaint.with_user(self.agent).search([("id", "=", complaint.id)]),
            complaint,
        )
        call = self.Complaint.with_user(self.agent).create(
            {"name": "Phone call", "partner_id": self.customer.id}
        )
        with self.assertRaises(AccessError):
            self.env["crm.complaint.stage"].with_user(self.agent).create(
                {"name": "Escalated"}
            )
        with self.assertRaises(AccessError):
            complaint.with_user(self.agent).unlink()
        # another company sees nothing
        other = self.env["res.company"].create({"name": "Other Co"})
        outsider = new_test_user(
            self.env,
            login="complaint_outsider",
            groups="crm_relationship.group_relationship_manager",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        self.assertFalse(
            self.Complaint.with_user(outsider).search([("id", "=", complaint.id)])
        )
        # portal users see their own company's complaints only
        portal = new_test_user(
            self.env, login="acme_portal", groups="base.group_portal"
        )
        portal.partner_id.parent_id = self.customer
        stranger = new_test_user(
            self.env, login="other_portal", groups="base.group_portal"
        )
        self.assertEqual(self.Complaint.with_user(portal).search([]), complaint | call)
        self.assertFalse(self.Complaint.with_user(stranger).search([]))
        with self.assertRaises(AccessError):
            complaint.with_user(stranger).read(["name"])


@tagged("post_install", "-at_install")
class TestComplaintBreachScoring(RelationshipScoringCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # deadlines in clock hours, so that "late" does not depend on today's weekday
        cls.env.company.resource_calendar_id = False

    def test_a_complaint_with_two_breaches_counts_once(self):
        """The health score counts complaints with a breach, whichever deadline."""
        customer = self.env["res.partner"].create({"name": "Late", "is_company": True})
        self._invoice(customer, fields.Date.today() - timedelta(days=10), 100.0)
        now = fields.Datetime.now()
        complaints = self.env["crm.complaint"].create(
            [
                {
                    "name": name,
                    "partner_id": customer.id,
                    "severity": "high",
                    "date_received": now - timedelta(hours=hours),
                }
                for name, hours in (("Both late", 60), ("Answer late", 10))
            ]
        )
        self.env["crm.complaint"]._cron_check_sla()
        self.assertEqual(complaints.mapped("response_breached"), [True, True])
        self.assertEqual(complaints.mapped("resolution_breached"), [True, False])
        self.Score.recompute(partner_ids=customer.ids)
        self.assertEqual(self._score(customer).complaint_breach_count, 2)
