"""What a fresh tester broke (and tried) in the NPS report, the portal's surveys,
the detractor's hand-off and the 360's service line. Each asserts the right
behaviour."""

from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import USER, DepartmentCase


class VoiceMixin:
    @classmethod
    def _voice_setup(cls):
        cls.company = cls.env.company
        cls.survey = cls.env.ref("crm_relationship.survey_relationship_nps")
        cls.q_nps = cls.env.ref("crm_relationship.survey_question_nps")
        cls.q_reason = cls.env.ref("crm_relationship.survey_question_nps_reason")
        cls.topic_delivery = cls.env.ref(
            "crm_relationship.survey_answer_nps_topic_delivery"
        )
        cls.delivery = cls.env.ref("crm_relationship.crm_complaint_category_delivery")

    def _send(self, partners, when="2026-06-05 09:00", survey=None, company=None):
        survey = (survey or self.survey).sudo()
        if company:
            survey = survey.with_company(company)
        answers = self.env["survey.user_input"]
        with freeze_time(when):
            for partner in partners:
                answers |= survey._create_answer(
                    partner=partner,
                    check_attempts=False,
                    **({"crm_company_id": company.id} if company else {}),
                )
        return answers

    def _answer(self, answer, score, when="2026-06-10 10:00", topic=None, by=None):
        with freeze_time(when):
            if by:
                answer = answer.with_user(by).sudo()
            answer._save_lines(self.q_nps, str(score))
            if topic:
                answer._save_lines(topic.question_id, topic.id)
            answer._mark_done()
        return answer


