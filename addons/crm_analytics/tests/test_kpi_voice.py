"""The voice-of-the-customer KPIs of the catalogue on answers to Odoo's surveys.

Worked values (issue 14): NPS of the answers 10, 9, 7 and 3 is 25 (two promoters,
one detractor, four answers: 50 % - 25 %); 4 answers out of 16 surveys sent is a
response rate of 25 %.
"""

from datetime import date

from freezegun import freeze_time

from odoo.tests import TransactionCase, new_test_user, tagged

JUNE = (date(2026, 6, 1), date(2026, 6, 30))
JULY = (date(2026, 7, 1), date(2026, 7, 31))
SELLER = "base.group_user,sales_team.group_sale_salesman"


@tagged("post_install", "-at_install")
class TestKpiVoice(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.partner_id.tz = "UTC"
        cls.survey = cls.env.ref("crm_relationship.survey_relationship_nps")
        cls.q_nps = cls.env.ref("crm_relationship.survey_question_nps")
        cls.satisfaction = cls.env.ref("crm_relationship.survey_complaint_satisfaction")
        cls.q_csat = cls.env.ref("crm_relationship.survey_question_csat")
        cls.q_ces = cls.env.ref("crm_relationship.survey_question_ces")
        cls.alice = new_test_user(cls.env, login="voice.alice", groups=SELLER)
        cls.bob = new_test_user(cls.env, login="voice.bob", groups=SELLER)
        cls.customers = cls.env["res.partner"].create(
            [
                {"name": f"Customer {i}", "is_company": True, "user_id": user.id}
                for i, user in enumerate([cls.alice] * 8 + [cls.bob] * 8)
            ]
        )
        cls.kpi = {
            name: cls.env.ref(f"crm_analytics.kpi_{name}")
            for name in ("nps", "survey_response_rate", "csat", "ces")
        }

    def _send(self, survey, partner, when="2026-06-05 09:00"):
        with freeze_time(when):
            # sudo: as the survey's invitation wizard creates the answers
            return survey.sudo()._create_answer(partner=partner, check_attempts=False)

    def _answer(self, answer, lines, when="2026-06-10 10:00"):
        with freeze_time(when):
            for question, value in lines:
                answer._save_lines(question, str(value))
            answer._mark_done()
        return answer

    def _value(self, name, owner=None, period=JUNE):
        owner = owner or ("company", self.company.id, self.company.id)
        kpi = self.kpi[name]
        return kpi._evaluate([owner], [period], "UTC")[kpi.id, owner, period]

    def _sixteen_sent_four_answered(self):
        sent = self.env["survey.user_input"].browse(
            [self._send(self.survey, c).id for c in self.customers]
        )
        # Alice's customers answer 10, 9 and 7; one of Bob's answers 3
        for answer, score in zip(sent[:3] | sent[8:9], (10, 9, 7, 3), strict=True):
            self._answer(answer, [(self.q_nps, score)])
        return sent

    def test_nps_and_response_rate(self):
        self._sixteen_sent_four_answered()
        self.assertEqual(self._value("nps"), 25.0)
        self.assertEqual(self._value("survey_response_rate"), 25.0)
        # per salesperson: Alice 2 promoters, 1 passive of 3 (66.67); Bob -100
        alice = ("user", self.alice.id, self.company.id)
        bob = ("user", self.bob.id, self.company.id)
        self.assertAlmostEqual(self._value("nps", alice), 200 / 3)
        self.assertEqual(self._value("nps", bob), -100.0)
        self.assertEqual(self._value("survey_response_rate", alice), 37.5)
        self.assertEqual(self._value("survey_response_rate", bob), 12.5)

    def test_only_the_latest_answer_of_the_period_counts(self):
        sent = self._sixteen_sent_four_answered()
        # the detractor answers again in June: 9, a promoter now
        again = self._send(self.survey, sent[8].partner_id, "2026-06-20 09:00")
        self._answer(again, [(self.q_nps, 9)], "2026-06-21 09:00")
        # 10, 9, 7, 9: three promoters of four
        self.assertEqual(self._value("nps"), 75.0)
        # answering in July does not rewrite June
        later = self._send(self.survey, sent[0].partner_id, "2026-07-02 09:00")
        self._answer(later, [(self.q_nps, 0)], "2026-07-03 09:00")
        self.assertEqual(self._value("nps"), 75.0)
        self.assertEqual(self._value("nps", period=JULY), -100.0)

    def test_no_answer_is_no_figure(self):
        self.assertIsNone(self._value("nps"))
        self.assertIsNone(self._value("survey_response_rate"))

    def test_csat_and_ces_after_a_complaint(self):
        for customer, csat, ces in (
            (self.customers[0], 5, 6),
            (self.customers[1], 2, 3),
        ):
            answer = self._send(self.satisfaction, customer)
            self._answer(answer, [(self.q_csat, csat), (self.q_ces, ces)])
        self.assertEqual(self._value("csat"), 3.5)
        self.assertEqual(self._value("ces"), 4.5)
        # these surveys do not ask the NPS: no NPS, no NPS response rate
        self.assertIsNone(self._value("nps"))
        self.assertIsNone(self._value("survey_response_rate"))
