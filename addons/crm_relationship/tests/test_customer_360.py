from datetime import date, timedelta

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools import SQL

from .common import RelationshipScoringCommon

C360_FIELDS = [
    "c360_opportunity_count",
    "c360_pipeline_value",
    "c360_quotation_count",
    "c360_quotation_amount",
    "c360_order_count",
    "c360_order_amount",
    "c360_receivable",
    "c360_overdue",
    "c360_credit_limit",
    "c360_credit_use",
    "c360_days_to_pay",
    "c360_open_delivery_count",
    "c360_late_delivery_count",
    "c360_return_rate",
    "c360_loyalty_points",
    "c360_loyalty_card_count",
    "relationship_tier",
    "relationship_health_score",
]


class Customer360Common(RelationshipScoringCommon):
    """A customer with a contact, and a history of every kind made by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env.user)
        cls.service = cls.env["product.product"].create(
            {"name": "Consulting", "type": "service", "list_price": 100.0}
        )
        cls.acme = cls.env["res.partner"].create(
            {"name": "Acme", "is_company": True, "credit_limit": 2000.0}
        )
        cls.buyer = cls.env["res.partner"].create(
            {"name": "Acme buyer", "parent_id": cls.acme.id}
        )
        cls.other = cls.env["res.partner"].create(
            {"name": "Other customer", "is_company": True}
        )
        cls.company.account_use_credit_limit = True
        cls.company_2 = cls.setup_other_company()["company"]
        cls._make_history(cls.acme, cls.buyer)
        # noise that no figure of Acme may count
        cls._opportunity(cls.other, 5000.0)
        cls._order(cls.other, 700.0, confirm=True)
        cls._invoice(cls.other, cls.today, 900.0)

    @classmethod
    def _make_history(cls, acme, buyer):
        won_stage = cls.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        # opportunities: two open (one on the contact), none of the others count
        cls._opportunity(buyer, 1000.0)
        cls._opportunity(acme, 500.0)
        cls._opportunity(acme, 9999.0, stage_id=won_stage.id)
        cls._opportunity(acme, 777.0, type="lead")
        cls._opportunity(acme, 333.0, active=False)
        # quotations: one open, one cancelled
        cls._order(acme, 200.0)
        cls._order(acme, 250.0).action_cancel()
        # orders: one this year, one last year
        cls._order(buyer, 300.0, confirm=True)
        cls._order(acme, 400.0, confirm=True).date_order = date(
            cls.today.year - 1, 6, 1
        )
        # invoices: 1,000 due 30 days ago with 400 paid, 500 due in 30 days
        old = cls._invoice(acme, cls.today - timedelta(days=60), 1000.0)
        cls._pay(old, cls.today - timedelta(days=45), 400.0)
        cls._invoice(buyer, cls.today, 500.0)
        cls._invoice(acme, cls.today, 800.0, company=cls.company_2)
        # deliveries: one due next week, one late, one done
        cls._open_delivery(buyer, cls.today + timedelta(days=7))
        cls._open_delivery(acme, cls.today - timedelta(days=2))
        cls._deliver(acme, cls.today, cls.today)
        # loyalty: two cards of a loyalty programme, one coupon that is not loyalty
        loyalty = cls.env["loyalty.program"].create(
            {"name": "Club", "program_type": "loyalty"}
        )
        coupons = cls.env["loyalty.program"].create(
            {"name": "Coupons", "program_type": "coupons"}
        )
        cls.env["loyalty.card"].create(
            [
                {"program_id": loyalty.id, "partner_id": buyer.id, "points": 50},
                {"program_id": loyalty.id, "partner_id": acme.id, "points": 25},
                {"program_id": coupons.id, "partner_id": acme.id, "points": 1000},
            ]
        )

    @classmethod
    def _opportunity(cls, partner, revenue, **values):
        return cls.env["crm.lead"].create(
            {
                "name": f"Deal {revenue}",
                "type": "opportunity",
                "partner_id": partner.id,
                "expected_revenue": revenue,
                **values,
            }
        )

    @classmethod
    def _order(cls, partner, amount, confirm=False):
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.service.id,
                            "price_unit": amount,
                            "tax_id": [],
                        }
                    )
                ],
            }
        )
        if confirm:
            order.action_confirm()
        return order

    @classmethod
    def _open_delivery(cls, partner, scheduled):
        picking = cls._confirmed_delivery(partner, scheduled)
        # confirming reschedules from the moves; keep the promised date
        picking.scheduled_date = fields.Datetime.to_datetime(scheduled)
        return picking


@tagged("post_install", "-at_install")
class TestCustomer360(Customer360Common):
    def test_figures_match_hand_computation(self):
        for partner in (self.acme, self.buyer):
            self.assertRecordValues(
                partner,
                [
                    {
                        "c360_opportunity_count": 2,
                        "c360_pipeline_value": 1500.0,
                        "c360_quotation_count": 1,
                        "c360_quotation_amount": 200.0,
                        "c360_order_count": 1,
                        "c360_order_amount": 300.0,
                        "c360_receivable": 1100.0,
                        "c360_overdue": 600.0,
                        "c360_credit_limit": 2000.0,
                        "c360_credit_use": 0.55,
                        "c360_open_delivery_count": 2,
                        "c360_late_delivery_count": 1,
                        "c360_loyalty_points": 75.0,
                        "c360_loyalty_card_count": 2,
                    }
                ],
            )

    def test_scored_figures_come_from_the_score(self):
        self.Score.recompute(partner_ids=self.acme.ids)
        score = self._score(self.acme)
        self.assertTrue(score)
        self.acme.invalidate_recordset()
        self.assertEqual(self.acme.c360_days_to_pay, score.avg_days_to_pay)
        self.assertEqual(self.acme.c360_return_rate, score.return_rate)
        self.assertEqual(self.acme.relationship_tier, score.tier)

    def test_credit_use_without_limit_is_zero(self):
        self.company.account_use_credit_limit = False
        self.acme.invalidate_recordset()
        self.assertEqual(self.acme.c360_credit_limit, 0.0)
        self.assertEqual(self.acme.c360_credit_use, 0.0)

    def test_other_company_sees_its_own_figures(self):
        acme = self.acme.with_company(self.company_2)
        self.assertEqual(acme.c360_receivable, 800.0)
        self.assertEqual(acme.c360_quotation_count, 0)
        # the opportunities were made in the first company
        self.assertEqual(acme.c360_opportunity_count, 0)

    def test_each_figure_opens_the_records_it_counts(self):
        expected = {
            "opportunities": 2,
            "quotations": 1,
            "orders": 1,
            "deliveries": 2,
            "late_deliveries": 1,
            "loyalty": 2,
        }
        for figure, count in expected.items():
            action = self.buyer.with_context(c360_figure=figure).action_open_c360()
            records = self.env[action["res_model"]].search(action["domain"])
            self.assertEqual(len(records), count, figure)
            self.assertEqual(
                records.partner_id.commercial_partner_id, self.acme, figure
            )
        action = self.acme.with_context(c360_figure="overdue").action_open_c360()
        lines = self.env["account.move.line"].search(action["domain"])
        self.assertEqual(sum(lines.mapped("amount_residual")), 600.0)

    def test_open_complaints_and_their_slas(self):
        Complaint = self.env["crm.complaint"]
        first, second, closed, other = Complaint.create(
            [
                {"name": "Late crates", "partner_id": self.acme.id},
                {"name": "Wrong invoice", "partner_id": self.buyer.id},
                {"name": "Old matter", "partner_id": self.acme.id},
                {"name": "Not theirs", "partner_id": self.other.id},
            ]
        )
        closed.action_close()
        # the deadlines as the SLA would have set them, the first one breached
        self.env.flush_all()
        for complaint, deadline, breached in (
            (first, "2026-03-05 10:00:00", True),
            (second, "2026-03-02 09:00:00", False),
            (closed, "2026-01-01 09:00:00", True),
            (other, "2026-01-01 08:00:00", False),
        ):
            self.env.cr.execute(
                SQL(
                    """UPDATE crm_complaint SET resolution_deadline = %s,
                              resolution_breached = %s, sla_breached = %s
                        WHERE id = %s""",
                    deadline, breached, breached, complaint.id,
                )
            )  # fmt: skip
        self.env.invalidate_all()
        for partner in (self.acme, self.buyer):
            partner.invalidate_recordset()
            self.assertRecordValues(
                partner,
                [
                    {
                        "c360_complaint_count": 2,
                        "c360_complaint_late_count": 1,
                        "c360_complaint_next_deadline": fields.Datetime.to_datetime(
                            "2026-03-02 09:00:00"
                        ),
                    }
                ],
            )
        action = self.buyer.with_context(
            c360_figure="complaints_late"
        ).action_open_c360()
        self.assertEqual(Complaint.search(action["domain"]), first)
        # another company sees none of them
        acme = self.acme.with_company(self.company_2)
        self.assertEqual(
            (acme.c360_complaint_count, acme.c360_complaint_next_deadline), (0, False)
        )

    def test_unknown_figure_is_refused(self):
        with self.assertRaisesRegex(Exception, "no records"):
            self.acme.with_context(c360_figure="nonsense").action_open_c360()

    def test_batch_of_partners_is_computed_per_customer(self):
        partners = self.acme | self.buyer | self.other
        partners.invalidate_recordset()
        self.assertEqual(
            partners.mapped("c360_opportunity_count"), [2, 2, 1], "acme, buyer, other"
        )
        self.assertEqual(partners.mapped("c360_receivable"), [1100.0, 1100.0, 900.0])


@tagged("post_install", "-at_install")
class TestCustomer360Queries(Customer360Common):
    """The 360 costs the same number of queries for 10 documents as for 10,000."""

    def _queries_for_360(self, partner):
        """Queries of a cold read of the 360, once the registry caches are warm.

        The environments of the warm read (the ``sudo`` ones of the grouped counts)
        are kept alive: Odoo keeps them weakly, and one collected in between comes
        back without its company, read again (one query, as the garbage collector
        pleases)."""
        self.env.invalidate_all()
        partner.read(C360_FIELDS)
        envs = list(self.env.transaction.envs)
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        partner.read(C360_FIELDS)
        del envs
        return self.cr.sql_log_count - before

    def _copy_rows(self, table, partner_column, partner, copies, unique=()):
        """Insert ``copies`` copies of each of the customer's rows of ``table``."""
        self.env.flush_all()
        self.cr.execute(
            SQL(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = %s AND column_name <> 'id'",
                table,
            )
        )
        columns = [row[0] for row in self.cr.fetchall()]
        values = [
            SQL("%s || '/' || n", SQL.identifier(column))
            if column in unique
            else SQL.identifier(column)
            for column in columns
        ]
        self.cr.execute(
            SQL(
                """
                INSERT INTO %(table)s (%(columns)s)
                SELECT %(values)s
                  FROM %(table)s, generate_series(1, %(copies)s) n
                 WHERE %(partner)s IN (
                        SELECT id FROM res_partner WHERE commercial_partner_id = %(id)s
                 )
                """,
                table=SQL.identifier(table),
                columns=SQL(", ").join(map(SQL.identifier, columns)),
                values=SQL(", ").join(values),
                copies=copies,
                partner=SQL.identifier(partner_column),
                id=partner.id,
            )
        )
        return self.cr.rowcount

    def test_query_count_is_flat_in_history(self):
        small = self._queries_for_360(self.acme)
        # Acme's own history: 5 leads, 4 orders, receivable lines, 3 open or done
        # transfers, 3 loyalty cards; copy them to reach 10,000 documents
        added = (
            self._copy_rows("crm_lead", "partner_id", self.acme, 500)
            + self._copy_rows("sale_order", "partner_id", self.acme, 625, ("name",))
            + self._copy_rows("stock_picking", "partner_id", self.acme, 834, ("name",))
            + self._copy_rows("account_move_line", "partner_id", self.acme, 800)
        )
        self.assertGreaterEqual(added, 10000)
        self.env.invalidate_all()
        self.assertGreater(self.acme.c360_opportunity_count, 1000)
        large = self._queries_for_360(self.acme)
        self.assertEqual(large, small)
        self.assertLessEqual(small, 25)
