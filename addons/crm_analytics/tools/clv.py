"""Probabilistic customer lifetime value, apart from the ORM.

Published models, fitted by maximum likelihood with numpy and scipy: three
purchase models (BG/NBD below, the modified BG/NBD and Pareto/NBD further down,
all behind :data:`PURCHASE_MODELS`) and one spend model.

* BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way: an
  alternative to the Pareto/NBD model", Marketing Science 24(2)) for how many
  purchases a customer will make and whether they are still "alive". ``r`` and
  ``alpha`` shape the gamma spread of purchase rates, ``a`` and ``b`` the beta spread
  of the probability of dropping out after each repeat purchase. On the CDNOW sample
  (2357 customers, 39 weeks) the paper reports r = 0.243, alpha = 4.414, a = 0.793,
  b = 2.426 and a log-likelihood of -9582.4.
* Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves for
  customer base analysis", Journal of Marketing Research 42(4), and the lifetimes
  library's GammaGammaFitter) for the mean value of a customer's transactions.
  ``p``, ``q`` and ``gamma``; on the CDNOW repeat buyers p = 6.25, q = 3.74,
  gamma = 15.44.

Per customer, in one time unit (weeks unless said otherwise):

* ``x``, frequency: the number of repeat purchases (the first one is not counted);
* ``t_x``, recency: the time of the last purchase since the first, 0 when x == 0;
* ``T``, age: the time since the first purchase;
* ``m``, the mean value of the repeat transactions.

Customers with the same (x, t_x, T) add the same term to the likelihood, so fits
first fold them into one row with a count: with dates counted in whole days, 100k
customers over two years fold into about 40k rows (all those without a repeat
purchase share a row per age), and the BG/NBD fit takes about half a second.
"""

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

MIN_CUSTOMERS = 10
BGNBD_PARAMS = ("r", "alpha", "a", "b")
MBGNBD_PARAMS = BGNBD_PARAMS
PARETO_NBD_PARAMS = ("r", "alpha", "s", "beta")
GAMMA_GAMMA_PARAMS = ("p", "q", "gamma")
DAYS_PER_MONTH = 30
# (a - 1) divides the expected number of purchases; the limit at a == 1 is finite.
_NEAR_ONE = 1e-4
# Early stop of the Gamma-Gamma fit (fit_gamma_gamma): the bound beyond which the
# dimensionless p and q have run away, and the iterations without improvement of
# the likelihood (by more than the tolerance) after which a run has stalled.
GAMMA_GAMMA_RUNAWAY = 1e6
STALL_ITERATIONS = 200
STALL_TOLERANCE = 1e-9


class FitStopped(ValueError):
    """A maximisation stopped before its end because it cannot succeed.

    ``iterations`` is the number of Nelder-Mead iterations run. As for every
    ``ValueError`` of the fits, a message with "did not converge" is a failure a
    penalty on the parameters' size may cure (the model's ``_fit_penalized`` then
    tries the next penalizer); any other message is final.
    """

    def __init__(self, message, iterations):
        super().__init__(message)
        self.iterations = iterations


@dataclass(frozen=True)
class FitResult:
    """A fitted model: ``log_likelihood`` is the total, not negated nor penalised;
    ``n`` the number of customers (the sum of the weights)."""

    params: dict
    log_likelihood: float
    n: float
    converged: bool
    message: str
    iterations: int


# ------------------------------------------------------------
# INPUTS
# ------------------------------------------------------------


def _params(params, names):
    params = getattr(params, "params", params)
    values = [float(params[name]) for name in names]
    if not all(np.isfinite(value) and value > 0 for value in values):
        raise ValueError(f"the model parameters must be positive numbers: {params}")
    return values


def _floats(*columns):
    arrays = np.broadcast_arrays(
        *(np.asarray(column, dtype=float) for column in columns)
    )
    if not all(np.isfinite(array).all() for array in arrays):
        raise ValueError("the data contain missing or infinite values")
    return arrays


def _columns(columns, weights):
    """1-D columns of equal length and their weights (1 per row by default)."""
    arrays = [np.asarray(column, dtype=float) for column in columns]
    size = arrays[0].size
    if any(array.ndim != 1 or array.size != size for array in arrays):
        raise ValueError("the data must be 1-D arrays of the same length")
    weights = np.ones(size) if weights is None else np.asarray(weights, dtype=float)
    if weights.shape != (size,):
        raise ValueError("there must be one weight per customer")
    if not all(np.isfinite(array).all() for array in (*arrays, weights)):
        raise ValueError("the data contain missing or infinite values")
    if (weights < 0).any():
        raise ValueError("weights cannot be negative")
    return arrays, weights


def _check_rfm(x, t_x, T):
    if (x < 0).any() or (x != np.round(x)).any():
        raise ValueError("the number of repeat purchases must be a whole number >= 0")
    if (t_x < 0).any() or (t_x > T).any():
        raise ValueError("the last purchase must fall between the first one and now")
    if ((x == 0) & (t_x != 0)).any():
        raise ValueError("a customer without repeat purchases has a recency of 0")


def aggregate(*columns, weights=None):
    """Identical rows folded into one, with the sum of their weights.

    Returns the unique columns and the weights; a likelihood summed over the result
    with these weights equals the likelihood summed over the rows given.
    """
    columns, weights = _columns(columns, weights)
    rows, inverse = np.unique(np.column_stack(columns), axis=0, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=weights, minlength=len(rows))
    keep = counts > 0
    return (*rows[keep].T, counts[keep])


