"""18.0.1.3.0: SLA policies count working hours and some stages pause the clock. The
shipped "Waiting for the customer" stage (noupdate data) pauses it, as it does on a
new installation."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    stage = env.ref("crm_relationship.crm_complaint_stage_waiting", False)
    if stage:
        stage.sla_paused = True
