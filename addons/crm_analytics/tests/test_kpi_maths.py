from datetime import date, datetime

from odoo.tests import BaseCase, tagged

from ..tools import kpi


@tagged("post_install", "-at_install")
class TestKpiMaths(BaseCase):
    def test_period_bounds(self):
        day = date(2026, 5, 17)
        self.assertEqual(
            kpi.period_bounds(day, "month"), (date(2026, 5, 1), date(2026, 5, 31))
        )
        self.assertEqual(
            kpi.period_bounds(day, "quarter"), (date(2026, 4, 1), date(2026, 6, 30))
        )
        self.assertEqual(
            kpi.period_bounds(day, "year"), (date(2026, 1, 1), date(2026, 12, 31))
        )
        self.assertEqual(
            kpi.period_bounds(date(2024, 2, 29), "month"),
            (date(2024, 2, 1), date(2024, 2, 29)),
        )

    def test_previous_and_last_year(self):
        self.assertEqual(
            kpi.previous_period(date(2026, 1, 1), "quarter"),
            (date(2025, 10, 1), date(2025, 12, 31)),
        )
        self.assertEqual(
            kpi.previous_period(date(2026, 3, 1), "month"),
            (date(2026, 2, 1), date(2026, 2, 28)),
        )
        self.assertEqual(
            kpi.same_period_last_year(date(2024, 2, 1), "month"),
            (date(2023, 2, 1), date(2023, 2, 28)),
        )

    def test_achievement_in_both_directions(self):
        self.assertEqual(kpi.achievement(80, 100), 0.8)
        self.assertEqual(kpi.achievement(120, 100), 1.2)
        # days sales outstanding: 40 days against a target of 30 is 75 %
        self.assertEqual(kpi.achievement(40, 30, higher_is_better=False), 0.75)
        self.assertEqual(kpi.achievement(0, 30, higher_is_better=False), float("inf"))
        self.assertIsNone(kpi.achievement(None, 100))
        self.assertIsNone(kpi.achievement(50, 0))

    def test_traffic_lights(self):
        self.assertEqual(kpi.traffic_light(1.0), "green")
        self.assertEqual(kpi.traffic_light(0.95), "amber")
        self.assertEqual(kpi.traffic_light(0.89), "red")
        self.assertEqual(kpi.traffic_light(0.7, alert_threshold=0.7), "amber")
        self.assertIsNone(kpi.traffic_light(None))

    def test_weighted_total_caps_and_skips_unknown(self):
        self.assertAlmostEqual(kpi.weighted_total([(0.8, 2), (1.1, 1)]), 0.9)
        # one line at 500 % counts as 150 %
        self.assertAlmostEqual(kpi.weighted_total([(5.0, 1), (0.5, 1)]), 1.0)
        self.assertAlmostEqual(kpi.weighted_total([(None, 3), (0.6, 1)]), 0.6)
        self.assertIsNone(kpi.weighted_total([(None, 1), (0.9, 0)]))

    def test_trend(self):
        self.assertEqual(kpi.trend(10, 8), "up")
        self.assertEqual(kpi.trend(8, 10), "down")
        self.assertEqual(kpi.trend(8, 8), "flat")
        self.assertIsNone(kpi.trend(None, 8))

    def test_utc_bounds_and_whole_months(self):
        # Brussels is UTC+1 in winter, UTC+2 in summer
        start, end = kpi.utc_bounds(
            date(2026, 1, 1), date(2026, 6, 30), "Europe/Brussels"
        )
        self.assertEqual(start, datetime(2025, 12, 31, 23, 0))
        self.assertEqual(end, datetime(2026, 6, 30, 22, 0))
        self.assertTrue(kpi.is_whole_months(date(2026, 1, 1), date(2026, 3, 31)))
        self.assertTrue(kpi.is_whole_months(date(2024, 2, 1), date(2024, 2, 29)))
        self.assertFalse(kpi.is_whole_months(date(2026, 1, 1), date(2026, 1, 30)))
        self.assertFalse(kpi.is_whole_months(date(2026, 1, 2), date(2026, 1, 31)))

    def test_merge_periods(self):
        """A scorecard's current, previous and last year's month: two ranges, so
        that the live query reads 3 months, not the 13 between them."""
        dec26 = (date(2026, 12, 1), date(2026, 12, 31))
        nov26 = (date(2026, 11, 1), date(2026, 11, 30))
        dec25 = (date(2025, 12, 1), date(2025, 12, 31))
        self.assertEqual(
            kpi.merge_periods([dec26, nov26, dec25]),
            [dec25, (date(2026, 11, 1), date(2026, 12, 31))],
        )
        # overlapping periods (a quarter and one of its months), and one alone
        q1 = (date(2026, 1, 1), date(2026, 3, 31))
        self.assertEqual(
            kpi.merge_periods([(date(2026, 2, 1), date(2026, 2, 28)), q1]), [q1]
        )
        self.assertEqual(kpi.merge_periods([nov26]), [nov26])
        self.assertEqual(kpi.merge_periods([]), [])

    def test_ratio(self):
        self.assertEqual(kpi.ratio(1, 4, 100), 25)
        self.assertIsNone(kpi.ratio(1, 0))
        self.assertIsNone(kpi.ratio(None, 4))
        self.assertEqual(kpi.period_days(date(2026, 2, 1), date(2026, 2, 28)), 28)
