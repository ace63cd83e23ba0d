"""Relationship scoring maths, apart from the ORM.

The recompute runs these rules in PostgreSQL over every customer at once
(``crm.relationship.score._recompute_sql``). Only the RFM segments are generated from
this module (:func:`rfm_segment_sql`); for quintiles, ABC classes, components,
health, tiers and churn the plain-Python functions below are the reference: the
tests compute the same customers both ways and require the same figures
(``tests/test_scoring_maths.py`` and ``tests/test_relationship_score.py``), and the
customer panel explains a score with them. A change of rule is made here first,
then in the SQL, and the tests tell when the two disagree.
"""

from bisect import bisect_right
from itertools import pairwise

from odoo.tools import SQL

TIERS = ("A", "B", "C", "D", "E", "F")
#: the selection of every tier field (scores, history, partners, reports)
TIER_SELECTION = [(tier, tier) for tier in TIERS]
#: the selection of the tier trend (the score row and the partner)
TIER_TRENDS = [("up", "Up"), ("down", "Down"), ("same", "Same"), ("new", "New")]
#: the selection of the ABC class (the score row and its history)
ABC_CLASSES = [("A", "A"), ("B", "B"), ("C", "C")]

# RFM segments, first matching rule wins. FM is the mean of F and M rounded half up,
# so a customer who buys often but little, or rarely but much, sits in the middle.
# Every (R, FM) pair matches exactly one rule (test_scoring checks the 25 cells).
RFM_SEGMENT_RULES = (
    # (code, label, R range, FM range)
    ("champions", "Champions", (4, 5), (4, 5)),
    ("loyal", "Loyal", (3, 5), (3, 5)),
    ("potential", "Potential loyalists", (4, 5), (2, 2)),
    ("new", "New customers", (4, 5), (1, 1)),
    ("attention", "Need attention", (3, 3), (1, 2)),
    ("cannot_lose", "Cannot lose them", (1, 1), (4, 5)),
    ("at_risk", "At risk", (1, 2), (3, 5)),
    ("hibernating", "Hibernating", (2, 2), (1, 2)),
    ("lost", "Lost", (1, 1), (1, 2)),
)
RFM_SEGMENTS = [(code, label) for code, label, _r, _fm in RFM_SEGMENT_RULES]

# Health-score components: each is 0-100, or unknown (None) when the customer has too
# little history for it; unknown components leave the weighting, known ones share it.
COMPONENTS = (
    "recency",
    "frequency",
    "monetary",
    "payment",
    "delivery",
    "complaint",
    "satisfaction",
)
# penalty points of a complaint by severity; each point and each SLA breach costs
# the complaint component 10 of its 100
SEVERITY_POINTS = {"low": 1, "medium": 2, "high": 4, "critical": 8}


def fm_score(f_score, m_score):
    return (f_score + m_score + 1) // 2


def rfm_segment(r_score, f_score, m_score):
    fm = fm_score(f_score, m_score)
    for code, _label, (r_lo, r_hi), (fm_lo, fm_hi) in RFM_SEGMENT_RULES:
        if r_lo <= r_score <= r_hi and fm_lo <= fm <= fm_hi:
            return code
    raise ValueError(f"no RFM segment for R={r_score} F={f_score} M={m_score}")


def rfm_segment_sql(r_sql, f_sql, m_sql):
    """The CASE expression of :func:`rfm_segment` over SQL operands."""
    fm = SQL("((%s + %s + 1) / 2)", f_sql, m_sql)
    whens = [
        SQL(
            "WHEN %s BETWEEN %s AND %s AND %s BETWEEN %s AND %s THEN %s",
            r_sql,
            r_lo,
            r_hi,
            fm,
            fm_lo,
            fm_hi,
            code,
        )
        for code, _label, (r_lo, r_hi), (fm_lo, fm_hi) in RFM_SEGMENT_RULES
    ]
    return SQL("(CASE %s END)", SQL(" ").join(whens))