@tagged("post_install", "-at_install")
class TestBreakVoiceReport(VoiceMixin, DepartmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._voice_setup()
        cls.sales = cls.env["hr.department"].create({"name": "BV Sales"})
        cls.service = cls.env["hr.department"].create({"name": "BV Service"})
        cls.seller = cls._person("bv_seller", USER, cls.sales)
        cls.customers = cls.env["res.partner"].create(
            [
                {"name": f"Bv {i:02d}", "is_company": True, "user_id": cls.seller.id}
                for i in range(10)
            ]
        )
        Score = cls.env["crm.relationship.score"].sudo()
        for i, customer in enumerate(cls.customers):
            Score.create(
                {
                    "partner_id": customer.id,
                    "company_id": cls.company.id,
                    "tier": "A" if i < 2 else "B",
                }
            )

    def _summary(self, **values):
        return self.env["crm.survey.summary"].create(
            {"date_from": "2026-06-01", "date_to": "2026-06-30", **values}
        )

    def test_weighted_nps_weighs_customers_asked_not_surveys_sent(self):
        # tier A: 2 customers, each asked 4 times in the period (weekly reminders
        # of a manual round), every answer 10: NPS 100
        for week in range(4):
            answers = self._send(self.customers[:2], when=f"2026-06-0{1 + week} 09:00")
            for answer in answers:
                self._answer(answer, 10, when=f"2026-06-0{1 + week} 10:00")
        # tier B: 8 customers asked once, 2 answer 0 and 3: NPS -100
        answers = self._send(self.customers[2:]).sorted("id")
        self._answer(answers[0], 0)
        self._answer(answers[1], 3)
        summary = self._summary()
        self.assertEqual(summary.sent, 16)
        # 2 of the 10 customers asked are in tier A, 8 in tier B:
        # .2 x 100 + .8 x -100 = -60 (by surveys sent it would read 0)
        self.assertAlmostEqual(summary.nps_weighted, -60.0, places=1)

    def test_kiritimati_month_boundary(self):
        # 30 June 10:30 UTC is 1 July 00:30 in Kiritimati (UTC+14)
        answer = self._send(self.customers[2], when="2026-06-30 10:30")
        self._answer(answer, 10, when="2026-06-30 11:00")
        self.env.user.tz = "Pacific/Kiritimati"
        self.assertEqual(self._summary().sent, 0)
        july = self._summary(
            date_from="2026-07-01", date_to="2026-07-31", group_by="date_sent:month"
        )
        self.assertEqual(july.sent, 1)
        self.assertEqual(
            [(line.name, line.sent, line.answered) for line in july.line_ids],
            [("July 2026", 1, 1)],
        )
        action = july.line_ids.action_open_answers()
        self.assertEqual(
            self.env["crm.survey.report"].search(action["domain"]).answer_id, answer
        )

    def test_pago_pago_month_boundary(self):
        # 1 July 10:00 UTC is 30 June 23:00 in Pago Pago (UTC-11)
        answer = self._send(self.customers[2], when="2026-07-01 10:00")
        self.env.user.tz = "Pacific/Pago_Pago"
        summary = self._summary(date_to="2026-07-31", group_by="date_sent:month")
        self.assertEqual(
            [(line.name, line.sent) for line in summary.line_ids], [("June 2026", 1)]
        )
        action = summary.line_ids.action_open_answers()
        self.assertEqual(
            self.env["crm.survey.report"].search(action["domain"]).answer_id, answer
        )

    def test_month_lines_are_named_after_their_month_west_of_utc(self):
        # a user in New York: sent on 10 June and 10 July, local and UTC alike
        self._send(self.customers[2], when="2026-06-10 15:00")
        self._send(self.customers[3], when="2026-07-10 15:00")
        self.env.user.tz = "America/New_York"
        summary = self._summary(date_to="2026-07-31", group_by="date_sent:month")
        self.assertEqual(
            [(line.name, line.sent) for line in summary.line_ids],
            [("June 2026", 1), ("July 2026", 1)],
        )

    def test_drill_down_matches_each_line(self):
        nobody = self.env["res.partner"].create(
            {"name": "Bv untiered", "is_company": True}
        )
        contact = self.env["res.partner"].create(
            {"name": "Bv buyer", "parent_id": self.customers[3].id}
        )
        answers = self._send(self.customers[:3] | nobody | contact)
        self._answer(answers[0], 10)
        self._answer(answers[3], 2)
        self._answer(answers[4], 8)
        Report = self.env["crm.survey.report"]
        for group_by in (
            "customer_tier",
            "user_id",
            "department_id",
            "date_sent:month",
        ):
            summary = self._summary(group_by=group_by)
            self.assertEqual(sum(summary.line_ids.mapped("sent")), summary.sent)
            for line in summary.line_ids:
                rows = Report.search(line.action_open_answers()["domain"])
                self.assertEqual(
                    (len(rows), sum(rows.mapped("answered"))),
                    (line.sent, line.answered),
                    f"{group_by}: {line.name}",
                )
        tiers = {line.name: line.sent for line in self._summary().line_ids}
        # the contact's answer counts for its company's tier B
        self.assertEqual(tiers, {"A": 2, "B": 2, "No tier yet": 1})

    def test_a_user_of_one_company_summarizes_another(self):
        other = self.env["res.company"].create({"name": "BV Other"})
        answers = self._send(self.customers[:3], company=other)
        self._answer(answers[0], 0)
        summary = (
            self.env["crm.survey.summary"]
            .with_user(self.seller)
            .create(
                {
                    "company_id": other.id,
                    "date_from": "2026-06-01",
                    "date_to": "2026-06-30",
                }
            )
        )
        self.assertEqual((summary.sent, summary.answered), (0, 0))
        self.assertFalse(summary.line_ids)

    def test_salesperson_employed_in_two_companies(self):
        other = self.env["res.company"].create({"name": "BV Other 2"})
        other_dept = self.env["hr.department"].create(
            {"name": "BV Other Sales", "company_id": other.id}
        )
        self.seller.company_ids |= other
        self.env["hr.employee"].create(
            {
                "name": "bv_seller B",
                "user_id": self.seller.id,
                "company_id": other.id,
                "department_id": other_dept.id,
            }
        )
        self._send(self.customers[:2])
        self._send(self.customers[2:3], company=other)
        summary = self._summary(group_by="department_id")
        self.assertEqual(
            [(line.name, line.sent) for line in summary.line_ids],
            [("BV Sales", 2)],
        )
        summary = self._summary(group_by="department_id", company_id=other.id)
        self.assertEqual(
            [(line.name, line.sent) for line in summary.line_ids],
            [("BV Other Sales", 1)],
        )

    def test_portal_user_cannot_read_the_report(self):
        portal = new_test_user(self.env, login="bv_portal", groups="base.group_portal")
        with self.assertRaises(AccessError):
            self.env["crm.survey.summary"].with_user(portal).create({})
        with self.assertRaises(AccessError):
            self.env["crm.survey.report"].with_user(portal).search([])


@tagged("post_install", "-at_install")
class TestBreakVoiceHandoff(VoiceMixin, DepartmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._voice_setup()
        cls.company_b = cls.env["res.company"].create({"name": "BV Co B"})
        Department = cls.env["hr.department"]
        cls.service = Department.create({"name": "BVH Service"})
        cls.logistics = Department.create({"name": "BVH Logistics"})
        cls.agent = cls._person("bvh_agent", USER, cls.service)
        cls.customer = cls.env["res.partner"].create(
            {"name": "BVH Customer", "is_company": True}
        )
        cls.delivery.with_company(cls.company).department_id = cls.logistics
        cls.env["crm.account.team.member"].create(
            {
                "partner_id": cls.customer.id,
                "user_id": cls.agent.id,
                "department_id": cls.service.id,
                "is_primary": True,
            }
        )
        cls.public = cls.env.ref("base.public_user")

    def _handoffs(self, customer=None):
        return self.env["crm.handoff"].search(
            [("partner_id", "=", (customer or self.customer).id)]
        )

    def test_reopened_detractor_is_not_handed_off_twice(self):
        answer = self._send(self.customer)
        self._answer(answer, 2, topic=self.topic_delivery)
        self.assertEqual(len(self._handoffs()), 1)
        first = answer.crm_handoff_id
        # reopened (as an editor may) and submitted again, nothing changed
        answer.write({"state": "in_progress"})
        with freeze_time("2026-06-11 10:00"):
            answer._mark_done()
        self.assertEqual(len(self._handoffs()), 1)
        self.assertEqual(answer.crm_handoff_id, first)
        # nor a second follow-up for the account team
        self.assertEqual(
            len(
                self.customer.activity_ids.filtered(
                    lambda a: (
                        a.activity_type_id
                        == self.env.ref("crm_relationship.mail_activity_type_detractor")
                    )
                )
            ),
            1,
        )

    def test_company_b_without_department_there(self):
        # the category has a department in the first company only
        team_b_dept = self.env["hr.department"].create(
            {"name": "BVH B Service", "company_id": self.company_b.id}
        )
        agent_b = self._person("bvh_agent_b", USER, team_b_dept, self.company_b)
        self.env["crm.account.team.member"].create(
            {
                "partner_id": self.customer.id,
                "user_id": agent_b.id,
                "department_id": team_b_dept.id,
                "company_id": self.company_b.id,
                "is_primary": True,
            }
        )
        answer = self._send(self.customer, company=self.company_b)
        self._answer(answer, 1, topic=self.topic_delivery, by=self.public)
        self.assertFalse(answer.crm_handoff_id)
        self.assertFalse(self._handoffs())

    def test_company_b_with_department_there_public_user(self):
        team_b_dept = self.env["hr.department"].create(
            {"name": "BVH B Service", "company_id": self.company_b.id}
        )
        log_b = self.env["hr.department"].create(
            {"name": "BVH B Logistics", "company_id": self.company_b.id}
        )
        head_b = self._person("bvh_head_b", USER, log_b, self.company_b)
        # the head's employee is in company B, out of employee_ids' companies
        log_b.manager_id = self.env["hr.employee"].search([("user_id", "=", head_b.id)])
        self.delivery.with_company(self.company_b).department_id = log_b
        agent_b = self._person("bvh_agent_b2", USER, team_b_dept, self.company_b)
        self.env["crm.account.team.member"].create(
            {
                "partner_id": self.customer.id,
                "user_id": agent_b.id,
                "department_id": team_b_dept.id,
                "company_id": self.company_b.id,
                "is_primary": True,
            }
        )
        answer = self._send(self.customer, company=self.company_b)
        self._answer(answer, 1, topic=self.topic_delivery, by=self.public)
        self.assertRecordValues(
            answer.crm_handoff_id,
            [
                {
                    "company_id": self.company_b.id,
                    "from_department_id": team_b_dept.id,
                    "to_department_id": log_b.id,
                    "requested_by_id": agent_b.id,
                }
            ],
        )
        # the visitor has no e-mail address, yet the account team member (the
        # follow-up) and the receiving head (the hand-off) are told
        notified = (
            self.env["mail.message"]
            .search([("message_type", "=", "user_notification")])
            .partner_ids
        )
        self.assertIn(agent_b.partner_id, notified)
        self.assertIn(head_b.partner_id, notified)

    def test_salesperson_in_two_companies_hands_off_from_the_right_department(self):
        # no account team: the salesperson follows up, from their department in B
        customer = self.env["res.partner"].create(
            {"name": "BVH Customer 2", "is_company": True}
        )
        sales_a = self.env["hr.department"].create({"name": "BVH Sales A"})
        sales_b = self.env["hr.department"].create(
            {"name": "BVH Sales B", "company_id": self.company_b.id}
        )
        log_b = self.env["hr.department"].create(
            {"name": "BVH B Logistics 2", "company_id": self.company_b.id}
        )
        self.delivery.with_company(self.company_b).department_id = log_b
        seller = self._person("bvh_seller", USER, sales_a)
        seller.company_ids |= self.company_b
        self.env["hr.employee"].create(
            {
                "name": "bvh_seller B",
                "user_id": seller.id,
                "company_id": self.company_b.id,
                "department_id": sales_b.id,
            }
        )
        customer.user_id = seller
        answer = self._send(customer, company=self.company_b)
        self.env.invalidate_all()
        self._answer(answer, 1, topic=self.topic_delivery, by=self.public)
        self.assertRecordValues(
            answer.crm_handoff_id,
            [{"from_department_id": sales_b.id, "to_department_id": log_b.id}],
        )

    def test_answers_of_two_companies_done_together(self):
        # one salesperson employed in both companies, no account team: the
        # answers of both companies submitted in one go (as a survey session ends)
        sales_a = self.env["hr.department"].create({"name": "BVH Sales A2"})
        sales_b = self.env["hr.department"].create(
            {"name": "BVH Sales B2", "company_id": self.company_b.id}
        )
        log_b = self.env["hr.department"].create(
            {"name": "BVH B Logistics 3", "company_id": self.company_b.id}
        )
        self.delivery.with_company(self.company_b).department_id = log_b
        seller = self._person("bvh_seller3", USER, sales_a)
        seller.company_ids |= self.company_b
        self.env["hr.employee"].create(
            {
                "name": "bvh_seller3 B",
                "user_id": seller.id,
                "company_id": self.company_b.id,
                "department_id": sales_b.id,
            }
        )
        customers = self.env["res.partner"].create(
            [
                {"name": f"BVH Both {i}", "is_company": True, "user_id": seller.id}
                for i in range(2)
            ]
        )
        answer_a = self._send(customers[0])
        answer_b = self._send(customers[1], company=self.company_b)
        self.env.invalidate_all()
        answers = answer_a | answer_b
        with freeze_time("2026-06-10 10:00"):
            for answer in answers:
                answer._save_lines(self.q_nps, "1")
                answer._save_lines(self.topic_delivery.question_id,
                                   self.topic_delivery.id)  # fmt: skip
            answers._mark_done()
        self.assertRecordValues(
            answer_a.crm_handoff_id,
            [{"from_department_id": sales_a.id, "to_department_id": self.logistics.id}],
        )
        self.assertRecordValues(
            answer_b.crm_handoff_id,
            [{"from_department_id": sales_b.id, "to_department_id": log_b.id}],
        )

    def test_archived_receiving_department_gets_no_hand_off(self):
        self.logistics.action_archive()
        answer = self._send(self.customer)
        self._answer(answer, 2, topic=self.topic_delivery, by=self.public)
        self.assertFalse(answer.crm_handoff_id.filtered(
            lambda h: not h.to_department_id.active))  # fmt: skip

    def test_contact_answers_detractor(self):
        contact = self.env["res.partner"].create(
            {"name": "BVH buyer", "parent_id": self.customer.id, "email": "b@x.com"}
        )
        answer = self._send(contact)
        self._answer(answer, 0, topic=self.topic_delivery, by=self.public)
        self.assertRecordValues(
            answer.crm_handoff_id,
            [{"partner_id": self.customer.id, "to_department_id": self.logistics.id}],
        )


@tagged("post_install", "-at_install")
class TestBreakVoicePortal(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "BVP Ltd", "is_company": True}
        )
        cls.portal = new_test_user(
            cls.env, login="bvp_portal", groups="base.group_portal"
        )
        cls.portal.partner_id.parent_id = cls.customer
        cls.survey = cls.env.ref("crm_relationship.survey_relationship_nps")

    def _count(self):
        return self.make_jsonrpc_request(
            "/my/counters", {"counters": ["crm_survey_count"]}
        )["crm_survey_count"]

    def test_other_surveys_and_companies(self):
        plain = self.env["survey.survey"].create(
            {"title": "BVP plain survey", "access_mode": "token"}
        )
        plain_answer = plain._create_answer(
            partner=self.portal.partner_id, check_attempts=False
        )
        other = self.env["res.company"].create({"name": "BVP Other"})
        b_answer = (
            self.survey.sudo()
            .with_company(other)
            ._create_answer(
                partner=self.portal.partner_id,
                check_attempts=False,
                crm_company_id=other.id,
            )
        )
        self.authenticate("bvp_portal", "bvp_portal")
        self.assertEqual(self._count(), 1)
        page = self.url_open("/my/surveys")
        self.assertIn(b_answer.access_token, page.text)
        self.assertNotIn(plain_answer.access_token, page.text)

    def test_deadline_just_passed_and_archived_survey(self):
        past = self.survey._create_answer(
            partner=self.portal.partner_id, check_attempts=False
        )
        past.deadline = fields.Datetime.now() - timedelta(minutes=1)
        copy = self.survey.copy()
        archived = copy._create_answer(
            partner=self.portal.partner_id, check_attempts=False
        )
        copy.active = False
        self.authenticate("bvp_portal", "bvp_portal")
        self.assertEqual(self._count(), 0)
        page = self.url_open("/my/surveys")
        self.assertNotIn(past.access_token, page.text)
        self.assertNotIn(archived.access_token, page.text)
