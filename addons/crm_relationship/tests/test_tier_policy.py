"""Serving each customer by their tier: delivery priority and reservation, payment
terms and credit limit on tier changes, credit holds and their release.

Worked values: the amounts, dates and days below are chosen so that each figure
can be checked by hand.
"""

from datetime import timedelta

import psycopg2
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import RelationshipScoringCommon


@tagged("post_install", "-at_install")
class TierPolicyCommon(RelationshipScoringCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Policy = cls.env["crm.tier.policy"]
        cls.term_45 = cls.env.ref("account.account_payment_term_45days")
        cls.term_now = cls.env.ref("account.account_payment_term_immediate")
        cls.goods.is_storable = True
        cls.goods.list_price = 100.0
        cls.customer_a = cls.env["res.partner"].create(
            {"name": "Anna Ltd", "is_company": True}
        )
        cls.customer_c = cls.env["res.partner"].create(
            {"name": "Carl Ltd", "is_company": True}
        )
        cls.customer_f = cls.env["res.partner"].create(
            {"name": "Fritz Ltd", "is_company": True}
        )
        cls.contact_f = cls.env["res.partner"].create(
            {"name": "Frida", "parent_id": cls.customer_f.id}
        )
        cls.salesperson = new_test_user(
            cls.env,
            login="seller",
            groups="sales_team.group_sale_salesman,"
            "crm_relationship.group_relationship_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        Department = cls.env["hr.department"]
        cls.finance = Department.create(
            {"name": "Finance", "company_id": cls.company.id}
        )
        cls.sales = Department.create({"name": "Sales", "company_id": cls.company.id})
        cls.logistics = Department.create(
            {"name": "Logistics", "company_id": cls.company.id}
        )
        cls.finance_head = cls._person("fin.head", cls.finance)
        cls.sales_head = cls._person("sales.head", cls.sales)
        cls.env["hr.employee"].create(
            {
                "name": "seller",
                "user_id": cls.salesperson.id,
                "department_id": cls.sales.id,
                "company_id": cls.company.id,
            }
        )

    @classmethod
    def _person(cls, login, department):
        user = new_test_user(
            cls.env,
            login=login,
            groups="base.group_user,crm_relationship.group_department_head",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.env["hr.employee"].create(
            {
                "name": login,
                "user_id": user.id,
                "department_id": department.id,
                "company_id": cls.company.id,
            }
        )
        return user

    @classmethod
    def _tier(cls, customer, tier, company=None):
        """Give the customer a score row in ``tier`` (or move the row to it)."""
        company = company or cls.company
        # sudo: score rows are written by the recompute only; the test sets the tier
        Score = cls.env["crm.relationship.score"].sudo()
        row = Score.search(
            [("partner_id", "=", customer.id), ("company_id", "=", company.id)]
        )
        if row:
            row.write({"tier": tier})
        else:
            Score.create(
                {"partner_id": customer.id, "company_id": company.id, "tier": tier}
            )

    @classmethod
    def _overdue_invoice(cls, customer, days, amount=1000.0, **values):
        """A posted invoice due ``days`` days ago (30-day terms)."""
        due = fields.Date.today() - timedelta(days=days)
        return cls._invoice(customer, due - timedelta(days=30), amount, **values)

    @classmethod
    def _order(cls, customer, user=None, qty=1, company=None):
        env = cls.env(user=user) if user else cls.env
        company = company or cls.company
        return (
            env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": customer.id,
                    "company_id": company.id,
                    "user_id": (user or cls.salesperson).id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": cls.goods.id,
                                "product_uom_qty": qty,
                                "price_unit": 100.0,
                                "tax_id": [],
                            }
                        )
                    ],
                }
            )
        )


