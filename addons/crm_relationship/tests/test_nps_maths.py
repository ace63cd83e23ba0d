"""The NPS maths of tools/nps.py, worked by hand."""

from odoo.tests import BaseCase, tagged

from ..tools import nps


@tagged("post_install", "-at_install")
class TestNpsMaths(BaseCase):
    def test_nps_of_the_issue(self):
        # 10, 9, 7, 3: two promoters, one passive, one detractor
        self.assertEqual(nps.nps(2, 1, 1)["nps"], 25.0)

    def test_margin_of_error(self):
        # P = .6, D = .3: variance .9 - .09 = .81, SE = sqrt(.081) = .28460
        result = nps.nps(6, 1, 3)
        self.assertAlmostEqual(result["nps"], 30.0)
        self.assertAlmostEqual(result["moe"], 55.780, places=2)
        # all promoters: no spread, no margin
        self.assertEqual(nps.nps(5, 0, 0)["moe"], 0.0)

    def test_no_answer(self):
        self.assertEqual(nps.nps(0, 0, 0), {"n": 0, "nps": None, "moe": None})

    def test_a_tier_that_rarely_answers_is_not_drowned(self):
        # tier A: 10 asked, 8 answer (6 promoters, 1 passive, 1 detractor): 62.5
        # tier B: 10 asked, 2 answer (2 detractors): -100
        # unweighted: 6 - 3 of 10 = 30; weighted .5 x 62.5 + .5 x -100 = -18.75
        strata = [(10, 6, 1, 1), (10, 0, 0, 2)]
        self.assertEqual(nps.nps(6, 1, 3)["nps"], 30.0)
        weighted = nps.weighted_nps(strata)
        self.assertAlmostEqual(weighted["nps"], -18.75)
        # variance: .25 x (.875 - .390625) / 8 + .25 x 0 / 2
        self.assertAlmostEqual(
            weighted["moe"], 100 * nps.Z_95 * (0.25 * 0.484375 / 8) ** 0.5
        )

    def test_strata_without_answers_are_left_out(self):
        self.assertAlmostEqual(
            nps.weighted_nps([(10, 6, 1, 1), (30, 0, 0, 0)])["nps"], 62.5
        )
        self.assertEqual(nps.weighted_nps([(5, 0, 0, 0)]), {"nps": None, "moe": None})
