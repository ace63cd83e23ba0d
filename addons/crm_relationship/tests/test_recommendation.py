"""Product recommendations from posted invoices: co-purchase, exclusions, companies,
the grade on a hold-out, and who may read them."""

from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import MANAGER, USER


@tagged("post_install", "-at_install")
class TestRecommendation(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        # the accountant of the invoicing tests also refreshes the recommendations
        cls.env.user.groups_id += cls.env.ref(
            "crm_relationship.group_relationship_manager"
        )
        cls.today = cls.company._crm_today()
        cls.day = cls.today - timedelta(days=200)
        Product = cls.env["product.product"]
        cls.a, cls.b, cls.c, cls.d, cls.e = Product.create(
            [{"name": name, "type": "consu", "sale_ok": True} for name in "ABCDE"]
        )
        cls.Model = cls.env["crm.recommendation.model"]

    @classmethod
    def _customer(cls, name, **values):
        return cls.env["res.partner"].create(
            {"name": name, "is_company": True, **values}
        )

    @classmethod
    def _invoice(cls, partner, products, day=None, company=None):
        move = (
            cls.env["account.move"]
            .with_company(company or cls.company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": day or cls.day,
                    "invoice_line_ids": [
                        Command.create(
                            {"product_id": p.id, "quantity": 1, "price_unit": 10.0}
                        )
                        for p in products
                    ],
                }
            )
        )
        move.action_post()
        return move

    def _recommended(self, partner, company=None):
        partner = partner.with_company(company or self.company)
        return partner._crm_recommended_products(limit=5)[partner.id]

    def _together(self, count=3, products=None):
        for i in range(count):
            self._invoice(
                self._customer(f"Pair buyer {i}"), products or self.a + self.b
            )

    # ------------------------------------------------------------------
    def test_bought_together_is_recommended(self):
        self._together()
        self._invoice(self._customer("C buyer"), self.c)
        x = self._customer("X")
        self._invoice(x, self.a)
        # live: no refresh has run
        self.assertEqual(self._recommended(x), [self.b.id])
        # the refresh stores the same, with its reason
        self.Model.refresh(company_ids=self.company.ids)
        rows = self.env["crm.product.recommendation"].search(
            [("partner_id", "=", x.id)]
        )
        self.assertEqual(rows.product_id, self.b)
        self.assertEqual(rows.because_product_id, self.a)
        self.assertEqual(rows.rank, 1)
        self.assertEqual(rows.co_customers, 3)
        # cos(A, B) = 3 / sqrt(4 x 3)
        self.assertAlmostEqual(rows.score, round(3 / 12**0.5, 3))
        self.assertEqual(x.crm_recommendation_ids, rows)
        # X then buys B once, and another customer B and D: A and B (each bought
        # once by X, so offered again) tie at cos = 4 / sqrt(4 x 5), the lower id
        # first; D follows at 1 / sqrt(5). The stored rows follow on the refresh.
        self._invoice(x, self.b)
        self._invoice(self._customer("B and D"), self.b + self.d)
        self.assertEqual(self._recommended(x), [self.a.id, self.b.id, self.d.id])
        self.Model.refresh(company_ids=self.company.ids)
        rows = self.env["crm.product.recommendation"].search(
            [("partner_id", "=", x.id)]
        )
        self.assertEqual(rows.product_id.ids, [self.a.id, self.b.id, self.d.id])
        self.assertEqual(rows.because_product_id.ids, [self.b.id, self.a.id])
        self.assertEqual(rows.mapped("rank"), [1, 2, 3])

    def test_no_purchase_no_recommendation(self):
        self._together()
        self.assertEqual(self._recommended(self._customer("New")), [])

    def test_regular_product_is_not_recommended(self):
        self._together()
        self._invoice(self._customer("A and C"), self.a + self.c)
        y = self._customer("Y")
        self._invoice(y, self.a)
        self._invoice(y, self.a, day=self.day + timedelta(days=7))
        self._invoice(y, self.b)
        recommended = self._recommended(y)
        # A bought on two days: regular, never offered; B bought once may come back
        self.assertNotIn(self.a.id, recommended)
        self.assertIn(self.c.id, recommended)

    def test_refunded_purchase_does_not_count(self):
        self._together()
        r = self._customer("R")
        invoice = self._invoice(r, self.a + self.d)
        invoice._reverse_moves(
            [{"invoice_date": self.day + timedelta(days=3)}], cancel=True
        )
        x = self._customer("X")
        self._invoice(x, self.a)
        self.assertEqual(self._recommended(r), [])
        self.assertEqual(self._recommended(x), [self.b.id])

    def test_other_company_does_not_leak(self):
        company_2 = self.setup_other_company(name="Second Co")["company"]
        self.env.user.company_ids += company_2
        self._together()
        for i in range(3):
            self._invoice(self._customer(f"B2 {i}"), self.a + self.e, company=company_2)
        x = self._customer("X")
        self._invoice(x, self.a)
        self.assertEqual(self._recommended(x), [self.b.id])
        self.assertEqual(self._recommended(x, company_2), [])
        self.Model.refresh(company_ids=(self.company + company_2).ids)
        rows = self.env["crm.product.recommendation"].search(
            [("partner_id", "=", x.id)]
        )
        self.assertEqual(rows.company_id, self.company)

    def test_contacts_map_to_the_commercial_partner(self):
        self._together()
        x = self._customer("X")
        contact = self.env["res.partner"].create({"name": "Ann", "parent_id": x.id})
        self._invoice(x, self.a)
        result = (x + contact).with_company(self.company)._crm_recommended_products()
        self.assertEqual(result, {x.id: [self.b.id], contact.id: [self.b.id]})

    def test_grade_on_the_hold_out(self):
        """Before the cut-off (today - 90 days): three customers buy A and B,
        two C and D, one C, one A, five buy F1..F6 together (the most popular).
        In the hold-out the C buyer buys D and the A buyer buys B: both are the
        model's first offer (hits); the baseline offers F1..F5 (misses). A new
        customer and a customer re-buying its regular product are not evaluated."""
        fillers = self.env["product.product"].create(
            [{"name": f"F{i}", "type": "consu"} for i in range(1, 7)]
        )
        before = self.today - timedelta(days=120)
        during = self.today - timedelta(days=30)
        self._together()
        for name in ("CD 1", "CD 2"):
            self._invoice(self._customer(name), self.c + self.d, before)
        c_buyer, a_buyer = self._customer("C only"), self._customer("A only")
        self._invoice(c_buyer, self.c, before)
        self._invoice(a_buyer, self.a, before)
        for i in range(5):
            self._invoice(self._customer(f"Filler {i}"), fillers, before)
        regular = self._customer("Regular")
        self._invoice(regular, self.c, before)
        self._invoice(regular, self.c, before + timedelta(days=1))
        self._invoice(regular, self.c, during)
        self._invoice(self._customer("Newcomer"), self.a, during)
        self._invoice(c_buyer, self.d, during)
        self._invoice(a_buyer, self.b, during)

        model = self.Model._refresh_company(self.company)
        self.assertEqual(model.date_cutoff, self.today - timedelta(days=90))
        self.assertEqual(model.evaluated_count, 2)
        self.assertEqual(model.hit_rate, 1.0)
        self.assertEqual(model.baseline_hit_rate, 0.0)
        # two customers are too few to tell
        self.assertEqual(model.grade, "C")
        self.assertEqual(model.product_count, 10)
        self.assertIn("too few", model.explanation)

    def test_access_per_group(self):
        company_2 = self.setup_other_company(name="Second Co")["company"]
        self._together()
        x = self._customer("X")
        self._invoice(x, self.a)
        self.Model.refresh(company_ids=self.company.ids)
        user = new_test_user(self.env, login="reco_user", groups=USER)
        manager = new_test_user(self.env, login="reco_manager", groups=MANAGER)
        outsider = new_test_user(
            self.env,
            login="reco_outsider",
            groups=MANAGER,
            company_id=company_2.id,
            company_ids=[Command.set(company_2.ids)],
        )
        Rows = self.env["crm.product.recommendation"]
        rows = Rows.with_user(user).search([("partner_id", "=", x.id)])
        self.assertEqual(rows.product_id, self.b)
        self.assertEqual(self.Model.with_user(user).search([]).company_id, self.company)
        with self.assertRaises(AccessError):
            rows.write({"rank": 3})
        with self.assertRaises(AccessError):
            self.Model.with_user(user).refresh(company_ids=self.company.ids)
        self.assertFalse(Rows.with_user(outsider).search([]))
        self.assertFalse(self.Model.with_user(outsider).search([]))
        # a manager refreshes from the button
        self.Model.with_user(manager).action_refresh()
        self.assertEqual(Rows.search([("partner_id", "=", x.id)]).product_id, self.b)
