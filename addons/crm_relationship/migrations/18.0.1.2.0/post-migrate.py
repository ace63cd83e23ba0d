"""18.0.1.2.0: cards remember when they were archived (the loyalty members of a past
day). Cards archived before this version: their last change is the best known."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL(
            "UPDATE loyalty_card SET archive_date = write_date"
            " WHERE NOT active AND archive_date IS NULL"
        )
    )
