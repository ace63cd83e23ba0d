"""Attempts to break the product recommendations: interface edge cases, what counts
as a purchase, companies, the hold-out grade, the stored rows and who reads them, and
the recommended-product next action. Each test asserts the correct behaviour."""

import random
from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..tools import recommend
from .common import MANAGER, USER


class RecommendationBreakCommon(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.env.user.groups_id += cls.env.ref(
            "crm_relationship.group_relationship_manager"
        )
        cls.today = cls.company._crm_today()
        cls.day = cls.today - timedelta(days=200)
        Product = cls.env["product.product"]
        cls.a, cls.b, cls.c, cls.d, cls.e = Product.create(
            [{"name": f"P{n}", "type": "consu", "sale_ok": True} for n in "ABCDE"]
        )
        cls.Model = cls.env["crm.recommendation.model"]
        cls.Rows = cls.env["crm.product.recommendation"]

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------
    @classmethod
    def _customer(cls, name, **values):
        return cls.env["res.partner"].create(
            {"name": name, "is_company": True, **values}
        )

    @classmethod
    def _invoice(
        cls, partner, lines, day=None, company=None, post=True, move_type=None, **vals
    ):
        """``lines``: products (quantity 1) or ``(product, quantity, extra)``
        tuples."""
        if not isinstance(lines, list):
            lines = [(p, 1, {}) for p in lines]
        move = (
            cls.env["account.move"]
            .with_company(company or cls.company)
            .create(
                {
                    "move_type": move_type or "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": day or cls.day,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "quantity": qty,
                                "price_unit": 10.0,
                                **extra,
                            }
                        )
                        for product, qty, extra in lines
                    ],
                    **vals,
                }
            )
        )
        if post:
            move.action_post()
        return move

    def _reco(self, partner, limit=5, company=None):
        partner = partner.with_company(company or self.company)
        return partner._crm_recommended_products(limit=limit)[partner.id]

    def _pairs(self, products, count=3, company=None):
        for i in range(count):
            self._invoice(
                self._customer(f"Buyer {products.mapped('name')} {i}"),
                products,
                company=company,
            )

    def _stored(self, partner, company=None):
        return self.Rows.search(
            [
                ("partner_id", "=", partner.id),
                ("company_id", "=", (company or self.company).id),
            ],
            order="rank",
        )

    def _refund(self, invoice, day, lines=None):
        """A credit note reversing ``invoice`` on ``day``; ``lines``: values written
        on its product lines (partial refunds, other units)."""
        refund = invoice._reverse_moves([{"invoice_date": day}])
        if lines is not None:
            refund.invoice_line_ids.filtered("product_id").write(lines)
        refund.action_post()
        return refund


