"""Next best actions: generation, routing, control groups, states, uplift; events for
Automation Rules. Every figure is worked out by hand."""

from datetime import timedelta

from psycopg2.errors import UniqueViolation

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, mute_logger

from ..tools import uplift
from ..tools.control import hash_order
from .common import MANAGER, USER, NextActionCase, RelationshipScoringCommon


@tagged("post_install", "-at_install")
class TestNextAction(NextActionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.overdue_rule = cls.Rule.create(
            {
                "name": "Collect",
                "kind": "overdue_payment",
                "control_share": 0,
                "outcome": "activity",
            }
        )

    def _actions(self, rule=None, partner=None):
        domain = [("rule_id", "=", (rule or self.overdue_rule).id)]
        if partner:
            domain.append(("partner_id", "=", partner.id))
        return self.Action.search(domain)

    def _overdue_invoice(self, partner, amount, days_late=10):
        # 30-day terms: invoiced 40 days ago is 10 days overdue
        return self._invoice(
            partner, self.today - timedelta(days=30 + days_late), amount
        )

    # ------------------------------------------------------------------
    # Overdue payment: finance, and none once paid
    # ------------------------------------------------------------------
    def test_overdue_customer_gets_a_finance_action_and_none_when_paid(self):
        invoice = self._overdue_invoice(self.customer, 1200.0)
        self._generate()
        action = self._actions(partner=self.customer)
        self.assertEqual(len(action), 1)
        self.assertEqual(action.kind, "overdue_payment")
        self.assertEqual(action.state, "proposed")
        self.assertEqual(action.department_id, self.finance)
        # no account team member in finance: the head of the department
        self.assertEqual(action.user_id, self.finance_head)
        self.assertFalse(action.is_control)
        self.assertAlmostEqual(action.amount, 1200.0)
        self.assertEqual(action.count, 1)
        self.assertIn("overdue (invoices: 1): ask for payment", action.reason)
        # a second run proposes nothing new
        self._generate()
        self.assertEqual(len(self._actions(partner=self.customer)), 1)
        # paid: the proposal no longer applies, and no new one comes
        self._pay(invoice, self.today)
        self._generate()
        self.assertEqual(action.state, "expired")
        self.assertEqual(action.date_closed, self.today)
        self.assertFalse(
            self._actions(partner=self.customer).filtered(
                lambda a: a.state == "proposed"
            )
        )

    def test_one_open_proposal_per_customer_and_rule_even_from_two_runs(self):
        """Two generations running at once (a second cron worker, a manual run)
        do not see each other's rows: the database refuses the second open
        proposal of a customer and rule, and that run's step is rolled back."""
        self._overdue_invoice(self.customer, 1200.0)
        self._generate()
        action = self._actions(partner=self.customer)
        self.assertEqual(len(action), 1)
        duplicate = SQL(
            """
            INSERT INTO crm_next_action (partner_id, company_id, rule_id, kind,
                                         state, date_proposed)
            SELECT partner_id, company_id, rule_id, kind, %s, date_proposed
              FROM crm_next_action WHERE id = %s
            """,
            "proposed",
            action.id,
        )
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(UniqueViolation),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(duplicate)
        action.action_accept()
        self.assertEqual(action.state, "accepted")
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(UniqueViolation),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(duplicate)
        # a closed proposal leaves room for the next one
        action.flush_recordset()
        self.env.cr.execute(
            SQL("UPDATE crm_next_action SET state = 'done' WHERE id = %s", action.id)
        )
        self.env.cr.execute(duplicate)
        self.assertEqual(self.env.cr.rowcount, 1)

    def test_paid_before_the_generation_gets_nothing(self):
        invoice = self._overdue_invoice(self.customer, 500.0)
        self._pay(invoice, self.today)
        not_due = self._invoice(self.customer, self.today - timedelta(days=5), 800.0)
        self._generate()
        self.assertFalse(self._actions(partner=self.customer))
        self.assertTrue(not_due.amount_residual)

    def test_threshold_partial_payment_and_open_credit(self):
        self.overdue_rule.threshold = 300.0
        invoice = self._overdue_invoice(self.customer, 1000.0)
        # 1,000 overdue less 750 paid: 250, under the threshold
        self._pay(invoice, self.today, amount=750.0)
        other = self.env["res.partner"].create({"name": "Credit Co"})
        self._overdue_invoice(other, 1000.0)
        # an open credit note of 800 leaves 200 owed, under the threshold
        self._invoice(other, self.today, 800.0, move_type="out_refund")
        third = self.env["res.partner"].create({"name": "Owes Co"})
        self._overdue_invoice(third, 400.0)
        self._generate()
        self.assertFalse(self._actions(partner=self.customer))
        self.assertFalse(self._actions(partner=other))
        self.assertAlmostEqual(self._actions(partner=third).amount, 400.0)

    def test_contact_invoices_count_for_the_company(self):
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": self.customer.id}
        )
        self._overdue_invoice(contact, 300.0)
        self._generate()
        action = self._actions()
        self.assertEqual(action.partner_id, self.customer)

    def test_account_team_member_of_the_department_is_responsible(self):
        self.env["crm.account.team.member"].create(
            {"partner_id": self.customer.id, "user_id": self.clerk.id}
        )
        self._overdue_invoice(self.customer, 100.0)
        self._generate()
        self.assertEqual(self._actions().user_id, self.clerk)

    def test_sales_action_goes_to_the_salesperson_department(self):
        # a second sales department, after the first: the company's default stays
        # the first, but the customer's salesperson works in the second
        key_accounts = self.env["hr.department"].create(
            {"name": "Key Accounts", "crm_function": "sales"}
        )
        key_seller = self._person("nba_keyseller", USER, key_accounts)
        partners = self._at_risk_customers(2)
        partners[0].user_id = key_seller
        rule = self.Rule.create(
            {"name": "Win back", "kind": "churn_risk", "control_share": 0}
        )
        self._generate()
        first, second = (self._actions(rule, partner=p) for p in partners)
        self.assertEqual(first.department_id, key_accounts)
        self.assertEqual(first.user_id, key_seller)
        # no salesperson: the company's first department of the function
        self.assertEqual(second.department_id, self.sales)
        # a rule that names its department keeps it
        rule.department_id = self.finance
        self.Action.search([("rule_id", "=", rule.id)]).sudo().unlink()
        self._generate()
        self.assertEqual(
            self._actions(rule, partner=partners[0]).department_id, self.finance
        )

    def test_priority_from_the_customer_value(self):
        self._overdue_invoice(self.customer, 100.0)
        self.Score.recompute(company_ids=self.company.ids)
        score = self._score(self.customer)
        self._generate()
        action = self._actions()
        expected = {"A": "3", "B": "2", "C": "1"}[score.abc_class]
        self.assertEqual(action.priority, expected)
        self.assertAlmostEqual(action.value, score.clv_historical)

    def test_close_to_the_next_loyalty_tier(self):
        self.env.user.groups_id += self.env.ref("sales_team.group_sale_manager")
        program = self.env["loyalty.program"].create(
            {
                "name": "Club",
                "program_type": "loyalty",
                "applies_on": "both",
                "trigger": "auto",
                "rule_ids": [
                    Command.create(
                        {"reward_point_mode": "money", "reward_point_amount": 1}
                    )
                ],
                "tier_ids": [
                    Command.create({"name": "Silver", "sequence": 1, "threshold": 100}),
                    Command.create(
                        {
                            "name": "Gold",
                            "sequence": 2,
                            "threshold": 500,
                            "discount": 5,
                        }
                    ),
                ],
            }
        )
        gold = program.tier_ids.sorted()[1]
        near = self.env["res.partner"].create({"name": "Near Gold"})
        far = self.env["res.partner"].create({"name": "Far From Gold"})
        cards = self.env["loyalty.card"].create(
            [
                {"program_id": program.id, "partner_id": near.id, "points": 450},
                {"program_id": program.id, "partner_id": far.id, "points": 300},
            ]
        )
        cards._evaluate_tiers()
        self.assertEqual(cards[0].next_tier_id, gold)
        self.assertEqual(cards[0].next_tier_missing, 50.0)
        rule = self.Rule.create(
            {"name": "Offer Gold", "kind": "tier_upgrade", "threshold": 80}
        )
        self._generate()
        action = self._actions(rule)
        # 450 of 500 is 90 %: proposed; 300 of 500 is 60 %: not
        self.assertEqual(action.partner_id, near)
        self.assertEqual(action.loyalty_tier_id, gold)
        self.assertEqual(action.department_id, self.sales)
        self.assertEqual(action.reason, "50 more to reach Gold: offer 5 % discount.")

    def test_detractor_goes_to_customer_service(self):
        service = self.env["hr.department"].create(
            {"name": "Service", "crm_function": "service"}
        )
        recent, old = self.env["res.partner"].create(
            [{"name": "Recent Detractor"}, {"name": "Old Detractor"}]
        )
        self.Score.sudo().create(
            [
                {
                    "partner_id": recent.id,
                    "company_id": self.company.id,
                    "nps_score": 4,
                    "nps_category": "detractor",
                    "nps_date": self.today - timedelta(days=3),
                },
                {
                    "partner_id": old.id,
                    "company_id": self.company.id,
                    "nps_score": 2,
                    "nps_category": "detractor",
                    "nps_date": self.today - timedelta(days=45),
                },
            ]
        )
        rule = self.Rule.create({"name": "Call back", "kind": "detractor"})
        self._generate()
        action = self._actions(rule)
        self.assertEqual(action.partner_id, recent)
        self.assertEqual(action.department_id, service)
        self.assertIn("Answered 4 on the NPS survey", action.reason)

    def test_recommended_product_goes_to_sales_with_the_reason(self):
        Product = self.env["product.product"]
        pen, ink = Product.create(
            [{"name": "Pen", "sale_ok": True}, {"name": "Ink", "sale_ok": True}]
        )
        day = self.today - timedelta(days=200)

        def buy(partner, products):
            move = self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": day,
                    "invoice_line_ids": [
                        Command.create(
                            {"product_id": p.id, "quantity": 1, "price_unit": 10.0}
                        )
                        for p in products
                    ],
                }
            )
            move.action_post()

        for i in range(3):
            buy(self.env["res.partner"].create({"name": f"Pen and ink {i}"}), pen + ink)
        writer = self.env["res.partner"].create(
            {"name": "Writer", "is_company": True, "user_id": self.seller.id}
        )
        buy(writer, pen)
        self.assertEqual(writer._crm_recommended_products()[writer.id], [ink.id])
        self.env["crm.recommendation.model"].refresh(company_ids=self.company.ids)
        # sudo: score rows are the recompute's; an active customer, here by hand
        self.Score.sudo().create(
            {
                "partner_id": writer.id,
                "company_id": self.company.id,
                "churn_state": "active",
            }
        )
        rule = self.Rule.create(
            {"name": "Offer", "kind": "recommended_product", "control_share": 0}
        )
        self._generate()
        action = self._actions(rule)
        self.assertEqual(action.partner_id, writer)
        self.assertEqual(action.product_id, ink)
        self.assertEqual(action.because_product_id, pen)
        self.assertEqual(action.department_id, self.sales)
        self.assertEqual(action.user_id, self.seller)
        self.assertEqual(action.reason, "Offer Ink: often bought with Pen.")
        action.with_user(self.seller).action_accept()
        # the kind's outcome: an opportunity for the salesperson
        self.assertEqual(action.lead_id.user_id, self.seller)
        self.assertIn("Offer Ink", action.lead_id.description)

    # ------------------------------------------------------------------
    # Control group
    # ------------------------------------------------------------------
    def _at_risk_customers(self, count):
        partners = self.env["res.partner"].create(
            [{"name": f"Risk {i}", "is_company": True} for i in range(count)]
        )
        # sudo: score rows are the recompute's; here made by hand
        self.Score.sudo().create(
            [
                {
                    "partner_id": p.id,
                    "company_id": self.company.id,
                    "churn_state": "at_risk",
                }
                for p in partners
            ]
        )
        return partners

    def test_control_share_holds_back_exactly_twenty_of_a_hundred(self):
        self._at_risk_customers(100)
        rule = self.Rule.create(
            {
                "name": "Win back",
                "kind": "churn_risk",
                "control_share": 20,
                "outcome": "opportunity",
            }
        )
        self._generate()
        actions = self._actions(rule)
        self.assertEqual(len(actions), 100)
        control = actions.filtered("is_control")
        self.assertEqual(len(control), 20)
        # the control group receives no action: nobody sees them, nobody can act
        seller_sees = self.Action.with_user(self.seller).search(
            [("rule_id", "=", rule.id)]
        )
        self.assertEqual(len(seller_sees), 80)
        self.assertFalse(seller_sees.filtered("is_control"))
        with self.assertRaises(UserError):
            control[:1].action_accept()
        # deterministic per rule and customer: the first 20 in md5(rule:customer)
        # order (tools/control.py); drawn again, the same customers
        held = set(control.partner_id.ids)
        self.assertEqual(held, set(hash_order(rule.id, actions.partner_id.ids)[:20]))
        self.env.cr.execute(
            SQL("DELETE FROM crm_next_action WHERE rule_id = %s", rule.id)
        )
        self.Action.invalidate_model()
        self._generate()
        self.assertEqual(
            set(self._actions(rule).filtered("is_control").partner_id.ids), held
        )

    def test_control_share_stays_exact_over_small_batches(self):
        rule = self.Rule.create(
            {"name": "Win back", "kind": "churn_risk", "control_share": 20}
        )
        # one new eligible customer a day: a batch of one would never be held back
        for _day in range(10):
            self._at_risk_customers(1)
            self._generate()
        actions = self._actions(rule)
        self.assertEqual(len(actions), 10)
        self.assertEqual(len(actions.filtered("is_control")), 2)

    def test_control_share_must_be_a_share(self):
        for share in (-1, 100, 150):
            with self.assertRaises(ValidationError):
                self.Rule.create(
                    {"name": "Bad", "kind": "churn_risk", "control_share": share}
                )

    # ------------------------------------------------------------------
    # States: accept, dismiss, done, expire
    # ------------------------------------------------------------------
    def test_dismissing_records_the_reason_and_pauses_the_rule(self):
        self._overdue_invoice(self.customer, 100.0)
        self._generate()
        action = self._actions()
        wizard = (
            self.env["crm.next.action.dismiss"]
            .with_user(self.finance_head)
            .with_context(active_model="crm.next.action", active_ids=action.ids)
            .create({"reason": "Customer disputes the invoice"})
        )
        wizard.action_dismiss()
        self.assertEqual(action.state, "dismissed")
        self.assertEqual(action.dismiss_reason, "Customer disputes the invoice")
        self.assertIn("Customer disputes the invoice", action.message_ids[0].body)
        with self.assertRaises(UserError):
            action.action_dismiss("again")
        with self.assertRaises(UserError):
            self._actions().action_dismiss("  ")
        # still overdue, but dismissed less than the pause ago: nothing new
        self._generate()
        self.assertEqual(len(self._actions()), 1)

    def test_accepting_creates_the_activity(self):
        self._overdue_invoice(self.customer, 100.0)
        self._generate()
        action = self._actions().with_user(self.finance_head)
        action.action_accept()
        self.assertEqual(action.state, "accepted")
        self.assertEqual(action.accepted_by_id, self.finance_head)
        activity = self.customer.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.finance_head)
        self.assertEqual(activity.summary, "Collect")
        with self.assertRaises(UserError):
            action.action_accept()
        action.action_done()
        self.assertEqual(action.state, "done")

    def test_accepting_creates_the_handoff_for_the_receiving_department(self):
        customer = self.env["res.partner"].create({"name": "Late Co"})
        picking = self._deliver(
            customer, self.today - timedelta(days=2), self.today - timedelta(days=5)
        )
        self.assertFalse(picking.delivered_on_time)
        rule = self.Rule.create(
            {
                "name": "Explain the late delivery",
                "kind": "late_delivery",
                "control_share": 0,
                "outcome": "handoff",
                "handoff_department_id": self.sales.id,
            }
        )
        self._generate()
        action = self._actions(rule)
        self.assertEqual(action.department_id, self.logistics)
        self.assertEqual(action.count, 1)
        queue = self.Action.with_user(self.logistics_head).search(
            [("department_id.manager_id.user_id", "=", self.logistics_head.id)]
        )
        self.assertEqual(queue, action)
        queue.action_accept()
        handoff = action.handoff_id
        self.assertEqual(handoff.from_department_id, self.logistics)
        self.assertEqual(handoff.to_department_id, self.sales)
        self.assertEqual(handoff.partner_id, customer)
        # the receiving department sees it
        self.assertIn(
            handoff, self.env["crm.handoff"].with_user(self.seller).search([])
        )

    def test_accepting_creates_the_opportunity(self):
        partners = self._at_risk_customers(1)
        partners.user_id = self.seller
        rule = self.Rule.create(
            {
                "name": "Win back",
                "kind": "churn_risk",
                "control_share": 0,
                "outcome": "opportunity",
            }
        )
        self._generate()
        action = self._actions(rule)
        self.assertEqual(action.department_id, self.sales)
        self.assertEqual(action.user_id, self.seller)
        action.with_user(self.seller).action_accept()
        self.assertEqual(action.lead_id.partner_id, partners)
        self.assertEqual(action.lead_id.type, "opportunity")
        self.assertEqual(action.lead_id.user_id, self.seller)

    def test_unaccepted_proposals_expire_and_pause(self):
        self._overdue_invoice(self.customer, 100.0)
        self._generate()
        action = self._actions()
        action.sudo().date_expiry = self.today - timedelta(days=1)
        self._generate()
        self.assertEqual(action.state, "expired")
        self.assertEqual(action.expiry_reason, "time")
        # still overdue, but nobody took it up: the rule waits its pause
        self.assertEqual(len(self._actions()), 1)

    def test_resolved_then_overdue_again_is_proposed_at_once(self):
        invoice = self._overdue_invoice(self.customer, 100.0)
        self._generate()
        action = self._actions()
        self._pay(invoice, self.today)
        self._generate()
        self.assertEqual(action.expiry_reason, "resolved")
        self._overdue_invoice(self.customer, 70.0)
        self._generate()
        again = self._actions() - action
        self.assertEqual(again.state, "proposed")
        self.assertAlmostEqual(again.amount, 70.0)

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------
    def test_access_per_group_and_company(self):
        self._overdue_invoice(self.customer, 100.0)
        self._generate()
        action = self._actions()
        # finance sees it, sales does not (another department, not theirs)
        self.assertEqual(self.Action.with_user(self.clerk).search([]), action)
        self.assertFalse(self.Action.with_user(self.seller).search([]))
        with self.assertRaises(AccessError):
            self.Action.with_user(self.clerk).create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "rule_id": self.overdue_rule.id,
                    "kind": "overdue_payment",
                }
            )
        with self.assertRaises(AccessError):
            self.overdue_rule.with_user(self.finance_head).write({"threshold": 5})
        other = self.env["res.company"].create({"name": "Other Co"})
        stranger = new_test_user(
            self.env,
            login="nba_stranger",
            groups=MANAGER,
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        self.assertFalse(self.Action.with_user(stranger).search([]))

    def test_events_and_uplift_are_read_only_for_users(self):
        self._at_risk_customers(4)
        self.Rule.create(
            {"name": "Win back", "kind": "churn_risk", "control_share": 50}
        )
        self._generate()
        Uplift = self.env["crm.next.action.uplift"].with_user(self.seller)
        self.assertTrue(Uplift.search([]))
        with self.assertRaises(AccessError):
            Uplift.search([])[:1].write({"treated_count": 9})
        event = self.env["crm.relationship.event"].create(
            {
                "kind": "health_drop",
                "date": self.today,
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "direction": "down",
                "health_delta": -12.0,
            }
        )
        self.assertEqual(
            self.env["crm.relationship.event"].with_user(self.seller).search([]), event
        )
        with self.assertRaises(AccessError):
            event.with_user(self.seller).write({"health_delta": 0})
        self.assertEqual(event.name, "Overdue Ltd: health -12.0 points")

    def test_other_company_documents_do_not_leak(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        self.env.user.company_ids += other
        self._generate()
        self.Action._cron_generate(other)
        self.assertFalse(self.Action.search([("company_id", "=", other.id)]))

    # ------------------------------------------------------------------
    # Uplift: constructed revenues
    # ------------------------------------------------------------------
    def test_uplift_of_constructed_revenues(self):
        rule = self.Rule.create(
            {
                "name": "Win back",
                "kind": "churn_risk",
                "control_share": 50,
                "measure_days": 30,
            }
        )
        self._at_risk_customers(6)
        self._generate()
        actions = self._actions(rule)
        proposed = self.today - timedelta(days=60)
        actions.write({"date_proposed": proposed})
        treated = actions.filtered(lambda a: not a.is_control).partner_id
        control = actions.filtered("is_control").partner_id
        self.assertEqual((len(treated), len(control)), (3, 3))
        inside = proposed + timedelta(days=10)
        # treated: 300, 100 (150 less a 50 credit note), 0 -> mean 133.33
        self._invoice(treated[0], inside, 300.0)
        self._invoice(treated[1], inside, 150.0)
        self._invoice(treated[1], inside, 50.0, move_type="out_refund")
        # control: 60, 0, 0 -> mean 20; an invoice after the window does not count
        self._invoice(control[0], inside, 60.0)
        self._invoice(control[1], proposed + timedelta(days=31), 999.0)
        self.env["crm.next.action.uplift"]._refresh(self.company)
        row = self.env["crm.next.action.uplift"].search([("rule_id", "=", rule.id)])
        self.assertEqual(len(row), 1)
        self.assertEqual((row.treated_count, row.control_count), (3, 3))
        self.assertAlmostEqual(row.treated_revenue, 400.0 / 3, places=2)
        self.assertAlmostEqual(row.control_revenue, 20.0, places=2)
        self.assertAlmostEqual(row.revenue_uplift, 400.0 / 3 - 20.0, places=2)
        expected = uplift.mean_difference(
            (3, 400.0 / 3, _var([300.0, 100.0, 0.0])), (3, 20.0, _var([60.0, 0, 0]))
        )
        self.assertAlmostEqual(row.revenue_low, expected["low"], places=2)
        self.assertAlmostEqual(row.revenue_high, expected["high"], places=2)
        self.assertAlmostEqual(row.treated_purchase_rate, 200.0 / 3, places=2)
        self.assertAlmostEqual(row.control_purchase_rate, 100.0 / 3, places=2)
        self.assertTrue(row.window_complete)
        # three customers a side cannot show such an effect
        self.assertFalse(row.significant)
        self.assertIn("Not distinguishable from zero", row.conclusion)

    def test_uplift_says_which_effect_shows_and_waits_for_the_window(self):
        rule = self.Rule.create(
            {
                "name": "Win back",
                "kind": "churn_risk",
                "control_share": 50,
                "measure_days": 30,
            }
        )
        self._at_risk_customers(8)
        self._generate()
        Uplift = self.env["crm.next.action.uplift"]
        Uplift._refresh(self.company)
        row = Uplift.search([("rule_id", "=", rule.id)])
        self.assertFalse(row.window_complete)
        window_end = fields.Date.to_string(self.today + timedelta(days=30))
        self.assertEqual(row.conclusion, f"Still measuring until {window_end}.")
        actions = self._actions(rule)
        proposed = self.today - timedelta(days=45)
        actions.sudo().write({"date_proposed": proposed})
        inside = proposed + timedelta(days=5)
        # every treated customer buys 100 or 110, no held-back customer buys
        for i, partner in enumerate(
            actions.filtered(lambda a: not a.is_control).partner_id
        ):
            self._invoice(partner, inside, 100.0 + 10 * (i % 2))
        Uplift._refresh(self.company)
        row = Uplift.search([("rule_id", "=", rule.id)])
        self.assertTrue(row.revenue_significant)
        self.assertTrue(row.purchase_significant)
        self.assertFalse(row.churn_significant)
        self.assertAlmostEqual(row.revenue_uplift, 105.0)
        self.assertAlmostEqual(row.purchase_uplift, 100.0)
        self.assertTrue(row.conclusion.startswith("Revenue per customer $"))
        self.assertIn("Purchase rate +100.0 points", row.conclusion)
        self.assertNotIn("Churn", row.conclusion)


def _var(values):
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / (len(values) - 1)


@tagged("post_install", "-at_install")
class TestRelationshipEvents(RelationshipScoringCommon):
    """Tier, churn and health changes become records that Automation Rules act on."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Event Co", "is_company": True}
        )
        today = cls.company._crm_today()
        cls._invoice(cls.customer, today - timedelta(days=20), 500.0)
        cls.Event = cls.env["crm.relationship.event"]

    def _set_row(self, **values):
        """Make the score row look as it was before a change, in SQL as the
        recompute writes it."""
        self.env.flush_all()
        assignments = SQL(", ").join(
            SQL("%s = %s", SQL.identifier(column), value)
            for column, value in values.items()
        )
        self.env.cr.execute(
            SQL(
                "UPDATE crm_relationship_score SET %s WHERE partner_id = %s",
                assignments,
                self.customer.id,
            )
        )
        self.env.invalidate_all()

    def test_automation_rule_on_a_tier_change_fires_once_per_change(self):
        automation = self.env["base.automation"].create(
            {
                "name": "Tier change: note it",
                "model_id": self.env.ref(
                    "crm_relationship.model_crm_relationship_event"
                ).id,
                "trigger": "on_create_or_write",
                "filter_domain": "[('kind', '=', 'tier_change')]",
            }
        )
        self.env["ir.actions.server"].create(
            {
                "name": "Activity",
                "base_automation_id": automation.id,
                "model_id": automation.model_id.id,
                "usage": "base_automation",
                "state": "next_activity",
                "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                "activity_summary": "Tier moved",
                "activity_user_type": "specific",
                "activity_user_id": self.env.user.id,
            }
        )
        self.Score.recompute(company_ids=self.company.ids)
        tier = self._score(self.customer).tier
        # scored for the first time: nothing changed, no event
        self.assertFalse(self.Event.search([("partner_id", "=", self.customer.id)]))
        other = "F" if tier != "F" else "A"
        self._set_row(tier=other)
        self.Score.recompute(company_ids=self.company.ids)
        events = self.Event.search(
            [("partner_id", "=", self.customer.id), ("kind", "=", "tier_change")]
        )
        self.assertEqual(len(events), 1)
        self.assertEqual((events.old_tier, events.new_tier), (other, tier))
        self.assertEqual(events.direction, "up" if other > tier else "down")
        self.assertEqual(events.activity_ids.summary, "Tier moved")
        # recomputed again without a change: no new event, the rule does not fire
        self.Score.recompute(company_ids=self.company.ids)
        self.assertEqual(
            self.Event.search_count(
                [("partner_id", "=", self.customer.id), ("kind", "=", "tier_change")]
            ),
            1,
        )
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [("res_model", "=", "crm.relationship.event")]
            ),
            1,
        )

    def test_churn_change_and_health_drop(self):
        self.Score.recompute(company_ids=self.company.ids)
        score = self._score(self.customer)
        health, churn = score.health_score, score.churn_state
        self.assertEqual(churn, "active")
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(
            self.company
        )
        profile.health_drop_points = 5.0
        self._set_row(churn_state="lost", health_score=health + 5.0)
        self.Score.recompute(company_ids=self.company.ids)
        events = self.Event.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(sorted(events.mapped("kind")), ["churn_change", "health_drop"])
        churn_event = events.filtered(lambda e: e.kind == "churn_change")
        self.assertEqual(churn_event.old_churn_state, "lost")
        self.assertEqual(churn_event.direction, "up")
        drop = events.filtered(lambda e: e.kind == "health_drop")
        self.assertAlmostEqual(drop.health_delta, -5.0, places=1)
        # a drop under the profile's points is no event
        self._set_row(health_score=health + 4.9)
        self.Score.recompute(company_ids=self.company.ids)
        self.assertEqual(
            len(self.Event.search([("partner_id", "=", self.customer.id)])), 2
        )

    def test_recompute_of_a_past_date_makes_no_event(self):
        self.Score.recompute(company_ids=self.company.ids)
        self._set_row(tier="F", churn_state="lost")
        self.Score.recompute(
            company_ids=self.company.ids,
            date_ref=self.company._crm_today() - timedelta(days=1),
        )
        self.assertFalse(self.Event.search([("partner_id", "=", self.customer.id)]))

    def test_back_tested_rows_make_no_event_the_next_day(self):
        self.Score.recompute(company_ids=self.company.ids)
        # back-testing as of a month ago rewrites the rows with that month's state
        self.Score.recompute(
            company_ids=self.company.ids,
            date_ref=self.company._crm_today() - timedelta(days=30),
        )
        self._set_row(tier="F", churn_state="lost", health_score=100.0)
        self.Score.recompute(company_ids=self.company.ids)
        self.assertFalse(self.Event.search([("partner_id", "=", self.customer.id)]))

    def test_example_rules_ship_inactive(self):
        for xmlid in ("tier_drop", "customer_lost", "health_drop"):
            rule = self.env.ref(f"crm_relationship.base_automation_{xmlid}")
            self.assertFalse(rule.active)
            self.assertEqual(rule.model_id.model, "crm.relationship.event")
            self.assertTrue(rule.action_server_ids)

    def test_example_health_drop_rule_creates_the_handoff(self):
        Department = self.env["hr.department"]
        sales = Department.create({"name": "Sales", "crm_function": "sales"})
        service = Department.create({"name": "Service", "crm_function": "service"})
        self.env.ref("crm_relationship.base_automation_health_drop").active = True
        self.Score.recompute(company_ids=self.company.ids)
        health = self._score(self.customer).health_score
        self._set_row(health_score=health + 30.0)
        self.Score.recompute(company_ids=self.company.ids)
        handoff = self.env["crm.handoff"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(len(handoff), 1)
        self.assertEqual(
            (handoff.from_department_id, handoff.to_department_id), (sales, service)
        )
