"""18.0.1.2.0: the weight of P(alive) in the health score moves from the company to
its scoring profile, beside the other weights (the company's column stays, unread)."""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL
from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version or not column_exists(cr, "res_company", "clv_health_weight"):
        return
    cr.execute(
        SQL("SELECT id, clv_health_weight FROM res_company WHERE clv_health_weight > 0")
    )
    rows = cr.fetchall()
    env = api.Environment(cr, SUPERUSER_ID, {})
    Profile = env["crm.relationship.scoring.profile"]
    for company_id, weight in rows:
        Profile._get_for_company(
            env["res.company"].browse(company_id)
        ).weight_alive = weight
