"""18.0.1.1.0: the points ledger. Existing cards get their lots from their history."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["loyalty.card"].with_context(active_test=False).search(
        [("program_id.program_type", "=", "loyalty")]
    )._ledger_rebuild_from_history()