def quintile_scores(values, higher_is_better=True):
    """Score 1-5 by quintile: ceil(5 * k / n), k the customers at or below this one.

    Equal values always get the same score (the border falls after the whole tie), as
    PostgreSQL's cume_dist() would give; integer arithmetic keeps exact borders exact
    (5 * 0.2 is 1.0000000000000002 in floating point). The recompute does it in SQL.
    """
    n = len(values)
    keyed = [v if higher_is_better else -v for v in values]
    ordered = sorted(keyed)
    scores = []
    for v in keyed:
        at_or_below = bisect_right(ordered, v)
        scores.append((5 * at_or_below + n - 1) // n)
    return scores


def abc_classes(monetary, a_share=80.0, b_share=95.0):
    """ABC by monetary: A while the share of the total held by those ranked before is
    below a_share %, B below b_share %, otherwise C; zero or negative monetary is C.

    Equal amounts rank by their position in the input (the recompute: by partner id).
    """
    positive = sorted(
        ((amount, index) for index, amount in enumerate(monetary) if amount > 0),
        key=lambda pair: (-pair[0], pair[1]),
    )
    total = sum(amount for amount, _index in positive)
    classes = ["C"] * len(monetary)
    before = 0.0
    for amount, index in positive:
        share = 100.0 * before / total
        classes[index] = "A" if share < a_share else "B" if share < b_share else "C"
        before += amount
    return classes


# how the parts of the satisfaction component weigh by default (scoring profile)
SATISFACTION_WEIGHTS = {"nps": 50.0, "csat": 25.0, "rating": 25.0}


def satisfaction(nps, csat_avg, rating_avg, weights=None):
    """The 0-100 satisfaction of a customer from what they said: the latest NPS
    answer (0-10, times 10), the mean CSAT of the window (1-5: 1 is 0, 5 is 100) and
    the mean complaint rating (1-5 stars, likewise), each weighted by ``weights``
    (``{"nps", "csat", "rating"}``) and renormalised over the parts known, as the
    health score is over its components. None when no weighted part is known: a
    customer who never answered is unknown, not unhappy.
    """
    weights = weights or SATISFACTION_WEIGHTS
    parts = {
        "nps": nps * 10.0 if nps is not None else None,
        "csat": (csat_avg - 1) * 25.0 if csat_avg is not None else None,
        "rating": (rating_avg - 1) * 25.0 if rating_avg is not None else None,
    }
    known = {k: v for k, v in parts.items() if v is not None and weights[k] > 0}
    total = sum(weights[k] for k in known)
    if not total:
        return None
    return sum(weights[k] * v for k, v in known.items()) / total


def component_scores(
    r_score,
    f_score,
    m_score,
    paid_count,
    late_count,
    overdue_count,
    delivery_count,
    on_time_count,
    return_count,
    complaint_count=0,
    severity_points=0,
    breach_count=0,
    rating_avg=None,
    nps=None,
    csat_avg=None,
    satisfaction_weights=None,
):
    """The 0-100 value of each component, None where there is nothing to judge by.

    Complaints are judged for customers who complained in the window (100 minus 10
    per severity point and per SLA breach, not below 0); satisfaction from what
    they said (see :func:`satisfaction`).
    """
    judged_payments = paid_count + overdue_count
    return {
        "recency": (r_score - 1) * 25.0 if r_score else None,
        "frequency": (f_score - 1) * 25.0 if f_score else None,
        "monetary": (m_score - 1) * 25.0 if m_score else None,
        "payment": (
            100.0 * (1 - (late_count + overdue_count) / judged_payments)
            if judged_payments
            else None
        ),
        "delivery": (
            100.0
            * (on_time_count / delivery_count)
            * (1 - min(1.0, return_count / delivery_count))
            if delivery_count
            else None
        ),
        "complaint": (
            max(0.0, 100.0 - 10.0 * (severity_points + breach_count))
            if complaint_count
            else None
        ),
        "satisfaction": satisfaction(nps, csat_avg, rating_avg, satisfaction_weights),
    }


def health_contributions(components, weights):
    """Each known component's points toward the health score (they sum to the score).

    Weights are renormalised over the known components, so a customer with no delivery
    yet is judged on the rest, not marked down to zero. None when nothing is known.
    """
    known = {
        name: value
        for name, value in components.items()
        if value is not None and weights.get(name, 0) > 0
    }
    total_weight = sum(weights[name] for name in known)
    if not total_weight:
        return None
    return {name: weights[name] * value / total_weight for name, value in known.items()}


def health_score(components, weights):
    contributions = health_contributions(components, weights)
    return None if contributions is None else sum(contributions.values())


def tier(score, thresholds):
    """Tier A-F from the minimum scores of tiers A to E (strictly decreasing)."""
    if score is None:
        return False
    for name, minimum in zip(TIERS, thresholds, strict=False):
        if score >= minimum:
            return name
    return "F"


def check_profile(weights, thresholds, a_share, b_share, window_days):
    """Codes of what is wrong with a scoring profile (the model words them)."""
    problems = []
    if any(w < 0 for w in weights.values()):
        problems.append("negative_weight")
    if not any(w > 0 for w in weights.values()):
        problems.append("no_weight")
    if any(t < 0 or t > 100 for t in thresholds):
        problems.append("threshold_range")
    if any(a <= b for a, b in pairwise(thresholds)):
        problems.append("threshold_order")
    if not 0 < a_share < b_share <= 100:
        problems.append("abc_shares")
    if window_days <= 0:
        problems.append("window")
    return problems


# ------------------------------------------------------------
# CHURN: TIME SINCE THE LAST PURCHASE AGAINST THE CUSTOMER'S OWN RHYTHM
# ------------------------------------------------------------
CHURN_STATES = [("active", "Active"), ("at_risk", "At risk"), ("lost", "Lost")]


def purchase_interval(first, last, occasions):
    """The customer's usual interval between purchases, in days: the mean gap
    between their purchase occasions (distinct invoice days); None for one."""
    if not occasions or occasions < 2:
        return None
    return (last - first).days / (occasions - 1)


def churn_state(recency_days, occasions, interval, params):
    """``active``, ``at_risk`` or ``lost`` for a customer.

    With two purchases or more, at risk beyond ``risk_multiple`` times their usual
    interval, lost beyond ``lost_multiple`` times, both never sooner than
    ``min_days``; with one purchase, fixed ``single_risk_days`` and
    ``single_lost_days``.
    """
    if recency_days is None or not occasions:
        return None
    if occasions >= 2:
        risk = max(params["risk_multiple"] * interval, params["min_days"])
        lost = max(params["lost_multiple"] * interval, params["min_days"])
    else:
        risk, lost = params["single_risk_days"], params["single_lost_days"]
    if recency_days > lost:
        return "lost"
    if recency_days > risk:
        return "at_risk"
    return "active"


def check_churn(params):
    """Codes of what is wrong with churn settings (the model words them)."""
    problems = []
    if not 0 < params["risk_multiple"] < params["lost_multiple"]:
        problems.append("churn_multiples")
    if not 0 < params["single_risk_days"] < params["single_lost_days"]:
        problems.append("churn_single_days")
    if params["min_days"] < 0:
        problems.append("churn_min_days")
    return problems