@tagged("post_install", "-at_install")
class TestRecommendationBreak(RecommendationBreakCommon):
    # ------------------------------------------------------------------
    # interface
    # ------------------------------------------------------------------
    def test_limit_zero_one_large(self):
        self._pairs(self.a + self.b, 3)
        self._pairs(self.a + self.c, 2)
        x = self._customer("X")
        self._invoice(x, self.a)
        self.assertEqual(self._reco(x, limit=0), [])
        self.assertEqual(self._reco(x, limit=1), [self.b.id])
        self.assertEqual(self._reco(x, limit=500), [self.b.id, self.c.id])

    def test_empty_recordset(self):
        self._pairs(self.a + self.b)
        self.assertEqual(self.env["res.partner"]._crm_recommended_products(), {})

    def test_other_company_purchases_never_leak(self):
        company_2 = self.setup_other_company(name="Break Co 2")["company"]
        self.env.user.company_ids += company_2
        self._pairs(self.a + self.b, 2)
        # in company 2 A goes with E, much more often
        self._pairs(self.a + self.e, 5, company=company_2)
        x = self._customer("X")
        self._invoice(x, self.a)
        self._invoice(x, self.c, company=company_2)
        self.assertEqual(self._reco(x), [self.b.id])
        # in company 2, X bought C only, never with anything
        self.assertEqual(self._reco(x, company=company_2), [])
        both = x.with_context(allowed_company_ids=[self.company.id, company_2.id])
        self.assertEqual(both._crm_recommended_products()[x.id], [self.b.id])
        self.Model.refresh(company_ids=(self.company + company_2).ids)
        self.assertEqual(self._stored(x).product_id, self.b)
        self.assertFalse(self._stored(x, company_2))
        # the 360 list of company 2 shows company 2's rows only
        self.assertFalse(x.with_company(company_2).crm_recommendation_ids)
        self.assertEqual(
            x.with_company(self.company).crm_recommendation_ids.product_id, self.b
        )

    def test_contact_invoiced_counts_for_its_company(self):
        self._pairs(self.a + self.b)
        x = self._customer("X")
        ann = self.env["res.partner"].create({"name": "Ann", "parent_id": x.id})
        # invoiced to the contact: the purchase is the company's
        self._invoice(ann, self.a)
        result = (x + ann).with_company(self.company)._crm_recommended_products()
        self.assertEqual(result, {x.id: [self.b.id], ann.id: [self.b.id]})
        self.Model.refresh(company_ids=self.company.ids)
        self.assertEqual(self._stored(x).product_id, self.b)
        self.assertFalse(self._stored(ann))
        self.assertEqual(ann.crm_recommendation_ids.product_id, self.b)

    def test_individual_is_its_own_commercial_entity(self):
        self._pairs(self.a + self.b)
        person = self.env["res.partner"].create({"name": "Solo", "is_company": False})
        self._invoice(person, self.a)
        self.assertEqual(self._reco(person), [self.b.id])

    # ------------------------------------------------------------------
    # what counts as a purchase
    # ------------------------------------------------------------------
    def test_archived_and_unsellable_products_never_recommended(self):
        self._pairs(self.a + self.b, 2)
        self._pairs(self.a + self.c, 3)
        self._pairs(self.a + self.d, 3)
        x = self._customer("X")
        self._invoice(x, self.a)
        self.c.active = False
        self.d.product_tmpl_id.sale_ok = False
        self.assertEqual(self._reco(x), [self.b.id])
        self.Model.refresh(company_ids=self.company.ids)
        self.assertEqual(self._stored(x).product_id, self.b)

    def test_service_products_are_products(self):
        support = self.env["product.product"].create(
            {"name": "Support", "type": "service", "sale_ok": True}
        )
        self._pairs(self.a + support)
        x = self._customer("X")
        self._invoice(x, self.a)
        self.assertEqual(self._reco(x), [support.id])

    def test_variants_are_recommended_not_templates(self):
        size = self.env["product.attribute"].create(
            {
                "name": "Size",
                "value_ids": [Command.create({"name": n}) for n in ("S", "L")],
            }
        )
        shirt = self.env["product.template"].create(
            {
                "name": "Shirt",
                "sale_ok": True,
                "attribute_line_ids": [
                    Command.create(
                        {
                            "attribute_id": size.id,
                            "value_ids": [Command.set(size.value_ids.ids)],
                        }
                    )
                ],
            }
        )
        small, large = shirt.product_variant_ids
        self._pairs(self.a + large)
        self._pairs(self.b + small)
        x = self._customer("X")
        self._invoice(x, self.a)
        self.assertEqual(self._reco(x), [large.id])

    def test_draft_and_cancelled_invoices_ignored(self):
        self._pairs(self.a + self.b)
        x = self._customer("X")
        self._invoice(x, self.a, post=False)
        cancelled = self._invoice(x, self.c)
        cancelled.button_draft()
        cancelled.button_cancel()
        self.assertEqual(self._reco(x), [])

    def test_partial_credit_note_keeps_the_purchase(self):
        self._pairs(self.a + self.b)
        x = self._customer("X")
        invoice = self._invoice(x, [(self.a, 3, {})])
        self._refund(invoice, self.day + timedelta(days=10), {"quantity": 1})
        self.assertEqual(self._reco(x), [self.b.id])

    def test_full_refund_on_another_day_removes_the_purchase(self):
        self._pairs(self.a + self.b)
        self._pairs(self.a + self.c)
        x = self._customer("X")
        invoice = self._invoice(x, self.a + self.c)
        self._invoice(x, self.a + self.b, day=self.day + timedelta(days=5))
        # the whole first invoice refunded 40 days later: A bought on one day only
        # (not regular any more, so offered again), C not bought (offered)
        self._refund(invoice, self.day + timedelta(days=40))
        recommended = self._reco(x)
        self.assertIn(self.a.id, recommended)
        self.assertIn(self.c.id, recommended)
        # the stored rows say the same, C because of A
        self.Model.refresh(company_ids=self.company.ids)
        rows = self._stored(x)
        self.assertEqual(rows.product_id.ids, recommended)
        self.assertEqual(
            rows.filtered(lambda r: r.product_id == self.c).because_product_id, self.a
        )

    def test_foreign_currency_invoice_counts(self):
        eur = self.setup_other_currency("EUR")
        self._pairs(self.a + self.b)
        x = self._customer("X")
        self._invoice(x, self.a, currency_id=eur.id)
        self.assertEqual(self._reco(x), [self.b.id])

    def test_partial_refund_in_other_unit_keeps_the_purchase(self):
        """1 dozen invoiced, 6 units refunded: 6 units remain bought."""
        self._pairs(self.a + self.b)
        x = self._customer("X")
        dozen, unit = (
            self.env.ref("uom.product_uom_dozen"),
            self.env.ref("uom.product_uom_unit"),
        )
        invoice = self._invoice(x, [(self.a, 1, {"product_uom_id": dozen.id})])
        self._refund(
            invoice,
            self.day + timedelta(days=3),
            {"product_uom_id": unit.id, "quantity": 6, "price_unit": 10.0},
        )
        self.assertEqual(self._reco(x), [self.b.id])

    def test_full_refund_in_other_unit_removes_the_purchase(self):
        """12 units invoiced, 1 dozen refunded: nothing remains bought."""
        self._pairs(self.a + self.b)
        x = self._customer("X")
        dozen, unit = (
            self.env.ref("uom.product_uom_dozen"),
            self.env.ref("uom.product_uom_unit"),
        )
        invoice = self._invoice(x, [(self.a, 12, {"product_uom_id": unit.id})])
        self._refund(
            invoice,
            self.day + timedelta(days=3),
            {"product_uom_id": dozen.id, "quantity": 1, "price_unit": 120.0},
        )
        self.assertEqual(self._reco(x), [])

    def test_negative_quantity_lines_are_not_purchases(self):
        self._pairs(self.a + self.b)
        self._pairs(self.c + self.d)
        x = self._customer("X")
        # A bought and returned on the same invoice; C only returned
        self._invoice(
            x,
            [(self.e, 2, {}), (self.a, 1, {}), (self.a, -1, {}), (self.c, -1, {})],
        )
        self.assertEqual(self._reco(x), [])

    def test_lines_without_product_are_ignored(self):
        self._pairs(self.a + self.b)
        x = self._customer("X")
        self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": x.id,
                "invoice_date": self.day,
                "invoice_line_ids": [
                    Command.create({"product_id": self.a.id, "price_unit": 10.0}),
                    Command.create({"name": "Freight", "price_unit": 5.0}),
                ],
            }
        ).action_post()
        self.assertEqual(self._reco(x), [self.b.id])

    def test_down_payments_are_not_products(self):
        deposit = self.env["product.product"].create(
            {"name": "Deposit", "type": "service", "sale_ok": True}
        )
        for i in range(3):
            self._invoice(
                self._customer(f"Deposit buyer {i}"),
                [(self.a, 1, {}), (deposit, 1, {"is_downpayment": True})],
            )
        x = self._customer("X")
        self._invoice(x, self.a)
        self.assertEqual(self._reco(x), [])

    def test_loyalty_reward_lines_are_not_products(self):
        program = self.env["loyalty.program"].create(
            {
                "name": "Ten off",
                "program_type": "promotion",
                "reward_ids": [
                    Command.create({"reward_type": "discount", "discount": 10})
                ],
            }
        )
        reward_product = program.reward_ids.discount_line_product_id
        self.assertTrue(reward_product)
        reward_product.sale_ok = True
        for i in range(3):
            self._invoice(
                self._customer(f"Promo buyer {i}"),
                [(self.a, 1, {}), (reward_product, 1, {"price_unit": -1.0})],
            )
        x = self._customer("X")
        self._invoice(x, self.a)
        self.assertEqual(self._reco(x), [])

    def test_same_product_twice_on_one_day_is_not_regular(self):
        self._pairs(self.a + self.b)
        y = self._customer("Y")
        self._invoice(y, self.a + self.b)
        self._invoice(y, self.a)
        self.assertIn(self.a.id, self._reco(y))

    def test_same_product_on_two_days_is_regular(self):
        self._pairs(self.a + self.b)
        y = self._customer("Y")
        self._invoice(y, self.a + self.b)
        self._invoice(y, self.a, day=self.day + timedelta(days=1))
        self.assertEqual(self._reco(y), [self.b.id])
        self.Model.refresh(company_ids=self.company.ids)
        self.assertEqual(self._stored(y).product_id, self.b)

    # ------------------------------------------------------------------
    # shapes of the catalogue
    # ------------------------------------------------------------------
    def test_ties_go_to_the_lower_id_whatever_the_name(self):
        later, earlier = self.env["product.product"].create(
            [{"name": "AAA later"}, {"name": "ZZZ earlier"}]
        )
        self.assertLess(later.id, earlier.id)
        self._pairs(self.a + earlier, 2)
        self._pairs(self.a + later, 2)
        x = self._customer("X")
        self._invoice(x, self.a)
        self.assertEqual(self._reco(x), [later.id, earlier.id])
        self.assertEqual(self._reco(x, limit=1), [later.id])

    def test_catalogue_of_one_product(self):
        company_2 = self.setup_other_company(name="Break Co One")["company"]
        self.env.user.company_ids += company_2
        self._pairs(self.a, 4, company=company_2)
        x = self._customer("X")
        self._invoice(x, self.a, company=company_2)
        self.assertEqual(self._reco(x, company=company_2), [])
        model = self.Model._refresh_company(company_2)
        self.assertEqual(model.product_count, 1)
        self.assertEqual(model.recommendation_count, 0)
        self.assertEqual(model.grade, "C")

    def test_customer_who_bought_everything(self):
        self._pairs(self.a + self.b + self.c)
        once = self._customer("Once")
        self._invoice(once, self.a + self.b + self.c)
        self.assertEqual(self._reco(once), [self.a.id, self.b.id, self.c.id])
        always = self._customer("Always")
        self._invoice(always, self.a + self.b + self.c)
        self._invoice(
            always, self.a + self.b + self.c, day=self.day + timedelta(days=1)
        )
        self.assertEqual(self._reco(always), [])

    # ------------------------------------------------------------------
    # grade
    # ------------------------------------------------------------------
    def test_grade_exactly_one_and_a_half_times_is_a(self):
        # 3 hits of 20 against 2 of 20: exactly 1.5 times
        self.assertEqual(recommend.grade(3 / 20, 2 / 20, 20), "A")

    def test_grade_exactly_one_point_one_times_is_b(self):
        # 11 hits of 100 against 10 of 100: exactly 1.1 times
        self.assertEqual(recommend.grade(11 / 100, 10 / 100, 100), "B")

    def test_grade_needs_twenty_evaluated(self):
        self.assertEqual(recommend.grade(1.0, 0.1, 19), "C")
        self.assertEqual(recommend.grade(1.0, 0.1, 20), "A")
        self.assertEqual(recommend.grade(0.0, 0.0, 50), "C")
        self.assertEqual(recommend.grade(0.5, 0.0, 50), "A")

    def test_hold_out_cut_in_the_company_time_zone(self):
        # 12:00 UTC on 1 March is 02:00 on 2 March in Kiritimati (UTC+14); 05:00 UTC
        # is 18:00 on 28 February in Pago Pago (UTC-11)
        self.company.partner_id.tz = "Pacific/Kiritimati"
        with freeze_time("2026-03-01 12:00:00"):
            model = self.Model._refresh_company(self.company)
        self.assertEqual(model.date_cutoff, date(2026, 3, 2) - timedelta(days=90))
        self.company.partner_id.tz = "Pacific/Pago_Pago"
        with freeze_time("2026-03-01 05:00:00"):
            model = self.Model._refresh_company(self.company)
        self.assertEqual(model.date_cutoff, date(2026, 2, 28) - timedelta(days=90))

    # ------------------------------------------------------------------
    # stored rows
    # ------------------------------------------------------------------
    def test_refresh_twice_is_idempotent(self):
        self._pairs(self.a + self.b + self.c)
        self._pairs(self.a + self.d, 2)
        x = self._customer("X")
        self._invoice(x, self.a)
        self.Model.refresh(company_ids=self.company.ids)
        first = self.Rows.search([])
        snapshot = [(r.id, r.partner_id.id, r.rank, r.product_id.id) for r in first]
        self.Model.refresh(company_ids=self.company.ids)
        self.Model._cron_refresh()
        second = self.Rows.search([])
        self.assertEqual(
            [(r.id, r.partner_id.id, r.rank, r.product_id.id) for r in second], snapshot
        )
        self.assertEqual(
            self.Model.search_count([("company_id", "=", self.company.id)]), 1
        )
        for partner in second.partner_id:
            ranks = self._stored(partner).mapped("rank")
            self.assertEqual(ranks, list(range(1, len(ranks) + 1)))
        self.assertEqual(
            self._stored(x).product_id.ids, [self.b.id, self.c.id, self.d.id]
        )

    def test_refresh_removes_rows_when_purchases_vanish(self):
        self._pairs(self.a + self.b)
        x, y = self._customer("X"), self._customer("Y")
        invoice_x = self._invoice(x, self.a)
        invoice_y = self._invoice(y, self.a)
        self.Model.refresh(company_ids=self.company.ids)
        self.assertTrue(self._stored(x))
        self.assertTrue(self._stored(y))
        self._refund(invoice_x, self.day + timedelta(days=2))
        invoice_y.button_draft()
        self.Model.refresh(company_ids=self.company.ids)
        self.assertFalse(self._stored(x))
        self.assertFalse(self._stored(y))
        self.assertEqual(self._reco(x), [])

    def test_stored_rows_agree_with_live(self):
        rng = random.Random(16)
        products = self.a + self.b + self.c + self.d + self.e
        products += self.env["product.product"].create(
            [{"name": f"R{i}", "sale_ok": True} for i in range(5)]
        )
        customers = self.env["res.partner"].create(
            [{"name": f"Random {i}", "is_company": True} for i in range(25)]
        )
        for customer in customers:
            for _visit in range(rng.randint(1, 3)):
                picked = rng.sample(list(products), rng.randint(1, 4))
                self._invoice(
                    customer,
                    self.env["product.product"].concat(*picked),
                    day=self.today - timedelta(days=rng.randint(1, 300)),
                )
        self.Model.refresh(company_ids=self.company.ids)
        live = customers.with_company(self.company)._crm_recommended_products(limit=5)
        for customer in customers:
            rows = self._stored(customer)
            self.assertEqual(
                rows.mapped("product_id").ids, live[customer.id], customer.name
            )
            self.assertEqual(rows.mapped("rank"), list(range(1, len(rows) + 1)))

    # ------------------------------------------------------------------
    # access
    # ------------------------------------------------------------------
    def test_access(self):
        company_2 = self.setup_other_company(name="Break Co Access")["company"]
        self._pairs(self.a + self.b)
        x = self._customer("X")
        self._invoice(x, self.a)
        self.Model.refresh(company_ids=self.company.ids)
        user = new_test_user(self.env, login="brk_user", groups=USER)
        outsider = new_test_user(
            self.env,
            login="brk_outsider",
            groups=MANAGER,
            company_id=company_2.id,
            company_ids=[Command.set(company_2.ids)],
        )
        portal = new_test_user(self.env, login="brk_portal", groups="base.group_portal")
        rows = self.Rows.with_user(user).search([("partner_id", "=", x.id)])
        self.assertEqual(rows.product_id, self.b)
        model = self.Model.with_user(user).search([])
        self.assertEqual(model.company_id, self.company)
        with self.assertRaises(AccessError):
            rows.write({"rank": 3})
        with self.assertRaises(AccessError):
            rows.unlink()
        with self.assertRaises(AccessError):
            self.Rows.with_user(user).create(
                {
                    "partner_id": x.id,
                    "company_id": self.company.id,
                    "product_id": self.c.id,
                    "rank": 9,
                }
            )
        with self.assertRaises(AccessError):
            model.write({"grade": "A"})
        with self.assertRaises(AccessError):
            model.action_refresh()
        with self.assertRaises(AccessError):
            self.Model.with_user(user)._cron_refresh()
        # another company's manager: nothing of this company, live or stored
        self.assertFalse(self.Rows.with_user(outsider).search([]))
        self.assertFalse(self.Model.with_user(outsider).search([]))
        self.assertEqual(x.with_user(outsider)._crm_recommended_products()[x.id], [])
        self.assertFalse(x.with_user(outsider).crm_recommendation_ids)
        # a portal user: no access at all
        for Model in (self.Rows, self.Model):
            with self.assertRaises(AccessError):
                Model.with_user(portal).search([])
        with self.assertRaises(AccessError):
            x.with_user(portal).read(["crm_recommendation_ids"])


