from odoo import api, fields, models
from odoo.tools.sql import SQL, column_exists, create_column


class StockPicking(models.Model):
    _inherit = "stock.picking"

    delivered_on_time = fields.Boolean(
        compute="_compute_delivered_on_time",
        store=True,
        help="Done on or before its deadline (its scheduled date when it has none), "
        "as the relationship score's delivery component counts it.",
    )

    def _auto_init(self):
        """Fill the new column in one statement: pickings are many, and the ORM
        would recompute them one by one at install."""
        if not column_exists(self.env.cr, "stock_picking", "delivered_on_time"):
            create_column(self.env.cr, "stock_picking", "delivered_on_time", "boolean")
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE stock_picking
                       SET delivered_on_time = (
                           state = 'done' AND date_done IS NOT NULL
                           AND date_done::date
                               <= COALESCE(date_deadline, scheduled_date)::date)
                    """
                )
            )
        return super()._auto_init()

    @api.depends("state", "date_done", "date_deadline", "scheduled_date")
    def _compute_delivered_on_time(self):
        for picking in self:
            due = picking.date_deadline or picking.scheduled_date
            picking.delivered_on_time = bool(
                picking.state == "done"
                and picking.date_done
                and due
                and picking.date_done.date() <= due.date()
            )
