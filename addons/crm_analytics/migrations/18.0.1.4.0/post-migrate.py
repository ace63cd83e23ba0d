"""18.0.1.4.0: a KPI counts only what its author may read (``crm.kpi.author_id``).
The KPIs made before are their creator's; those of the data files, the
superuser's, as before."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(SQL("UPDATE crm_kpi SET author_id = create_uid WHERE author_id IS NULL"))