def _minimise(objective, start, maxiter, watch=None, step=0.5):
    """Nelder-Mead over log-parameters, which keeps them positive.

    The likelihoods are cheap once aggregated and smooth but badly scaled (the BG/NBD
    ``a`` and ``b`` are loosely determined); Nelder-Mead needs no gradient and is what
    the lifetimes library uses. A simplex of half a log-unit (x 1.65) each side
    reaches the optimum from a rough start.

    ``watch``, when given, is called after each iteration with the best
    log-parameters and objective so far, and raises :class:`FitStopped` to end a
    run that cannot succeed. ``step`` is the simplex's size in log-units: a
    smaller one when ``start`` is already near the optimum (a warm start).
    """
    start = np.log(np.asarray(start, dtype=float))
    simplex = np.vstack([start, start + step * np.eye(len(start))])
    with np.errstate(all="ignore"):
        result = optimize.minimize(
            objective,
            start,
            method="Nelder-Mead",
            options={
                "initial_simplex": simplex,
                "maxiter": maxiter,
                "maxfev": 2 * maxiter,
                "xatol": 1e-7,
                "fatol": 1e-11,
            },
            callback=_watch_callback(watch) if watch else None,
        )
    if not result.success:
        raise ValueError(f"the fit did not converge: {result.message}")
    if not (np.isfinite(result.fun) and np.isfinite(result.x).all()):
        raise ValueError("the fit did not converge: the likelihood is not finite")
    return result


def _watch_callback(watch):
    # scipy passes the best point as an OptimizeResult to a callback whose
    # parameter has this name
    def callback(intermediate_result):
        watch(intermediate_result.x, intermediate_result.fun)

    return callback


#: simplex size (log-units, x 1.22) of a warm-started search: the hold-out refit
#: starts from the whole history's parameters, which are near its optimum
WARM_STEP = 0.2


def _start(start, names, default):
    """(parameters, simplex step) of a search: ``start`` (a dict by name) with
    :data:`WARM_STEP` when it gives positive numbers, else ``default`` and 0.5."""
    if start:
        values = tuple(float(start[name]) for name in names)
        if all(np.isfinite(value) and value > 0 for value in values):
            return values, WARM_STEP
    return default, 0.5


# ------------------------------------------------------------
# BG/NBD: HOW MANY PURCHASES, AND IS THE CUSTOMER STILL ALIVE
# ------------------------------------------------------------


def _bgnbd_tail(r, alpha, a, b, x, t_x, T):
    """ln(A3 + δ(x>0) A4) of eq. 6, summed in log space: (alpha + T)^-(r + x)
    underflows long before x reaches the hundreds."""
    repeat = x > 0
    ln_a3 = -(r + x) * np.log(alpha + T)
    ln_a4 = np.where(
        repeat,
        np.log(a)
        - np.log(np.where(repeat, b + x - 1, 1.0))
        - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return np.logaddexp(ln_a3, ln_a4)


def _bgnbd_head(r, alpha, a, b, x):
    """ln A1 + ln A2 of eq. 6, which depend on x only."""
    return (
        special.gammaln(r + x)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.betaln(a, b + x)
        - special.betaln(a, b)
    )


def bgnbd_log_likelihood(params, x, t_x, T):
    """Each customer's log-likelihood, eq. 6 of the paper."""
    r, alpha, a, b = _params(params, BGNBD_PARAMS)
    x, t_x, T = _floats(x, t_x, T)
    _check_rfm(x, t_x, T)
    return _bgnbd_head(r, alpha, a, b, x) + _bgnbd_tail(r, alpha, a, b, x, t_x, T)


def fit_bgnbd(x, t_x, T, weights=None, penalizer=0.0, maxiter=4000, start=None):
    """BG/NBD parameters by maximum likelihood.

    ``weights`` count customers sharing a row; identical rows are folded together
    anyway (see ``aggregate``), so raw per-customer columns fit as fast. ``penalizer``
    adds ``penalizer * sum(params ** 2)`` to the mean negative log-likelihood, as the
    lifetimes library does, to keep small samples from running off to extremes.
    ``start``, parameters by name (a fit of a similar history), starts the search
    there with a smaller simplex (:data:`WARM_STEP`) instead of the rough default.
    """
    (x, t_x, T), weights = _columns((x, t_x, T), weights)
    _check_rfm(x, t_x, T)
    n = weights.sum()
    if n < MIN_CUSTOMERS:
        raise ValueError(
            f"too few customers to fit the purchase model: {n:g}, "
            f"at least {MIN_CUSTOMERS} are needed"
        )
    if not weights[x > 0].sum():
        raise ValueError(
            "no customer has a repeat purchase: the purchase model cannot tell how "
            "often customers buy again or drop out"
        )
    x, t_x, T, weights = aggregate(x, t_x, T, weights=weights)
    # A1 and A2 only depend on x, which takes few distinct values
    unique_x, x_index = np.unique(x, return_inverse=True)
    share = weights / n

    def objective(log_params):
        r, alpha, a, b = np.exp(log_params)
        head = _bgnbd_head(r, alpha, a, b, unique_x)[x_index]
        ll = np.sum(share * (head + _bgnbd_tail(r, alpha, a, b, x, t_x, T)))
        penalty = penalizer * (np.exp(2 * log_params).sum() if penalizer else 0.0)
        return -ll + penalty if np.isfinite(ll) else np.inf

    first, step = _start(start, BGNBD_PARAMS, (1.0, max(T.mean(), 1e-3), 1.0, 1.0))
    result = _minimise(objective, first, maxiter, step=step)
    params = dict(zip(BGNBD_PARAMS, np.exp(result.x).tolist(), strict=True))
    ll = float(np.sum(weights * bgnbd_log_likelihood(params, x, t_x, T)))
    return FitResult(params, ll, float(n), True, result.message, int(result.nit))


def bgnbd_p_alive(params, x, t_x, T):
    """Probability that the customer has not dropped out, eq. 11 of the paper.

    A customer without repeat purchases cannot have dropped out: the model lets
    customers leave only right after a repeat purchase.
    """
    r, alpha, a, b = _params(params, BGNBD_PARAMS)
    x, t_x, T = _floats(x, t_x, T)
    return _p_alive(r, alpha, a, b, x, t_x, T)


def _p_alive(r, alpha, a, b, x, t_x, T):
    # 1 / (1 + e^z) with z the log of the second term, so that a large x cannot
    # overflow ((alpha + T) / (alpha + t_x)) ** (r + x)
    repeat = x > 0
    log_odds_dead = (
        np.log(a)
        - np.log(np.where(repeat, b + x - 1, 1.0))
        + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    )
    return np.where(repeat, special.expit(-log_odds_dead), 1.0)


def _at_a_near_one(function, a):
    """``function(a)``; a removable singularity at a == 1 is evaluated as the mean
    of both sides, exact to O(_NEAR_ONE ** 2)."""
    if abs(a - 1.0) >= _NEAR_ONE:
        return function(a)
    return (function(1.0 - _NEAR_ONE) + function(1.0 + _NEAR_ONE)) / 2


def bgnbd_expected_purchases(params, t, x, t_x, T):
    """Expected number of purchases in (T, T + t] given the history, eq. 10.

    lifetimes evaluates 2F1(r + x, b + x; a + b + x - 1; z), z = t / (alpha + T + t),
    and switches to Euler's transformation when it overflows. Multiplied by
    ((alpha + T) / (alpha + T + t)) ** (r + x) = (1 - z) ** (r + x), the transformed
    form becomes (1 - z) ** (a - 1) 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z), whose
    series converges up to z = 1 and stays moderate for any x: that is what is
    evaluated here, always.
    """
    r, alpha, a, b = _params(params, BGNBD_PARAMS)
    t, x, t_x, T = _floats(t, x, t_x, T)

    def expected(a):
        z = t / (alpha + T + t)
        survive = np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(
            a + b - 1 - r, a - 1, a + b + x - 1, z
        )
        purchases_if_alive = (a + b + x - 1) / (a - 1) * (1 - survive)
        return purchases_if_alive * _p_alive(r, alpha, a, b, x, t_x, T)

    return _at_a_near_one(expected, a)


def bgnbd_expected_purchases_unconditional(params, t):
    """Expected number of repeat purchases of a new customer over (0, t], eq. 7.

    Evaluated the way the paper writes it, 2F1(r, b; a + b - 1; t / (alpha + t)), so
    that it checks the conditional formula with x = t_x = T = 0 by another route.
    """
    r, alpha, a, b = _params(params, BGNBD_PARAMS)
    (t,) = _floats(t)

    def expected(a):
        z = t / (alpha + t)
        hyp = special.hyp2f1(r, b, a + b - 1, z)
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)

    return _at_a_near_one(expected, a)


