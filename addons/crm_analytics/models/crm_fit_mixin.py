from datetime import datetime, time, timedelta

import pytz

from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.crm_relationship.tools import cron


class CrmFitMixin(models.AbstractModel):
    """A model fitted per company, of which the latest successful fit is in use.

    Holds the fit's state (draft, fitted, failed), the failure reason, and which
    fit of each company is in use: the successful one with the highest id. A failed
    fit leaves the previous one in use, and says so (``previous_in_use``).
    The inheriting model has ``company_id`` and tracks ``state`` (mail.thread).
    """

    _name = "crm.fit.mixin"
    _description = "Fitted model in use per company"

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
        help="The company's latest successful fit: the one in use.",
    )
    failure_reason = fields.Text(readonly=True)
    previous_in_use = fields.Boolean(
        compute="_compute_previous_in_use",
        help="A failed fit whose company has an earlier successful fit, still in use.",
    )

    def _compute_is_current(self):
        current = self._current_ids()
        for fit in self:
            fit.is_current = fit.id in current

    def _compute_previous_in_use(self):
        # sudo: whether a company has a fit in use is a fact of the company
        fitted = {
            company
            for (company,) in self.sudo()._read_group(
                [("state", "=", "done")], ["company_id"]
            )
        }
        for fit in self:
            fit.previous_in_use = fit.state == "failed" and fit.company_id in fitted

    def _search_is_current(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        ids = list(self._current_ids())
        return [("id", "in" if (operator == "=") == value else "not in", ids)]

    def _current_ids(self):
        """Ids of the fits in use: the latest successful fit of each company.

        :returns: set of int
        """
        # sudo: which fit is current is a fact of each company, whoever asks
        rows = self.sudo()._read_group(
            [("state", "=", "done")], ["company_id"], ["id:max"]
        )
        return {fit_id for _company, fit_id in rows}

    # ------------------------------------------------------------
    # THE MONTHLY REFIT
    # ------------------------------------------------------------
    def _refit_companies(self, companies, fit_one):
        """Call ``fit_one(company)`` for each company, one committed company at a
        time, so that no company is fitted twice by one scheduled run.

        A run killed after some companies' commits is run again from the start
        (Odoo's cron reschedules a job only once it has returned), and a second
        worker or a manual run may run it at the same time. So a company fitted
        since the start of its day (its fit committed before the crash, or by the
        other worker) is skipped, and a company being fitted right now by another
        transaction, which holds its advisory lock, is left to that transaction.

        Each company is a batch run again after a concurrency failure (a user's
        posting rescored a customer whose row the fit writes; see
        ``tools.cron.run_batch``). The lock is taken inside the batch: the
        rollback before a new try releases it, and the new try takes it again
        on its fresh snapshot, where a fit committed meanwhile is seen.
        """

        def fit_locked(company):
            if self._try_lock_company(company) and not self._fitted_today(company):
                fit_one(company)

        # a fresh transaction for the first company: the lock below and its
        # snapshot start together, so a fit committed before the lock is seen
        cron.commit_progress(self.env, 0, len(companies))
        for done, company in enumerate(companies, start=1):
            cron.run_batch(
                self.env,
                lambda company=company: fit_locked(company),
                done,
                len(companies) - done,
            )

    def _try_lock_company(self, company):
        """The transaction's advisory lock on this model's fits of ``company``,
        or False if another transaction holds it."""
        self.env.cr.execute(
            SQL(
                "SELECT pg_try_advisory_xact_lock(hashtext(%s), %s)",
                self._name,
                company.id,
            )
        )
        return self.env.cr.fetchone()[0]

    def _fitted_today(self, company):
        """Whether ``company`` has a fit (successful or not) made on its today,
        by ``date_fitted`` (each inheriting model stamps its fits)."""
        tz = pytz.timezone(company._crm_tz())
        today = company._crm_today()
        start, end = (
            tz.localize(datetime.combine(day, time.min))
            .astimezone(pytz.utc)
            .replace(tzinfo=None)
            for day in (today, today + timedelta(days=1))
        )
        # sudo: the refit looks at every company's fits
        return bool(
            self.sudo().search_count(
                [
                    ("company_id", "=", company.id),
                    ("date_fitted", ">=", start),
                    ("date_fitted", "<", end),
                ],
                limit=1,
            )
        )
