"""Cutting UTC datetimes into local days, apart from the ORM."""

from datetime import datetime, time, timedelta

import pytz

from odoo.tools import SQL


def utc_bounds(date_from, date_to, tz_name):
    """The UTC instants ``[start, end)`` of the local days ``date_from`` to ``date_to``.

    A datetime field is stored in UTC; a month in Brussels starts at 23:00 UTC the day
    before. Naive datetimes, as Odoo stores them.
    """
    tz = pytz.timezone(tz_name or "UTC")
    start = tz.localize(datetime.combine(date_from, time.min))
    end = tz.localize(datetime.combine(date_to + timedelta(days=1), time.min))
    return (
        start.astimezone(pytz.utc).replace(tzinfo=None),
        end.astimezone(pytz.utc).replace(tzinfo=None),
    )


def local_date(value, tz_name):
    """The day, in ``tz_name``, of a naive UTC datetime as Odoo stores it."""
    if not value:
        return None
    return pytz.utc.localize(value).astimezone(pytz.timezone(tz_name or "UTC")).date()


def local_date_sql(column, tz_name):
    """SQL: the day, in ``tz_name``, of a ``timestamp without time zone`` column
    holding UTC, as Odoo stores datetimes (``AT TIME ZONE``, as Odoo's reports)."""
    return SQL(
        "(%s AT TIME ZONE 'UTC' AT TIME ZONE %s)::date", column, tz_name or "UTC"
    )