def simulate_bgnbd(params, n, T, rng=None):
    """``n`` customers drawn from the BG/NBD model, observed over (0, T].

    Each has a purchase rate λ ~ Gamma(r, scale 1/alpha) and a dropout probability
    p ~ Beta(a, b), and drops out right after each repeat purchase with probability
    p. The process is drawn without a loop: the number of purchases made before
    dropping out is geometric, the number the Poisson process puts in (0, T] is
    Poisson(λT), and given that number the purchase times are uniform order
    statistics, so the x-th of N falls at T Beta(x, N - x + 1).
    Returns ``x`` (integers), ``t_x`` and ``T``.
    """
    r, alpha, a, b = _params(params, BGNBD_PARAMS)
    rng = np.random.default_rng(rng)
    T = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    rate = rng.gamma(r, 1 / alpha, n)
    dropout = np.clip(rng.beta(a, b, n), 1e-12, 1.0)
    in_window = rng.poisson(rate * T)
    x = np.minimum(in_window, rng.geometric(dropout))
    t_x = np.zeros(n)
    repeat = x > 0
    t_x[repeat] = T[repeat] * rng.beta(x[repeat], in_window[repeat] - x[repeat] + 1)
    return x, t_x, T


# ------------------------------------------------------------
# MODIFIED BG/NBD: CUSTOMERS MAY LEAVE RIGHT AFTER THEIR FIRST PURCHASE
# ------------------------------------------------------------


def _mbgnbd_head(r, alpha, a, b, x):
    """ln of the factors of the MBG/NBD likelihood that depend on x only."""
    return (
        special.gammaln(r + x)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.betaln(a, b + x + 1)
        - special.betaln(a, b)
    )


def _mbgnbd_tail(r, alpha, a, b, x, t_x, T):
    """ln[(alpha + T)^-(r + x) + a / (b + x) (alpha + t_x)^-(r + x)], in log space.
    Unlike BG/NBD the second term is there for x == 0 as well: the customer may
    have left right after the first purchase."""
    return np.logaddexp(
        -(r + x) * np.log(alpha + T),
        np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + t_x),
    )


def mbgnbd_log_likelihood(params, x, t_x, T):
    """Each customer's log-likelihood under the modified BG/NBD (Batislam, Denizel
    & Filiztekin 2007, "Empirical validation and comparison of models for customer
    base analysis", IJRM 24(3); as lifetimes' ModifiedBetaGeoFitter):

    L = B(a, b + x + 1) / B(a, b) Γ(r + x) alpha^r / Γ(r)
        [(alpha + T)^-(r + x) + a / (b + x) (alpha + t_x)^-(r + x)]
    """
    r, alpha, a, b = _params(params, BGNBD_PARAMS)
    x, t_x, T = _floats(x, t_x, T)
    _check_rfm(x, t_x, T)
    return _mbgnbd_head(r, alpha, a, b, x) + _mbgnbd_tail(r, alpha, a, b, x, t_x, T)


