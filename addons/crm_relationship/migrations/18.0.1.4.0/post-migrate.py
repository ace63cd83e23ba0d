"""18.0.1.4.0: a detractor's answer is followed up once (``crm_followed_up``); the
detractors answered before the upgrade were followed up when they were submitted, so
that reopening one does not give the account team a second follow-up."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL(
            """UPDATE survey_user_input SET crm_followed_up = TRUE
                WHERE state = 'done' AND crm_nps_category = 'detractor'
                  AND crm_partner_id IS NOT NULL"""
        )
    )
