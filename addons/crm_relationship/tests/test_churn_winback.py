from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from ..tools import scoring
from .common import RelationshipScoringCommon

PARAMS = {
    "risk_multiple": 2.0,
    "lost_multiple": 4.0,
    "min_days": 30,
    "single_risk_days": 180,
    "single_lost_days": 365,
}


@tagged("post_install", "-at_install")
class TestChurnRules(RelationshipScoringCommon):
    """The churn rule on its own, then the same rule in the scoring SQL."""

    def test_rule_by_rhythm(self):
        cases = [
            # (days since last purchase, purchase days, interval) -> state
            ((40, 6, 30.0), "active"),  # within twice the usual month
            ((61, 6, 30.0), "at_risk"),
            ((121, 6, 30.0), "lost"),
            ((20, 50, 2.0), "active"),  # buys every 2 days: never before 30 days
            ((31, 50, 2.0), "lost"),  # 4 x 2 days < 30 days: the floor for both
            ((200, 1, None), "at_risk"),  # one purchase: fixed days
            ((400, 1, None), "lost"),
            ((100, 1, None), "active"),
        ]
        for args, expected in cases:
            self.assertEqual(scoring.churn_state(*args, PARAMS), expected, args)
        self.assertIsNone(scoring.churn_state(None, 0, None, PARAMS))

    def test_usual_interval_is_the_mean_gap(self):
        today = fields.Date.today()
        self.assertEqual(
            scoring.purchase_interval(today - timedelta(days=300), today, 3), 150.0
        )
        self.assertIsNone(scoring.purchase_interval(today, today, 1))

    def _history(self, name, days_ago):
        partner = self.env["res.partner"].create({"name": name, "is_company": True})
        today = fields.Date.today()
        for days in days_ago:
            self._invoice(partner, today - timedelta(days=days), 100.0)
        return partner

    def test_scores_carry_the_churn_state(self):
        histories = {
            "regular active": [40, 70, 100, 130, 160, 190],
            "regular at risk": [90, 120, 150, 180, 210],
            "regular lost": [130, 160, 190, 220],
            # a burst then a long pause: the long usual interval forgives
            "irregular active": [100, 390, 400],
            "one purchase at risk": [200],
            "one purchase lost": [400],
            # two invoices on one day are one purchase occasion
            "same day twice": [10, 10],
        }
        partners = {name: self._history(name, days) for name, days in histories.items()}
        self.Score.recompute(partner_ids=[p.id for p in partners.values()])
        expected = {
            "regular active": "active",
            "regular at risk": "at_risk",
            "regular lost": "lost",
            "irregular active": "active",
            "one purchase at risk": "at_risk",
            "one purchase lost": "lost",
            "same day twice": "active",
        }
        for name, partner in partners.items():
            score = self._score(partner)
            self.assertEqual(score.churn_state, expected[name], name)
            # the SQL agrees with the Python rule it implements
            self.assertEqual(
                score.churn_state,
                scoring.churn_state(
                    score.recency_days,
                    score.purchase_count,
                    score.purchase_interval_days,
                    PARAMS,
                ),
                name,
            )
        self.assertEqual(self._score(partners["same day twice"]).purchase_count, 1)
        self.assertEqual(
            self._score(partners["irregular active"]).purchase_interval_days, 150.0
        )

    def test_profile_refuses_inconsistent_churn_settings(self):
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(
            self.company
        )
        with self.assertRaises(ValidationError) as caught:
            profile.churn_lost_multiple = 1.5
        self.assertIn("at risk < lost", str(caught.exception))
        with self.assertRaises(ValidationError):
            profile.churn_single_lost_days = 100


