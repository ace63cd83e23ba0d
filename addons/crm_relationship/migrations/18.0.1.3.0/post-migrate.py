"""18.0.1.3.0: SLA policies count working hours and some stages pause the clock. The
shipped "Waiting for the customer" stage (noupdate data) pauses it, as it does on a
new installation; the open complaints waiting there start their pause now (the time
they waited before the upgrade is not known to have been a pause)."""

from odoo import SUPERUSER_ID, api, fields


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    stage = env.ref("crm_relationship.crm_complaint_stage_waiting", False)
    if stage:
        stage.sla_paused = True
        env["crm.complaint"].search(
            [("stage_id", "=", stage.id), ("date_closed", "=", False)]
        ).write({"sla_paused_since": fields.Datetime.now()})
