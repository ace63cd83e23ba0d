from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.crm_relationship.tests.common import RelationshipScoringCommon

SCORED_ON = date(2026, 6, 30)


@tagged("post_install", "-at_install")
class TestPartialDefection(RelationshipScoringCommon):
    """Revenue of the 12 months to 2026-06-30 against the 12 before, credit notes
    netted, per company:

    ========  =========================  ==============================  ========
    customer  2024-07-01 .. 2025-06-30   2025-07-01 .. 2026-06-30        change
    ========  =========================  ==============================  ========
    falling   1000                       600 invoice - 100 credit note   -50 %
    steady    1000                       800                             -20 %
    gone      1000                       credit note of 50 only          -105 %
    new       (none)                     300                             empty
    falling   400 in company 2           380 in company 2                -5 %
    ========  =========================  ==============================  ========
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company()["company"]
        Partner = cls.env["res.partner"]
        cls.falling, cls.steady, cls.gone, cls.new = Partner.create(
            [{"name": name} for name in ("Falling", "Steady", "Gone", "New")]
        )
        # older than 24 months: not counted
        cls._invoice(cls.falling, date(2024, 5, 1), 5000)
        for partner in (cls.falling, cls.steady, cls.gone):
            cls._invoice(partner, date(2025, 3, 1), 1000)
        cls._invoice(cls.falling, date(2026, 1, 10), 600)
        cls._invoice(cls.falling, date(2026, 2, 1), 100, move_type="out_refund")
        cls._invoice(cls.steady, date(2026, 5, 2), 800)
        cls._invoice(cls.gone, date(2025, 8, 1), 50, move_type="out_refund")
        cls._invoice(cls.new, date(2026, 4, 1), 300)
        cls._invoice(cls.falling, date(2025, 1, 5), 400, company=cls.company_2)
        cls._invoice(cls.falling, date(2026, 3, 5), 380, company=cls.company_2)
        # after the reference date: not counted
        cls._invoice(cls.steady, date(2026, 7, 2), 9999)
        cls.Score.recompute(
            company_ids=(cls.company | cls.company_2).ids, date_ref=SCORED_ON
        )

    def test_spend_change_and_flag(self):
        falling = self._score(self.falling)
        self.assertAlmostEqual(falling.spend_change, -50.0)
        self.assertTrue(falling.partial_defection)
        steady = self._score(self.steady)
        self.assertAlmostEqual(steady.spend_change, -20.0)
        self.assertFalse(steady.partial_defection)
        # no invoice in the last 12 months: gone, not partly
        gone = self._score(self.gone)
        self.assertAlmostEqual(gone.spend_change, -105.0)
        self.assertFalse(gone.partial_defection)
        new = self._score(self.new)
        self.assertFalse(new.spend_change)
        self.assertFalse(new.partial_defection)
        # the same customer in the other company, on that company's invoices only
        other = self._score(self.falling, self.company_2)
        self.assertAlmostEqual(other.spend_change, -5.0)
        self.assertFalse(other.partial_defection)
        flagged = self.Score.search(
            [
                ("partial_defection", "=", True),
                ("company_id", "in", (self.company | self.company_2).ids),
            ]
        )
        self.assertEqual(flagged, falling)

    def test_share_is_a_company_setting(self):
        self.company.partial_defection_share = 0.15
        self.Score.recompute(company_ids=self.company.ids, date_ref=SCORED_ON)
        self.assertTrue(self._score(self.steady).partial_defection)
        # the other company keeps its 30 %
        self.assertFalse(self._score(self.falling, self.company_2).partial_defection)
        with self.assertRaises(ValidationError):
            self.company.partial_defection_share = 1.5

    def test_marked_customer_rescore_updates_only_its_row(self):
        self.Score.recompute(
            company_ids=self.company.ids,
            partner_ids=self.steady.ids,
            date_ref=SCORED_ON,
        )
        self.assertTrue(self._score(self.falling).partial_defection)
        self.assertAlmostEqual(self._score(self.steady).spend_change, -20.0)