def fit_mbgnbd(x, t_x, T, weights=None, penalizer=0.0, maxiter=4000, start=None):
    """MBG/NBD parameters by maximum likelihood; arguments as :func:`fit_bgnbd`."""
    return _fit_purchase(
        x,
        t_x,
        T,
        weights,
        penalizer,
        maxiter,
        MBGNBD_PARAMS,
        _mbgnbd_head,
        _mbgnbd_tail,
        mbgnbd_log_likelihood,
        lambda T: (1.0, max(T.mean(), 1e-3), 1.0, 1.0),
        warm=start,
    )


def _mbgnbd_p_alive(r, alpha, a, b, x, t_x, T):
    log_odds_dead = (
        np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    )
    return special.expit(-log_odds_dead)


def mbgnbd_p_alive(params, x, t_x, T):
    """Probability that the customer has not dropped out:
    1 / (1 + a / (b + x) ((alpha + T) / (alpha + t_x))^(r + x)).

    For a customer without repeat purchases, 1 / (1 + a / b ((alpha + T) /
    alpha)^r): it falls as time passes since the only purchase.
    """
    r, alpha, a, b = _params(params, MBGNBD_PARAMS)
    x, t_x, T = _floats(x, t_x, T)
    return _mbgnbd_p_alive(r, alpha, a, b, x, t_x, T)


def mbgnbd_expected_purchases(params, t, x, t_x, T):
    """Expected number of purchases in (T, T + t] given the history, MBG/NBD:

    P(alive) (a + b + x) / (a - 1) [1 - (1 - z)^(r + x) 2F1(r + x, b + x + 1;
    a + b + x; z)], z = t / (alpha + T + t),

    evaluated, as for BG/NBD, through Euler's transformation:
    (1 - z)^(a - 1) 2F1(a + b - r, a - 1; a + b + x; z).
    """
    r, alpha, a, b = _params(params, MBGNBD_PARAMS)
    t, x, t_x, T = _floats(t, x, t_x, T)

    def expected(a):
        z = t / (alpha + T + t)
        survive = np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(
            a + b - r, a - 1, a + b + x, z
        )
        purchases_if_alive = (a + b + x) / (a - 1) * (1 - survive)
        return purchases_if_alive * _mbgnbd_p_alive(r, alpha, a, b, x, t_x, T)

    return _at_a_near_one(expected, a)


def mbgnbd_expected_purchases_unconditional(params, t):
    """Expected number of repeat purchases of a new customer over (0, t]:
    b / (a - 1) [1 - (alpha / (alpha + t))^r 2F1(r, b + 1; a + b; t / (alpha + t))]."""
    r, alpha, a, b = _params(params, MBGNBD_PARAMS)
    (t,) = _floats(t)

    def expected(a):
        z = t / (alpha + t)
        hyp = special.hyp2f1(r, b + 1, a + b, z)
        return b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)

    return _at_a_near_one(expected, a)


def simulate_mbgnbd(params, n, T, rng=None):
    """``n`` customers drawn from the MBG/NBD model, observed over (0, T].

    As :func:`simulate_bgnbd`, except that a customer may also drop out right
    after the first purchase: the number of repeat purchases made before dropping
    out is geometric from 0.
    """
    r, alpha, a, b = _params(params, MBGNBD_PARAMS)
    rng = np.random.default_rng(rng)
    T = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    rate = rng.gamma(r, 1 / alpha, n)
    dropout = np.clip(rng.beta(a, b, n), 1e-12, 1.0)
    in_window = rng.poisson(rate * T)
    x = np.minimum(in_window, rng.geometric(dropout) - 1)
    t_x = np.zeros(n)
    repeat = x > 0
    t_x[repeat] = T[repeat] * rng.beta(x[repeat], in_window[repeat] - x[repeat] + 1)
    return x, t_x, T


# ------------------------------------------------------------
# PARETO/NBD: CUSTOMERS MAY LEAVE AT ANY TIME
# ------------------------------------------------------------


def _log_hyp2f1_k(k, u, z):
    """ln 2F1(k, u; k + 1; z) for 0 <= z < 1, through Euler's transformation
    (1 - z)^(1 - u) 2F1(1, k + 1 - u; k + 1; z): the series left has positive
    terms below z^n, so it stays under 1 / (1 - z) whatever the frequency, where
    2F1(k, u; ...) itself grows like (1 - z)^-u and overflows for large x."""
    return (1 - u) * np.log1p(-z) + np.log(special.hyp2f1(1.0, k + 1 - u, k + 1, z))


def _pareto_log_a0(r, alpha, s, beta, x, t_x, T):
    """ln A0 of Fader, Hardie & Lee's note (eqs. 19-20), with the max(alpha, beta)
    reformulation that keeps the 2F1 argument in [0, 1):

    A0 = 2F1(k, u; k + 1; |alpha - beta| / (m + t_x)) / (m + t_x)^k
         - 2F1(k, u; k + 1; |alpha - beta| / (m + T)) / (m + T)^k,

    k = r + s + x, m = max(alpha, beta), u = s + 1 when alpha >= beta, else r + x.
    The difference is taken in log space (ln(e^A - e^B) = A + ln(1 - e^(B - A))),
    as lifetimes' ParetoNBDFitter does with logsumexp; -inf when t_x == T."""
    k = r + s + x
    if alpha >= beta:
        m, u = alpha, s + 1
    else:
        m, u = beta, r + x
    gap = abs(alpha - beta)
    first = _log_hyp2f1_k(k, u, gap / (m + t_x)) - k * np.log(m + t_x)
    second = _log_hyp2f1_k(k, u, gap / (m + T)) - k * np.log(m + T)
    with np.errstate(divide="ignore"):
        return first + np.log(-np.expm1(np.minimum(second - first, 0.0)))


def _pareto_head(r, alpha, s, beta, x):
    return (
        special.gammaln(r + x)
        - special.gammaln(r)
        + r * np.log(alpha)
        + s * np.log(beta)
    )