@tagged("post_install", "-at_install")
class TestTierDelivery(TierPolicyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Policy.create({"tier": "A", "delivery_priority": "1"})
        cls.Policy.create({"tier": "C", "delivery_priority": "0"})
        cls._tier(cls.customer_a, "A")
        cls._tier(cls.customer_c, "C")
        cls.stock = cls.warehouse.lot_stock_id

    def _receive(self, qty):
        """A validated receipt of ``qty`` crates into the warehouse's stock."""
        receipt_type = self.warehouse.in_type_id
        receipt = self.env["stock.picking"].create(
            {
                "picking_type_id": receipt_type.id,
                "location_id": self.env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": self.stock.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": "Crate",
                            "product_id": self.goods.id,
                            "product_uom_qty": qty,
                            "location_id": self.env.ref(
                                "stock.stock_location_suppliers"
                            ).id,
                            "location_dest_id": self.stock.id,
                        }
                    )
                ],
            }
        )
        receipt.action_confirm()
        receipt.move_ids.quantity = qty
        receipt.move_ids.picked = True
        receipt.button_validate()

    def test_a_customer_order_is_delivered_urgent(self):
        order_a = self._order(self.customer_a)
        order_c = self._order(self.customer_c)
        (order_a | order_c).action_confirm()
        self.assertEqual(order_a.picking_ids.priority, "1")
        self.assertEqual(order_a.picking_ids.move_ids.priority, "1")
        self.assertEqual(order_a.picking_ids.crm_tier, "A")
        self.assertEqual(order_a.crm_tier, "A")
        self.assertEqual(order_c.picking_ids.priority, "0")
        self.assertEqual(order_c.picking_ids.crm_tier, "C")

    def test_customer_without_tier_or_policy_is_served_as_odoo_does(self):
        untiered = self.env["res.partner"].create({"name": "Newcomer"})
        self._tier(self.customer_f, "F")  # no policy for F
        orders = self._order(untiered) | self._order(self.customer_f)
        orders.action_confirm()
        self.assertEqual(orders.picking_ids.mapped("priority"), ["0", "0"])
        self.assertFalse(orders[0].picking_ids.crm_tier)
        self.assertEqual(orders[1].picking_ids.crm_tier, "F")

    def test_contact_of_a_customer_gets_the_customer_tier(self):
        contact = self.env["res.partner"].create(
            {"name": "Andy", "parent_id": self.customer_a.id}
        )
        order = self._order(contact)
        order.action_confirm()
        self.assertEqual(order.picking_ids.priority, "1")

    def test_short_stock_arriving_is_reserved_for_the_a_customer_first(self):
        # no stock: both orders wait; C ordered first
        order_c = self._order(self.customer_c)
        order_c.action_confirm()
        order_a = self._order(self.customer_a)
        order_a.action_confirm()
        self.assertEqual(order_c.picking_ids.state, "confirmed")
        self.assertEqual(order_a.picking_ids.state, "confirmed")
        # one crate arrives: Odoo reserves for the urgent move first
        self._receive(1)
        self.assertEqual(order_a.picking_ids.state, "assigned")
        self.assertEqual(order_a.picking_ids.move_ids.quantity, 1)
        self.assertEqual(order_c.picking_ids.state, "confirmed")
        self.assertEqual(order_c.picking_ids.move_ids.quantity, 0)

    def test_short_stock_checked_together_goes_to_the_a_customer(self):
        order_c = self._order(self.customer_c)
        order_a = self._order(self.customer_a)
        (order_c | order_a).action_confirm()
        # one crate counted in stock, then availability checked on both at once,
        # the C delivery first in the selection
        self.env["stock.quant"]._update_available_quantity(self.goods, self.stock, 1)
        (order_c.picking_ids | order_a.picking_ids).action_assign()
        self.assertEqual(order_a.picking_ids.move_ids.quantity, 1)
        self.assertEqual(order_c.picking_ids.move_ids.quantity, 0)

    def test_scheduler_reserves_for_the_a_customer_first(self):
        order_c = self._order(self.customer_c)
        order_c.action_confirm()
        order_a = self._order(self.customer_a)
        order_a.action_confirm()
        self.env["stock.quant"]._update_available_quantity(self.goods, self.stock, 1)
        self.env["procurement.group"].run_scheduler()
        self.assertEqual(order_a.picking_ids.move_ids.quantity, 1)
        self.assertEqual(order_c.picking_ids.move_ids.quantity, 0)

    def test_delivery_list_groups_by_current_tier_and_keeps_served_tier(self):
        open_delivery = self._confirmed_delivery(self.customer_c, "2026-06-20")
        done_delivery = self._deliver(self.customer_c, "2026-06-01", "2026-06-01")
        self.assertEqual(open_delivery.crm_tier, "C")
        self.assertEqual(done_delivery.crm_tier, "C")
        self._tier(self.customer_c, "A")
        self.assertEqual(open_delivery.crm_tier, "A")
        self.assertEqual(done_delivery.crm_tier, "C", "served in tier C")
        groups = dict(
            self.env["stock.picking"]._read_group(
                [("id", "in", (open_delivery | done_delivery).ids)],
                ["crm_tier"],
                ["__count"],
            )
        )
        self.assertEqual(groups, {"A": 1, "C": 1})
        ordered = self.env["stock.picking"].search(
            [("id", "in", (open_delivery | done_delivery).ids)], order="crm_tier"
        )
        self.assertEqual(ordered, open_delivery | done_delivery)

    def test_delivery_served_before_any_tier_gets_the_first_known(self):
        """Deliveries done before the customer was ever scored (history at install,
        a new customer) take the tier of the snapshot of their day, else the first
        tier the customer gets; later changes leave them alone."""
        newcomer = self.env["res.partner"].create({"name": "Newcomer Ltd"})
        early = self._deliver(newcomer, "2026-03-02 10:00", "2026-03-02 12:00")
        later = self._deliver(newcomer, "2026-05-02 10:00", "2026-05-02 12:00")
        self.assertFalse(early.crm_tier)
        # sudo: history rows are written by the recompute only
        self.env["crm.relationship.score.history"].sudo().create(
            {
                "partner_id": newcomer.id,
                "company_id": self.company.id,
                "snapshot_date": "2026-04-30",
                "tier": "D",
            }
        )
        self._tier(newcomer, "B")
        self.assertEqual(early.crm_tier, "B", "no snapshot by 2 March: the tier now")
        self.assertEqual(later.crm_tier, "D", "the snapshot of 30 April")
        self._tier(newcomer, "A")
        self.assertEqual((early | later).mapped("crm_tier"), ["B", "D"])

    def test_logistics_dashboard_counts_open_and_late_a_b_deliveries(self):
        self.assertEqual(self.logistics.crm_function, "logistics")
        self.assertEqual(self.finance.crm_function, "finance")
        yesterday = fields.Date.today() - timedelta(days=1)
        next_week = fields.Date.today() + timedelta(days=7)
        late = self._confirmed_delivery(self.customer_a, yesterday)
        on_time = self._confirmed_delivery(self.customer_a, next_week)
        self._confirmed_delivery(self.customer_c, yesterday)  # not A or B
        self._deliver(self.customer_a, yesterday, yesterday)  # done
        self.logistics.invalidate_recordset()
        self.assertEqual(self.logistics.crm_priority_delivery_count, 2)
        self.assertEqual(self.logistics.crm_priority_delivery_late_count, 1)
        self.assertEqual(self.sales.crm_priority_delivery_count, 0)
        action = self.logistics.with_context(
            crm_figure="priority_late"
        ).action_crm_open()
        self.assertEqual(self.env["stock.picking"].search(action["domain"]), late)
        action = self.logistics.with_context(
            crm_figure="priority_deliveries"
        ).action_crm_open()
        self.assertEqual(
            self.env["stock.picking"].search(action["domain"]), late | on_time
        )


