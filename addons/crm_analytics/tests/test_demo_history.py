from datetime import date, timedelta

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.crm_relationship.tools.demo_generator import DemoDataGenerator

DATE_REF = date(2025, 6, 30)
# The demo's history at a test's size: 36 customers over 18 months. Seed and size
# are a company whose twelve last months of retention all differ (the demo's 200
# customers give that by their number; at this size it takes the right draw).
SEED = 71
CUSTOMERS = 36
MONTHS = 18


@tagged("post_install", "-at_install")
class TestDemoHistory(TransactionCase):
    """A generated company scored at each month end, as the demo is, shows the
    movement of a real one: trends, tier changes, churn, win-back, and a scorecard
    history whose retention differs month after month."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        generator = DemoDataGenerator(cls.env, seed=SEED, date_ref=DATE_REF)
        generator.generate(customers=CUSTOMERS, months=MONTHS)
        cls.plan = generator.records["plan"]
        cls.customers = generator.records["customers"]
        cls.days = generator.score_history(months=MONTHS)
        cls.company = generator.company

    def _history(self):
        """``{snapshot_date: {partner_id: (tier, churn_state)}}`` of the customers."""
        self.env["crm.relationship.score.history"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT snapshot_date, partner_id, tier, churn_state
                  FROM crm_relationship_score_history
                 WHERE partner_id = ANY(%s) AND company_id = %s
                """,
                self.customers.ids,
                self.company.id,
            )
        )
        history = {}
        for day, partner, tier, churn in rows:
            history.setdefault(day, {})[partner] = (tier, churn)
        return history

    def test_scored_at_each_month_end_oldest_first(self):
        self.assertEqual(len(self.days), MONTHS)
        self.assertEqual(self.days, sorted(self.days))
        for day in self.days:
            self.assertEqual((day + timedelta(days=1)).day, 1, day)
        self.assertEqual(self.days[-1], DATE_REF)
        history = self._history()
        self.assertEqual(sorted(history), self.days)
        scores = self.env["crm.relationship.score"].search(
            [("partner_id", "in", self.customers.ids)]
        )
        self.assertEqual(set(scores.mapped("date_ref")), {DATE_REF})
        # every customer scored today has a snapshot on each month end since it
        # first bought
        for score in scores:
            expected = [d for d in self.days if d >= score.first_invoice_date]
            found = [d for d in self.days if score.partner_id.id in history[d]]
            self.assertEqual(found, expected, score.partner_id.name)

    def test_trends_and_tier_changes(self):
        scores = self.env["crm.relationship.score"].search(
            [("partner_id", "in", self.customers.ids)]
        )
        trends = set(scores.mapped("tier_trend"))
        self.assertIn("up", trends)
        self.assertIn("down", trends)
        history = self._history()
        for before, day in zip(self.days[-4:-1], self.days[-3:], strict=True):
            changed = [
                partner
                for partner, (tier, _churn) in history[day].items()
                if partner in history[before] and history[before][partner][0] != tier
            ]
            self.assertTrue(changed, f"no tier change on {day}")

    def test_churn_and_winback(self):
        history = self._history()
        lost = {
            partner
            for states in history.values()
            for partner, (_tier, churn) in states.items()
            if churn == "lost"
        }
        self.assertGreaterEqual(len(lost), 3)
        by_key = {c.key: c for c in self.plan.customers}
        returning = self.customers.filtered(lambda p: by_key[p.ref].returned)
        self.assertTrue(returning)
        now = {s.partner_id: s for s in self.env["crm.relationship.score"].search(
            [("partner_id", "in", returning.ids)]
        )}  # fmt: skip
        for partner in returning:
            # lost before coming back, bought again after a won win-back campaign
            self.assertIn(partner.id, lost, partner.name)
            self.assertEqual(now[partner].churn_state, "active", partner.name)
        won = self.env["crm.lead"].search(
            [("partner_id", "in", returning.ids), ("is_winback", "=", True)]
        )
        self.assertEqual(won.mapped("winback_state"), ["won"] * len(returning))
        failed = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search(
                [
                    ("partner_id", "in", self.customers.ids),
                    ("winback_state", "=", "failed"),
                ]
            )
        )
        self.assertTrue(failed)

    def test_scorecard_history_retention_moves(self):
        kpi = self.env.ref("crm_analytics.kpi_retention_rate")
        card = self.env["crm.scorecard"].create(
            {
                "name": "History",
                "owner_type": "company",
                "company_id": self.company.id,
                "line_ids": [(0, 0, {"kpi_id": kpi.id, "target": 90.0})],
            }
        )
        values = card.with_context(scorecard_date=DATE_REF)._snapshot()
        self.assertEqual(len(values), 12)
        # June 2024 to May 2025: the twelve months before the one of DATE_REF
        self.assertEqual(
            sorted(values.mapped("date_from")),
            [d.replace(day=1) for d in self.days[-13:-1]],
        )
        self.assertEqual(len(set(values.mapped("value"))), 12, values.mapped("value"))
        # point in time: each month's value is the churn rule read on its last day,
        # the same count as that month end's score snapshot (not lost / scored)
        history = self._history()
        for value in values:
            states = history[value.date_to].values()
            kept = sum(1 for _tier, churn in states if churn != "lost")
            self.assertAlmostEqual(value.value, 100.0 * kept / len(states), places=1)
