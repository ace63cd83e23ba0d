import random
from datetime import date

from odoo.tests import BaseCase, TransactionCase, tagged
from odoo.tools import SQL

from ..tools import scoring


@tagged("post_install", "-at_install")
class TestScoringMaths(BaseCase):
    def test_every_rfm_cell_has_exactly_one_segment(self):
        for r in range(1, 6):
            for fm in range(1, 6):
                matches = [
                    code
                    for code, _label, (r_lo, r_hi), (
                        f_lo,
                        f_hi,
                    ) in scoring.RFM_SEGMENT_RULES
                    if r_lo <= r <= r_hi and f_lo <= fm <= f_hi
                ]
                self.assertTrue(matches, f"R{r} FM{fm} has no segment")
        self.assertEqual(scoring.rfm_segment(5, 5, 4), "champions")
        self.assertEqual(scoring.rfm_segment(1, 5, 5), "cannot_lose")
        self.assertEqual(scoring.rfm_segment(2, 3, 2), "at_risk")  # FM rounds up
        self.assertEqual(scoring.rfm_segment(5, 1, 1), "new")
        self.assertEqual(scoring.rfm_segment(1, 1, 2), "lost")

    def test_quintiles_keep_ties_together(self):
        # ten customers, exact borders at every 2: 5 * k / 10 must not round up
        self.assertEqual(
            scoring.quintile_scores(list(range(1, 11))), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        )
        # a tie across the first border: both get the score of the higher one
        self.assertEqual(
            scoring.quintile_scores([1, 2, 2, 4, 5, 6, 7, 8, 9, 10])[:3], [1, 2, 2]
        )
        # lower is better (recency): the most recent buyer gets 5
        self.assertEqual(
            scoring.quintile_scores([3, 300], higher_is_better=False), [5, 3]
        )
        self.assertEqual(scoring.quintile_scores([7, 7, 7]), [5, 5, 5])

    def test_abc_shares(self):
        # 50, 30, 15, 5 (total 100): shares before are 0, 50, 80, 95 -> A, A, B, C
        self.assertEqual(scoring.abc_classes([30, 50, 5, 15, 0, -4]), list("AACBCC"))
        self.assertEqual(scoring.abc_classes([10, 10], a_share=50), ["A", "B"])

    def test_health_renormalises_unknown_components(self):
        weights = {"recency": 50, "frequency": 0, "monetary": 25, "payment": 25}
        components = {
            "recency": 100.0,
            "frequency": 0.0,
            "monetary": 40.0,
            "payment": None,
        }
        contributions = scoring.health_contributions(components, weights)
        self.assertEqual(set(contributions), {"recency", "monetary"})
        self.assertAlmostEqual(scoring.health_score(components, weights), 80.0)
        self.assertIsNone(scoring.health_score({"payment": None}, weights))

    def test_tiers(self):
        thresholds = (80, 65, 50, 35, 20)
        self.assertEqual(
            [scoring.tier(s, thresholds) for s in (80, 79.9, 65, 50, 35, 20, 19.9)],
            list("ABBCDEF"),
        )
        self.assertFalse(scoring.tier(None, thresholds))

    def test_profile_checks(self):
        ok = scoring.check_profile({"recency": 1}, (80, 65, 50, 35, 20), 80, 95, 365)
        self.assertEqual(ok, [])
        bad = scoring.check_profile({"recency": 0}, (80, 80, 50, 35, 120), 95, 80, 0)
        self.assertEqual(
            set(bad),
            {"no_weight", "threshold_range", "threshold_order", "abc_shares", "window"},
        )


@tagged("post_install", "-at_install")
class TestScoringSqlMatchesPython(TransactionCase):
    """The recompute ranks in SQL; on data full of ties it must agree with the Python
    definitions above, cell for cell."""

    def test_rank_company_matches_python(self):
        company = self.env["res.company"].create({"name": "Ranking Co"})
        rng = random.Random(7)
        partners = self.env["res.partner"].create(
            [{"name": f"Customer {i}"} for i in range(60)]
        )
        rows = []
        for i, partner in enumerate(partners):
            active = i % 6 != 0
            rows.append(
                (
                    partner.id,
                    rng.choice([3, 10, 10, 40, 90, 200]) if active else 500,
                    rng.choice([1, 1, 2, 3, 5, 8]) if active else 0,
                    rng.choice([0, 100, 100, 250, 1000, 5000]) if active else 0,
                )
            )
        date_ref = date(2026, 6, 30)
        Score = self.env["crm.relationship.score"]
        Score._create_stage()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_relationship_score_stage
                    (partner_id, last_invoice_date, frequency, monetary)
                SELECT p, %s::date - r, f, m
                  FROM unnest(%s::int[], %s::int[], %s::int[], %s::numeric[])
                       AS t(p, r, f, m)
                """,
                date_ref,
                [r[0] for r in rows],
                [r[1] for r in rows],
                [r[2] for r in rows],
                [r[3] for r in rows],
            )
        )
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(company)
        Score._apply_stage(company, profile, date_ref, None)
        Score._drop_stage()
        scores = {
            s.partner_id.id: s for s in Score.search([("company_id", "=", company.id)])
        }
        active = [r for r in rows if r[2] > 0]
        r_scores = scoring.quintile_scores(
            [r[1] for r in active], higher_is_better=False
        )
        f_scores = scoring.quintile_scores([r[2] for r in active])
        m_scores = scoring.quintile_scores([r[3] for r in active])
        by_id = sorted(rows, key=lambda r: r[0])  # ABC ties rank by partner id
        abc = dict(
            zip(
                [r[0] for r in by_id],
                scoring.abc_classes(
                    [float(r[3]) for r in by_id],
                    profile.abc_a_share,
                    profile.abc_b_share,
                ),
                strict=True,
            )
        )
        for row, r, f, m in zip(active, r_scores, f_scores, m_scores, strict=True):
            score = scores[row[0]]
            self.assertEqual((score.r_score, score.f_score, score.m_score), (r, f, m))
            self.assertEqual(score.rfm_segment, scoring.rfm_segment(r, f, m))
        for partner_id, expected in abc.items():
            self.assertEqual(scores[partner_id].abc_class, expected)
        for row in rows:
            if not row[2]:
                self.assertEqual(scores[row[0]].r_score, 1)
