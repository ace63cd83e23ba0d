"""Trying to break the service policies by tier (issue 15): bad input, several
companies, other groups, people without an e-mail address, time zones far from
UTC, refunds, partial and foreign-currency payments, opening balances, orders
confirmed together, released orders that change, the dashboard and the report.

Each test states its scenario and the behaviour an experienced Odoo user
expects; the value asserted is that one, whatever the code gives.
"""

from datetime import timedelta

import psycopg2
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .test_tier_policy import TierPolicyCommon

HEAD = "base.group_user,crm_relationship.group_department_head"


@tagged("post_install", "-at_install")
class TierBreakCommon(TierPolicyCommon):
    """Tier F holds orders past 30 days overdue in the main company; tier A is
    urgent. A second company with its own Finance department and people."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy_f = cls.Policy.create(
            {"tier": "F", "credit_hold": True, "credit_hold_days": 30}
        )
        cls.policy_a = cls.Policy.create({"tier": "A", "delivery_priority": "1"})
        cls._tier(cls.customer_a, "A")
        cls._tier(cls.customer_c, "C")
        cls._tier(cls.customer_f, "F")
        cls.customer_g = cls.env["res.partner"].create(
            {"name": "Gustav Ltd", "is_company": True}
        )
        cls._tier(cls.customer_g, "F")
        cls.accountant = new_test_user(
            cls.env,
            login="brk.acc",
            groups="base.group_user,account.group_account_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.Report = cls.env["crm.tier.service.report"]

    @classmethod
    def _other_company(cls):
        other = cls.setup_other_company(name="Brk Other Co")["company"]
        cls.env.user.company_ids |= other
        return other

    def _hold_rows(self, customers):
        self.env.flush_all()
        return self.Report.search(
            [("kind", "=", "hold"), ("partner_id", "in", customers.ids)]
        )


# ------------------------------------------------------------
# BAD INPUT ON THE POLICIES
# ------------------------------------------------------------
@tagged("post_install", "-at_install")
class TestBreakPolicyInput(TierBreakCommon):
    def test_negative_hold_days_are_refused(self):
        with (
            self.assertRaises(psycopg2.errors.CheckViolation),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            self.Policy.create(
                {"tier": "B", "credit_hold": True, "credit_hold_days": -5}
            )

    def test_switching_to_months_with_zero_months_is_refused(self):
        policy = self.Policy.create({"tier": "B", "credit_limit_months": 0})
        with self.assertRaises(ValidationError):
            policy.credit_limit_mode = "months"

    def test_payment_terms_of_another_company_are_refused(self):
        other = self._other_company()
        foreign_terms = self.env["account.payment.term"].create(
            {
                "name": "Other Co 60 days",
                "company_id": other.id,
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 100, "nb_days": 60}
                    )
                ],
            }
        )
        with self.assertRaises(UserError):  # ValidationError is a UserError
            self.Policy.create({"tier": "B", "payment_term_id": foreign_terms.id})

    def test_months_limit_with_refunds_above_invoices_is_not_negative(self):
        """Over twelve months 1,000 invoiced and 3,000 credited: the average is
        below zero; the credit limit is the smallest amount (Odoo reads zero as no
        limit), not -1,333.33."""
        self.Policy.create(
            {"tier": "B", "credit_limit_mode": "months", "credit_limit_months": 2}
        )
        customer = self.customer_c.with_company(self.company)
        today = fields.Date.today()
        self._invoice(customer, today - timedelta(days=60), 1000.0)
        self._invoice(
            customer, today - timedelta(days=20), 3000.0, move_type="out_refund"
        )
        customer.credit_limit = 0.0
        self._tier(customer, "B")
        customer.invalidate_recordset()
        self.assertGreaterEqual(customer.credit_limit, 0.0)
        self.assertEqual(customer.credit_limit, 0.01)

    def test_terms_set_by_hand_survive_two_tier_changes(self):
        """C (30 days by policy) -> set to Immediate by hand -> A (45 days) -> C:
        the hand-set Immediate terms are kept both times."""
        self.policy_a.payment_term_id = self.term_45
        self.Policy.create({"tier": "C", "payment_term_id": self.term_30.id})
        customer = (
            self.env["res.partner"]
            .create({"name": "Berta Ltd", "is_company": True})
            .with_company(self.company)
        )
        self._tier(customer, "C")
        self.assertEqual(customer.property_payment_term_id, self.term_30)
        customer.property_payment_term_id = self.term_now  # by hand
        self._tier(customer, "A")
        customer.invalidate_recordset()
        self.assertEqual(customer.property_payment_term_id, self.term_now)
        self._tier(customer, "C")
        customer.invalidate_recordset()
        self.assertEqual(customer.property_payment_term_id, self.term_now)

    def test_terms_set_in_another_company_are_not_the_policy_s(self):
        """The main company's policy wrote 45 days there; in the second company a
        person set 45 days by hand: a tier change in the second company keeps them
        (what the first company's policy wrote has no say in the second)."""
        other = self._other_company()
        self.policy_a.payment_term_id = self.term_45
        self.Policy.create(
            {"tier": "A", "company_id": other.id, "payment_term_id": self.term_now.id}
        )
        self.Policy.create(
            {"tier": "C", "company_id": other.id, "payment_term_id": self.term_30.id}
        )
        customer = self.env["res.partner"].create(
            {"name": "Dora Ltd", "is_company": True}
        )
        self._tier(customer, "A")  # main company: 45 days by policy
        self.assertEqual(
            customer.with_company(self.company).property_payment_term_id, self.term_45
        )
        in_other = customer.with_company(other)
        in_other.property_payment_term_id = self.term_45  # by hand, in the other
        self._tier(customer, "C", company=other)
        in_other.invalidate_recordset()
        self.assertEqual(in_other.property_payment_term_id, self.term_45)
        self.assertEqual(
            customer.with_company(self.company).property_payment_term_id, self.term_45
        )

    @freeze_time("2026-06-15 12:00")
    def test_months_limit_counts_foreign_invoices_in_company_currency(self):
        """2,400 EUR invoiced at 2 EUR to the dollar is 1,200 USD: 100 a month;
        three months: 300."""
        eur = self.setup_other_currency("EUR", rates=[("2016-01-01", 2.0)])
        self.Policy.create(
            {"tier": "B", "credit_limit_mode": "months", "credit_limit_months": 3}
        )
        customer = self.env["res.partner"].create(
            {"name": "Euro Ltd", "is_company": True}
        )
        self._invoice(customer, "2026-03-01", 2400.0, currency_id=eur.id)
        self._tier(customer, "B")
        self.assertEqual(customer.with_company(self.company).credit_limit, 300.0)

    def test_contact_order_proposes_the_new_tier_terms(self):
        self.policy_a.payment_term_id = self.term_45
        self.Policy.create({"tier": "B", "payment_term_id": self.term_now.id})
        customer = self.env["res.partner"].create(
            {"name": "Hans Ltd", "is_company": True}
        )
        contact = self.env["res.partner"].create(
            {"name": "Hanna", "parent_id": customer.id}
        )
        self._tier(customer, "B")
        self._tier(customer, "A")
        order = self._order(contact)
        self.assertEqual(order.payment_term_id, self.term_45)

    def test_key_account_department_is_not_finance(self):
        """A sales department named "Key Account Management" is not Finance: its
        heads would release credit holds."""
        Department = self.env["hr.department"]
        self.assertEqual(
            Department.create({"name": "Accounting"}).crm_function, "finance"
        )
        key_accounts = Department.create({"name": "Key Account Management"})
        self.assertNotEqual(key_accounts.crm_function, "finance")

    def test_months_limit_of_a_new_customer_does_not_lift_the_limit(self):
        """A tier giving two months of invoicing as credit to a customer who was
        never invoiced must not leave them with unlimited credit: Odoo reads a
        credit limit of 0 as "no limit", so a quotation of 5,000 gets no warning."""
        self.company.account_use_credit_limit = True
        self.Policy.create(
            {"tier": "B", "credit_limit_mode": "months", "credit_limit_months": 2}
        )
        customer = self.env["res.partner"].create(
            {"name": "Newco Ltd", "is_company": True}
        )
        self._tier(customer, "B")
        order = self._order(customer, qty=50)  # 5,000
        self.assertTrue(
            order.partner_credit_warning,
            "a customer the policy gives 0 of credit is not warned about at all",
        )


# ------------------------------------------------------------
# WHO READS, WRITES AND APPLIES THE POLICIES AND THE REPORT
# ------------------------------------------------------------
@tagged("post_install", "-at_install")
class TestBreakAccess(TierBreakCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plain_seller = new_test_user(
            cls.env,
            login="brk.plain",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.portal = new_test_user(
            cls.env, login="brk.portal", groups="base.group_portal"
        )
        cls.rel_user = new_test_user(
            cls.env,
            login="brk.rel",
            groups="base.group_user,crm_relationship.group_relationship_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.rel_manager = new_test_user(
            cls.env,
            login="brk.relman",
            groups="base.group_user,crm_relationship.group_relationship_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def test_policy_access_of_each_group(self):
        for user in (self.plain_seller, self.portal):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.Policy.with_user(user).search([]).mapped("tier")
        self.assertEqual(
            self.Policy.with_user(self.rel_user).search([]).mapped("tier"), ["A", "F"]
        )
        with self.assertRaises(AccessError):
            self.Policy.with_user(self.rel_user).create({"tier": "B"})
        policy = self.Policy.with_user(self.rel_manager).create(
            {"tier": "B", "credit_hold": True, "credit_hold_days": 10}
        )
        policy.credit_hold_days = 12
        policy.unlink()

    def test_relationship_user_cannot_apply_a_policy_to_the_customers(self):
        """A read-only user of the policies must not write the payment terms of
        every customer of a tier ("Apply now" writes the customers' terms)."""
        self.policy_a.payment_term_id = self.term_45
        customer = self.customer_a.with_company(self.company)
        customer.property_payment_term_id = False
        customer.crm_policy_payment_term_id = False
        with self.assertRaises(AccessError, msg="a read-only user applied a policy"):
            self.policy_a.with_user(self.rel_user).action_apply_now()
        customer.invalidate_recordset()
        self.assertFalse(customer.property_payment_term_id)

    def test_policy_of_another_company_is_not_readable(self):
        other = self._other_company()
        foreign = self.Policy.create({"tier": "B", "company_id": other.id})
        with self.assertRaises(AccessError):
            foreign.with_user(self.rel_manager).read(["tier"])

    def test_report_access_of_each_group(self):
        self._deliver(self.customer_a, "2026-05-04 10:00", "2026-05-04 12:00")
        self.env.flush_all()
        for user in (self.plain_seller, self.portal):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.Report.with_user(user).search([])
        self.assertTrue(
            self.Report.with_user(self.rel_user).search([("kind", "=", "delivery")])
        )
        with self.assertRaises(AccessError):
            self.Report.with_user(self.rel_manager).search([]).write({"tier": "B"})


# ------------------------------------------------------------
# CREDIT HOLDS: WHO RELEASES, WHO ASKS
# ------------------------------------------------------------
@tagged("post_install", "-at_install")
class TestBreakRelease(TierBreakCommon):
    def test_plain_salesperson_is_told_of_the_hold(self):
        """A salesperson without any relationship group sells to a held customer:
        the confirmation is refused with the hold's message, not an access error."""
        seller = new_test_user(
            self.env,
            login="brk.plain2",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f, user=seller)
        self.assertTrue(order.with_user(seller).crm_credit_hold)
        with self.assertRaisesRegex(UserError, "is on credit hold"):
            order.with_user(seller).action_confirm()
        self.assertEqual(order.state, "draft")

    def test_portal_user_cannot_release(self):
        portal = new_test_user(
            self.env, login="brk.portal2", groups="base.group_portal"
        )
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f)
        with self.assertRaises(AccessError):
            order.with_user(portal).action_crm_release_hold("I am the customer")
        self.assertFalse(order.crm_hold_release_date)

    def test_logistics_head_cannot_release(self):
        head = self._person("brk.loghead", self.logistics)
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f)
        self.assertFalse(order.with_user(head).crm_can_release_hold)
        with self.assertRaises(AccessError):
            order.with_user(head).action_crm_release_hold("Ship it")

    def test_finance_head_of_another_company_cannot_release(self):
        other = self._other_company()
        finance_b = self.env["hr.department"].create(
            {"name": "Finance", "company_id": other.id}
        )
        head_b = new_test_user(
            self.env,
            login="brk.finb",
            groups=HEAD,
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        self.env["hr.employee"].create(
            {
                "name": "brk.finb",
                "user_id": head_b.id,
                "department_id": finance_b.id,
                "company_id": other.id,
            }
        )
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f)
        with self.assertRaises(AccessError):
            order.with_user(head_b).action_crm_release_hold("Not my company")
        self.assertFalse(order.crm_hold_release_date)

    def test_accounting_manager_of_another_company_cannot_release(self):
        """An accounting manager of the second company only has no say on the
        orders of the first: the release must be refused."""
        other = self._other_company()
        accountant_b = new_test_user(
            self.env,
            login="brk.accb",
            groups="base.group_user,account.group_account_manager",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f)
        with self.assertRaises(AccessError, msg="released from another company"):
            order.with_user(accountant_b).action_crm_release_hold("Other books")
        order.invalidate_recordset()
        self.assertFalse(order.crm_hold_release_date)

    def test_accountant_without_sales_rights_releases_through_the_wizard(self):
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f, user=self.salesperson)
        self.assertTrue(order.with_user(self.accountant).crm_can_release_hold)
        action = order.with_user(self.accountant).action_crm_open_release_hold()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.accountant)
            .with_context(**action["context"])
            .create({"reason": "Bank guarantee received"})
        )
        self.assertIn("is on credit hold", wizard.message)
        wizard.action_release()
        self.assertEqual(order.crm_hold_released_by_id, self.accountant)
        order.with_user(self.salesperson).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_people_without_an_email_address_request_and_release(self):
        self.salesperson.partner_id.email = False
        self.finance_head.partner_id.email = False
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f, user=self.salesperson)
        action = order.with_user(self.salesperson).action_crm_request_release()
        handoff = Form(
            self.env["crm.handoff"]
            .with_user(self.salesperson)
            .with_context(**action["context"])
        ).save()
        self.assertEqual(handoff.state, "requested")
        order.with_user(self.finance_head).action_crm_release_hold("Paid by cheque")
        self.assertEqual(handoff.state, "done")
        self.assertIn("Paid by cheque", str(handoff.result))
        order.with_user(self.salesperson).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_contact_of_held_company_asks_for_the_company(self):
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.contact_f, user=self.salesperson)
        self.assertIn("Fritz Ltd is on credit hold", order.crm_credit_hold_message)
        action = order.with_user(self.salesperson).action_crm_request_release()
        self.assertEqual(action["context"]["default_partner_id"], self.customer_f.id)

    def test_releasing_an_order_that_is_not_held_makes_no_hold(self):
        """Releasing a quotation that is not held (a customer in good standing)
        must not record a hold: the report and the dashboard would count a hold
        that never was, and the quotation would stay exempt from a future hold."""
        order = self._order(self.customer_c)
        self.assertFalse(order.crm_credit_hold)
        with self.assertRaisesRegex(UserError, "not on credit hold"):
            order.with_user(self.finance_head).action_crm_release_hold("Just in case")
        order.invalidate_recordset()
        self.assertFalse(order.crm_hold_date, "a hold was recorded on a free order")
        self.assertFalse(self._hold_rows(self.customer_c))


