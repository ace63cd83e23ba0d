"""The co-purchase recommender of tools/recommend.py, worked by hand."""

import numpy as np
from scipy import sparse

from odoo.tests import BaseCase, tagged

from ..tools import recommend

A, B, C = 0, 1, 2


def _days(cells, shape=(4, 3)):
    """A customers x products matrix of purchase days from ``{(c, p): days}``."""
    rows, cols = zip(*cells, strict=True)
    return sparse.csr_matrix((list(cells.values()), (rows, cols)), shape=shape)


@tagged("post_install", "-at_install")
class TestRecommendationMaths(BaseCase):
    # c0 and c1 bought A and B, c2 bought A and C, c3 bought B: A and B have three
    # buyers each, two in common; A and C one in common; B and C none.
    # cos(A, B) = 2 / sqrt(3 x 3) = 2/3, cos(A, C) = 1 / sqrt(3 x 1) = .57735
    CELLS = {
        (0, A): 1,
        (0, B): 1,
        (1, A): 1,
        (1, B): 1,
        (2, A): 1,
        (2, C): 1,
        (3, B): 1,
    }

    def _fit(self, cells):
        days = _days(cells)
        bought, regular = days >= 1, days >= 2
        similarity, co = recommend.item_similarity(bought)
        return bought, regular, similarity, co

    def test_cosine_similarity(self):
        _bought, _regular, similarity, co = self._fit(self.CELLS)
        dense = similarity.toarray()
        self.assertAlmostEqual(dense[A, B], 2 / 3)
        self.assertAlmostEqual(dense[B, A], 2 / 3)
        self.assertAlmostEqual(dense[A, C], 1 / 3**0.5)
        self.assertEqual(dense[B, C], 0.0)
        self.assertEqual(list(np.diag(dense)), [0.0, 0.0, 0.0])
        self.assertEqual(co[A, B], 2)
        self.assertEqual(co[A, C], 1)

    def test_scores_ranks_and_because(self):
        result = recommend.recommend(*self._fit(self.CELLS), k=5)
        by_customer = {}
        for customer, product, score, because, co in zip(
            result["customer"], result["product"], result["score"],
            result["because"], result["co_customers"], strict=True,
        ):  # fmt: skip
            by_customer.setdefault(int(customer), []).append(
                (int(product), round(float(score), 5), int(because), int(co))
            )
        # c3 bought B: A scores cos(A, B) = 2/3, because of B, two customers in
        # common; C was never bought with B
        self.assertEqual(by_customer[3], [(A, 0.66667, B, 2)])
        # c2 bought A and C (once each, so both may be offered again):
        # B = cos(B, A) + cos(B, C) = 2/3; A = cos(A, C) = .57735 and
        # C = cos(C, A) = .57735 tie, the lower product first
        self.assertEqual(
            by_customer[2], [(B, 0.66667, A, 2), (A, 0.57735, C, 1), (C, 0.57735, A, 1)]
        )
        self.assertEqual(list(result["rank"][result["customer"] == 2]), [1, 2, 3])

    def test_regular_products_are_not_recommended(self):
        # c2 bought A on two days: A is a regular of c2's, no longer offered to c2
        result = recommend.recommend(*self._fit({**self.CELLS, (2, A): 2}), k=5)
        self.assertEqual(list(result["product"][result["customer"] == 2]), [B, C])

    def test_top_k_cuts(self):
        result = recommend.recommend(*self._fit(self.CELLS), k=1, chunk_cells=3)
        self.assertEqual(list(result["customer"]), [0, 1, 2, 3])
        self.assertEqual(list(result["product"][result["customer"] == 2]), [B])

    def test_most_popular_baseline(self):
        bought, regular, _s, _c = self._fit({**self.CELLS, (2, A): 2})
        # buyers: A 3, B 3, C 1 -> A, B, C; c2 buys A regularly -> B, C
        table = recommend.most_popular(bought, regular, k=2)
        self.assertEqual(table.tolist(), [[A, B], [A, B], [B, C], [A, B]])

    def test_hit_rate(self):
        relevant = sparse.csr_matrix(np.array([[0, 1, 0], [1, 0, 0]], dtype=bool))
        # row 0 hits B; row 1 was offered C only
        self.assertEqual(recommend.hit_rate_at_k([[C, B], [C, -1]], relevant), (1, 2))

    def test_evaluate_on_a_hold_out(self):
        # before the cut-off: the cells above; from the cut-off c3 buys A, c2 buys B,
        # c0 buys A again (bought once before, not a regular: it counts). At k=1 the
        # model offers c3 A (2/3), c2 B (2/3), c0 A (A and B tie at 2/3, the lower
        # first): three hits. The baseline offers everyone A (three buyers, tied
        # with B): c3 and c0 hit, c2 misses.
        test = _days({(3, A): 1, (2, B): 1, (0, A): 1})
        result = recommend.evaluate(_days(self.CELLS), test, k=1)
        self.assertEqual(result["evaluated"], 3)
        self.assertEqual(result["hits"], 3)
        self.assertEqual(result["baseline_hits"], 2)
        self.assertAlmostEqual(result["hit_rate"], 1.0)
        self.assertAlmostEqual(result["baseline_hit_rate"], 2 / 3)
        self.assertAlmostEqual(result["lift"], 1.5)
        # fewer than MIN_EVALUATED customers: C whatever the rates
        self.assertEqual(result["grade"], "C")

    def test_grade_cut_offs(self):
        n = recommend.MIN_EVALUATED
        self.assertEqual(recommend.grade(0.31, 0.20, n), "A")
        self.assertEqual(recommend.grade(0.23, 0.20, n), "B")
        self.assertEqual(recommend.grade(0.21, 0.20, n), "C")
        self.assertEqual(recommend.grade(0.30, 0.0, n), "A")
        self.assertEqual(recommend.grade(0.30, 0.10, n - 1), "C")
