from odoo import _, api, fields, models
from odoo.tools import SQL, plaintext2html

from ..tools import scoring

NPS_CATEGORIES = [
    ("promoter", "Promoter"),
    ("passive", "Passive"),
    ("detractor", "Detractor"),
]


def nps_category(score):
    """The NPS category of a 0-10 answer (Reichheld, "The One Number You Need to
    Grow", HBR 2003): promoter 9-10, passive 7-8, detractor 0-6; None for none."""
    if score is None or score is False:
        return None
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


class SurveyUserInput(models.Model):
    """A survey answer as the relationship reads it: the customer (commercial
    entity), the company that asked, and the NPS, CSAT and CES given."""

    _inherit = "survey.user_input"

    crm_company_id = fields.Many2one(
        "res.company",
        "Asked by",
        default=lambda self: self.env.company,
        index="btree_not_null",
        help="The company whose relationship the answer speaks of.",
    )
    crm_sent_date = fields.Datetime(
        "Sent on",
        default=fields.Datetime.now,
        readonly=True,
        help="When the survey was sent (the invitation created the answer).",
    )
    crm_partner_id = fields.Many2one(
        "res.partner",
        "Customer",
        related="partner_id.commercial_partner_id",
        store=True,
        index="btree_not_null",
    )
    crm_user_id = fields.Many2one(
        "res.users",
        "Salesperson",
        compute="_compute_crm_user_id",
        store=True,
        help="The customer's salesperson when the survey was sent.",
    )
    crm_tier = fields.Selection(
        scoring.TIER_SELECTION,
        "Customer tier",
        compute="_compute_crm_user_id",
        store=True,
        help="The customer's relationship tier when the survey was sent.",
    )
    crm_complaint_id = fields.Many2one(
        "crm.complaint", "Complaint", index="btree_not_null"
    )
    crm_asks_nps = fields.Boolean(related="survey_id.crm_asks_nps", store=True)
    crm_nps = fields.Integer(
        "NPS answer", compute="_compute_crm_measures", store=True, aggregator="avg"
    )
    crm_nps_category = fields.Selection(
        NPS_CATEGORIES, "NPS category", compute="_compute_crm_measures", store=True
    )
    crm_nps_points = fields.Float(
        "NPS",
        compute="_compute_crm_measures",
        store=True,
        aggregator="avg",
        help="100 for a promoter, 0 for a passive, -100 for a detractor: the "
        "average over the answers is the Net Promoter Score.",
    )
    crm_nps_reason = fields.Text("Reason", compute="_compute_crm_measures", store=True)
    crm_topic_category_id = fields.Many2one(
        "crm.complaint.category",
        "NPS topic",
        compute="_compute_crm_measures",
        store=True,
        help="What the NPS answer concerns most, as the customer chose it.",
    )
    crm_handoff_id = fields.Many2one(
        "crm.handoff",
        "Detractor hand-off",
        readonly=True,
        index="btree_not_null",
        help="The hand-off to the department the detractor's answer concerns.",
    )
    crm_csat = fields.Integer(
        "CSAT", compute="_compute_crm_measures", store=True, aggregator="avg"
    )
    crm_ces = fields.Integer(
        "CES", compute="_compute_crm_measures", store=True, aggregator="avg"
    )
    crm_responded = fields.Float(
        "Response rate (%)",
        compute="_compute_crm_measures",
        store=True,
        aggregator="avg",
        help="100 for an answered survey, 0 for one sent and not answered: the "
        "average over the surveys sent is the response rate.",
    )
    crm_followed_up = fields.Boolean(
        "Detractor followed up",
        readonly=True,
        copy=False,
        help="The account team was given a follow-up for this answer.",
    )
    crm_nps_next_date = fields.Datetime(
        "Superseded on",
        readonly=True,
        help="When the same customer answered the NPS again (the company's latest "
        "answer counts); empty for the latest.",
    )

    @api.depends("partner_id")
    def _compute_crm_user_id(self):
        tiers = self.env["crm.relationship.score"]._tiers_of(
            self.crm_partner_id, self.crm_company_id
        )
        for answer in self:
            answer.crm_user_id = answer.crm_partner_id.user_id
            answer.crm_tier = tiers.get(
                (answer.crm_partner_id.id, answer.crm_company_id.id)
            )

    @api.depends(
        "state",
        "test_entry",
        "user_input_line_ids.value_scale",
        "user_input_line_ids.value_text_box",
        "user_input_line_ids.skipped",
        "user_input_line_ids.suggested_answer_id",
        "user_input_line_ids.question_id.crm_measure",
    )
    def _compute_crm_measures(self):
        for answer in self:
            # a test entry (the survey's "Test" button) measures nobody
            done = answer.state == "done" and not answer.test_entry
            values = {}
            for line in answer.user_input_line_ids:
                measure = line.question_id.crm_measure
                if not measure or line.skipped:
                    continue
                if measure == "nps_reason":
                    values[measure] = line.value_text_box
                elif measure == "nps_topic":
                    values[measure] = line.suggested_answer_id.crm_category_id
                else:
                    values[measure] = line.value_scale
            score = values.get("nps") if done else None
            category = nps_category(score)
            answer.crm_nps = score or 0
            answer.crm_nps_category = category
            answer.crm_nps_points = {"promoter": 100.0, "detractor": -100.0}.get(
                category, 0.0
            )
            answer.crm_nps_reason = values.get("nps_reason") if done else False
            answer.crm_topic_category_id = values.get("nps_topic") if done else False
            answer.crm_csat = values.get("csat", 0) if done else 0
            answer.crm_ces = values.get("ces", 0) if done else 0
            answer.crm_responded = 100.0 if done else 0.0

    def _mark_done(self):
        # the chain and the score rows follow the state (see write)
        result = super()._mark_done()
        # sudo: the customer who answers (public or portal user) may read neither
        # the account team nor the customer's activities
        # once per answer: an answer reopened and submitted again is not followed
        # up (nor handed off) twice
        self.sudo().filtered(
            lambda a: (
                a.crm_nps_category == "detractor"
                and a.crm_partner_id
                and not a.crm_followed_up
            )
        )._crm_follow_up()
        return result

    def write(self, vals):
        result = super().write(vals)
        if {"state", "test_entry", "partner_id", "crm_company_id"} & set(vals):
            self._crm_sync()
        return result

    def _crm_sync(self):
        """After answers changed (done, reopened, edited): chain each customer's NPS
        answers (each superseded by the next one), and write the latest on their
        score rows at once. Set-based: one statement for the chain, one per
        company for the rows."""
        # sudo: the customer who answers may read neither the other answers nor the
        # scores; the answers concerned were just written through Odoo's survey
        answers = self.sudo().filtered("crm_partner_id")
        if not answers:
            return
        self.env.flush_all()
        partners = answers.crm_partner_id.ids
        self.env.cr.execute(
            SQL(
                """
                UPDATE survey_user_input ui
                   SET crm_nps_next_date = chain.next_date
                  FROM (SELECT a.id,
                               CASE WHEN a.state = 'done'
                                     AND a.crm_nps_category IS NOT NULL
                               THEN LEAD(a.end_datetime) OVER (
                                   PARTITION BY a.crm_partner_id, a.crm_company_id,
                                                a.state = 'done'
                                                AND a.crm_nps_category IS NOT NULL
                                   ORDER BY a.end_datetime, a.id) END AS next_date
                          FROM survey_user_input a
                         WHERE a.crm_partner_id = ANY(%s)) chain
                 WHERE ui.id = chain.id
                   AND ui.crm_nps_next_date IS DISTINCT FROM chain.next_date
                """,
                partners,
            )
        )
        self.env["survey.user_input"].invalidate_model(["crm_nps_next_date"])
        Score = self.env["crm.relationship.score"].sudo()
        for company in answers.crm_company_id:
            Score._refresh_nps(company, partners)

    def _crm_follow_up(self):
        """A follow-up activity on the customer for its account team: the primary
        member of the company's account team, else any member, else the salesperson.
        Without any of them the answer is logged on the customer."""
        Member = self.env["crm.account.team.member"].sudo()
        members = Member.search(
            [
                ("partner_id", "in", self.crm_partner_id.ids),
                ("company_id", "in", self.crm_company_id.ids),
            ],
            order="is_primary desc, id",
        )
        self.crm_followed_up = True
        for answer in self:
            customer = answer.crm_partner_id
            team = members.filtered(
                lambda m, a=answer: (
                    m.partner_id == a.crm_partner_id
                    and m.company_id == a.crm_company_id
                )
            )
            user = team[:1].user_id or customer.user_id
            summary = _(
                "Follow up a detractor: %(customer)s answered %(score)s out of 10",
                customer=customer.display_name,
                score=answer.crm_nps,
            )
            note = answer.crm_nps_reason or _("No reason given.")
            if user:
                # in sudo (see _mark_done), the assignee is told by e-mail even when
                # the person answering has no address (a public user)
                customer.with_company(answer.crm_company_id).activity_schedule(
                    "crm_relationship.mail_activity_type_detractor",
                    summary=summary,
                    note=note,
                    user_id=user.id,
                )
                answer._crm_hand_off(user, team[:1].department_id, summary, note)
            else:
                customer.with_company(answer.crm_company_id)._message_log(
                    body=_(
                        "%(summary)s. Nobody serves this customer: no follow-up "
                        "was scheduled. Reason given: %(reason)s",
                        summary=summary,
                        reason=note,
                    )
                )

    def _crm_hand_off(self, user, from_department, summary, note):
        """The detractor's hand-off, from the account team's department (else the
        follow-up user's) to the department of the complaint category the
        customer's answer concerns, when there is one and it is another."""
        self.ensure_one()
        company = self.crm_company_id
        to_department = self.crm_topic_category_id.with_company(company).department_id
        if not from_department:
            # the user's employee in the answer's company: ``res.users.department_id``
            # is cached whatever the company, ``employee_ids`` keeps to the companies
            # of the person acting
            from_department = (
                self.env["hr.employee"]
                .search(
                    [("user_id", "=", user.id), ("company_id", "=", company.id)],
                    limit=1,
                )
                .department_id
            )
        if (
            not to_department.active
            or not from_department.active
            or to_department == from_department
        ):
            return
        # sudo (the caller's): the customer who answered may create no hand-off; it
        # is the account team's request, made in their name
        handoff = self.env["crm.handoff"].create(
            {
                "name": summary,
                "partner_id": self.crm_partner_id.id,
                "company_id": company.id,
                "from_department_id": from_department.id,
                "to_department_id": to_department.id,
                "requested_by_id": user.id,
                "priority": "1",
                "description": plaintext2html(
                    _(
                        "About: %(topic)s. Reason given: %(reason)s",
                        topic=self.crm_topic_category_id.name,
                        reason=note,
                    )
                ),
            }
        )
        self.crm_handoff_id = handoff


class SurveyUserInputLine(models.Model):
    _inherit = "survey.user_input.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._crm_resync()
        return lines

    def write(self, vals):
        result = super().write(vals)
        self._crm_resync()
        return result

    def unlink(self):
        answers = self.user_input_id
        result = super().unlink()
        answers.filtered(lambda a: a.state == "done")._crm_sync()
        return result

    def _crm_resync(self):
        """An answer edited after it was done moves the customer's NPS at once."""
        done = self.user_input_id.filtered(
            lambda a: a.state == "done" and a.crm_partner_id
        )
        if done:
            done._crm_sync()
