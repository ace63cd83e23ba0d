"""QA: attempts to break next best actions, their uplift, relationship events and
segment mailings. Each test asserts the correct behaviour; a failing test is a
defect."""

from datetime import date, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from .common import USER, NextActionCase


class _Rollback(Exception):
    """Undo a write that succeeded, in a savepoint."""


@tagged("post_install", "-at_install")
class TestNextActionBreak(NextActionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Uplift = cls.env["crm.next.action.uplift"]
        cls.Event = cls.env["crm.relationship.event"]
        cls.env["base.automation"].search([]).active = False
        cls.rule = cls.Rule.create(
            {"name": "Collect", "kind": "overdue_payment", "control_share": 0}
        )

    def _actions(self, rule=None, partner=None, company=None):
        domain = [("rule_id", "=", (rule or self.rule).id)]
        if partner:
            domain.append(("partner_id", "=", partner.id))
        if company:
            domain.append(("company_id", "=", company.id))
        return self.Action.search(domain)

    def _overdue(self, partner, amount, days_late=10, **values):
        return self._invoice(
            partner, self.today - timedelta(days=30 + days_late), amount, **values
        )

    def _partner(self, name, **values):
        return self.env["res.partner"].create(
            {"name": name, "is_company": True, **values}
        )

    # ------------------------------------------------------------------
    # Money
    # ------------------------------------------------------------------
    def test_foreign_currency_overdue_is_in_company_currency(self):
        eur = self.setup_other_currency("EUR")  # 2 EUR = 1 company unit since 2017
        self._overdue(self.customer, 1000.0, currency_id=eur.id)
        self._generate()
        action = self._actions(partner=self.customer)
        self.assertEqual(len(action), 1)
        self.assertAlmostEqual(action.amount, 500.0)

    def test_partial_payment_leaves_the_rest_overdue(self):
        invoice = self._overdue(self.customer, 1000.0)
        self._pay(invoice, self.today, amount=400.0)
        self._generate()
        self.assertAlmostEqual(self._actions(partner=self.customer).amount, 600.0)

    def test_unreconciled_payment_reduces_the_overdue_amount(self):
        self._overdue(self.customer, 1000.0)
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": 300.0,
                "date": self.today,
            }
        )
        payment.action_post()
        self._generate()
        self.assertAlmostEqual(self._actions(partner=self.customer).amount, 700.0)

    def test_credit_note_larger_than_the_overdue_gives_nothing(self):
        self._overdue(self.customer, 1000.0)
        self._invoice(self.customer, self.today, 1500.0, move_type="out_refund")
        self._generate()
        self.assertFalse(self._actions(partner=self.customer))

    def test_threshold_boundary_is_strictly_above(self):
        self.rule.threshold = 500.0
        equal = self._partner("Equal Co")
        above = self._partner("Above Co")
        self._overdue(equal, 500.0)
        self._overdue(above, 500.01)
        self._generate()
        self.assertFalse(self._actions(partner=equal))
        self.assertTrue(self._actions(partner=above))

    def test_contact_invoices_and_customer_without_email(self):
        customer = self._partner("No Mail Co")
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": customer.id}
        )
        self._overdue(customer, 100.0)
        self._overdue(contact, 200.0)
        self._generate()
        action = self._actions(partner=customer)
        self.assertEqual(len(action), 1)
        self.assertAlmostEqual(action.amount, 300.0)
        self.assertEqual(action.count, 2)
        self.assertFalse(self._actions(partner=contact))

    # ------------------------------------------------------------------
    # Multi-company
    # ------------------------------------------------------------------
    def test_other_company_overdue_and_company_rule(self):
        company_b = self.setup_other_company(name="B Co")["company"]
        self._overdue(self.customer, 800.0, company=company_b)
        self.rule.company_id = self.company
        self._generate(self.company + company_b)
        self.assertFalse(self._actions(partner=self.customer))

    def test_global_rule_without_department_in_a_company_without_one(self):
        """A rule of every company, company B has no finance department: B's
        action is not routed to company A's finance department."""
        company_b = self.setup_other_company(name="B Co")["company"]
        rule = self.Rule.create(
            {
                "name": "Collect everywhere",
                "kind": "overdue_payment",
                "control_share": 0,
                "company_id": False,
            }
        )
        with self.assertRaises(UserError):
            rule.department_id = self.finance
        self._overdue(self.customer, 800.0, company=company_b)
        self._generate(company_b)
        action = self._actions(rule=rule, company=company_b)
        self.assertEqual(len(action), 1)
        self.assertFalse(action.department_id)
        self.assertFalse(self._actions(rule=rule, company=self.company))

    def test_rule_department_of_another_company_is_refused(self):
        company_b = self.setup_other_company(name="B Co")["company"]
        dept_b = self.env["hr.department"].create(
            {"name": "B Finance", "company_id": company_b.id}
        )
        with self.assertRaises(UserError):  # ValidationError is a UserError
            self.Rule.create(
                {
                    "name": "Mixed",
                    "kind": "overdue_payment",
                    "company_id": self.company.id,
                    "department_id": dept_b.id,
                }
            )

    # ------------------------------------------------------------------
    # Time zones: "due before today" in the company's day
    # ------------------------------------------------------------------
    def test_due_before_today_in_auckland(self):
        self.company.partner_id.tz = "Pacific/Auckland"
        # 12:00 UTC on 10 March is 11 March, 01:00 in Auckland
        with freeze_time("2026-03-10 12:00:00"):
            self.today = self.company._crm_today()
            self.assertEqual(self.today, date(2026, 3, 11))
            # invoiced 8 Feb, 30 days: due 10 March, overdue in Auckland
            self._invoice(self.customer, date(2026, 2, 8), 100.0)
            self._generate()
            self.assertTrue(self._actions(partner=self.customer))

    def test_due_today_in_honolulu_is_not_overdue(self):
        self.company.partner_id.tz = "Pacific/Honolulu"
        # 05:00 UTC on 10 March is 9 March, 19:00 in Honolulu
        with freeze_time("2026-03-10 05:00:00"):
            self.today = self.company._crm_today()
            self.assertEqual(self.today, date(2026, 3, 9))
            # due 9 March: due today in Honolulu, not overdue
            self._invoice(self.customer, date(2026, 2, 7), 100.0)
            self._generate()
            self.assertFalse(self._actions(partner=self.customer))

    # ------------------------------------------------------------------
    # Routing
    # ------------------------------------------------------------------
    def _churn_rule_and_customer(self, salesperson):
        rule = self.Rule.create(
            {"name": "Win back", "kind": "churn_risk", "control_share": 0}
        )
        customer = self._partner("Risky Co", user_id=salesperson.id)
        # sudo: score rows are written by the recompute only
        self.Score.sudo().create(
            {
                "partner_id": customer.id,
                "company_id": self.company.id,
                "churn_state": "at_risk",
            }
        )
        return rule, customer

    def test_archived_salesperson_is_not_responsible(self):
        gone = self._person("brk_gone", USER, self.sales)
        rule, customer = self._churn_rule_and_customer(gone)
        gone.active = False
        self._generate()
        action = self._actions(rule=rule, partner=customer)
        self.assertEqual(len(action), 1)
        self.assertNotEqual(action.user_id, gone)
        self.assertEqual(action.department_id, self.sales)

    def test_no_department_of_the_function(self):
        self.finance.active = False
        self._overdue(self.customer, 100.0)
        self._generate()
        action = self._actions(partner=self.customer)
        self.assertEqual(len(action), 1)
        self.assertFalse(action.department_id)
        # the salesperson is the only one left to act
        self.assertEqual(action.user_id, self.seller)

    # ------------------------------------------------------------------
    # Control shares
    # ------------------------------------------------------------------
    def _many_overdue(self, count):
        partners = self.env["res.partner"].create(
            [{"name": f"Many {i}", "is_company": True} for i in range(count)]
        )
        for partner in partners:
            self._overdue(partner, 100.0)
        return partners

    def test_control_shares_zero_half_and_nearly_all(self):
        self._many_overdue(10)
        for share, held in ((0.0, 0), (50.0, 5), (99.9, 10), (4.9, 0), (5.0, 1)):
            rule = self.Rule.create(
                {
                    "name": f"Share {share}",
                    "kind": "overdue_payment",
                    "control_share": share,
                }
            )
            self._generate()
            actions = self._actions(rule=rule)
            self.assertEqual(len(actions), 10, share)
            self.assertEqual(len(actions.filtered("is_control")), held, share)
            rule.active = False

    def test_reproposal_keeps_the_customer_in_its_group(self):
        """When a treated customer's proposal expires and the customer is proposed
        again, they must not move to the control group (nor the reverse): the
        groups compared by the uplift must stay apart."""
        self.rule.control_share = 50.0
        # no pause after an expiry, so that the customer is proposed again at once
        self.rule.cooldown_days = 0
        partners = self._many_overdue(2)
        self._generate()
        actions = self._actions()
        treated = actions.filtered(lambda a: not a.is_control)
        self.assertEqual(len(treated), 1)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE crm_next_action SET date_expiry = %s WHERE id = %s",
                self.today - timedelta(days=1),
                treated.id,
            )
        )
        self.env.invalidate_all()
        self._generate()
        again = self._actions(partner=treated.partner_id) - treated
        self.assertEqual(treated.state, "expired")
        self.assertEqual(len(again), 1)
        self.assertFalse(again.is_control)
        self.assertTrue(partners)

    # ------------------------------------------------------------------
    # States and access
    # ------------------------------------------------------------------
    def test_dismiss_reason_is_required_and_escaped(self):
        self._overdue(self.customer, 100.0)
        self._generate()
        action = self._actions().with_user(self.clerk)
        for empty in (False, "", "   \n\t "):
            with self.assertRaises(UserError):
                action.action_dismiss(empty)
        reason = "<script>alert(1)</script><b>bold</b> & more"
        action.action_dismiss(reason)
        self.assertEqual(action.dismiss_reason, reason)
        message = action.message_ids.filtered(lambda m: "Dismissed" in (m.body or ""))
        self.assertEqual(len(message), 1)
        self.assertNotIn("<b>", message.body)
        self.assertIn("&lt;b&gt;bold&lt;/b&gt;", message.body)
        self.assertIn("&lt;script&gt;", message.body)

    def test_dismiss_wizard_with_a_huge_reason(self):
        self._overdue(self.customer, 100.0)
        self._generate()
        action = self._actions()
        reason = "x" * 200_000
        wizard = (
            self.env["crm.next.action.dismiss"]
            .with_user(self.clerk)
            .with_context(active_model="crm.next.action", active_ids=action.ids)
            .create({"reason": reason})
        )
        wizard.action_dismiss()
        self.assertEqual(action.state, "dismissed")
        self.assertEqual(len(action.dismiss_reason), 200_000)

    def test_accept_twice_control_and_other_department(self):
        self.rule.control_share = 50.0
        self._many_overdue(2)
        self._generate()
        actions = self._actions()
        control = actions.filtered("is_control")
        treated = actions - control
        with self.assertRaises(UserError):
            control.action_accept()
        with self.assertRaises(AccessError):
            treated.with_user(self.seller).action_accept()
        with self.assertRaises(AccessError):
            treated.with_user(self.logistics_head).action_done()
        treated.with_user(self.clerk).action_accept()
        self.assertEqual(treated.state, "accepted")
        with self.assertRaises(UserError):
            treated.with_user(self.clerk).action_accept()
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", treated.partner_id.id),
                ]
            ),
            1,
        )

    def test_users_never_read_control_rows(self):
        self.rule.control_share = 50.0
        self._many_overdue(4)
        self._generate()
        self.assertEqual(len(self._actions().filtered("is_control")), 2)
        for user in (self.clerk, self.finance_head):
            Action = self.Action.with_user(user)
            rows = Action.search_read([("rule_id", "=", self.rule.id)], ["is_control"])
            self.assertEqual(len(rows), 2)
            self.assertFalse(any(r["is_control"] for r in rows))
            groups = Action.read_group(
                [("rule_id", "=", self.rule.id)], ["is_control"], ["is_control"]
            )
            self.assertEqual(
                [(g["is_control"], g["is_control_count"]) for g in groups],
                [(False, 2)],
            )
            self.assertEqual(Action.search_count([("is_control", "=", True)]), 0)
            self.assertEqual(self.rule.with_user(user).action_count, 2)

    def test_department_head_queue(self):
        self._overdue(self.customer, 100.0)
        self._generate()
        action = self._actions()
        self.assertEqual(self.Action.with_user(self.finance_head).search([]), action)
        self.assertFalse(self.Action.with_user(self.logistics_head).search([]))

    def test_user_cannot_rewrite_readonly_facts(self):
        """A relationship user acts through the buttons: writing the state, the
        control flag or the amounts directly would falsify the uplift."""
        self._overdue(self.customer, 100.0)
        self._generate()
        action = self._actions().with_user(self.clerk)
        refused = {}
        for vals in (
            {"is_control": True},
            {"state": "done"},
            {"amount": 0.0},
            {"department_id": self.logistics.id},
        ):
            field = next(iter(vals))
            try:
                with self.env.cr.savepoint():
                    action.write(vals)
                    self.env.flush_all()
                    raise _Rollback
            except _Rollback:
                refused[field] = False
            except UserError:  # AccessError and ValidationError are UserErrors
                refused[field] = True
            self.env.invalidate_all()
        self.assertEqual(
            refused,
            dict.fromkeys(("is_control", "state", "amount", "department_id"), True),
        )

    # ------------------------------------------------------------------
    # Uplift report
    # ------------------------------------------------------------------
    def _shift_proposals(self, days):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """UPDATE crm_next_action
                      SET date_proposed = date_proposed - %s,
                          date_expiry = date_expiry - %s
                    WHERE rule_id = %s""",
                days,
                days,
                self.rule.id,
            )
        )
        self.env.invalidate_all()

    def _uplift_row(self):
        self.Uplift._refresh(self.company)
        return self.Uplift.search([("rule_id", "=", self.rule.id)])

    def test_uplift_window_is_not_over_on_its_last_day(self):
        """Invoices dated on the window's last day still count: the window is over
        the day after (as the segment mailings say)."""
        self._overdue(self.customer, 100.0)
        self._generate()
        self._shift_proposals(self.rule.measure_days)
        row = self._uplift_row()
        self.assertEqual(row.window_end, self.today)
        self.assertFalse(row.window_complete)

    def test_uplift_without_control_and_one_per_side_and_negative(self):
        self._overdue(self.customer, 100.0)
        self._generate()
        row = self._uplift_row()
        self.assertEqual((row.treated_count, row.control_count), (1, 0))
        self.assertIn("Nothing to compare", row.conclusion)
        self.assertFalse(row.significant)
        # one customer on each side; the treated one got a larger credit note
        self.Action.search([]).unlink()
        self._pay(self.customer.invoice_ids, self.today)
        self.rule.control_share = 50.0
        # no pause after an expiry, so that the customer is proposed again at once
        self.rule.cooldown_days = 0
        partners = self._many_overdue(2)
        self._generate()
        self._shift_proposals(10)
        actions = self._actions(partner=partners[0]) | self._actions(
            partner=partners[1]
        )
        treated = actions.filtered(lambda a: not a.is_control).partner_id
        control = actions.filtered("is_control").partner_id
        self._invoice(treated, self.today - timedelta(days=5), 300.0, "out_refund")
        self._invoice(control, self.today - timedelta(days=5), 100.0)
        # a window over (proposed 10 days ago, measured over 5): the verdict
        self.rule.measure_days = 5
        row = self._uplift_row()
        self.assertEqual((row.treated_count, row.control_count), (1, 1))
        self.assertAlmostEqual(row.treated_revenue, -300.0)
        self.assertAlmostEqual(row.control_revenue, 100.0)
        self.assertAlmostEqual(row.revenue_uplift, -400.0)
        self.assertEqual(row.treated_purchase_rate, 0.0)
        self.assertEqual(row.control_purchase_rate, 100.0)
        self.assertFalse(row.interval_known)
        self.assertIn("Too few", row.conclusion)

    # ------------------------------------------------------------------
    # Relationship events and Automation Rules
    # ------------------------------------------------------------------
    def _set_rows(self, partners, **values):
        self.env.flush_all()
        assignments = SQL(", ").join(
            SQL("%s = %s", SQL.identifier(column), value)
            for column, value in values.items()
        )
        self.env.cr.execute(
            SQL(
                "UPDATE crm_relationship_score SET %s WHERE partner_id = ANY(%s)",
                assignments,
                partners.ids,
            )
        )
        self.env.invalidate_all()

    def test_events_only_for_the_recomputed_customers(self):
        one, two = self._partner("One"), self._partner("Two")
        for partner in one + two:
            self._invoice(partner, self.today - timedelta(days=20), 500.0)
        self.Score.recompute(company_ids=self.company.ids)
        # first scoring: nothing changed
        self.assertFalse(self.Event.search([("partner_id", "in", (one + two).ids)]))
        self._set_rows(one + two, churn_state="lost")
        # a past date: no event
        self.Score.recompute(
            company_ids=self.company.ids,
            partner_ids=(one + two).ids,
            date_ref=self.today - timedelta(days=1),
        )
        self.assertFalse(self.Event.search([("partner_id", "in", (one + two).ids)]))
        self._set_rows(one + two, churn_state="lost")
        self.Score.recompute(company_ids=self.company.ids, partner_ids=one.ids)
        events = self.Event.search([("partner_id", "in", (one + two).ids)])
        self.assertEqual(events.partner_id, one)
        self.assertIn("churn_change", events.mapped("kind"))

    def _automation(self, **values):
        automation = self.env["base.automation"].create(
            {
                "name": "Any event: note it",
                "model_id": self.env.ref(
                    "crm_relationship.model_crm_relationship_event"
                ).id,
                "trigger": "on_create_or_write",
                **values,
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
                "activity_summary": "Event",
                "activity_user_type": "specific",
                "activity_user_id": self.env.user.id,
            }
        )
        return automation

    def _event(self, **values):
        # as the recompute creates them: through the ORM, as superuser
        return self.Event.sudo().create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "date": self.today,
                "kind": "tier_change",
                "old_tier": "A",
                "new_tier": "B",
                "direction": "down",
                **values,
            }
        )

    def _activities(self, event):
        return self.env["mail.activity"].search(
            [("res_model", "=", event._name), ("res_id", "=", event.id)]
        )

    def test_on_save_fires_once_with_messages_and_followers(self):
        self._automation()
        event = self._event()
        self.assertEqual(len(self._activities(event)), 1)
        event.message_post(body="Called them")
        event.message_subscribe(partner_ids=self.seller.partner_id.ids)
        self.assertEqual(len(self._activities(event)), 1)

    def test_example_tier_drop_rule_fires_once_when_the_event_is_written(self):
        """USAGE: the rule fires once per change. Reassigning the event (its
        salesperson) is no new change."""
        self.env.ref("crm_relationship.base_automation_tier_drop").active = True
        event = self._event(user_id=self.seller.id)
        self.assertEqual(len(self._activities(event)), 1)
        event.write({"user_id": self.clerk.id})
        self.assertEqual(len(self._activities(event)), 1)

    def test_example_rules_run_without_salesperson_email_or_service(self):
        for xmlid in ("tier_drop", "customer_lost", "health_drop"):
            self.env.ref(f"crm_relationship.base_automation_{xmlid}").active = True
        mute = new_test_user(self.env, login="brk_mute", groups=USER)
        mute.partner_id.email = False
        self._event(user_id=mute.id)
        self._event(user_id=False)
        self._event(
            kind="churn_change",
            old_churn_state="at_risk",
            new_churn_state="lost",
            direction="down",
            user_id=mute.id,
        )
        self._event(
            kind="churn_change",
            old_churn_state="at_risk",
            new_churn_state="lost",
            direction="down",
            user_id=False,
        )
        # no service department: no hand-off, no error
        self._event(
            kind="health_drop",
            old_health=80.0,
            new_health=40.0,
            health_delta=-40.0,
            direction="down",
        )
        self.assertFalse(
            self.env["crm.handoff"].search([("partner_id", "=", self.customer.id)])
        )

    # ------------------------------------------------------------------
    # Segment mailings
    # ------------------------------------------------------------------
    def test_segment_mailing_exact_and_never_to_control(self):
        self.env.user.groups_id += self.env.ref("mass_mailing.group_mass_mailing_user")
        customers = self.env["res.partner"].create(
            [
                {"name": f"Seg {i}", "is_company": True, "email": f"s{i}@x.test"}
                for i in range(100)
            ]
        )
        mute = self._partner("Seg mute")
        contacts = self.env["res.partner"].create(
            [
                {
                    "name": f"Contact {c.name}",
                    "parent_id": c.id,
                    "email": f"k{i}@x.test",
                }
                for i, c in enumerate(customers)
            ]
        )
        wizard = self.env["crm.relationship.score.mailing"].create(
            {
                "company_id": self.company.id,
                "partner_ids": [(6, 0, (customers + mute).ids)],
                "segment": "All",
                "subject": "Hello",
                "control_share": 20.0,
            }
        )
        self.assertEqual(
            (wizard.control_count, wizard.recipient_count, wizard.excluded_count),
            (20, 80, 1),
        )
        mailing = self.env["mailing.mailing"].browse(
            wizard.action_create_mailing()["res_id"]
        )
        held = mailing.crm_control_partner_ids
        self.assertEqual(len(held), 20)
        self.assertNotIn(mute, held)
        # someone widens the domain to every customer and contact
        mailing.mailing_domain = repr([("id", "in", (customers + contacts).ids)])
        recipients = self.env["res.partner"].search(mailing._get_recipients_domain())
        self.assertFalse(recipients & held)
        self.assertFalse(recipients.commercial_partner_id & held)
        self.assertEqual(len(recipients), 160)

    def test_segment_mailing_needs_mailing_rights(self):
        user = self._person("brk_nomail", USER, self.sales)
        with self.assertRaises(AccessError):
            self.env["crm.relationship.score.mailing"].with_user(user).create(
                {
                    "company_id": self.company.id,
                    "partner_ids": [(6, 0, self.customer.ids)],
                    "segment": "All",
                    "subject": "Hello",
                }
            )

    def test_mailing_window_in_honolulu(self):
        self.company.partner_id.tz = "Pacific/Honolulu"
        mailing = self.env["mailing.mailing"].create(
            {
                "subject": "Hi",
                "crm_company_id": self.company.id,
                "crm_control_share": 10.0,
                "crm_attribution_days": 7,
                # 05:00 UTC on 10 March is 9 March in Honolulu
                "sent_date": fields.Datetime.to_datetime("2026-03-10 05:00:00"),
            }
        )
        self.assertEqual(
            mailing._crm_attribution_window(), (date(2026, 3, 9), date(2026, 3, 16))
        )

    def test_partial_recompute_gives_the_same_health_as_a_full_one(self):
        """The queue cron recomputes only the customers whose documents changed:
        their health must be what a full recompute gives, or every posting makes
        a spurious health drop event."""
        one, two = self._partner("One"), self._partner("Two")
        for partner in one + two:
            self._invoice(partner, self.today - timedelta(days=20), 500.0)
        self.Score.recompute(company_ids=self.company.ids)
        full = self._score(one).health_score
        self.Score.recompute(company_ids=self.company.ids, partner_ids=one.ids)
        self.assertAlmostEqual(self._score(one).health_score, full, places=1)
        self.assertFalse(
            self.Event.search(
                [("partner_id", "=", one.id), ("kind", "=", "health_drop")]
            )
        )

    def test_control_customers_given_explicitly_are_not_sent(self):
        self.env.user.groups_id += self.env.ref("mass_mailing.group_mass_mailing_user")
        customers = self.env["res.partner"].create(
            [
                {"name": f"Exp {i}", "is_company": True, "email": f"e{i}@x.test"}
                for i in range(10)
            ]
        )
        mailing = self.env["mailing.mailing"].create(
            {
                "subject": "Hi",
                "body_html": "<p>Hi</p>",
                "crm_company_id": self.company.id,
                "crm_control_share": 50.0,
            }
        )
        mailing._crm_split_segment(customers)
        held = mailing.crm_control_partner_ids
        self.assertEqual(len(held), 5)
        contact = self.env["res.partner"].create(
            {"name": "Held contact", "parent_id": held[0].id, "email": "hc@x.test"}
        )
        with self.assertRaises(UserError):
            mailing._action_send_mail(res_ids=(held + contact).ids)
        mailing._action_send_mail(res_ids=(customers + contact).ids)
        traced = self.env["mailing.trace"].search(
            [("mass_mailing_id", "=", mailing.id)]
        )
        self.assertEqual(len(traced), 5)
        self.assertFalse(set(traced.mapped("res_id")) & set((held + contact).ids))
