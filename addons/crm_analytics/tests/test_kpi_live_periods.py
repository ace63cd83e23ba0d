from datetime import date, datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.crm_relationship.tests.common import USER

from ..tools import kpi as kpi_tools
from .common import ScorecardCase

KIRITIMATI, PAGO_PAGO = "Pacific/Kiritimati", "Pacific/Pago_Pago"


@tagged("post_install", "-at_install")
class TestKpiLivePeriods(ScorecardCase):
    """A scorecard's live current, previous and last year's values, read together
    (only the periods' own months), against the KPI worked out by hand on each
    period alone: every period kind, date and datetime fields in two companies at
    the ends of the clock (UTC+14, UTC-11) with records on both sides of each local
    month's edge, 'until' KPIs, averages, ratios, a domain naming the period's
    start, some past periods snapshotted, every kind of owner."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_k = cls.company
        cls.company_k.partner_id.tz = KIRITIMATI
        cls.company_p = cls.env["res.company"].create({"name": "Pago Pago (live)"})
        cls.company_p.partner_id.tz = PAGO_PAGO
        cls.env.user.company_ids |= cls.company_p
        cls.people = {}
        cls.teams = {}
        cls.departments = {}
        for company in (cls.company_k, cls.company_p):
            tag = company.id
            departments = cls.env["hr.department"].create(
                [
                    {"name": f"Sellers {tag}", "company_id": company.id},
                    {"name": f"Others {tag}", "company_id": company.id},
                ]
            )
            cls.departments[company] = departments
            cls.people[company] = [
                cls._person(f"live_{tag}_{i}", USER, departments[i], company)
                for i in range(2)
            ]
            cls.teams[company] = cls.env["crm.team"].create(
                {"name": f"Team {tag} (live)", "company_id": company.id}
            )
        # an edge at every month's start, from December 2024 to February 2027:
        # one record the last local evening of the month, one the first night
        cls.rows = []
        vals_list = []
        edge, n = date(2024, 12, 1), 0
        while edge <= date(2027, 2, 1):
            for company in (cls.company_k, cls.company_p):
                tz = pytz.timezone(company._crm_tz())
                for user_index, (day, clock) in enumerate(
                    ((edge - timedelta(days=1), time(23, 30)), (edge, time(0, 30)))
                ):
                    n += 1
                    person = (n // 2) % 2
                    user = cls.people[company][person]
                    revenue = 100.0 * (n % 7) + 10 * user_index
                    moment = tz.localize(datetime.combine(day, clock))
                    closed = moment.astimezone(pytz.utc).replace(tzinfo=None)
                    # the deadline away from the closing day: the two fields differ
                    deadline = day + timedelta(days=(n % 3) - 1)
                    vals_list.append(
                        {
                            "name": f"Live {n}",
                            "type": "opportunity",
                            "partner_id": cls.customer.id,
                            "company_id": company.id,
                            "user_id": user.id,
                            "team_id": cls.teams[company].id,
                            "date_deadline": deadline,
                            "expected_revenue": revenue,
                        }
                    )
                    cls.rows.append(
                        {
                            "company": company.id,
                            "user": user.id,
                            "team": cls.teams[company].id,
                            "department": cls.departments[company][person].id,
                            "deadline": deadline,
                            "closed_utc": closed,
                            "closed": day,
                            "revenue": revenue,
                        }
                    )
            edge += relativedelta(months=1)
        leads = cls.env["crm.lead"].create(vals_list)
        for lead, row in zip(leads, cls.rows, strict=True):
            lead.date_closed = row["closed_utc"]
        closed = cls._field("crm.lead", "date_closed").id
        cls.kpis = {
            "count_date": cls._kpi("Count by deadline (live)"),
            "sum_datetime": cls._kpi(
                "Revenue closed (live)", "sum", date_field_id=closed
            ),
            "avg_datetime": cls._kpi("Mean closed (live)", "avg", date_field_id=closed),
            "count_datetime": cls._kpi("Count closed (live)", date_field_id=closed),
            "until_date": cls._kpi("Revenue due by (live)", "sum", date_mode="until"),
            "until_datetime": cls._kpi(
                "Closed by (live)", date_field_id=closed, date_mode="until"
            ),
            "big_datetime": cls._kpi(
                "Big closed (live)",
                domain="[('expected_revenue', '>=', 300)]",
                date_field_id=closed,
            ),
            "bounds": cls._kpi(
                "Closed, due from the start (live)",
                domain="[('date_deadline', '>=', period_start)]",
                date_field_id=closed,
            ),
        }
        cls.kpis["ratio"] = cls._kpi(
            "Share of big ones (live)",
            "ratio",
            numerator_id=cls.kpis["big_datetime"].id,
            denominator_id=cls.kpis["count_datetime"].id,
            ratio_scale="percent",
        )
        cls.kpis["days"] = cls._kpi(
            "Days of revenue due (live)",
            "ratio",
            numerator_id=cls.kpis["until_date"].id,
            denominator_id=cls.kpis["sum_datetime"].id,
            ratio_scale="days",
        )
        cls.cards = cls.env["crm.scorecard"]
        for company in (cls.company_k, cls.company_p):
            owners = {
                "company": {},
                "user": {"user_id": cls.people[company][0].id},
                "team": {"team_id": cls.teams[company].id},
                "department": {"department_id": cls.departments[company][1].id},
            }
            for kind in ("month", "quarter", "year"):
                for owner_type, owner in owners.items():
                    cls.cards |= cls.env["crm.scorecard"].create(
                        {
                            "name": f"{company.name} {kind} {owner_type}",
                            "company_id": company.id,
                            "period": kind,
                            "owner_type": owner_type,
                            "responsible_id": cls.env.user.id,
                            **owner,
                            "line_ids": [
                                Command.create({"kpi_id": kpi.id, "target": 1})
                                for kpi in cls.kpis.values()
                            ],
                        }
                    )

    # ------------------------------------------------------------
    # by hand
    # ------------------------------------------------------------

    def _by_hand(self, name, owner, period):
        """The KPI of one owner and period, from the rows created above."""
        owner_type, owner_id, company_id = owner
        if name == "ratio":
            big = self._by_hand("big_datetime", owner, period)
            count = self._by_hand("count_datetime", owner, period)
            return kpi_tools.ratio(big, count, 100.0)
        if name == "days":
            due = self._by_hand("until_date", owner, period)
            revenue = self._by_hand("sum_datetime", owner, period)
            return kpi_tools.ratio(due, revenue, kpi_tools.period_days(*period))
        start, end = period
        rows = [
            row
            for row in self.rows
            if row["company"] == company_id and row[owner_type] == owner_id
        ]
        by_deadline = name in ("count_date", "until_date")
        key = "deadline" if by_deadline else "closed"
        if name.startswith("until"):
            rows = [row for row in rows if row[key] <= end]
        else:
            rows = [row for row in rows if start <= row[key] <= end]
        if name == "big_datetime":
            rows = [row for row in rows if row["revenue"] >= 300]
        if name == "bounds":
            rows = [row for row in rows if row["deadline"] >= start]
        revenues = [row["revenue"] for row in rows]
        if name in ("sum_datetime", "until_date"):
            return float(sum(revenues))
        if name == "avg_datetime":
            return sum(revenues) / len(revenues) if revenues else None
        return float(len(rows))

    def _expected(self, line, period):
        name = next(k for k, kpi in self.kpis.items() if kpi == line.kpi_id)
        return self._by_hand(name, line._owner_key(), period)

    def _periods(self, card):
        current = card._current_period()
        return (
            current,
            kpi_tools.previous_period(current[0], card.period),
            kpi_tools.same_period_last_year(current[0], card.period),
        )

    def _check_lines(self, snapshots=None):
        """Every line of every card, read in one batch as a list view does."""
        snapshots = snapshots or {}
        lines = self.cards.line_ids
        lines.invalidate_recordset()
        lines.mapped("value")  # one compute for all the lines
        failures = []
        for line in lines:
            card = line.scorecard_id
            current, previous, last_year = self._periods(card)
            currency = card.company_id.currency_id
            shown = {
                "current": line.value_display,
                "previous": line.previous_value_display,
                "last year": line.last_year_value_display,
            }
            for label, period in (
                ("current", current),
                ("previous", previous),
                ("last year", last_year),
            ):
                if (line.id, period[0]) in snapshots:
                    expected = snapshots[line.id, period[0]]
                else:
                    expected = self._expected(line, period)
                    # the per-period evaluation agrees with the hand count
                    alone = line.kpi_id._evaluate(
                        [line._owner_key()], [period], card._tz()
                    )[line.kpi_id.id, line._owner_key(), period]
                    if alone != expected and not (
                        alone is not None
                        and expected is not None
                        and abs(alone - expected) < 1e-6
                    ):
                        failures.append(
                            f"{card.name} / {line.kpi_id.name} / {label} {period}: "
                            f"evaluated alone {alone}, by hand {expected}"
                        )
                want = line.kpi_id._format_value(expected, currency)
                if shown[label] != want:
                    failures.append(
                        f"{card.name} / {line.kpi_id.name} / {label} {period}: "
                        f"shown {shown[label]}, by hand {want}"
                    )
        self.assertFalse(failures, "\n".join(failures))

    # ------------------------------------------------------------
    # tests
    # ------------------------------------------------------------

    def test_rows_at_the_local_edges(self):
        """The datetimes are on both sides of a local midnight: the data is what the
        test means."""
        lead = self.env["crm.lead"].search(
            [("name", "=", "Live 1"), ("company_id", "=", self.company_k.id)]
        )
        # 30 November 2024, 23:30 in Kiritimati is 09:30 UTC the same day
        self.assertEqual(lead.date_closed, datetime(2024, 11, 30, 9, 30))

    def test_live_values_in_the_middle_of_a_month(self):
        with freeze_time("2026-08-15 12:00:00"):
            self._check_lines()

    def test_live_values_when_the_companies_are_in_different_months(self):
        """At noon UTC on 30 November it is 1 December (Q4) in Kiritimati and still
        30 November in Pago Pago: the lines of both are computed together."""
        with freeze_time("2026-11-30 12:00:00"):
            self.assertEqual(self.company_k._crm_today(), date(2026, 12, 1))
            self.assertEqual(self.company_p._crm_today(), date(2026, 11, 30))
            self._check_lines()

    def test_live_values_when_the_companies_are_in_different_years(self):
        """1 January 2027 in Kiritimati, 31 December 2026 in Pago Pago: a year card's
        previous period and last year's are the same; a quarter's previous one
        touches nothing of the current one."""
        with freeze_time("2026-12-31 12:00:00"):
            self._check_lines()

    def test_some_past_periods_snapshotted(self):
        """Half the cards keep their previous period; the others read it live. The
        snapshots then stay what they were when the data changes."""
        self.rows = [dict(row) for row in self.rows]
        with freeze_time("2026-11-30 12:00:00"):
            kept = self.cards[::2]
            values = kept._snapshot(periods_back=1)
            self.assertTrue(values)
            snapshots = {
                (value.line_id.id, value.date_from): (
                    value.value if value.value_known else None
                )
                for value in values
            }
            # a snapshot keeps what it said: change the figures afterwards
            moved = self.env["crm.lead"].search(
                [("name", "like", "Live %"), ("expected_revenue", ">=", 600)]
            )
            moved.expected_revenue = 650.0
            for row in self.rows:
                if row["revenue"] >= 600:
                    row["revenue"] = 650.0
            self._check_lines(snapshots)
