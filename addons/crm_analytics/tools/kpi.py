"""Scorecard arithmetic, apart from the ORM: periods, achievement, traffic lights.

A KPI's value is compared with its target in the direction the KPI prefers (higher
or lower is better); a scorecard adds its lines' achievements with their weights.
"""

import math
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

# one cut of datetimes into local days for the whole product
from odoo.addons.crm_relationship.tools.dates import utc_bounds  # noqa: F401

PERIODS = {"month": 1, "quarter": 3, "year": 12}
LIGHTS = ("green", "amber", "red")


def period_bounds(day, period):
    """First and last day of the month, quarter or year containing ``day``."""
    months = PERIODS[period]
    first_month = (day.month - 1) // months * months + 1
    start = date(day.year, first_month, 1)
    return start, start + relativedelta(months=months, days=-1)


def is_whole_months(date_from, date_to):
    """Whether the period starts on a month's first day and ends on a month's last."""
    return date_from.day == 1 and (date_to + timedelta(days=1)).day == 1


def merge_periods(periods):
    """The date ranges that cover ``periods`` (``(date_from, date_to)`` pairs,
    inclusive dates), overlapping or adjacent ones merged, in order.

    >>> merge_periods([(date(2026, 12, 1), date(2026, 12, 31)),
    ...                (date(2025, 12, 1), date(2025, 12, 31)),
    ...                (date(2026, 11, 1), date(2026, 11, 30))])
    [(date(2025, 12, 1), date(2025, 12, 31)), (date(2026, 11, 1), date(2026, 12, 31))]
    """
    ranges = []
    for start, end in sorted(periods):
        if ranges and start <= ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], end))
        else:
            ranges.append((start, end))
    return ranges


def period_days(date_from, date_to):
    return (date_to - date_from).days + 1


def ratio(numerator, denominator, factor=1.0):
    """``numerator / denominator * factor``; None when either is unknown or the
    denominator is zero (a ratio over nothing cannot be said, it is not zero)."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator * factor


def previous_period(start, period):
    """The period just before the one that starts on ``start``."""
    return period_bounds(start - relativedelta(days=1), period)


def same_period_last_year(start, period):
    return period_bounds(start - relativedelta(years=1), period)


def achievement(value, target, higher_is_better=True):
    """How far ``value`` goes towards ``target``, 1.0 meaning on target.

    Higher is better: value / target. Lower is better: target / value (a value of 0
    reaches any positive target). None when it cannot be said: no value, no target,
    or a zero target to reach from above.
    """
    if value is None or not target:
        return None
    if higher_is_better:
        return value / target
    if value == 0:
        return None if target < 0 else float("inf")
    return target / value


def traffic_light(achieved, alert_threshold=0.9):
    """Green on target, amber at or above the alert threshold, red below it."""
    if achieved is None:
        return None
    if achieved >= 1:
        return "green"
    return "amber" if achieved >= alert_threshold else "red"


def weighted_total(lines, cap=1.5):
    """The weighted mean achievement of ``(achievement, weight)`` pairs.

    Each achievement counts up to ``cap``, so that one line far over target cannot
    hide the others; lines that cannot be said leave the weighting. None when no
    line can be said.
    """
    known = [(min(a, cap), w) for a, w in lines if a is not None and w > 0]
    total_weight = sum(w for _a, w in known)
    if not total_weight:
        return None
    return sum(a * w for a, w in known) / total_weight


def trend(current, previous, digits=None):
    """``up``, ``down`` or ``flat`` between two values; None if either is unknown.

    Figures that read the same are flat: with ``digits``, both are compared as
    shown, rounded to that many decimals (a snapshot keeps two decimals, the live
    value all of them); float noise never makes a trend either.
    """
    if current is None or previous is None:
        return None
    if digits is not None:
        current, previous = round(current, digits), round(previous, digits)
    if math.isclose(current, previous, rel_tol=1e-9, abs_tol=1e-9):
        return "flat"
    return "up" if current > previous else "down"


def as_of_date(period_end, today):
    """The day a state is read for a period: its last day, or today while it runs."""
    return min(period_end, today)
