"""Service levels on working hours: the company's calendar, public holidays, paused
stages, policies by customer tier, warnings before a breach and escalation after.

Worked values (issue 14): a calendar Monday-Friday 08:00-12:00 / 13:00-17:00 in
Shanghai (UTC+8, far from UTC); a complaint received on Friday 12 June 2026 at 16:00
with a 4-working-hour first response is due on Monday at 11:00 (one hour on Friday,
three on Monday morning), and on Tuesday at 11:00 when Monday is a public holiday.
"""

from datetime import datetime

import pytz
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import HEAD, USER, DepartmentCase

ZONE = pytz.timezone("Asia/Shanghai")


def utc(text):
    """A Shanghai wall-clock time as Odoo stores it (naive UTC)."""
    local = ZONE.localize(datetime.strptime(text, "%Y-%m-%d %H:%M"))
    return local.astimezone(pytz.utc).replace(tzinfo=None)


def office_calendar(env, name="Office hours", company=None):
    """Monday-Friday 08:00-12:00 and 13:00-17:00 in Shanghai."""
    return env["resource.calendar"].create(
        {
            "name": name,
            "tz": "Asia/Shanghai",
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
                for period, start, stop in (
                    ("morning", 8, 12),
                    ("afternoon", 13, 17),
                )
            ],
        }
    )


