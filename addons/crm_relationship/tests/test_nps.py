"""The voice of the customer on Odoo's survey app: NPS answers on the score rows and
the customer 360, the detractor's follow-up, the latest answer counting.

Answers go through Odoo's own survey API (``_create_answer``, ``_save_lines``,
``_mark_done``), as the portal page does.
"""

from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from ..models.survey_user_input import nps_category
from ..tools import scoring
from .common import USER, RelationshipScoringCommon


@tagged("post_install", "-at_install")
class TestNps(RelationshipScoringCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.survey = cls.env.ref("crm_relationship.survey_relationship_nps")
        cls.q_nps = cls.env.ref("crm_relationship.survey_question_nps")
        cls.q_reason = cls.env.ref("crm_relationship.survey_question_nps_reason")
        cls.service = cls.env["hr.department"].create({"name": "Service"})
        cls.agent = new_test_user(cls.env, login="nps_agent", groups=USER)
        cls.customers = cls.env["res.partner"].create(
            [{"name": f"Customer {i}", "is_company": True} for i in range(4)]
        )
        for customer in cls.customers:
            cls._invoice(customer, "2026-05-01", 100)

    def _answer(
        self, partner, score, reason=None, when="2026-06-10 10:00", topic=None, by=None
    ):
        # sudo: as the survey's portal page does with the answer of its token
        with freeze_time(when):
            answer = self.survey.sudo()._create_answer(
                partner=partner, check_attempts=False
            )
            if by:
                answer = answer.with_user(by).sudo()
            answer._save_lines(self.q_nps, str(score))
            if reason:
                answer._save_lines(self.q_reason, reason)
            if topic:
                answer._save_lines(topic.question_id, topic.id)
            answer._mark_done()
        return answer

    def _recompute(self, date_ref=date(2026, 6, 30)):
        self.Score.recompute(company_ids=self.company.ids, date_ref=date_ref)

    def test_categories(self):
        self.assertEqual(
            [nps_category(s) for s in range(11)],
            ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2,
        )
        self.assertIsNone(nps_category(None))

    def test_answer_on_the_score_row_at_once(self):
        self._recompute()
        answer = self._answer(self.customers[0], 9, "Fast deliveries")
        self.assertRecordValues(
            answer,
            [
                {
                    "crm_partner_id": self.customers[0].id,
                    "crm_company_id": self.company.id,
                    "crm_nps": 9,
                    "crm_nps_category": "promoter",
                    "crm_nps_points": 100.0,
                    "crm_responded": 100.0,
                }
            ],
        )
        self.assertRecordValues(
            self._score(self.customers[0]),
            [
                {
                    "nps_score": 9,
                    "nps_category": "promoter",
                    "nps_date": date(2026, 6, 10),
                    "nps_reason": "Fast deliveries",
                }
            ],
        )

    def test_a_customer_who_never_answered_is_unknown(self):
        self._answer(self.customers[0], 0)
        self._recompute()
        self.assertEqual(self._score(self.customers[0]).nps_category, "detractor")
        self.assertEqual(self._score(self.customers[0]).nps_score, 0)
        silent = self._score(self.customers[1])
        self.assertFalse(silent.nps_category)
        self.assertFalse(silent.nps_date)

    def test_the_latest_answer_counts_and_supersedes(self):
        first = self._answer(self.customers[0], 3, when="2026-03-01 10:00")
        second = self._answer(self.customers[0], 10, when="2026-06-01 10:00")
        self._recompute()
        self.assertEqual(self._score(self.customers[0]).nps_score, 10)
        self.assertEqual(first.crm_nps_next_date, datetime(2026, 6, 1, 10, 0))
        self.assertFalse(second.crm_nps_next_date)
        # back-testing: as of April, the March answer was the latest
        self._recompute(date(2026, 5, 31))
        self.assertEqual(self._score(self.customers[0]).nps_score, 3)

    def test_a_contact_answers_for_the_company(self):
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": self.customers[1].id}
        )
        self._recompute()
        self._answer(contact, 7)
        score = self._score(self.customers[1])
        self.assertEqual((score.nps_score, score.nps_category), (7, "passive"))

    def test_an_unfinished_answer_is_no_answer(self):
        self._recompute()
        answer = self.survey.sudo()._create_answer(
            partner=self.customers[2], check_attempts=False
        )
        answer._save_lines(self.q_nps, "2")
        self.assertFalse(answer.crm_nps_category)
        self.assertEqual(answer.crm_responded, 0.0)
        self.assertFalse(self._score(self.customers[2]).nps_category)

    def test_a_detractor_gets_a_follow_up_from_the_account_team(self):
        self.env["crm.account.team.member"].create(
            {
                "partner_id": self.customers[3].id,
                "user_id": self.agent.id,
                "department_id": self.service.id,
                "is_primary": True,
            }
        )
        self._answer(self.customers[3], 4, "Three late deliveries in a row")
        activity = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.customers[3].id),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref("crm_relationship.mail_activity_type_detractor").id,
                ),
            ]
        )
        self.assertEqual(activity.user_id, self.agent)
        self.assertIn("4 out of 10", activity.summary)
        self.assertIn("Three late deliveries", str(activity.note))
        # a promoter and a passive get none
        self._answer(self.customers[3], 9)
        self._answer(self.customers[3], 8)
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", self.customers[3].id),
                ]
            ),
            1,
        )

    def test_a_detractor_is_handed_off_to_the_department_of_the_topic(self):
        logistics = self.env["hr.department"].create({"name": "Logistics"})
        delivery = self.env.ref("crm_relationship.crm_complaint_category_delivery")
        delivery.department_id = logistics
        service = self.env.ref("crm_relationship.crm_complaint_category_service")
        service.department_id = self.service
        self.env["crm.account.team.member"].create(
            {
                "partner_id": self.customers[3].id,
                "user_id": self.agent.id,
                "department_id": self.service.id,
                "is_primary": True,
            }
        )
        topic = self.env.ref("crm_relationship.survey_answer_nps_topic_delivery")
        # answered on the survey's page by a visitor (the public user, no e-mail)
        answer = self._answer(
            self.customers[3], 3, "Late again", topic=topic,
            by=self.env.ref("base.public_user"),
        )  # fmt: skip
        self.assertEqual(answer.crm_topic_category_id, delivery)
        self.assertRecordValues(
            answer.crm_handoff_id,
            [
                {
                    "partner_id": self.customers[3].id,
                    "from_department_id": self.service.id,
                    "to_department_id": logistics.id,
                    "requested_by_id": self.agent.id,
                    "state": "requested",
                    "priority": "1",
                }
            ],
        )
        self.assertIn("Late again", str(answer.crm_handoff_id.description))
        self.assertIn("Delivery", str(answer.crm_handoff_id.description))
        # the account team's follow-up stays, to close the loop with the customer
        self.assertEqual(
            self.customers[3].activity_ids.activity_type_id,
            self.env.ref("crm_relationship.mail_activity_type_detractor"),
        )
        Handoff = self.env["crm.handoff"]
        before = Handoff.search_count([("partner_id", "=", self.customers[3].id)])
        # a passive on the same topic, a detractor on a topic without department
        # and one on the account team's own department: no hand-off
        self._answer(self.customers[3], 8, topic=topic)
        quality = self.env.ref("crm_relationship.survey_answer_nps_topic_quality")
        self.assertFalse(
            self._answer(self.customers[3], 2, topic=quality).crm_handoff_id
        )
        own = self.env.ref("crm_relationship.survey_answer_nps_topic_service")
        self.assertFalse(self._answer(self.customers[3], 2, topic=own).crm_handoff_id)
        self.assertEqual(
            Handoff.search_count([("partner_id", "=", self.customers[3].id)]), before
        )

    def test_a_detractor_without_anyone_serving_is_logged(self):
        self._answer(self.customers[2], 1, "Nobody calls back")
        self.assertFalse(
            self.env["mail.activity"].search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", self.customers[2].id),
                ]
            )
        )
        self.assertTrue(
            self.customers[2].message_ids.filtered(
                lambda m: "Nobody calls back" in str(m.body)
            )
        )

    def test_the_salesperson_follows_up_when_there_is_no_team(self):
        self.customers[1].user_id = self.agent
        self._answer(self.customers[1], 6)
        activity = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.customers[1].id)]
        )
        self.assertEqual(activity.user_id, self.agent)

    def test_answers_of_another_company_stay_there(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        self._recompute()
        with freeze_time("2026-06-10 10:00"):
            answer = (
                self.survey.sudo()
                .with_company(other)
                ._create_answer(partner=self.customers[0], check_attempts=False)
            )
            answer._save_lines(self.q_nps, "2")
            answer._mark_done()
        self.assertEqual(answer.crm_company_id, other)
        self.assertFalse(self._score(self.customers[0]).nps_category)


@tagged("post_install", "-at_install")
class TestNpsSchedule(RelationshipScoringCommon):
    """The relationship NPS sent on a schedule: every ``nps_interval_days``, to the
    customers of the tiers asked, a sample of them, nobody twice in the quiet
    period, by e-mail; customers without an address are counted, not asked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.profile = cls.env["crm.relationship.scoring.profile"]._get_for_company(
            cls.company
        )
        cls.profile.write(
            {
                "nps_interval_days": 90,
                "nps_tiers": "AB",
                "nps_sample_percent": 100,
                "nps_quiet_days": 60,
            }
        )
        cls.customers = cls.env["res.partner"].create(
            [
                {
                    "name": f"Customer {i}",
                    "is_company": True,
                    "email": f"c{i}@x.example",
                }
                for i in range(6)
            ]
        )
        cls.customers[5].email = False
        cls.Score = cls.env["crm.relationship.score"].sudo()
        for customer, tier in zip(cls.customers, "AABCAB", strict=True):
            cls.Score.create(
                {"partner_id": customer.id, "company_id": cls.company.id, "tier": tier}
            )

    def _sent(self):
        return self.env["survey.user_input"].search(
            [
                ("survey_id", "=", self.profile.nps_survey_id.id),
                ("crm_partner_id", "in", self.customers.ids),
            ]
        )

    def test_sends_to_the_tiers_asked_once_per_interval(self):
        with freeze_time("2026-06-01 08:00"):
            report = self.profile._send_nps_surveys()
        sent = self._sent()
        # tiers A and B: customers 0, 1 (A), 2 (B), 4 (A); 5 (B) has no e-mail
        self.assertEqual(sent.crm_partner_id, self.customers[:3] | self.customers[4])
        self.assertEqual(report, {"sent": 4, "without_email": 1})
        mails = self.env["mail.mail"].search(
            [("model", "=", "survey.user_input"), ("res_id", "in", sent.ids)]
        )
        self.assertEqual(len(mails), 4)
        self.assertIn(sent[0].get_start_url(), "".join(mails.mapped("body_html")))
        # the next day: not due yet
        with freeze_time("2026-06-02 08:00"):
            self.profile._send_nps_surveys()
        self.assertEqual(len(self._sent()), 4)
        self.assertEqual(self.profile.nps_last_date, date(2026, 6, 1))

    def test_quiet_period(self):
        with freeze_time("2026-06-01 08:00"):
            self.profile._send_nps_surveys()
        self.profile.nps_interval_days = 30
        # 30 days later it is due, but everybody was asked within the 60 quiet days
        with freeze_time("2026-07-01 08:00"):
            self.assertEqual(self.profile._send_nps_surveys()["sent"], 0)
        with freeze_time("2026-08-01 08:00"):
            self.assertEqual(self.profile._send_nps_surveys()["sent"], 4)

    def test_the_sample_is_a_share_and_repeatable(self):
        many = self.env["res.partner"].create(
            [
                {"name": f"Many {i}", "is_company": True, "email": f"m{i}@x.example"}
                for i in range(200)
            ]
        )
        for customer in many:
            self.Score.create(
                {"partner_id": customer.id, "company_id": self.company.id, "tier": "A"}
            )
        self.profile.nps_sample_percent = 25
        picked = self.profile._nps_sample(many.ids, date(2026, 6, 1))
        self.assertEqual(picked, self.profile._nps_sample(many.ids, date(2026, 6, 1)))
        self.assertTrue(30 <= len(picked) <= 70, len(picked))
        self.assertNotEqual(
            picked, self.profile._nps_sample(many.ids, date(2026, 9, 1))
        )

    def test_switched_off(self):
        self.profile.nps_interval_days = 0
        with freeze_time("2026-06-01 08:00"):
            self.profile._send_nps_surveys()
        self.assertFalse(self._sent())

    def test_bad_settings_are_refused(self):
        for values, message in (
            ({"nps_tiers": "AZ"}, "tiers"),
            ({"nps_sample_percent": 0}, "share"),
            ({"nps_sample_percent": 120}, "share"),
            ({"nps_interval_days": -1}, "days"),
            ({"nps_quiet_days": -5}, "days"),
        ):
            with (
                self.subTest(values=values),
                self.assertRaisesRegex(ValidationError, message),
                self.env.cr.savepoint(),
            ):
                self.profile.write(values)


@tagged("post_install", "-at_install")
class TestComplaintSurvey(RelationshipScoringCommon):
    """CSAT and CES asked when a complaint is resolved, beside Odoo's rating."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Acme", "is_company": True}
        )
        cls.buyer = cls.env["res.partner"].create(
            {"name": "Anna", "parent_id": cls.customer.id, "email": "anna@acme.example"}
        )
        cls.survey = cls.env.ref("crm_relationship.survey_complaint_satisfaction")

    def _close(self, partner):
        complaint = self.env["crm.complaint"].create(
            {"name": "Broken crates", "partner_id": partner.id}
        )
        complaint.action_close()
        return complaint

    def test_resolving_sends_the_survey_to_the_person_who_complained(self):
        complaint = self._close(self.buyer)
        answer = self.env["survey.user_input"].search(
            [("crm_complaint_id", "=", complaint.id)]
        )
        self.assertRecordValues(
            answer,
            [
                {
                    "survey_id": self.survey.id,
                    "partner_id": self.buyer.id,
                    "crm_partner_id": self.customer.id,
                    "crm_company_id": self.company.id,
                }
            ],
        )
        mail = self.env["mail.mail"].search(
            [("model", "=", "survey.user_input"), ("res_id", "=", answer.id)]
        )
        self.assertIn(answer.get_start_url(), mail.body_html)
        # sudo: as the survey's portal page does with the answer of its token
        answer = answer.sudo()
        with freeze_time("2026-06-10 10:00"):
            answer._save_lines(
                self.env.ref("crm_relationship.survey_question_csat"), "4"
            )
            answer._save_lines(
                self.env.ref("crm_relationship.survey_question_ces"), "6"
            )
            answer._mark_done()
        self.assertEqual((answer.crm_csat, answer.crm_ces), (4, 6))
        self.assertFalse(answer.crm_nps_category)

    def test_nobody_to_write_to_or_switched_off(self):
        nobody = self.env["res.partner"].create({"name": "No mail", "is_company": True})
        complaint = self._close(nobody)
        self.env["crm.relationship.scoring.profile"]._get_for_company(
            self.company
        ).complaint_survey_id = False
        other = self._close(self.buyer)
        self.assertFalse(
            self.env["survey.user_input"].search(
                [("crm_complaint_id", "in", (complaint | other).ids)]
            )
        )