@tagged("post_install", "-at_install")
class TestTierTerms(TierPolicyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy_a = cls.Policy.create(
            {
                "tier": "A",
                "payment_term_id": cls.term_45.id,
                "credit_limit_mode": "months",
                "credit_limit_months": 3,
            }
        )
        cls.policy_c = cls.Policy.create(
            {
                "tier": "C",
                "payment_term_id": cls.term_30.id,
                "credit_limit_mode": "amount",
                "credit_limit": 1000.0,
            }
        )

    def _log(self, partner):
        return partner.message_ids[:1].body

    def test_tier_change_from_c_to_a_proposes_a_terms(self):
        customer = self.customer_c.with_company(self.company)
        self._tier(customer, "C")
        self.assertEqual(customer.property_payment_term_id, self.term_30)
        self.assertEqual(customer.credit_limit, 1000.0)
        self._tier(customer, "A")
        customer.invalidate_recordset()
        self.assertEqual(customer.property_payment_term_id, self.term_45)
        # no invoicing in the last twelve months: the smallest amount (Odoo reads 0
        # as no limit)
        self.assertEqual(customer.credit_limit, 0.01)
        body = self._log(customer)
        self.assertIn("payment terms set to 45 Days (were 30 Days)", body)
        # new orders and invoices propose the new terms
        order = self._order(customer)
        self.assertEqual(order.payment_term_id, self.term_45)

    def test_terms_set_by_hand_are_kept(self):
        customer = self.customer_c.with_company(self.company)
        self._tier(customer, "C")
        customer.property_payment_term_id = self.term_now  # by hand
        customer.credit_limit = 777.0  # by hand
        self._tier(customer, "A")
        customer.invalidate_recordset()
        self.assertEqual(customer.property_payment_term_id, self.term_now)
        self.assertEqual(customer.credit_limit, 777.0)
        body = self._log(customer)
        self.assertIn("payment terms Immediate Payment kept, set by hand", body)
        self.assertIn("credit limit", body)
        self.assertIn("kept, set by hand", body)

    def test_terms_equal_to_previous_tier_policy_follow(self):
        """Terms equal to the previous tier's, written before the policy existed,
        are the policy's: the customer moves on."""
        customer = self.customer_c.with_company(self.company)
        customer.property_payment_term_id = self.term_30
        self.env["crm.relationship.score"].sudo().create(
            {"partner_id": customer.id, "company_id": self.company.id, "tier": "B"}
        )
        self.assertEqual(customer.property_payment_term_id, self.term_30)  # no B policy
        self._tier(customer, "C")
        self._tier(customer, "A")
        customer.invalidate_recordset()
        self.assertEqual(customer.property_payment_term_id, self.term_45)

    @freeze_time("2026-06-15 12:00")
    def test_credit_limit_in_months_of_average_invoicing(self):
        customer = self.customer_a.with_company(self.company)
        # twelve months to 15 June 2026: 3,000 + 9,000 invoiced, 2,400 credited;
        # one invoice a year and a day ago is out of the window
        self._invoice(customer, "2025-06-15", 5000.0)
        self._invoice(customer, "2025-06-16", 3000.0)
        self._invoice(customer, "2026-06-15", 9000.0)
        self._invoice(customer, "2026-03-01", 2400.0, move_type="out_refund")
        self._tier(customer, "A")
        customer.invalidate_recordset()
        # (3,000 + 9,000 - 2,400) / 12 = 800 a month; three months: 2,400
        self.assertEqual(customer.credit_limit, 2400.0)
        self.assertIn("credit limit set to", self._log(customer))

    def test_past_recompute_does_not_apply_policies(self):
        """Back-testing as of a past date rewrites the score rows as they were, and
        leaves the customers' terms alone."""
        customer = self.customer_c.with_company(self.company)
        for tier in "BDEF":
            self.Policy.create({"tier": tier, "payment_term_id": self.term_now.id})
        self._invoice(customer, fields.Date.today() - timedelta(days=40), 500.0)
        self.env["crm.relationship.score"].recompute(
            company_ids=self.company.ids,
            partner_ids=customer.ids,
            date_ref=fields.Date.today() - timedelta(days=1),
        )
        customer.invalidate_recordset()
        self.assertTrue(
            self.env["crm.relationship.score"]
            .search([("partner_id", "=", customer.id)])
            .tier
        )
        self.assertFalse(customer.property_payment_term_id)

    def test_recompute_applies_the_new_tier_policy(self):
        customer = self.customer_c.with_company(self.company)
        self._invoice(customer, fields.Date.today() - timedelta(days=5), 500.0)
        for tier in "BDEF":
            self.Policy.create({"tier": tier, "payment_term_id": self.term_now.id})
        self._tier(customer, "F")
        self.assertEqual(customer.property_payment_term_id, self.term_now)
        Score = self.env["crm.relationship.score"]
        Score.recompute(company_ids=self.company.ids, partner_ids=customer.ids)
        tier = Score.search([("partner_id", "=", customer.id)]).tier
        self.assertNotEqual(tier, "F")
        customer.invalidate_recordset()
        self.assertEqual(
            customer.property_payment_term_id,
            {"A": self.term_45, "C": self.term_30}.get(tier, self.term_now),
        )

    def test_apply_now_writes_the_customers_of_the_tier(self):
        customer = self.customer_c.with_company(self.company)
        self._tier(customer, "C")
        self.policy_c.payment_term_id = self.term_now
        self.policy_c.action_apply_now()
        customer.invalidate_recordset()
        self.assertEqual(customer.property_payment_term_id, self.term_now)

    def test_policy_is_validated_and_unique(self):
        with self.assertRaises(ValidationError):
            self.Policy.create(
                {"tier": "B", "credit_limit_mode": "months", "credit_limit_months": 0}
            )
        with self.assertRaises(ValidationError):
            self.Policy.create(
                {"tier": "B", "credit_limit_mode": "amount", "credit_limit": -1}
            )
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            self.Policy.create({"tier": "A"})

    def test_policies_per_group_and_company(self):
        user = new_test_user(
            self.env,
            login="rel.user",
            groups="base.group_user,crm_relationship.group_relationship_user",
        )
        self.assertEqual(
            self.Policy.with_user(user).search([]).mapped("tier"), ["A", "C"]
        )
        with self.assertRaises(AccessError):
            self.policy_a.with_user(user).delivery_priority = "1"
        other = self.env["res.company"].create({"name": "Other Co"})
        foreign = self.Policy.create({"tier": "A", "company_id": other.id})
        self.assertNotIn(foreign, self.Policy.with_user(user).search([]))
        self.assertEqual(self.policy_a.display_name, "Tier A policy")


@tagged("post_install", "-at_install")
class TestCreditHold(TierPolicyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy_f = cls.Policy.create(
            {"tier": "F", "credit_hold": True, "credit_hold_days": 30}
        )
        cls._tier(cls.customer_f, "F")
        cls.accountant = new_test_user(
            cls.env,
            login="acc.manager",
            groups="base.group_user,account.group_account_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def test_f_customer_overdue_45_days_is_held_then_released(self):
        invoice = self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f, user=self.salesperson)
        self.assertTrue(order.crm_credit_hold)
        self.assertEqual(order.crm_hold_date, fields.Date.today())
        with self.assertRaises(UserError) as caught:
            order.with_user(self.salesperson).action_confirm()
        message = str(caught.exception)
        self.assertIn("Fritz Ltd is on credit hold", message)
        self.assertIn("1,000.00", message)
        self.assertIn("(45 days;", message)
        self.assertIn("past 30 days", message)
        self.assertIn("finance department head or an accounting manager", message)
        self.assertEqual(order.state, "draft")
        # the salesperson cannot release it
        with self.assertRaises(AccessError):
            order.with_user(self.salesperson).action_crm_release_hold("Please")
        self.assertFalse(order.crm_can_release_hold)
        self.assertTrue(order.with_user(self.finance_head).crm_can_release_hold)
        order.with_user(self.finance_head).action_crm_release_hold(
            "Paid by bank transfer today; remittance seen."
        )
        self.assertEqual(order.crm_hold_released_by_id, self.finance_head)
        self.assertFalse(order.crm_credit_hold)
        order.with_user(self.salesperson).action_confirm()
        self.assertEqual(order.state, "sale")
        for record in (order, self.customer_f):
            logged = "".join(record.message_ids.mapped("body"))
            self.assertIn("released the credit hold of", logged)
            self.assertIn("remittance seen", logged)
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_finance_head_releases_and_confirms(self):
        """The interface: release with a reason, then confirm, by the finance head."""
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f, user=self.salesperson)
        order.with_user(self.finance_head).action_crm_release_hold("Agreed plan")
        order.with_user(self.finance_head).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_accounting_manager_releases(self):
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f, user=self.salesperson)
        order.with_user(self.accountant).action_crm_release_hold("Guarantee received")
        # the salesperson confirms: sale_loyalty's confirmation reads the loyalty
        # programs, which Odoo opens to sales users only
        order.with_user(self.salesperson).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_other_heads_and_empty_reason_are_refused(self):
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f)
        with self.assertRaises(AccessError):
            order.with_user(self.sales_head).action_crm_release_hold("I say so")
        with self.assertRaises(UserError):
            order.with_user(self.finance_head).action_crm_release_hold("  ")
        self.assertFalse(order.crm_hold_release_date)

    def test_customer_without_overdue_invoices_is_never_held(self):
        # an invoice not yet due, and one paid after its due date
        self._invoice(self.customer_f, fields.Date.today(), 500.0)
        paid = self._overdue_invoice(self.customer_f, 60)
        self._pay(paid, fields.Date.today())
        order = self._order(self.customer_f, user=self.salesperson)
        self.assertFalse(order.crm_credit_hold)
        self.assertFalse(order.crm_hold_date)
        order.with_user(self.salesperson).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_banner_shows_on_a_quotation_being_written(self):
        """The salesperson sees the hold as soon as the customer is chosen, before
        the quotation is saved."""
        self._overdue_invoice(self.customer_f, 45)
        form = Form(self.env["sale.order"].with_user(self.salesperson))
        form.partner_id = self.customer_c
        self.assertFalse(form.crm_credit_hold)
        form.partner_id = self.contact_f
        self.assertTrue(form.crm_credit_hold)
        self.assertIn("Fritz Ltd is on credit hold", form.crm_credit_hold_message)

    def test_order_paid_online_is_not_held(self):
        """A customer who pays the quotation online is not held (Odoo's payment flow
        confirms the order); a payment that failed holds it as before."""
        self._overdue_invoice(self.customer_f, 45)
        provider = self.env["payment.provider"].create(
            {"name": "Test provider", "state": "test"}
        )

        def pay(order, state):
            return self.env["payment.transaction"].create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": self.env.ref(
                        "payment.payment_method_unknown"
                    ).id,
                    "reference": f"{order.name}-{state}",
                    "amount": order.amount_total,
                    "currency_id": order.currency_id.id,
                    "partner_id": order.partner_id.id,
                    "sale_order_ids": [Command.set(order.ids)],
                    "state": state,
                }
            )

        failed = self._order(self.customer_f)
        pay(failed, "cancel")
        with self.assertRaisesRegex(UserError, "on credit hold"):
            failed.action_confirm()
        paid = self._order(self.customer_f)
        pay(paid, "done")
        paid.action_confirm()
        self.assertEqual(paid.state, "sale")

    def test_hold_starts_the_day_after_the_policy_days(self):
        self._overdue_invoice(self.customer_f, 30)
        order = self._order(self.customer_f)
        self.assertFalse(order.crm_credit_hold, "30 days overdue: not past 30 days")
        self._overdue_invoice(self.customer_f, 31, amount=250.0)
        order.invalidate_recordset()
        self.assertTrue(order.crm_credit_hold)
        self.assertIn("250.00", order.crm_credit_hold_message)
        self.assertIn("(31 days;", order.crm_credit_hold_message)

    def test_unapplied_credits_are_netted(self):
        self._overdue_invoice(self.customer_f, 45, amount=1000.0)
        # a credit note not matched to the invoice: 1,000 owed, 1,000 credited
        self._invoice(
            self.customer_f, fields.Date.today(), 1000.0, move_type="out_refund"
        )
        order = self._order(self.customer_f)
        self.assertFalse(order.crm_credit_hold)
        # a further overdue 600 is owed for real
        self._overdue_invoice(self.customer_f, 40, amount=600.0)
        order.invalidate_recordset()
        self.assertTrue(order.crm_credit_hold)
        self.assertIn("600.00", order.crm_credit_hold_message)

    def test_contact_order_is_held_for_the_company_debt(self):
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.contact_f, user=self.salesperson)
        with self.assertRaises(UserError):
            order.with_user(self.salesperson).action_confirm()

    def test_other_company_debt_does_not_hold(self):
        other = self.setup_other_company(name="Other Co")["company"]
        self.Policy.create(
            {
                "tier": "F",
                "company_id": other.id,
                "credit_hold": True,
                "credit_hold_days": 30,
            }
        )
        self._tier(self.customer_f, "F", company=other)
        self._overdue_invoice(self.customer_f, 45)  # owed to the first company
        self.env.user.company_ids |= other
        order = self._order(self.customer_f, company=other)
        self.assertFalse(order.crm_credit_hold)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_days_are_counted_in_the_company_time_zone(self):
        """At 12:00 UTC on 1 March it is already 2 March in Kiritimati (UTC+14): an
        amount due on 31 January is 30 days overdue there, 29 in UTC."""
        self.company.partner_id.tz = "Pacific/Kiritimati"
        self.policy_f.credit_hold_days = 29
        self._invoice(
            self.customer_f,
            "2026-01-01",
            1000.0,
            invoice_date_due="2026-01-31",
            invoice_payment_term_id=False,
        )
        with freeze_time("2026-03-01 12:00"):
            order = self._order(self.customer_f)
            self.assertTrue(order.crm_credit_hold)
            self.assertIn("(30 days;", order.crm_credit_hold_message)
        self.company.partner_id.tz = "UTC"
        with freeze_time("2026-03-01 12:00"):
            order.invalidate_recordset()
            self.assertFalse(order.crm_credit_hold)

    def test_request_release_hands_off_to_finance_and_release_completes_it(self):
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f, user=self.salesperson)
        action = order.with_user(self.salesperson).action_crm_request_release()
        context = action["context"]
        self.assertEqual(context["default_to_department_id"], self.finance.id)
        self.assertEqual(context["default_from_department_id"], self.sales.id)
        self.assertEqual(context["default_document_ref"], f"sale.order,{order.id}")
        handoff_form = Form(
            self.env["crm.handoff"].with_user(self.salesperson).with_context(**context)
        )
        handoff = handoff_form.save()
        self.assertEqual(handoff.priority, "1")
        self.assertIn("credit hold", handoff.name)
        # the finance head sees the order from the hand-off and releases it there
        as_head = handoff.with_user(self.finance_head)
        self.assertTrue(as_head.can_release_hold)
        self.assertEqual(as_head.hold_order_id, order)
        self.assertFalse(handoff.with_user(self.sales_head).can_release_hold)
        wizard_action = as_head.action_open_release_hold()
        wizard = (
            self.env[wizard_action["res_model"]]
            .with_user(self.finance_head)
            .with_context(**wizard_action["context"])
            .create({"reason": "Customer paid half; rest next week."})
        )
        wizard.action_release()
        self.assertEqual(handoff.state, "done")
        self.assertIn("rest next week", str(handoff.result))
        order.with_user(self.salesperson).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_department_heads_read_held_orders_only(self):
        """A finance head reads and writes the orders that met a hold, whoever sells
        them; other orders of other salespeople stay out of reach."""
        self._overdue_invoice(self.customer_f, 45)
        held = self._order(self.customer_f, user=self.salesperson)
        other = self._order(self.customer_c, user=self.salesperson)
        Order = self.env["sale.order"].with_user(self.finance_head)
        visible = Order.search([("id", "in", (held | other).ids)])
        self.assertEqual(visible, held)
        with self.assertRaises(AccessError):
            other.with_user(self.finance_head).read(["name"])

    def test_request_release_without_finance_department(self):
        self.finance.crm_function = False
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f, user=self.salesperson)
        with self.assertRaisesRegex(UserError, "marked as Finance"):
            order.with_user(self.salesperson).action_crm_request_release()

    def test_finance_dashboard_counts_quotations_on_hold(self):
        self._overdue_invoice(self.customer_f, 45)
        held = self._order(self.customer_f)
        released = self._order(self.customer_f)
        released.action_crm_release_hold("ok")
        self._order(self.customer_c)  # not held
        self.assertEqual(self.finance.crm_credit_hold_count, 1)
        action = self.finance.with_context(crm_figure="credit_holds").action_crm_open()
        self.assertEqual(self.env["sale.order"].search(action["domain"]), held)
        self.assertEqual(self.logistics.crm_credit_hold_count, 0)

    def test_department_function_is_guessed_from_the_name(self):
        Department = self.env["hr.department"]
        self.assertEqual(Department.create({"name": "财务部"}).crm_function, "finance")
        self.assertEqual(
            Department.create({"name": "Warehouse"}).crm_function, "logistics"
        )
        self.assertFalse(Department.create({"name": "R&D"}).crm_function)
        self.assertFalse(
            Department.create({"name": "Finance", "crm_function": False}).crm_function
        )


