"""Time to churn: the survival table and a Cox proportional-hazards model.

Pure maths, no ORM: the churn drivers model (``crm.churn.driver.fit``) reads its
columns in one query and calls these functions.

Sources
-------
- D. R. Cox (1972), "Regression models and life-tables", Journal of the Royal
  Statistical Society B 34(2), 187-220: the partial likelihood, hazard ratios.
- P. M. Grambsch and T. M. Therneau (1994), "Proportional hazards tests and
  diagnostics based on weighted residuals", Biometrika 81(3), 515-526: the check of
  the proportional-hazards assumption on the scaled Schoenfeld residuals.
- C. Davidson-Pilon, lifelines (https://lifelines.readthedocs.io): ``CoxPHFitter``
  (Efron's tie handling, Newton-Raphson) and ``proportional_hazard_test``, which
  this module calls instead of reimplementing them.
"""

from dataclasses import dataclass, field

import numpy as np

#: below this many churn events the hazard ratios are too uncertain to show
MIN_EVENTS = 10
#: the hazard ratios' confidence level
CONFIDENCE = 0.95


@dataclass
class CoxCovariate:
    """One covariate of a fitted model: ``hazard_ratio`` is exp(beta), the factor on
    the churn hazard per unit of the covariate (for a 0/1 covariate: customers with
    it against customers without); ``ci_low``/``ci_high`` its 95 % confidence
    interval; ``p_value`` the Wald test of beta = 0; ``ph_p_value`` the
    proportional-hazards test (small: the ratio changes over time)."""

    name: str
    hazard_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    ph_p_value: float


@dataclass
class CoxResult:
    covariates: list
    n_subjects: int
    n_events: int
    concordance: float
    log_likelihood: float
    #: covariates left out because they take a single value over the subjects,
    #: repeat an earlier covariate value for value, or separate the churned
    #: subjects (their ratio cannot be estimated)
    dropped: list = field(default_factory=list)


def survival_table(first_days, last_days, reference_day, lost, window_start=None):
    """Durations, events and entry times of the subjects, in days.

    ``first_days`` and ``last_days``: int arrays (n,) of day ordinals
    (``date.toordinal()``) of each customer's first and last purchase;
    ``reference_day``: the ordinal of the day the churn states were set (a
    scalar, or an array (n,) when each row has its own); ``lost``: bool array
    (n,), the customer churned; ``window_start``: the ordinal of the last day
    before the window the traits were measured on (scalar or (n,)), or None.

    A churned customer's event is its last purchase: duration = last - first + 1
    days. Any other customer is censored at the reference day: duration =
    reference - first + 1 days (still a customer then). The day of the first
    purchase counts, so that a customer who bought once and left lived one day.

    With ``window_start``, the subjects are known to be customers through that day
    (they bought after it: the callers keep only those, whose traits the window
    saw), so each enters the risk set there: entry = window_start - first + 1 days
    when positive, else 0 (left truncation, as lifelines' ``entry_col``).

    Returns ``(durations, events, entries)``: float arrays (n,) in days and a bool
    array (n,). Raises ValueError when a purchase follows the reference day, or
    when a subject did not buy after ``window_start``.
    """
    first_days = np.asarray(first_days, dtype=float)
    last_days = np.asarray(last_days, dtype=float)
    lost = np.asarray(lost, dtype=bool)
    reference_day = np.broadcast_to(np.asarray(reference_day, dtype=float), lost.shape)
    if (last_days > reference_day).any() or (first_days > last_days).any():
        raise ValueError("purchases after the reference day, or out of order")
    end = np.where(lost, last_days, reference_day)
    durations = end - first_days + 1.0
    if window_start is None:
        return durations, lost, np.zeros(len(lost))
    window_start = np.broadcast_to(np.asarray(window_start, dtype=float), lost.shape)
    if (last_days <= window_start).any():
        raise ValueError("a subject without a purchase after the window start")
    entries = np.maximum(window_start - first_days + 1.0, 0.0)
    return durations, lost, entries


