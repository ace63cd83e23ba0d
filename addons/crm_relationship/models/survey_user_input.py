from odoo import _, api, fields, models

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
    crm_nps_next_date = fields.Datetime(
        "Superseded on",
        readonly=True,
        help="When the same customer answered the NPS again (the company's latest "
        "answer counts); empty for the latest.",
    )

    @api.depends("partner_id")
    def _compute_crm_user_id(self):
        # sudo: the tier is read for the answer, whoever answers (a portal customer)
        rows = (
            self.env["crm.relationship.score"]
            .sudo()
            .search_fetch(
                [
                    ("partner_id", "in", self.crm_partner_id.ids),
                    ("company_id", "in", self.crm_company_id.ids),
                ],
                ["partner_id", "company_id", "tier"],
            )
        )
        tiers = {(r.partner_id.id, r.company_id.id): r.tier for r in rows}
        for answer in self:
            answer.crm_user_id = answer.crm_partner_id.user_id
            answer.crm_tier = tiers.get(
                (answer.crm_partner_id.id, answer.crm_company_id.id)
            )

    @api.depends(
        "state",
        "user_input_line_ids.value_scale",
        "user_input_line_ids.value_text_box",
        "user_input_line_ids.skipped",
        "user_input_line_ids.question_id.crm_measure",
    )
    def _compute_crm_measures(self):
        for answer in self:
            done = answer.state == "done"
            values = {}
            for line in answer.user_input_line_ids:
                measure = line.question_id.crm_measure
                if not measure or line.skipped:
                    continue
                if measure == "nps_reason":
                    values[measure] = line.value_text_box
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
            answer.crm_csat = values.get("csat", 0) if done else 0
            answer.crm_ces = values.get("ces", 0) if done else 0
            answer.crm_responded = 100.0 if done else 0.0

    def _mark_done(self):
        result = super()._mark_done()
        self._crm_answered()
        return result

    def _crm_answered(self):
        """An NPS answer: it supersedes the customer's previous one, updates the
        customer's score row at once, and a detractor gets a follow-up."""
        nps = self.filtered(
            lambda a: a.crm_nps_category and a.crm_partner_id and not a.test_entry
        )
        if not nps:
            return
        # sudo: the customer who answers (public or portal user) may read neither
        # the other answers nor the scores; the answer itself was just validated
        nps = nps.sudo()
        previous = self.sudo().search(
            [
                ("crm_partner_id", "in", nps.crm_partner_id.ids),
                ("crm_nps_category", "!=", False),
                ("crm_nps_next_date", "=", False),
                ("id", "not in", nps.ids),
            ]
        )
        for answer in nps:
            previous.filtered(
                lambda p, a=answer: (
                    p.crm_partner_id == a.crm_partner_id
                    and p.crm_company_id == a.crm_company_id
                    and p.end_datetime <= a.end_datetime
                )
            ).crm_nps_next_date = answer.end_datetime
        Score = self.env["crm.relationship.score"].sudo()
        for company in nps.crm_company_id:
            Score._refresh_nps(
                company,
                nps.filtered(
                    lambda a, c=company: a.crm_company_id == c
                ).crm_partner_id.ids,
            )
        nps.filtered(lambda a: a.crm_nps_category == "detractor")._crm_follow_up()

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
                customer.with_company(answer.crm_company_id).activity_schedule(
                    "crm_relationship.mail_activity_type_detractor",
                    summary=summary,
                    note=note,
                    user_id=user.id,
                )
            else:
                customer.with_company(answer.crm_company_id)._message_log(
                    body=_(
                        "%(summary)s. Nobody serves this customer: no follow-up "
                        "was scheduled. Reason given: %(reason)s",
                        summary=summary,
                        reason=note,
                    )
                )
