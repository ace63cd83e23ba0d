from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged
from odoo.tools import SQL

from odoo.addons.crm_relationship.tests.common import (
    DepartmentCase,
    RelationshipScoringCommon,
)

from ..tools import kpi as kpi_tools

SELLER = "base.group_user,sales_team.group_sale_salesman"
TODAY = "2026-12-06 12:00:00"  # 04:00 on 6 December in Los Angeles
STATES = (
    "scored_customers",
    "retained_customers",
    "lost_customers",
    "retention_rate",
    "churn_rate",
    "average_clv",
    "open_invoice_amount",
    "overdue_amount",
    "overdue_ratio",
    "loyalty_members",
    "loyalty_member_share",
)


def month(year, number):
    return kpi_tools.period_bounds(date(year, number, 1), "month")


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestKpiPointInTime(RelationshipScoringCommon, DepartmentCase):
    """States measured for a past period are those of its last day.

    Acme bought on the 15th of each month from January to June 2026 and stopped;
    Bolt bought every month to November (and had 50 refunded on 20 May). Each
    invoice (100, 30-day terms) is paid 20 days after its date, but Acme's June
    one. With the default scoring profile, Acme (usual interval 30.2 days) is at
    risk after 60.4 days without a purchase and lost after 120.8: active to July,
    at risk in August and September, lost from October. Bolt is always active.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "America/Los_Angeles"
        cls.company_2 = cls.setup_other_company()["company"]
        cls.kpis = {name: cls.env.ref(f"crm_analytics.kpi_{name}") for name in STATES}
        Department = cls.env["hr.department"]
        cls.sales = Department.create({"name": "Sales (pit)"})
        cls.service = Department.create({"name": "Service (pit)"})
        cls.alice = cls._person("pit.alice", SELLER, cls.sales)
        cls.bob = cls._person("pit.bob", SELLER, cls.service)
        Partner = cls.env["res.partner"]
        cls.acme = Partner.create(
            {"name": "Acme (pit)", "is_company": True, "user_id": cls.alice.id}
        )
        cls.bolt = Partner.create(
            {"name": "Bolt (pit)", "is_company": True, "user_id": cls.bob.id}
        )
        cls.dune = Partner.create({"name": "Dune (pit)", "is_company": True})
        for number in range(1, 12):
            day = date(2026, number, 15)
            if number <= 6:
                acme = cls._invoice(cls.acme, day, 100, invoice_user_id=cls.alice.id)
                if number < 6:
                    cls._pay(acme, day + timedelta(days=20))
            bolt = cls._invoice(cls.bolt, day, 100, invoice_user_id=cls.bob.id)
            cls._pay(bolt, day + timedelta(days=20))
        cls._invoice(
            cls.bolt, "2026-05-20", 50, "out_refund", invoice_user_id=cls.bob.id
        )
        # the other company: Dune as Acme there, and Acme back in November
        for number in range(1, 7):
            cls._invoice(cls.dune, date(2026, number, 15), 70, company=cls.company_2)
        cls._invoice(cls.acme, "2026-11-20", 900, company=cls.company_2)
        # a lenient profile there: lost after 10 times the usual interval
        Profile = cls.env["crm.relationship.scoring.profile"]
        Profile._get_for_company(cls.company_2).churn_lost_multiple = 10
        companies = (cls.company | cls.company_2).ids
        # scored at the end of June with Bolt's salesperson then, Bob; Alice since
        cls.Score.recompute(company_ids=companies, date_ref=date(2026, 6, 30))
        cls.bolt.user_id = cls.alice
        cls.Score.recompute(company_ids=companies, date_ref=date(2026, 12, 6))

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _owner(self, owner_type="company", record=None, company=None):
        company = company or self.company
        return (owner_type, (record or company).id, company.id)

    def _values(self, names, periods, owner=None):
        """``{name: [value of each period]}``, rounded to read the diffs."""
        owner = owner or self._owner()
        kpis = self.env["crm.kpi"].browse([self.kpis[name].id for name in names])
        values = kpis._evaluate([owner], periods, "America/Los_Angeles")
        return {
            name: [
                None
                if values[self.kpis[name].id, owner, period] is None
                else round(values[self.kpis[name].id, owner, period], 4)
                for period in periods
            ]
            for name in names
        }

    def _set_card_dates(self, cards, created, written=None, archived=None):
        """Issue dates of loyalty cards: the database's clock, not freezegun's."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """UPDATE loyalty_card SET create_date = %s,
                          write_date = COALESCE(%s, write_date),
                          archive_date = COALESCE(%s, archive_date)
                    WHERE id = ANY(%s)""",
                created,
                written,
                archived,
                cards.ids,
            )
        )
        cards.invalidate_recordset()

    # ------------------------------------------------------------
    # RETENTION AND CHURN
    # ------------------------------------------------------------

    def test_fixtures_are_what_the_figures_assume(self):
        self.assertEqual(
            [self._score(p).churn_state for p in (self.acme, self.bolt)],
            ["lost", "active"],
        )
        self.assertEqual(self._score(self.acme).purchase_interval_days, 30.2)
        self.assertEqual(self._score(self.bolt).user_id, self.alice)

    def test_retention_and_churn_of_each_month(self):
        """March 100 % (both active on 31 March), November 50 %: the scenario."""
        months = [month(2026, n) for n in range(1, 12)]
        self.assertEqual(
            self._values(["retention_rate", "churn_rate", "lost_customers"], months),
            {
                # Acme at risk on 31 August and 30 September: still retained
                "retention_rate": [100.0] * 9 + [50.0, 50.0],
                "churn_rate": [0.0] * 9 + [50.0, 50.0],
                "lost_customers": [0.0] * 9 + [1.0, 1.0],
            },
        )

    def test_running_period_reads_today_as_the_scores_do(self):
        december = month(2026, 12)
        self.assertEqual(
            self._values(
                ["scored_customers", "retained_customers", "retention_rate"],
                [december],
            ),
            {
                "scored_customers": [2.0],
                "retained_customers": [1.0],
                "retention_rate": [50.0],
            },
        )
        # the scores of today say the same
        retained = self.Score.search_count(
            [
                ("company_id", "=", self.company.id),
                ("partner_id", "in", (self.acme | self.bolt).ids),
                ("churn_state", "in", ("active", "at_risk")),
            ]
        )
        self.assertEqual(retained, 1)

    def test_past_quarters_and_years(self):
        quarters = [
            kpi_tools.period_bounds(date(2026, m, 1), "quarter") for m in (1, 7, 10)
        ]
        years = [kpi_tools.period_bounds(date(y, 1, 1), "year") for y in (2025, 2026)]
        self.assertEqual(
            self._values(["retention_rate", "scored_customers"], quarters + years),
            {
                # Q1 on 03-31, Q3 on 09-30 (Acme at risk), Q4 running: today;
                # 2025 before any purchase: no customer, no rate; 2026: today
                "retention_rate": [100.0, 100.0, 50.0, None, 50.0],
                "scored_customers": [2.0, 2.0, 2.0, 0.0, 2.0],
            },
        )

    def test_period_before_the_first_purchase(self):
        december_2025 = month(2025, 12)
        self.assertEqual(
            self._values(
                ["scored_customers", "retention_rate", "churn_rate", "average_clv"],
                [december_2025],
            ),
            {
                "scored_customers": [0.0],
                "retention_rate": [None],
                "churn_rate": [None],
                "average_clv": [None],
            },
        )

    def test_customer_back_after_churning(self):
        """Lost in March, active again after buying in May: each day's own state."""
        crane = self.env["res.partner"].create({"name": "Crane (pit)"})
        for day in ("2025-01-10", "2025-02-10", "2026-05-20"):
            self._invoice(crane, day, 100)
        self.Score.recompute(company_ids=self.company.ids, partner_ids=crane.ids)
        lost = self.env["crm.kpi"].create(
            {
                "name": "Crane lost (pit)",
                "measure": "count",
                "model_id": self.env["ir.model"]._get("crm.relationship.score").id,
                "domain": "[('partner_id', '=', %s)]" % crane.id,
                "date_mode": "as_of",
                "state_measure": "lost_customers",
                "company_field_id": self.kpis["lost_customers"].company_field_id.id,
            }
        )
        periods = [month(2025, 4), month(2026, 3), month(2026, 5)]
        owner = self._owner()
        values = lost._evaluate([owner], periods, "America/Los_Angeles")
        # 2025-04-30: at risk (79 days, interval 31); 2026-03-31: lost (414 days);
        # 2026-05-31: active again (11 days, interval now 247.5)
        self.assertEqual([values[lost.id, owner, p] for p in periods], [0, 1, 0])

    def test_other_company_has_its_own_customers_and_rule(self):
        november = month(2026, 11)
        names = ["scored_customers", "retention_rate", "average_clv"]
        self.assertEqual(
            {
                "here": self._values(names, [november]),
                "there": self._values(
                    names, [november], self._owner(company=self.company_2)
                ),
            },
            {
                # Acme's purchase in the other company does not bring it back here
                "here": {
                    "scored_customers": [2.0],
                    "retention_rate": [50.0],
                    "average_clv": [(600 + 1050) / 2],
                },
                # Dune stopped as Acme did, but is only at risk by its company's
                # rule; Acme bought there on 11-20
                "there": {
                    "scored_customers": [2.0],
                    "retention_rate": [100.0],
                    "average_clv": [(420 + 900) / 2],
                },
            },
        )

    # ------------------------------------------------------------
    # SPLITS PER OWNER
    # ------------------------------------------------------------

    def test_salesperson_of_the_day_from_the_score_history(self):
        """Bolt was Bob's when scored on 06-30, Alice's since today's scoring."""
        periods = [month(2026, 6), month(2026, 11), month(2026, 12)]
        names = ["scored_customers", "retention_rate"]
        self.assertEqual(
            {
                "alice": self._values(names, periods, self._owner("user", self.alice)),
                "bob": self._values(names, periods, self._owner("user", self.bob)),
                "sales": self._values(
                    names, periods, self._owner("department", self.sales)
                ),
                "service": self._values(
                    names, periods, self._owner("department", self.service)
                ),
            },
            {
                # June and November: the snapshot of 06-30; December: today's
                "alice": {
                    "scored_customers": [1.0, 1.0, 2.0],
                    "retention_rate": [100.0, 0.0, 50.0],
                },
                "bob": {
                    "scored_customers": [1.0, 1.0, 0.0],
                    "retention_rate": [100.0, 100.0, None],
                },
                "sales": {
                    "scored_customers": [1.0, 1.0, 2.0],
                    "retention_rate": [100.0, 0.0, 50.0],
                },
                "service": {
                    "scored_customers": [1.0, 1.0, 0.0],
                    "retention_rate": [100.0, 100.0, None],
                },
            },
        )

    def test_salesperson_before_any_snapshot_is_the_current_one(self):
        march = month(2026, 3)
        self.assertEqual(
            self._values(["scored_customers"], [march], self._owner("user", self.bob)),
            {"scored_customers": [0.0]},
        )
        self.assertEqual(
            self._values(
                ["scored_customers"], [march], self._owner("user", self.alice)
            ),
            {"scored_customers": [2.0]},
        )

    # ------------------------------------------------------------
    # LIFETIME VALUE, RECEIVABLES, LOYALTY
    # ------------------------------------------------------------

    def test_average_lifetime_value_of_the_day(self):
        periods = [month(2026, 3), month(2026, 5), month(2026, 11)]
        self.assertEqual(
            self._values(["average_clv"], periods),
            # March 300 each; May: Acme 500, Bolt 500 - 50 refunded; November:
            # Acme 600, Bolt 1100 - 50
            {"average_clv": [300.0, 475.0, 825.0]},
        )
        self.assertEqual(
            self._values(["average_clv"], periods, self._owner("user", self.alice)),
            # before the first snapshot (06-30) both are Alice's, as today; in
            # November Bolt is still Bob's by that snapshot
            {"average_clv": [300.0, 475.0, 600.0]},
        )

    def test_open_and_overdue_of_the_day(self):
        periods = [month(2026, 3), month(2026, 7), month(2026, 11), month(2026, 12)]
        self.assertEqual(
            self._values(
                ["open_invoice_amount", "overdue_amount", "overdue_ratio"], periods
            ),
            {
                # 03-31: both March invoices, paid 04-04, due 04-14; 07-31: Acme's
                # June one (due 07-15, never paid) and Bolt's July one; 11-30 the
                # same with Bolt's November; today: Bolt's paid 12-05
                "open_invoice_amount": [200.0, 200.0, 200.0, 100.0],
                "overdue_amount": [0.0, 100.0, 100.0, 100.0],
                "overdue_ratio": [0.0, 50.0, 50.0, 100.0],
            },
        )
        # per salesperson of the invoice
        self.assertEqual(
            self._values(
                ["overdue_ratio"], periods[1:3], self._owner("user", self.alice)
            ),
            {"overdue_ratio": [100.0, 100.0]},
        )
        bob = self._owner("user", self.bob)
        self.assertEqual(
            self._values(["overdue_ratio"], periods[1:3], bob),
            {"overdue_ratio": [0.0, 0.0]},
        )

    def test_loyalty_members_of_the_day(self):
        club = self.env["loyalty.program"].create(
            {"name": "Club (pit)", "program_type": "loyalty"}
        )
        acme_card, bolt_card = self.env["loyalty.card"].create(
            [
                {"program_id": club.id, "partner_id": self.acme.id},
                {"program_id": club.id, "partner_id": self.bolt.id},
            ]
        )
        # Acme's card issued 03-31 at 23:00 in Los Angeles (04-01 06:00 UTC)
        self._set_card_dates(acme_card, datetime(2026, 4, 1, 6, 0))
        # Bolt's issued in February, archived on 09-01 and written again since (a
        # message, a correction): a member to August, not after
        bolt_card.active = False
        self._set_card_dates(
            bolt_card,
            datetime(2026, 2, 1, 12, 0),
            datetime(2026, 11, 1, 12, 0),
            datetime(2026, 9, 1, 12, 0),
        )
        periods = [month(2026, 2), month(2026, 3), month(2026, 8), month(2026, 10)]
        self.assertEqual(
            self._values(["loyalty_members", "loyalty_member_share"], periods),
            {
                "loyalty_members": [1.0, 2.0, 2.0, 1.0],
                "loyalty_member_share": [50.0, 100.0, 100.0, 50.0],
            },
        )

    def test_archive_date_follows_the_active_flag(self):
        club = self.env["loyalty.program"].create(
            {"name": "Club (pit archive)", "program_type": "loyalty"}
        )
        card = self.env["loyalty.card"].create(
            {"program_id": club.id, "partner_id": self.acme.id}
        )
        self.assertFalse(card.archive_date)
        card.action_archive()
        self.assertEqual(card.archive_date, datetime(2026, 12, 6, 12, 0))
        card.points = 0  # a later change keeps the day it was archived
        self.assertEqual(card.archive_date, datetime(2026, 12, 6, 12, 0))
        card.action_unarchive()
        self.assertFalse(card.archive_date)

    def test_open_invoice_posted_in_a_locked_period(self):
        """March is locked (31 March), then an invoice of 40 dated 20 March is
        posted: Odoo books it on its first open day (today, 6 December). The
        closed months keep the figures they were reported with; December counts
        it, and it is overdue (due 19 April)."""
        self.company.fiscalyear_lock_date = date(2026, 3, 31)
        late = self._invoice(self.acme, "2026-03-20", 40)
        self.assertEqual(late.date, date(2026, 12, 6))
        periods = [month(2026, 3), month(2026, 7), month(2026, 11), month(2026, 12)]
        self.assertEqual(
            self._values(["open_invoice_amount", "overdue_amount"], periods),
            {
                "open_invoice_amount": [200.0, 200.0, 200.0, 140.0],
                "overdue_amount": [0.0, 100.0, 100.0, 140.0],
            },
        )

    def test_state_domain_with_period_bounds(self):
        """A state KPI whose domain names the period's bounds reads each period
        with its own: customers whose last purchase (today) is in or after the
        period. Acme last bought on 15 June, Bolt on 15 November."""
        kpi = self.kpis["scored_customers"].copy(
            {"domain": "[('last_invoice_date', '>=', period_start)]"}
        )
        self.kpis["bounded"] = kpi
        periods = [month(2026, number) for number in range(1, 13)]
        self.assertEqual(
            self._values(["bounded"], periods),
            {"bounded": [2.0] * 6 + [1.0] * 5 + [0.0]},
        )

    # ------------------------------------------------------------
    # ENGINE
    # ------------------------------------------------------------

    def test_one_query_per_kpi_whatever_the_periods(self):
        rate = self.kpis["retention_rate"]
        owner = self._owner()

        def queries(periods):
            self.env.invalidate_all()
            rate._evaluate([owner], periods, "UTC")  # warm the definitions
            # Odoo keeps environments weakly: one collected in between would come
            # back without its company, read again (one query, as the garbage
            # collector pleases)
            envs = list(self.env.transaction.envs)
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            rate._evaluate([owner], periods, "UTC")
            del envs
            return self.env.cr.sql_log_count - before

        one = queries([month(2026, 3)])
        twelve = queries([month(2026, n) for n in range(1, 13)])
        self.assertEqual(one, twelve)

    def test_state_definition_is_checked(self):
        Kpi = self.env["crm.kpi"]
        score_model = self.env["ir.model"]._get("crm.relationship.score")
        with self.assertRefused(ValidationError, "choose the measured state"):
            Kpi.create(
                {"name": "No state", "model_id": score_model.id, "date_mode": "as_of"}
            )
        with self.assertRefused(ValidationError, "is measured on"):
            Kpi.create(
                {
                    "name": "Wrong model",
                    "model_id": score_model.id,
                    "date_mode": "as_of",
                    "state_measure": "open_invoices",
                }
            )
        form = Form(Kpi)
        form.name = "Open (pit)"
        form.measure = "sum"
        form.date_mode = "as_of"
        form.state_measure = "open_invoices"
        self.assertEqual(form.model_id.model, "account.move")
        self.assertEqual(form.user_field_id.name, "invoice_user_id")
        kpi = form.save()
        self.assertFalse(kpi.field_id)

    def test_upgrade_moves_old_catalogue_definitions(self):
        retained = self.kpis["retained_customers"]
        retained.write(
            {
                "date_mode": "none",
                "state_measure": False,
                "domain": "[('churn_state', 'in', ('active', 'at_risk'))]",
            }
        )
        self.env["crm.kpi"]._upgrade_catalogue_states()
        self.assertEqual(
            (retained.date_mode, retained.state_measure, retained.domain),
            ("as_of", "retained_customers", "[]"),
        )

    # ------------------------------------------------------------
    # SCORECARDS
    # ------------------------------------------------------------

    def _card(self):
        return self.env["crm.scorecard"].create(
            {
                "name": "Retention (pit)",
                "line_ids": [
                    Command.create(
                        {"kpi_id": self.kpis["retention_rate"].id, "target": 90}
                    )
                ],
            }
        )

    def test_compute_any_past_period(self):
        card = self._card()
        line = card.line_ids
        self.assertEqual(card.compute("2026-03-01", "2026-03-31"), {line.id: 100.0})
        self.assertEqual(card.compute("2026-11-01", "2026-11-30"), {line.id: 50.0})

    def test_snapshots_record_each_month_its_own_value(self):
        values = self._card()._snapshot()
        by_month = {
            v.date_from: v.value if v.value_known else None
            for v in values.sorted("date_from")
        }
        self.assertEqual(list(by_month.values()), [None] + [100.0] * 9 + [50.0, 50.0])
        self.assertEqual(min(by_month), date(2025, 12, 1))

    def test_previous_and_last_year_columns(self):
        line = self._card().line_ids
        october = line.with_context(scorecard_date="2026-10-20")
        self.assertEqual(
            (
                october.value,
                october.previous_value_display,
                october.trend,
                october.last_year_value_display,
                october.trend_last_year,
            ),
            (50.0, "100.00 %", "down", "n/a", False),
        )
        # November against October: the same figure is flat
        november = line.with_context(scorecard_date="2026-11-20")
        self.assertEqual(
            (november.value, november.previous_value_display, november.trend),
            (50.0, "50.00 %", "flat"),
        )
        # and so from a stored snapshot (two decimals) against a live value
        self._card()._snapshot()
        september = line.with_context(scorecard_date="2026-09-20")
        self.assertEqual((september.value, september.trend), (100.0, "flat"))

    def test_trend_of_figures_that_read_alike(self):
        line = self._card().line_ids
        live = [f for f in line._fields.values() if f.compute == "_compute_live"]
        with self.env.protecting(live, line):
            # a live third against snapshots of 33.33 and 33.34
            line._set_live(100 / 3, 33.33, 33.34, line._goal())
        self.assertEqual((line.trend, line.trend_last_year), ("flat", "down"))
        self.assertEqual(kpi_tools.trend(0.1 + 0.2, 0.3), "flat")
        self.assertEqual(kpi_tools.trend(50.004, 50.0, 2), "flat")
        self.assertEqual(kpi_tools.trend(50.01, 50.0, 2), "up")
        self.assertEqual(kpi_tools.trend(1001.4, 1001.0, 0), "flat")
        self.assertIsNone(kpi_tools.trend(None, 50.0, 2))