@tagged("post_install", "-at_install")
class TestRecommendedProductActionBreak(RecommendationBreakCommon):
    """The recommended-product next action reads the stored rows."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Action = cls.env["crm.next.action"]
        cls.Rule = cls.env["crm.next.action.rule"]
        cls.Rule.search([]).active = False
        cls.env["hr.department"].create(
            {"name": "Sales", "crm_function": "sales", "company_id": cls.company.id}
        )
        cls.rule = cls.Rule.create(
            {"name": "Offer", "kind": "recommended_product", "control_share": 0}
        )

    def _state(self, partner, churn_state):
        # sudo: score rows are the recompute's; made by hand here
        Score = self.env["crm.relationship.score"].sudo()
        row = Score.search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.company.id)]
        )
        if row:
            row.churn_state = churn_state
        else:
            Score.create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "churn_state": churn_state,
                }
            )

    def _proposed(self, partner):
        return self.Action.search(
            [
                ("rule_id", "=", self.rule.id),
                ("partner_id", "=", partner.id),
                ("state", "=", "proposed"),
            ]
        )

    def _generate(self):
        self.Action._cron_generate(self.company)

    def test_rank_one_for_active_customers_only(self):
        self._pairs(self.a + self.b, 3)
        self._pairs(self.a + self.c, 2)
        active, at_risk, unscored = (
            self._customer("Active"),
            self._customer("At risk"),
            self._customer("Unscored"),
        )
        for partner in active + at_risk + unscored:
            self._invoice(partner, self.a)
        self._state(active, "active")
        self._state(at_risk, "at_risk")
        self.Model.refresh(company_ids=self.company.ids)
        self._generate()
        action = self._proposed(active)
        self.assertEqual(action.product_id, self.b)
        self.assertEqual(action.because_product_id, self.a)
        self.assertFalse(self._proposed(at_risk))
        self.assertFalse(self._proposed(unscored))

    def test_not_proposed_when_the_recommendation_vanished(self):
        self._pairs(self.a + self.b)
        x = self._customer("X")
        invoice = self._invoice(x, self.a)
        self._state(x, "active")
        self.Model.refresh(company_ids=self.company.ids)
        self._generate()
        action = self._proposed(x)
        self.assertEqual(action.product_id, self.b)
        self._refund(invoice, self.day + timedelta(days=1))
        self.Model.refresh(company_ids=self.company.ids)
        self._generate()
        self.assertFalse(self._proposed(x))
        self.assertEqual(action.state, "expired")

    def test_archived_product_not_proposed(self):
        """The product archived (or no longer for sale) after the night's refresh
        must not be offered by the next action generated from the stored rows."""
        self._pairs(self.a + self.b)
        x = self._customer("X")
        self._invoice(x, self.a)
        self._state(x, "active")
        self.Model.refresh(company_ids=self.company.ids)
        self.b.active = False
        self._generate()
        self.assertFalse(self._proposed(x).filtered(lambda a: a.product_id == self.b))
