"""18.0.1.1.0: on-time deliveries are judged by the day in the company's time zone.
The stored flag of existing pickings is filled again under that rule."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["stock.picking"]._fill_delivered_on_time()
