from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from ..tools import scoring
from .common import RelationshipScoringCommon

DATE_REF = date(2026, 6, 30)


@tagged("post_install", "-at_install")
class TestRelationshipScore(RelationshipScoringCommon):
    """Every figure below is worked out by hand in the comments (window: 365 days
    before 2026-06-30, default weights R25 F20 M25 P15 D15, tiers 80/65/50/35/20)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.alpha = Partner.create({"name": "Alpha Co", "is_company": True})
        cls.beta = Partner.create({"name": "Beta Co", "is_company": True})
        cls.bea = Partner.create({"name": "Bea", "parent_id": cls.beta.id})
        cls.gamma = Partner.create({"name": "Gamma Co", "is_company": True})
        cls.delta = Partner.create({"name": "Delta Co", "is_company": True})
        cls.draft_only = Partner.create({"name": "Draft Co", "is_company": True})
        cls.eur = cls.setup_other_currency("EUR")  # 2.0 EUR per company unit

        # Alpha: window invoices 500 + 500 + 1000, refund 200 -> monetary 1800, F 3,
        # last invoice 2026-06-20 -> recency 10; lifetime adds the 2024 invoice: 2100.
        cls.alpha_old = cls._invoice(cls.alpha, "2024-01-10", 300)  # overdue since 2024
        late = cls._invoice(cls.alpha, "2025-09-01", 500)  # due 10-01
        cls._pay(late, "2025-10-15")  # late, 44 days
        on_time = cls._invoice(cls.alpha, "2026-03-01", 500)  # due 03-31
        cls._pay(on_time, "2026-03-20")  # on time, 19 days
        cls._invoice(cls.alpha, "2026-06-20", 1000)  # due 07-20: not overdue
        cls._invoice(cls.alpha, "2026-05-01", 200, move_type="out_refund")
        cls._invoice(cls.alpha, "2026-06-25", 5000, state="draft")  # ignored
        cancelled = cls._invoice(cls.alpha, "2026-06-26", 3000)
        cancelled.button_draft()
        cancelled.button_cancel()  # ignored
        # Deliveries in the window: on time by its deadline, late, on time + returned
        cls._deliver(cls.alpha, "2026-03-01", "2026-02-20", deadline="2026-03-05")
        cls._deliver(cls.alpha, "2026-04-10", "2026-04-01")
        returned = cls._deliver(cls.alpha, "2026-05-01", "2026-05-02")
        cls._return(returned, "2026-05-10")
        cls._deliver(cls.alpha, "2025-01-01", "2025-01-01")  # before the window

        # Beta, invoiced and delivered through its contact Bea: monetary 800, F 2,
        # recency 29; 150 paid on the first invoice, 250 overdue; one on-time delivery.
        first = cls._invoice(cls.bea, "2025-12-01", 400)  # due 12-31
        cls._pay(first, "2025-12-15", amount=150)
        cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.bea.id,
                "invoice_date": "2026-06-01",
                "invoice_payment_term_id": cls.term_30.id,
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": cls.goods.id, "price_unit": 400, "tax_ids": []}
                    )
                ],
            }
        ).action_post()  # margin 400 - cost 10 = 390
        cls._deliver(cls.bea, "2026-06-02", "2026-06-05")

        # Gamma: 600 EUR at 2.0 = 300 in company currency, overdue since 02-14.
        cls._invoice(cls.gamma, "2026-01-15", 600, currency_id=cls.eur.id)
        # Delta: bought once, before the window, paid on time.
        delta_invoice = cls._invoice(cls.delta, "2025-01-01", 900)
        cls._pay(delta_invoice, "2025-01-15")
        # Draft Co: a draft only -> no score row.
        cls._invoice(cls.draft_only, "2026-06-01", 100, state="draft")

        # A second company: Alpha buys there too, and the two never mix.
        cls.company_2 = cls.setup_other_company()["company"]
        cls._invoice(cls.alpha, "2026-06-01", 700, company=cls.company_2)

        cls.Score.recompute(
            company_ids=(cls.company | cls.company_2).ids, date_ref=DATE_REF
        )

    def test_rfm_figures(self):
        alpha, beta, gamma, delta = (
            self._score(p) for p in (self.alpha, self.beta, self.gamma, self.delta)
        )
        self.assertRecordValues(
            alpha | beta | gamma | delta,
            [
                {"recency_days": 10, "frequency": 3, "monetary": 1800.0},
                {"recency_days": 29, "frequency": 2, "monetary": 800.0},
                {"recency_days": 166, "frequency": 1, "monetary": 300.0},
                {"recency_days": 545, "frequency": 0, "monetary": 0.0},
            ],
        )
        self.assertEqual(alpha.clv_historical, 2100.0)
        self.assertEqual(str(alpha.first_invoice_date), "2024-01-10")

    def test_draft_cancelled_and_contacts(self):
        self.assertFalse(self._score(self.draft_only), "a draft is no purchase")
        self.assertFalse(self._score(self.bea), "contacts score on their company")
        # the 5000 draft and the 3000 cancelled invoice would show in monetary
        self.assertEqual(self._score(self.alpha).monetary, 1800.0)

    def test_quintiles_segments_and_abc(self):
        # 3 active customers: k-th worst gets (5k + 2) // 3 -> 2, 4, 5
        rows = [self._score(p) for p in (self.alpha, self.beta, self.gamma, self.delta)]
        self.assertEqual(
            [(s.r_score, s.f_score, s.m_score) for s in rows],
            [(5, 5, 5), (4, 4, 4), (2, 2, 2), (1, 1, 1)],
        )
        self.assertEqual(
            [s.rfm_segment for s in rows],
            ["champions", "champions", "hibernating", "lost"],
        )
        # shares before: 0 %, 1800/2900 = 62 %, 2600/2900 = 90 %; zero monetary is C
        self.assertEqual([s.abc_class for s in rows], ["A", "A", "B", "C"])

    def test_payment_behaviour(self):
        alpha, beta, gamma = (
            self._score(p) for p in (self.alpha, self.beta, self.gamma)
        )
        self.assertRecordValues(
            alpha | beta | gamma,
            [
                {
                    "paid_invoice_count": 2,
                    "late_invoice_count": 1,
                    "avg_days_to_pay": 31.5,  # (44 + 19) / 2
                    "late_payment_rate": 0.5,
                    "overdue_invoice_count": 1,
                    "overdue_amount": 300.0,
                    "payment_known": True,
                },
                {
                    "paid_invoice_count": 0,  # partly paid is not paid
                    "late_invoice_count": 0,
                    "avg_days_to_pay": 0.0,
                    "late_payment_rate": 0.0,
                    "overdue_invoice_count": 1,
                    "overdue_amount": 250.0,
                    "payment_known": True,
                },
                {
                    "paid_invoice_count": 0,
                    "late_invoice_count": 0,
                    "avg_days_to_pay": 0.0,
                    "late_payment_rate": 0.0,
                    "overdue_invoice_count": 1,
                    "overdue_amount": 300.0,  # 600 EUR in company currency
                    "payment_known": True,
                },
            ],
        )
        delta = self._score(self.delta)
        self.assertFalse(
            delta.payment_known, "paid before the window: nothing to judge"
        )

    def test_delivery_experience(self):
        alpha, beta = self._score(self.alpha), self._score(self.beta)
        self.assertRecordValues(
            alpha | beta,
            [
                {
                    "delivery_count": 3,
                    "on_time_delivery_count": 2,
                    "return_count": 1,
                    "delivery_known": True,
                },
                {
                    "delivery_count": 1,
                    "on_time_delivery_count": 1,
                    "return_count": 0,
                    "delivery_known": True,
                },
            ],
        )
        self.assertAlmostEqual(alpha.on_time_delivery_rate, 2 / 3, places=4)
        self.assertAlmostEqual(alpha.return_rate, 1 / 3, places=4)
        self.assertFalse(self._score(self.gamma).delivery_known)

    def test_margin_where_costs_are_known(self):
        beta = self._score(self.beta)
        self.assertTrue(beta.margin_known)
        self.assertEqual(beta.gross_margin, 390.0)
        self.assertFalse(self._score(self.alpha).margin_known, "no product, no cost")

    def test_health_score_and_tiers(self):
        alpha, beta, gamma, delta = (
            self._score(p) for p in (self.alpha, self.beta, self.gamma, self.delta)
        )
        # Alpha: (25*100 + 20*100 + 25*100 + 15*33.33 + 15*44.44) / 100
        self.assertAlmostEqual(alpha.payment_component, 100 / 3, places=2)
        self.assertAlmostEqual(alpha.delivery_component, 400 / 9, places=2)
        self.assertAlmostEqual(alpha.health_score, 81.67, places=2)
        self.assertEqual(alpha.tier, "A")
        # Beta: (25*75 + 20*75 + 25*75 + 15*0 + 15*100) / 100
        self.assertAlmostEqual(beta.health_score, 67.5, places=2)
        self.assertEqual(beta.tier, "B")
        # Gamma has no delivery: (25*25 + 20*25 + 25*25 + 15*0) / 85, not / 100
        self.assertFalse(gamma.delivery_known)
        self.assertAlmostEqual(gamma.health_score, 1750 / 85, places=2)
        self.assertEqual(gamma.tier, "E")
        self.assertEqual(delta.health_score, 0.0)
        self.assertEqual(delta.tier, "F")
        contributions = sum(
            alpha[f"{name}_contribution"]
            for name in ("recency", "frequency", "monetary", "payment", "delivery")
        )
        self.assertAlmostEqual(contributions, alpha.health_score, places=4)

    def test_sql_components_health_and_tier_match_python(self):
        """The recompute's SQL and tools/scoring.py define the same maths."""
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(
            self.company
        )
        rows = self.Score.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(rows), 4)
        for score in rows:
            components = scoring.component_scores(
                score.r_score,
                score.f_score,
                score.m_score,
                score.paid_invoice_count,
                score.late_invoice_count,
                score.overdue_invoice_count,
                score.delivery_count,
                score.on_time_delivery_count,
                score.return_count,
            )
            contributions = scoring.health_contributions(components, profile._weights())
            for name, value in components.items():
                # the client reads an unknown (NULL) component as 0.0
                self.assertAlmostEqual(
                    score[f"{name}_component"], value or 0.0, places=6, msg=name
                )
                self.assertAlmostEqual(
                    score[f"{name}_contribution"],
                    contributions.get(name, 0.0),
                    places=6,
                    msg=name,
                )
            health = scoring.health_score(components, profile._weights())
            self.assertAlmostEqual(score.health_score, health, places=6)
            self.assertEqual(score.tier, scoring.tier(health, profile._thresholds()))
            self.assertEqual(
                score.rfm_segment,
                scoring.rfm_segment(score.r_score, score.f_score, score.m_score),
            )

    def test_explanations_in_words(self):
        self.assertIn("No invoice for 545 days.", self._score(self.delta).explanation)
        alpha = self._score(self.alpha).explanation
        self.assertIn("1 invoices paid late.", alpha)
        self.assertIn("1 of 3 deliveries late.", alpha)
        self.assertIn(
            "No delivery in the window to judge deliveries.",
            self._score(self.gamma).explanation,
        )

    def test_companies_kept_apart(self):
        in_company_2 = self._score(self.alpha, self.company_2)
        self.assertEqual(in_company_2.frequency, 1)
        self.assertEqual(in_company_2.monetary, 700.0)
        self.assertEqual(self._score(self.alpha).frequency, 3)
        self.assertFalse(self._score(self.beta, self.company_2))

    def test_back_testing_reference_date(self):
        self.Score.recompute(company_ids=self.company.ids, date_ref=date(2025, 12, 31))
        alpha = self._score(self.alpha)
        self.assertRecordValues(
            alpha,
            [
                {
                    "date_ref": date(2025, 12, 31),
                    "frequency": 1,
                    "monetary": 500.0,
                    "recency_days": 121,
                    "late_invoice_count": 1,
                    "avg_days_to_pay": 44.0,
                    "overdue_amount": 300.0,
                    "delivery_count": 1,  # the 2025-01-01 delivery is in this window
                },
            ],
        )
        # Beta's invoice was due on the reference date itself: not overdue yet
        self.assertEqual(self._score(self.beta).overdue_amount, 0.0)
        self.assertFalse(self._score(self.gamma), "Gamma's first invoice is later")

    def test_history_and_trend(self):
        self.Score.recompute(company_ids=self.company.ids, date_ref=date(2025, 12, 31))
        past = self._score(self.alpha).health_score
        self.Score.recompute(company_ids=self.company.ids, date_ref=DATE_REF)
        alpha = self._score(self.alpha)
        self.assertAlmostEqual(alpha.previous_health_score, past, places=4)
        self.assertAlmostEqual(alpha.score_delta, alpha.health_score - past, places=4)
        history = self.env["crm.relationship.score.history"].search(
            [("partner_id", "=", self.alpha.id), ("company_id", "=", self.company.id)]
        )
        self.assertEqual(
            sorted(str(h.snapshot_date) for h in history), ["2025-12-31", "2026-06-30"]
        )
        expected = (
            "up"
            if alpha.tier < alpha.previous_tier
            else "down"
            if alpha.tier > alpha.previous_tier
            else "same"
        )
        self.assertEqual(alpha.tier_trend, expected)

    def test_failed_recompute_keeps_previous_scores(self):
        before = self._score(self.alpha).read(["health_score", "tier", "monetary"])
        self._invoice(self.alpha, "2026-06-29", 10000)
        Score = type(self.Score)
        with (
            # fails after the new scores were written, before the snapshot
            patch.object(Score, "_snapshot", side_effect=RuntimeError("boom")),
            self.assertRaisesRegex(UserError, "previous scores are kept"),
        ):
            self.Score.recompute(company_ids=self.company.ids, date_ref=DATE_REF)
        self.env.invalidate_all()
        self.assertEqual(
            self._score(self.alpha).read(["health_score", "tier", "monetary"]), before
        )
        self.env.cr.execute(SQL("SELECT to_regclass('crm_relationship_score_stage')"))
        self.assertIsNone(self.env.cr.fetchone()[0], "the stage is dropped")

    def test_recompute_gives_back_the_callers_jit_setting(self):
        self.env.cr.execute(SQL("SELECT set_config('jit', 'on', true)"))
        self.Score.recompute(company_ids=self.company.ids, date_ref=DATE_REF)
        self.env.cr.execute(SQL("SELECT current_setting('jit')"))
        self.assertEqual(self.env.cr.fetchone()[0], "on")

    def test_events_mark_and_frequent_cron_recomputes(self):
        queue = self.env["crm.relationship.score.queue"]
        self.assertFalse(queue.search([]), "a recompute empties the queue")
        self._invoice(self.delta, "2026-06-15", 250)
        self.assertEqual(queue.search([]).partner_id, self.delta)
        with freeze_time(DATE_REF):
            self.Score._cron_recompute_marked()
        self.assertFalse(queue.search([]))
        delta = self._score(self.delta)
        self.assertEqual((delta.frequency, delta.monetary), (1, 250.0))

    def test_marked_batch_leaves_out_customers_another_run_did(self):
        """A frequent cron's batch run again (after a serialization failure, or
        beside a second worker) recomputes only the customers still marked."""
        queue = self.env["crm.relationship.score.queue"]
        self._invoice(self.delta, "2026-06-15", 250)
        self._invoice(self.alpha, "2026-06-16", 400)
        alpha_before = self._score(self.alpha).monetary
        # another run has done alpha and emptied its marks meanwhile
        queue.sudo().search(
            [("partner_id", "=", self.alpha.id)]
        ).unlink()  # a run as superuser
        self.Score._recompute_marked_batch(
            self.company, DATE_REF, [self.alpha.id, self.delta.id]
        )
        self.env.invalidate_all()
        self.assertEqual(self._score(self.delta).monetary, 250.0)
        self.assertEqual(self._score(self.alpha).monetary, alpha_before)
        self.assertFalse(queue.search([]))
        # nothing marked any more: the batch does nothing
        self.Score._recompute_marked_batch(self.company, DATE_REF, [self.delta.id])
        self.assertEqual(self._score(self.delta).monetary, 250.0)

    def test_daily_cron_in_chunks(self):
        with freeze_time(DATE_REF):
            self.Score._cron_recompute_all(chunk_size=2)
        self.assertEqual(self._score(self.alpha).monetary, 1800.0)
        self.assertEqual(self._score(self.gamma).frequency, 1)


