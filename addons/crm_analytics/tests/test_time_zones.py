from datetime import date, datetime

import pytz
from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.crm_relationship.tests.common import RelationshipScoringCommon

JUNE = (date(2026, 6, 1), date(2026, 6, 30))


class AnalyticsTimeZoneCases:
    """The analytics cut datetimes into days and months in the company's time zone:
    the stored on-time flag and the on-time KPI, the overdue KPI's today, cohorts'
    current month, the default dates of fits and scorecards. Every moment below is
    local to the company (``ZONE`` of each concrete class)."""

    ZONE = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id += cls.env.ref("stock.group_stock_user")
        cls.company.partner_id.tz = cls.ZONE
        cls.customer = cls.env["res.partner"].create(
            {"name": "Night Owl", "is_company": True}
        )
        cls._invoice(cls.customer, "2026-06-01", 100)  # due 2026-07-01
        deliveries = (
            # (done, promised, on time)
            ("2026-06-11 01:00", "2026-06-10 08:00", False),  # the issue
            ("2026-06-10 23:30", "2026-06-10 08:00", True),
            ("2026-06-12 10:00", "2026-06-12 07:00", True),
            ("2026-06-14 07:00", "2026-06-13 12:00", False),
        )
        cls.deliveries = cls.env["stock.picking"]
        cls.expected = {}
        for done, promised, on_time in deliveries:
            picking = cls._deliver(cls.customer, cls._utc(done), cls._utc(promised))
            cls.deliveries |= picking
            cls.expected[picking.id] = on_time

    @classmethod
    def _utc(cls, local):
        moment = datetime.strptime(local, "%Y-%m-%d %H:%M")
        return (
            pytz.timezone(cls.ZONE)
            .localize(moment)
            .astimezone(pytz.utc)
            .replace(tzinfo=None)
        )

    def _kpi(self, name, period=JUNE):
        kpi = self.env.ref(f"crm_analytics.kpi_{name}")
        owner = ("company", self.company.id, self.company.id)
        values = kpi._evaluate([owner], [period], self.company._crm_tz())
        return values[kpi.id, owner, period]

    def test_delivered_on_time_on_the_local_day(self):
        self.assertEqual(
            {picking.id: picking.delivered_on_time for picking in self.deliveries},
            self.expected,
        )

    def test_install_fill_agrees_with_the_compute(self):
        """The column's fill at install, in SQL, gives what the compute gives."""
        self.env.flush_all()
        self.env.cr.execute(SQL("UPDATE stock_picking SET delivered_on_time = NULL"))
        self.env["stock.picking"]._fill_delivered_on_time()
        self.test_delivered_on_time_on_the_local_day()

    def test_on_time_delivery_rate_kpi(self):
        self.assertEqual(self._kpi("deliveries"), 4)
        self.assertEqual(self._kpi("on_time_deliveries"), 2)
        self.assertEqual(self._kpi("on_time_delivery_rate"), 50.0)

    def test_overdue_kpi_today_is_the_local_day(self):
        # due on 1 July: overdue from 2 July, local time. The running month is
        # read as of today; June is read as of its last day, when nothing was due.
        july = (date(2026, 7, 1), date(2026, 7, 31))
        with freeze_time(self._utc("2026-07-01 23:30")):
            self.assertFalse(self._kpi("overdue_amount", july))
        with freeze_time(self._utc("2026-07-02 00:30")):
            self.assertEqual(self._kpi("overdue_amount", july), 100.0)
            self.assertFalse(self._kpi("overdue_amount"))

    def test_cohort_current_month_is_the_local_month(self):
        self._invoice(self.customer, "2026-07-01", 50)
        self._invoice(self.customer, "2026-08-01", 70)  # after the current month
        with freeze_time(self._utc("2026-07-01 00:30")):
            self.env["crm.cohort.report"]._refresh(self.company)
            self.env["crm.churn.report"]._refresh(self.company)
            rows = self.env["crm.cohort.report"].search_read(
                [
                    ("company_id", "=", self.company.id),
                    ("cohort_month", "=", date(2026, 6, 1)),
                ],
                ["month", "revenue"],
                order="month",
            )
            churn = self.env["crm.churn.report"].search_read(
                [("company_id", "=", self.company.id)], ["month"], order="month"
            )
        self.assertEqual(
            [(row["month"], row["revenue"]) for row in rows],
            [(date(2026, 6, 1), 100.0), (date(2026, 7, 1), 50.0)],
        )
        # the churn of a month is told once it has ended: June's, not July's
        self.assertEqual(churn[-1]["month"], date(2026, 6, 1))

    def test_default_dates_are_the_local_day(self):
        card = self.env["crm.scorecard"].create({"name": "Monthly", "period": "month"})
        for local, day in (
            ("2026-06-30 23:30", date(2026, 6, 30)),
            ("2026-07-01 00:30", date(2026, 7, 1)),
        ):
            with freeze_time(self._utc(local)):
                defaults = self.env["crm.clv.fit"].default_get(["calibration_date"])
                self.assertEqual(defaults["calibration_date"], day)
                card.invalidate_recordset()
                self.assertEqual(card.date_from, day.replace(day=1))


@tagged("post_install", "-at_install")
class TestAnalyticsTimeZoneBrussels(AnalyticsTimeZoneCases, RelationshipScoringCommon):
    ZONE = "Europe/Brussels"


@tagged("post_install", "-at_install")
class TestAnalyticsTimeZoneShanghai(AnalyticsTimeZoneCases, RelationshipScoringCommon):
    ZONE = "Asia/Shanghai"


@tagged("post_install", "-at_install")
class TestAnalyticsTimeZoneLosAngeles(
    AnalyticsTimeZoneCases, RelationshipScoringCommon
):
    ZONE = "America/Los_Angeles"