@tagged("post_install", "-at_install")
class TestWinback(RelationshipScoringCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = new_test_user(
            cls.env,
            login="winback_sales",
            groups="crm_relationship.group_relationship_user",
        )
        today = fields.Date.today()
        cls.drifting = cls.env["res.partner"].create(
            {"name": "Drifting", "is_company": True, "user_id": cls.salesperson.id}
        )
        for days in (90, 120, 150, 180):
            cls._invoice(cls.drifting, today - timedelta(days=days), 500.0)
        cls.loyal = cls.env["res.partner"].create({"name": "Loyal", "is_company": True})
        for days in (5, 35, 65):
            cls._invoice(cls.loyal, today - timedelta(days=days), 500.0)
        cls.call = cls.env.ref("mail.mail_activity_data_call")
        cls.strategies = cls.env["crm.winback.strategy"].create(
            [
                {
                    "name": f"Call back {tier}",
                    "tier": tier,
                    "activity_type_id": cls.call.id,
                    "activity_summary": "Call to win back",
                }
                for tier in scoring.TIERS
            ]
        )
        cls.Score.recompute(partner_ids=(cls.drifting | cls.loyal).ids)
        cls.Lead = cls.env["crm.lead"].with_context(active_test=False)

    def _winbacks(self, partner):
        return self.Lead.search(
            [("partner_id", "=", partner.id), ("is_winback", "=", True)]
        )

    def test_cron_opens_one_winback_per_customer_at_risk(self):
        self.assertEqual(self._score(self.drifting).churn_state, "at_risk")
        self.Lead._cron_open_winbacks()
        lead = self._winbacks(self.drifting)
        self.assertEqual(len(lead), 1)
        self.assertRecordValues(
            lead,
            [
                {
                    "type": "opportunity",
                    "user_id": self.salesperson.id,
                    "winback_state": "running",
                    "winback_churn_state": "at_risk",
                    "winback_tier": self._score(self.drifting).tier,
                    "winback_date_start": fields.Date.today(),
                }
            ],
        )
        self.assertEqual(lead.winback_strategy_id.tier, lead.winback_tier)
        self.assertEqual(lead.activity_ids.activity_type_id, self.call)
        self.assertEqual(lead.activity_ids.user_id, self.salesperson)
        self.assertFalse(self._winbacks(self.loyal))
        # idempotent: the next runs open nothing more
        self.Lead._cron_open_winbacks()
        self.Lead._cron_open_winbacks()
        self.assertEqual(self._winbacks(self.drifting), lead)

    def test_coupon_and_email_strategies(self):
        coupons = self.env["loyalty.program"].create(
            {
                "name": "Come back coupon",
                "program_type": "coupons",
                "reward_ids": [
                    (
                        0,
                        0,
                        {
                            "reward_type": "discount",
                            "discount": 10,
                            "required_points": 1,
                        },
                    )
                ],
            }
        )
        template = self.env["mail.template"].create(
            {
                "name": "We miss you",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "subject": "We miss you, {{ object.partner_id.name }}",
                "body_html": "<p>Here is 10% off your next order.</p>",
            }
        )
        self.strategies.write(
            {
                "activity_type_id": False,
                "loyalty_program_id": coupons.id,
                "mail_template_id": template.id,
            }
        )
        self.Lead._cron_open_winbacks()
        lead = self._winbacks(self.drifting)
        self.assertFalse(lead.activity_ids)
        self.assertEqual(lead.winback_coupon_id.program_id, coupons)
        self.assertEqual(lead.winback_coupon_id.partner_id, self.drifting)
        self.assertEqual(lead.winback_coupon_id.points, 1)
        self.assertIn(
            "We miss you, Drifting", lead.message_ids.mapped("subject") or [""]
        )

    def test_buying_again_wins_the_customer_back(self):
        self.Lead._cron_open_winbacks()
        lead = self._winbacks(self.drifting)
        self.Lead._cron_track_winbacks()
        self.assertEqual(lead.winback_state, "running")
        self._invoice(self.drifting, fields.Date.today(), 300.0)
        self.Lead._cron_track_winbacks()
        self.assertEqual(lead.winback_state, "won")
        self.assertTrue(lead.stage_id.is_won)
        report = self.env["crm.winback.report"].search([("lead_id", "=", lead.id)])
        self.assertEqual(report.won, 1.0)

    def test_failed_winback_records_why_and_waits(self):
        self.Lead._cron_open_winbacks()
        lead = self._winbacks(self.drifting)
        reason = self.env["crm.lost.reason"].create({"name": "Went to a competitor"})
        wizard = Form(
            self.env["res.partner.lost"].with_context(
                default_partner_id=self.drifting.id
            )
        )
        wizard.lost_reason_id = reason
        wizard.save().action_mark_lost()
        self.assertEqual(lead.winback_state, "failed")
        self.assertEqual(lead.lost_reason_id, reason)
        # within the cooldown, no new campaign for the same customer
        self.Lead._cron_open_winbacks()
        self.assertEqual(self._winbacks(self.drifting), lead)
        rows = self.env["crm.winback.report"].read_group(
            [("state", "=", "failed")], ["won:avg"], ["lost_reason_id"]
        )
        self.assertEqual(rows[0]["lost_reason_id"][0], reason.id)
        self.assertEqual(rows[0]["won"], 0.0)

    def test_marking_lost_without_campaign_records_the_reason(self):
        reason = self.env["crm.lost.reason"].create({"name": "Closed down"})
        self.env["res.partner.lost"].create(
            {"partner_id": self.loyal.id, "lost_reason_id": reason.id}
        ).action_mark_lost()
        lead = self._winbacks(self.loyal)
        self.assertEqual(lead.winback_state, "failed")
        self.assertEqual(lead.lost_reason_id, reason)

    def test_strategies_are_configured_by_managers(self):
        Strategy = self.env["crm.winback.strategy"]
        with self.assertRaises(AccessError):
            Strategy.with_user(self.salesperson).create({"name": "X", "tier": "A"})
        self.assertTrue(Strategy.with_user(self.salesperson).search([]))
        # the analysis is for every relationship user
        self.Lead._cron_open_winbacks()
        rows = self.env["crm.winback.report"].with_user(self.salesperson).search([])
        self.assertEqual(rows.partner_id, self.drifting)
        with self.assertRaises(ValidationError):
            self.strategies[0].activity_days = -1


@tagged("post_install", "-at_install")
class TestServiceComponents(RelationshipScoringCommon):
    """Complaints and satisfaction ratings in the health score."""

    def _complaint(self, partner, severity, breached=False, rating=None):
        complaint = self.env["crm.complaint"].create(
            {
                "name": f"{severity} complaint",
                "partner_id": partner.id,
                "severity": severity,
            }
        )
        complaint.sla_breached = breached
        if rating:
            self.env["rating.rating"].create(
                {
                    "res_model_id": self.env["ir.model"]._get_id("crm.complaint"),
                    "res_id": complaint.id,
                    "partner_id": partner.id,
                    "rating": rating,
                    "consumed": True,
                }
            )
        return complaint

    def test_complaints_and_ratings_weigh_on_health(self):
        today = fields.Date.today()
        unhappy = self.env["res.partner"].create({"name": "Unhappy", "is_company": 1})
        quiet = self.env["res.partner"].create({"name": "Quiet", "is_company": True})
        for partner in (unhappy, quiet):
            self._invoice(partner, today - timedelta(days=10), 100.0)
        contact = self.env["res.partner"].create(
            {"name": "Unhappy buyer", "parent_id": unhappy.id}
        )
        # high (4 points) and breached (1), low (1) on the contact: 100 - 60 = 40
        self._complaint(unhappy, "high", breached=True, rating=5)
        self._complaint(contact, "low", rating=3)
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(
            self.company
        )
        profile.write(
            {
                "weight_recency": 0,
                "weight_frequency": 0,
                "weight_monetary": 0,
                "weight_payment": 0,
                "weight_delivery": 0,
                "weight_complaint": 1,
                "weight_satisfaction": 1,
            }
        )
        self.Score.recompute(partner_ids=(unhappy | quiet).ids)
        score = self._score(unhappy)
        self.assertRecordValues(
            score,
            [
                {
                    "complaint_count": 2,
                    "complaint_severity_points": 5,
                    "complaint_breach_count": 1,
                    "complaint_component": 40.0,
                    "satisfaction_rating": 4.0,
                    "satisfaction_component": 75.0,
                    "health_score": 57.5,
                    "tier": "C",
                }
            ],
        )
        self.assertIn("2 complaints", score.explanation)
        # no complaint, no rating: nothing to judge the quiet customer by
        quiet_score = self._score(quiet)
        self.assertFalse(quiet_score.complaint_known)
        self.assertFalse(quiet_score.satisfaction_known)
        self.assertFalse(quiet_score.health_score)
        components = scoring.component_scores(5, 5, 5, 0, 0, 0, 0, 0, 0, 2, 5, 1, 4.0)
        self.assertEqual(components["complaint"], 40.0)
        self.assertEqual(components["satisfaction"], 75.0)