@tagged("post_install", "-at_install")
class TestRelationshipScoreAccess(RelationshipScoringCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Omega", "is_company": True}
        )
        cls._invoice(cls.customer, "2026-06-01", 100)
        cls.company_2 = cls.setup_other_company()["company"]
        cls._invoice(cls.customer, "2026-06-01", 900, company=cls.company_2)
        cls.Score.recompute(company_ids=(cls.company | cls.company_2).ids)
        companies = {
            "company_id": cls.company.id,
            "company_ids": [Command.set(cls.company.ids)],
        }
        cls.employee = new_test_user(cls.env, login="plain_employee", **companies)
        cls.rel_user = new_test_user(
            cls.env,
            login="rel_user",
            groups="base.group_user,crm_relationship.group_relationship_user",
            **companies,
        )
        cls.manager = new_test_user(
            cls.env,
            login="rel_manager",
            groups="base.group_user,crm_relationship.group_relationship_manager",
            **companies,
        )

    def test_employee_without_group_reads_nothing(self):
        with self.assertRaises(AccessError):
            self.Score.with_user(self.employee).search([])

    def test_relationship_user_reads_own_company_only(self):
        scores = self.Score.with_user(self.rel_user).search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(scores.company_id, self.company)
        self.assertEqual(scores.monetary, 100.0)
        with self.assertRaises(AccessError):
            scores.write({"tier": "A"})
        with self.assertRaises(AccessError):
            self.Score.with_user(self.rel_user).recompute()

    def test_department_head_reads_but_does_not_configure(self):
        head = new_test_user(
            self.env,
            login="rel_head",
            groups="base.group_user,crm_relationship.group_department_head",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        scores = self.Score.with_user(head).search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(scores.monetary, 100.0)
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(
            self.company
        )
        with self.assertRaises(AccessError):
            profile.with_user(head).window_days = 30
        with self.assertRaises(AccessError):
            self.Score.with_user(head).recompute()

    def test_manager_recomputes_and_edits_profile(self):
        self.Score.with_user(self.manager).recompute(company_ids=self.company.ids)
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(
            self.company
        )
        profile.with_user(self.manager).window_days = 180
        with self.assertRaises(AccessError):
            profile.with_user(self.rel_user).window_days = 90

    def test_partner_shows_current_company_score(self):
        partner = self.customer.with_user(self.rel_user)
        self.assertEqual(partner.relationship_score_id.company_id, self.company)
        self.assertEqual(partner.relationship_tier, partner.relationship_score_id.tier)


@tagged("post_install", "-at_install")
class TestScoringProfile(RelationshipScoringCommon):
    def test_invalid_profiles_are_refused(self):
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(
            self.company
        )
        zero = {f"weight_{n}": 0 for n in ("recency", "frequency", "monetary")}
        zero.update(
            weight_payment=0,
            weight_delivery=0,
            weight_complaint=0,
            weight_satisfaction=0,
        )
        with self.assertRaisesRegex(ValidationError, "weight above zero"):
            profile.write(zero)
        with self.assertRaisesRegex(ValidationError, "decrease strictly"):
            profile.write({"threshold_b": 90})
        with self.assertRaisesRegex(ValidationError, "A share < B share"):
            profile.write({"abc_a_share": 96})
        with self.assertRaisesRegex(ValidationError, "at least one day"):
            profile.write({"window_days": 0})

    def test_weights_change_the_health_score(self):
        customer = self.env["res.partner"].create({"name": "Solo", "is_company": True})
        self._invoice(customer, "2026-06-01", 100)  # due 07-01: no payment to judge
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(
            self.company
        )
        profile.write({"weight_frequency": 0, "weight_monetary": 0})
        self.Score.recompute(company_ids=self.company.ids, date_ref=DATE_REF)
        score = self._score(customer)
        # only recency is known and weighted: the single customer is the best, R 5
        self.assertEqual(score.r_score, 5)
        self.assertEqual(score.health_score, 100.0)
        self.assertEqual(score.tier, "A")
        self.assertFalse(score.payment_known)
