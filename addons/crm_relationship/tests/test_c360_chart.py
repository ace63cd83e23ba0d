from collections import defaultdict
from datetime import date

from babel.dates import format_date as babel_format_date
from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..tools.demo_generator import DemoDataGenerator
from .common import RelationshipScoringCommon

# 12:00 UTC on 31 January is 01:00 on 1 February in Auckland (UTC+13 in summer)
NOW_UTC = "2026-01-31 12:00:00"
# the current month in Auckland, and the first of the chart's 24
THIS_MONTH = date(2026, 2, 1)
FIRST_MONTH = date(2024, 3, 1)


@tagged("post_install", "-at_install")
class TestC360ChartSeries(RelationshipScoringCommon):
    """The 360's chart on invoices made by hand, in a company of Auckland: every
    figure can be worked out from the table below (amounts untaxed).

    =================  ===========  =======================================
    document           date         counted
    =================  ===========  =======================================
    invoice Acme       2024-02-29   no: the month before the first
    invoice Acme       2024-03-01   first month (index 0)
    invoice Acme       2026-01-10   January, 1000
    credit note Acme   2026-01-20   January, -300
    invoice buyer      2026-01-20   January (the contact's counts), 200
    invoice buyer      2026-02-01   February, the current month in Auckland
    invoice Acme       2026-01-10   no: in company 2
    =================  ===========  =======================================
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Pacific/Auckland"
        cls.company_2 = cls.setup_other_company()["company"]
        Partner = cls.env["res.partner"]
        cls.acme = Partner.create({"name": "Acme", "is_company": True})
        cls.buyer = Partner.create({"name": "Acme buyer", "parent_id": cls.acme.id})
        cls.other = Partner.create({"name": "Other", "is_company": True})
        with freeze_time(NOW_UTC):
            cls._invoice(cls.acme, "2024-02-29", 40.0)
            cls._invoice(cls.acme, "2024-03-01", 60.0)
            cls._invoice(cls.acme, "2026-01-10", 1000.0)
            cls._invoice(cls.acme, "2026-01-20", 300.0, move_type="out_refund")
            cls._invoice(cls.buyer, "2026-01-20", 200.0)
            cls._invoice(cls.buyer, "2026-02-01", 80.0)
            cls._invoice(cls.acme, "2026-01-10", 5000.0, company=cls.company_2)
            cls._invoice(cls.other, "2026-01-10", 7000.0)
        # sudo: the history is written by the scoring only
        History = cls.env["crm.relationship.score.history"].sudo()
        snapshots = [
            # two snapshots in January: the last one is the month's
            (cls.company, "2026-01-05", 40.0, "D"),
            (cls.company, "2026-01-31", 55.0, "C"),
            (cls.company, "2025-06-30", 70.0, "B"),
            # another company's history is not this company's
            (cls.company_2, "2025-12-31", 99.0, "A"),
        ]
        History.create(
            [
                {
                    "partner_id": cls.acme.id,
                    "company_id": company.id,
                    "snapshot_date": day,
                    "health_score": health,
                    "tier": tier,
                }
                for company, day, health, tier in snapshots
            ]
        )

    def _series(self, partner=None, lang=None):
        partner = (partner or self.acme).with_context(lang=lang or "en_US")
        with freeze_time(NOW_UTC):
            return partner._c360_chart_series()[partner.id]

    def test_revenue_per_month(self):
        series = self._series()
        revenue = series["revenue"]
        self.assertEqual(len(revenue), 24)
        self.assertEqual(revenue[0], 60.0)
        # January: 1000 - 300 + the contact's 200; company 2's invoice left out
        self.assertEqual(revenue[22], 900.0)
        self.assertEqual(revenue[23], 80.0)
        self.assertEqual(sum(revenue), 1040.0)
        self.assertEqual(series["currency_id"], self.company.currency_id.id)

    def test_months_in_the_company_time_zone_and_user_language(self):
        series = self._series()
        self.assertEqual(series["months"][0], "Mar 24")
        self.assertEqual(series["months"][-1], "Feb 26")
        self.env["res.lang"]._activate_lang("fr_FR")
        french = self._series(lang="fr_FR")["months"]
        self.assertEqual(
            french[-1], babel_format_date(THIS_MONTH, "MMM yy", locale="fr_FR")
        )
        self.assertNotEqual(french[-1], "Feb 26")

    def test_purchases_are_invoice_days(self):
        purchases = self._series()["purchases"]
        self.assertEqual(
            [(p["month"], p["amount"]) for p in purchases],
            # the credit note is no purchase; 20 January: the contact's invoice
            [(0, 60.0), (22, 1000.0), (22, 200.0), (23, 80.0)],
        )
        self.assertEqual(purchases[0]["date"], "03/01/2024")

    def test_health_and_tier_from_the_history(self):
        series = self._series()
        health, tier = series["health"], series["tier"]
        self.assertEqual(health[22], 55.0)
        self.assertEqual(tier[22], "C")
        self.assertEqual(health[15], 70.0)
        self.assertEqual(tier[15], "B")
        # December: company 2's snapshot is not shown
        self.assertIsNone(health[21])
        self.assertEqual(sum(1 for value in health if value is not None), 2)

    def test_contact_sees_its_company(self):
        self.assertEqual(self._series(self.buyer), self._series(self.acme))

    def test_set_based(self):
        partners = self.acme | self.buyer | self.other
        with freeze_time(NOW_UTC):
            # the series of any number of partners in a fixed number of queries
            partners._c360_chart_series()
            partners.invalidate_recordset()
            self.env.invalidate_all()
            with self.assertQueryCount(10):
                series = partners._c360_chart_series()
        self.assertEqual(series[self.other.id]["revenue"][22], 7000.0)
        self.assertEqual(series[self.buyer.id]["revenue"][22], 900.0)

    def test_other_company_sees_its_own(self):
        partner = self.acme.with_company(self.company_2)
        with freeze_time(NOW_UTC):
            series = partner._c360_chart_series()[partner.id]
        self.assertEqual(sum(series["revenue"]), 5000.0)
        # company 2 keeps UTC: at the same moment its current month is January
        self.assertEqual(series["months"][-1], "Jan 26")
        self.assertEqual(series["revenue"][-1], 5000.0)
        self.assertEqual(series["tier"][-2], "A")

    def test_rpc_is_for_relationship_users(self):
        outsider = new_test_user(
            self.env, login="c360_outsider", groups="base.group_user"
        )
        with self.assertRaises(AccessError):
            self.acme.with_user(outsider).c360_chart_data()
        reader = new_test_user(
            self.env,
            login="c360_reader",
            groups="base.group_user,crm_relationship.group_relationship_user",
        )
        with freeze_time(NOW_UTC):
            data = self.acme.with_user(reader).c360_chart_data()
        # a relationship user without accounting rights sees the invoiced figures
        self.assertEqual(data["revenue"][22], 900.0)


@tagged("post_install", "-at_install")
class TestC360ChartGenerated(TransactionCase):
    """On a small company of the shared generator, the series equal the posted
    invoices and credit notes added up per customer and month in Python."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = cls.env.company._crm_today()
        generator = DemoDataGenerator(cls.env, seed=11, date_ref=cls.today)
        generator.generate(customers=6, months=12)
        cls.customers = generator.records["customers"]

    def test_series_equal_the_invoices(self):
        customers = self.customers
        series = customers._c360_chart_series()
        first = self.today.replace(day=1) - relativedelta(months=23)
        moves = self.env["account.move"].search(
            [
                ("partner_id", "child_of", customers.ids),
                ("company_id", "=", self.env.company.id),
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "out_refund")),
            ]
        )
        self.assertTrue(moves.filtered(lambda m: m.move_type == "out_refund"))
        expected = defaultdict(lambda: [0.0] * 24)
        days = defaultdict(lambda: defaultdict(float))
        for move in moves:
            month = move.invoice_date.replace(day=1)
            index = (month.year - first.year) * 12 + month.month - first.month
            if 0 <= index < 24:
                partner = move.commercial_partner_id.id
                expected[partner][index] += move.amount_untaxed_signed
                if move.move_type == "out_invoice":
                    days[partner][move.invoice_date] += move.amount_untaxed_signed
        self.assertEqual(len(series), len(customers))
        for customer in customers:
            got = series[customer.id]
            for index in range(24):
                self.assertAlmostEqual(
                    got["revenue"][index], expected[customer.id][index], places=2
                )
            self.assertEqual(
                [round(p["amount"], 2) for p in got["purchases"]],
                [round(days[customer.id][day], 2) for day in sorted(days[customer.id])],
            )

    def test_loyalty_progress(self):
        series = self.customers._c360_chart_series()
        cards = self.env["loyalty.card"].search(
            [
                ("partner_id", "in", self.customers.ids),
                ("program_id.program_type", "=", "loyalty"),
                ("program_id.tier_ids", "!=", False),
            ]
        )
        self.assertTrue(cards, "the generator gives some customers a tiered card")
        for card in cards:
            loyalty = series[card.partner_id.id]["loyalty"]
            self.assertEqual(loyalty["tier"], card.tier_id.name or False)
            self.assertEqual(loyalty["next_tier"], card.next_tier_id.name or False)
            self.assertAlmostEqual(loyalty["missing"], card.next_tier_missing)
            if card.next_tier_id:
                self.assertAlmostEqual(
                    loyalty["threshold"] - loyalty["value"], card.next_tier_missing
                )
            self.assertTrue(0.0 <= loyalty["percent"] <= 100.0)
