from datetime import datetime, time, timedelta

from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, format_date
from odoo.tools.translate import code_translations

from .common import USER, RelationshipScoringCommon


@tagged("post_install", "-at_install")
class TestChangeSummary(RelationshipScoringCommon):
    """What changed between two scoring runs, worked out by hand.

    Weights M2 P1 C1 (the others 0); today T. Alpha: invoices T-60 (1000, paid on
    time T-50) and T-45 (1000, due T-15, never paid), a low complaint at T-30; after
    the first run (as of T-20) a credit note of 1500 at T-5 and a medium complaint.
    Beta: one invoice of 800 at T-40, paid on time.

    As of T-20: Alpha M 5 (2000 > 800) -> 100, payment 100, complaints 100 - 10 = 90:
    points 50 + 25 + 22.5 = 97.5 (tier A); Beta M 3 -> 50, payment 100, no complaint:
    33.3 + 33.3 = 66.7 (tier B).
    As of T: Alpha's monetary 500 < 800: M 3 -> 50, payment 1 - 1/2 -> 50 (T-45 is
    overdue), complaints 100 - 30 = 70: 25 + 12.5 + 17.5 = 55.0 (tier C), 45 days
    since the last purchase against a usual 15 (at risk beyond 2 x 15 or 30 days);
    Beta M 5 -> 100: 66.7 + 33.3 = 100.0 (tier A).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = cls.company._crm_today()
        cls.first_day = cls.today - timedelta(days=20)
        Partner = cls.env["res.partner"]
        cls.alpha = Partner.create({"name": "Alpha Co", "is_company": True})
        cls.beta = Partner.create({"name": "Beta Co", "is_company": True})
        cls.profile = cls.env["crm.relationship.scoring.profile"]._get_for_company(
            cls.company
        )
        cls.profile.write(
            {
                "weight_recency": 0,
                "weight_frequency": 0,
                "weight_monetary": 2,
                "weight_payment": 1,
                "weight_delivery": 0,
                "weight_complaint": 1,
                "weight_satisfaction": 0,
                "churn_risk_multiple": 2,
                "churn_lost_multiple": 4,
                "churn_min_days": 30,
                "churn_single_risk_days": 60,
                "churn_single_lost_days": 120,
            }
        )
        day = cls.today
        paid = cls._invoice(cls.alpha, day - timedelta(days=60), 1000)
        cls._pay(paid, day - timedelta(days=50))
        cls._invoice(cls.alpha, day - timedelta(days=45), 1000)
        beta = cls._invoice(cls.beta, day - timedelta(days=40), 800)
        cls._pay(beta, day - timedelta(days=35))
        earlier = cls._complaint(cls.alpha, "low")
        cls.env.cr.execute(
            SQL(
                "UPDATE crm_complaint SET create_date = %s WHERE id = %s",
                datetime.combine(day - timedelta(days=30), time(12)),
                earlier.id,
            )
        )
        cls.env["crm.complaint"].invalidate_model(["create_date"])
        cls.Score.recompute(company_ids=cls.company.ids, date_ref=cls.first_day)

    @classmethod
    def _complaint(cls, partner, severity):
        return cls.env["crm.complaint"].create(
            {"name": "Late again", "partner_id": partner.id, "severity": severity}
        )

    def _second_run(self):
        self._invoice(
            self.alpha, self.today - timedelta(days=5), 1500, move_type="out_refund"
        )
        self._complaint(self.alpha, "medium")
        self.Score.recompute(company_ids=self.company.ids, date_ref=self.today)

    def test_first_run_says_first_score(self):
        self.assertEqual(self._score(self.alpha).change_summary, "First score.")

    def test_lines_and_signs(self):
        self._second_run()
        alpha, beta = self._score(self.alpha), self._score(self.beta)
        self.assertEqual(
            alpha.change_summary.splitlines(),
            [
                (
                    "Health 97.5 → 55.0 (−42.5): Monetary −25.0, Payment −12.5, "
                    "Complaints −5.0."
                ),
                "Tier A → C.",
                "Churn Active → At risk.",
            ],
        )
        self.assertEqual(
            beta.change_summary.splitlines(),
            ["Health 66.7 → 100.0 (+33.3): Monetary +33.3.", "Tier B → A."],
        )
        # the health line agrees with the trend fields of the row
        self.assertAlmostEqual(alpha.score_delta, -42.5, places=6)

    def test_history_keeps_contributions_and_churn(self):
        self._second_run()
        history = self.env["crm.relationship.score.history"].search(
            [("partner_id", "=", self.alpha.id), ("company_id", "=", self.company.id)],
            order="snapshot_date",
        )
        self.assertRecordValues(
            history,
            [
                {
                    "snapshot_date": self.first_day,
                    "monetary_contribution": 50.0,
                    "payment_contribution": 25.0,
                    "complaint_contribution": 22.5,
                    "delivery_contribution": 0.0,
                    "churn_state": "active",
                    "tier": "A",
                },
                {
                    "snapshot_date": self.today,
                    "monetary_contribution": 25.0,
                    "payment_contribution": 12.5,
                    "complaint_contribution": 17.5,
                    "delivery_contribution": 0.0,
                    "churn_state": "at_risk",
                    "tier": "C",
                },
            ],
        )
        # a component not known then stays empty, not zero
        self.env.cr.execute(
            SQL(
                """SELECT satisfaction_contribution IS NULL
                     FROM crm_relationship_score_history
                    WHERE partner_id = %s AND company_id = %s""",
                self.beta.id,
                self.company.id,
            )
        )
        self.assertEqual(self.env.cr.fetchall(), [(True,), (True,)])

    def test_no_change_and_companies_never_mix(self):
        company_2 = self.setup_other_company()["company"]
        self.env["crm.relationship.scoring.profile"]._get_for_company(company_2).write(
            {"churn_single_risk_days": 365, "churn_single_lost_days": 730}
        )
        # Alpha buys once in the second company, and never pays
        self._invoice(
            self.alpha, self.today - timedelta(days=100), 700, company=company_2
        )
        second, third = self.today - timedelta(days=25), self.today - timedelta(days=10)
        self.Score.recompute(company_ids=company_2.ids, date_ref=second)
        other = self._score(self.alpha, company_2)
        self.assertEqual(other.change_summary, "First score.")
        # a snapshot of the second company between the first company's two runs
        self.Score.recompute(company_ids=company_2.ids, date_ref=third)
        self.assertEqual(
            other.change_summary,
            f"No change since {format_date(self.env, second)}.",
        )
        self._second_run()
        self.assertTrue(
            self._score(self.alpha).change_summary.startswith("Health 97.5 → 55.0"),
            "compared with the first company's own snapshot",
        )

    def test_one_query_for_many_rows(self):
        self._second_run()
        # in the web client's context (the user's language)
        rows = (self._score(self.alpha) | self._score(self.beta)).with_context(
            lang="en_US"
        )
        self.assertTrue(rows[0].change_summary)  # warms the registry caches
        self.env.invalidate_all()
        rows.fetch(rows._fields)
        # the history, and the churn labels of the user's language (2)
        with self.assertQueryCount(3):
            self.assertEqual(len(rows.mapped("change_summary")), 2)

    def test_user_language(self):
        self._second_run()
        self.env["res.lang"]._activate_lang("fr_FR")
        key = ("crm_relationship", "fr_FR")
        saved = code_translations.get_python_translations(*key)
        code_translations.python_translations[key] = {
            **saved,
            "Tier %(before)s → %(after)s.": "Niveau %(before)s → %(after)s.",
            "Payment": "Paiement",
        }
        self.addCleanup(code_translations.python_translations.__setitem__, key, saved)
        user = new_test_user(
            self.env,
            login="marie",
            groups=USER,
            lang="fr_FR",
            company_id=self.company.id,
        )
        # the web client's context carries the user's language
        summary = (
            self._score(self.alpha)
            .with_user(user)
            .with_context(lang=user.lang)
            .change_summary
        )
        # French decimals, the translated words, the rest in the source language
        self.assertIn("97,5 → 55,0 (−42,5)", summary)
        self.assertIn("Paiement −12,5", summary)
        self.assertIn("Niveau A → C.", summary)

    def test_read_by_relationship_users_on_the_360(self):
        self._second_run()
        user = new_test_user(
            self.env, login="sam", groups=USER, company_id=self.company.id
        )
        expected = self._score(self.alpha).change_summary
        score = self._score(self.alpha).with_user(user)
        self.assertEqual(score.change_summary, expected)
        contact = self.env["res.partner"].create(
            {"name": "Al", "parent_id": self.alpha.id}
        )
        for partner in (self.alpha, contact):
            self.assertEqual(
                partner.with_user(user).relationship_change_summary, expected
            )
