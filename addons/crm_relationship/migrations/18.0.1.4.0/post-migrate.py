"""18.0.1.4.0: a detractor's answer is followed up once (``crm_followed_up``); the
detractors answered before the upgrade were followed up when they were submitted, so
that reopening one does not give the account team a second follow-up.

A fresh installation of 18.0.1.3.0 made each company's scoring profile before the
shipped surveys existed, so the profiles had no NPS survey and no survey after a
complaint (the shipped behaviour sends it); they get the shipped surveys."""

from odoo import SUPERUSER_ID, api
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
    env = api.Environment(cr, SUPERUSER_ID, {})
    Profile = env["crm.relationship.scoring.profile"].with_context(active_test=False)
    for field, xmlid in (
        ("nps_survey_id", "crm_relationship.survey_relationship_nps"),
        ("complaint_survey_id", "crm_relationship.survey_complaint_satisfaction"),
    ):
        survey = env.ref(xmlid, raise_if_not_found=False)
        if survey:
            Profile.search([(field, "=", False)]).write({field: survey.id})