def _pareto_tail(r, alpha, s, beta, x, t_x, T):
    """ln[(alpha + T)^-(r + x) (beta + T)^-s + s / (r + s + x) A0]."""
    return np.logaddexp(
        -(r + x) * np.log(alpha + T) - s * np.log(beta + T),
        np.log(s) - np.log(r + s + x) + _pareto_log_a0(r, alpha, s, beta, x, t_x, T),
    )


def pareto_nbd_log_likelihood(params, x, t_x, T):
    """Each customer's log-likelihood under the Pareto/NBD (Schmittlein, Morrison
    & Colombo 1987, "Counting your customers: who are they and what will they do
    next?", Management Science 33(1)), as written in Fader, Hardie & Lee 2005, "A
    note on deriving the Pareto/NBD model and related expressions", eq. 22:

    L = Γ(r + x) alpha^r beta^s / Γ(r)
        [(alpha + T)^-(r + x) (beta + T)^-s + s / (r + s + x) A0]

    ``r``, ``alpha`` shape the gamma spread of purchase rates, ``s``, ``beta`` the
    gamma spread of dropout rates (a customer's lifetime is exponential).
    """
    r, alpha, s, beta = _params(params, PARETO_NBD_PARAMS)
    x, t_x, T = _floats(x, t_x, T)
    _check_rfm(x, t_x, T)
    return _pareto_head(r, alpha, s, beta, x) + _pareto_tail(
        r, alpha, s, beta, x, t_x, T
    )


def fit_pareto_nbd(x, t_x, T, weights=None, penalizer=0.0, maxiter=4000, start=None):
    """Pareto/NBD parameters by maximum likelihood; arguments as
    :func:`fit_bgnbd`. The start puts alpha and beta at the mean age."""

    def default_start(T):
        scale = max(T.mean(), 1e-3)
        return (1.0, scale, 1.0, scale)

    return _fit_purchase(
        x,
        t_x,
        T,
        weights,
        penalizer,
        maxiter,
        PARETO_NBD_PARAMS,
        _pareto_head,
        _pareto_tail,
        pareto_nbd_log_likelihood,
        default_start,
        warm=start,
    )


def _pareto_p_alive(r, alpha, s, beta, x, t_x, T):
    log_odds_dead = (
        np.log(s)
        - np.log(r + s + x)
        + (r + x) * np.log(alpha + T)
        + s * np.log(beta + T)
        + _pareto_log_a0(r, alpha, s, beta, x, t_x, T)
    )
    return special.expit(-log_odds_dead)


def pareto_nbd_p_alive(params, x, t_x, T):
    """Probability that the customer is still alive, eq. 37 of the note:
    1 / (1 + s / (r + s + x) (alpha + T)^(r + x) (beta + T)^s A0).
    It falls with the time since the last purchase, for one-time buyers too."""
    r, alpha, s, beta = _params(params, PARETO_NBD_PARAMS)
    x, t_x, T = _floats(x, t_x, T)
    return _pareto_p_alive(r, alpha, s, beta, x, t_x, T)


def _lifetime_share(s, beta, t):
    """beta / (s - 1) [1 - (beta / (beta + t))^(s - 1)], the expected time alive
    over (0, t] per unit of purchase rate; tends to beta ln((beta + t) / beta) as
    s -> 1, which exprel evaluates without a special case."""
    span = np.log1p(t / beta)
    return beta * span * special.exprel(-(s - 1) * span)


def pareto_nbd_expected_purchases(params, t, x, t_x, T):
    """Expected number of purchases in (T, T + t] given the history, eq. 41 of
    the note: P(alive) (r + x) (beta + T) / ((alpha + T) (s - 1))
    [1 - ((beta + T) / (beta + T + t))^(s - 1)]."""
    r, alpha, s, beta = _params(params, PARETO_NBD_PARAMS)
    t, x, t_x, T = _floats(t, x, t_x, T)
    alive = _pareto_p_alive(r, alpha, s, beta, x, t_x, T)
    return alive * (r + x) / (alpha + T) * _lifetime_share(s, beta + T, t)


def pareto_nbd_expected_purchases_unconditional(params, t):
    """Expected number of repeat purchases of a new customer over (0, t], eq. 27
    of the note: r beta / (alpha (s - 1)) [1 - (beta / (beta + t))^(s - 1)]."""
    r, alpha, s, beta = _params(params, PARETO_NBD_PARAMS)
    (t,) = _floats(t)
    return r / alpha * _lifetime_share(s, beta, t)


def simulate_pareto_nbd(params, n, T, rng=None):
    """``n`` customers drawn from the Pareto/NBD model, observed over (0, T].

    Each has a purchase rate λ ~ Gamma(r, scale 1/alpha) and a dropout rate
    μ ~ Gamma(s, scale 1/beta), and lives an exponential time of rate μ after the
    first purchase; while alive they buy as a Poisson process. Given N purchases
    over the time alive in the window, τ = min(lifetime, T), the last one is the
    largest of N uniforms on (0, τ): τ Beta(N, 1).
    """
    r, alpha, s, beta = _params(params, PARETO_NBD_PARAMS)
    rng = np.random.default_rng(rng)
    T = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    rate = rng.gamma(r, 1 / alpha, n)
    dropout = rng.gamma(s, 1 / beta, n)
    alive_for = np.minimum(rng.exponential(1 / np.maximum(dropout, 1e-300)), T)
    x = rng.poisson(rate * alive_for)
    t_x = np.zeros(n)
    repeat = x > 0
    t_x[repeat] = alive_for[repeat] * rng.beta(x[repeat], 1)
    return x, t_x, T


# ------------------------------------------------------------
# ONE FIT FOR ALL PURCHASE MODELS, AND THE REGISTRY
# ------------------------------------------------------------