@tagged("post_install", "-at_install")
class TestTierServiceReport(TierPolicyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Policy.create({"tier": "F", "credit_hold": True, "credit_hold_days": 30})
        cls._tier(cls.customer_a, "A")
        cls._tier(cls.customer_c, "C")
        cls._tier(cls.customer_f, "F")
        cls.Report = cls.env["crm.tier.service.report"]

    def _figures(self, kind, measures):
        self.env.flush_all()
        return {
            tier: values
            for tier, *values in self.Report._read_group(
                [("kind", "=", kind), ("partner_id", "in", self.customers.ids)],
                ["tier"],
                measures,
            )
        }

    @property
    def customers(self):
        return self.customer_a | self.customer_c | self.customer_f

    def test_on_time_delivery_by_tier(self):
        # A: one on time, one a day late: 50 %; C: one on time: 100 %
        self._deliver(self.customer_a, "2026-05-04 10:00", "2026-05-04 12:00")
        self._deliver(self.customer_a, "2026-05-06 10:00", "2026-05-05 12:00")
        self._deliver(self.customer_c, "2026-05-04 10:00", "2026-05-05 12:00")
        self._confirmed_delivery(self.customer_c, "2026-05-04")  # not done
        figures = self._figures(
            "delivery", ["delivery_count:sum", "on_time_count:sum", "on_time_rate:avg"]
        )
        self.assertEqual(figures, {"A": [2, 1, 50.0], "C": [1, 1, 100.0]})

    def test_days_to_pay_by_tier_at_invoice_time(self):
        """The customer was in C when invoiced (snapshot of 30 April) and is A now:
        the invoice counts for C; one invoiced before any snapshot counts for A."""
        # sudo: history rows are written by the recompute only
        self.env["crm.relationship.score.history"].sudo().create(
            {
                "partner_id": self.customer_a.id,
                "company_id": self.company.id,
                "snapshot_date": "2026-04-30",
                "tier": "C",
            }
        )
        in_c = self._invoice(self.customer_a, "2026-05-01", 100.0)
        self._pay(in_c, "2026-05-21")  # 20 days
        before = self._invoice(self.customer_a, "2026-03-01", 100.0)
        self._pay(before, "2026-04-10")  # 40 days
        unpaid = self._invoice(self.customer_c, "2026-05-01", 100.0)
        self._pay(unpaid, "2026-05-11", amount=50.0)  # partly: not counted
        figures = self._figures("payment", ["paid_count:sum", "days_to_pay:avg"])
        self.assertEqual(figures, {"A": [1, 40.0], "C": [1, 20.0]})
        rows = self.Report.search([("kind", "=", "payment"), ("tier", "=", "C")])
        self.assertEqual(rows.date, fields.Date.to_date("2026-05-21"))

    def test_credit_holds_by_tier(self):
        due = fields.Date.today() - timedelta(days=45)
        self._invoice(self.customer_f, due - timedelta(days=30), 300.0)
        released = self._order(self.customer_f)
        self._order(self.customer_f)
        self._order(self.customer_c)  # never held
        released.action_crm_release_hold("Paid at the counter")
        figures = self._figures(
            "hold", ["hold_count:sum", "released_count:sum", "days_to_release:avg"]
        )
        self.assertEqual(figures, {"F": [2, 1, 0.0]})

    def test_report_reads_one_company(self):
        other = self.setup_other_company(name="Report Co")["company"]
        self._deliver(self.customer_a, "2026-05-04 10:00", "2026-05-04 12:00")
        user = new_test_user(
            self.env,
            login="rel.report",
            groups="base.group_user,crm_relationship.group_relationship_user",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        self.env.flush_all()
        self.assertFalse(self.Report.with_user(user).search([]))
        self.assertTrue(self.Report.search([("kind", "=", "delivery")]))
