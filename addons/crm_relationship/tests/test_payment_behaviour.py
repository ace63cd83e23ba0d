from datetime import date

from odoo.tests import tagged

from .common import RelationshipScoringCommon

DATE_REF = date(2026, 6, 30)


@tagged("post_install", "-at_install")
class TestPaymentBehaviour(RelationshipScoringCommon):
    """Payment behaviour reads payments only: a credit note or a reversal lowers what
    an invoice asks for, it does not pay it (Odoo calls such an invoice "reversed",
    not "paid"). Every invoice below is of 100, dated 2026-03-01 and due 2026-03-31
    unless said otherwise; one customer per case."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]

        def customer(name):
            return Partner.create({"name": name, "is_company": True})

        # The customer: A paid after 20 days, B cancelled after 35 days by a
        # full credit note and never paid.
        cls.reversed_one = customer("Reversed One")
        invoice_a = cls._invoice(cls.reversed_one, "2026-03-01", 100)
        cls._pay(invoice_a, "2026-03-21")
        cls.invoice_b = cls._invoice(cls.reversed_one, "2026-04-01", 100)
        cls._credit(cls.invoice_b, "2026-05-06")

        # Only a full credit note: neither paid nor overdue, nothing to judge.
        cls.only_credited = customer("Only Credited")
        cls._credit(cls._invoice(cls.only_credited, "2026-03-01", 100), "2026-03-10")

        # Credit note of 30, then the 70 left paid on 04-15: paid on 04-15, late.
        cls.credit_then_pay = customer("Credit Then Pay")
        invoice = cls._invoice(cls.credit_then_pay, "2026-03-01", 100)
        cls._credit(invoice, "2026-03-10", 30)
        cls._pay(invoice, "2026-04-15", 70)

        # Two instalments: paid when the last one came, 04-10, late.
        cls.instalments = customer("Instalments")
        invoice = cls._invoice(cls.instalments, "2026-03-01", 100)
        cls._pay(invoice, "2026-03-10", 40)
        cls._pay(invoice, "2026-04-10", 60)

        # 70 paid on 03-20, the 30 left credited on 04-20: paid on 03-20, on time.
        cls.pay_then_credit = customer("Pay Then Credit")
        invoice = cls._invoice(cls.pay_then_credit, "2026-03-01", 100)
        cls._pay(invoice, "2026-03-20", 70)
        cls._credit(invoice, "2026-04-20", 30)

        # Credit note of 30, nothing paid: 70 overdue, not "paid late".
        cls.partly_credited = customer("Partly Credited")
        cls._credit(
            cls._invoice(cls.partly_credited, "2026-03-01", 100), "2026-03-10", 30
        )

        # Paid on 03-10, then the payment's entry reversed: unpaid, overdue again.
        cls.payment_reversed = customer("Payment Reversed")
        invoice = cls._invoice(cls.payment_reversed, "2026-03-01", 100)
        payment = cls._pay(invoice, "2026-03-10")
        payment.move_id._reverse_moves([{"date": "2026-03-12"}], cancel=True)

        # Paid by a bank statement line on 04-05 (no payment record): late, 35 days.
        cls.bank_line = customer("Bank Line")
        invoice = cls._invoice(cls.bank_line, "2026-03-01", 100)
        cls._pay_by_statement_line(invoice, "2026-04-05")

        # 600 EUR invoiced at 2.0 (300), credited in full at 2.4 (250): the exchange
        # difference of 50 that closes the invoice is no payment either.
        cls.eur = cls.setup_other_currency(
            "EUR", rates=[("2016-01-01", 2.0), ("2026-04-01", 2.4)]
        )
        cls.foreign_credited = customer("Foreign Credited")
        invoice = cls._invoice(
            cls.foreign_credited, "2026-03-01", 600, currency_id=cls.eur.id
        )
        refund = cls._invoice(
            cls.foreign_credited,
            "2026-04-10",
            600,
            move_type="out_refund",
            currency_id=cls.eur.id,
        )
        cls._reconcile(invoice, refund)

        cls.Score.recompute(company_ids=cls.company.ids, date_ref=DATE_REF)

    @classmethod
    def _reconcile(cls, *moves):
        lines = moves[0].browse([m.id for m in moves]).line_ids
        lines.filtered(lambda line: line.account_type == "asset_receivable").reconcile()

    @classmethod
    def _credit(cls, invoice, day, amount=None):
        """A posted credit note of ``amount`` (all of the invoice by default),
        reconciled with the invoice, as the "Credit Note" button and the
        outstanding-credit widget leave them."""
        if amount is None:
            return invoice._reverse_moves(
                [{"date": day, "invoice_date": day}], cancel=True
            )
        refund = cls._invoice(invoice.partner_id, day, amount, move_type="out_refund")
        cls._reconcile(invoice, refund)
        return refund

    @classmethod
    def _pay_by_statement_line(cls, invoice, day):
        """A bank statement line matched with the invoice without the (Enterprise)
        reconciliation widget, as Odoo's own tests do it."""
        line = cls.env["account.bank.statement.line"].create(
            {
                "date": day,
                "payment_ref": invoice.name,
                "journal_id": cls.company_data["default_journal_bank"].id,
                "partner_id": invoice.partner_id.id,
                "amount": invoice.amount_total,
            }
        )
        _liquidity, suspense, _other = line.with_context(
            skip_account_move_synchronization=True
        )._seek_for_lines()
        receivable = invoice.line_ids.filtered(
            lambda aml: aml.account_type == "asset_receivable"
        )
        suspense.with_context(
            skip_account_move_synchronization=True
        ).account_id = receivable.account_id
        (suspense + receivable).reconcile()
        return line

    def _payment_figures(self, partner):
        return self._score(partner).read(
            [
                "paid_invoice_count",
                "late_invoice_count",
                "avg_days_to_pay",
                "overdue_invoice_count",
                "overdue_amount",
                "payment_known",
                "payment_component",
            ]
        )[0]

    def assertPayment(self, partner, paid, late, days, overdue, amount, component):
        figures = self._payment_figures(partner)
        self.assertEqual(
            (
                figures["paid_invoice_count"],
                figures["late_invoice_count"],
                figures["avg_days_to_pay"],
                figures["overdue_invoice_count"],
                figures["overdue_amount"],
            ),
            (paid, late, days, overdue, amount),
            partner.name,
        )
        self.assertAlmostEqual(figures["payment_component"], component, places=4)

    def test_odoo_calls_the_credited_invoice_reversed(self):
        """The rule mirrors Odoo's own word for these invoices."""
        self.assertEqual(self.invoice_b.payment_state, "reversed")

    def test_credit_note_is_not_a_payment(self):
        """The issue: 1 paid, none late, 20 days to pay, payment component 100."""
        self.assertPayment(self.reversed_one, 1, 0, 20.0, 0, 0.0, 100.0)
        score = self._score(self.reversed_one)
        self.assertEqual(score.late_payment_rate, 0.0)
        self.assertNotIn("paid late", score.explanation)

    def test_fully_credited_invoice_is_neither_paid_nor_overdue(self):
        score = self._score(self.only_credited)
        self.assertPayment(self.only_credited, 0, 0, 0.0, 0, 0.0, 0.0)
        self.assertFalse(score.payment_known, "nothing was asked, nothing to judge")
        self.assertFalse(score.payment_contribution)

    def test_partly_credited_invoice_paid_on_the_day_of_its_payment(self):
        # credited on 03-10, paid on 04-15: 45 days, past the 03-31 due date
        self.assertPayment(self.credit_then_pay, 1, 1, 45.0, 0, 0.0, 0.0)

    def test_instalments_paid_on_the_last_one(self):
        self.assertPayment(self.instalments, 1, 1, 40.0, 0, 0.0, 0.0)

    def test_credit_after_a_partial_payment(self):
        # the 70 asked after the credit note were all paid on 03-20
        self.assertPayment(self.pay_then_credit, 1, 0, 19.0, 0, 0.0, 100.0)
        # before the credit note, the 30 left were overdue and nothing was paid
        self.Score.recompute(
            company_ids=self.company.ids,
            partner_ids=self.pay_then_credit.ids,
            date_ref=date(2026, 4, 10),
        )
        self.assertPayment(self.pay_then_credit, 0, 0, 0.0, 1, 30.0, 0.0)

    def test_overdue_part_of_a_partly_credited_invoice(self):
        self.assertPayment(self.partly_credited, 0, 0, 0.0, 1, 70.0, 0.0)

    def test_reversed_payment_pays_nothing(self):
        self.assertPayment(self.payment_reversed, 0, 0, 0.0, 1, 100.0, 0.0)

    def test_bank_statement_line_is_a_payment(self):
        self.assertPayment(self.bank_line, 1, 1, 35.0, 0, 0.0, 0.0)

    def test_exchange_difference_of_a_credit_note_is_no_payment(self):
        invoice = self.env["account.move"].search(
            [
                ("partner_id", "=", self.foreign_credited.id),
                ("move_type", "=", "out_invoice"),
            ]
        )
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertPayment(self.foreign_credited, 0, 0, 0.0, 0, 0.0, 0.0)
        self.assertFalse(self._score(self.foreign_credited).payment_known)
