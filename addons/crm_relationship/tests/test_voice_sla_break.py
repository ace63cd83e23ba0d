"""Scenarios a fresh tester tried against issue 14 (complaint SLA on working hours,
NPS answers and schedule, access): those that failed first were fixed and are kept,
with those that held."""

from datetime import date, datetime

import pytz
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import HEAD, USER, DepartmentCase, RelationshipScoringCommon


def at(zone, text):
    """A wall-clock time in ``zone`` as Odoo stores it (naive UTC)."""
    tz = pytz.timezone(zone)
    local = tz.localize(datetime.strptime(text, "%Y-%m-%d %H:%M"))
    return local.astimezone(pytz.utc).replace(tzinfo=None)


def utc(text):
    return at("Asia/Shanghai", text)


def calendar_in(env, zone, name="Office", company=None):
    return env["resource.calendar"].create(
        {
            "name": name,
            "tz": zone,
            "company_id": (company or env.company).id,
            "attendance_ids": [
                Command.create(
                    {
                        "name": f"{day} {period}",
                        "dayofweek": str(day),
                        "hour_from": start,
                        "hour_to": stop,
                        "day_period": period,
                    }
                )
                for day in range(5)
                for period, start, stop in (("morning", 8, 12), ("afternoon", 13, 17))
            ],
        }
    )


