from datetime import date, datetime

import pytz
from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL

from ..tools import dates
from .common import RelationshipScoringCommon

DATE_REF = date(2026, 6, 30)  # window: local days 2025-07-01 to 2026-06-30


class TimeZoneCases:
    """Every date boundary of the scoring and the 360 is drawn in the company's time
    zone, not in UTC where Odoo stores datetimes. Run in zones far from UTC on both
    sides (``ZONE`` of each concrete class); every moment below is local."""

    ZONE = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = cls.ZONE
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Night Owl", "is_company": True})
        cls.window_start = Partner.create({"name": "Window Start", "is_company": True})
        cls.window_end = Partner.create({"name": "Window End", "is_company": True})
        for partner in (cls.customer, cls.window_start, cls.window_end):
            cls._invoice(partner, "2026-06-01", 100)
        # the issue: promised 10 June 08:00, done 11 June 01:00 (10 June in UTC
        # from Brussels eastwards): late
        cls.late = cls._deliver(
            cls.customer, cls._utc("2026-06-11 01:00"), cls._utc("2026-06-10 08:00")
        )
        # done late in the evening of the promised day (11 June in UTC west of
        # Greenwich): on time
        cls.evening = cls._deliver(
            cls.customer, cls._utc("2026-06-10 23:30"), cls._utc("2026-06-10 08:00")
        )
        # promised and done early in the morning (the day before in UTC east of
        # Greenwich for the promise): on time
        cls.morning = cls._deliver(
            cls.customer, cls._utc("2026-06-12 10:00"), cls._utc("2026-06-12 07:00")
        )
        # done before 08:00 the day after: the promised day in UTC east of Greenwich
        cls.next_morning = cls._deliver(
            cls.customer, cls._utc("2026-06-14 07:00"), cls._utc("2026-06-13 12:00")
        )
        # the window's edges: its first and last local days are in, not the days
        # around them
        for partner, done in (
            (cls.window_start, "2025-06-30 23:30"),  # out
            (cls.window_start, "2025-07-01 00:30"),  # in
            (cls.window_end, "2026-06-30 23:30"),  # in
            (cls.window_end, "2026-07-01 00:30"),  # out
        ):
            cls._deliver(partner, cls._utc(done), cls._utc("2026-12-31 12:00"))

    @classmethod
    def _utc(cls, local):
        """The naive UTC datetime Odoo stores for a local moment of the company."""
        moment = datetime.strptime(local, "%Y-%m-%d %H:%M")
        return (
            pytz.timezone(cls.ZONE)
            .localize(moment)
            .astimezone(pytz.utc)
            .replace(tzinfo=None)
        )

    def _recompute(self):
        self.Score.recompute(company_ids=self.company.ids, date_ref=DATE_REF)

    def test_company_time_zone(self):
        self.assertEqual(self.company._crm_tz(), self.ZONE)
        with freeze_time(self._utc("2026-06-30 23:30")):
            self.assertEqual(self.company._crm_today(), DATE_REF)
        with freeze_time(self._utc("2026-07-01 00:30")):
            self.assertEqual(self.company._crm_today(), date(2026, 7, 1))

    def test_local_days_in_python_and_sql(self):
        """tools/dates.py cuts days in Python and in SQL the same way."""
        for picking in self.late | self.evening | self.morning | self.next_morning:
            self.env.cr.execute(
                SQL(
                    "SELECT %s, %s FROM stock_picking sp WHERE sp.id = %s",
                    dates.local_date_sql(SQL("sp.date_done"), self.ZONE),
                    dates.local_date_sql(SQL("sp.scheduled_date"), self.ZONE),
                    picking.id,
                )
            )
            self.assertEqual(
                self.env.cr.fetchone(),
                (
                    dates.local_date(picking.date_done, self.ZONE),
                    dates.local_date(picking.scheduled_date, self.ZONE),
                ),
            )

    def test_delivery_late_on_the_local_day(self):
        self.assertEqual(self.late.scheduled_date, self._utc("2026-06-10 08:00"))
        self._recompute()
        score = self._score(self.customer)
        # late and next_morning late, evening and morning on time
        self.assertEqual((score.delivery_count, score.on_time_delivery_count), (4, 2))
        self.assertEqual(score.delivery_component, 50.0)
        self.assertIn("2 of 4 deliveries late.", score.explanation)

    def test_delivery_window_in_local_days(self):
        self._recompute()
        self.assertEqual(self._score(self.window_start).delivery_count, 1)
        self.assertEqual(self._score(self.window_end).delivery_count, 1)

    def test_daily_cron_scores_as_of_the_local_day(self):
        # 00:30 on 1 July locally: the delivery done at 00:30 is in today's window
        with freeze_time(self._utc("2026-07-01 00:30")):
            self.Score._cron_recompute_all()
        window_end = self._score(self.window_end)
        self.assertEqual(window_end.date_ref, date(2026, 7, 1))
        self.assertEqual(window_end.delivery_count, 2)  # 07-01 00:30 in
        self.assertEqual(self._score(self.window_start).delivery_count, 0)

    def test_history_pruned_by_the_local_day(self):
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(
            self.company
        )
        profile.history_days = 10
        self.Score.recompute(company_ids=self.company.ids, date_ref=date(2026, 6, 20))
        History = self.env["crm.relationship.score.history"]
        domain = [
            ("partner_id", "=", self.customer.id),
            ("snapshot_date", "=", date(2026, 6, 20)),
        ]
        # kept for 10 days after 06-20: up to the local 06-30
        with freeze_time(self._utc("2026-06-30 23:30")):
            self.Score._prune_history()
        self.assertTrue(History.search(domain))
        with freeze_time(self._utc("2026-07-01 00:30")):
            self.Score._prune_history()
        self.env.invalidate_all()
        self.assertFalse(History.search(domain))

    def test_complaints_and_ratings_in_local_days(self):
        # the last local day of the window is in (rated 5), the next one out (1)
        for local, rating in (("2026-06-30 23:30", 5), ("2026-07-01 00:30", 1)):
            complaint = self._complaint(local, rating)
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    "UPDATE crm_complaint SET create_date = %s WHERE id = %s",
                    self._utc(local),
                    complaint.id,
                )
            )
            self.env.cr.execute(
                SQL(
                    """UPDATE rating_rating SET write_date = %s
                        WHERE res_model = 'crm.complaint' AND res_id = %s""",
                    self._utc(local),
                    complaint.id,
                )
            )
        self.env.invalidate_all()
        self._recompute()
        score = self._score(self.customer)
        self.assertEqual((score.complaint_count, score.rating_count), (1, 1))
        self.assertEqual(score.satisfaction_rating, 5.0)

    def _complaint(self, local, rating):
        complaint = self.env["crm.complaint"].create(
            {
                "name": f"Complaint of {local}",
                "partner_id": self.customer.id,
                "severity": "low",
            }
        )
        self.env["rating.rating"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("crm.complaint"),
                "res_id": complaint.id,
                "partner_id": self.customer.id,
                "rating": rating,
                "consumed": True,
            }
        )
        return complaint

    def test_360_late_open_deliveries_by_local_day(self):
        for promised in ("2026-06-20 08:00", "2026-06-19 23:30"):
            picking = self._confirmed_delivery(self.customer, self._utc(promised))
            # confirming reschedules from the moves; keep the promised moment
            picking.scheduled_date = self._utc(promised)
        with freeze_time(self._utc("2026-06-20 10:00")):
            self.customer.invalidate_recordset()
            self.assertEqual(self.customer.c360_open_delivery_count, 2)
            # this morning's delivery can still be done today, on time
            self.assertEqual(self.customer.c360_late_delivery_count, 1)

    def test_360_year_and_overdue_by_local_day(self):
        customer = self.env["res.partner"].create({"name": "Year End"})
        invoice = self._invoice(customer, "2026-12-01", 300)
        self.assertEqual(str(invoice.invoice_date_due), "2026-12-31")
        Order = self.env["sale.order"]
        last_year, this_year = Order.create(
            [{"partner_id": customer.id}, {"partner_id": customer.id}]
        )
        (last_year | this_year).action_confirm()
        last_year.date_order = self._utc("2026-12-31 23:30")
        this_year.date_order = self._utc("2027-01-01 00:30")
        with freeze_time(self._utc("2027-01-01 06:00")):
            customer.invalidate_recordset()
            self.assertEqual(customer.c360_order_count, 1)
            # due yesterday, local time: overdue
            self.assertEqual(customer.c360_overdue, 300.0)


@tagged("post_install", "-at_install")
class TestTimeZoneBrussels(TimeZoneCases, RelationshipScoringCommon):
    ZONE = "Europe/Brussels"  # UTC+2 in summer, +1 in winter


@tagged("post_install", "-at_install")
class TestTimeZoneShanghai(TimeZoneCases, RelationshipScoringCommon):
    ZONE = "Asia/Shanghai"  # UTC+8


@tagged("post_install", "-at_install")
class TestTimeZoneLosAngeles(TimeZoneCases, RelationshipScoringCommon):
    ZONE = "America/Los_Angeles"  # UTC-7 in summer, -8 in winter
