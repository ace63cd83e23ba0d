"""Net Promoter Score with its margin of error, and weighted by strata.

NPS = 100 x (P - D), P and D the shares of promoters (9-10) and detractors (0-6) among
the answers (Reichheld, "The One Number You Need to Grow", HBR 2003). Each answer scores
+1, 0 or -1; its variance is P + D - (P - D)^2, so the standard error of the NPS is
100 x sqrt((P + D - (P - D)^2) / n) and the 95 % margin of error 1.96 times that (the
normal approximation; see Sauro, "Measuring U: the margin of error of a Net Promoter
Score", 2012). A weighted NPS post-stratifies: each stratum's NPS weighted by its share
of the customers asked, so that a stratum that rarely answers counts as much as it
weighs among the customers, not as much as it talks; its variance is the weighted sum of
the strata's variances (Cochran, Sampling Techniques, 1977, ch. 5).
"""

import math

Z_95 = 1.959963984540054


def nps(promoters, passives, detractors):
    """``{"n", "nps", "moe"}``: the NPS (-100..100) of these counts and its 95 %
    margin of error (points); ``nps`` and ``moe`` are None without answers."""
    n = promoters + passives + detractors
    if not n:
        return {"n": 0, "nps": None, "moe": None}
    p, d = promoters / n, detractors / n
    variance = p + d - (p - d) ** 2
    return {
        "n": n,
        "nps": 100.0 * (p - d),
        "moe": 100.0 * Z_95 * math.sqrt(variance / n),
    }


def weighted_nps(strata):
    """The post-stratified NPS of ``strata``, a list of ``(asked, promoters,
    passives, detractors)``: each stratum that answered weighs by its share of the
    customers asked among the strata that answered. ``{"nps", "moe"}``, None when no
    stratum answered."""
    answered = [s for s in strata if sum(s[1:])]
    asked = sum(s[0] for s in answered)
    if not asked:
        return {"nps": None, "moe": None}
    value, variance = 0.0, 0.0
    for stratum_asked, promoters, passives, detractors in answered:
        weight = stratum_asked / asked
        n = promoters + passives + detractors
        p, d = promoters / n, detractors / n
        value += weight * (p - d)
        variance += weight**2 * (p + d - (p - d) ** 2) / n
    return {"nps": 100.0 * value, "moe": 100.0 * Z_95 * math.sqrt(variance)}
