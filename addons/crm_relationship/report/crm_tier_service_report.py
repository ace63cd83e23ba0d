from odoo import fields, models
from odoo.tools import SQL

from ..tools import dates, scoring


class CrmTierServiceReport(models.Model):
    """How each tier was served, month by month: whether serving by value works.

    One row per event, each in the customer's tier at the time:

    - a **delivery** done (outgoing transfer): on time or not (``delivered_on_time``,
      days in the company's time zone), in the tier stamped on the transfer;
    - an **invoice paid** in full (payment state paid or in payment): the days from
      its invoice date to its last payment, dated that payment, in the tier of the
      customer's last score snapshot on or before the invoice date (the current
      tier when there is none);
    - a **credit hold** met on a quotation: dated the day it was met (today for a
      quotation held now and not yet recorded), in the tier recorded on the
      order, released or not, and the days it took.

    The measures are shaped for the pivot: *On-time delivery (%)* averages 100 for
    a delivery on time and 0 for a late one, so it is the on-time rate of any group.
    """

    _name = "crm.tier.service.report"
    _description = "Service by customer tier"
    _auto = False
    _order = "date desc"
    _rec_name = "partner_id"
    _depends = {
        "stock.picking": ["state", "date_done", "crm_tier", "delivered_on_time"],
        "account.move": ["payment_state", "invoice_date", "state"],
        "sale.order": [
            "crm_hold_date", "crm_hold_release_date", "crm_tier", "state",
            "partner_id", "user_id",
        ],
        "res.partner": ["commercial_partner_id"],
        "crm.relationship.score": ["tier"],
        "crm.relationship.score.history": ["tier", "snapshot_date"],
    }  # fmt: skip

    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    tier = fields.Selection(scoring.TIER_SELECTION, "Customer tier", readonly=True)
    date = fields.Date(readonly=True)
    kind = fields.Selection(
        [
            ("delivery", "Delivery"),
            ("payment", "Invoice paid"),
            ("hold", "Credit hold"),
        ],
        readonly=True,
    )
    delivery_count = fields.Integer("Deliveries", readonly=True)
    on_time_count = fields.Integer("On-time deliveries", readonly=True)
    on_time_rate = fields.Float(
        "On-time delivery (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    paid_count = fields.Integer("Invoices paid", readonly=True)
    days_to_pay = fields.Float(
        "Days to pay", readonly=True, aggregator="avg", digits=(16, 1)
    )
    hold_count = fields.Integer("Credit holds", readonly=True)
    released_count = fields.Integer("Holds released", readonly=True)
    days_to_release = fields.Float(
        "Days to release", readonly=True, aggregator="avg", digits=(16, 1)
    )

    @property
    def _table_query(self):
        # sudo: every company's time zone, to cut each company's events in days
        companies = self.env["res.company"].sudo().search([])
        zones = SQL(", ").join(
            SQL("(%s, %s)", company.id, company._crm_tz()) for company in companies
        ) or SQL("(0, 'UTC')")
        return SQL(
            """
            WITH zone(company_id, name) AS (VALUES %(zones)s),
            paid AS (
                SELECT am.id, am.company_id, am.commercial_partner_id, am.invoice_date,
                       am.invoice_user_id,
                       (SELECT MAX(apr.max_date)
                          FROM account_move_line aml
                          JOIN account_account acc ON acc.id = aml.account_id
                          JOIN account_partial_reconcile apr
                            ON apr.debit_move_id = aml.id
                          JOIN account_move_line cl ON cl.id = apr.credit_move_id
                          JOIN account_move cm ON cm.id = cl.move_id
                         WHERE aml.move_id = am.id
                           AND acc.account_type = 'asset_receivable'
                           AND cm.move_type = 'entry') AS paid_date
                  FROM account_move am
                 WHERE am.move_type = 'out_invoice' AND am.state = 'posted'
                   AND am.payment_state IN ('paid', 'in_payment')
                   AND am.invoice_date IS NOT NULL
            )
            SELECT sp.id * 3 AS id, 'delivery' AS kind, sp.company_id,
                   p.commercial_partner_id AS partner_id, so.user_id,
                   sp.crm_tier AS tier,
                   %(done)s AS date,
                   1 AS delivery_count,
                   CASE WHEN sp.delivered_on_time THEN 1 ELSE 0 END AS on_time_count,
                   CASE WHEN sp.delivered_on_time THEN 100.0 ELSE 0.0 END
                       AS on_time_rate,
                   0 AS paid_count, NULL::float AS days_to_pay,
                   0 AS hold_count, 0 AS released_count, NULL::float AS days_to_release
              FROM stock_picking sp
              JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
              JOIN res_partner p ON p.id = sp.partner_id
              JOIN zone ON zone.company_id = sp.company_id
              LEFT JOIN sale_order so ON so.id = sp.sale_id
             WHERE sp.state = 'done' AND spt.code = 'outgoing'
            UNION ALL
            SELECT paid.id * 3 + 1, 'payment', paid.company_id,
                   paid.commercial_partner_id, paid.invoice_user_id,
                   COALESCE(
                       (SELECT h.tier FROM crm_relationship_score_history h
                         WHERE h.partner_id = paid.commercial_partner_id
                           AND h.company_id = paid.company_id
                           AND h.snapshot_date <= paid.invoice_date
                         ORDER BY h.snapshot_date DESC LIMIT 1),
                       (SELECT s.tier FROM crm_relationship_score s
                         WHERE s.partner_id = paid.commercial_partner_id
                           AND s.company_id = paid.company_id)),
                   paid.paid_date,
                   0, 0, NULL,
                   1, (paid.paid_date - paid.invoice_date)::float,
                   0, 0, NULL
              FROM paid
             WHERE paid.paid_date IS NOT NULL
            UNION ALL
            SELECT so.id * 3 + 2, 'hold', so.company_id, p.commercial_partner_id,
                   so.user_id, so.crm_tier,
                   COALESCE(so.crm_hold_date,
                            %(today)s),
                   0, 0, NULL,
                   0, NULL,
                   1,
                   CASE WHEN so.crm_hold_release_date IS NULL THEN 0 ELSE 1 END,
                   (%(released)s - so.crm_hold_date)::float
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
              JOIN zone ON zone.company_id = so.company_id
             WHERE so.crm_hold_date IS NOT NULL
                OR so.id IN (SELECT held.ord FROM (%(held)s) held)
            """,
            zones=zones,
            today=dates.local_date_sql(
                SQL("now() AT TIME ZONE 'UTC'"), SQL("zone.name")
            ),
            held=self.env["sale.order"]._crm_held_sql(
                SQL(
                    """SELECT so.id, so.partner_id, so.company_id FROM sale_order so
                        WHERE so.state IN ('draft', 'sent')
                          AND so.crm_hold_release_date IS NULL"""
                ),
                companies,
            ),
            done=dates.local_date_sql(SQL("sp.date_done"), SQL("zone.name")),
            released=dates.local_date_sql(
                SQL("so.crm_hold_release_date"), SQL("zone.name")
            ),
        )
