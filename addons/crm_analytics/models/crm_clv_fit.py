import functools
import logging
import time
from datetime import timedelta

import numpy as np

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.crm_relationship.tools import cron
from odoo.addons.crm_relationship.tools.cron import in_user_language

from ..tools import clv

_logger = logging.getLogger(__name__)

TIME_UNITS = {"day": 1, "week": 7}
MODEL_SELECTION = [(key, model.label) for key, model in clv.PURCHASE_MODELS.items()]
PURCHASE_FIELDS = sorted(
    {name for model in clv.PURCHASE_MODELS.values() for name in model.params}
)
GRADES = [("A", "A"), ("B", "B"), ("C", "C")]


def _grade_help(what):
    """Field help of a grade, with the cut-offs of tools.clv.GRADE_CUTOFFS."""
    (best, best_cutoff), (good, good_cutoff) = clv.GRADE_CUTOFFS
    return (
        f"How well the model predicted {what} over the hold-out days, compared "
        f"with a naive guess: {best} when its average error per customer is at "
        f"least {best_cutoff:.0%} smaller than the guess's, {good} at least "
        f"{good_cutoff:.0%} smaller, {clv.GRADE_BELOW} otherwise. Empty when there "
        "was nothing to check against."
    )


FREQUENCY_GROUPS = 7  # 0, 1, ..., 6 and "7 or more" repeat purchases
PENALIZERS = (0.0, 0.001, 0.01, 0.1)


