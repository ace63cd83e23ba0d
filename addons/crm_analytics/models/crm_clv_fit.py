import logging
import time
from datetime import timedelta

import numpy as np

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.crm_relationship.tools import cron

from ..tools import clv

_logger = logging.getLogger(__name__)

TIME_UNITS = {"day": 1, "week": 7}
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
    _inherit = ["mail.thread"]
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
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Fitted"), ("failed", "Failed")],
        default="draft",
        required=True,
        tracking=True,
    )
    is_current = fields.Boolean(
        "In use",
        compute="_compute_is_current",
        search="_search_is_current",
        help="The company's latest successful fit: the one predictions come from.",
    )
    failure_reason = fields.Text(readonly=True)
    date_fitted = fields.Datetime("Fitted on", readonly=True)
    duration = fields.Float("Fit time (s)", readonly=True, digits=(16, 2))
    customer_count = fields.Integer("Customers", readonly=True)
    repeat_customer_count = fields.Integer("Repeat customers", readonly=True)
    # BG/NBD
    r = fields.Float(readonly=True)
    alpha = fields.Float(readonly=True)
    a = fields.Float(readonly=True)
    b = fields.Float(readonly=True)
    log_likelihood = fields.Float(readonly=True, digits=(16, 2))
    penalizer = fields.Float(
        readonly=True,
        help="0 for a plain maximum likelihood fit; otherwise the smallest penalty on "
        "the parameters' size that let a small history converge.",
    )
    # Gamma-Gamma
    p = fields.Float(readonly=True)
    q = fields.Float(readonly=True)
    gamma = fields.Float(readonly=True)
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

    @api.depends("company_id", "calibration_date")
    def _compute_name(self):
        for fit in self:
            fit.name = _(
                "%(company)s, %(date)s",
                company=fit.company_id.name,
                date=fit.calibration_date,
            )

    def _compute_is_current(self):
        current = self._current_ids()
        for fit in self:
            fit.is_current = fit.id in current

    def _search_is_current(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        ids = list(self._current_ids())
        return [("id", "in" if (operator == "=") == value else "not in", ids)]

    def _current_ids(self):
        # sudo: which fit is current is a fact of each company, whoever asks
        rows = self.sudo()._read_group(
            [("state", "=", "done")], ["company_id"], ["id:max"]
        )
        return {fit_id for _company, fit_id in rows}

    # ------------------------------------------------------------
    # FITTING
    # ------------------------------------------------------------

    @api.model
    def fit_company(self, company, calibration_date=None, time_unit="week"):
        """Fit both models for ``company`` on its invoices up to ``calibration_date``.

        Always returns the fit record: ``state`` says whether it worked and
        ``failure_reason`` why not; the previous fit stays in use after a failure.
        """
        calibration_date = fields.Date.to_date(calibration_date or company._crm_today())
        fit = self.create(
            {
                "company_id": company.id,
                "calibration_date": calibration_date,
                "time_unit": time_unit,
                "holdout_days": company.clv_holdout_days,
            }
        )
        fit._fit()
        return fit

    def action_fit(self):
        for fit in self:
            fit._fit()

    def _fit(self):
        self.ensure_one()
        started = time.monotonic()
        summaries = self._summaries(self.calibration_date)
        try:
            values = self._fit_values(summaries)
        except ValueError as error:
            self.write(
                {
                    "state": "failed",
                    "failure_reason": str(error),
                    "date_fitted": fields.Datetime.now(),
                    "customer_count": len(summaries["x"]),
                }
            )
            self.message_post(body=_("The fit failed: %s", error))
            return False
        values.update(self._holdout_values(summaries, values))
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

    def _fit_values(self, summaries):
        x, t_x, T, m = (summaries[key] for key in ("x", "t_x", "T", "m"))
        horizon = self.company_id.clv_horizon_months * clv.DAYS_PER_MONTH
        bgnbd, penalizer = self._fit_penalized(
            clv.fit_bgnbd,
            x,
            t_x,
            T,
            check=self._bgnbd_check(x, t_x, T, horizon / TIME_UNITS[self.time_unit]),
        )
        spenders = (x > 0) & (m > 0)
        population_spend = float(m[spenders].mean()) if spenders.any() else 0.0
        try:
            spend, spend_penalizer = self._fit_penalized(
                clv.fit_gamma_gamma, x[spenders], m[spenders]
            )
        except ValueError as error:
            # Purchases can still be predicted: the value falls back on observed means.
            return {
                **bgnbd.params,
                "log_likelihood": bgnbd.log_likelihood,
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
                "population_spend": population_spend,
                "customer_count": len(x),
                "repeat_customer_count": int((x > 0).sum()),
            }
        return {
            "spend_model": "gamma_gamma",
            "spend_note": False,
            "population_spend": population_spend,
            "penalizer": max(penalizer, spend_penalizer),
            **bgnbd.params,
            "log_likelihood": bgnbd.log_likelihood,
            "p": spend.params["p"],
            "q": spend.params["q"],
            "gamma": spend.params["gamma"],
            "spend_log_likelihood": spend.log_likelihood,
            "customer_count": len(x),
            "repeat_customer_count": int((x > 0).sum()),
        }

    @staticmethod
    def _fit_penalized(fit_function, *columns, check=None):
        """Maximum likelihood first. When a small history does not settle the
        parameters (they drift off without converging, or to values whose
        predictions overflow), a small penalty on their size, as the lifetimes
        library advises for small samples; the smallest one that works is kept."""
        for penalizer in PENALIZERS:
            last = penalizer == PENALIZERS[-1]
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
                    _("the fitted model gives no finite prediction for some customers")
                )
        raise AssertionError("unreachable")

    @staticmethod
    def _bgnbd_check(x, t_x, T, t):
        """Whether the parameters predict finite purchases for these customers."""

        def check(params):
            with np.errstate(all="ignore"):
                expected = clv.bgnbd_expected_purchases(params, t, x, t_x, T)
                alive = clv.bgnbd_p_alive(params, x, t_x, T)
            return bool(np.isfinite(expected).all() and np.isfinite(alive).all())

        return check

    def _last_purchase_day(self):
        self.env.cr.execute(
            SQL(
                """SELECT MAX(invoice_date) FROM account_move
                    WHERE company_id = %s AND move_type = 'out_invoice'
                      AND state = 'posted'""",
                self.company_id.id,
            )
        )
        return self.env.cr.fetchone()[0]

    def _holdout_values(self, summaries, values):
        """Compare, per frequency group, predicted with actual repeat purchases.

        When invoices exist after the calibration date, the check is this fit's own
        predictions for the days from the calibration date to the last invoice, as
        in the papers. Otherwise (a fit calibrated today) the purchase model is
        refitted on the history before the last hold-out days, and checked on them.
        """
        none = {"holdout_line_ids": [(5, 0, 0)], "holdout_error": 0.0}
        last_day = self._last_purchase_day()
        if last_day and last_day > self.calibration_date:
            params = {name: values[name] for name in clv.BGNBD_PARAMS}
            return self._holdout_compare(
                params, summaries, self.calibration_date, last_day
            )
        if self.holdout_days <= 0:
            return {**none, "holdout_note": _("No hold-out days.")}
        start = self.calibration_date - timedelta(days=self.holdout_days)
        before = self._summaries(start)
        try:
            unit = TIME_UNITS[self.time_unit]
            params = self._fit_penalized(
                clv.fit_bgnbd,
                before["x"],
                before["t_x"],
                before["T"],
                check=self._bgnbd_check(
                    before["x"], before["t_x"], before["T"], self.holdout_days / unit
                ),
            )[0].params
        except ValueError as error:
            return {
                **none,
                "holdout_note": _(
                    "The history before the hold-out days does not fit: %s", error
                ),
            }
        return self._holdout_compare(params, before, start, self.calibration_date)

    def _holdout_compare(self, params, before, start, end):
        none = {"holdout_line_ids": [(5, 0, 0)], "holdout_error": 0.0}
        unit = TIME_UNITS[self.time_unit]
        predicted = clv.bgnbd_expected_purchases(
            params, (end - start).days / unit, before["x"], before["t_x"], before["T"]
        )
        if not np.isfinite(predicted).all():
            _logger.info("CLV fit %s: hold-out parameters %s", self.id, params)
            return {
                **none,
                "holdout_note": _(
                    "The model gives no finite prediction over the hold-out days: "
                    "too little history to check."
                ),
            }
        actual = self._purchases_between(before["partner_ids"], start, end)
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
                    },
                )
            )
        total_actual = actual.sum()
        error = (
            (predicted.sum() - total_actual) / total_actual * 100
            if total_actual
            else 0.0
        )
        return {
            "holdout_line_ids": [(5, 0, 0), *lines],
            "holdout_error": error,
            "holdout_note": False,
            "holdout_start": start,
            "holdout_end": end,
        }

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

    def _purchases_between(self, partner_ids, start, end):
        """Purchase occasions of each partner in (start, end], aligned on
        ``partner_ids``."""
        query = SQL(
            """
            SELECT m.commercial_partner_id, COUNT(DISTINCT m.invoice_date)
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
            counts = dict(env.cr.fetchall())
        return np.array([counts.get(int(i), 0) for i in partner_ids], dtype=float)

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
        return ({"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}, spend)

    def predict(self, partners, horizon_days, as_of=None):
        """Per partner id: ``p_alive``, ``expected_purchases`` over the next
        ``horizon_days`` and ``expected_value`` (the expected mean spend of an
        occasion), from the partners' history up to ``as_of`` (by default the
        calibration date). Partners without a purchase are left out."""
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
        result = {
            "p_alive": clv.bgnbd_p_alive(bgnbd, x, t_x, T),
            "expected_purchases": clv.bgnbd_expected_purchases(
                bgnbd, horizon_days / unit, x, t_x, T
            ),
            "expected_value": value,
        }
        if months:
            # tools.clv.clv() with the spend the fit has (the Gamma-Gamma value, or
            # the customer's own mean when the spend model did not fit)
            purchases = clv.discounted_purchases(
                bgnbd, x, t_x, T, months, discount, unit
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
        """The demo company's first fit and predictions (no commit: at install)."""
        fit = self.fit_company(self.env.company)
        if fit.state == "done":
            fit._write_scores()
        return fit

    @api.model
    def _cron_refit(self):
        """Monthly: refit every company that has customer invoices, then rescore it."""
        companies = [
            company
            for (company,) in self.env["account.move"]
            # sudo: the cron looks at every company's invoices
            .sudo()
            ._read_group(
                [("move_type", "=", "out_invoice"), ("state", "=", "posted")],
                ["company_id"],
            )
        ]
        for done, company in enumerate(companies, start=1):
            fit = self.fit_company(company)
            if fit.state == "done":
                fit._write_scores()
            cron.commit_progress(self.env, done, len(companies) - done)

    @api.model
    def _cron_rescore(self):
        """Daily: predictions of each company's fit in use, from today's history."""
        fits = self.search([("is_current", "=", True)])
        for done, fit in enumerate(fits, start=1):
            fit._write_scores()
            cron.commit_progress(self.env, done, len(fits) - done)
