"""The uplift maths of tools/uplift.py against published and independent values."""

from scipy import stats

from odoo.tests import BaseCase, tagged

from ..tools import uplift


@tagged("post_install", "-at_install")
class TestUpliftMaths(BaseCase):
    def test_newcombe_worked_example(self):
        # Newcombe (1998), table II, example (a): 56/70 - 48/80 = .2000,
        # method 10 interval .0524 to .3339
        result = uplift.proportion_difference((56, 70), (48, 80))
        self.assertAlmostEqual(result["difference"], 0.2)
        self.assertAlmostEqual(result["low"], 0.0524, places=4)
        self.assertAlmostEqual(result["high"], 0.3339, places=4)
        self.assertTrue(result["significant"])

    def test_newcombe_at_the_edges(self):
        # Newcombe (1998), example (b): 9/10 - 3/10, interval .1705 to .8090
        result = uplift.proportion_difference((9, 10), (3, 10))
        self.assertAlmostEqual(result["low"], 0.1705, places=4)
        self.assertAlmostEqual(result["high"], 0.8090, places=4)
        # example (f): 10/10 - 0/20 = 1, interval .6791 to 1
        result = uplift.proportion_difference((10, 10), (0, 20))
        self.assertAlmostEqual(result["low"], 0.6791, places=4)
        self.assertAlmostEqual(result["high"], 1.0, places=4)
        # example (e): nobody in either group, 0/10 - 0/20: -.1611 to .2775
        none = uplift.proportion_difference((0, 10), (0, 20))
        self.assertEqual(none["difference"], 0.0)
        self.assertAlmostEqual(none["low"], -0.1611, places=4)
        self.assertAlmostEqual(none["high"], 0.2775, places=4)
        self.assertFalse(none["significant"])
        self.assertIsNone(uplift.proportion_difference((0, 0), (3, 10))["low"])

    def test_welch_against_scipy(self):
        treated, control = [10.0, 20.0, 30.0, 55.0], [5.0, 10.0, 15.0]
        expected = stats.ttest_ind(treated, control, equal_var=False)
        interval = expected.confidence_interval(0.95)
        result = uplift.mean_difference(_summary(treated), _summary(control))
        # 28.75 - 10 by hand
        self.assertAlmostEqual(result["difference"], 18.75)
        self.assertAlmostEqual(result["low"], interval.low)
        self.assertAlmostEqual(result["high"], interval.high)
        self.assertFalse(result["significant"])

    def test_welch_significant_and_degenerate(self):
        treated, control = [100.0, 101.0, 99.0, 100.0], [10.0, 11.0, 9.0, 10.0]
        result = uplift.mean_difference(_summary(treated), _summary(control))
        self.assertAlmostEqual(result["difference"], 90.0)
        self.assertTrue(result["significant"])
        # no spread: the difference is exact
        flat = uplift.mean_difference((5, 3.0, 0.0), (4, 1.0, 0.0))
        self.assertEqual((flat["low"], flat["high"]), (2.0, 2.0))
        # one customer in a group: no interval
        one = uplift.mean_difference((1, 3.0, None), (4, 1.0, 0.5))
        self.assertEqual(one["difference"], 2.0)
        self.assertIsNone(one["low"])
        self.assertFalse(one["significant"])


def _summary(values):
    n = len(values)
    mean = sum(values) / n
    return n, mean, sum((v - mean) ** 2 for v in values) / (n - 1)