class _Drift(Exception):
    """The parameters run off towards a limit of the model."""


# Beyond these the parameters are running off to a limit of the model rather than
# converging: Pareto/NBD's s and beta grow together without end when dropout rates
# hardly differ between customers (the likelihood flattens towards the limit), and
# the 2F1 series slows down as beta grows. Stopping there lets the penalised fit
# take over at once instead of after thousands of slow evaluations.
_DRIFT_LOG_BOUNDS = (np.log(1e-6), np.log(1e4))


def _fit_purchase(
    x,
    t_x,
    T,
    weights,
    penalizer,
    maxiter,
    names,
    head,
    tail,
    log_likelihood,
    start,
    warm=None,
):
    """Maximum likelihood over aggregated rows, as :func:`fit_bgnbd` does: the
    part of the likelihood that depends on x alone is evaluated once per distinct
    x. A parameter leaving 1e-6 .. 1e4 (``_DRIFT_LOG_BOUNDS``) stops the fit as
    not converging."""
    (x, t_x, T), weights = _columns((x, t_x, T), weights)
    _check_rfm(x, t_x, T)
    n = weights.sum()
    if n < MIN_CUSTOMERS:
        raise ValueError(
            f"too few customers to fit the purchase model: {n:g}, "
            f"at least {MIN_CUSTOMERS} are needed"
        )
    if not weights[x > 0].sum():
        raise ValueError(
            "no customer has a repeat purchase: the purchase model cannot tell how "
            "often customers buy again or drop out"
        )
    x, t_x, T, weights = aggregate(x, t_x, T, weights=weights)
    unique_x, x_index = np.unique(x, return_inverse=True)
    share = weights / n

    low, high = _DRIFT_LOG_BOUNDS

    def objective(log_params):
        if (log_params < low).any() or (log_params > high).any():
            raise _Drift(np.exp(log_params))
        params = np.exp(log_params)
        ll = np.sum(
            share * (head(*params, unique_x)[x_index] + tail(*params, x, t_x, T))
        )
        penalty = penalizer * (np.exp(2 * log_params).sum() if penalizer else 0.0)
        return -ll + penalty if np.isfinite(ll) else np.inf

    try:
        first, step = _start(warm, names, start(T))
        result = _minimise(objective, first, maxiter, step=step)
    except _Drift as drift:
        values = ", ".join(
            f"{name} = {value:.3g}"
            for name, value in zip(names, drift.args[0], strict=True)
        )
        # the dropout shape (a of the BG family, s of Pareto/NBD) falling to 0, or
        # its scale (b, beta) running to infinity, means a dropout rate of 0: the
        # history shows almost nobody leaving; say so in those terms
        drifted = dict(zip(names, drift.args[0], strict=True))
        if drifted[names[2]] < 1e-5 or drifted[names[3]] > 1e3:
            raise ValueError(
                "the fit did not converge: the history shows almost no customer "
                f"leaving, and the model's dropout parameter falls to 0 ({values})"
            ) from None
        raise ValueError(
            f"the fit did not converge: the parameters run off ({values})"
        ) from None
    params = dict(zip(names, np.exp(result.x).tolist(), strict=True))
    ll = float(np.sum(weights * log_likelihood(params, x, t_x, T)))
    return FitResult(params, ll, float(n), True, result.message, int(result.nit))


def baseline_expected_purchases(t, x, T):
    """The naive baseline the purchase models are graded against: each customer
    repeats their past purchase rate, x / T repeat purchases per time unit, so
    x / T t over the next t; 0 for a customer of age 0."""
    t, x, T = _floats(t, x, T)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(T > 0, x / np.where(T > 0, T, 1.0) * t, 0.0)


@dataclass(frozen=True)
class PurchaseModel:
    """One purchase model: its parameter names and functions, all with the
    signatures of the BG/NBD ones (``fit(x, t_x, T, weights=None,
    penalizer=0.0)``, ``p_alive(params, x, t_x, T)``, ``expected_purchases(params,
    t, x, t_x, T)``, ``expected_purchases_unconditional(params, t)``,
    ``simulate(params, n, T, rng)``)."""

    key: str
    label: str
    source: str
    params: tuple
    log_likelihood: object
    fit: object
    p_alive: object
    expected_purchases: object
    expected_purchases_unconditional: object
    simulate: object


PURCHASE_MODELS = {
    "bgnbd": PurchaseModel(
        "bgnbd",
        "BG/NBD",
        "Fader, Hardie & Lee 2005, Marketing Science 24(2)",
        BGNBD_PARAMS,
        bgnbd_log_likelihood,
        fit_bgnbd,
        bgnbd_p_alive,
        bgnbd_expected_purchases,
        bgnbd_expected_purchases_unconditional,
        simulate_bgnbd,
    ),
    "mbgnbd": PurchaseModel(
        "mbgnbd",
        "Modified BG/NBD",
        "Batislam, Denizel & Filiztekin 2007, IJRM 24(3)",
        MBGNBD_PARAMS,
        mbgnbd_log_likelihood,
        fit_mbgnbd,
        mbgnbd_p_alive,
        mbgnbd_expected_purchases,
        mbgnbd_expected_purchases_unconditional,
        simulate_mbgnbd,
    ),
    "pareto_nbd": PurchaseModel(
        "pareto_nbd",
        "Pareto/NBD",
        "Schmittlein, Morrison & Colombo 1987, Management Science 33(1); "
        "Fader, Hardie & Lee 2005 note",
        PARETO_NBD_PARAMS,
        pareto_nbd_log_likelihood,
        fit_pareto_nbd,
        pareto_nbd_p_alive,
        pareto_nbd_expected_purchases,
        pareto_nbd_expected_purchases_unconditional,
        simulate_pareto_nbd,
    ),
}


