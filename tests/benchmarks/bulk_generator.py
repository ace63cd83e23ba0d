"""The demo generator's SQL path, for benchmark sizes (100k customers, 1M lines).

The ORM generator (``demo_generator``) books documents the way users do, which takes
hours at this size. This path writes the same kind of company directly in SQL, with the
rows the relationship scoring reads kept consistent as accounting:

* each invoice (or refund) is a posted ``account.move`` with product lines crediting
  income and one receivable line debiting the total (balanced, company currency),
  numbered in a sequence of its own (``sequence_prefix``/``sequence_number`` set, as
  Odoo's numbering of later invoices reads them);
* each payment is a posted journal entry crediting the receivable and debiting the
  bank journal's account, reconciled with the invoice by an
  ``account.partial.reconcile``; residuals, ``reconciled`` and ``payment_state`` agree;
* deliveries are done outgoing pickings, some late against their scheduled date, some
  returned by a done incoming picking pointing back at them.

Invoice lines carry products of a catalogue of ``products`` (default 200) in groups
of eight: seven lines in ten come from the customer's own group, the others from the
whole catalogue with a few products far more popular, so that co-purchase has
structure. Products are picked by ``hashint8`` of the line, not ``random()``: the rows
the other generators draw stay as they were before lines had products.

It does not create ``account.payment`` records, stock moves or quants, which scoring
does not read. Randomness comes from ``setseed`` in one session with parallel workers
off, so a given seed and size give the same rows.
"""

from odoo.tools import SQL


