"""The voice of the customer in the browser: a customer answers the NPS on the
survey's page; a service user closes the detractor's follow-up from the 360."""

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestVoiceTour(HttpCase):
    def test_detractor_answers_and_is_followed_up(self):
        service = self.env["hr.department"].create({"name": "Tour Service"})
        agent = new_test_user(
            self.env,
            login="tour_voice",
            groups="base.group_user,crm_relationship.group_relationship_user",
        )
        self.env["hr.employee"].create(
            {"name": "tour_voice", "user_id": agent.id, "department_id": service.id}
        )
        customer = self.env["res.partner"].create(
            {"name": "Tour Voice Ltd", "is_company": True, "email": "v@x.example"}
        )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [
                    Command.create({"name": "Parts", "price_unit": 400, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        self.env["crm.relationship.score"].recompute(partner_ids=customer.ids)
        self.env["crm.account.team.member"].create(
            {
                "partner_id": customer.id,
                "user_id": agent.id,
                "department_id": service.id,
                "is_primary": True,
            }
        )
        survey = self.env.ref("crm_relationship.survey_relationship_nps")
        answer = survey._create_answer(partner=customer, check_attempts=False)

        # the customer, from the link of the e-mail, without logging in
        self.start_tour(answer.get_start_url(), "crm_relationship_nps_answer_tour")
        self.assertRecordValues(
            answer,
            [{"state": "done", "crm_nps": 3, "crm_nps_category": "detractor"}],
        )
        score = self.env["crm.relationship.score"].search(
            [("partner_id", "=", customer.id)]
        )
        self.assertEqual(score.nps_category, "detractor")
        follow_up = customer.activity_ids
        self.assertEqual(follow_up.user_id, agent)

        self.start_tour("/web", "crm_relationship_detractor_tour", login="tour_voice")
        self.assertFalse(customer.activity_ids)