class CrmClvFit(models.Model):
    """BG/NBD and Gamma-Gamma models of a company's customers, fitted on its posted
    invoices up to a calibration date.

    Purchase occasions are days with posted customer invoices (several invoices on
    one day are one occasion, their untaxed amounts summed). Per customer, frequency
    is the number of repeat occasions, recency the age at the last occasion, T the
    age at the calibration date, in the fit's time unit; the spend model reads the
    mean value of the repeat occasions, as in the papers. A failed fit keeps its
    reason and leaves the company's previous fit in use.
    """

    _name = "crm.clv.fit"
    _description = "Lifetime value model fit"
    _inherit = ["mail.thread", "crm.fit.mixin"]
    _order = "calibration_date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    calibration_date = fields.Date(
        required=True,
        default=lambda self: self.env.company._crm_today(),
        help="Invoices up to this day (included) are the history the models learn.",
    )
    time_unit = fields.Selection(
        [("day", "Day"), ("week", "Week")], required=True, default="week"
    )
    is_current = fields.Boolean(
        help="The company's latest successful fit: the one predictions come from.",
    )
    date_fitted = fields.Datetime("Fitted on", readonly=True)
    duration = fields.Float("Fit time (s)", readonly=True, digits=(16, 2))
    customer_count = fields.Integer("Customers", readonly=True)
    repeat_customer_count = fields.Integer("Repeat customers", readonly=True)
    # Purchase model: r and alpha in all three, a and b in the BG ones, s and beta
    # in Pareto/NBD
    model = fields.Selection(
        MODEL_SELECTION,
        "Purchase model",
        required=True,
        default="bgnbd",
        readonly=True,
        help="The model of how often customers buy and when they stop that this "
        "fit predicts with. BG/NBD: customers may stop only right after a repeat "
        "purchase, so someone who bought once is never counted as gone. Modified "
        "BG/NBD: they may also stop right after their first purchase. Pareto/NBD: "
        "they may stop at any time.",
    )
    model_choice = fields.Selection(
        [("auto", "Best on the hold-out"), ("fixed", "Fixed")],
        "Chosen by",
        default="fixed",
        readonly=True,
        help="Best on the hold-out: all three purchase models were fitted and the "
        "one that predicted the hold-out purchases best (smallest mean error per "
        "customer; equal errors: highest log-likelihood) was kept. Fixed: the model "
        "set in Settings.",
    )
    r = fields.Float(
        readonly=True,
        help="Shape of the spread of purchase rates between customers (gamma "
        "distribution): small, customers differ a lot.",
    )
    alpha = fields.Float(
        readonly=True,
        help="Scale of the spread of purchase rates, in the fit's time unit: the "
        "mean purchase rate is r / alpha.",
    )
    a = fields.Float(
        readonly=True,
        help="BG/NBD and modified BG/NBD: first shape of the spread of the chance of "
        "dropping out after a purchase (beta distribution); the mean chance is "
        "a / (a + b).",
    )
    b = fields.Float(
        readonly=True,
        help="BG/NBD and modified BG/NBD: second shape of the spread of the chance "
        "of dropping out after a purchase.",
    )
    s = fields.Float(
        readonly=True,
        help="Pareto/NBD: shape of the spread of dropout rates between customers "
        "(gamma distribution).",
    )
    beta = fields.Float(
        readonly=True,
        help="Pareto/NBD: scale of the spread of dropout rates, in the fit's time "
        "unit: the mean dropout rate is s / beta.",
    )
    log_likelihood = fields.Float(readonly=True, digits=(16, 2))
    candidate_ids = fields.One2many(
        "crm.clv.fit.candidate", "fit_id", "Models compared", readonly=True
    )
    penalizer = fields.Float(
        readonly=True,
        help="0 for a plain maximum likelihood fit; otherwise the smallest penalty on "
        "the parameters' size that let a small history converge.",
    )
    # Gamma-Gamma
    p = fields.Float(
        readonly=True,
        help="Gamma-Gamma: shape of the spend of one purchase around the customer's "
        "own mean.",
    )
    q = fields.Float(
        readonly=True,
        help="Gamma-Gamma: shape of the spread of mean spends between customers; "
        "above 1 for a finite mean.",
    )
    gamma = fields.Float(
        readonly=True,
        help="Gamma-Gamma: scale of the spread of mean spends, in the company's "
        "currency.",
    )
    spend_log_likelihood = fields.Float(readonly=True, digits=(16, 2))
    spend_model = fields.Selection(
        [("gamma_gamma", "Gamma-Gamma"), ("observed", "Observed means")],
        readonly=True,
        help="Observed means when the Gamma-Gamma model does not fit the spends.",
    )
    spend_note = fields.Char(readonly=True)
    population_spend = fields.Float(
        "Mean repeat spend",
        readonly=True,
        digits=(16, 2),
        help="The mean value of repeat purchase occasions, over repeat customers.",
    )
    # Validation
    holdout_days = fields.Integer(
        "Hold-out (days)",
        default=90,
        help="When no invoice follows the calibration date, the check refits the "
        "purchase model on the history up to this many days before it, and "
        "compares, per frequency group, the purchases it predicted for those days "
        "with those made. Otherwise the check covers the days after the "
        "calibration date.",
    )
    holdout_line_ids = fields.One2many(
        "crm.clv.fit.holdout", "fit_id", "Hold-out check", readonly=True
    )
    holdout_start = fields.Date("Hold-out from", readonly=True)
    holdout_end = fields.Date("Hold-out to", readonly=True)
    holdout_note = fields.Char(
        "Hold-out note", readonly=True, help="Why there is no hold-out check."
    )
    holdout_error = fields.Float(
        "Hold-out error (%)",
        readonly=True,
        digits=(16, 1),
        help="Predicted against actual repeat purchases over the hold-out days, all "
        "customers together.",
    )
    # Grades
    holdout_mae = fields.Float(
        "Model error",
        readonly=True,
        digits=(16, 3),
        help="How far off the predicted number of purchases was, on average per "
        "customer, over the hold-out days (mean absolute error).",
    )
    baseline_mae = fields.Float(
        "Baseline error",
        readonly=True,
        digits=(16, 3),
        help="The same for the naive guess that each customer keeps buying at their "
        "past pace (repeat purchases so far divided by their age as a customer).",
    )
    improvement = fields.Float(
        "Better than baseline (%)",
        readonly=True,
        digits=(16, 1),
        help="How much smaller the model's error is than the naive guess's: "
        "1 - model error / baseline error. Negative: worse than the guess.",
    )
    grade = fields.Selection(
        GRADES,
        "Purchase grade",
        readonly=True,
        help=_grade_help(
            "the number of purchases per customer (the naive guess: each "
            "customer keeps buying at their past pace)"
        ),
    )
    spend_improvement = fields.Float(
        "Spend: better than baseline (%)", readonly=True, digits=(16, 1)
    )
    spend_grade = fields.Selection(
        GRADES,
        readonly=True,
        help=_grade_help(
            "the spend per purchase of repeat customers who bought during the "
            "hold-out (the naive guess: their own past average spend)"
        ),
    )
    value_improvement = fields.Float(
        "Value: better than baseline (%)", readonly=True, digits=(16, 1)
    )
    value_grade = fields.Selection(
        GRADES,
        readonly=True,
        help=_grade_help(
            f"the revenue of the {clv.TOP_VALUE_SHARE:.0%} of customers predicted "
            "to be worth most (the naive guess: their past pace times their own "
            "average spend)"
        ),
    )
    grade_note = fields.Char(
        readonly=True, help="Why a grade is missing: no hold-out, or nothing to grade."
    )

    @api.depends("company_id", "calibration_date")
    def _compute_name(self):
        for fit in self:
            fit.name = _(
                "%(company)s, %(date)s",
                company=fit.company_id.name,
                date=fit.calibration_date,
            )

    # ------------------------------------------------------------
    # FITTING
    # ------------------------------------------------------------

    @api.model
    def fit_company(self, company, calibration_date=None, model=None, time_unit="week"):
        """Fit the purchase and spend models for ``company`` on its invoices up to
        ``calibration_date``.

        ``model`` is a key of ``tools.clv.PURCHASE_MODELS``; None takes the
        company's setting, whose default ``auto`` fits all three purchase models
        and keeps the one with the smallest hold-out error (mean absolute error per
        customer), ties and fits without a hold-out going to the highest
        log-likelihood. Always returns the fit record: ``state`` says whether it
        worked and ``failure_reason`` why not; the previous fit stays in use after
        a failure.
        """
        calibration_date = fields.Date.to_date(calibration_date or company._crm_today())
        model = model or company.clv_model or "auto"
        if model != "auto" and model not in clv.PURCHASE_MODELS:
            raise UserError(_("Unknown purchase model: %s", model))
        fit = self.create(
            {
                "company_id": company.id,
                "calibration_date": calibration_date,
                "time_unit": time_unit,
                "holdout_days": company.clv_holdout_days,
                "model": "bgnbd" if model == "auto" else model,
                "model_choice": "auto" if model == "auto" else "fixed",
            }
        )
        fit._fit()
        return fit

    def action_fit(self):
        """ "Fit Again": a fit that succeeds and is then the company's fit in use
        writes its predictions on the scores at once, as the monthly refit does."""
        for fit in self:
            if fit._fit() and fit.id in fit._current_ids():
                fit._write_scores()

    def _candidate_keys(self):
        self.ensure_one()
        if self.model_choice == "auto":
            return list(clv.PURCHASE_MODELS)
        return [self.model]

    def _fit(self):
        self.ensure_one()
        started = time.monotonic()
        summaries = self._summaries(self.calibration_date)
        x, t_x, T = summaries["x"], summaries["t_x"], summaries["T"]
        horizon = self.company_id.clv_horizon_months * clv.DAYS_PER_MONTH
        fits, errors = {}, {}
        for key in self._candidate_keys():
            try:
                fits[key] = self._fit_purchase(
                    key, x, t_x, T, horizon / TIME_UNITS[self.time_unit]
                )
            except ValueError as error:
                errors[key] = str(error)
        try:
            if not fits:
                raise ValueError(next(iter(errors.values())))
            evaluations, holdout = self._holdout_evaluations(summaries, fits)
            chosen = self._choose(fits, evaluations)
            values = self._fit_values(summaries, purchase=(chosen, *fits[chosen]))
        except ValueError as error:
            self.write(
                {
                    "state": "failed",
                    "failure_reason": str(error),
                    "date_fitted": fields.Datetime.now(),
                    "customer_count": len(summaries["x"]),
                    "candidate_ids": [(5, 0, 0)],
                }
            )
            self._message_log(body=_("The fit failed: %s", error))
            return False
        values.update(self._holdout_values(holdout, evaluations.get(chosen), values))
        values["candidate_ids"] = [
            (5, 0, 0),
            *(
                (0, 0, self._candidate_values(key, fits, errors, evaluations, chosen))
                for key in self._candidate_keys()
            ),
        ]
        values.update(
            {
                "state": "done",
                "failure_reason": False,
                "date_fitted": fields.Datetime.now(),
                "duration": time.monotonic() - started,
            }
        )
        self.write(values)
        return True

    def _fit_purchase(self, key, x, t_x, T, t, min_penalizer=0.0, start=None):
        """(FitResult, penalizer) of purchase model ``key``, penalised as little as
        lets it converge to finite predictions over ``t`` time units, trying no
        penalty below ``min_penalizer``; ``start`` (parameters by name) warm-starts
        the search."""
        model = clv.PURCHASE_MODELS[key]
        return self._fit_penalized(
            functools.partial(model.fit, start=start),
            x,
            t_x,
            T,
            check=self._purchase_check(key, x, t_x, T, t),
            penalizers=tuple(p for p in PENALIZERS if p >= min_penalizer),
        )

    @staticmethod
    def _choose(fits, evaluations):
        """The candidate with the smallest hold-out error; those without one come
        after, and equal errors (to 1e-9) go to the highest log-likelihood."""

        def rank(key):
            error = (evaluations.get(key) or {}).get("error")
            has_error = error is not None and np.isfinite(error)
            return (
                0 if has_error else 1,
                round(error, 9) if has_error else 0.0,
                -fits[key][0].log_likelihood,
            )

        return min(fits, key=rank)

    def _candidate_values(self, key, fits, errors, evaluations, chosen):
        model = clv.PURCHASE_MODELS[key]
        if key not in fits:
            return {"model": key, "note": errors.get(key), "chosen": False}
        result, _penalizer = fits[key]
        evaluation = evaluations.get(key) or {}
        value = evaluation.get("improvement")
        return {
            "model": key,
            "chosen": key == chosen,
            "log_likelihood": result.log_likelihood,
            "parameters": ", ".join(
                f"{name} = {result.params[name]:.4g}" for name in model.params
            ),
            "holdout_error": evaluation.get("error") or 0.0,
            "baseline_error": evaluation.get("baseline_error") or 0.0,
            "improvement": 100 * value if value is not None else 0.0,
            "grade": clv.grade(value),
            "note": evaluation.get("note") or False,
        }

    def _fit_values(self, summaries, purchase=None):
        """Field values of the purchase model (``purchase`` = (key, FitResult,
        penalizer); by default this fit's model, fitted here) and of the spend
        model. Parameters the chosen model does not have are zero."""
        x, t_x, T, m = (summaries[key] for key in ("x", "t_x", "T", "m"))
        if purchase is None:
            horizon = self.company_id.clv_horizon_months * clv.DAYS_PER_MONTH
            purchase = (
                self.model,
                *self._fit_purchase(
                    self.model, x, t_x, T, horizon / TIME_UNITS[self.time_unit]
                ),
            )
        key, result, penalizer = purchase
        params = dict.fromkeys(PURCHASE_FIELDS, 0.0) | result.params
        spenders = (x > 0) & (m > 0)
        population_spend = float(m[spenders].mean()) if spenders.any() else 0.0
        base = {
            "model": key,
            **params,
            "log_likelihood": result.log_likelihood,
            "population_spend": population_spend,
            "customer_count": len(x),
            "repeat_customer_count": int((x > 0).sum()),
        }
        try:
            spend, spend_penalizer = self._fit_penalized(
                clv.fit_gamma_gamma, x[spenders], m[spenders]
            )
        except ValueError as error:
            # Purchases can still be predicted: the value falls back on observed means.
            return {
                **base,
                "penalizer": penalizer,
                "spend_model": "observed",
                "spend_note": _(
                    "The spend model does not fit (%s): expected spend is each "
                    "customer's own mean, or everyone's for one-time buyers.",
                    error,
                ),
                "p": 0.0,
                "q": 0.0,
                "gamma": 0.0,
                "spend_log_likelihood": 0.0,
            }
        return {
            **base,
            "spend_model": "gamma_gamma",
            "spend_note": False,
            "penalizer": max(penalizer, spend_penalizer),
            "p": spend.params["p"],
            "q": spend.params["q"],
            "gamma": spend.params["gamma"],
            "spend_log_likelihood": spend.log_likelihood,
        }

    def _fit_penalized(self, fit_function, *columns, check=None, penalizers=PENALIZERS):
        """Maximum likelihood first. When a small history does not settle the
        parameters (they drift off without converging, or to values whose
        predictions overflow), a small penalty on their size, as the lifetimes
        library advises for small samples; the smallest one that works is kept."""
        for penalizer in penalizers:
            last = penalizer == penalizers[-1]
            try:
                result = fit_function(*columns, penalizer=penalizer)
            except ValueError as error:
                if "did not converge" not in str(error) or last:
                    raise
                continue
            if check is None or check(result.params):
                return result, penalizer
            if last:
                raise ValueError(
                    self.env._(
                        "the fitted model gives no finite prediction for some customers"
                    )
                )
        raise AssertionError("unreachable")

    @staticmethod
    def _purchase_check(key, x, t_x, T, t):
        """Whether the parameters of purchase model ``key`` predict finite
        purchases for these customers."""
        model = clv.PURCHASE_MODELS[key]

        def check(params):
            with np.errstate(all="ignore"):
                expected = model.expected_purchases(params, t, x, t_x, T)
                alive = model.p_alive(params, x, t_x, T)
            return bool(np.isfinite(expected).all() and np.isfinite(alive).all())

        return check

    @staticmethod
    def _bgnbd_check(x, t_x, T, t):
        """Whether the BG/NBD parameters predict finite purchases for these
        customers."""
        return CrmClvFit._purchase_check("bgnbd", x, t_x, T, t)

    def _last_purchase_day(self):
        """The company's last invoice day, read where the summaries are read (the
        replica when there is one): the hold-out and the history agree."""
        query = SQL(
            """SELECT MAX(invoice_date) FROM account_move
                WHERE company_id = %s AND move_type = 'out_invoice'
                  AND state = 'posted'""",
            self.company_id.id,
        )
        with self.env["crm.kpi"]._read_env() as env:
            env.cr.execute(query)
            return env.cr.fetchone()[0]

    # ------------------------------------------------------------
    # HOLD-OUT CHECK AND GRADES
    # ------------------------------------------------------------

    def _holdout_period(self, summaries):
        """(before, start, end, refit, note): the customers' history at the start
        of the hold-out, its days, whether the models must be refitted on that
        history, and why there is no hold-out (``before`` is None then).

        When invoices exist after the calibration date, the hold-out is the days
        from the calibration date to the last invoice, as in the papers, checked
        with this fit's own parameters. Otherwise (a fit calibrated today) the
        models are refitted on the history before the last ``holdout_days``, and
        checked on them. Invoices dated after the company's today (invoiced
        ahead) do not count: days to come cannot be a hold-out."""
        last_day = self._last_purchase_day()
        today = self.company_id._crm_today()
        if last_day and last_day > today:
            last_day = today
        if last_day and last_day > self.calibration_date:
            return summaries, self.calibration_date, last_day, False, None
        if self.holdout_days <= 0:
            return None, None, None, False, _("No hold-out days.")
        start = self.calibration_date - timedelta(days=self.holdout_days)
        return self._summaries(start), start, self.calibration_date, True, None

    def _holdout_evaluations(self, summaries, fits):
        """Per candidate key: the hold-out predictions of each purchase model and
        their error against the naive baseline, and the hold-out itself (a dict
        with ``before``, ``start``, ``end``, ``actual``, ``revenue``, ``baseline``,
        ``refit``, ``note``).

        Error: mean absolute error per customer of predicted against actual repeat
        purchases over the hold-out days."""
        before, start, end, refit, note = self._holdout_period(summaries)
        holdout = {"before": before, "start": start, "end": end, "note": note}
        if before is None:
            return {}, holdout
        if not len(before["x"]):
            holdout.update(before=None, note=_("No customer before the hold-out."))
            return {}, holdout
        unit = TIME_UNITS[self.time_unit]
        t = (end - start).days / unit
        x, t_x, T = before["x"], before["t_x"], before["T"]
        actual, revenue = self._holdout_actuals(before["partner_ids"], start, end)
        baseline = clv.baseline_expected_purchases(t, x, T)
        baseline_error = clv.mean_absolute_error(baseline, actual)
        holdout.update(actual=actual, revenue=revenue, baseline=baseline, t=t)
        evaluations = {}
        for key, (result, _penalizer) in fits.items():
            model = clv.PURCHASE_MODELS[key]
            params = result.params
            if refit:
                try:
                    # the shorter history needs at least the penalty the whole one
                    # needed: the attempts below it would run off again, slowly
                    params = self._fit_purchase(
                        key,
                        x,
                        t_x,
                        T,
                        t,
                        min_penalizer=fits[key][1],
                        start=result.params,
                    )[0].params
                except ValueError as error:
                    evaluations[key] = {
                        "note": _(
                            "The history before the hold-out days does not fit: %s",
                            error,
                        )
                    }
                    continue
            with np.errstate(all="ignore"):
                predicted = model.expected_purchases(params, t, x, t_x, T)
            if not np.isfinite(predicted).all():
                _logger.info("CLV fit %s: hold-out parameters %s", self.id, params)
                evaluations[key] = {
                    "note": _(
                        "The model gives no finite prediction over the hold-out "
                        "days: too little history to check."
                    )
                }
                continue
            error = clv.mean_absolute_error(predicted, actual)
            evaluations[key] = {
                "params": params,
                "predicted": predicted,
                "error": error,
                "baseline_error": baseline_error,
                # a hold-out without a purchase is no evidence: a model that
                # predicts next to nothing would beat the baseline on it
                "improvement": clv.improvement(error, baseline_error)
                if actual.any()
                else None,
            }
        holdout["refit"] = refit
        return evaluations, holdout

    def _holdout_spend(self, holdout, values):
        """Gamma-Gamma parameters for the hold-out customers: this fit's own, or
        refitted on the history before the hold-out; None when it does not fit.
        When it did not fit the whole history it is not tried on less: the failed
        attempt is the slow part of a fit."""
        if values.get("spend_model") != "gamma_gamma":
            return None
        if not holdout["refit"]:
            return {name: values[name] for name in clv.GAMMA_GAMMA_PARAMS}
        before = holdout["before"]
        x, m = before["x"], before["m"]
        spenders = (x > 0) & (m > 0)
        try:
            return self._fit_penalized(clv.fit_gamma_gamma, x[spenders], m[spenders])[
                0
            ].params
        except ValueError:
            return None

    def _holdout_values(self, holdout, evaluation, values):
        """Hold-out lines per frequency group and the three grades, for the chosen
        purchase model's ``evaluation``."""
        none = {
            "holdout_line_ids": [(5, 0, 0)],
            "holdout_error": 0.0,
            "holdout_mae": 0.0,
            "baseline_mae": 0.0,
            "improvement": 0.0,
            "grade": False,
            "spend_improvement": 0.0,
            "spend_grade": False,
            "value_improvement": 0.0,
            "value_grade": False,
            "holdout_start": holdout["start"],
            "holdout_end": holdout["end"],
        }
        if holdout["before"] is None or not evaluation or "error" not in evaluation:
            note = holdout["note"] or (evaluation or {}).get("note")
            return {**none, "holdout_note": note, "grade_note": note}
        before, actual = holdout["before"], holdout["actual"]
        predicted, baseline = evaluation["predicted"], holdout["baseline"]
        groups = np.minimum(before["x"], FREQUENCY_GROUPS).astype(int)
        lines = []
        for group in range(FREQUENCY_GROUPS + 1):
            members = groups == group
            if not members.any():
                continue
            lines.append(
                (
                    0,
                    0,
                    {
                        "frequency": group,
                        "customers": int(members.sum()),
                        "actual": float(actual[members].mean()),
                        "predicted": float(predicted[members].mean()),
                        "baseline": float(baseline[members].mean()),
                        "error": clv.mean_absolute_error(
                            predicted[members], actual[members]
                        ),
                        "baseline_error": clv.mean_absolute_error(
                            baseline[members], actual[members]
                        ),
                    },
                )
            )
        total_actual = actual.sum()
        total_error = (
            (predicted.sum() - total_actual) / total_actual * 100
            if total_actual
            else 0.0
        )
        improvement = evaluation["improvement"]
        result = {
            **none,
            "holdout_line_ids": [(5, 0, 0), *lines],
            "holdout_error": total_error,
            "holdout_mae": evaluation["error"],
            "baseline_mae": evaluation["baseline_error"],
            "improvement": 100 * improvement if improvement is not None else 0.0,
            "grade": clv.grade(improvement) or False,
            "holdout_note": False,
            "grade_note": False
            if improvement is not None
            else _(
                "Nobody bought during the hold-out days: there is no evidence to "
                "grade the model on."
            )
            if not total_actual
            else _(
                "The naive baseline made no error over the hold-out: there is "
                "nothing to grade against."
            ),
        }
        grades = self._value_grades(holdout, predicted, values)
        notes = [result["grade_note"], grades.pop("grade_note", False)]
        result.update(grades, grade_note=" ".join(filter(None, notes)) or False)
        return result

    def _value_grades(self, holdout, predicted, values):
        """Spend and lifetime value grades over the hold-out.

        Spend: on customers with repeat purchases before the hold-out and purchases
        in it, the Gamma-Gamma expected spend per occasion against the mean spend
        of their hold-out occasions, the baseline being their own past mean.
        Value: on the top 20 % of customers by predicted value over the hold-out
        (expected purchases times expected spend), that value against their
        hold-out revenue, the baseline being their past rate times their own mean.
        """
        before, actual, revenue = (
            holdout["before"],
            holdout["actual"],
            holdout["revenue"],
        )
        x, m = before["x"], np.maximum(before["m"], 0.0)
        spend = self._holdout_spend(holdout, values)
        repeat = x > 0
        if spend:
            expected_value = clv.gamma_gamma_expected_value(
                spend, x, np.where(repeat, m, 0)
            )
        else:
            expected_value = np.where(repeat, m, values.get("population_spend") or 0.0)
        result = {}
        notes = []
        buyers = repeat & (actual > 0) & (m > 0)
        if not spend:
            notes.append(_("No spend grade: the spend model does not fit."))
        elif not buyers.any():
            notes.append(
                _("No spend grade: no repeat customer bought during the hold-out.")
            )
        else:
            spent = revenue[buyers] / actual[buyers]
            spend_improvement = clv.improvement(
                clv.mean_absolute_error(expected_value[buyers], spent),
                clv.mean_absolute_error(m[buyers], spent),
            )
            result["spend_improvement"] = (
                100 * spend_improvement if spend_improvement is not None else 0.0
            )
            result["spend_grade"] = clv.grade(spend_improvement) or False
        value = predicted * expected_value
        top = clv.top_share(value)
        value_improvement = None
        if not revenue.any():
            # no evidence: a value predicted near nothing would beat the baseline
            notes.append(_("No value grade: nobody bought during the hold-out."))
        else:
            value_improvement = clv.improvement(
                clv.mean_absolute_error(value[top], revenue[top]),
                clv.mean_absolute_error(
                    holdout["baseline"][top] * m[top], revenue[top]
                ),
            )
        result["value_improvement"] = (
            100 * value_improvement if value_improvement is not None else 0.0
        )
        result["value_grade"] = clv.grade(value_improvement) or False
        if notes:
            result["grade_note"] = " ".join(notes)
        return result

    # ------------------------------------------------------------
    # DATA
    # ------------------------------------------------------------

    def _summaries(self, until, partner_ids=None):
        """The RFM summaries of the company's customers from their purchase
        occasions up to ``until``, as numpy columns, from one query.

        Read on a read-only cursor (the replica when there is one)."""
        self.ensure_one()
        unit = TIME_UNITS[self.time_unit]
        partner_filter = (
            SQL("AND m.commercial_partner_id = ANY(%s)", list(partner_ids))
            if partner_ids is not None
            else SQL()
        )
        query = SQL(
            """
            WITH occasions AS (
                SELECT m.commercial_partner_id AS partner_id,
                       m.invoice_date AS day,
                       SUM(m.amount_untaxed_signed) AS amount,
                       ROW_NUMBER() OVER (
                           PARTITION BY m.commercial_partner_id ORDER BY m.invoice_date
                       ) AS n
                  FROM account_move m
                 WHERE m.company_id = %(company)s
                   AND m.move_type = 'out_invoice'
                   AND m.state = 'posted'
                   AND m.invoice_date <= %(until)s
                   %(partner_filter)s
                 GROUP BY m.commercial_partner_id, m.invoice_date
            )
            SELECT partner_id,
                   COUNT(*) - 1 AS x,
                   (MAX(day) - MIN(day))::float AS recency_days,
                   (%(until)s::date - MIN(day))::float AS age_days,
                   COALESCE(AVG(amount) FILTER (WHERE n > 1), 0) AS m
              FROM occasions
             GROUP BY partner_id
             ORDER BY partner_id
            """,
            company=self.company_id.id,
            until=until,
            partner_filter=partner_filter,
        )
        with self.env["crm.kpi"]._read_env() as env:
            env.cr.execute(query)
            rows = env.cr.fetchall()
        if not rows:
            empty = np.zeros(0)
            return {
                "partner_ids": np.zeros(0, dtype=int),
                "x": empty,
                "t_x": empty,
                "T": empty,
                "m": empty,
            }
        data = np.array(rows, dtype=float)
        return {
            "partner_ids": data[:, 0].astype(int),
            "x": data[:, 1],
            "t_x": data[:, 2] / unit,
            "T": data[:, 3] / unit,
            "m": data[:, 4],
        }

    def _holdout_actuals(self, partner_ids, start, end):
        """Purchase occasions (distinct invoice days) and untaxed revenue of each
        partner in (start, end], aligned on ``partner_ids``, from one query."""
        query = SQL(
            """
            SELECT m.commercial_partner_id, COUNT(DISTINCT m.invoice_date),
                   SUM(m.amount_untaxed_signed)
              FROM account_move m
             WHERE m.company_id = %s AND m.move_type = 'out_invoice'
               AND m.state = 'posted'
               AND m.invoice_date > %s AND m.invoice_date <= %s
               AND m.commercial_partner_id = ANY(%s)
             GROUP BY m.commercial_partner_id
            """,
            self.company_id.id,
            start,
            end,
            [int(i) for i in partner_ids],
        )
        with self.env["crm.kpi"]._read_env() as env:
            env.cr.execute(query)
            rows = {
                partner: (count, amount) for partner, count, amount in env.cr.fetchall()
            }
        pairs = np.array(
            [rows.get(int(i), (0, 0.0)) for i in partner_ids], dtype=float
        ).reshape(-1, 2)
        return pairs[:, 0], pairs[:, 1]

    def _purchases_between(self, partner_ids, start, end):
        """Purchase occasions of each partner in (start, end], aligned on
        ``partner_ids``."""
        return self._holdout_actuals(partner_ids, start, end)[0]

    # ------------------------------------------------------------
    # PREDICTION
    # ------------------------------------------------------------

    def _params(self):
        self.ensure_one()
        if self.state != "done":
            raise UserError(
                _("The fit “%s” has not succeeded: it cannot predict.", self.name)
            )
        spend = (
            {"p": self.p, "q": self.q, "gamma": self.gamma}
            if self.spend_model == "gamma_gamma"
            else None
        )
        names = clv.PURCHASE_MODELS[self.model].params
        return ({name: self[name] for name in names}, spend)

    def predict(self, partners, horizon_days, as_of=None):
        """Per partner id: ``p_alive``, ``expected_purchases`` over the next
        ``horizon_days`` and ``expected_value`` (the expected mean spend of an
        occasion), from the partners' history up to ``as_of`` (by default the
        calibration date), by the fit's purchase model (``model``). Partners
        without a purchase are left out."""
        bgnbd, spend = self._params()
        as_of = fields.Date.to_date(as_of) if as_of else self.calibration_date
        data = self._summaries(as_of, partner_ids=partners.commercial_partner_id.ids)
        columns = self._predict_columns(data, bgnbd, spend, horizon_days)
        return {
            int(partner_id): {
                "p_alive": float(columns["p_alive"][i]),
                "expected_purchases": float(columns["expected_purchases"][i]),
                "expected_value": float(columns["expected_value"][i]),
            }
            for i, partner_id in enumerate(data["partner_ids"])
        }

    def _p_alive_curves(self, partner_ids, as_of, past_months=24, months_ahead=12):
        """``{commercial id: (offsets, p_alive)}``: each customer's probability of
        still being a customer, by the fit's purchase model (``model``), month by
        month (of :data:`clv.DAYS_PER_MONTH` days) from its last purchase (at most
        ``past_months`` back) to ``months_ahead`` after ``as_of``, if it buys
        nothing more. ``offsets`` are in months from ``as_of`` (0 is ``as_of``,
        whose value is the score row's P(alive) as of that day). One query."""
        self.ensure_one()
        params, _spend = self._params()
        model = clv.PURCHASE_MODELS[self.model]
        step = clv.DAYS_PER_MONTH / TIME_UNITS[self.time_unit]
        data = self._summaries(as_of, partner_ids=partner_ids)
        curves = {}
        for i, partner_id in enumerate(data["partner_ids"]):
            x, t_x, T = data["x"][i], data["t_x"][i], data["T"][i]
            since = min(int(np.floor((T - t_x) / step)), past_months)
            offsets = np.arange(-since, months_ahead + 1)
            ages = T + offsets * step
            with np.errstate(all="ignore"):
                alive = model.p_alive(
                    params, np.full(ages.shape, x), np.full(ages.shape, t_x), ages
                )
            curves[int(partner_id)] = (offsets.tolist(), np.asarray(alive).tolist())
        return curves

    def _predict_columns(
        self, data, bgnbd, spend, horizon_days, months=0, discount=0.0, margin=1.0
    ):
        unit = TIME_UNITS[self.time_unit]
        x, t_x, T = data["x"], data["t_x"], data["T"]
        m = np.where(x > 0, np.maximum(data["m"], 0.0), 0.0)
        if spend:
            value = clv.gamma_gamma_expected_value(spend, x, m)
        else:
            # the spend model did not fit: the customer's own mean, or everyone's
            value = np.where(x > 0, m, self.population_spend)
        model = clv.PURCHASE_MODELS[self.model]
        result = {
            "p_alive": model.p_alive(bgnbd, x, t_x, T),
            "expected_purchases": model.expected_purchases(
                bgnbd, horizon_days / unit, x, t_x, T
            ),
            "expected_value": value,
        }
        if months:
            # tools.clv.clv() with the spend the fit has (the Gamma-Gamma value, or
            # the customer's own mean when the spend model did not fit)
            purchases = clv.discounted_purchases(
                bgnbd, x, t_x, T, months, discount, unit, model=self.model
            )
            result["clv"] = purchases * value * margin
        return result

    # ------------------------------------------------------------
    # SCORES
    # ------------------------------------------------------------

    def _write_scores(self, as_of=None, batch_size=10000):
        """Write P(alive), expected purchases and predicted lifetime value on the
        company's score rows, in batches of one UPDATE each."""
        self.ensure_one()
        company = self.company_id
        bgnbd, spend = self._params()
        as_of = fields.Date.to_date(as_of) if as_of else company._crm_today()
        data = self._summaries(as_of)
        horizon_days = company.clv_horizon_months * clv.DAYS_PER_MONTH
        columns = self._predict_columns(
            data,
            bgnbd,
            spend,
            horizon_days,
            months=company.clv_horizon_months,
            discount=company.clv_monthly_discount,
            margin=company.clv_margin_share,
        )
        Score = self.env["crm.relationship.score"]
        Score.flush_model()
        partner_ids = data["partner_ids"].tolist()
        for start in range(0, len(partner_ids), batch_size):
            chunk = slice(start, start + batch_size)
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE crm_relationship_score score
                       SET p_alive = v.p_alive,
                           expected_purchases = v.expected_purchases,
                           predicted_clv = v.clv,
                           clv_fit_id = %(fit)s
                      FROM unnest(%(partners)s::int[], %(alive)s::float[],
                                  %(purchases)s::float[], %(clv)s::float[])
                           AS v(partner_id, p_alive, expected_purchases, clv)
                     WHERE score.company_id = %(company)s
                       AND score.partner_id = v.partner_id
                    """,
                    fit=self.id,
                    company=company.id,
                    partners=partner_ids[chunk],
                    alive=columns["p_alive"][chunk].tolist(),
                    purchases=columns["expected_purchases"][chunk].tolist(),
                    clv=columns["clv"][chunk].tolist(),
                )
            )
        Score.invalidate_model(
            ["p_alive", "expected_purchases", "predicted_clv", "clv_fit_id"]
        )
        Score._apply_model_churn(company)
        return len(partner_ids)

    @api.model
    def _demo_fit(self):
        """The demo company's first fit and predictions, the spend change of its
        scores (written by the scoring runs, which ran before this addon was
        installed) and its churn drivers fit (no commit: at install)."""
        company = self.env.company
        fit = self.fit_company(company)
        if fit.state == "done":
            fit._write_scores()
        self.env["crm.relationship.score"]._apply_spend_change(company)
        self.env["crm.churn.driver.fit"].fit_company(company)
        return fit

    @api.model
    @in_user_language
    def _cron_refit(self, companies=None):
        """Monthly: refit every company that has customer invoices (or those of
        ``companies``), then rescore it."""
        domain = [("move_type", "=", "out_invoice"), ("state", "=", "posted")]
        if companies is not None:
            domain.append(("company_id", "in", companies.ids))
        companies = [
            company
            for (company,) in self.env["account.move"]
            # sudo: the cron looks at every company's invoices
            .sudo()
            ._read_group(domain, ["company_id"])
        ]

        def fit_one(company):
            fit = self.fit_company(company)
            if fit.state == "done":
                fit._write_scores()

        self._refit_companies(companies, fit_one)

    @api.model
    @in_user_language
    def _cron_rescore(self, companies=None):
        """Daily: predictions of each company's fit in use (or of ``companies``'),
        from today's history; a company's batch is run again after a concurrency
        failure (see ``tools.cron.run_batch``)."""
        domain = [("is_current", "=", True)]
        if companies is not None:
            domain.append(("company_id", "in", companies.ids))
        fits = self.search(domain)
        for done, fit in enumerate(fits, start=1):
            cron.run_batch(self.env, fit._write_scores, done, len(fits) - done)