def fit_cox(
    durations, events, covariates, entries=None, min_events=MIN_EVENTS, penalizer=0.0
):
    """Fit a Cox proportional-hazards model of the time to churn.

    ``durations``: float array (n,) > 0, in days; ``events``: bool array (n,), True
    when the customer churned (else censored); ``covariates``: ``{name: float
    array (n,)}``, in their own units (0/1 for a trait); ``entries``: float array
    (n,) of the days at which each subject entered observation (delayed entry),
    or None for 0. ``penalizer``: lifelines'
    L2 penalty on the coefficients (0: plain partial likelihood).

    Covariates that take one value over all subjects say nothing, and one equal to
    an earlier covariate for every subject (each complaint breached its SLA) cannot
    be told apart from it: both make the likelihood singular, so they are left out
    and named in ``CoxResult.dropped``.

    The proportional-hazards check (Grambsch and Therneau's test on the scaled
    Schoenfeld residuals, rank time transform) runs on the model fitted without
    delayed entry when there is one: lifelines has no residuals with entry times.

    Returns a :class:`CoxResult`, its covariates in the order given.

    A covariate that separates the subjects (every one with it churned, or none
    did: its ratio runs off to ~1e8 or ~1e-8, its interval to [0, inf]) cannot be
    estimated: it is left out and named in ``CoxResult.dropped`` too, and the
    others refitted.

    Raises ValueError, in words for the user, with fewer than ``min_events``
    churned customers, when every covariate is constant, or when the fit does not
    converge (every covariate separates, or lifelines stops on a singular matrix).
    """
    # lifelines (pandas, autograd) is imported here, on the first fit, rather than
    # by every Odoo worker at start-up
    import pandas as pd
    from lifelines.statistics import proportional_hazard_test

    durations = np.asarray(durations, dtype=float)
    events = np.asarray(events, dtype=bool)
    n_events = int(events.sum())
    if n_events < min_events:
        raise ValueError(
            f"only {n_events} churned customers among {len(events)}: the drivers "
            f"need at least {min_events}"
        )
    columns = {}
    dropped = []
    for name, values in covariates.items():
        values = np.asarray(values, dtype=float)
        if len(values) != len(durations):
            raise ValueError(
                f"covariate {name}: {len(values)} values, not {len(durations)}"
            )
        if np.nanmin(values) == np.nanmax(values) or any(
            np.array_equal(values, kept) for kept in columns.values()
        ):
            dropped.append(name)
        else:
            columns[name] = values
    if not columns:
        raise ValueError(
            "every health component has the same value for all customers: "
            "nothing explains churn"
        )
    frame = pd.DataFrame({**columns, "_duration": durations, "_event": events})
    entry = {}
    if entries is not None and np.any(entries):
        frame["_entry"] = np.asarray(entries, dtype=float)
        entry = {"entry_col": "_entry"}
    not_converged = (
        "the model does not converge: a health component probably separates "
        "churned customers from the others completely"
    )
    while True:
        model, checked = _fit_lifelines(frame, entry, penalizer, not_converged)
        # Under (quasi-)complete separation (every customer with a trait churned,
        # or none did) lifelines stops with a warning only: that beta runs off (a
        # ratio of ~1e8 or ~1e-8) and its interval spans [0, inf]. Such a trait
        # is left out and named, the others refitted.
        bounds = model.summary[["exp(coef) lower 95%", "exp(coef) upper 95%"]]
        separated = [
            name
            for name in columns
            if not (
                np.isfinite(bounds.loc[name]).all() and (bounds.loc[name] > 0).all()
            )
        ]
        if not separated:
            break
        if len(separated) == len(columns):
            raise ValueError(not_converged)
        dropped.extend(separated)
        for name in separated:
            del columns[name]
        frame = frame.drop(columns=separated)
    summary = model.summary
    check = proportional_hazard_test(
        checked,
        frame.drop(columns="_entry") if entry else frame,
        time_transform="rank",
    )
    ph_p = check.summary["p"]
    result = []
    for name in columns:
        row = summary.loc[name]
        result.append(
            CoxCovariate(
                name=name,
                hazard_ratio=float(row["exp(coef)"]),
                ci_low=float(row["exp(coef) lower 95%"]),
                ci_high=float(row["exp(coef) upper 95%"]),
                p_value=float(row["p"]),
                ph_p_value=float(ph_p.loc[name]),
            )
        )
    return CoxResult(
        covariates=result,
        n_subjects=len(durations),
        n_events=n_events,
        concordance=float(model.concordance_index_),
        log_likelihood=float(model.log_likelihood_),
        dropped=dropped,
    )


def _fit_lifelines(frame, entry, penalizer, not_converged):
    """(model, checked): lifelines' Cox fit of ``frame`` (columns ``_duration``,
    ``_event``, ``_entry`` when ``entry``), and the model the proportional-hazards
    check runs on: the same, or, with entry times, the same covariates fitted
    without them (lifelines computes no residuals with entry times: an
    approximation, named in the README). Raises ValueError(``not_converged``)
    when lifelines does not converge."""
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError

    model = CoxPHFitter(penalizer=penalizer, alpha=1 - CONFIDENCE)
    checked = model
    try:
        model.fit(frame, duration_col="_duration", event_col="_event", **entry)
        if entry:
            checked = CoxPHFitter(penalizer=penalizer, alpha=1 - CONFIDENCE)
            checked.fit(
                frame.drop(columns="_entry"),
                duration_col="_duration",
                event_col="_event",
            )
    except ConvergenceError as error:
        raise ValueError(not_converged) from error
    return model, checked
