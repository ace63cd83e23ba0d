"""18.0.1.7.0: the recompute queue takes a new row per mark. With one row per
customer, a posting committed while a recompute ran found the customer's row there
(``ON CONFLICT DO NOTHING``) and the recompute, which had not seen the posting,
emptied it: the invoice waited for the next daily run."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL(
            "ALTER TABLE crm_relationship_score_queue DROP CONSTRAINT IF EXISTS %s",
            SQL.identifier("crm_relationship_score_queue_partner_company_uniq"),
        )
    )
