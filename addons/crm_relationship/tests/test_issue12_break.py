"""Trying to break the rules of issue 12: payments, time zones, several companies,
people without an e-mail address, SLA breaches.

Each test states its scenario and the value an accountant or a service manager
expects; the value asserted is that one, whatever the code gives.
"""

from datetime import date, datetime, timedelta

import pytz
from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from .common import HEAD, MANAGER, USER, DepartmentCase, RelationshipScoringCommon

DATE_REF = date(2026, 6, 30)
TODO = "mail.mail_activity_data_todo"


def utc(zone, local):
    """The naive UTC datetime of a local ``YYYY-MM-DD HH:MM[:SS]`` in ``zone``."""
    fmt = "%Y-%m-%d %H:%M:%S" if local.count(":") == 2 else "%Y-%m-%d %H:%M"
    moment = datetime.strptime(local, fmt)
    return (
        pytz.timezone(zone).localize(moment).astimezone(pytz.utc).replace(tzinfo=None)
    )


# ------------------------------------------------------------
# PAYMENTS
# ------------------------------------------------------------
@tagged("post_install", "-at_install")
class TestBreakPayments(RelationshipScoringCommon):
    """Invoices of 100 dated 2026-03-01, due 2026-03-31 (30-day terms) unless said
    otherwise, no taxes; one customer per test; scored as of 2026-06-30."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 1 USD (company currency) = 2.0 EUR until April, 2.4 EUR from 1 April
        cls.eur = cls.setup_other_currency(
            "EUR", rates=[("2016-01-01", 2.0), ("2026-04-01", 2.4)]
        )
        cls.term_instalments = cls.env["account.payment.term"].create(
            {
                "name": "Half now, half in 30 days",
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 50, "nb_days": 0}
                    ),
                    Command.create(
                        {"value": "percent", "value_amount": 50, "nb_days": 30}
                    ),
                ],
            }
        )

    def _customer(self, name, **values):
        return self.env["res.partner"].create(
            {"name": name, "is_company": True, **values}
        )

    def _figures(self, partner, date_ref=DATE_REF):
        self.Score.recompute(
            company_ids=self.company.ids, partner_ids=partner.ids, date_ref=date_ref
        )
        score = self._score(partner)
        return (
            score.paid_invoice_count,
            score.late_invoice_count,
            score.avg_days_to_pay,
            score.overdue_invoice_count,
            score.overdue_amount,
        )

    @staticmethod
    def _receivable(move):
        return move.line_ids.filtered(lambda l: l.account_type == "asset_receivable")

    def _assign(self, invoice, move):
        """The outstanding credit widget: ``move``'s open receivable line on
        ``invoice``."""
        line = self._receivable(move).filtered(lambda l: not l.reconciled)
        invoice.js_assign_outstanding_line(line.id)

    def test_foreign_currency_payment_with_exchange_difference(self):
        """600 EUR invoiced on 03-01 at 2.0 (300 USD), paid in full with 600 EUR on
        04-10 at 2.4 (250 USD); Odoo books an exchange loss of 50 against the
        invoice. The accountant: paid in full on 04-10, 40 days, late (due 03-31),
        nothing overdue: (1 paid, 1 late, 40 days, 0 overdue, 0.0)."""
        customer = self._customer("Foreign Payer")
        invoice = self._invoice(customer, "2026-03-01", 600, currency_id=self.eur.id)
        self._pay(invoice, "2026-04-10")
        self.assertEqual(invoice.payment_state, "paid")
        self.assertTrue(self._receivable(invoice).matched_credit_ids.exchange_move_id)
        self.assertEqual(self._figures(customer), (1, 1, 40.0, 0, 0.0))

    def test_foreign_currency_partial_payment_overdue_rest(self):
        """600 EUR invoiced on 03-01 at 2.0 (300 USD), 300 EUR paid on 04-10 at 2.4
        (125 USD, plus an exchange loss of 25). Open: 300 EUR, worth 150 USD at the
        invoice's rate, as Odoo's residual says. The accountant: not paid, one
        overdue invoice with 150.0 open: (0, 0, 0.0, 1, 150.0)."""
        customer = self._customer("Foreign Part Payer")
        invoice = self._invoice(customer, "2026-03-01", 600, currency_id=self.eur.id)
        self._pay(invoice, "2026-04-10", 300)
        self.assertAlmostEqual(invoice.amount_residual_signed, 150.0)
        self.assertEqual(self._figures(customer), (0, 0, 0.0, 1, 150.0))

    def test_advance_payment_used_on_a_later_invoice(self):
        """100 received on 02-20 before any invoice (an outstanding credit), then the
        invoice of 03-01 settled with it. Paid before it was even issued: on time,
        0 days to pay (never negative), nothing overdue: (1, 0, 0.0, 0, 0.0)."""
        customer = self._customer("Advance Payer")
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": customer.id,
                "amount": 100,
                "date": "2026-02-20",
                "journal_id": self.company_data["default_journal_bank"].id,
            }
        )
        payment.action_post()
        invoice = self._invoice(customer, "2026-03-01", 100)
        self._assign(invoice, payment.move_id)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self._figures(customer), (1, 0, 0.0, 0, 0.0))

    def test_credit_note_partly_settling_two_invoices(self):
        """A credit note of 150 (03-10) settles all of invoice A and 50 of invoice B
        (both 100, 03-01); B's last 50 paid on 04-15. A is cancelled (neither paid
        nor overdue); B is paid on 04-15, 45 days, late: (1, 1, 45.0, 0, 0.0)."""
        customer = self._customer("Two Credited")
        invoice_a = self._invoice(customer, "2026-03-01", 100)
        invoice_b = self._invoice(customer, "2026-03-01", 100)
        refund = self._invoice(customer, "2026-03-10", 150, move_type="out_refund")
        self._assign(invoice_a, refund)
        self._assign(invoice_b, refund)
        self.assertAlmostEqual(invoice_b.amount_residual, 50.0)
        self._pay(invoice_b, "2026-04-15")
        self.assertEqual(self._figures(customer), (1, 1, 45.0, 0, 0.0))

    def test_invoice_settled_by_credit_note_of_a_sister_company(self):
        """A group: the parent's invoice of 100 (03-01) is settled with the credit
        note of 100 (03-10) of its subsidiary, another customer. A credit note pays
        nothing, whoever it belongs to: the parent has neither a paid nor an overdue
        invoice (0, 0, 0.0, 0, 0.0) and no payment to judge by; the subsidiary's
        only document is a refund: nothing to judge either."""
        parent = self._customer("Group Parent")
        sister = self._customer("Group Sister", parent_id=parent.id)
        self.assertEqual(sister.commercial_partner_id, sister)
        invoice = self._invoice(parent, "2026-03-01", 100)
        refund = self._invoice(sister, "2026-03-10", 100, move_type="out_refund")
        (self._receivable(invoice) | self._receivable(refund)).reconcile()
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertEqual(self._figures(parent), (0, 0, 0.0, 0, 0.0))
        self.assertFalse(self._score(parent).payment_known)
        self.Score.recompute(
            company_ids=self.company.ids, partner_ids=sister.ids, date_ref=DATE_REF
        )
        self.assertFalse(self._score(sister).payment_known)
        self.assertEqual(self._score(sister).monetary, -100.0)

    def test_payment_unreconciled_then_reconciled_again(self):
        """Paid on 03-10; the accountant removes the match (the customer is queued
        for rescoring, the invoice is overdue again: (0, 0, 0.0, 1, 100.0)), then
        matches the same payment again later: paid on 03-10, 9 days, on time:
        (1, 0, 9.0, 0, 0.0)."""
        customer = self._customer("Rematched")
        invoice = self._invoice(customer, "2026-03-01", 100)
        payment = self._pay(invoice, "2026-03-10")
        self.assertEqual(self._figures(customer), (1, 0, 9.0, 0, 0.0))
        partial = self._receivable(invoice).matched_credit_ids
        invoice.js_remove_outstanding_partial(partial.id)
        queued = self.env["crm.relationship.score.queue"].search(
            [("partner_id", "=", customer.id)]
        )
        self.assertTrue(queued, "unreconciling queues the customer")
        self.assertEqual(self._figures(customer), (0, 0, 0.0, 1, 100.0))
        self._assign(invoice, payment.move_id)
        self.assertEqual(self._figures(customer), (1, 0, 9.0, 0, 0.0))

    def test_two_instalments_first_one_paid_late(self):
        """Terms: 50 due at once (03-01), 50 due 30 days later (03-31). Everything
        paid on 03-20: the first instalment was 19 days late. The accountant: paid,
        late, 19 days: (1, 1, 19.0, 0, 0.0)."""
        customer = self._customer("Instalment Late")
        invoice = self._invoice(
            customer,
            "2026-03-01",
            100,
            invoice_payment_term_id=self.term_instalments.id,
        )
        self.assertEqual(
            sorted(self._receivable(invoice).mapped("date_maturity")),
            [date(2026, 3, 1), date(2026, 3, 31)],
        )
        # the whole 100 (the wizard proposes the next instalment only)
        self._pay(invoice, "2026-03-20", 100)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self._figures(customer), (1, 1, 19.0, 0, 0.0))

    def test_two_instalments_first_one_overdue(self):
        """Same terms, nothing paid, looked at on 03-15: the first instalment (50)
        is 14 days overdue, the second not due yet. Odoo's aged receivable and the
        customer 360 say 50 overdue: (0, 0, 0.0, 1, 50.0)."""
        customer = self._customer("Instalment Overdue")
        self._invoice(
            customer,
            "2026-03-01",
            100,
            invoice_payment_term_id=self.term_instalments.id,
        )
        self.assertEqual(
            self._figures(customer, date(2026, 3, 15)), (0, 0, 0.0, 1, 50.0)
        )


# ------------------------------------------------------------
# TIME ZONES
# ------------------------------------------------------------
class ZoneMixin:
    @classmethod
    def _zone_company(cls, zone):
        cls.company.partner_id.tz = zone
        cls.env.user.groups_id += cls.env.ref("stock.group_stock_user")

    def _delivery_figures(self, partner, date_ref, company=None):
        self.Score.recompute(
            company_ids=(company or self.company).ids,
            partner_ids=partner.ids,
            date_ref=date_ref,
        )
        score = self._score(partner, company)
        return score.delivery_count, score.on_time_delivery_count


@tagged("post_install", "-at_install")
class TestBreakMidnightAuckland(ZoneMixin, RelationshipScoringCommon):
    ZONE = "Pacific/Auckland"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._zone_company(cls.ZONE)

    def test_delivery_done_exactly_at_local_midnight(self):
        """Auckland. Promised 06-10 08:00, done 06-11 00:00:00 (midnight, 06-11):
        late. Promised 06-10 08:00, done 06-10 00:00:00: on time. Promised 06-12
        00:00, done 06-12 23:59:59: on time. Window of 2026-06-30 (365 days):
        done 2025-07-01 00:00:00 is inside (on time for 2025-07-01 08:00),
        2025-06-30 23:59:59 and 2026-07-01 00:00:00 outside. Right: 4 deliveries,
        3 on time; the stored on-time flags say the same."""
        z = self.ZONE
        customer = self.env["res.partner"].create(
            {"name": "Midnight", "is_company": True}
        )
        self._invoice(customer, "2026-06-01", 100)
        cases = [
            ("2026-06-11 00:00:00", "2026-06-10 08:00", False),
            ("2026-06-10 00:00:00", "2026-06-10 08:00", True),
            ("2026-06-12 23:59:59", "2026-06-12 00:00", True),
            ("2025-07-01 00:00:00", "2025-07-01 08:00", True),
            ("2025-06-30 23:59:59", "2025-06-30 08:00", True),
            ("2026-07-01 00:00:00", "2026-07-01 08:00", True),
        ]
        pickings = [
            self._deliver(customer, utc(z, done), utc(z, promised))
            for done, promised, _on_time in cases
        ]
        if "delivered_on_time" in pickings[0]._fields:
            self.env.flush_all()
            self.assertEqual(
                [p.delivered_on_time for p in pickings],
                [on_time for _d, _p, on_time in cases],
            )
        self.assertEqual(self._delivery_figures(customer, DATE_REF), (4, 3))


@tagged("post_install", "-at_install")
class TestBreakZoneSetLater(ZoneMixin, RelationshipScoringCommon):
    def test_on_time_flag_follows_a_zone_set_after_the_delivery(self):
        """The company is first on UTC; a delivery promised 06-10 08:00 UTC is done
        06-10 23:00 UTC. Then the company's contact is set to Brussels, as the
        README asks before scoring: in Brussels it was done 06-11 01:00, late. The
        score says late (0 on time of 1); the stored on-time flag that the on-time
        KPI reads must say late too (False), not keep its UTC answer."""
        self._zone_company("UTC")
        customer = self.env["res.partner"].create({"name": "Moved", "is_company": True})
        self._invoice(customer, "2026-06-01", 100)
        picking = self._deliver(
            customer, datetime(2026, 6, 10, 23, 0), datetime(2026, 6, 10, 8, 0)
        )
        if "delivered_on_time" not in picking._fields:
            self.skipTest("crm_analytics is not installed")
        self.env.flush_all()
        self.assertTrue(picking.delivered_on_time)
        self.company.partner_id.tz = "Europe/Brussels"
        self.env.flush_all()
        self.assertEqual(self._delivery_figures(customer, DATE_REF), (1, 0))
        self.env.invalidate_all()
        self.assertFalse(picking.delivered_on_time)


@tagged("post_install", "-at_install")
class TestBreakBrusselsDst(ZoneMixin, RelationshipScoringCommon):
    ZONE = "Europe/Brussels"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._zone_company(cls.ZONE)

    def test_dst_change_days(self):
        """Brussels, 2026: summer time from Sunday 03-29 (02:00 -> 03:00), winter
        time from Sunday 10-25 (03:00 -> 02:00). Promised on each Sunday at 08:00:
        done 23:30 that Sunday is on time, done 00:30 the Monday is late. As of
        10-31: 4 deliveries, 2 on time. As of 03-29 (the short day itself), only
        the Sunday 23:30 delivery is done by the end of that day: 1, 1."""
        z = self.ZONE
        customer = self.env["res.partner"].create(
            {"name": "Summer", "is_company": True}
        )
        self._invoice(customer, "2026-03-01", 100)
        for done, promised in (
            ("2026-03-29 23:30", "2026-03-29 08:00"),
            ("2026-03-30 00:30", "2026-03-29 08:00"),
            ("2026-10-25 23:30", "2026-10-25 08:00"),
            ("2026-10-26 00:30", "2026-10-25 08:00"),
        ):
            self._deliver(customer, utc(z, done), utc(z, promised))
        self.assertEqual(self._delivery_figures(customer, date(2026, 10, 31)), (4, 2))
        self.assertEqual(self._delivery_figures(customer, date(2026, 3, 29)), (1, 1))


@tagged("post_install", "-at_install")
class TestBreakTwoZonesOneRecompute(ZoneMixin, RelationshipScoringCommon):
    """Auckland (the main company) beside a company with no time zone at all (UTC),
    at 2026-06-10 13:00 UTC: 06-11 01:00 in Auckland, still 06-10 in UTC."""

    NOW = datetime(2026, 6, 10, 13, 0)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._zone_company("Pacific/Auckland")
        cls.company_utc = cls.setup_other_company(name="No Zone Co")["company"]
        cls.company_utc.partner_id.tz = False
        cls.company_utc.resource_calendar_id.tz = "UTC"
        cls.env.user.company_ids |= cls.company_utc

    def test_each_company_scored_by_its_own_today(self):
        """One recompute of both companies without a reference date. Auckland's
        customer invoiced on 06-11 (its today), delivery done 06-11 00:30 local for a
        promise of 06-11: date_ref 06-11, recency 0, frequency 1, 1 delivery on
        time. The UTC company's customer invoiced 06-10, delivered 06-10 12:00 UTC
        for 06-10: date_ref 06-10, recency 0, 1 delivery on time; the Auckland
        clock must not push the UTC company to 06-11 nor the other way round."""
        self.assertEqual(self.company_utc._crm_tz(), "UTC")
        kiwi = self.env["res.partner"].create({"name": "Kiwi", "is_company": True})
        plain = self.env["res.partner"].create({"name": "Plain", "is_company": True})
        with freeze_time(self.NOW):
            self._invoice(kiwi, "2026-06-11", 100)
            self._deliver(
                kiwi,
                utc("Pacific/Auckland", "2026-06-11 00:30"),
                utc("Pacific/Auckland", "2026-06-11 08:00"),
            )
            self._invoice(plain, "2026-06-10", 100, company=self.company_utc)
            self.Score.recompute(company_ids=(self.company | self.company_utc).ids)
        kiwi_score = self._score(kiwi)
        plain_score = self._score(plain, self.company_utc)
        self.assertRecordValues(
            kiwi_score,
            [
                {
                    "date_ref": date(2026, 6, 11),
                    "recency_days": 0,
                    "frequency": 1,
                    "delivery_count": 1,
                    "on_time_delivery_count": 1,
                }
            ],
        )
        self.assertRecordValues(
            plain_score,
            [{"date_ref": date(2026, 6, 10), "recency_days": 0, "frequency": 1}],
        )

    def test_winback_cron_dates_the_campaign_by_the_company_day(self):
        """The daily win-back cron, run by its (UTC) cron user at 2026-06-10 13:00
        UTC, opens a win-back for an Auckland customer at risk (one invoice on
        2025-10-01, 253 days ago): the campaign starts on Auckland's today, 06-11.
        Right: winback_date_start 2026-06-11."""
        customer = self.env["res.partner"].create(
            {"name": "Drifting Kiwi", "is_company": True}
        )
        self._invoice(customer, "2025-10-01", 100)
        root = self.env["res.users"].browse(SUPERUSER_ID)
        root.partner_id.tz = "UTC"
        with freeze_time(self.NOW):
            self.Score.recompute(company_ids=self.company.ids)
            self.assertEqual(self._score(customer).churn_state, "at_risk")
            self.env["crm.lead"].with_user(root).with_context(
                tz=False
            )._cron_open_winbacks()
        lead = self.env["crm.lead"].search(
            [("partner_id", "=", customer.id), ("is_winback", "=", True)]
        )
        self.assertEqual(lead.winback_date_start, date(2026, 6, 11))

    def test_winback_cron_in_a_company_the_salesperson_does_not_work_in(self):
        """The customer's salesperson works in the Auckland company only; the
        customer, at risk in the other company (one invoice 2025-10-01), gets its
        win-back there from the daily cron: no error (the cron serves every
        company), a win-back of that company whose responsible works in it."""
        seller = new_test_user(
            self.env,
            login="brk_seller_main",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        customer = self.env["res.partner"].create(
            {"name": "Far Away", "is_company": True, "user_id": seller.id}
        )
        self._invoice(customer, "2025-10-01", 100, company=self.company_utc)
        with freeze_time(self.NOW):
            self.Score.recompute(company_ids=self.company_utc.ids)
            self.assertEqual(
                self._score(customer, self.company_utc).churn_state, "at_risk"
            )
            self.env["crm.lead"]._cron_open_winbacks()
        lead = self.env["crm.lead"].search(
            [("partner_id", "=", customer.id), ("is_winback", "=", True)]
        )
        self.assertEqual(lead.company_id, self.company_utc)
        self.assertNotIn(lead.user_id, seller)


@tagged("post_install", "-at_install")
class TestBreakFridayNight(ZoneMixin, RelationshipScoringCommon):
    ZONE = "America/Los_Angeles"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._zone_company(cls.ZONE)
        # calendar hours: a company without working hours
        cls.company.resource_calendar_id = False

    def test_complaint_received_friday_2330_local(self):
        """Los Angeles, Friday 2026-06-12 23:30 (Saturday 06:30 UTC), medium
        severity (24 h / 120 h, calendar hours): first response due Saturday
        06-13 23:30 local, resolution Wednesday 06-17 23:30 local. Scored as of
        Friday 06-12 it counts (received on Friday, local); as of Thursday 06-11 it
        does not."""
        z = self.ZONE
        customer = self.env["res.partner"].create(
            {"name": "Late Caller", "is_company": True}
        )
        self._invoice(customer, "2026-06-01", 100)
        received = utc(z, "2026-06-12 23:30")
        with freeze_time(received):
            complaint = self.env["crm.complaint"].create(
                {"name": "Wrong parts", "partner_id": customer.id, "severity": "medium"}
            )
        # recorded as it came (the database's clock ignores freezegun)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE crm_complaint SET create_date = %s WHERE id = %s",
                received,
                complaint.id,
            )
        )
        self.env.invalidate_all()
        self.assertEqual(complaint.date_received, received)
        self.assertEqual(complaint.response_deadline, utc(z, "2026-06-13 23:30"))
        self.assertEqual(complaint.resolution_deadline, utc(z, "2026-06-17 23:30"))
        self.Score.recompute(
            company_ids=self.company.ids,
            partner_ids=customer.ids,
            date_ref=date(2026, 6, 12),
        )
        self.assertEqual(self._score(customer).complaint_count, 1)
        self.Score.recompute(
            company_ids=self.company.ids,
            partner_ids=customer.ids,
            date_ref=date(2026, 6, 11),
        )
        self.assertEqual(self._score(customer).complaint_count, 0)


# ------------------------------------------------------------
# SEVERAL COMPANIES, PEOPLE WITHOUT E-MAIL, SLA
# ------------------------------------------------------------
@tagged("post_install", "-at_install")
class TestBreakCompanies(DepartmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        # the SLA tests of this class count clock hours: no working hours in A
        cls.company_a.resource_calendar_id = False
        cls.company_b = cls.env["res.company"].create({"name": "Break B"})
        cls.company_b.partner_id.email = False
        cls.customer = cls.env["res.partner"].create(
            {"name": "Shared customer", "is_company": True}
        )
        Department = cls.env["hr.department"]
        cls.sales_b = Department.create(
            {"name": "Sales B", "company_id": cls.company_b.id}
        )
        cls.logistics_b = Department.create(
            {"name": "Logistics B", "company_id": cls.company_b.id}
        )
        cls.service_a = Department.create(
            {"name": "Service A", "company_id": cls.company_a.id}
        )
        cls.agent_a = cls._person("brk_agent_a", USER, cls.service_a)
        cls.seller_b = cls._person("brk_seller_b", USER, cls.sales_b, cls.company_b)
        cls.planner_b = cls._person(
            "brk_planner_b", USER, cls.logistics_b, cls.company_b
        )
        cls.head_b = cls._person("brk_head_b", HEAD, cls.logistics_b, cls.company_b)
        cls.logistics_b.manager_id = cls.head_b.with_company(cls.company_b).employee_id
        cls.bare_b = cls.seller_b | cls.planner_b | cls.head_b
        cls.bare_b.partner_id.email = False
        cls.manager_ab = new_test_user(
            cls.env,
            login="brk_manager_ab",
            groups=MANAGER,
            company_id=cls.company_b.id,
            company_ids=[Command.set((cls.company_a | cls.company_b).ids)],
        )

    def test_company_created_by_a_non_admin_user(self):
        """A multi-company user who may create companies (Access Rights, not
        Settings) creates company C: C has the four shipped SLA policies and one
        scoring profile, and a complaint in C gets its deadlines (high: 8 h / 48 h)
        in C's own working hours (Odoo's standard 40 hours, here in UTC): received
        Monday 2026-03-02 09:00, first response due Tuesday 09:00 (7 h on Monday, 1
        on Tuesday), resolution Tuesday 03-10 09:00 (7 + 5 x 8 + 1)."""
        creator = new_test_user(
            self.env,
            login="brk_creator",
            groups="base.group_user,base.group_erp_manager,base.group_multi_company,"
            "crm_relationship.group_relationship_user",
        )
        self.assertFalse(creator.has_group("base.group_system"))
        company_c = self.env["res.company"].with_user(creator).create({"name": "C Co"})
        policies = self.env["crm.complaint.sla.policy"].search(
            [("company_id", "=", company_c.id)]
        )
        self.assertEqual(
            sorted(policies.mapped("severity")), ["critical", "high", "low", "medium"]
        )
        self.assertEqual(
            len(
                self.env["crm.relationship.scoring.profile"].search(
                    [("company_id", "=", company_c.id)]
                )
            ),
            1,
        )
        creator.company_ids |= company_c
        calendar = company_c.with_env(self.env).resource_calendar_id
        self.assertTrue(calendar)
        calendar.tz = "UTC"
        t0 = datetime(2026, 3, 2, 9, 0)
        with freeze_time(t0):
            complaint = (
                self.env["crm.complaint"]
                .with_user(creator)
                .with_company(company_c)
                .create(
                    {
                        "name": "Broken",
                        "partner_id": self.customer.id,
                        "severity": "high",
                        "company_id": company_c.id,
                    }
                )
            )
        self.assertEqual(complaint.response_deadline, datetime(2026, 3, 3, 9, 0))
        self.assertEqual(complaint.resolution_deadline, datetime(2026, 3, 10, 9, 0))

    def test_complaint_in_b_assigned_to_a_user_of_a_only(self):
        """A complaint of company B cannot be handled by someone who only works in
        company A: assigning agent_a is refused (a UserError or ValidationError), the
        responsible stays the one chosen before."""
        complaint = (
            self.env["crm.complaint"]
            .with_user(self.manager_ab)
            .with_company(self.company_b)
            .create(
                {
                    "name": "Dented",
                    "partner_id": self.customer.id,
                    "company_id": self.company_b.id,
                    "user_id": self.manager_ab.id,
                }
            )
        )
        with self.assertRaises(UserError):
            complaint.write({"user_id": self.agent_a.id})
        self.assertEqual(complaint.user_id, self.manager_ab)

    def test_handoff_in_b_by_people_without_any_email(self):
        """Company B (no e-mail of its own); its people have no e-mail address,
        neither on the user nor on the contact. They request, accept, complete,
        refuse and reopen hand-offs like everyone: no error, the requester is told,
        the head of Logistics B gets the to-do."""
        for user in self.bare_b:
            self.assertFalse(user.email)
            self.assertFalse(user.partner_id.email)
            self.assertEqual(user.company_id, self.company_b)
        Handoff = self.env["crm.handoff"]
        values = {
            "name": "Check the pallets",
            "partner_id": self.customer.id,
            "to_department_id": self.logistics_b.id,
        }
        handoff = Handoff.with_user(self.seller_b).create(dict(values))
        self.assertEqual(handoff.company_id, self.company_b)
        self.assertEqual(handoff.from_department_id, self.sales_b)
        todo = handoff.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(TODO)
        )
        self.assertEqual(todo.user_id, self.head_b)
        handoff.with_user(self.planner_b).action_accept()
        self.assertEqual(handoff.user_id, self.planner_b)
        handoff.with_user(self.planner_b).write({"result": "<p>12 pallets</p>"})
        handoff.with_user(self.planner_b).action_done()
        self.assertEqual(handoff.state, "done")
        told = handoff.message_ids.filtered(
            lambda m: self.seller_b.partner_id in m.partner_ids
        )
        self.assertEqual(told.author_id, self.planner_b.partner_id)
        second = Handoff.with_user(self.seller_b).create(dict(values))
        second.with_user(self.head_b).write({"user_id": self.planner_b.id})
        second.with_user(self.planner_b).action_refuse("Not ours")
        self.assertEqual(second.state, "refused")
        second.with_user(self.seller_b).action_reopen()
        self.assertEqual(second.state, "requested")

    def test_complaint_in_b_by_people_without_any_email(self):
        """Same people of company B, no e-mail anywhere: record, assign, answer in
        the chatter, close (the rating request goes out), reopen a complaint."""
        Complaint = self.env["crm.complaint"].with_user(self.planner_b)
        buyer = self.env["res.partner"].create(
            {
                "name": "Buyer",
                "parent_id": self.customer.id,
                "email": "buyer@customer.example.com",
            }
        )
        complaint = Complaint.create({"name": "Late", "partner_id": buyer.id})
        self.assertEqual(complaint.company_id, self.company_b)
        complaint.with_user(self.head_b).write({"user_id": self.planner_b.id})
        complaint.with_user(self.planner_b).sudo().message_post(
            body="We are on it",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=buyer.ids,
        )
        self.assertTrue(complaint.date_first_response)
        complaint.with_user(self.planner_b).action_close()
        self.assertTrue(complaint.is_closed)
        complaint.with_user(self.planner_b).action_reopen()
        self.assertEqual(complaint.reopen_count, 1)

    def test_mark_lost_a_customer_of_another_salesperson(self):
        """One company. The customer's salesperson is a colleague; agent_a, a
        Relationship User, hears that the customer left and marks it lost with a
        reason: it works (no access error), the lost win-back carries the reason
        and stays the salesperson's (or agent_a's) to see."""
        colleague = self._person("brk_colleague_a", USER, self.service_a)
        self.customer.user_id = colleague
        reason = self.env["crm.lost.reason"].create({"name": "Went to a rival"})
        self.env["res.partner.lost"].with_user(self.agent_a).create(
            {"partner_id": self.customer.id, "lost_reason_id": reason.id}
        ).action_mark_lost()
        lead = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search([("partner_id", "=", self.customer.id), ("is_winback", "=", True)])
        )
        self.assertEqual(lead.lost_reason_id, reason)

    def test_mark_lost_in_b_when_the_salesperson_works_in_a_only(self):
        """The customer's salesperson (agent_a) works in company A only. A manager
        working in company B marks the customer lost there: it works, and the
        lost win-back of company B carries the reason, with a responsible who
        works in B (not agent_a, whom company B's records refuse)."""
        self.customer.user_id = self.agent_a
        reason = self.env["crm.lost.reason"].create({"name": "Went to a rival"})
        Wizard = (
            self.env["res.partner.lost"]
            .with_user(self.manager_ab)
            .with_context(allowed_company_ids=self.company_b.ids)
        )
        Wizard.create(
            {"partner_id": self.customer.id, "lost_reason_id": reason.id}
        ).action_mark_lost()
        lead = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search([("partner_id", "=", self.customer.id), ("is_winback", "=", True)])
        )
        self.assertEqual(lead.company_id, self.company_b)
        self.assertEqual(lead.lost_reason_id, reason)
        self.assertIn(self.company_b, lead.user_id.company_ids)

    def test_sla_cron_response_then_resolution(self):
        """Medium complaint received 2026-03-02 09:00 (response within 24 h,
        resolution within 120 h), nobody answers. Cron at +30 h: the response is
        late, the resolution still in time (response_breached, not
        resolution_breached, sla_breached). Cron at +130 h: the resolution is late
        too, the response breach stays: both recorded, sla_breached."""
        t0 = datetime(2026, 3, 2, 9, 0)
        with freeze_time(t0):
            complaint = (
                self.env["crm.complaint"]
                .with_user(self.agent_a)
                .create({"name": "Slow", "partner_id": self.customer.id})
            )
        Complaint = self.env["crm.complaint"]
        with freeze_time(t0 + timedelta(hours=30)):
            Complaint._cron_check_sla()
        self.assertRecordValues(
            complaint,
            [
                {
                    "response_breached": True,
                    "resolution_breached": False,
                    "sla_breached": True,
                }
            ],
        )
        with freeze_time(t0 + timedelta(hours=130)):
            Complaint._cron_check_sla()
        self.assertRecordValues(
            complaint,
            [
                {
                    "response_breached": True,
                    "resolution_breached": True,
                    "sla_breached": True,
                }
            ],
        )