@tagged("post_install", "-at_install")
class TestBreakSla(DepartmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.calendar = calendar_in(cls.env, "Asia/Shanghai")
        cls.company.resource_calendar_id = cls.calendar
        cls.Policy = cls.env["crm.complaint.sla.policy"]
        cls.Policy.search([("company_id", "=", cls.company.id)]).unlink()
        cls.high = cls.Policy.create(
            {"severity": "high", "response_hours": 4, "resolution_hours": 16}
        )
        cls.service = cls.env["hr.department"].create({"name": "Customer service"})
        cls.head = cls._person("b_head", HEAD, cls.service)
        cls.service.manager_id = cls.head.employee_ids
        cls.agent = cls._person("b_agent", USER, cls.service)
        cls.customer = cls.env["res.partner"].create(
            {"name": "Acme", "is_company": True}
        )
        cls.waiting = cls.env.ref("crm_relationship.crm_complaint_stage_waiting")
        cls.progress = cls.env.ref("crm_relationship.crm_complaint_stage_progress")
        cls.new = cls.env.ref("crm_relationship.crm_complaint_stage_new")

    def _complaint(self, received, **values):
        return self.env["crm.complaint"].create(
            {
                "name": "Broken crates",
                "partner_id": self.customer.id,
                "severity": "high",
                "user_id": self.agent.id,
                "department_id": self.service.id,
                "date_received": received,
                **values,
            }
        )

    def _activities(self, complaint, user=None):
        domain = [("res_model", "=", "crm.complaint"), ("res_id", "=", complaint.id)]
        if user:
            domain.append(("user_id", "=", user.id))
        return self.env["mail.activity"].search(domain)

    # ---------------- zones
    def test_auckland_calendar(self):
        self.calendar.tz = "Pacific/Auckland"
        c = self._complaint(at("Pacific/Auckland", "2026-06-12 16:00"))
        self.assertEqual(
            c.response_deadline, at("Pacific/Auckland", "2026-06-15 11:00")
        )
        self.assertEqual(
            c.resolution_deadline, at("Pacific/Auckland", "2026-06-16 16:00")
        )

    def test_auckland_received_monday_local_is_sunday_utc(self):
        # Monday 09:00 in Auckland is Sunday 21:00 UTC
        self.calendar.tz = "Pacific/Auckland"
        c = self._complaint(at("Pacific/Auckland", "2026-06-15 09:00"))
        self.assertEqual(
            c.response_deadline, at("Pacific/Auckland", "2026-06-15 14:00")
        )

    def test_los_angeles_dst_end_inside_deadline(self):
        # DST ends Sunday 1 November 2026
        self.calendar.tz = "America/Los_Angeles"
        z = "America/Los_Angeles"
        c = self._complaint(at(z, "2026-10-30 16:00"))
        self.assertEqual(c.response_deadline, at(z, "2026-11-02 11:00"))
        self.assertEqual(c.resolution_deadline, at(z, "2026-11-03 16:00"))
        with freeze_time(at(z, "2026-11-02 10:00")):
            c.action_respond()
        self.assertAlmostEqual(c.response_working_hours, 3.0)

    def test_los_angeles_dst_start_inside_deadline(self):
        # DST starts Sunday 8 March 2026
        self.calendar.tz = "America/Los_Angeles"
        z = "America/Los_Angeles"
        c = self._complaint(at(z, "2026-03-06 16:00"))
        self.assertEqual(c.response_deadline, at(z, "2026-03-09 11:00"))
        self.assertEqual(c.resolution_deadline, at(z, "2026-03-10 16:00"))

    # ---------------- holidays
    def _holiday(self, start, stop):
        return self.env["resource.calendar.leaves"].create(
            {
                "name": "Holiday",
                "calendar_id": self.calendar.id,
                "date_from": utc(start),
                "date_to": utc(stop),
            }
        )

    def test_received_during_a_holiday(self):
        self._holiday("2026-06-15 00:00", "2026-06-15 23:59")
        c = self._complaint(utc("2026-06-15 10:00"))
        self.assertEqual(c.response_deadline, utc("2026-06-16 12:00"))
        with freeze_time(utc("2026-06-16 09:00")):
            c.action_respond()
        self.assertAlmostEqual(c.response_working_hours, 1.0)

    def test_half_day_holiday(self):
        self._holiday("2026-06-15 08:00", "2026-06-15 12:00")
        c = self._complaint(utc("2026-06-12 16:00"))
        # 1 h Friday, Monday morning off, 3 h Monday afternoon
        self.assertEqual(c.response_deadline, utc("2026-06-15 16:00"))

    # ---------------- companies
    def test_policy_with_another_company_calendar_is_refused(self):
        other = self.env["res.company"].create({"name": "Other SLA Co"})
        foreign = calendar_in(self.env, "Europe/Paris", "Foreign", company=other)
        with self.assertRaises(UserError):
            self.high.resource_calendar_id = foreign
            self.high.flush_recordset()

    def test_complaint_moved_to_another_company_after_a_pause(self):
        other = self.env["res.company"].create({"name": "Other SLA Co2"})
        other.resource_calendar_id = calendar_in(
            self.env, "Asia/Shanghai", company=other
        )
        c = self._complaint(utc("2026-06-15 09:00"))
        with freeze_time(utc("2026-06-15 10:00")):
            c.stage_id = self.waiting
        with freeze_time(utc("2026-06-15 12:00")):
            c.stage_id = self.progress
        self.assertAlmostEqual(c.response_paused_hours, 2.0)
        c.write({"company_id": other.id, "user_id": False, "department_id": False})
        pol = c.sla_policy_id
        self.assertEqual(pol.company_id, other)
        # shipped high policy of the other company: 8 h + 2 paused h = 10 h
        self.assertEqual(pol.response_hours, 8)
        self.assertEqual(c.response_deadline, utc("2026-06-16 11:00"))

    def test_severity_change_after_a_pause_keeps_the_paused_time(self):
        self.Policy.create(
            {"severity": "critical", "response_hours": 2, "resolution_hours": 8}
        )
        c = self._complaint(utc("2026-06-15 09:00"))
        with freeze_time(utc("2026-06-15 10:00")):
            c.stage_id = self.waiting
        with freeze_time(utc("2026-06-15 12:00")):
            c.stage_id = self.progress
        c.severity = "critical"
        # 2 + 2 paused working hours from 09:00: 09-12, 13-14
        self.assertEqual(c.response_deadline, utc("2026-06-15 14:00"))

    def test_severity_change_while_paused(self):
        self.Policy.create(
            {"severity": "critical", "response_hours": 2, "resolution_hours": 8}
        )
        c = self._complaint(utc("2026-06-15 09:00"))
        with freeze_time(utc("2026-06-15 10:00")):
            c.stage_id = self.waiting
        with freeze_time(utc("2026-06-15 11:00")):
            c.severity = "critical"
        with freeze_time(utc("2026-06-15 14:00")):
            c.stage_id = self.progress
        # paused 10-12 + 13-14 = 3 h; 2 + 3 from 09:00 -> 15:00
        self.assertEqual(c.response_deadline, utc("2026-06-15 15:00"))
        self.assertFalse(c.response_breached)

    # ---------------- pauses
    def test_paused_twice(self):
        c = self._complaint(utc("2026-06-15 09:00"))
        for start, stop in (("10:00", "11:00"), ("13:00", "14:00")):
            with freeze_time(utc(f"2026-06-15 {start}")):
                c.stage_id = self.waiting
            with freeze_time(utc(f"2026-06-15 {stop}")):
                c.stage_id = self.progress
        self.assertAlmostEqual(c.response_paused_hours, 2.0)
        self.assertEqual(c.response_deadline, utc("2026-06-15 16:00"))

    def test_paused_to_paused_stage_keeps_the_first_start(self):
        other_wait = self.waiting.copy({"name": "Waiting for supplier"})
        c = self._complaint(utc("2026-06-15 09:00"))
        with freeze_time(utc("2026-06-15 10:00")):
            c.stage_id = self.waiting
        with freeze_time(utc("2026-06-15 11:00")):
            c.stage_id = other_wait
        with freeze_time(utc("2026-06-15 12:00")):
            c.stage_id = self.progress
        self.assertAlmostEqual(c.response_paused_hours, 2.0)

    def test_paused_closed_reopened(self):
        c = self._complaint(utc("2026-06-15 09:00"))
        with freeze_time(utc("2026-06-15 10:00")):
            c.stage_id = self.waiting
        with freeze_time(utc("2026-06-15 11:00")):
            c.action_close()
        self.assertAlmostEqual(c.resolution_paused_hours, 1.0)
        with freeze_time(utc("2026-06-16 09:00")):
            c.action_reopen()
        self.assertFalse(c.date_closed)
        self.assertFalse(c.sla_paused_since)
        self.assertFalse(c.resolution_breached)
        self.assertEqual(c.resolution_working_hours, 0.0)
        # resolution: 16 + 1 paused hours from Monday 09:00 -> Wednesday 10:00
        self.assertEqual(c.resolution_deadline, utc("2026-06-17 10:00"))
        with freeze_time(utc("2026-06-16 10:00")):
            self.env["crm.complaint"]._cron_check_sla()
        self.assertFalse(c.resolution_breached)

    def test_reopen_into_a_paused_default_stage(self):
        # a paused stage first in the pipeline: reopening pauses
        self.waiting.sequence = 0
        c = self._complaint(utc("2026-06-15 09:00"), stage_id=self.progress.id)
        with freeze_time(utc("2026-06-15 11:00")):
            c.action_close()
        with freeze_time(utc("2026-06-16 09:00")):
            c.action_reopen()
        self.assertEqual(c.stage_id, self.waiting)
        self.assertEqual(c.sla_paused_since, utc("2026-06-16 09:00"))

    def test_created_directly_in_a_paused_stage(self):
        c = self._complaint(utc("2026-06-15 09:00"), stage_id=self.waiting.id)
        with freeze_time(utc("2026-06-15 15:00")):
            self.env["crm.complaint"]._cron_check_sla()
        self.assertFalse(c.response_breached, "breached while waiting for customer")
        # the clock should be stopped from the start
        self.assertTrue(c.sla_paused_since, "created in a paused stage, clock runs")

    def test_created_directly_in_a_closed_stage(self):
        closed = self.env.ref("crm_relationship.crm_complaint_stage_resolved")
        with freeze_time(utc("2026-06-15 10:00")):
            c = self._complaint(utc("2026-06-15 09:00"), stage_id=closed.id)
        self.assertTrue(c.is_closed)
        with freeze_time(utc("2026-06-17 12:00")):
            self.env["crm.complaint"]._cron_check_sla()
        self.assertFalse(c.resolution_breached, "a resolved complaint escalated")
        self.assertTrue(c.date_closed, "created closed without a closing date")

    def test_answered_while_paused_then_resumed_working_hours(self):
        c = self._complaint(utc("2026-06-15 09:00"))
        with freeze_time(utc("2026-06-15 10:00")):
            c.stage_id = self.waiting
        with freeze_time(utc("2026-06-15 11:00")):
            c.action_respond()
        # still paused: the 1 h after the pause started is paused time
        self.assertAlmostEqual(c.response_working_hours, 1.0)

    def test_stage_closing_and_paused(self):
        both = self.env["crm.complaint.stage"].create(
            {"name": "Closed (paused)", "is_closed": True, "sla_paused": True}
        )
        c = self._complaint(utc("2026-06-15 09:00"))
        with freeze_time(utc("2026-06-15 10:00")):
            c.stage_id = self.waiting
        with freeze_time(utc("2026-06-15 11:00")):
            c.stage_id = both
        self.assertFalse(c.sla_paused_since)
        self.assertTrue(c.date_closed)
        self.assertAlmostEqual(c.resolution_working_hours, 1.0)
        d = self._complaint(utc("2026-06-15 09:00"))
        with freeze_time(utc("2026-06-15 11:00")):
            d.stage_id = both
        self.assertFalse(d.sla_paused_since)
        self.assertAlmostEqual(d.resolution_working_hours, 2.0)

    # ---------------- warning share
    def test_warning_percent_edges(self):
        for share in (0.01, 99.99, 50):
            self.high.warning_percent = share
            c = self._complaint(utc("2026-06-15 09:00"))
            self.assertLessEqual(c.response_warning_date, c.response_deadline, share)
            self.assertGreaterEqual(c.response_warning_date, c.date_received, share)
            self.assertLess(c.response_warning_date, c.response_deadline, share)

    def test_warning_received_out_of_hours_with_tiny_share(self):
        self.high.warning_percent = 0.01
        c = self._complaint(utc("2026-06-13 10:00"))  # Saturday
        self.assertGreaterEqual(c.response_warning_date, utc("2026-06-15 08:00"))

    # ---------------- no policy
    def test_complaint_without_policy(self):
        c = self._complaint(utc("2026-06-15 09:00"), severity="low")
        self.assertFalse(c.sla_policy_id)
        self.assertFalse(c.response_deadline)
        with freeze_time(utc("2026-06-20 09:00")):
            self.env["crm.complaint"]._cron_check_sla()
            c.stage_id = self.waiting
        with freeze_time(utc("2026-06-22 09:00")):
            c.stage_id = self.progress
            c.action_respond()
            c.action_close()
        self.assertFalse(c.sla_breached)
        self.assertGreater(c.resolution_working_hours, 0)

    # ---------------- cron twice
    def test_cron_twice_same_instant(self):
        c = self._complaint(utc("2026-06-15 09:00"))
        Complaint = self.env["crm.complaint"]
        with freeze_time(utc("2026-06-17 12:00")):
            Complaint._cron_check_sla()
            Complaint._cron_check_sla()
        self.assertTrue(c.response_breached and c.resolution_breached)
        # warnings (2, agent + head each) then escalations (2, head): once each
        self.assertEqual(len(self._activities(c, self.agent)), 2)
        self.assertEqual(len(self._activities(c, self.head)), 4)
        logs = c.message_ids.filtered(lambda m: "is late" in str(m.body))
        self.assertEqual(len(logs), 2)

    def test_warned_then_deadline_moved_by_severity(self):
        self.Policy.create(
            {"severity": "low", "response_hours": 40, "resolution_hours": 80}
        )
        c = self._complaint(utc("2026-06-15 09:00"))
        with freeze_time(utc("2026-06-15 13:15")):
            self.env["crm.complaint"]._cron_check_sla()
        self.assertTrue(c.response_warned)
        c.severity = "low"
        # the new deadline is a week away: its warning should come again
        self.assertFalse(c.response_warned, "new deadline, no new warning")

    # ---------------- tier
    def test_tier_change_after_reception(self):
        self.Policy.create(
            {
                "severity": "high",
                "customer_tier": "A",
                "response_hours": 1,
                "resolution_hours": 8,
            }
        )
        self.Policy.create(
            {"severity": "critical", "response_hours": 2, "resolution_hours": 8}
        )
        score = (
            self.env["crm.relationship.score"]
            .sudo()
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "tier": "C",
                }
            )
        )
        c = self._complaint(utc("2026-06-15 09:00"))
        self.assertEqual(c.customer_tier, "C")
        score.tier = "A"
        self.env.flush_all()
        c.invalidate_recordset()
        self.assertEqual(c.customer_tier, "C")
        self.assertEqual(c.response_deadline, utc("2026-06-15 14:00"))
        # an unrelated edit re-reads today's tier
        c.name = "Broken crates (2)"
        c.category_id = self.env.ref("crm_relationship.crm_complaint_category_delivery")
        self.assertEqual(c.customer_tier, "C", "tier at reception rewritten")

    # ---------------- users without e-mail
    def test_responsible_without_email_answers_late(self):
        self.agent.partner_id.email = False
        c = self._complaint(utc("2026-06-15 09:00"))
        with freeze_time(utc("2026-06-17 12:00")):
            c.with_user(self.agent).action_respond()
        self.assertTrue(c.response_breached)
        self.assertTrue(c.resolution_breached)
        self.assertTrue(self._activities(c, self.head))
        # and the head is told, though the person acting has no address
        self.assertIn(
            self.head.partner_id,
            self.env["mail.message"]
            .search([("message_type", "=", "user_notification")])
            .partner_ids,
        )

    def test_responsible_without_email_answers_late_only_response(self):
        self.agent.partner_id.email = False
        c = self._complaint(utc("2026-06-15 09:00"))
        with freeze_time(utc("2026-06-15 16:00")):
            c.with_user(self.agent).action_respond()
        self.assertTrue(c.response_breached)

    def test_responsible_without_email_resumes_after_deadline(self):
        # leaving a paused stage can record nothing; then the responsible answers
        self.agent.partner_id.email = False
        c = self._complaint(utc("2026-06-15 09:00"))
        with freeze_time(utc("2026-06-17 12:00")):
            c.with_user(self.agent).stage_id = self.waiting
            c.with_user(self.agent).write(
                {"date_first_response": utc("2026-06-17 12:00")}
            )
        self.assertTrue(c.response_breached)
        self.assertTrue(self._activities(c, self.head))

    def test_responsible_without_email_closes_late(self):
        self.agent.partner_id.email = False
        c = self._complaint(utc("2026-06-15 09:00"))
        with freeze_time(utc("2026-06-17 12:00")):
            c.with_user(self.agent).action_close()
        self.assertTrue(c.resolution_breached)

    def test_head_and_responsible_without_email_cron(self):
        self.agent.partner_id.email = False
        self.head.partner_id.email = False
        c = self._complaint(utc("2026-06-15 09:00"))
        with freeze_time(utc("2026-06-17 12:00")):
            self.env["crm.complaint"].with_user(
                self.env.ref("base.user_root")
            )._cron_check_sla()
        self.assertTrue(c.resolution_breached)
        self.assertTrue(self._activities(c, self.head))

    def test_user_without_email_assigns_responsible(self):
        self.agent.partner_id.email = False
        other = self._person("b_other", USER, self.service)
        c = self._complaint(utc("2026-06-15 09:00"))
        c.with_user(self.agent).user_id = other
        self.assertEqual(c.user_id, other)


