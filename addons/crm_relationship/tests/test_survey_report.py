"""The NPS report: response rate, NPS with its margin of error, weighted by tier,
per tier, salesperson, department and month, read set-based from the analysis view
of the surveys sent."""

from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from ..tools import nps
from .common import USER, DepartmentCase


@tagged("post_install", "-at_install")
class TestSurveyReport(DepartmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.survey = cls.env.ref("crm_relationship.survey_relationship_nps")
        cls.q_nps = cls.env.ref("crm_relationship.survey_question_nps")
        cls.sales = cls.env["hr.department"].create({"name": "Key Accounts"})
        cls.service = cls.env["hr.department"].create({"name": "Service Desk"})
        cls.seller = cls._person("svr_seller", USER, cls.sales)
        cls.seller_2 = cls._person("svr_seller2", USER, cls.service)
        # 16 customers: 8 in tier A (seller), 8 in tier B (seller 2)
        cls.customers = cls.env["res.partner"].create(
            [
                {
                    "name": f"Svr {i:02d}",
                    "is_company": True,
                    "user_id": (cls.seller if i < 8 else cls.seller_2).id,
                }
                for i in range(16)
            ]
        )
        Score = cls.env["crm.relationship.score"].sudo()
        for i, customer in enumerate(cls.customers):
            Score.create(
                {
                    "partner_id": customer.id,
                    "company_id": cls.company.id,
                    "tier": "A" if i < 8 else "B",
                }
            )

    def _send(self, partners, when="2026-06-05 09:00", survey=None):
        # sudo: as the schedule does when it invites the customers
        survey = (survey or self.survey).sudo()
        answers = self.env["survey.user_input"]
        with freeze_time(when):
            for partner in partners:
                answers |= survey._create_answer(partner=partner, check_attempts=False)
        return answers

    def _answer(self, answer, score, when="2026-06-10 10:00"):
        with freeze_time(when):
            answer._save_lines(self.q_nps, str(score))
            answer._mark_done()

    def _sent_and_answered(self, scores):
        """16 surveys sent in June; the first customers answer ``scores``."""
        answers = self._send(self.customers)
        answers = answers.sorted(lambda a: a.crm_partner_id.name)
        for answer, score in zip(answers, scores, strict=False):
            self._answer(answer, score)
        return answers

    def _summary(self, **values):
        return self.env["crm.survey.summary"].create(
            {"date_from": "2026-06-01", "date_to": "2026-06-30", **values}
        )

    def test_the_worked_values_of_the_issue(self):
        # answers 10, 9, 7 and 3 to 16 surveys sent: NPS 25, response rate 25 %
        self._sent_and_answered([10, 9, 7, 3])
        summary = self._summary()
        self.assertEqual((summary.sent, summary.answered), (16, 4))
        self.assertEqual(summary.response_rate, 25.0)
        self.assertEqual(summary.nps, 25.0)
        # P = D + .25 = .5, D = .25: variance .75 - .0625 = .6875 over 4 answers
        self.assertAlmostEqual(
            summary.nps_moe, 100 * nps.Z_95 * (0.6875 / 4) ** 0.5, places=1
        )
        self.assertRegex(summary.note, "Only 4 answers")
        # the analysis view averages to the same figures
        Report = self.env["crm.survey.report"]
        domain = [("partner_id", "in", self.customers.ids)]
        ((nps_points, response),) = Report._read_group(
            domain, [], ["nps_points:avg", "response_percent:avg"]
        )
        self.assertEqual((nps_points, response), (25.0, 25.0))

    def test_weighted_by_tier_a_quiet_tier_is_not_drowned(self):
        # tier A: 8 asked, 6 answer 10, 10, 10, 10, 8, 2 -> NPS 50
        # tier B: 8 asked, 2 answer 3 and 4 -> NPS -100
        # unweighted: 4 - 3 of 8 = 12.5; weighted .5 x 50 + .5 x -100 = -25
        scores = [10, 10, 10, 10, 8, 2, None, None, 3, 4]
        answers = self._send(self.customers).sorted(lambda a: a.crm_partner_id.name)
        for answer, score in zip(answers, scores, strict=False):
            if score is not None:
                self._answer(answer, score)
        summary = self._summary()
        self.assertEqual(summary.nps, 12.5)
        self.assertAlmostEqual(summary.nps_weighted, -25.0)
        tiers = {line.name: line for line in summary.line_ids}
        self.assertEqual(set(tiers), {"A", "B"})
        self.assertEqual(
            (tiers["A"].sent, tiers["A"].answered, tiers["A"].nps), (8, 6, 50.0)
        )
        self.assertEqual(tiers["A"].response_rate, 75.0)
        self.assertEqual((tiers["B"].nps, tiers["B"].nps_moe), (-100.0, 0.0))
        self.assertEqual(tiers["B"].detractors, 2)

    def test_per_salesperson_department_and_month(self):
        answers = self._sent_and_answered([10, 9, 7, 3])
        # two more surveys sent in July to tier B, one answered 10
        july = self._send(self.customers[8:10], when="2026-07-02 09:00")
        self._answer(july[0], 10, when="2026-07-03 09:00")
        by_user = self._summary(date_to="2026-07-31", group_by="user_id")
        lines = {line.name: line for line in by_user.line_ids}
        self.assertEqual(lines["svr_seller"].sent, 8)
        self.assertEqual(lines["svr_seller"].nps, 25.0)
        self.assertEqual(lines["svr_seller2"].sent, 10)
        self.assertEqual(lines["svr_seller2"].nps, 100.0)
        by_department = self._summary(date_to="2026-07-31", group_by="department_id")
        self.assertEqual(
            {line.name: line.answered for line in by_department.line_ids},
            {"Key Accounts": 4, "Service Desk": 1},
        )
        by_month = self._summary(date_to="2026-07-31", group_by="date_sent:month")
        self.assertEqual(
            [(line.name, line.sent, line.answered) for line in by_month.line_ids],
            [("June 2026", 16, 4), ("July 2026", 2, 1)],
        )
        # each line opens its surveys
        action = by_month.line_ids[1].action_open_answers()
        self.assertEqual(
            self.env["crm.survey.report"].search(action["domain"]).answer_id, july
        )
        self.assertNotIn(answers[0], self.env["crm.survey.report"].search(
            action["domain"]).answer_id)  # fmt: skip

    def test_the_period_is_cut_in_the_users_time_zone(self):
        # sent on 30 June 20:00 UTC: 1 July 04:00 in Shanghai
        self._send(self.customers[0], when="2026-06-30 20:00")
        self.env.user.tz = "Asia/Shanghai"
        self.assertEqual(self._summary().sent, 0)
        self.assertEqual(
            self._summary(date_from="2026-07-01", date_to="2026-07-31").sent, 1
        )
        self.env.user.tz = "America/Los_Angeles"
        self.assertEqual(self._summary().sent, 1)

    def test_test_entries_and_other_companies_are_left_out(self):
        self._sent_and_answered([10])
        test_entry = self._send(self.customers[1])
        test_entry.test_entry = True
        other = self.env["res.company"].create({"name": "Svr Other Co"})
        with freeze_time("2026-06-05 09:00"):
            self.survey.sudo().with_company(other)._create_answer(
                partner=self.customers[2], check_attempts=False
            )
        summary = self._summary()
        self.assertEqual((summary.sent, summary.answered), (16, 1))
        # a user of the first company only does not see the other company's rows
        self.assertFalse(
            self.env["crm.survey.report"]
            .with_user(self.seller)
            .search([("company_id", "=", other.id)])
        )

    def test_after_a_complaint_csat_and_ces(self):
        survey = self.env.ref("crm_relationship.survey_complaint_satisfaction")
        q_csat = self.env.ref("crm_relationship.survey_question_csat")
        q_ces = self.env.ref("crm_relationship.survey_question_ces")
        complaints = self.env["crm.complaint"].create(
            [
                {"name": f"Late {i}", "partner_id": self.customers[i].id}
                for i in range(3)
            ]
        )
        for i, (csat, ces) in enumerate([(5, 6), (2, 3), (None, None)]):
            answer = self._send(self.customers[i], survey=survey)
            answer.crm_complaint_id = complaints[i]
            if csat:
                with freeze_time("2026-06-06 10:00"):
                    answer._save_lines(q_csat, str(csat))
                    answer._save_lines(q_ces, str(ces))
                    answer._mark_done()
        summary = self._summary(kind="complaint")
        self.assertEqual((summary.sent, summary.answered), (3, 2))
        self.assertEqual((summary.csat, summary.ces), (3.5, 4.5))
        self.assertFalse(summary.has_nps)

    def test_no_answer_and_bad_period(self):
        summary = self._summary()
        self.assertEqual((summary.sent, summary.response_rate), (0, 0.0))
        self.assertFalse(summary.has_nps)
        self.assertEqual(summary.note, "No NPS answer in this period.")
        with self.assertRefused(ValidationError, "must start before it ends"):
            self._summary(date_from="2026-07-01")

    def test_the_menu_opens_a_computed_report(self):
        self._sent_and_answered([10, 9, 7, 3])
        with freeze_time("2026-07-15 12:00"):
            action = (
                self.env["crm.survey.summary"]
                .with_user(self.seller)
                .action_open_report()
            )
        summary = self.env["crm.survey.summary"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "crm.survey.summary")
        self.assertEqual(summary.display_name, "NPS Report")
        # the last twelve months, from the first of the month
        self.assertEqual(
            (str(summary.date_from), str(summary.date_to)),
            ("2025-08-01", "2026-07-15"),
        )
        self.assertEqual((summary.sent, summary.nps), (16, 25.0))
        self.assertEqual(len(summary.line_ids), 2)
        # changed filters, then Update
        summary.group_by = "user_id"
        summary.action_summarize()
        self.assertEqual(summary.line_ids.mapped("name"), ["svr_seller", "svr_seller2"])

    def test_access(self):
        self._sent_and_answered([10, 3])
        summary = (
            self.env["crm.survey.summary"]
            .with_user(self.seller)
            .create({"date_from": "2026-06-01", "date_to": "2026-06-30"})
        )
        self.assertEqual(summary.nps, 0.0)
        self.assertEqual(summary.answered, 2)
        outsider = new_test_user(
            self.env, login="svr_outsider", groups="base.group_user"
        )
        with self.assertRaises(AccessError):
            self.env["crm.survey.report"].with_user(outsider).search([])
        with self.assertRaises(AccessError):
            self.env["crm.survey.summary"].with_user(outsider).create({})