@tagged("post_install", "-at_install")
class TestSatisfactionInHealth(RelationshipScoringCommon):
    """Satisfaction in the health score from the latest NPS, the CSAT answers of the
    window and the complaint ratings together, weighted on the profile (50 / 25 / 25
    by default) over the parts known; unknown when none is."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.profile = cls.env["crm.relationship.scoring.profile"]._get_for_company(
            cls.company
        )
        # judge by satisfaction alone, so that the health score is the component
        cls.profile.write(
            {
                "weight_recency": 0,
                "weight_frequency": 0,
                "weight_monetary": 0,
                "weight_payment": 0,
                "weight_delivery": 0,
                "weight_complaint": 0,
                "weight_satisfaction": 1,
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Heard", "is_company": True}
        )
        cls._invoice(cls.customer, fields.Date.today() - timedelta(days=10), 100.0)
        cls.nps_survey = cls.env.ref("crm_relationship.survey_relationship_nps")
        cls.csat_survey = cls.env.ref("crm_relationship.survey_complaint_satisfaction")

    def _answer(self, survey, lines):
        # sudo: as the survey's portal page does with the answer of its token
        answer = survey.sudo()._create_answer(
            partner=self.customer, check_attempts=False
        )
        for xmlid, value in lines:
            answer._save_lines(self.env.ref(xmlid), str(value))
        answer._mark_done()
        return answer

    def _rate(self, stars):
        complaint = self.env["crm.complaint"].create(
            {"name": "Rated", "partner_id": self.customer.id}
        )
        self.env["rating.rating"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("crm.complaint"),
                "res_id": complaint.id,
                "partner_id": self.customer.id,
                "rating": stars,
                "consumed": True,
            }
        )

    def _satisfaction(self):
        self.Score.recompute(partner_ids=self.customer.ids)
        score = self._score(self.customer)
        return (
            score.satisfaction_known,
            score.satisfaction_component,
            score.health_score,
        )

    def test_nobody_answered_is_unknown(self):
        self.assertEqual(self._satisfaction(), (False, 0.0, 0.0))

    def test_nps_alone(self):
        self._answer(self.nps_survey, [("crm_relationship.survey_question_nps", 9)])
        self.assertEqual(self._satisfaction(), (True, 90.0, 90.0))

    def test_nps_and_csat(self):
        self._answer(self.nps_survey, [("crm_relationship.survey_question_nps", 9)])
        self._answer(
            self.csat_survey,
            [
                ("crm_relationship.survey_question_csat", 4),
                ("crm_relationship.survey_question_ces", 5),
            ],
        )
        # (50 x 90 + 25 x 75) / 75 = 85
        self.assertEqual(self._satisfaction(), (True, 85.0, 85.0))

    def test_nps_csat_and_ratings(self):
        self._answer(self.nps_survey, [("crm_relationship.survey_question_nps", 9)])
        self._answer(
            self.csat_survey,
            [
                ("crm_relationship.survey_question_csat", 4),
                ("crm_relationship.survey_question_ces", 5),
            ],
        )
        self._rate(5)
        # (50 x 90 + 25 x 75 + 25 x 100) / 100 = 88.75
        self.assertEqual(self._satisfaction(), (True, 88.75, 88.75))

    def test_ratings_alone_as_before(self):
        self._rate(4)
        self.assertEqual(self._satisfaction(), (True, 75.0, 75.0))

    def test_a_zero_weight_leaves_its_part_out(self):
        self.profile.satisfaction_weight_nps = 0
        self._answer(self.nps_survey, [("crm_relationship.survey_question_nps", 2)])
        self._rate(5)
        self.assertEqual(self._satisfaction(), (True, 100.0, 100.0))

    def test_weights_must_leave_something(self):
        with self.assertRaisesRegex(ValidationError, "satisfaction"):
            self.profile.write(
                {
                    "satisfaction_weight_nps": 0,
                    "satisfaction_weight_csat": 0,
                    "satisfaction_weight_rating": 0,
                }
            )

    def test_reference_twin(self):
        self.assertEqual(
            scoring.satisfaction(9, 4.0, 5.0, {"nps": 50, "csat": 25, "rating": 25}),
            88.75,
        )
        self.assertIsNone(
            scoring.satisfaction(
                None, None, None, {"nps": 50, "csat": 25, "rating": 25}
            )
        )