# ------------------------------------------------------------
# CREDIT HOLDS: WHAT IS OVERDUE
# ------------------------------------------------------------
@tagged("post_install", "-at_install")
class TestBreakOverdue(TierBreakCommon):
    def test_partial_payment_and_unapplied_refund_are_netted(self):
        """1,000 overdue 45 days, 300 paid on it, a credit note of 200 unapplied:
        500 is owed past the days."""
        invoice = self._overdue_invoice(self.customer_f, 45)
        self._pay(invoice, fields.Date.today() - timedelta(days=10), amount=300.0)
        self._invoice(
            self.customer_f,
            fields.Date.today() - timedelta(days=5),
            200.0,
            move_type="out_refund",
        )
        order = self._order(self.customer_f)
        self.assertTrue(order.crm_credit_hold)
        self.assertIn("500.00", order.crm_credit_hold_message)

    def test_refund_reconciled_with_the_invoice_clears_the_hold(self):
        invoice = self._overdue_invoice(self.customer_f, 45)
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "Damaged"})
        )
        reversal.refund_moves()
        refund = invoice.reversal_move_ids
        refund.action_post()
        self.assertEqual(invoice.payment_state, "reversed")
        order = self._order(self.customer_f)
        self.assertFalse(order.crm_credit_hold)

    def test_foreign_currency_invoice_is_counted_in_company_currency(self):
        """1,000 EUR at 2 EUR to the dollar: 500 USD is overdue."""
        eur = self.setup_other_currency("EUR", rates=[("2016-01-01", 2.0)])
        self._overdue_invoice(self.customer_f, 45, currency_id=eur.id)
        order = self._order(self.customer_f)
        self.assertTrue(order.crm_credit_hold)
        self.assertIn("500.00", order.crm_credit_hold_message)
        self.assertNotIn("1,000.00", order.crm_credit_hold_message)

    def test_opening_balance_in_a_journal_entry_holds(self):
        """A customer's overdue opening balance, imported as a journal entry on
        their receivable (the usual migration to Odoo, as the Aged Receivable
        shows it), is owed like an invoice: the customer is held."""
        receivable = self.customer_f.with_company(
            self.company
        ).property_account_receivable_id
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": fields.Date.today() - timedelta(days=80),
                "journal_id": self.company_data["default_journal_misc"].id,
                "line_ids": [
                    Command.create(
                        {
                            "name": "Opening balance Fritz",
                            "account_id": receivable.id,
                            "partner_id": self.customer_f.id,
                            "debit": 800.0,
                            "date_maturity": fields.Date.today() - timedelta(days=60),
                        }
                    ),
                    Command.create(
                        {
                            "name": "Opening balance",
                            "account_id": self.company_data[
                                "default_account_revenue"
                            ].id,
                            "credit": 800.0,
                        }
                    ),
                ],
            }
        )
        entry.action_post()
        self.assertEqual(self.customer_f.with_company(self.company).credit, 800.0)
        order = self._order(self.customer_f)
        self.assertTrue(order.crm_credit_hold, "800 owed for 60 days does not hold")

    def test_zero_days_holds_from_the_day_after_the_due_date(self):
        self.policy_f.credit_hold_days = 0
        self._overdue_invoice(self.customer_f, 0)
        order = self._order(self.customer_f)
        self.assertFalse(order.crm_credit_hold, "due today is not overdue")
        self._overdue_invoice(self.customer_f, 1, amount=10.0)
        order.invalidate_recordset()
        self.assertTrue(order.crm_credit_hold)

    def test_pago_pago_is_a_day_behind_utc(self):
        """At 05:00 UTC on 2 March it is still 1 March in Pago Pago (UTC-11): an
        amount due on 31 January is 29 days overdue there (not held past 29 days),
        30 in UTC; at 12:00 UTC it is 2 March there too: held."""
        self.company.partner_id.tz = "Pacific/Pago_Pago"
        self.policy_f.credit_hold_days = 29
        self._invoice(
            self.customer_f,
            "2026-01-01",
            1000.0,
            invoice_date_due="2026-01-31",
            invoice_payment_term_id=False,
        )
        with freeze_time("2026-03-02 05:00"):
            order = self._order(self.customer_f)
            self.assertFalse(order.crm_credit_hold)
            self.assertFalse(order.crm_hold_date)
        with freeze_time("2026-03-02 12:00"):
            order.invalidate_recordset()
            self.assertTrue(order.crm_credit_hold)
            self.assertIn("(30 days;", order.crm_credit_hold_message)

    def test_kiritimati_hold_is_dated_the_local_day(self):
        self.company.partner_id.tz = "Pacific/Kiritimati"
        self._invoice(
            self.customer_f,
            "2026-01-01",
            1000.0,
            invoice_date_due="2026-01-15",
            invoice_payment_term_id=False,
        )
        with freeze_time("2026-03-01 12:00"):  # 2 March, 02:00 in Kiritimati
            order = self._order(self.customer_f)
            self.assertEqual(order.crm_hold_date, fields.Date.to_date("2026-03-02"))

    def test_other_company_user_sells_to_a_customer_held_elsewhere(self):
        other = self._other_company()
        seller_b = new_test_user(
            self.env,
            login="brk.sellerb",
            groups="sales_team.group_sale_salesman,"
            "crm_relationship.group_relationship_user",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        self._overdue_invoice(self.customer_f, 45)  # owed to the main company
        order = self._order(self.customer_f, user=seller_b, company=other)
        self.assertFalse(order.with_user(seller_b).crm_credit_hold)
        order.with_user(seller_b).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_policy_of_another_company_does_not_hold_here(self):
        other = self._other_company()
        self.Policy.create(
            {
                "tier": "C",
                "company_id": other.id,
                "credit_hold": True,
                "credit_hold_days": 0,
            }
        )
        self._overdue_invoice(self.customer_c, 45)
        order = self._order(self.customer_c)
        self.assertFalse(order.crm_credit_hold)


# ------------------------------------------------------------
# CREDIT HOLDS: ORDERS THAT MOVE
# ------------------------------------------------------------
@tagged("post_install", "-at_install")
class TestBreakHeldOrders(TierBreakCommon):
    def test_orders_confirmed_together_are_all_or_nothing(self):
        self._overdue_invoice(self.customer_f, 45)
        free = self._order(self.customer_c)
        held = self._order(self.customer_f)
        with self.assertRaises(UserError):
            (free | held).action_confirm()
        self.assertEqual((free | held).mapped("state"), ["draft", "draft"])
        self.assertFalse(free.picking_ids)

    def test_orders_of_two_companies_confirmed_together(self):
        """One order held in the main company, one free in the second, confirmed
        in one click: neither is confirmed."""
        other = self._other_company()
        self._overdue_invoice(self.customer_f, 45)
        held = self._order(self.customer_f)
        free = self._order(self.customer_f, company=other)
        both = (free | held).with_context(
            allowed_company_ids=[self.company.id, other.id]
        )
        with self.assertRaises(UserError):
            both.action_confirm()
        self.assertEqual(both.mapped("state"), ["draft", "draft"])

    def test_released_order_given_another_held_customer_is_held(self):
        """The release was given for Fritz; the quotation then goes to Gustav, who
        is overdue too: Gustav's hold applies."""
        self._overdue_invoice(self.customer_f, 45)
        self._overdue_invoice(self.customer_g, 60)
        order = self._order(self.customer_f)
        order.with_user(self.finance_head).action_crm_release_hold("Fritz paid")
        try:
            order.partner_id = self.customer_g
        except UserError:
            return  # refusing the change is right too
        self.assertTrue(order.crm_credit_hold, "Fritz's release frees Gustav")
        with self.assertRaises(UserError):
            order.action_confirm()

    def test_cancelled_and_redrafted_released_order_is_held_again(self):
        """A release lets one confirmation through: an order released, confirmed,
        cancelled and set back to quotation is a new sale to a customer still
        overdue, and is held again."""
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f)
        order.with_user(self.finance_head).action_crm_release_hold("One-off")
        order.action_confirm()
        order._action_cancel()
        order.action_draft()
        self.assertEqual(order.state, "draft")
        self.assertTrue(order.crm_credit_hold, "the old release still frees it")
        with self.assertRaises(UserError):
            order.action_confirm()

    def test_duplicate_of_released_order_is_held(self):
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f)
        order.with_user(self.finance_head).action_crm_release_hold("One-off")
        copy = order.copy()
        self.assertFalse(copy.crm_hold_release_date)
        self.assertTrue(copy.crm_credit_hold)

    def test_hold_met_after_the_quotation_was_made_is_counted(self):
        """A quotation made while the customer was in good standing, whose customer
        then falls overdue: it is on hold, and Finance's counter and the report
        count it (the finance head must also be able to open it)."""
        order = self._order(self.customer_f, user=self.salesperson)
        self.assertFalse(order.crm_credit_hold)
        self._overdue_invoice(self.customer_f, 45)
        order.invalidate_recordset()
        self.assertTrue(order.crm_credit_hold)
        with self.assertRaises(UserError):
            order.with_user(self.salesperson).action_confirm()
        self.finance.invalidate_recordset()
        self.assertEqual(
            self.finance.crm_credit_hold_count, 1, "a held quotation is not counted"
        )
        self.assertEqual(len(self._hold_rows(self.customer_f)), 1)
        self.assertIn(
            order, self.env["sale.order"].with_user(self.finance_head).search([])
        )

    def test_hold_cleared_by_payment_leaves_the_counter(self):
        """Quotations on credit hold: once the customer pays, the quotation is no
        longer held and leaves Finance's counter."""
        invoice = self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f)
        self.assertEqual(self.finance.crm_credit_hold_count, 1)
        self._pay(invoice, fields.Date.today())
        order.invalidate_recordset()
        self.assertFalse(order.crm_credit_hold)
        self.finance.invalidate_recordset()
        self.assertEqual(
            self.finance.crm_credit_hold_count, 0, "a paid-up quotation is counted"
        )
        action = self.finance.with_context(crm_figure="credit_holds").action_crm_open()
        self.assertNotIn(order, self.env["sale.order"].search(action["domain"]))

    def test_quotation_moved_to_a_customer_in_good_standing(self):
        """Made for held Fritz, then moved to Carl who owes nothing: no hold is
        counted for Carl, in the dashboard or the report."""
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f)
        self.assertTrue(order.crm_hold_date)
        order.partner_id = self.customer_c
        self.assertFalse(order.crm_credit_hold)
        self.finance.invalidate_recordset()
        self.assertEqual(
            self.finance.crm_credit_hold_count, 0, "Carl's quotation is counted"
        )
        self.assertFalse(self._hold_rows(self.customer_c))

    def test_finance_counter_of_each_company(self):
        other = self._other_company()
        finance_b = self.env["hr.department"].create(
            {"name": "Finance", "company_id": other.id}
        )
        self.Policy.create(
            {
                "tier": "F",
                "company_id": other.id,
                "credit_hold": True,
                "credit_hold_days": 30,
            }
        )
        self._tier(self.customer_f, "F", company=other)
        self._overdue_invoice(self.customer_f, 45)  # main company only
        self._order(self.customer_f)
        self._order(self.customer_f, company=other)
        self.assertEqual(self.finance.crm_credit_hold_count, 1)
        self.assertEqual(finance_b.crm_credit_hold_count, 0)


