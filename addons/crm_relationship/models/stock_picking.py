from odoo import api, fields, models
from odoo.tools.sql import SQL, column_exists, create_column

from ..tools import dates


class StockPicking(models.Model):
    _inherit = "stock.picking"

    delivered_on_time = fields.Boolean(
        compute="_compute_delivered_on_time",
        store=True,
        help="Done on or before the day of its deadline (of its scheduled date when "
        "it has none), days counted in the company's time zone. The relationship "
        "score's delivery component and the on-time KPIs read it.",
    )

    def _auto_init(self):
        if not column_exists(self.env.cr, "stock_picking", "delivered_on_time"):
            create_column(self.env.cr, "stock_picking", "delivered_on_time", "boolean")
            self._fill_delivered_on_time()
        return super()._auto_init()

    @api.model
    def _fill_delivered_on_time(self, companies=None):
        """Fill the column in one statement, as the compute would: pickings are many,
        and the ORM would recompute them one by one at install, or when a company's
        time zone changes (``companies``: only theirs; default all)."""
        # sudo: every company's time zone, whoever installs the module or changes it
        companies = (companies or self.env["res.company"].search([])).sudo()
        if not companies:
            return
        zones = SQL(", ").join(
            SQL("(%s, %s)", company.id, company._crm_tz()) for company in companies
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE stock_picking sp
                   SET delivered_on_time = (
                       sp.state = 'done' AND %(done)s <= %(due)s) IS TRUE
                  FROM (VALUES %(zones)s) AS zone(company_id, name)
                 WHERE zone.company_id = sp.company_id
                """,
                done=dates.local_date_sql(SQL("sp.date_done"), SQL("zone.name")),
                due=dates.local_date_sql(
                    SQL("COALESCE(sp.date_deadline, sp.scheduled_date)"),
                    SQL("zone.name"),
                ),
                zones=zones,
            )
        )
        self.invalidate_model(["delivered_on_time"])

    @api.depends("state", "date_done", "date_deadline", "scheduled_date")
    def _compute_delivered_on_time(self):
        for picking in self:
            tz = picking.company_id._crm_tz() if picking.company_id else "UTC"
            done = dates.local_date(picking.date_done, tz)
            due = dates.local_date(picking.date_deadline or picking.scheduled_date, tz)
            picking.delivered_on_time = bool(
                picking.state == "done" and done and due and done <= due
            )

    @api.model
    def _refresh_delivered_on_time(self, companies):
        """A company's time zone changed: its deliveries are judged again."""
        self.flush_model(["state", "date_done", "date_deadline", "scheduled_date"])
        self._fill_delivered_on_time(companies)

    def _action_done(self):
        res = super()._action_done()
        customer_moves = self.filtered(
            lambda p: (
                p.partner_id
                and (
                    p.picking_type_code == "outgoing"
                    or (p.picking_type_code == "incoming" and p.return_id)
                )
            )
        )
        self.env["crm.relationship.score"]._mark_customers(
            (p.partner_id.commercial_partner_id.id, p.company_id.id)
            for p in customer_moves
        )
        return res