# ------------------------------------------------------------
# GRADES: HOW MUCH BETTER THAN THE NAIVE BASELINE
# ------------------------------------------------------------

# A model's improvement on the baseline, 1 - MAE_model / MAE_baseline, earns an A
# from 20 % up, a B from 5 %, a C below: the one place these cut-offs live.
GRADE_CUTOFFS = (("A", 0.20), ("B", 0.05))
GRADE_BELOW = "C"
# the value grade looks at the customers with the highest predicted value
TOP_VALUE_SHARE = 0.2


def mean_absolute_error(predicted, actual):
    """Mean over customers of |predicted - actual|; NaN for no customer."""
    predicted, actual = _floats(predicted, actual)
    if not predicted.size:
        return float("nan")
    return float(np.abs(predicted - actual).mean())


def improvement(error, baseline_error):
    """1 - error / baseline_error: 0.25 when the model's error is a quarter below
    the baseline's, negative when it is worse; None when the baseline makes no
    error (nothing to improve on) or an error is not a number."""
    if not (np.isfinite(error) and np.isfinite(baseline_error)) or baseline_error <= 0:
        return None
    return 1.0 - error / baseline_error


def grade(value):
    """``A``, ``B`` or ``C`` for an :func:`improvement` (see GRADE_CUTOFFS);
    None for None."""
    if value is None:
        return None
    for letter, cutoff in GRADE_CUTOFFS:
        if value >= cutoff:
            return letter
    return GRADE_BELOW


def top_share(values, share=TOP_VALUE_SHARE):
    """Boolean mask of the ``share`` of rows with the highest values (at least
    one row when there is any); ties broken by position."""
    (values,) = _floats(values)
    mask = np.zeros(values.shape, dtype=bool)
    if values.size:
        count = max(1, int(np.ceil(share * values.size)))
        mask[np.argsort(-values, kind="stable")[:count]] = True
    return mask


# ------------------------------------------------------------
# GAMMA-GAMMA: HOW MUCH A CUSTOMER SPENDS PER TRANSACTION
# ------------------------------------------------------------


def gamma_gamma_log_likelihood(params, x, m):
    """Each repeat buyer's log-likelihood (x > 0, m > 0), as in lifetimes."""
    p, q, v = _params(params, GAMMA_GAMMA_PARAMS)
    x, m = _floats(x, m)
    if (x <= 0).any() or (m <= 0).any():
        raise ValueError("the spend model needs repeat buyers with a positive spend")
    return _gamma_gamma_ll(p, q, v, x, m)


class _GammaGammaWatch:
    """The early stop of a Gamma-Gamma run: see :func:`fit_gamma_gamma`."""

    def __init__(self):
        self.iterations = 0
        self.best = np.inf
        self.best_at = 0

    def __call__(self, log_params, value):
        self.iterations += 1
        p, q, _gamma = np.exp(log_params)
        if q < 1 / GAMMA_GAMMA_RUNAWAY:
            raise FitStopped(
                f"the spend model fits q below {1 / GAMMA_GAMMA_RUNAWAY:g}, not above "
                "1: spends are too spread for the model to give a finite mean",
                self.iterations,
            )
        for name, value_ in (("p", p), ("q", q)):
            if not 1 / GAMMA_GAMMA_RUNAWAY < value_ < GAMMA_GAMMA_RUNAWAY:
                raise FitStopped(
                    f"the fit did not converge: {name} ran away to {value_:.3g} in "
                    f"{self.iterations} iterations",
                    self.iterations,
                )
        if not np.isfinite(self.best) or value < self.best - STALL_TOLERANCE * max(
            1.0, abs(self.best)
        ):
            self.best, self.best_at = value, self.iterations
        elif self.iterations - self.best_at >= STALL_ITERATIONS:
            raise FitStopped(
                "the fit did not converge: the likelihood did not improve in "
                f"{STALL_ITERATIONS} iterations",
                self.iterations,
            )


def _gamma_gamma_ll(p, q, v, x, m):
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - special.gammaln(px)
        - (px + q) * np.log(x * m + v)
    )


def fit_gamma_gamma(x, m, weights=None, penalizer=0.0, maxiter=4000):
    """Gamma-Gamma parameters by maximum likelihood.

    Customers without repeat purchases carry no spend information and are left out;
    the mean spend ``m`` must be positive for the others. The model assumes spend
    and frequency are independent: check their correlation on repeat buyers first.

    The run stops early, with :class:`FitStopped`, once it cannot succeed:

    * p or q runs away, beyond 1e6 or below 1e-6 (``GAMMA_GAMMA_RUNAWAY``): the
      likelihood keeps rising towards the edge of the parameter space, where the
      model degenerates (p to infinity with gamma to 0: each customer's spends all
      alike). Left alone, such a run spends its 2 * ``maxiter`` evaluations on a
      numerically flat likelihood and ends unconverged: 8,000 evaluations and
      about 40 s on the 100k-customer benchmark, where it now stops after about
      30 iterations. "did not converge": a penalizer keeps p and q bounded, and
      the model's ``_fit_penalized`` tries the next one;
    * q falls below 1e-6: final, as q <= 1 at the end of a run (below);
    * the likelihood has not improved by more than ``STALL_TOLERANCE`` (relative)
      in ``STALL_ITERATIONS`` iterations: "did not converge", as above.

    A run that ends with q <= 1 fails for good: the model has no finite mean then,
    and a penalty on the parameters' size only lowers q further, so no penalizer
    cures it (the message has no "did not converge", and ``_fit_penalized``
    gives up at once; the model falls back on observed means).

    :return: :class:`FitResult` with ``p``, ``q``, ``gamma``
    :raise FitStopped: as above
    :raise ValueError: fewer than ``MIN_CUSTOMERS`` repeat buyers, a mean spend not
        positive, no convergence in ``maxiter`` iterations, q <= 1
    """
    (x, m), weights = _columns((x, m), weights)
    buyers = x > 0
    x, m, weights = x[buyers], m[buyers], weights[buyers]
    n = weights.sum()
    if n < MIN_CUSTOMERS:
        raise ValueError(
            "too few customers with repeat purchases to fit the spend model: "
            f"{n:g}, at least {MIN_CUSTOMERS} are needed"
        )
    if (m <= 0).any():
        raise ValueError("the spend model needs a positive mean spend per repeat buyer")
    x, m, weights = aggregate(x, m, weights=weights)
    share = weights / n

    def objective(log_params):
        p, q, v = np.exp(log_params)
        ll = np.sum(share * _gamma_gamma_ll(p, q, v, x, m))
        penalty = penalizer * (np.exp(2 * log_params).sum() if penalizer else 0.0)
        return -ll + penalty if np.isfinite(ll) else np.inf

    result = _minimise(objective, (1.0, 1.0, 1.0), maxiter, watch=_GammaGammaWatch())
    params = dict(zip(GAMMA_GAMMA_PARAMS, np.exp(result.x).tolist(), strict=True))
    if params["q"] <= 1:
        raise ValueError(
            f"the spend model fits q = {params['q']:.3g}, not above 1: spends are too "
            "spread for the model to give a finite mean"
        )
    ll = float(np.sum(weights * _gamma_gamma_ll(*params.values(), x, m)))
    return FitResult(params, ll, float(n), True, result.message, int(result.nit))


