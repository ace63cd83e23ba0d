"""The voice of the customer in the demo company: a year of quarterly NPS rounds
and the satisfaction surveys of the resolved complaints, answered as customers do
(the better served answer more often and more warmly), written after the first
scoring so that each answer knows its customer's tier.

Deterministic: one seed gives the same answers on the same scores.
"""

import random
from datetime import datetime, time, timedelta

from odoo import fields

# days before today of the four rounds, oldest first
NPS_ROUNDS = [330, 240, 150, 60]
# share of the customers drawn each round
NPS_SAMPLE = 0.4
# chance that a customer of the tier answers
RESPONSE_RATE = {"A": 0.6, "B": 0.45, "C": 0.35, "D": 0.25, "E": 0.2, "F": 0.15}
# reason, the topic chosen (a choice of survey_question_nps_topic)
REASONS = {
    "promoter": [
        ("Deliveries always on time.", "delivery"),
        ("The account manager knows our business.", "service"),
        ("Quick answers when something goes wrong.", "service"),
    ],
    "passive": [
        ("Good products, prices a little high.", "quality"),
        ("Fine, but ordering takes too many e-mails.", "service"),
    ],
    "detractor": [
        ("Three late deliveries in a row.", "delivery"),
        ("Invoices are often wrong and take weeks to correct.", "invoicing"),
        ("Nobody called back about the broken crates.", "service"),
    ],
}
# CSAT (1-5) and CES (1-7) of the complaints' surveys, by the star rating given
SATISFACTION_BY_RATING = {5: (5, 6), 3: (3, 4), 1: (1, 2)}


class VoiceDemoMixin:
    """NPS history and complaint surveys for the demo generator."""

    def generate_voice(self):
        """Answer a year of NPS rounds and the complaints' surveys; switch the
        company's NPS schedule on. Returns the number of NPS surveys sent."""
        rng = random.Random(self.seed)
        company = self.company
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(company)
        profile.write(
            {"nps_interval_days": 91, "nps_sample_percent": 40, "nps_quiet_days": 80}
        )
        scores = self.env["crm.relationship.score"].search(
            [("company_id", "=", company.id), ("tier", "!=", False)],
            order="partner_id",
        )
        survey = profile.nps_survey_id.sudo().with_company(company)
        questions = {q.crm_measure: q for q in survey.question_ids if q.crm_measure}
        sent = 0
        now = fields.Datetime.now()
        for days in NPS_ROUNDS:
            day = self.date_ref - timedelta(days=days)
            sent_at = datetime.combine(day, time(8, 0))
            latest = days == NPS_ROUNDS[-1]
            for score in scores:
                if rng.random() >= NPS_SAMPLE:
                    continue
                answers = rng.random() < RESPONSE_RATE[score.tier]
                value = self._demo_nps(rng, score.health_score)
                answer = survey._create_answer(
                    partner=score.partner_id,
                    check_attempts=False,
                    crm_company_id=company.id,
                )
                answer.crm_sent_date = sent_at
                sent += 1
                if not answers:
                    continue
                answer._save_lines(questions["nps"], str(value))
                category = (
                    "promoter"
                    if value >= 9
                    else "passive"
                    if value >= 7
                    else "detractor"
                )
                if rng.random() < 0.7:
                    reason, topic = rng.choice(REASONS[category])
                    answer._save_lines(questions["nps_reason"], self._text(reason))
                    answer._save_lines(
                        questions["nps_topic"],
                        self.env.ref(
                            f"crm_relationship.survey_answer_nps_topic_{topic}"
                        ).id,
                    )
                answered_at = min(
                    sent_at + timedelta(days=rng.randint(0, 6), hours=2), now
                )
                if latest:
                    # the latest round as it happens: detractors get a follow-up
                    answer._mark_done()
                    answer.end_datetime = answered_at
                else:
                    answer.write({"state": "done", "end_datetime": answered_at})
        self._answer_complaint_surveys()
        profile.nps_last_date = self.date_ref - timedelta(days=NPS_ROUNDS[-1])
        return sent

    @staticmethod
    def _demo_nps(rng, health):
        """A 0-10 answer around the customer's health (0-100): 3 at 0, 10 at 100."""
        mean = 3 + 7 * (health or 50) / 100
        return max(0, min(10, round(rng.gauss(mean, 1.8))))

    def _answer_complaint_surveys(self):
        """The customers who rated a resolved complaint answer its survey too."""
        answers = self.env["survey.user_input"].search(
            [
                ("crm_complaint_id.company_id", "=", self.company.id),
                ("state", "=", "new"),
            ]
        )
        for answer in answers.sudo():
            rating = answer.crm_complaint_id.rating_last_value
            csat, ces = SATISFACTION_BY_RATING.get(int(rating or 0), (None, None))
            if not csat:
                continue
            for question in answer.survey_id.question_ids:
                if question.crm_measure == "csat":
                    answer._save_lines(question, str(csat))
                elif question.crm_measure == "ces":
                    answer._save_lines(question, str(ces))
            answer._mark_done()
