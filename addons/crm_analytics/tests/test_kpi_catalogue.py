from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.crm_relationship.tests.common import (
    DepartmentCase,
    RelationshipScoringCommon,
)

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
JULY = (date(2026, 7, 1), date(2026, 7, 31))  # nothing is dated in July
SCORED_ON = date(2026, 3, 31)
SELLER = "base.group_user,sales_team.group_sale_salesman"
CATALOGUE = (
    "revenue",
    "receivable_balance",
    "dso",
    "open_invoice_amount",
    "overdue_amount",
    "overdue_ratio",
    "average_clv",
    "new_customers",
    "scored_customers",
    "retained_customers",
    "lost_customers",
    "retention_rate",
    "churn_rate",
    "satisfaction",
    "nps",
    "survey_response_rate",
    "csat",
    "ces",
    "loyalty_members",
    "loyalty_member_share",
    "won_opportunities",
    "closed_opportunities",
    "win_rate",
    "open_pipeline",
    "pipeline_coverage",
    "deliveries",
    "on_time_deliveries",
    "on_time_delivery_rate",
    "complaint_resolution_time",
    "first_response_time",
    "winbacks_won",
    "winbacks_closed",
    "winback_rate",
)


@tagged("post_install", "-at_install")
class TestKpiCatalogue(RelationshipScoringCommon, DepartmentCase):
    """Every KPI of the shipped catalogue against figures worked out by hand.

    Five customers of the test company, measured in March 2026 (UTC) and in an
    empty July; relationship scores as of 2026-03-31. Alice (Sales) and Bob
    (Service) sell and handle complaints; Carol (Sales) has nothing of her own.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the accountant of the invoicing tests also reads the pipeline and the
        # deliveries, and sets up loyalty programs
        cls.env.user.groups_id += cls.env.ref(
            "sales_team.group_sale_manager"
        ) + cls.env.ref("stock.group_stock_user")
        cls.company.partner_id.tz = "UTC"
        cls.company_2 = cls.setup_other_company()["company"]
        cls.kpis = {
            name: cls.env.ref(f"crm_analytics.kpi_{name}") for name in CATALOGUE
        }

        Department = cls.env["hr.department"]
        cls.sales = Department.create({"name": "Sales (kpi)"})
        cls.service = Department.create({"name": "Service (kpi)"})
        cls.alice = cls._person("kpi.alice", SELLER, cls.sales)
        cls.bob = cls._person("kpi.bob", SELLER, cls.service)
        cls.carol = cls._person("kpi.carol", SELLER, cls.sales)
        cls.team = cls.env["crm.team"].create(
            {"name": "Team (kpi)", "company_id": cls.company.id}
        )

        Partner = cls.env["res.partner"]
        cls.acme, cls.bolt, cls.crane, cls.dune, cls.echo = Partner.create(
            [
                {
                    "name": f"{name} (kpi)",
                    "is_company": True,
                    "user_id": user.id,
                    # complaints are rated by email
                    "email": f"{name.lower()}@example.com",
                }
                for name, user in (
                    ("Acme", cls.alice),
                    ("Bolt", cls.bob),
                    ("Crane", cls.alice),
                    ("Dune", cls.bob),
                    ("Echo", cls.alice),
                )
            ]
        )
        cls.ann = Partner.create({"name": "Ann (kpi)", "parent_id": cls.acme.id})

        cls._setup_invoices()
        cls._setup_opportunities()
        cls._setup_deliveries()
        cls._setup_complaints()
        cls._setup_loyalty()
        cls.Score.recompute(
            company_ids=(cls.company | cls.company_2).ids, date_ref=SCORED_ON
        )

    # ------------------------------------------------------------
    # FIXTURES
    # ------------------------------------------------------------

    @classmethod
    def _setup_invoices(cls):
        """Invoices untaxed, 30-day terms: due 30 days after their date."""
        alice, bob = {"invoice_user_id": cls.alice.id}, {"invoice_user_id": cls.bob.id}
        # before March: Dune never paid (due 2025-02-09), Echo paid at once
        cls._invoice(cls.dune, "2025-01-10", 800, **bob)
        echo = cls._invoice(cls.echo, "2025-09-01", 250, **alice)
        cls._pay(echo, "2025-09-10")
        february = cls._invoice(cls.acme, "2026-02-10", 400, **alice)  # due 03-12
        # March
        paid = cls._invoice(cls.acme, "2026-03-05", 1000, **alice)
        cls._pay(paid, "2026-03-20")
        cls._invoice(cls.bolt, "2026-03-10", 500, **bob)  # due 04-09
        partly = cls._invoice(cls.crane, "2026-03-15", 300, **alice)  # due 04-14
        cls._pay(partly, "2026-03-25", amount=100)
        refund = cls._invoice(cls.acme, "2026-03-25", 200, "out_refund", **alice)
        # the credit note settles half of Acme's February invoice
        (february | refund).line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        ).reconcile()
        cls._invoice(cls.acme, "2026-03-12", 9999, state="draft", **alice)
        # April (due 05-05), and another company's sale to Acme in March
        cls._invoice(cls.bolt, "2026-04-05", 700, **bob)
        cls._invoice(cls.acme, "2026-03-10", 5000, company=cls.company_2)

    @classmethod
    def _opportunity(cls, user, outcome=None, closed=None, **values):
        lead = cls.env["crm.lead"].create(
            {
                "name": f"{user.name} {outcome or 'open'}",
                "type": "opportunity",
                "partner_id": cls.acme.id,
                "user_id": user.id,
                "team_id": cls.team.id,
                **values,
            }
        )
        if outcome == "won":
            lead.action_set_won()
        elif outcome == "lost":
            lead.action_set_lost()
        if closed:
            lead.date_closed = closed
        return lead

    @classmethod
    def _setup_opportunities(cls):
        alice, bob = cls.alice, cls.bob
        # won and lost, with their closing dates pinned
        cls._opportunity(
            alice,
            "won",
            "2026-03-10 10:00:00",
            expected_revenue=1000,
            date_deadline="2026-03-10",
        )
        cls._opportunity(alice, "won", "2026-03-20 15:00:00")
        cls._opportunity(
            alice,
            "lost",
            "2026-03-25 09:00:00",
            expected_revenue=700,
            date_deadline="2026-03-25",
        )
        cls._opportunity(bob, "won", "2026-03-05 11:00:00")
        cls._opportunity(bob, "lost", "2026-03-15 11:00:00")
        cls._opportunity(bob, "lost", "2026-03-28 11:00:00")
        cls._opportunity(alice, "won", "2026-02-27 11:00:00")  # February
        cls._opportunity(bob, "lost", "2026-04-02 11:00:00")  # April
        # open, expected to close in March or later
        cls._opportunity(alice, expected_revenue=3000, date_deadline="2026-03-30")
        cls._opportunity(bob, expected_revenue=1000, date_deadline="2026-03-15")
        cls._opportunity(alice, expected_revenue=5000, date_deadline="2026-04-15")
        cls._opportunity(
            alice, type="lead", expected_revenue=999, date_deadline="2026-03-20"
        )  # a lead is no opportunity
        # win-back campaigns: one won, two lost in March, one running
        cls._opportunity(bob, "won", "2026-03-18 11:00:00", is_winback=True)
        cls._opportunity(alice, "lost", "2026-03-22 11:00:00", is_winback=True)
        cls._opportunity(bob, "lost", "2026-03-26 11:00:00", is_winback=True)
        cls._opportunity(alice, is_winback=True)
        # the other company's
        cls._opportunity(
            cls.env.user,
            "won",
            "2026-03-12 11:00:00",
            team_id=False,
            company_id=cls.company_2.id,
        )

    @classmethod
    def _setup_deliveries(cls):
        # (customer, done, scheduled, deadline)
        first = cls._deliver(
            cls.acme, "2026-03-03 10:00:00", "2026-03-05 10:00:00"
        )  # early
        cls._deliver(cls.bolt, "2026-03-12 10:00:00", "2026-03-10 10:00:00")  # late
        cls._deliver(
            cls.crane,
            "2026-03-20 10:00:00",
            "2026-03-15 10:00:00",
            deadline="2026-03-25 10:00:00",
        )  # after its scheduled date, before its deadline: on time
        cls._deliver(
            cls.acme, "2026-03-28 17:00:00", "2026-03-28 08:00:00"
        )  # on the day: on time
        cls._deliver(
            cls.dune,
            "2026-03-10 10:00:00",
            "2026-03-01 10:00:00",
            deadline="2026-03-05 10:00:00",
        )  # late
        cls._deliver(cls.acme, "2026-02-20 10:00:00", "2026-02-20 10:00:00")
        cls._return(first, "2026-03-08 10:00:00")  # a return is no delivery

    @classmethod
    def _complaint(
        cls, partner, user, department, received, answered, closed=None, **values
    ):
        with freeze_time(received):
            complaint = cls.env["crm.complaint"].create(
                {
                    "name": f"Complaint of {partner.name}",
                    "partner_id": partner.id,
                    "user_id": user.id,
                    "department_id": department.id,
                    "date_received": received,
                    **values,
                }
            )
        with freeze_time(answered):
            complaint.action_respond()
        if closed:
            with freeze_time(closed):
                complaint.action_close()
        return complaint

    @classmethod
    def _setup_complaints(cls):
        # hours to the first response / to closing in the comments
        rated_5 = cls._complaint(
            cls.acme,
            cls.alice,
            cls.sales,
            "2026-03-02 09:00:00",
            "2026-03-02 11:00:00",  # 2 h
            "2026-03-03 09:00:00",  # 24 h
        )
        rated_3 = cls._complaint(
            cls.bolt,
            cls.bob,
            cls.service,
            "2026-03-10 08:00:00",
            "2026-03-10 12:00:00",  # 4 h
            "2026-03-12 08:00:00",  # 48 h
        )
        cls._complaint(
            cls.crane,
            cls.bob,
            cls.service,
            "2026-02-27 10:00:00",
            "2026-03-01 10:00:00",  # 48 h, answered in March
            "2026-03-07 10:00:00",  # 192 h, not rated
        )
        rated_1 = cls._complaint(
            cls.dune,
            cls.alice,
            cls.sales,
            "2026-02-10 10:00:00",
            "2026-02-10 16:00:00",  # all in February
            "2026-02-20 10:00:00",
        )
        cls._complaint(
            cls.acme,
            cls.alice,
            cls.sales,
            "2026-03-20 09:00:00",
            "2026-03-20 10:00:00",  # 1 h, still open
        )
        elsewhere = cls._complaint(
            cls.acme,
            cls.env.user,
            cls.env["hr.department"],
            "2026-03-05 09:00:00",
            "2026-03-05 19:00:00",  # 10 h
            "2026-03-06 09:00:00",  # 24 h
            company_id=cls.company_2.id,
        )  # the other company's
        for complaint, rate in (
            (rated_5, 5),
            (rated_3, 3),
            (rated_1, 1),
            (elsewhere, 1),
        ):
            complaint.rating_apply(rate, token=complaint.rating_ids[:1].access_token)

    @classmethod
    def _setup_loyalty(cls):
        Program = cls.env["loyalty.program"]
        club = Program.create({"name": "Club (kpi)", "program_type": "loyalty"})
        vouchers = Program.create({"name": "Vouchers (kpi)", "program_type": "coupons"})
        prospect = cls.env["res.partner"].create({"name": "Prospect (kpi)"})
        cards = cls.env["loyalty.card"].create(
            [
                # Acme through its contact, and Crane: members
                {"program_id": club.id, "partner_id": cls.ann.id},
                {"program_id": club.id, "partner_id": cls.crane.id},
                # no customer yet: no score to count
                {"program_id": club.id, "partner_id": prospect.id},
                # a coupon is no membership
                {"program_id": vouchers.id, "partner_id": cls.bolt.id},
            ]
        )
        # issued before March: membership is read as of the period's end, and the
        # database dates a record with its own clock, which freezegun does not move
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                "UPDATE loyalty_card SET create_date = %s WHERE id = ANY(%s)",
                datetime(2026, 2, 1, 9, 0),
                cards.ids,
            )
        )
        cards.invalidate_recordset(["create_date"])

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _owner(self, owner_type, record, company=None):
        company = company or self.company
        return (owner_type, record.id, company.id)

    def _values(self, owner, names, period=MARCH):
        """``{name: value}`` of these catalogue KPIs, rounded to read the diffs."""
        kpis = self.env["crm.kpi"].browse([self.kpis[name].id for name in names])
        values = kpis._evaluate([owner], [period], "UTC")
        result = {}
        for name in names:
            value = values[self.kpis[name].id, owner, period]
            result[name] = None if value is None else round(value, 4)
        return result

    def _assert_kpis(self, owner, expected, period=MARCH):
        expected = {
            name: None if value is None else round(float(value), 4)
            for name, value in expected.items()
        }
        self.assertEqual(self._values(owner, list(expected), period), expected)

    @property
    def company_owner(self):
        return self._owner("company", self.company)

    # ------------------------------------------------------------
    # TESTS
    # ------------------------------------------------------------

    def test_catalogue_is_covered(self):
        shipped = self.env["ir.model.data"].search(
            [("module", "=", "crm_analytics"), ("model", "=", "crm.kpi")]
        )
        self.assertEqual(
            {xmlid.name.removeprefix("kpi_") for xmlid in shipped}, set(CATALOGUE)
        )

    def test_fixtures_are_what_the_figures_assume(self):
        """The documents behind the figures, so a wrong figure is the KPI's."""
        Move = self.env["account.move"]
        states = dict(
            Move._read_group(
                [
                    ("partner_id", "in", (self.acme | self.bolt | self.crane).ids),
                    ("company_id", "=", self.company.id),
                    ("invoice_date", "=", "2026-03-05"),
                ],
                ["payment_state"],
                ["__count"],
            )
        )
        self.assertEqual(states, {"paid": 1})
        scores = [
            self._score(p)
            for p in (self.acme, self.bolt, self.crane, self.dune, self.echo)
        ]
        self.assertEqual(
            [s.churn_state for s in scores],
            ["active", "active", "active", "lost", "at_risk"],
        )
        self.assertEqual(
            [s.clv_historical for s in scores], [1200.0, 500.0, 300.0, 800.0, 250.0]
        )
        lost = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search([("team_id", "=", self.team.id), ("active", "=", False)])
        )
        self.assertEqual(set(lost.mapped("probability")), {0.0})
        self.assertEqual(lost.company_id, self.company)

    def test_financial(self):
        self._assert_kpis(
            self.company_owner,
            {
                # 1000 + 500 + 300 - 200 (credit note); not the draft, not April,
                # not the 5000 of the other company
                "revenue": 1600,
                # dated up to 03-31: Dune 800 + Acme Feb 400 + Acme 1000 - 1000 paid
                # + Bolt 500 + Crane 300 - 100 paid - 200 credit note + Echo 250 - 250
                "receivable_balance": 1700,
                # 1700 / 1600 * 31 days
                "dso": 1700 / 1600 * 31,
                # Acme 1200 (400 + 1000 - 200), Bolt 500, Crane 300, Dune 800,
                # Echo 250: 3050 / 5
                "average_clv": 610,
            },
        )

    @freeze_time("2026-04-10 12:00:00")
    def test_open_and_overdue_at_the_end_of_the_period(self):
        self._assert_kpis(
            self.company_owner,
            {
                # on 03-31: Dune 800 + Acme Feb 400 - 200 credited (03-25) + Bolt 500
                # + Crane 300 - 100 paid (03-25); Acme's March invoice paid 03-20,
                # Bolt's April one not issued yet
                "open_invoice_amount": 1700,
                # due before 03-31: Dune 800 (2025-02-09), Acme Feb 200 (03-12)
                "overdue_amount": 1000,
                "overdue_ratio": 1000 / 1700 * 100,
            },
        )
        # April, still running on 04-10: read as of today
        self._assert_kpis(
            self.company_owner,
            {
                # + Bolt April 700
                "open_invoice_amount": 2400,
                # due before 04-10: + Bolt 500 (04-09); not Crane (04-14) nor Bolt
                # April (05-05)
                "overdue_amount": 1500,
                "overdue_ratio": 1500 / 2400 * 100,  # 62.5 %
            },
            period=(date(2026, 4, 1), date(2026, 4, 30)),
        )

    def test_customers(self):
        self._assert_kpis(
            self.company_owner,
            {
                "new_customers": 2,  # Bolt 03-10, Crane 03-15 (Acme: 02-10)
                "scored_customers": 5,  # not Acme's row in the other company
                "retained_customers": 4,  # Acme, Bolt, Crane active; Echo at risk
                "lost_customers": 1,  # Dune, 445 days since its only purchase
                "retention_rate": 80,  # 4 / 5
                "churn_rate": 20,  # 1 / 5
                "loyalty_members": 2,  # Acme through Ann, Crane
                "loyalty_member_share": 40,  # 2 / 5
            },
        )

    def test_complaints(self):
        self._assert_kpis(
            self.company_owner,
            {
                "satisfaction": 4,  # (5 + 3) / 2; Crane's is not rated
                "complaint_resolution_time": 88,  # (24 + 48 + 192) / 3
                "first_response_time": 13.75,  # (2 + 4 + 48 + 1) / 4
            },
        )

    def test_complaints_per_department(self):
        self._assert_kpis(
            self._owner("department", self.sales),
            {
                "satisfaction": 5,
                "complaint_resolution_time": 24,
                "first_response_time": 1.5,  # (2 + 1) / 2
            },
        )
        self._assert_kpis(
            self._owner("department", self.service),
            {
                "satisfaction": 3,
                "complaint_resolution_time": 120,  # (48 + 192) / 2
                "first_response_time": 26,  # (4 + 48) / 2
            },
        )

    def test_opportunities(self):
        self._assert_kpis(
            self.company_owner,
            {
                # Alice 2, Bob 1, Bob's win-back 1; not February's
                "won_opportunities": 4,
                # those 4 + Alice 1 lost, Bob 2 lost, 2 win-backs lost; not April's
                "closed_opportunities": 9,
                "win_rate": 4 / 9 * 100,
                # open, due in March: 3000 + 1000; not the won 1000, the lost 700,
                # the lead's 999 nor April's 5000
                "open_pipeline": 4000,
                "pipeline_coverage": 4000 / 1600,  # 2.5 x
            },
        )

    def test_winbacks(self):
        self._assert_kpis(
            self.company_owner,
            {
                "winbacks_won": 1,
                "winbacks_closed": 3,  # the running one is not closed
                "winback_rate": 1 / 3 * 100,
            },
        )

    def test_deliveries(self):
        self._assert_kpis(
            self.company_owner,
            {
                "deliveries": 5,  # not February's, not the return
                "on_time_deliveries": 3,  # early, by the deadline, on the day
                "on_time_delivery_rate": 60,
            },
        )

    def test_split_per_salesperson(self):
        self._assert_kpis(
            self._owner("user", self.alice),
            {
                "revenue": 1100,  # 1000 + 300 - 200
                "won_opportunities": 2,
                "closed_opportunities": 4,  # + 1 lost, 1 win-back lost
                "win_rate": 50,
                "open_pipeline": 3000,
            },
        )
        self._assert_kpis(
            self._owner("user", self.bob),
            {
                "revenue": 500,
                "won_opportunities": 2,  # 1 + 1 win-back
                "closed_opportunities": 5,  # + 2 lost, 1 win-back lost
                "win_rate": 40,
                "open_pipeline": 1000,
            },
        )
        # nothing closed: the win rate cannot be said, the revenue is zero
        self._assert_kpis(
            self._owner("user", self.carol),
            {"revenue": 0, "closed_opportunities": 0, "win_rate": None},
        )

    def test_revenue_per_department_through_its_people(self):
        self._assert_kpis(
            self._owner("department", self.sales), {"revenue": 1100}
        )  # Alice's, Carol has none
        self._assert_kpis(self._owner("department", self.service), {"revenue": 500})

    def test_other_company_does_not_count(self):
        other = self._owner("company", self.company_2, self.company_2)
        self._assert_kpis(
            other,
            {
                "revenue": 5000,
                "receivable_balance": 5000,
                "scored_customers": 1,
                "new_customers": 1,
                "average_clv": 5000,
                "won_opportunities": 1,
                "closed_opportunities": 1,
                "satisfaction": 1,
                "complaint_resolution_time": 24,
                "first_response_time": 10,
                "deliveries": 0,
            },
        )

    def test_loyalty_of_the_other_company_does_not_count(self):
        """A card of one company's program makes no member of another company."""
        club = self.env["loyalty.program"].create(
            {
                "name": "Club of the other company (kpi)",
                "program_type": "loyalty",
                "company_id": self.company_2.id,
            }
        )
        self.env["loyalty.card"].create(
            {"program_id": club.id, "partner_id": self.dune.id}
        )
        names = ["loyalty_members", "loyalty_member_share"]
        other = self._owner("company", self.company_2, self.company_2)
        self.assertEqual(
            {
                "this company": self._values(self.company_owner, names),
                "other company": self._values(other, names),
            },
            {
                # still Acme through Ann, and Crane, of 5: Dune is a member of the
                # other company's club only
                "this company": {"loyalty_members": 2.0, "loyalty_member_share": 40.0},
                # Acme, the other company's only customer, holds a card of this
                # company's club only
                "other company": {"loyalty_members": 0.0, "loyalty_member_share": 0.0},
            },
        )

    def test_period_without_data(self):
        """Counts and sums are zero, averages and ratios cannot be said."""
        self._assert_kpis(
            self.company_owner,
            {
                "revenue": 0,
                "new_customers": 0,
                "won_opportunities": 0,
                "closed_opportunities": 0,
                "open_pipeline": 0,
                "deliveries": 0,
                "on_time_deliveries": 0,
                "winbacks_won": 0,
                "winbacks_closed": 0,
                "satisfaction": None,
                "complaint_resolution_time": None,
                "first_response_time": None,
                "dso": None,
                "win_rate": None,
                "pipeline_coverage": None,
                "on_time_delivery_rate": None,
                "winback_rate": None,
                # a balance carries over: 1700 + Bolt's April 700
                "receivable_balance": 2400,
                # states are those of 07-31: Acme (usual interval 23 days, none
                # for 148) and Bolt (26, none for 117) are lost by then, as Dune;
                # Crane is active, Echo at risk
                "scored_customers": 5,
                "retention_rate": 40,
            },
            period=JULY,
        )

    def test_scorecard_shows_na_when_the_denominator_is_zero(self):
        card = self.env["crm.scorecard"].create(
            {
                "name": "Company (kpi)",
                "line_ids": [
                    Command.create({"kpi_id": self.kpis["win_rate"].id, "target": 50}),
                    Command.create({"kpi_id": self.kpis["revenue"].id, "target": 2000}),
                ],
            }
        )
        self.assertEqual(card.owner_name, self.company.name)
        win_rate, revenue = card.line_ids
        march = card.compute(*MARCH)
        self.assertAlmostEqual(march[win_rate.id], 4 / 9 * 100)
        self.assertEqual(march[revenue.id], 1600)
        self.assertEqual(card.compute(*JULY), {win_rate.id: None, revenue.id: 0.0})
        july = card.line_ids.with_context(scorecard_date="2026-07-15")
        self.assertEqual(july[0].value_display, "n/a")
        self.assertFalse(july[0].value_known)
        self.assertTrue(july[1].value_known)
        # Carol's own scorecard: no opportunity closed in March
        carol = self.env["crm.scorecard"].create(
            {
                "name": "Carol (kpi)",
                "owner_type": "user",
                "user_id": self.carol.id,
                "line_ids": [
                    Command.create({"kpi_id": self.kpis["win_rate"].id, "target": 50})
                ],
            }
        )
        line = carol.line_ids.with_context(scorecard_date="2026-03-15")
        self.assertEqual(line.value_display, "n/a")
        self.assertEqual(carol.compute(*MARCH), {line.id: None})