def gamma_gamma_expected_value(params, x, m):
    """Expected mean transaction value given x repeat purchases of mean value m.

    A weighted mean of the population mean p gamma / (q - 1) and the customer's own
    mean, leaning to the latter as x grows; for x == 0, the population mean.
    """
    p, q, v = _params(params, GAMMA_GAMMA_PARAMS)
    if q <= 1:
        raise ValueError(f"the spend model has no finite mean with q = {q:.3g} <= 1")
    x, m = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(m, dtype=float))
    repeat = x > 0
    x_safe = np.where(repeat, x, 0.0)
    m_safe = np.where(repeat, m, 0.0)
    if not (np.isfinite(x).all() and np.isfinite(m_safe).all()):
        raise ValueError("the data contain missing or infinite values")
    return np.where(
        repeat, (v + m_safe * x_safe) * p / (p * x_safe + q - 1), p * v / (q - 1)
    )


def simulate_gamma_gamma(params, x, rng=None):
    """Mean repeat transaction values drawn from the Gamma-Gamma model.

    Each customer has ν ~ Gamma(q, scale 1/gamma) and transactions of value
    ~ Gamma(p, scale 1/ν); the sum of x of them is Gamma(p x, scale 1/ν). The mean
    is 0 for customers without repeat purchases.
    """
    p, q, v = _params(params, GAMMA_GAMMA_PARAMS)
    rng = np.random.default_rng(rng)
    x = np.asarray(x)
    nu = rng.gamma(q, 1 / v, x.shape)
    repeat = x > 0
    m = np.zeros(x.shape)
    m[repeat] = rng.gamma(p * x[repeat], 1 / nu[repeat]) / x[repeat]
    return m


# ------------------------------------------------------------
# LIFETIME VALUE
# ------------------------------------------------------------


def discounted_purchases(
    bgnbd_params,
    x,
    t_x,
    T,
    months,
    monthly_discount,
    time_unit_days=7,
    model="bgnbd",
):
    """Purchases each customer is expected to make over the next ``months``,
    each month's discounted by (1 + monthly_discount) ** i (month i of 30 days).

    As lifetimes' ``customer_lifetime_value`` before it multiplies by the value
    of a transaction. ``x``, ``t_x`` and ``T`` are counted in units of
    ``time_unit_days`` days, the unit the purchase model was fitted in;
    ``bgnbd_params`` are the parameters of ``model``, a key of
    :data:`PURCHASE_MODELS` (BG/NBD by default).

    :return: array of shape ``x.shape``, in purchases
    :raise ValueError: negative months or time unit, discount of -100 % or less
    """
    if months < 0 or monthly_discount <= -1 or time_unit_days <= 0:
        raise ValueError("months, discount and time unit must be positive")
    expected_purchases = PURCHASE_MODELS[model].expected_purchases
    x, t_x, T = _floats(x, t_x, T)
    total = np.zeros(x.shape)
    before = np.zeros(x.shape)
    # a month at a time, so that memory stays one row per customer
    for month in range(1, int(months) + 1):
        t = month * DAYS_PER_MONTH / time_unit_days
        until = expected_purchases(bgnbd_params, t, x, t_x, T)
        total += (until - before) / (1 + monthly_discount) ** month
        before = until
    return total


def clv(
    bgnbd_params,
    gg_params,
    x,
    t_x,
    T,
    m,
    months,
    monthly_discount,
    margin=1.0,
    time_unit_days=7,
    model="bgnbd",
):
    """Discounted value of each customer's purchases over the next ``months``.

    As lifetimes' ``customer_lifetime_value``: :func:`discounted_purchases` times
    the Gamma-Gamma expected value of a transaction and the margin. ``x``,
    ``t_x`` and ``T`` are counted in units of ``time_unit_days`` days, the unit
    the purchase model ``model`` (BG/NBD by default) was fitted in; ``m`` is the
    mean spend per repeat purchase.

    :return: array of shape ``x.shape``, in the currency of ``m``
    :raise ValueError: as :func:`discounted_purchases`
    """
    purchases = discounted_purchases(
        bgnbd_params, x, t_x, T, months, monthly_discount, time_unit_days, model
    )
    x, m = _floats(x, np.where(np.asarray(x) > 0, m, 0.0))
    return purchases * gamma_gamma_expected_value(gg_params, x, m) * margin
