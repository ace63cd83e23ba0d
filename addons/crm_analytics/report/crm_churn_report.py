from odoo import fields, models
from odoo.tools import SQL

from .crm_cohort_report import _current_months_sql, _monthly_purchases_sql


class CrmChurnReport(models.Model):
    """Monthly customer churn per company.

    A customer (commercial partner of posted customer invoices) is active at a
    date when they bought in the 12 months before it. For each month:

    - ``active_start``: customers active at the start of the month, i.e. with a
      purchase in the 12 whole months before it;
    - ``churned``: those of them without any purchase in the 12 months up to the
      month's end (the month itself and the 11 before), i.e. whose last purchase
      was exactly 12 months before the month: each customer churns once per
      lapse, in the 13th month after their last purchase;
    - ``churn_rate``: ``churned / active_start × 100``, empty without active
      customers; read per month, its "avg" aggregator is a plain mean of rates;
    - ``new_customers``: customers whose first purchase fell in the month.

    Rows run from the company's first invoiced month to the last whole month:
    the current month's churn cannot be told before it ends.

    The rows are stored (:class:`CrmStoredReportMixin`): as of ``refreshed_at``,
    rewritten daily and by managers' "Refresh now".
    """

    _name = "crm.churn.report"
    _inherit = "crm.stored.report.mixin"
    _description = "Customer churn by month"
    _rec_name = "month"
    _order = "company_id, month desc"

    month = fields.Date(readonly=True)
    active_start = fields.Integer("Active at start", readonly=True)
    churned = fields.Integer(readonly=True)
    churn_rate = fields.Float(
        "Churn rate (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    new_customers = fields.Integer("New customers", readonly=True)

    def init(self):
        self._refresh_if_empty()

    def _stored_report_query(self, companies):
        return SQL(
            """
            WITH this_month AS (%(this_month)s),
            monthly AS (%(monthly)s),
            months AS (
                SELECT firsts.company_id, series.month::date AS month
                  FROM (SELECT company_id, MIN(month) AS first_month
                          FROM monthly
                         GROUP BY company_id) AS firsts
                  JOIN this_month ON this_month.company_id = firsts.company_id,
                       generate_series(firsts.first_month,
                                       this_month.month - interval '1 month',
                                       interval '1 month') AS series(month)
            ),
            status AS (
                SELECT months.company_id, months.month, monthly.partner_id,
                       bool_or(monthly.month < months.month) AS active_start,
                       bool_or(monthly.month
                               >= months.month - interval '11 months')
                           AS active_end
                  FROM months
                  JOIN monthly
                    ON monthly.company_id = months.company_id
                   AND monthly.month >= months.month - interval '12 months'
                   AND monthly.month <= months.month
                 GROUP BY months.company_id, months.month, monthly.partner_id
            ),
            counts AS (
                SELECT company_id, month,
                       COUNT(*) FILTER (WHERE active_start) AS active_start,
                       COUNT(*) FILTER (WHERE active_start AND NOT active_end)
                           AS churned
                  FROM status
                 GROUP BY company_id, month
            ),
            newcomers AS (
                SELECT company_id, first_month AS month, COUNT(*) AS new_customers
                  FROM (SELECT company_id, partner_id, MIN(month) AS first_month
                          FROM monthly
                         GROUP BY company_id, partner_id) AS firsts
                 GROUP BY company_id, first_month
            )
            SELECT months.company_id,
                   months.month,
                   COALESCE(counts.active_start, 0) AS active_start,
                   COALESCE(counts.churned, 0) AS churned,
                   100.0 * counts.churned / NULLIF(counts.active_start, 0)
                       AS churn_rate,
                   COALESCE(newcomers.new_customers, 0) AS new_customers
              FROM months
              LEFT JOIN counts ON counts.company_id = months.company_id
                              AND counts.month = months.month
              LEFT JOIN newcomers ON newcomers.company_id = months.company_id
                                 AND newcomers.month = months.month
            """,
            this_month=_current_months_sql(companies),
            monthly=_monthly_purchases_sql(),
        )