class BulkDataGenerator:
    def __init__(self, env, seed=0.42, date_ref=None):
        self.env = env
        self.cr = env.cr
        self.seed = seed
        self.company = env.company
        self.date_ref = date_ref

    def generate(
        self, customers=100_000, lines_per_invoice=2, mean_invoices=5.6, products=200
    ):
        """Create ``customers`` customers with on average ``mean_invoices`` invoices of
        ``lines_per_invoice`` lines each over two years; return the counts."""
        cr = self.cr
        cr.execute(SQL("SET LOCAL max_parallel_workers_per_gather = 0"))
        cr.execute(SQL("SELECT setseed(%s)", self.seed))
        accounts = self._accounts()
        tag = self._next_tag()
        self._customers(customers, tag, mean_invoices)
        self._invoices(accounts, tag, lines_per_invoice, self._products(products))
        self._payments(accounts, tag)
        self._deliveries(accounts, tag)
        self.env.invalidate_all()
        cr.execute(
            SQL(
                """
                SELECT (SELECT count(*) FROM crm_bulk_customer),
                       (SELECT count(*) FROM crm_bulk_invoice),
                       (SELECT count(*) FROM account_move_line aml
                          JOIN crm_bulk_invoice i ON i.move_id = aml.move_id
                         WHERE aml.display_type = 'product'),
                       (SELECT count(*) FROM crm_bulk_invoice
                         WHERE paid_on IS NOT NULL),
                       (SELECT count(*) FROM crm_bulk_invoice WHERE delivered)
                """
            )
        )
        counts = dict(
            zip(
                ("customers", "invoices", "invoice_lines", "payments", "deliveries"),
                cr.fetchone(),
                strict=True,
            )
        )
        cr.execute(SQL("SELECT array_agg(partner_id) FROM crm_bulk_customer"))
        counts["partner_ids"] = cr.fetchone()[0]
        return counts

    # ------------------------------------------------------------------
    def _accounts(self):
        company = self.company
        Account = self.env["account.account"].with_company(company)

        def account(account_type):
            return Account.search(
                [
                    *Account._check_company_domain(company),
                    ("account_type", "=", account_type),
                ],
                limit=1,
            )

        Journal = self.env["account.journal"]
        sale = Journal.search(
            [*Journal._check_company_domain(company), ("type", "=", "sale")], limit=1
        )
        bank = Journal.search(
            [*Journal._check_company_domain(company), ("type", "=", "bank")], limit=1
        )
        picking_type = self.env["stock.picking.type"].search(
            [("company_id", "=", company.id), ("code", "=", "outgoing")], limit=1
        )
        return {
            "receivable": account("asset_receivable").id,
            "income": account("income").id,
            "outstanding": bank.default_account_id.id or account("asset_cash").id,
            "sale_journal": sale.id,
            "bank_journal": bank.id,
            "currency": company.currency_id.id,
            "out_type": picking_type.id,
            "return_type": (picking_type.return_picking_type_id.id or picking_type.id),
            "stock_location": picking_type.default_location_src_id.id,
            "customer_location": self.env.ref("stock.stock_location_customers").id,
        }

    def _next_tag(self):
        """A run number, so that document names stay unique across runs."""
        self.cr.execute(
            SQL(
                "SELECT count(*) FROM res_partner WHERE name LIKE %s",
                "Bulk % Customer 1",
            )
        )
        return f"B{self.cr.fetchone()[0]}"

    def _customers(self, customers, tag, mean_invoices):
        cr = self.cr
        cr.execute(
            SQL(
                """
                DROP TABLE IF EXISTS crm_bulk_customer;
                CREATE TEMP TABLE crm_bulk_customer AS
                WITH created AS (
                    INSERT INTO res_partner
                        (name, complete_name, is_company, active, type,
                         customer_rank, supplier_rank, autopost_bills, lang,
                         create_uid, write_uid, create_date, write_date)
                    SELECT 'Bulk ' || %(tag)s || ' Customer ' || g,
                           'Bulk ' || %(tag)s || ' Customer ' || g,
                           TRUE, TRUE, 'contact', 1, 0, 'ask', 'en_US',
                           1, 1, now(), now()
                      FROM generate_series(1, %(n)s) g
                    RETURNING id
                )
                SELECT id AS partner_id,
                       -- invoices: geometric-like around the mean, 1 at least
                       GREATEST(1, LEAST(60,
                           1 + floor(-ln(1 - random()) * (%(mean)s - 1))::int))
                           AS invoice_count,
                       -- spend level: a few big customers, many small ones
                       exp(random() * 4) * 40 AS basket,
                       -- lapsed customers stopped buying 6 to 14 months ago
                       CASE WHEN random() < 0.15 THEN 180 + floor(random() * 240)::int
                            ELSE 0 END AS silent_days,
                       random() < 0.2 AS slow_payer
                  FROM created;
                UPDATE res_partner rp SET commercial_partner_id = rp.id
                  FROM crm_bulk_customer c WHERE c.partner_id = rp.id;
                """,
                tag=tag,
                n=customers,
                mean=mean_invoices,
            )
        )

    def _products(self, count):
        """The catalogue, made once (later runs reuse it), by id."""
        Product = self.env["product.product"]
        existing = Product.search([("default_code", "=like", "BULK-%")], order="id")
        if len(existing) < count:
            existing |= Product.create(
                [
                    {
                        "name": f"Bulk product {n:04d}",
                        "default_code": f"BULK-{n:04d}",
                        "type": "consu",
                        "sale_ok": True,
                    }
                    for n in range(len(existing), count)
                ]
            )
            self.env.flush_all()
        return existing.ids[:count]

    def _invoices(self, accounts, tag, lines_per_invoice, product_ids):
        cr = self.cr
        date_ref = self.date_ref or self.env.cr.now().date()
        cr.execute(
            SQL(
                """
                DROP TABLE IF EXISTS crm_bulk_invoice;
                CREATE TEMP TABLE crm_bulk_invoice AS
                SELECT c.partner_id, c.slow_payer,
                       %(date_ref)s::date - c.silent_days
                           - floor(random() * 730)::int AS invoice_date,
                       round((c.basket * (0.5 + random()))::numeric, 2) AS amount,
                       random() < 0.05 AS refund,
                       NULL::integer AS move_id,
                       NULL::integer AS receivable_line_id,
                       NULL::date AS paid_on,
                       random() < 0.9 AS delivered,
                       row_number() OVER () AS seq
                  FROM crm_bulk_customer c,
                       generate_series(1, c.invoice_count) g;
                CREATE INDEX ON crm_bulk_invoice (seq);
                """,
                date_ref=date_ref,
            )
        )
        # Moves, then their lines; amounts in company currency, no taxes
        cr.execute(
            SQL(
                """
                WITH created AS (
                    INSERT INTO account_move
                        (name, move_type, state, auto_post, date, invoice_date,
                         invoice_date_due, journal_id, company_id, currency_id,
                         partner_id, commercial_partner_id,
                         amount_untaxed, amount_tax, amount_total, amount_residual,
                         amount_untaxed_signed, amount_untaxed_in_currency_signed,
                         amount_tax_signed, amount_total_signed,
                         amount_total_in_currency_signed, amount_residual_signed,
                         payment_state, create_uid, write_uid, create_date, write_date,
                         ref, sequence_prefix, sequence_number)
                    SELECT %(tag)s || CASE WHEN i.refund THEN '/RINV/' ELSE '/INV/' END
                               || i.seq,
                           CASE WHEN i.refund THEN 'out_refund' ELSE 'out_invoice' END,
                           'posted', 'no', i.invoice_date, i.invoice_date,
                           i.invoice_date + 30, %(journal)s, %(company)s,
                           %(currency)s, i.partner_id, i.partner_id,
                           i.amount, 0, i.amount, i.amount,
                           i.amount * sign, i.amount * sign, 0,
                           i.amount * sign, i.amount * sign, i.amount * sign,
                           'not_paid', 1, 1, now(), now(), i.seq::text,
                           %(tag)s || CASE WHEN i.refund THEN '/RINV/' ELSE '/INV/' END,
                           i.seq
                      FROM crm_bulk_invoice i,
                           LATERAL (SELECT CASE WHEN i.refund THEN -1 ELSE 1 END
                                           AS sign) s
                    RETURNING id, ref
                )
                UPDATE crm_bulk_invoice i SET move_id = created.id
                  FROM created WHERE created.ref::bigint = i.seq
                """,
                tag=tag,
                journal=accounts["sale_journal"],
                company=self.company.id,
                currency=accounts["currency"],
            )
        )
        cr.execute(
            SQL(
                """
                INSERT INTO account_move_line
                    (move_id, move_name, date, parent_state, journal_id, company_id,
                     company_currency_id, currency_id, account_id, partner_id,
                     display_type, name, quantity, price_unit, price_subtotal,
                     price_total, debit, credit, balance, amount_currency,
                     amount_residual, amount_residual_currency, reconciled,
                     date_maturity, create_uid, write_uid, create_date, write_date,
                     product_id)
                SELECT i.move_id, am.name, i.invoice_date, 'posted', am.journal_id,
                       am.company_id, am.currency_id, am.currency_id,
                       %(income)s, i.partner_id, 'product', 'Goods', 1,
                       i.amount / %(lines)s, i.amount / %(lines)s,
                       i.amount / %(lines)s,
                       CASE WHEN i.refund THEN i.amount / %(lines)s ELSE 0 END,
                       CASE WHEN i.refund THEN 0 ELSE i.amount / %(lines)s END,
                       CASE WHEN i.refund THEN 1 ELSE -1 END * i.amount / %(lines)s,
                       CASE WHEN i.refund THEN 1 ELSE -1 END * i.amount / %(lines)s,
                       0, 0, FALSE, NULL, 1, 1, now(), now(),
                       (%(products)s::int[])[1 + CASE
                           -- seven in ten: the customer's group of eight
                           WHEN mod(abs(hashint8(i.seq * 16 + g)), 10) < 7
                           THEN mod(i.partner_id, %(groups)s) * 8
                                + mod(abs(hashint8(i.seq * 16 + g + 7)), 8)
                           -- else the catalogue, skewed to its first products
                           ELSE floor(%(n)s * power(
                               mod(abs(hashint8(i.seq * 16 + g + 3)), 1000) / 1000.0,
                               3))::int
                       END]
                  FROM crm_bulk_invoice i
                  JOIN account_move am ON am.id = i.move_id,
                       generate_series(1, %(lines)s) g
                """,
                income=accounts["income"],
                lines=lines_per_invoice,
                products=product_ids,
                groups=max(1, len(product_ids) // 8),
                n=len(product_ids),
            )
        )
        cr.execute(
            SQL(
                """
                WITH created AS (
                    INSERT INTO account_move_line
                        (move_id, move_name, date, parent_state, journal_id,
                         company_id, company_currency_id, currency_id, account_id,
                         partner_id, display_type, name, debit, credit, balance,
                         amount_currency, amount_residual, amount_residual_currency,
                         reconciled, date_maturity,
                         create_uid, write_uid, create_date, write_date)
                    SELECT i.move_id, am.name, i.invoice_date, 'posted', am.journal_id,
                           am.company_id, am.currency_id, am.currency_id,
                           %(receivable)s, i.partner_id, 'payment_term', am.name,
                           CASE WHEN i.refund THEN 0 ELSE i.amount END,
                           CASE WHEN i.refund THEN i.amount ELSE 0 END,
                           CASE WHEN i.refund THEN -1 ELSE 1 END * i.amount,
                           CASE WHEN i.refund THEN -1 ELSE 1 END * i.amount,
                           CASE WHEN i.refund THEN -1 ELSE 1 END * i.amount,
                           CASE WHEN i.refund THEN -1 ELSE 1 END * i.amount,
                           FALSE, am.invoice_date_due, 1, 1, now(), now()
                      FROM crm_bulk_invoice i
                      JOIN account_move am ON am.id = i.move_id
                    RETURNING id, move_id
                )
                UPDATE crm_bulk_invoice i SET receivable_line_id = created.id
                  FROM created WHERE created.move_id = i.move_id
                """,
                receivable=accounts["receivable"],
            )
        )

    def _payments(self, accounts, tag):
        """Most invoices are paid: on time, or late for slow payers; recent ones and a
        few others stay open (some of them overdue)."""
        cr = self.cr
        date_ref = self.date_ref or self.env.cr.now().date()
        cr.execute(
            SQL(
                """
                UPDATE crm_bulk_invoice i
                   SET paid_on = i.invoice_date + CASE
                       WHEN i.slow_payer THEN 20 + floor(random() * 60)::int
                       ELSE 5 + floor(random() * 24)::int END
                 WHERE NOT i.refund AND random() < 0.85;
                UPDATE crm_bulk_invoice SET paid_on = NULL
                 WHERE paid_on > %(date_ref)s;
                CREATE TEMP TABLE crm_bulk_payment ON COMMIT DROP AS
                SELECT i.*, NULL::integer AS pay_move_id,
                       NULL::integer AS pay_line_id
                  FROM crm_bulk_invoice i WHERE i.paid_on IS NOT NULL;
                WITH created AS (
                    INSERT INTO account_move
                        (name, move_type, state, auto_post, date, journal_id,
                         company_id, currency_id, partner_id, commercial_partner_id,
                         amount_total, amount_total_signed, amount_residual,
                         amount_residual_signed, amount_untaxed, amount_tax,
                         payment_state, ref, create_uid, write_uid, create_date,
                         write_date, sequence_prefix, sequence_number)
                    SELECT %(tag)s || '/PAY/' || p.seq, 'entry', 'posted', 'no',
                           p.paid_on, %(journal)s, %(company)s, %(currency)s,
                           p.partner_id, p.partner_id, p.amount, p.amount, 0, 0, 0, 0,
                           'not_paid', 'PAY' || p.seq, 1, 1, now(), now(),
                           %(tag)s || '/PAY/', p.seq
                      FROM crm_bulk_payment p
                    RETURNING id, ref
                )
                UPDATE crm_bulk_payment p SET pay_move_id = created.id
                  FROM created WHERE created.ref = 'PAY' || p.seq;
                INSERT INTO account_move_line
                    (move_id, move_name, date, parent_state, journal_id, company_id,
                     company_currency_id, currency_id, account_id, partner_id,
                     display_type, name, debit, credit, balance, amount_currency,
                     amount_residual, amount_residual_currency, reconciled,
                     create_uid, write_uid, create_date, write_date)
                SELECT p.pay_move_id, %(tag)s || '/PAY/' || p.seq, p.paid_on, 'posted',
                       %(journal)s, %(company)s, %(currency)s, %(currency)s,
                       %(outstanding)s, p.partner_id, 'product', 'Payment', p.amount, 0,
                       p.amount, p.amount, p.amount, p.amount, FALSE, 1, 1, now(), now()
                  FROM crm_bulk_payment p;
                WITH created AS (
                    INSERT INTO account_move_line
                        (move_id, move_name, date, parent_state, journal_id,
                         company_id, company_currency_id, currency_id, account_id,
                         partner_id, display_type, name, debit, credit, balance,
                         amount_currency, amount_residual, amount_residual_currency,
                         reconciled, create_uid, write_uid, create_date, write_date)
                    SELECT p.pay_move_id, %(tag)s || '/PAY/' || p.seq, p.paid_on,
                           'posted', %(journal)s, %(company)s, %(currency)s,
                           %(currency)s, %(receivable)s, p.partner_id, 'payment_term',
                           'Payment', 0, p.amount, -p.amount, -p.amount, 0, 0, TRUE,
                           1, 1, now(), now()
                      FROM crm_bulk_payment p
                    RETURNING id, move_id
                )
                UPDATE crm_bulk_payment p SET pay_line_id = created.id
                  FROM created WHERE created.move_id = p.pay_move_id;
                INSERT INTO account_partial_reconcile
                    (debit_move_id, credit_move_id, amount, debit_amount_currency,
                     credit_amount_currency, debit_currency_id, credit_currency_id,
                     company_id, max_date, create_uid, write_uid, create_date,
                     write_date)
                SELECT p.receivable_line_id, p.pay_line_id, p.amount, p.amount,
                       p.amount, %(currency)s, %(currency)s, %(company)s, p.paid_on,
                       1, 1, now(), now()
                  FROM crm_bulk_payment p;
                UPDATE account_move_line aml
                   SET amount_residual = 0, amount_residual_currency = 0,
                       reconciled = TRUE
                  FROM crm_bulk_payment p WHERE aml.id = p.receivable_line_id;
                UPDATE account_move am
                   SET amount_residual = 0, amount_residual_signed = 0,
                       payment_state = 'paid'
                  FROM crm_bulk_payment p WHERE am.id = p.move_id;
                """,
                tag=tag,
                date_ref=date_ref,
                journal=accounts["bank_journal"],
                company=self.company.id,
                currency=accounts["currency"],
                outstanding=accounts["outstanding"],
                receivable=accounts["receivable"],
            )
        )

    def _deliveries(self, accounts, tag):
        """One delivery per invoice of goods, a few days before it; 15 % late, 3 %
        returned a week later."""
        self.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE crm_bulk_delivery ON COMMIT DROP AS
                SELECT i.seq, i.partner_id,
                       (i.invoice_date - 2)::timestamp + interval '10 hours'
                           AS scheduled,
                       (i.invoice_date - 2)::timestamp + interval '10 hours'
                           + CASE WHEN random() < 0.15
                                  THEN (1 + floor(random() * 9)) * interval '1 day'
                                  ELSE interval '0' END AS done,
                       random() < 0.03 AS returned, NULL::integer AS picking_id
                  FROM crm_bulk_invoice i WHERE i.delivered AND NOT i.refund;
                WITH created AS (
                    INSERT INTO stock_picking
                        (name, origin, picking_type_id, location_id, location_dest_id,
                         company_id, partner_id, state, move_type, scheduled_date,
                         date_deadline, date_done, date, create_uid, write_uid,
                         create_date, write_date)
                    SELECT %(tag)s || '/OUT/' || d.seq, d.seq::text, %(out_type)s,
                           %(stock)s, %(customers)s, %(company)s, d.partner_id, 'done',
                           'direct', d.scheduled, NULL, d.done, d.scheduled,
                           1, 1, now(), now()
                      FROM crm_bulk_delivery d
                    RETURNING id, origin
                )
                UPDATE crm_bulk_delivery d SET picking_id = created.id
                  FROM created WHERE created.origin = d.seq::text;
                INSERT INTO stock_picking
                    (name, origin, picking_type_id, location_id, location_dest_id,
                     company_id, partner_id, state, move_type, scheduled_date,
                     date_done, date, return_id, create_uid, write_uid, create_date,
                     write_date)
                SELECT %(tag)s || '/RET/' || d.seq, d.seq::text, %(return_type)s,
                       %(customers)s, %(stock)s, %(company)s, d.partner_id, 'done',
                       'direct', d.done + interval '7 days', d.done + interval '7 days',
                       d.done + interval '7 days', d.picking_id, 1, 1, now(), now()
                  FROM crm_bulk_delivery d WHERE d.returned;
                """,
                tag=tag,
                out_type=accounts["out_type"],
                return_type=accounts["return_type"],
                stock=accounts["stock_location"],
                customers=accounts["customer_location"],
                company=self.company.id,
            )
        )
        # the pickings were written in SQL: their on-time flag as Odoo stores it
        self.env["stock.picking"]._fill_delivered_on_time(self.company)
