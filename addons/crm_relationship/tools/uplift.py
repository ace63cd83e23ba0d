"""Uplift of an action against its control group, with 95 % confidence intervals.

The uplift is the difference between the treated group (customers the action was
proposed to, or the mailing sent to) and the control group held back at random:
intention to treat, so that customers who ignored or dismissed the action still count
(comparing only the customers who acted would measure who chooses to act, not the
action).

- Means (revenue per customer): the difference of the two means with Welch's
  t-interval, which does not assume equal variances (Welch, "The generalization of
  Student's problem when several different population variances are involved",
  Biometrika 34, 1947); degrees of freedom by the Welch-Satterthwaite equation.
- Rates (purchase rate, churn rate): the difference of two proportions with Newcombe's
  hybrid score interval, built from the two Wilson intervals (Newcombe, "Interval
  estimation for the difference between independent proportions", Statistics in
  Medicine 17, 1998, method 10). Unlike the Wald interval it stays inside [-1, 1] and
  is not empty when a rate is 0 or 1.

An effect is "distinguishable from zero" when its interval excludes zero.
"""

import math

from scipy import stats

Z_95 = 1.959963984540054


def mean_difference(treated, control, confidence=0.95):
    """The difference of means ``treated - control`` and its Welch interval.

    ``treated`` and ``control``: ``(n, mean, variance)`` of each group, ``variance``
    the sample variance (n - 1 in the denominator; None or 0 with one customer).
    Returns ``{"difference", "low", "high", "significant"}``; all None when a group
    has fewer than two customers (no interval can be given).
    """
    (n1, m1, v1), (n0, m0, v0) = treated, control
    if n1 < 2 or n0 < 2:
        return _unknown(m1 - m0 if n1 and n0 else None)
    v1, v0 = v1 or 0.0, v0 or 0.0
    difference = m1 - m0
    se2 = v1 / n1 + v0 / n0
    if se2 == 0.0:
        # no spread in either group: the difference is exact
        return _interval(difference, difference, difference)
    df = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v0 / n0) ** 2 / (n0 - 1))
    half = stats.t.ppf(0.5 + confidence / 2, df) * math.sqrt(se2)
    return _interval(difference, difference - half, difference + half)


def wilson(k, n, z=Z_95):
    """Wilson's score interval ``(low, high)`` of the proportion ``k / n``."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion_difference(treated, control, z=Z_95):
    """The difference of proportions ``k1/n1 - k0/n0`` and Newcombe's interval.

    ``treated`` and ``control``: ``(k, n)``, the customers who did it (bought,
    churned) and the customers of the group. Returns ``{"difference", "low",
    "high", "significant"}``; all None when a group is empty.
    """
    (k1, n1), (k0, n0) = treated, control
    if not n1 or not n0:
        return _unknown(None)
    p1, p0 = k1 / n1, k0 / n0
    l1, u1 = wilson(k1, n1, z)
    l0, u0 = wilson(k0, n0, z)
    difference = p1 - p0
    low = difference - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return _interval(difference, low, high)


def _interval(difference, low, high):
    return {
        "difference": difference,
        "low": low,
        "high": high,
        "significant": low > 0 or high < 0,
    }


def _unknown(difference):
    return {"difference": difference, "low": None, "high": None, "significant": False}
