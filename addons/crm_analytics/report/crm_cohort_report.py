from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import format_date

# the oldest cohort a heat map cell may name: a century of months
MAX_MONTHS_SINCE = 1200


def _current_months_sql(companies):
    """``(company_id, month)`` rows: the first day of each company's current month,
    in the company's time zone (PostgreSQL's CURRENT_DATE is UTC's: in Shanghai
    the month would start eight hours late). The reports' queries read the
    invoices of these companies only."""
    return SQL(
        "SELECT * FROM (VALUES %s) AS this_month(company_id, month)",
        SQL(", ").join(
            SQL("(%s, %s::date)", company.id, company._crm_today().replace(day=1))
            for company in companies
        ),
    )


def _monthly_purchases_sql():
    """Customers' purchase months per company: one row per company, customer
    (commercial partner) and month with a posted customer invoice, and the
    month's untaxed revenue in the company's currency. Invoices dated after the
    current month (``this_month``, of :func:`_current_months_sql`) are left out."""
    return SQL(
        """
        SELECT move.company_id,
               move.commercial_partner_id AS partner_id,
               date_trunc('month', move.invoice_date)::date AS month,
               SUM(move.amount_untaxed_signed) AS revenue
          FROM account_move move
          JOIN this_month ON this_month.company_id = move.company_id
         WHERE move.move_type = 'out_invoice'
           AND move.state = 'posted'
           AND move.invoice_date IS NOT NULL
           AND move.commercial_partner_id IS NOT NULL
           AND move.invoice_date < this_month.month + interval '1 month'
         GROUP BY move.company_id, move.commercial_partner_id,
                  date_trunc('month', move.invoice_date)
        """
    )


