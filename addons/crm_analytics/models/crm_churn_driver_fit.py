import logging
import time

import numpy as np

from odoo import _, api, fields, models
from odoo.tools import SQL

from odoo.addons.crm_relationship.tools.cron import in_user_language

from ..tools import survival

_logger = logging.getLogger(__name__)

#: the covariates of the drivers model: each a column of the survival table read
#: from the score row, and the department function that can act on it
DRIVERS = {
    "late_payment": "finance",
    "late_delivery": "logistics",
    "returns": "logistics",
    "complaints": "service",
    "sla_breach": "service",
    "detractor": "service",
    "discount": "sales",
    "tier": "sales",
}
#: tiers A (best) to F, as steps down from A
TIER_RANK = SQL(
    "array_position(ARRAY['A', 'B', 'C', 'D', 'E', 'F']::varchar[], score.tier) - 1"
)


class CrmChurnDriverFit(models.Model):
    """A Cox proportional-hazards model of the time to churn of a company's scored
    customers, on the health traits of their score rows (Cox, 1972; fitted by
    lifelines, see ``tools/survival.py``).

    Subjects: the company's score rows with a churn state and a purchase inside
    the row's scoring window (``date_ref - window_days``, exclusive, to
    ``date_ref``): the traits on the row are measured over that window, so a
    customer who left before it would show none of them and make every trait look
    protective. Duration: from the first posted customer invoice to the last one
    when the churn state is "lost" (the event: the customer was last seen buying
    then), else to the row's reference date (censored: still a customer then), in
    days, the first day included; each subject enters the risk set at the window's
    start (left truncation: it was a customer then). Covariates, 0/1 traits unless
    said: pays late (an invoice paid late, or one overdue now), late deliveries
    (fewer on-time deliveries than deliveries), returns, complaints, SLA breaches
    (in the scoring window, as on the row), NPS detractor (latest answer),
    discounts (a posted invoice line with a discount, whole history), and the tier
    as the number of steps below A (the tier follows the health score, which
    includes recency: read its ratio as the score's own check more than a
    cause). A failed fit keeps its reason; the previous fit stays in use.
    """

    _name = "crm.churn.driver.fit"
    _description = "Churn drivers model fit"
    _inherit = ["mail.thread", "crm.fit.mixin"]
    _order = "date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    date = fields.Date(
        "Fitted on the scores of",
        required=True,
        default=lambda self: self.env.company._crm_today(),
    )
    is_current = fields.Boolean(
        help="The company's latest successful fit: the drivers the dashboards show.",
    )
    date_fitted = fields.Datetime("Fitted at", readonly=True)
    duration = fields.Float("Fit time (s)", readonly=True, digits=(16, 2))
    subject_count = fields.Integer(
        "Customers", readonly=True, help="Scored customers with a first purchase."
    )
    event_count = fields.Integer(
        "Churned", readonly=True, help="Customers whose churn state is lost."
    )
    concordance = fields.Float(
        readonly=True,
        help="Share of pairs of customers whose order of churn the model ranks "
        "right: 0.5 is chance, 1 perfect (Harrell's C).",
    )
    dropped_note = fields.Char(
        "Left out",
        readonly=True,
        help="Health traits left out of the model: every customer shares them, "
        "they repeat another trait customer by customer, or they separate the "
        "churned customers (all or none of those with the trait churned: no ratio "
        "can be estimated).",
    )
    driver_ids = fields.One2many("crm.churn.driver", "fit_id", "Drivers", readonly=True)

    @api.depends("company_id", "date")
    def _compute_name(self):
        for fit in self:
            fit.name = _(
                "%(company)s, %(date)s", company=fit.company_id.name, date=fit.date
            )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_fit(self):
        for fit in self:
            fit._fit()

    @api.model
    def action_fit_now(self):
        """The "Fit now" button: a new fit of the current company's scores."""
        fit = self.fit_company(self.env.company)
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": fit.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_open_drivers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_analytics.crm_churn_driver_action"
        )
        action["domain"] = [("fit_id", "=", self.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------
    # FITTING
    # ------------------------------------------------------------

    @api.model
    def fit_company(self, company):
        """Fit the drivers of ``company`` on its score rows as they are. Always
        returns the fit: ``state`` says whether it worked, ``failure_reason`` why
        not; after a failure the previous fit stays in use."""
        fit = self.create({"company_id": company.id, "date": company._crm_today()})
        fit._fit()
        return fit

    def _fit(self):
        self.ensure_one()
        started = time.monotonic()
        table = self._survival_table()
        try:
            result = survival.fit_cox(
                table["durations"],
                table["events"],
                table["covariates"],
                entries=table["entries"],
            )
        except ValueError as error:
            self.write(
                {
                    "state": "failed",
                    "failure_reason": self._failure_words(table, error),
                    "date_fitted": fields.Datetime.now(),
                    "subject_count": len(table["events"]),
                    "event_count": int(table["events"].sum()),
                    "driver_ids": [(5, 0, 0)],
                }
            )
            self._message_log(body=_("The fit failed: %s", self.failure_reason))
            return False
        Driver = self.env["crm.churn.driver"]
        labels = dict(Driver._fields["covariate"]._description_selection(self.env))
        self.write(
            {
                "state": "done",
                "failure_reason": False,
                "date_fitted": fields.Datetime.now(),
                "duration": time.monotonic() - started,
                "subject_count": result.n_subjects,
                "event_count": result.n_events,
                "concordance": result.concordance,
                "dropped_note": ", ".join(labels[name] for name in result.dropped)
                or False,
                "driver_ids": [(5, 0, 0)]
                + [
                    (
                        0,
                        0,
                        {
                            "covariate": covariate.name,
                            "crm_function": DRIVERS[covariate.name],
                            "hazard_ratio": covariate.hazard_ratio,
                            "ci_low": covariate.ci_low,
                            "ci_high": covariate.ci_high,
                            "p_value": covariate.p_value,
                            "ph_p_value": covariate.ph_p_value,
                        },
                    )
                    for covariate in result.covariates
                ],
            }
        )
        self._message_log(
            body=_(
                "Fitted on %(subjects)s customers, %(events)s churned.",
                subjects=result.n_subjects,
                events=result.n_events,
            )
        )
        return True

    def _failure_words(self, table, error):
        events = int(table["events"].sum())
        if events < survival.MIN_EVENTS:
            return _(
                "Only %(events)s of %(subjects)s scored customers are lost: the "
                "drivers need at least %(minimum)s churned customers.",
                events=events,
                subjects=len(table["events"]),
                minimum=survival.MIN_EVENTS,
            )
        if "same value" in str(error):
            return _(
                "Every customer has the same health traits: nothing tells the "
                "churned customers apart."
            )
        if "converge" in str(error):
            return _(
                "The model does not converge: a health trait probably separates "
                "the churned customers from the others completely."
            )
        return str(error)

    # ------------------------------------------------------------
    # DATA
    # ------------------------------------------------------------

    def _survival_table(self):
        """The subjects' durations (days), events and covariates as numpy columns,
        from one query over the company's score rows. Read on a read-only cursor
        (the replica when there is one)."""
        self.ensure_one()
        query = SQL(
            """
            WITH discounted AS (
                SELECT DISTINCT m.commercial_partner_id AS partner_id
                  FROM account_move_line line
                  JOIN account_move m ON m.id = line.move_id
                 WHERE m.company_id = %(company)s
                   AND m.move_type = 'out_invoice'
                   AND m.state = 'posted'
                   AND line.display_type = 'product'
                   AND line.discount > 0
            )
            SELECT score.first_invoice_date - DATE '0001-01-01' + 1,
                   score.last_invoice_date - DATE '0001-01-01' + 1,
                   COALESCE(score.date_ref, score.last_invoice_date)
                       - DATE '0001-01-01' + 1,
                   score.churn_state = 'lost',
                   score.date_ref - COALESCE(score.window_days, 0)
                       - DATE '0001-01-01' + 1,
                   (COALESCE(score.late_invoice_count, 0) > 0
                    OR COALESCE(score.overdue_invoice_count, 0) > 0)::int,
                   (COALESCE(score.delivery_count, 0)
                    > COALESCE(score.on_time_delivery_count, 0))::int,
                   (COALESCE(score.return_count, 0) > 0)::int,
                   (COALESCE(score.complaint_count, 0) > 0)::int,
                   (COALESCE(score.complaint_breach_count, 0) > 0)::int,
                   (score.nps_category IS NOT DISTINCT FROM 'detractor')::int,
                   (discounted.partner_id IS NOT NULL)::int,
                   COALESCE(%(tier_rank)s, 5)
              FROM crm_relationship_score score
              LEFT JOIN discounted ON discounted.partner_id = score.partner_id
             WHERE score.company_id = %(company)s
               AND score.first_invoice_date IS NOT NULL
               AND score.last_invoice_date IS NOT NULL
               AND score.churn_state IS NOT NULL
               AND score.date_ref IS NOT NULL
               AND (score.window_days IS NULL
                    OR score.last_invoice_date > score.date_ref - score.window_days)
            """,
            company=self.company_id.id,
            tier_rank=TIER_RANK,
        )
        self.env["crm.relationship.score"].flush_model()
        with self.env["crm.kpi"]._read_env() as env:
            env.cr.execute(query)
            rows = env.cr.fetchall()
        data = np.array(rows, dtype=float).reshape(-1, 5 + len(DRIVERS))
        # day numbers are date.toordinal(): first, last, reference, window start
        # (the reference day itself when the row has no window: no delayed entry)
        window_start = np.where(
            data[:, 4] == data[:, 2], np.minimum(data[:, 0] - 1, data[:, 4]), data[:, 4]
        )
        durations, events, entries = survival.survival_table(
            data[:, 0], data[:, 1], data[:, 2], data[:, 3], window_start=window_start
        )
        return {
            "durations": durations,
            "events": events,
            "entries": entries,
            "covariates": {name: data[:, 5 + i] for i, name in enumerate(DRIVERS)},
        }

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    @in_user_language
    def _cron_refit(self):
        """Monthly: fit the drivers of every company with scored customers, one
        committed company at a time."""
        companies = [
            company
            for (company,) in self.env["crm.relationship.score"]
            # sudo: the cron looks at every company's scores
            .sudo()
            ._read_group([("churn_state", "!=", False)], ["company_id"])
        ]
        self._refit_companies(companies, self.fit_company)
