from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from odoo.tests import TransactionCase, tagged

from ..tools.dates import local_date
from ..tools.demo_generator import DemoDataGenerator

DATE_REF = date(2025, 6, 30)
SEED = 7


@tagged("post_install", "-at_install")
class TestDemoGenerator(TransactionCase):
    """A small generated company must show every behaviour the scoring features read."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.generator = DemoDataGenerator(cls.env, seed=SEED, date_ref=DATE_REF)
        cls.counts = cls.generator.generate(customers=15, months=12)
        cls.records = cls.generator.records
        cls.plan = cls.records["plan"]
        cls.customers = cls.records["customers"]
        cls.invoices = cls.records["invoices"]
        cls.deliveries = cls.records["deliveries"]

    def _customer_domain(self):
        return [("partner_id", "child_of", self.customers.ids)]

    def test_counts_match_database(self):
        env = self.env
        found = {
            "customers": env["res.partner"].search_count(
                [("ref", "=like", f"D{SEED}-%"), ("is_company", "=", True)]
            ),
            "contacts": env["res.partner"].search_count(
                [("parent_id", "in", self.customers.ids)]
            ),
            "sale_orders": env["sale.order"].search_count(
                [*self._customer_domain(), ("state", "=", "sale")]
            ),
            "invoices": env["account.move"].search_count(
                [*self._customer_domain(), ("move_type", "=", "out_invoice")]
            ),
            "refunds": env["account.move"].search_count(
                [*self._customer_domain(), ("move_type", "=", "out_refund")]
            ),
            "payments": env["account.payment"].search_count(self._customer_domain()),
            "deliveries": env["stock.picking"].search_count(
                [
                    *self._customer_domain(),
                    ("picking_type_code", "=", "outgoing"),
                    ("state", "=", "done"),
                ]
            ),
            "returns": env["stock.picking"].search_count(
                [
                    *self._customer_domain(),
                    ("return_id", "!=", False),
                    ("state", "=", "done"),
                ]
            ),
            "opportunities": env["crm.lead"]
            .with_context(active_test=False)
            .search_count([*self._customer_domain(), ("type", "=", "opportunity")]),
            "loyalty_cards": env["loyalty.card"].search_count(self._customer_domain()),
        }
        for key, value in found.items():
            self.assertEqual(self.counts[key], value, key)
        self.assertEqual(self.counts["customers"], 15)
        self.assertEqual(self.counts["sale_orders"], len(self.plan.orders))
        self.assertEqual(self.counts["salespeople"], 3)

    def test_collaboration_in_every_state(self):
        """Departments with heads, account teams, notes and hand-offs in each state."""
        env = self.env
        departments = self.records["departments"]
        self.assertEqual(set(departments), {"sales", "finance", "logistics", "service"})
        for members in departments.values():
            department = members[:1].employee_id.department_id
            self.assertTrue(department)
            self.assertEqual(department.manager_id.user_id, members[:1])
            self.assertTrue(
                members[:1].has_group("crm_relationship.group_department_head")
            )
        team = env["crm.account.team.member"].search(
            [("partner_id", "in", self.customers.ids)]
        )
        self.assertEqual(team, self.records["account_team"])
        # every customer has its salesperson as the primary sales contact
        sales = team.filtered(lambda m: m.role == "Account manager")
        self.assertEqual(sales.partner_id, self.customers)
        self.assertEqual(
            sorted(self.counts[key] for key in ("notes", "handoffs")),
            sorted(
                [
                    env["crm.customer.note"].search_count(
                        [("partner_id", "in", self.customers.ids)]
                    ),
                    env["crm.handoff"].search_count(
                        [("partner_id", "in", self.customers.ids)]
                    ),
                ]
            ),
        )
        handoffs = self.records["handoffs"]
        self.assertEqual(
            set(handoffs.mapped("state")), {"requested", "accepted", "done", "refused"}
        )
        self.assertEqual(len(handoffs.filtered("is_overdue")), 1)
        self.assertTrue(all(h.result for h in handoffs if h.state == "done"))
        complaints = self.records["complaints"]
        self.assertTrue(complaints.filtered("sla_breached"))
        self.assertEqual(
            sorted(complaints.filtered("is_closed").mapped("rating_last_value")),
            [1.0, 3.0, 5.0],
        )

    def test_voice_of_the_customer(self):
        """A year of NPS rounds answered by tier, on the score rows; the resolved
        complaints' surveys answered with CSAT and CES."""
        self.env["crm.relationship.score"].recompute(
            company_ids=self.env.company.ids, date_ref=DATE_REF
        )
        sent = self.generator.generate_voice()
        answers = self.env["survey.user_input"].search(
            [("crm_partner_id", "in", self.customers.ids), ("crm_asks_nps", "=", True)]
        )
        self.assertEqual(len(answers), sent)
        self.assertEqual(
            sorted({a.crm_sent_date.date() for a in answers}),
            [DATE_REF - timedelta(days=d) for d in (330, 240, 150, 60)],
        )
        done = answers.filtered(lambda a: a.state == "done")
        self.assertTrue(0 < len(done) < len(answers))
        self.assertTrue(all(a.crm_tier for a in answers))
        self.assertTrue(all(a.end_datetime >= a.crm_sent_date for a in done))
        # detractors of the latest round who named a topic of another department
        # are handed off to it
        handed = done.filtered("crm_handoff_id")
        self.assertTrue(handed)
        self.assertTrue(all(a.crm_nps_category == "detractor" for a in handed))
        self.assertEqual(
            {a.crm_handoff_id.to_department_id for a in handed},
            {a.crm_topic_category_id.department_id for a in handed},
        )
        # each customer's latest answer is on its score row
        latest = done.filtered(lambda a: not a.crm_nps_next_date)
        scores = self.env["crm.relationship.score"].search(
            [("partner_id", "in", latest.crm_partner_id.ids)]
        )
        self.assertEqual(
            {(s.partner_id.id, s.nps_score) for s in scores},
            {(a.crm_partner_id.id, a.crm_nps) for a in latest},
        )
        csat = self.env["survey.user_input"].search(
            [("crm_complaint_id", "in", self.records["complaints"].ids)]
        )
        by_rating = {
            a.crm_complaint_id.rating_last_value: (a.crm_csat, a.crm_ces)
            for a in csat
            if a.state == "done"
        }
        self.assertTrue(by_rating)
        self.assertLessEqual(
            set(by_rating.items()), {(5.0, (5, 6)), (3.0, (3, 4)), (1.0, (1, 2))}
        )
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(
            self.env.company
        )
        self.assertEqual(profile.nps_interval_days, 91)

    def test_next_actions_with_history(self):
        """Past proposals closed as people would have, today's queue, and the
        uplift of the past month measured."""
        self.env["crm.relationship.score"].recompute(company_ids=self.env.company.ids)
        for function in ("finance", "sales"):
            self.env["hr.department"].create(
                {"name": function, "crm_function": function}
            )
        actions = self.generator.generate_actions()
        states = set(actions.mapped("state"))
        self.assertIn("proposed", states)
        self.assertTrue(states & {"done", "dismissed", "expired"})
        dismissed = actions.filtered(lambda a: a.state == "dismissed")
        self.assertTrue(all(dismissed.mapped("dismiss_reason")))
        past = actions.filtered(lambda a: a.state != "proposed")
        self.assertEqual(len(set(past.mapped("date_proposed"))), 1)
        uplift = self.env["crm.next.action.uplift"].search(
            [("company_id", "=", self.env.company.id)]
        )
        self.assertTrue(uplift.filtered("window_complete"))

    def test_loyalty_members_hold_tiers(self):
        program = self.records["loyalty_program"]
        self.assertEqual(program.tier_ids.mapped("name")[:1], ["Silver"])
        cards = self.records["loyalty_cards"]
        for card in cards:
            reached = program.tier_ids.filtered(
                lambda t, c=card: c.points >= t.threshold
            )
            self.assertEqual(card.tier_id, reached.sorted()[-1:], card.points)
        self.assertTrue(cards.tier_id)

    def test_invoices_posted_and_belong_to_customers(self):
        moves = self.invoices | self.records["refunds"]
        self.assertTrue(self.invoices)
        self.assertEqual(set(moves.mapped("state")), {"posted"})
        self.assertLessEqual(moves.commercial_partner_id, self.customers)
        self.assertTrue(all(m.invoice_date < DATE_REF for m in moves))
        self.assertTrue(all(m.invoice_date_due > m.invoice_date for m in self.invoices))

    def test_order_amounts_and_dates_follow_the_plan(self):
        orders = self.records["orders"]
        for order_plan, order in zip(self.plan.orders, orders, strict=True):
            self.assertAlmostEqual(
                order.amount_untaxed, order_plan.amount_untaxed, places=2
            )
            self.assertEqual(order.date_order, order_plan.date_order)
            self.assertEqual(order.commitment_date, order_plan.promised)

    def test_refunds(self):
        refunds = self.records["refunds"]
        self.assertTrue(refunds)
        self.assertTrue(all(r.reversed_entry_id in self.invoices for r in refunds))
        partial = refunds.filtered(
            lambda r: r.amount_total < r.reversed_entry_id.amount_total
        )
        full = refunds - partial
        self.assertTrue(partial, "returned goods give partial credit notes")
        self.assertTrue(full, "commercial credit notes reverse a whole invoice")
        self.assertEqual(
            set(full.reversed_entry_id.mapped("payment_state")), {"reversed"}
        )

    def _payment_dates(self, invoice):
        return [p.date for p in invoice.matched_payment_ids]

    def test_payment_behaviour(self):
        paid = self.invoices.filtered(lambda m: m.matched_payment_ids)
        late = paid.filtered(
            lambda m: (
                max(self._payment_dates(m)) > m.invoice_date_due
                and not m.amount_residual
            )
        )
        on_time = paid.filtered(
            lambda m: (
                max(self._payment_dates(m)) <= m.invoice_date_due
                and not m.amount_residual
            )
        )
        partial = paid.filtered(
            lambda m: m.amount_residual and m.payment_state == "partial"
        )
        unpaid = self.invoices - paid - self.records["refunds"].reversed_entry_id
        overdue = unpaid.filtered(lambda m: m.invoice_date_due < DATE_REF)
        self.assertTrue(late, "some invoices are paid after their due date")
        self.assertTrue(partial, "some invoices are partly paid")
        self.assertTrue(overdue, "some invoices are overdue at date_ref")
        self.assertGreater(len(on_time), len(late), "most customers pay on time")
        self.assertEqual(set(paid.mapped("payment_state")) - {"partial"}, {"paid"})
        self.assertTrue(all(p.date < DATE_REF for p in self.records["payments"]))
        self.assertLessEqual(
            self.records["payments"].partner_id,
            self.customers,
            "payments are made by companies",
        )

    def test_deliveries_on_time_late_and_returned(self):
        deliveries = self.deliveries
        self.assertTrue(all(p.date_done and p.date_deadline for p in deliveries))
        late = deliveries.filtered(lambda p: p.date_done > p.date_deadline)
        self.assertTrue(late, "some deliveries are late")
        self.assertGreater(
            len(deliveries - late), len(late), "most deliveries are on time"
        )
        self.assertTrue(all(p.date_done.date() < DATE_REF for p in deliveries))
        # the stored flag the scores and the service report read follows the dates
        # the generator wrote (in SQL, after the ORM judged them "done now")
        deliveries.invalidate_recordset(["delivered_on_time"])
        tz = self.env.company._crm_tz()
        for picking in deliveries:
            self.assertEqual(
                picking.delivered_on_time,
                local_date(picking.date_done, tz)
                <= local_date(picking.date_deadline, tz),
                picking.name,
            )
        self.assertTrue(deliveries.filtered("delivered_on_time"))
        for picking in deliveries:
            self.assertEqual(picking.date_deadline, picking.sale_id.commitment_date)
            self.assertEqual(set(picking.move_ids.mapped("date")), {picking.date_done})
        returns = self.records["returns"]
        self.assertTrue(returns, "some deliveries are returned")
        self.assertEqual(set(returns.mapped("state")), {"done"})
        self.assertLessEqual(returns.return_id, deliveries)
        self.assertTrue(all(r.date_done > r.return_id.date_done for r in returns))

    def test_orders_on_contacts_invoice_the_company(self):
        orders = self.records["orders"].filtered(lambda o: o.partner_id.parent_id)
        self.assertTrue(orders, "some orders are placed by a contact person")
        invoices = orders.invoice_ids.filtered(lambda m: m.move_type == "out_invoice")
        self.assertTrue(invoices)
        for invoice in invoices:
            self.assertTrue(invoice.partner_id.parent_id)
            self.assertEqual(
                invoice.commercial_partner_id, invoice.partner_id.parent_id
            )
            self.assertIn(invoice.commercial_partner_id, self.customers)

    def test_profiles(self):
        partner_by_key = self.records["partner_by_key"]
        by_profile = {}
        for customer in self.plan.customers:
            by_profile.setdefault(customer.profile, []).append(customer)
        self.assertEqual(
            set(by_profile),
            {"key", "regular", "occasional", "lapsed", "returning", "new", "prospect"},
        )
        invoiced = self.invoices.commercial_partner_id
        for customer in by_profile["prospect"]:
            partner = partner_by_key[customer.key]
            self.assertNotIn(partner, invoiced, "prospects have not bought")
            self.assertTrue(
                self.env["crm.lead"]
                .with_context(active_test=False)
                .search_count([("partner_id", "=", partner.id)]),
                "prospects only have an opportunity",
            )
        for customer in by_profile["lapsed"]:
            last = max(o.date_order.date() for o in customer.orders)
            self.assertLess(last, DATE_REF - relativedelta(months=6))
        for customer in by_profile["returning"]:
            # silent long enough to be lost, then back within the last five months
            days = sorted(o.date_order.date() for o in customer.orders)
            self.assertGreaterEqual(customer.returned, DATE_REF - timedelta(days=151))
            back = days.index(customer.returned)
            gap = (days[back] - days[back - 1]).days
            usual = (days[back - 1] - days[0]).days / max(back - 1, 1)
            self.assertGreater(gap, 4 * usual, customer.key)
            opportunity = customer.opportunity
            self.assertTrue(opportunity.winback)
            self.assertEqual(opportunity.outcome, "won")
            self.assertEqual(opportunity.closed.date(), customer.returned)
        for customer in by_profile["new"]:
            first = min(o.date_order.date() for o in customer.orders)
            self.assertGreaterEqual(first, DATE_REF - timedelta(days=62))
        key_spend = sum(o.amount_untaxed for c in by_profile["key"] for o in c.orders)
        occasional_spend = sum(
            o.amount_untaxed for c in by_profile["occasional"] for o in c.orders
        )
        self.assertGreater(
            key_spend / len(by_profile["key"]),
            occasional_spend / len(by_profile["occasional"]),
            "key accounts buy far more",
        )

    def test_opportunities(self):
        leads = self.records["opportunities"].with_context(active_test=False)
        won = leads.filtered(lambda lead: lead.stage_id.is_won)
        lost = leads.filtered(lambda lead: not lead.active)
        self.assertTrue(won)
        self.assertTrue(
            all(lead.probability == 100 and lead.date_closed for lead in won)
        )
        self.assertTrue(all(lead.lost_reason_id and lead.date_closed for lead in lost))
        if "order_ids" in leads._fields:
            self.assertTrue(won.order_ids, "won opportunities led to orders")
        self.assertTrue(
            all(lead.user_id in self.records["salespeople"] for lead in leads)
        )

    def test_loyalty(self):
        cards = self.records["loyalty_cards"]
        self.assertTrue(cards)
        self.assertEqual(cards.program_id.program_type, "loyalty")
        spend = {}
        for invoice in self.invoices:
            partner = invoice.commercial_partner_id
            spend[partner] = spend.get(partner, 0) + invoice.amount_untaxed
        for card in cards:
            self.assertGreater(card.points, 0)
            self.assertLessEqual(card.points, spend[card.partner_id] * 0.1 + 1)

    def test_plan_is_deterministic(self):
        def summary(plan):
            return [
                (
                    c.name,
                    c.profile,
                    [(o.date_order, o.amount_untaxed) for o in c.orders],
                )
                for c in plan.customers
            ]

        again = DemoDataGenerator(self.env, seed=SEED, date_ref=DATE_REF).plan(
            customers=15, months=12
        )
        self.assertEqual(summary(again), summary(self.plan))
        self.assertEqual(
            self.customers.mapped("name"), [c.name for c in self.plan.customers]
        )
        other = DemoDataGenerator(self.env, seed=SEED + 1, date_ref=DATE_REF).plan(
            customers=15, months=12
        )
        self.assertNotEqual(summary(other), summary(self.plan))
        start = DATE_REF - relativedelta(months=12)
        self.assertTrue(
            all(start <= o.date_order.date() < DATE_REF for o in self.plan.orders)
        )

    def test_second_run_reuses_shared_records(self):
        """Salespeople, catalogue and loyalty program are shared by later runs."""
        again = DemoDataGenerator(self.env, seed=SEED + 1, date_ref=DATE_REF)
        counts = again.generate(customers=4, months=6)
        self.assertEqual(counts["customers"], 4)
        self.assertEqual(again.records["salespeople"], self.records["salespeople"])
        self.assertEqual(again.records["products"], self.records["products"])
        self.assertEqual(
            again.records["loyalty_program"], self.records["loyalty_program"]
        )
        self.assertFalse(again.records["customers"] & self.customers)
        self.assertEqual(again.records["departments"], self.records["departments"])