@tagged("post_install", "-at_install")
class TestComplaintSla(DepartmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.calendar = office_calendar(cls.env)
        cls.company.resource_calendar_id = cls.calendar
        cls.Policy = cls.env["crm.complaint.sla.policy"]
        cls.Policy.search([("company_id", "=", cls.company.id)]).unlink()
        cls.high = cls.Policy.create(
            {"severity": "high", "response_hours": 4, "resolution_hours": 16}
        )
        cls.service = cls.env["hr.department"].create({"name": "Customer service"})
        cls.head = cls._person("sla_head", HEAD, cls.service)
        cls.service.manager_id = cls.head.employee_ids
        cls.agent = cls._person("sla_agent", USER, cls.service)
        cls.customer = cls.env["res.partner"].create(
            {"name": "Acme", "is_company": True}
        )
        cls.waiting = cls.env.ref("crm_relationship.crm_complaint_stage_waiting")
        cls.progress = cls.env.ref("crm_relationship.crm_complaint_stage_progress")

    def _complaint(self, received, customer=None, **values):
        return self.env["crm.complaint"].create(
            {
                "name": "Broken crates",
                "partner_id": (customer or self.customer).id,
                "severity": "high",
                "user_id": self.agent.id,
                "department_id": self.service.id,
                "date_received": utc(received),
                **values,
            }
        )

    def _tier(self, customer, tier):
        # sudo: score rows are written by the recompute only; the test sets the tier
        self.env["crm.relationship.score"].sudo().create(
            {"partner_id": customer.id, "company_id": self.company.id, "tier": tier}
        )

    # ------------------------------------------------------------
    # WORKING HOURS
    # ------------------------------------------------------------
    def test_friday_afternoon_is_due_on_monday_morning(self):
        complaint = self._complaint("2026-06-12 16:00")
        self.assertEqual(complaint.response_deadline, utc("2026-06-15 11:00"))
        # 16 working hours: 1 on Friday, 8 on Monday, 7 on Tuesday
        self.assertEqual(complaint.resolution_deadline, utc("2026-06-16 16:00"))

    def test_public_holiday_is_skipped(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Dragon Boat Festival",
                "calendar_id": self.calendar.id,
                "date_from": utc("2026-06-15 00:00"),
                "date_to": utc("2026-06-15 23:59"),
            }
        )
        complaint = self._complaint("2026-06-12 16:00")
        self.assertEqual(complaint.response_deadline, utc("2026-06-16 11:00"))

    def test_a_leave_of_one_person_is_no_holiday(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Agent's day off",
                "calendar_id": self.calendar.id,
                "resource_id": self.agent.employee_ids.resource_id.id,
                "date_from": utc("2026-06-15 00:00"),
                "date_to": utc("2026-06-15 23:59"),
            }
        )
        complaint = self._complaint("2026-06-12 16:00")
        self.assertEqual(complaint.response_deadline, utc("2026-06-15 11:00"))

    def test_received_at_night_starts_next_morning(self):
        complaint = self._complaint("2026-06-15 22:30")
        self.assertEqual(complaint.response_deadline, utc("2026-06-16 12:00"))

    def test_the_policy_calendar_wins_over_the_company_calendar(self):
        late_shift = office_calendar(self.env, "Late shift")
        late_shift.attendance_ids.filtered(lambda a: a.hour_from == 8).hour_from = 10
        self.high.resource_calendar_id = late_shift
        complaint = self._complaint("2026-06-12 16:00")
        # Monday's morning starts at 10:00: 1 h Friday, then 10:00-12:00, 13:00-14:00
        self.assertEqual(complaint.response_deadline, utc("2026-06-15 14:00"))

    def test_without_any_calendar_hours_are_calendar_hours(self):
        self.company.resource_calendar_id = False
        complaint = self._complaint("2026-06-12 16:00")
        self.assertEqual(complaint.response_deadline, utc("2026-06-12 20:00"))

    def test_working_hours_to_first_response_and_resolution(self):
        complaint = self._complaint("2026-06-12 16:00")
        with freeze_time(utc("2026-06-15 10:30")):
            complaint.action_respond()
        with freeze_time(utc("2026-06-16 09:00")):
            complaint.action_close()
        self.assertAlmostEqual(complaint.response_working_hours, 3.5)
        self.assertAlmostEqual(complaint.resolution_working_hours, 10.0)
        self.assertFalse(complaint.response_breached)

    # ------------------------------------------------------------
    # PAUSED STAGES
    # ------------------------------------------------------------
    def test_two_paused_hours_move_the_deadlines_by_two_working_hours(self):
        self.assertTrue(self.waiting.sla_paused)
        complaint = self._complaint("2026-06-15 09:00")
        self.assertEqual(complaint.response_deadline, utc("2026-06-15 14:00"))
        self.assertEqual(complaint.resolution_deadline, utc("2026-06-17 09:00"))
        with freeze_time(utc("2026-06-15 10:00")):
            complaint.stage_id = self.waiting
        with freeze_time(utc("2026-06-15 12:00")):
            complaint.stage_id = self.progress
        self.assertEqual(complaint.response_deadline, utc("2026-06-15 16:00"))
        self.assertEqual(complaint.resolution_deadline, utc("2026-06-17 11:00"))

    def test_a_pause_over_lunch_counts_only_working_hours(self):
        complaint = self._complaint("2026-06-15 09:00")
        with freeze_time(utc("2026-06-15 11:00")):
            complaint.stage_id = self.waiting
        with freeze_time(utc("2026-06-15 14:00")):
            complaint.stage_id = self.progress
        # 11:00-12:00 and 13:00-14:00: two working hours, not three
        self.assertEqual(complaint.response_deadline, utc("2026-06-15 16:00"))

    def test_a_paused_complaint_is_not_breached(self):
        complaint = self._complaint("2026-06-15 09:00")
        with freeze_time(utc("2026-06-15 10:00")):
            complaint.stage_id = self.waiting
        with freeze_time(utc("2026-06-15 15:00")):
            self.env["crm.complaint"]._cron_check_sla()
        self.assertFalse(complaint.response_breached)
        # answered while paused, 1 working hour after the clock stopped: in time
        with freeze_time(utc("2026-06-15 16:00")):
            complaint.action_respond()
        self.assertFalse(complaint.response_breached)
        with freeze_time(utc("2026-06-15 16:30")):
            complaint.stage_id = self.progress
        # the response stopped its clock at 16:00: 10:00-16:00 is 5 paused hours,
        # so 4 + 5 working hours from Monday 09:00 end on Tuesday at 10:00
        self.assertEqual(complaint.response_deadline, utc("2026-06-16 10:00"))
        self.assertAlmostEqual(complaint.response_working_hours, 1.0)

    def test_the_answer_stops_the_response_clock_not_the_resolution_clock(self):
        complaint = self._complaint("2026-06-15 09:00")
        with freeze_time(utc("2026-06-15 09:30")):
            complaint.action_respond()
        with freeze_time(utc("2026-06-15 10:00")):
            complaint.stage_id = self.waiting
        with freeze_time(utc("2026-06-15 12:00")):
            complaint.stage_id = self.progress
        self.assertEqual(complaint.response_deadline, utc("2026-06-15 14:00"))
        self.assertEqual(complaint.resolution_deadline, utc("2026-06-17 11:00"))

    def test_closing_a_paused_complaint_ends_the_pause(self):
        complaint = self._complaint("2026-06-15 09:00")
        with freeze_time(utc("2026-06-15 10:00")):
            complaint.stage_id = self.waiting
        with freeze_time(utc("2026-06-15 11:00")):
            complaint.action_close()
        self.assertFalse(complaint.sla_paused_since)
        self.assertFalse(complaint.resolution_breached)
        self.assertAlmostEqual(complaint.resolution_working_hours, 1.0)

    # ------------------------------------------------------------
    # POLICIES BY CUSTOMER TIER
    # ------------------------------------------------------------
    def test_an_a_customer_gets_the_a_policy(self):
        self.Policy.create(
            {
                "severity": "high",
                "customer_tier": "A",
                "response_hours": 1,
                "resolution_hours": 8,
            }
        )
        best = self.env["res.partner"].create({"name": "Best", "is_company": True})
        usual = self.env["res.partner"].create({"name": "Usual", "is_company": True})
        self._tier(best, "A")
        self._tier(usual, "C")
        fast = self._complaint("2026-06-15 09:00", customer=best)
        slow = self._complaint("2026-06-15 09:00", customer=usual)
        self.assertEqual(fast.customer_tier, "A")
        self.assertEqual(fast.response_deadline, utc("2026-06-15 10:00"))
        self.assertEqual(slow.response_deadline, utc("2026-06-15 14:00"))
        self.assertEqual(slow.sla_policy_id, self.high)

    def test_the_most_specific_policy_wins(self):
        delivery = self.env.ref("crm_relationship.crm_complaint_category_delivery")
        tier_only = self.Policy.create(
            {
                "severity": "high",
                "customer_tier": "A",
                "response_hours": 2,
                "resolution_hours": 8,
            }
        )
        category = self.Policy.create(
            {
                "severity": "high",
                "category_id": delivery.id,
                "response_hours": 3,
                "resolution_hours": 8,
            }
        )
        both = self.Policy.create(
            {
                "severity": "high",
                "category_id": delivery.id,
                "customer_tier": "A",
                "response_hours": 1,
                "resolution_hours": 8,
            }
        )
        best = self.env["res.partner"].create({"name": "Best", "is_company": True})
        self._tier(best, "A")
        cases = [
            (best, delivery, both),
            (best, self.env["crm.complaint.category"], tier_only),
            (self.customer, delivery, category),
            (self.customer, self.env["crm.complaint.category"], self.high),
        ]
        for customer, cat, policy in cases:
            complaint = self._complaint(
                "2026-06-15 09:00", customer=customer, category_id=cat.id
            )
            self.assertEqual(complaint.sla_policy_id, policy, (customer.name, cat))

    def test_one_policy_per_category_severity_and_tier(self):
        self.Policy.create(
            {
                "severity": "high",
                "customer_tier": "A",
                "response_hours": 1,
                "resolution_hours": 8,
            }
        )
        with self.assertRefused(ValidationError, "tier A"):
            self.Policy.create(
                {
                    "severity": "high",
                    "customer_tier": "A",
                    "response_hours": 2,
                    "resolution_hours": 8,
                }
            )

    def test_warning_share_must_be_a_share(self):
        for share in (0, 100, 120):
            with self.assertRefused(ValidationError, "warning"):
                self.high.warning_percent = share

    # ------------------------------------------------------------
    # WARNINGS AND ESCALATION
    # ------------------------------------------------------------
    def _activities(self, complaint, user):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crm.complaint"),
                ("res_id", "=", complaint.id),
                ("user_id", "=", user.id),
            ]
        )

    def test_the_warning_comes_once_before_the_breach(self):
        complaint = self._complaint("2026-06-15 09:00")
        # 80 % of 4 working hours: 3.2 h, 09:00-12:00 then 13:00-13:12
        self.assertEqual(complaint.response_warning_date, utc("2026-06-15 13:12"))
        Complaint = self.env["crm.complaint"]
        with freeze_time(utc("2026-06-15 13:10")):
            Complaint._cron_check_sla()
        self.assertFalse(self._activities(complaint, self.agent))
        with freeze_time(utc("2026-06-15 13:15")):
            Complaint._cron_check_sla()
        with freeze_time(utc("2026-06-15 13:30")):
            Complaint._cron_check_sla()
        self.assertTrue(complaint.response_warned)
        self.assertFalse(complaint.resolution_warned)
        self.assertEqual(len(self._activities(complaint, self.agent)), 1)
        self.assertEqual(len(self._activities(complaint, self.head)), 1)
        self.assertFalse(complaint.response_breached)
        # the breach: escalation to the head and a message on the complaint
        with freeze_time(utc("2026-06-15 14:05")):
            Complaint._cron_check_sla()
        self.assertTrue(complaint.response_breached)
        self.assertEqual(len(self._activities(complaint, self.head)), 2)
        self.assertEqual(len(self._activities(complaint, self.agent)), 1)
        escalations = complaint.message_ids.filtered(
            lambda m: "first response" in str(m.body).lower()
        )
        self.assertEqual(len(escalations), 1, "the escalation is logged once")
        with freeze_time(utc("2026-06-15 14:30")):
            Complaint._cron_check_sla()
        self.assertEqual(len(self._activities(complaint, self.head)), 2)
        self.assertEqual(
            len(
                complaint.message_ids.filtered(
                    lambda m: "first response" in str(m.body).lower()
                )
            ),
            1,
        )

    def test_an_answered_complaint_gets_no_response_warning(self):
        complaint = self._complaint("2026-06-15 09:00")
        with freeze_time(utc("2026-06-15 10:00")):
            complaint.action_respond()
        with freeze_time(utc("2026-06-15 13:30")):
            self.env["crm.complaint"]._cron_check_sla()
        self.assertFalse(complaint.response_warned)
        self.assertFalse(self._activities(complaint, self.agent))

    def test_warning_without_a_department_head_goes_to_the_responsible(self):
        self.service.manager_id = False
        complaint = self._complaint("2026-06-15 09:00")
        with freeze_time(utc("2026-06-15 13:15")):
            self.env["crm.complaint"]._cron_check_sla()
        self.assertEqual(len(self._activities(complaint, self.agent)), 1)
        self.assertTrue(complaint.response_warned)

    # ------------------------------------------------------------
    # SLA REPORT
    # ------------------------------------------------------------
    def test_sla_report_share_met_and_working_hours(self):
        met = self._complaint("2026-06-15 09:00")
        late = self._complaint("2026-06-15 09:00")
        with freeze_time(utc("2026-06-15 11:00")):
            met.action_respond()
        with freeze_time(utc("2026-06-15 16:00")):
            late.action_respond()
        self.env.flush_all()
        Report = self.env["crm.complaint.sla.report"]
        rows = Report._read_group(
            [("complaint_id", "in", (met | late).ids), ("kind", "=", "response")],
            ["sla_policy_id"],
            ["met_percent:avg", "working_hours:avg", "__count"],
        )
        self.assertEqual(rows, [(self.high, 50.0, 4.0, 2)])
        # the resolution deadlines are still open: counted, but not yet met or missed
        open_rows = Report.search(
            [("complaint_id", "in", (met | late).ids), ("kind", "=", "resolution")]
        )
        self.assertEqual(open_rows.mapped("met_percent"), [0.0, 0.0])
        self.assertEqual(open_rows.mapped("decided"), [False, False])
