"""The surveys waiting for a customer's answer, in the portal, over real HTTP."""

from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestSurveyPortal(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Survey Portal Ltd", "is_company": True}
        )
        cls.portal = new_test_user(
            cls.env, login="survey_portal", groups="base.group_portal"
        )
        cls.portal.partner_id.parent_id = cls.customer
        cls.colleague = new_test_user(
            cls.env, login="survey_portal2", groups="base.group_portal"
        )
        cls.colleague.partner_id.parent_id = cls.customer
        cls.survey = cls.env.ref("crm_relationship.survey_relationship_nps")

    def _invite(self, partner, **values):
        answer = self.survey._create_answer(partner=partner, check_attempts=False)
        answer.write(values)
        return answer

    def _count(self):
        return self.make_jsonrpc_request(
            "/my/counters", {"counters": ["crm_survey_count"]}
        )["crm_survey_count"]

    def test_the_customer_sees_the_surveys_waiting_for_them(self):
        waiting = self._invite(self.portal.partner_id)
        started = self._invite(self.portal.partner_id, state="in_progress")
        self._invite(self.portal.partner_id, state="done")
        self._invite(self.portal.partner_id, test_entry=True)
        self._invite(
            self.portal.partner_id,
            deadline=fields.Datetime.now() - timedelta(days=1),
        )
        # the colleague's invitation carries the colleague's own token
        other = self._invite(self.colleague.partner_id)
        self.authenticate("survey_portal", "survey_portal")
        self.assertEqual(self._count(), 2)
        page = self.url_open("/my/surveys")
        self.assertEqual(page.status_code, 200)
        self.assertIn(waiting.access_token, page.text)
        self.assertIn(started.access_token, page.text)
        self.assertIn("Continue", page.text)
        self.assertNotIn(other.access_token, page.text)
        self.assertEqual(page.text.count("answer_token="), 2)
        # the link opens Odoo's own survey page
        survey_page = self.url_open(waiting.get_start_url())
        self.assertEqual(survey_page.status_code, 200)
        self.assertIn("recommend us", survey_page.text)

    def test_nothing_waiting(self):
        self.authenticate("survey_portal", "survey_portal")
        self.assertEqual(self._count(), 0)
        self.assertIn("No survey waits", self.url_open("/my/surveys").text)

    def test_visitors_are_sent_to_log_in(self):
        self.authenticate(None, None)
        page = self.url_open("/my/surveys")
        self.assertIn("/web/login", page.url)

    def test_the_customer_answers_from_the_portal(self):
        answer = self._invite(self.portal.partner_id)
        self.start_tour("/my", "crm_relationship_portal_survey_tour",
                        login="survey_portal")  # fmt: skip
        self.assertRecordValues(
            answer,
            [{"state": "done", "crm_nps": 10, "crm_nps_category": "promoter"}],
        )
        self.assertEqual(answer.crm_nps_reason, "Fast answers every time")