class CrmCohortReport(models.Model):
    """Retention of customers by cohort: the month of their first purchase.

    A purchase occasion is a day with a posted customer invoice; a customer is
    the invoices' commercial partner, counted per company. One row per company,
    cohort month and number of months since the cohort month (0 is the cohort
    month itself), from the cohort month to the current month (whose figures
    are to date), with:

    - ``cohort_size``: customers whose first purchase fell in the cohort month;
    - ``active_customers``: those of them who bought in the row's month;
    - ``retention_rate``: ``active_customers / cohort_size × 100``, a rate read
      per cell of the matrix (cohort month × months since): its "avg" aggregator
      only gives the plain mean of rates in totals, not a pooled rate;
    - ``revenue``: the cohort's untaxed invoiced revenue in the row's month.

    ``cohort_size`` is aggregated with "max", so that a cohort's total over its
    months is its size.

    The rows are stored (:class:`CrmStoredReportMixin`): as of ``refreshed_at``,
    rewritten daily and by managers' "Refresh now".
    """

    _name = "crm.cohort.report"
    _inherit = "crm.stored.report.mixin"
    _description = "Customer cohort retention"
    _rec_name = "cohort_month"
    _order = "company_id, cohort_month desc, months_since"

    currency_id = fields.Many2one("res.currency", readonly=True)
    cohort_month = fields.Date("Cohort", readonly=True)
    month = fields.Date(readonly=True)
    months_since = fields.Integer("Months since first purchase", readonly=True)
    cohort_size = fields.Integer("Cohort size", readonly=True, aggregator="max")
    active_customers = fields.Integer("Active customers", readonly=True)
    retention_rate = fields.Float(
        "Retention (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    revenue = fields.Monetary(readonly=True)

    def init(self):
        self._refresh_if_empty()

    def _stored_report_query(self, companies):
        return SQL(
            """
            WITH this_month AS (%(this_month)s),
            monthly AS (%(monthly)s),
            firsts AS (
                SELECT company_id, partner_id, MIN(month) AS cohort_month
                  FROM monthly
                 GROUP BY company_id, partner_id
            ),
            cohorts AS (
                SELECT company_id, cohort_month, COUNT(*) AS cohort_size
                  FROM firsts
                 GROUP BY company_id, cohort_month
            ),
            grid AS (
                SELECT cohorts.company_id, cohorts.cohort_month,
                       cohorts.cohort_size, series.month::date AS month
                  FROM cohorts
                  JOIN this_month ON this_month.company_id = cohorts.company_id,
                       generate_series(cohorts.cohort_month, this_month.month,
                                       interval '1 month') AS series(month)
            ),
            activity AS (
                SELECT firsts.company_id, firsts.cohort_month, monthly.month,
                       COUNT(*) AS active_customers,
                       SUM(monthly.revenue) AS revenue
                  FROM firsts
                  JOIN monthly ON monthly.company_id = firsts.company_id
                              AND monthly.partner_id = firsts.partner_id
                 GROUP BY firsts.company_id, firsts.cohort_month, monthly.month
            )
            SELECT grid.company_id,
                   company.currency_id,
                   grid.cohort_month,
                   grid.month,
                   ((EXTRACT(YEAR FROM grid.month) * 12
                     + EXTRACT(MONTH FROM grid.month))
                    - (EXTRACT(YEAR FROM grid.cohort_month) * 12
                       + EXTRACT(MONTH FROM grid.cohort_month)))::int
                       AS months_since,
                   grid.cohort_size,
                   COALESCE(activity.active_customers, 0) AS active_customers,
                   100.0 * COALESCE(activity.active_customers, 0)
                       / grid.cohort_size AS retention_rate,
                   COALESCE(activity.revenue, 0.0) AS revenue
              FROM grid
              JOIN res_company company ON company.id = grid.company_id
              LEFT JOIN activity
                     ON activity.company_id = grid.company_id
                    AND activity.cohort_month = grid.cohort_month
                    AND activity.month = grid.month
            """,
            this_month=_current_months_sql(companies),
            monthly=_monthly_purchases_sql(),
        )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_export_xlsx(self):
        """The cohort matrix and the churn rates as an Excel workbook, for the
        companies the user works in now."""
        query = urlencode({"company_ids": ",".join(map(str, self.env.companies.ids))})
        return {
            "type": "ir.actions.act_url",
            "url": f"/crm_analytics/cohorts/xlsx?{query}",
            "target": "download",
        }

    def action_segment_mailing(self):
        """A mailing to the cohort's customers, with a control group (the segment
        mailing of crm_relationship): the customers whose first purchase, in the
        row's company, fell in the cohort month."""
        self.ensure_one()
        self.check_access("read")
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT commercial_partner_id
                  FROM account_move
                 WHERE move_type = 'out_invoice'
                   AND state = 'posted'
                   AND company_id = %s
                   AND invoice_date IS NOT NULL
                   AND commercial_partner_id IS NOT NULL
                 GROUP BY commercial_partner_id
                HAVING date_trunc('month', MIN(invoice_date))::date = %s
                """,
                self.company_id.id,
                self.cohort_month,
            )
        )
        partner_ids = [row[0] for row in self.env.cr.fetchall()]
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_score_mailing_action"
        )
        action["context"] = {
            "default_partner_ids": [Command.set(partner_ids)],
            "default_company_id": self.company_id.id,
            "default_segment": _(
                "Cohort of %(month)s",
                month=format_date(self.env, self.cohort_month, date_format="MMM y"),
            ),
        }
        return action

    @api.model
    def get_heatmap_data(self):
        """The retention matrix of the heat map (the ``crm_cohort_heatmap`` client
        action) for the companies the user works in, from one grouped read::

            {
                "cohorts": [{"month": "2025-01-01", "label": "Jan 2025",
                             "size": int,
                             "cells": [{"months_since": int, "active": int,
                                        "rate": float or None}]}],  # newest first
                "columns": [0, 1, ...],
            }

        With several companies, a cell pools them: their active customers over
        their cohort sizes."""
        self.check_access("read")
        cells = {}
        columns = 0
        for cohort_month, months_since, size, active in self._read_group(
            [("company_id", "in", self.env.companies.ids)],
            ["cohort_month:month", "months_since"],
            ["cohort_size:sum", "active_customers:sum"],
        ):
            cells[(cohort_month, months_since)] = (size, active)
            columns = max(columns, months_since + 1)
        cohorts = []
        for cohort_month in sorted({month for month, _since in cells}, reverse=True):
            size = cells[(cohort_month, 0)][0] if (cohort_month, 0) in cells else 0
            row = []
            for months_since in range(columns):
                cell = cells.get((cohort_month, months_since))
                row.append(
                    {
                        "months_since": months_since,
                        "active": cell[1] if cell else None,
                        "rate": (
                            round(100.0 * cell[1] / cell[0], 1)
                            if cell and cell[0]
                            else None
                        ),
                    }
                )
            cohorts.append(
                {
                    "month": fields.Date.to_string(cohort_month),
                    "label": format_date(self.env, cohort_month, date_format="MMM y"),
                    "size": size,
                    "cells": row,
                }
            )
        return {"cohorts": cohorts, "columns": list(range(columns))}

    @api.model
    def _heatmap_cell(self, cohort_month, months_since):
        """``(cohort month, months since)`` of a cell sent by the heat map, or a
        UserError for what no cell sends (the click is an RPC anyone can forge):
        a cohort is the first day of a month, months since a whole number from
        0 to :data:`MAX_MONTHS_SINCE`."""
        try:
            cohort = fields.Date.to_date(cohort_month)
            since = int(months_since)
        except (TypeError, ValueError):
            cohort = since = None
        if (
            not cohort
            or cohort.day != 1
            or isinstance(months_since, float)
            or since is None
            or not 0 <= since <= MAX_MONTHS_SINCE
        ):
            raise UserError(_("This cell of the heat map has no customers to open."))
        return cohort, since

    @api.model
    def action_open_cohort_customers(self, cohort_month, months_since=0):
        """The customers of one cell of the heat map, in the companies the user
        works in: those whose first purchase fell in ``cohort_month`` and who
        bought ``months_since`` months later (all the cohort for 0), from the
        posted invoices as they are now (the stored figures may be a day older)."""
        self.check_access("read")
        cohort_month, months_since = self._heatmap_cell(cohort_month, months_since)
        month = cohort_month + relativedelta(months=months_since)
        self.env["account.move"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                WITH this_month AS (%(this_month)s),
                monthly AS (%(monthly)s),
                firsts AS (
                    SELECT company_id, partner_id, MIN(month) AS cohort_month
                      FROM monthly
                     GROUP BY company_id, partner_id
                )
                SELECT DISTINCT firsts.partner_id
                  FROM firsts
                  JOIN monthly ON monthly.company_id = firsts.company_id
                              AND monthly.partner_id = firsts.partner_id
                 WHERE firsts.cohort_month = %(cohort)s AND monthly.month = %(month)s
                """,
                this_month=_current_months_sql(self.env.companies),
                monthly=_monthly_purchases_sql(),
                cohort=cohort_month,
                month=month,
            )
        )
        partner_ids = [row[0] for row in self.env.cr.fetchall()]
        cohort = format_date(self.env, cohort_month, date_format="MMM y")
        return {
            "type": "ir.actions.act_window",
            "name": (
                _("Cohort of %(month)s", month=cohort)
                if not months_since
                else _(
                    "Cohort of %(month)s, buying %(months)s months later",
                    month=cohort,
                    months=months_since,
                )
            ),
            "res_model": "res.partner",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", partner_ids)],
            "context": {"create": False},
        }

    # ------------------------------------------------------------
    # EXPORT
    # ------------------------------------------------------------

    @api.model
    def _export_data(self):
        """The figures of the cohort workbook for the companies the user works in
        (see :func:`_cohorts_data`)."""
        return _cohorts_data(self.env)


def _cohorts_data(env):
    """The figures of the workbook, as the user may read them::

    {
        "cohorts": [(cohort month, size, {months since: (active, revenue)})],
        "churn": [(month, active at start, churned, new customers)],
    }

    both oldest first.
    """
    Cohort = env["crm.cohort.report"]
    Cohort.check_access("read")
    domain = [("company_id", "in", env.companies.ids)]
    cohorts = {}
    for cohort_month, months_since, size, active, revenue in Cohort._read_group(
        domain,
        ["cohort_month:month", "months_since"],
        ["cohort_size:sum", "active_customers:sum", "revenue:sum"],
    ):
        cohort = cohorts.setdefault(cohort_month, [0, {}])
        if months_since == 0:
            cohort[0] = size
        cohort[1][months_since] = (active, revenue)
    Churn = env["crm.churn.report"]
    Churn.check_access("read")
    churn = Churn._read_group(
        domain,
        ["month:month"],
        ["active_start:sum", "churned:sum", "new_customers:sum"],
    )
    return {
        "cohorts": [
            (month, size, cells) for month, (size, cells) in sorted(cohorts.items())
        ],
        "churn": sorted(churn),
    }
