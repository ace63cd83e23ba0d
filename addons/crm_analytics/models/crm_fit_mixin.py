from odoo import fields, models


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