@tagged("post_install", "-at_install")
class TestBreakNps(RelationshipScoringCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.survey = cls.env.ref("crm_relationship.survey_relationship_nps")
        cls.q_nps = cls.env.ref("crm_relationship.survey_question_nps")
        cls.q_reason = cls.env.ref("crm_relationship.survey_question_nps_reason")
        cls.customers = cls.env["res.partner"].create(
            [{"name": f"BCustomer {i}", "is_company": True} for i in range(3)]
        )
        for customer in cls.customers:
            cls._invoice(customer, "2026-05-01", 100)

    def _start(self, partner, company=None, **kw):
        survey = self.survey.sudo()
        if company:
            survey = survey.with_company(company)
        return survey._create_answer(partner=partner, check_attempts=False, **kw)

    def _answer(self, partner, score, when="2026-06-10 10:00", company=None, **kw):
        with freeze_time(when):
            answer = self._start(partner, company, **kw)
            answer._save_lines(self.q_nps, str(score))
            answer._mark_done()
        return answer

    def _recompute(self, date_ref=date(2026, 6, 30)):
        self.Score.recompute(company_ids=self.company.ids, date_ref=date_ref)

    def test_anonymous_answer(self):
        self._recompute()
        with freeze_time("2026-06-10 10:00"):
            answer = self.survey.sudo()._create_answer(
                user=self.env.ref("base.public_user"), check_attempts=False
            )
            answer._save_lines(self.q_nps, "2")
            answer._mark_done()
        self.assertFalse(answer.crm_partner_id)
        self._recompute()

    def test_two_answers_same_second_separate(self):
        self._recompute()
        first = self._answer(self.customers[0], 2)
        second = self._answer(self.customers[0], 10)
        self.assertEqual(self._score(self.customers[0]).nps_score, 10)
        self.assertTrue(first.crm_nps_next_date)
        self.assertFalse(second.crm_nps_next_date)
        self._recompute()
        self.assertEqual(self._score(self.customers[0]).nps_score, 10)

    def test_two_answers_same_second_one_batch(self):
        self._recompute()
        with freeze_time("2026-06-10 10:00"):
            a = self._start(self.customers[0])
            b = self._start(self.customers[0])
            a._save_lines(self.q_nps, "2")
            b._save_lines(self.q_nps, "10")
            (a | b)._mark_done()
        self.assertEqual(self._score(self.customers[0]).nps_score, 10)
        self.assertEqual(
            len((a | b).filtered(lambda x: not x.crm_nps_next_date)),
            1,
            "both answers stay 'latest'",
        )

    def test_done_answer_edited(self):
        self._recompute()
        answer = self._answer(self.customers[0], 2)
        self.assertEqual(self._score(self.customers[0]).nps_category, "detractor")
        answer._save_lines(self.q_nps, "10")
        self.assertEqual(answer.crm_nps_category, "promoter")
        self.assertEqual(
            self._score(self.customers[0]).nps_category,
            "promoter",
            "score row stale after the answer was edited",
        )

    def test_done_answer_reopened(self):
        self._recompute()
        old = self._answer(self.customers[0], 9, when="2026-06-01 10:00")
        new = self._answer(self.customers[0], 2)
        new.state = "in_progress"
        self.assertFalse(new.crm_nps_category)
        self.assertEqual(
            self._score(self.customers[0]).nps_score,
            9,
            "score row still shows the reopened answer",
        )
        self.assertFalse(old.crm_nps_next_date, "old answer stays superseded")

    def test_survey_with_two_nps_questions(self):
        """Was broken: a second NPS question was accepted and the last line won."""
        survey = self.survey.copy()
        question = survey.question_ids.filtered(lambda q: q.crm_measure == "nps")
        with self.assertRaisesRegex(ValidationError, "one question"):
            question.copy({"survey_id": survey.id, "title": "Again?"})

    def test_test_entry_does_not_count(self):
        self._recompute()
        self._answer(self.customers[0], 9, when="2026-06-01 10:00")
        self._answer(self.customers[0], 0, test_entry=True)
        self.assertEqual(self._score(self.customers[0]).nps_score, 9)
        self._recompute()
        self.assertEqual(
            self._score(self.customers[0]).nps_score,
            9,
            "test entry counted by the recompute",
        )

    def test_two_companies_same_customer(self):
        other = self.env["res.company"].create({"name": "Other NPS"})
        self._recompute()
        self.Score.sudo().create(
            {"partner_id": self.customers[0].id, "company_id": other.id, "tier": "F"}
        )
        self._answer(self.customers[0], 9, when="2026-06-01 10:00")
        third = self._answer(self.customers[0], 1, company=other)
        self.assertEqual(third.crm_company_id, other)
        self.assertEqual(self._score(self.customers[0]).nps_score, 9)
        self.assertEqual(self._score(self.customers[0], other).nps_score, 1)
        self.Score.recompute(
            company_ids=(self.company | other).ids, date_ref=date(2026, 6, 30)
        )
        self.assertEqual(self._score(self.customers[0]).nps_score, 9)
        # the other company's hand-made row has no activity: recompute drops it

    def _backtest(self, zone, when, day_before, day_of, expect_date):
        self.company.partner_id.tz = zone
        self._answer(self.customers[2], 4, when="2026-05-20 10:00")
        self._answer(self.customers[2], 10, when=when)
        self._recompute(day_before)
        self.assertEqual(self._score(self.customers[2]).nps_score, 4)
        self._recompute(day_of)
        s = self._score(self.customers[2])
        self.assertEqual((s.nps_score, s.nps_date), (10, expect_date))

    def test_backtest_auckland_midnight(self):
        # 13:00 UTC on 10 June is 01:00 on 11 June in Auckland
        self._backtest(
            "Pacific/Auckland",
            "2026-06-10 13:00",
            date(2026, 6, 10),
            date(2026, 6, 11),
            date(2026, 6, 11),
        )

    def test_backtest_los_angeles_midnight(self):
        # 03:00 UTC on 11 June is 20:00 on 10 June in Los Angeles
        self._backtest(
            "America/Los_Angeles",
            "2026-06-11 03:00",
            date(2026, 6, 9),
            date(2026, 6, 10),
            date(2026, 6, 10),
        )

    def test_answer_immediate_row_date_in_company_zone(self):
        self.company.partner_id.tz = "Pacific/Auckland"
        self._recompute()
        self._answer(self.customers[1], 8, when="2026-06-10 13:00")
        self.assertEqual(self._score(self.customers[1]).nps_date, date(2026, 6, 11))


@tagged("post_install", "-at_install")
class TestBreakNpsSchedule(RelationshipScoringCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.profile = cls.env["crm.relationship.scoring.profile"]._get_for_company(
            cls.company
        )
        cls.profile.write(
            {
                "nps_interval_days": 1,
                "nps_tiers": "ABCDEF",
                "nps_sample_percent": 100,
                "nps_quiet_days": 0,
            }
        )
        cls.Score = cls.env["crm.relationship.score"].sudo()
        cls.customers = cls.env["res.partner"].create(
            [
                {"name": f"S{i}", "is_company": True, "email": f"s{i}@x.example"}
                for i in range(3)
            ]
        )

    def _sent(self, company=None):
        return self.env["survey.user_input"].search(
            [
                ("crm_partner_id", "in", self.customers.ids),
                ("crm_company_id", "=", (company or self.company).id),
            ]
        )

    def _tiers(self, tiers, company=None):
        for c, t in zip(self.customers, tiers, strict=False):
            self.Score.create(
                {
                    "partner_id": c.id,
                    "company_id": (company or self.company).id,
                    "tier": t,
                }
            )

    def test_quiet_zero(self):
        self._tiers("AAA")
        with freeze_time("2026-06-01 08:00"):
            self.assertEqual(self.profile._send_nps_surveys()["sent"], 3)
            self.assertEqual(self.profile._send_nps_surveys()["sent"], 0)
        with freeze_time("2026-06-02 08:00"):
            self.assertEqual(self.profile._send_nps_surveys()["sent"], 3)

    def test_cron_quiet_zero(self):
        self._tiers("AAA")
        with freeze_time("2026-06-01 08:00"):
            self.env["crm.relationship.scoring.profile"]._cron_send_nps()
        self.assertEqual(len(self._sent()), 3)

    def test_lower_case_tiers(self):
        self._tiers("ABC")
        try:
            with self.env.cr.savepoint():
                self.profile.nps_tiers = "ab"
                self.profile.flush_recordset()
        except ValidationError:
            return  # refused: fine
        with freeze_time("2026-06-01 08:00"):
            self.assertEqual(self.profile._send_nps_surveys()["sent"], 2)

    def test_sample_100_and_1(self):
        many = self.env["res.partner"].create(
            [
                {"name": f"M{i}", "is_company": True, "email": f"m{i}@x.example"}
                for i in range(300)
            ]
        )
        self.assertEqual(len(self.profile._nps_sample(many.ids, date(2026, 6, 1))), 300)
        self.profile.nps_sample_percent = 1
        picked = self.profile._nps_sample(many.ids, date(2026, 6, 1))
        self.assertLessEqual(len(picked), 12)

    def test_without_email(self):
        self.customers[1].email = False
        self._tiers("AAA")
        with freeze_time("2026-06-01 08:00"):
            r = self.profile._send_nps_surveys()
        self.assertEqual(r, {"sent": 2, "without_email": 1})

    def test_without_email_flushed(self):
        self.customers[1].email = False
        self._tiers("AAA")
        self.env.flush_all()
        with freeze_time("2026-06-01 08:00"):
            r = self.profile._send_nps_surveys()
        self.assertEqual(r, {"sent": 2, "without_email": 1})

    def test_tier_written_not_flushed(self):
        self._tiers("AAA")
        self.profile.nps_tiers = "A"
        self._score_rows = self.Score.search([("partner_id", "in", self.customers.ids)])
        self._score_rows[0].tier = "F"
        with freeze_time("2026-06-01 08:00"):
            r = self.profile._send_nps_surveys()
        self.assertEqual(r["sent"], 2, "customer moved to tier F still asked")

    def test_contact_email_only(self):
        # the company has no address but its contact has
        self.customers[1].email = False
        self.env["res.partner"].create(
            {
                "name": "Buyer",
                "parent_id": self.customers[1].id,
                "email": "buyer@x.example",
            }
        )
        self._tiers("AAA")
        with freeze_time("2026-06-01 08:00"):
            r = self.profile._send_nps_surveys()
        self.assertEqual(r["sent"], 3, "customer with a reachable contact skipped")

    def test_tier_a_here_f_there(self):
        other = self.env["res.company"].create({"name": "Other sched"})
        other_profile = self.env["crm.relationship.scoring.profile"]._get_for_company(
            other
        )
        other_profile.write(
            {"nps_interval_days": 1, "nps_tiers": "A", "nps_quiet_days": 0}
        )
        self.profile.nps_tiers = "A"
        self._tiers("AAA")
        self._tiers("FFF", other)
        with freeze_time("2026-06-01 08:00"):
            self.assertEqual(self.profile._send_nps_surveys()["sent"], 3)
            self.assertEqual(other_profile._send_nps_surveys()["sent"], 0)

    def test_test_entry_blocks_quiet_period(self):
        self.profile.nps_quiet_days = 60
        self._tiers("AAA")
        with freeze_time("2026-06-01 08:00"):
            self.profile.nps_survey_id.sudo()._create_answer(
                partner=self.customers[0], check_attempts=False, test_entry=True
            )
            self.assertEqual(
                self.profile._send_nps_surveys()["sent"],
                3,
                "a test entry counted as asking the customer",
            )


@tagged("post_install", "-at_install")
class TestBreakAccess(RelationshipScoringCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.survey = cls.env.ref("crm_relationship.survey_relationship_nps")
        cls.q_nps = cls.env.ref("crm_relationship.survey_question_nps")
        cls.customer = cls.env["res.partner"].create(
            {"name": "Portal Co", "is_company": True}
        )
        cls._invoice(cls.customer, "2026-05-01", 100)
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Portal Person",
                "parent_id": cls.customer.id,
                "email": "pp@x.example",
            }
        )
        cls.portal = new_test_user(
            cls.env,
            login="b_portal",
            groups="base.group_portal",
            partner_id=cls.contact.id,
        )
        cls.rel_user = new_test_user(cls.env, login="b_rel", groups=USER)
        cls.Score.recompute(company_ids=cls.company.ids, date_ref=date(2026, 6, 30))

    def test_portal_user_answers_detractor(self):
        self.env["crm.account.team.member"].create(
            {
                "partner_id": self.customer.id,
                "user_id": self.rel_user.id,
                "department_id": self.env["hr.department"].create({"name": "D"}).id,
                "is_primary": True,
            }
        )
        with freeze_time("2026-06-10 10:00"):
            answer = self.survey.sudo()._create_answer(
                partner=self.contact, check_attempts=False
            )
            a = answer.with_user(self.portal).sudo()
            a._save_lines(self.q_nps, "3")
            a._mark_done()
        self.assertEqual(self._score(self.customer).nps_score, 3)

    def test_public_user_token_answer_detractor_with_salesperson(self):
        self.customer.user_id = self.rel_user
        with freeze_time("2026-06-10 10:00"):
            answer = self.survey.sudo()._create_answer(
                partner=self.contact, check_attempts=False
            )
            a = answer.with_user(self.env.ref("base.public_user")).sudo()
            a._save_lines(self.q_nps, "3")
            a._mark_done()
        self.assertEqual(self._score(self.customer).nps_score, 3)

    def test_portal_user_not_sudo_read(self):
        with freeze_time("2026-06-10 10:00"):
            answer = self.survey.sudo()._create_answer(
                partner=self.contact, check_attempts=False
            )
            answer._save_lines(self.q_nps, "9")
            answer._mark_done()
        with self.assertRaises(AccessError):
            self.Score.with_user(self.portal).search([]).mapped("nps_score")
            self._score(self.customer).with_user(self.portal).read(["nps_score"])

    def test_relationship_user_opens_customer_with_nps(self):
        with freeze_time("2026-06-10 10:00"):
            answer = self.survey.sudo()._create_answer(
                partner=self.contact, check_attempts=False
            )
            answer._save_lines(self.q_nps, "9")
            answer._mark_done()
        self.assertFalse(self.rel_user.has_group("survey.group_survey_user"))
        partner = self.customer.with_user(self.rel_user)
        with Form(partner) as form:
            self.assertEqual(form.relationship_nps_score, 9)
        partner.invalidate_recordset()
        # smart buttons / actions of the form
        views = partner.get_views([(False, "form")])
        self.assertTrue(views)

    def test_head_of_other_company(self):
        other = self.env["res.company"].create({"name": "Other Head Co"})
        dept = self.env["hr.department"].create({"name": "OD", "company_id": other.id})
        head = new_test_user(
            self.env,
            login="b_ohead",
            groups=HEAD,
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        self.env["hr.employee"].create(
            {
                "name": "oh",
                "user_id": head.id,
                "department_id": dept.id,
                "company_id": other.id,
            }
        )
        dept.manager_id = head.employee_ids
        complaint = self.env["crm.complaint"].create(
            {"name": "X", "partner_id": self.customer.id}
        )
        Complaint = self.env["crm.complaint"].with_user(head)
        self.assertFalse(Complaint.search([("id", "=", complaint.id)]))
        with self.assertRaises(AccessError):
            complaint.with_user(head).read(["name"])
        self.assertFalse(
            self.Score.with_user(head).search(
                [
                    ("partner_id", "=", self.customer.id),
                    ("company_id", "=", self.company.id),
                ]
            )
        )