# ------------------------------------------------------------
# DELIVERIES
# ------------------------------------------------------------
@tagged("post_install", "-at_install")
class TestBreakDelivery(TierBreakCommon):
    def test_plain_salesperson_confirms_an_urgent_order(self):
        seller = new_test_user(
            self.env,
            login="brk.plain3",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        order = self._order(self.customer_a, user=seller)
        order.with_user(seller).action_confirm()
        self.assertEqual(order.picking_ids.priority, "1")
        self.assertEqual(order.picking_ids.move_ids.priority, "1")

    def test_urgent_policy_of_another_company_does_not_star_here(self):
        other = self._other_company()
        self.Policy.create(
            {"tier": "C", "company_id": other.id, "delivery_priority": "1"}
        )
        order = self._order(self.customer_c)
        order.action_confirm()
        self.assertEqual(order.picking_ids.priority, "0")

    def test_line_added_to_a_confirmed_urgent_order_stays_urgent(self):
        order = self._order(self.customer_a)
        order.action_confirm()
        order.order_line.product_uom_qty = 3
        self.assertEqual(order.picking_ids.priority, "1")
        self.assertTrue(
            all(m.priority == "1" for m in order.picking_ids.move_ids),
            order.picking_ids.move_ids.mapped("priority"),
        )


# ------------------------------------------------------------
# THE REPORT'S FIGURES
# ------------------------------------------------------------
@tagged("post_install", "-at_install")
class TestBreakReport(TierBreakCommon):
    def test_days_to_release_in_the_company_time_zone(self):
        """Held at 09:00 UTC on 1 March (23:00 in Kiritimati, still 1 March);
        released at 11:00 UTC on 3 March (4 March, 01:00 there): three days."""
        self.company.partner_id.tz = "Pacific/Kiritimati"
        self._invoice(
            self.customer_f,
            "2025-12-01",
            300.0,
            invoice_date_due="2026-01-01",
            invoice_payment_term_id=False,
        )
        with freeze_time("2026-03-01 09:00"):
            order = self._order(self.customer_f)
            self.assertEqual(order.crm_hold_date, fields.Date.to_date("2026-03-01"))
        with freeze_time("2026-03-03 11:00"):
            order.with_user(self.finance_head).action_crm_release_hold("Paid")
        rows = self._hold_rows(self.customer_f)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows.tier, "F")
        self.assertEqual(rows.released_count, 1)
        self.assertEqual(rows.days_to_release, 3.0)

    def test_delivery_dated_the_local_day_in_its_tier(self):
        self.company.partner_id.tz = "Pacific/Kiritimati"
        # done 4 May 23:30 UTC = 5 May 13:30 local; promised 5 May: on time
        picking = self._deliver(self.customer_a, "2026-05-04 23:30", "2026-05-05 00:30")
        self.env.flush_all()
        row = self.Report.search(
            [("kind", "=", "delivery"), ("partner_id", "=", self.customer_a.id)]
        )
        self.assertEqual(len(row), 1)
        self.assertEqual(row.date, fields.Date.to_date("2026-05-05"))
        self.assertEqual(row.tier, "A")
        self.assertTrue(picking.delivered_on_time)
        self.assertEqual(row.on_time_rate, 100.0)

    def test_days_to_pay_counts_the_last_of_two_payments(self):
        invoice = self._invoice(self.customer_c, "2026-04-01", 1000.0)
        self._pay(invoice, "2026-04-11", amount=400.0)
        self._pay(invoice, "2026-04-26", amount=600.0)
        self.env.flush_all()
        row = self.Report.search(
            [("kind", "=", "payment"), ("partner_id", "=", self.customer_c.id)]
        )
        self.assertEqual(len(row), 1)
        self.assertEqual(row.days_to_pay, 25.0)
        self.assertEqual(row.date, fields.Date.to_date("2026-04-26"))
        self.assertEqual(row.tier, "C")

    def test_released_and_confirmed_hold_is_reported_once(self):
        self._overdue_invoice(self.customer_f, 45)
        order = self._order(self.customer_f)
        order.with_user(self.finance_head).action_crm_release_hold("ok")
        order.action_confirm()
        rows = self._hold_rows(self.customer_f)
        self.assertEqual(len(rows), 1)
        self.assertEqual((rows.hold_count, rows.released_count), (1, 1))
