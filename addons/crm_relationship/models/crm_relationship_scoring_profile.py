import hashlib
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..tools import cron, scoring
from ..tools.cron import in_user_language


class CrmRelationshipScoringProfile(models.Model):
    """How a company scores and hears its customers: window, ABC shares, weights,
    tier thresholds, and the schedule of the relationship NPS survey.

    One per company, created on first use with sensible defaults.
    """

    _name = "crm.relationship.scoring.profile"
    _description = "Relationship Scoring Profile"
    _inherit = ["mail.thread"]

    name = fields.Char(required=True, default=lambda self: _("Scoring profile"))
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        ondelete="cascade",
        index=True,
    )
    window_days = fields.Integer(
        "Scoring window (days)",
        default=365,
        required=True,
        tracking=True,
        help="Frequency, monetary value, payments and deliveries are counted over "
        "this many days before the reference date.",
    )
    abc_a_share = fields.Float(
        "A share (%)",
        default=80.0,
        tracking=True,
        help="A customer is A while the customers ranked before them hold less "
        "than this share of the net invoiced amount.",
    )
    abc_b_share = fields.Float("B share (%)", default=95.0, tracking=True)
    weight_recency = fields.Float("Recency weight", default=25.0, tracking=True)
    weight_frequency = fields.Float("Frequency weight", default=20.0, tracking=True)
    weight_monetary = fields.Float("Monetary weight", default=25.0, tracking=True)
    weight_payment = fields.Float("Payment weight", default=15.0, tracking=True)
    weight_delivery = fields.Float("Delivery weight", default=15.0, tracking=True)
    weight_complaint = fields.Float(
        "Complaints weight",
        default=10.0,
        tracking=True,
        help="Complaints in the window, by severity and SLA breaches.",
    )
    weight_satisfaction = fields.Float(
        "Satisfaction weight",
        default=10.0,
        tracking=True,
        help="What the customer said: the latest NPS answer, the CSAT answers and "
        "the ratings of closed complaints, weighted below.",
    )
    satisfaction_weight_nps = fields.Float(
        "NPS in satisfaction",
        default=scoring.SATISFACTION_WEIGHTS["nps"],
        tracking=True,
        help="Weight of the customer's latest NPS answer in the satisfaction score.",
    )
    satisfaction_weight_csat = fields.Float(
        "CSAT in satisfaction",
        default=scoring.SATISFACTION_WEIGHTS["csat"],
        tracking=True,
        help="Weight of the mean CSAT answer of the window.",
    )
    satisfaction_weight_rating = fields.Float(
        "Ratings in satisfaction",
        default=scoring.SATISFACTION_WEIGHTS["rating"],
        tracking=True,
        help="Weight of the mean rating of closed complaints in the window.",
    )
    threshold_a = fields.Float("Tier A from", default=80.0, tracking=True)
    threshold_b = fields.Float("Tier B from", default=65.0, tracking=True)
    threshold_c = fields.Float("Tier C from", default=50.0, tracking=True)
    threshold_d = fields.Float("Tier D from", default=35.0, tracking=True)
    threshold_e = fields.Float("Tier E from", default=20.0, tracking=True)
    churn_risk_multiple = fields.Float(
        "At risk after (x usual interval)",
        default=2.0,
        tracking=True,
        help="A customer with several purchases is at risk when the days since "
        "their last purchase exceed this multiple of their own usual interval "
        "between purchases.",
    )
    churn_lost_multiple = fields.Float(
        "Lost after (x usual interval)", default=4.0, tracking=True
    )
    churn_min_days = fields.Integer(
        "Never at risk before (days)",
        default=30,
        tracking=True,
        help="Customers who buy very often are not flagged sooner than this.",
    )
    churn_single_risk_days = fields.Integer(
        "One purchase: at risk after (days)", default=180, tracking=True
    )
    churn_single_lost_days = fields.Integer(
        "One purchase: lost after (days)", default=365, tracking=True
    )
    health_drop_points = fields.Float(
        "Health drop event from (points)",
        default=10.0,
        tracking=True,
        help="A recompute as of today records a health drop event (for Automation "
        "Rules) when a customer's health score falls by at least these points.",
    )
    winback_cooldown_days = fields.Integer(
        "New win-back after (days)",
        default=180,
        tracking=True,
        help="A customer gets no new win-back opportunity within this many days of "
        "the start of the previous one.",
    )
    history_days = fields.Integer(
        "Keep score history (days)",
        default=730,
        required=True,
        help="Score snapshots older than this are deleted by the daily recompute.",
    )

    # Voice of the customer: the relationship NPS sent on a schedule
    nps_survey_id = fields.Many2one(
        "survey.survey",
        "NPS survey",
        default=lambda self: self.env.ref(
            "crm_relationship.survey_relationship_nps", raise_if_not_found=False
        ),
        domain="[('crm_asks_nps', '=', True)]",
        tracking=True,
    )
    nps_interval_days = fields.Integer(
        "Ask the NPS every (days)",
        default=0,
        tracking=True,
        help="0: the NPS survey is not sent on a schedule.",
    )
    nps_tiers = fields.Char(
        "Tiers asked",
        default="ABCDEF",
        tracking=True,
        help="The letters of the relationship tiers whose customers are asked, "
        "e.g. ABC.",
    )
    nps_sample_percent = fields.Float(
        "Customers asked per round (%)",
        default=100.0,
        tracking=True,
        help="Share of the eligible customers drawn at random each round.",
    )
    nps_quiet_days = fields.Integer(
        "Nobody asked twice within (days)", default=90, tracking=True
    )
    nps_last_date = fields.Date("Last NPS round", readonly=True)
    complaint_survey_id = fields.Many2one(
        "survey.survey",
        "Survey after a complaint",
        default=lambda self: self.env.ref(
            "crm_relationship.survey_complaint_satisfaction", raise_if_not_found=False
        ),
        tracking=True,
        help="Sent with the rating request when a complaint is resolved (CSAT and "
        "CES); empty: none.",
    )

    _sql_constraints = [
        (
            "company_uniq",
            "unique(company_id)",
            "A company has one scoring profile.",
        ),
    ]

    @api.constrains(
        "window_days",
        "abc_a_share",
        "abc_b_share",
        "weight_recency",
        "weight_frequency",
        "weight_monetary",
        "weight_payment",
        "weight_delivery",
        "weight_complaint",
        "weight_satisfaction",
        "threshold_a",
        "threshold_b",
        "threshold_c",
        "threshold_d",
        "threshold_e",
        "history_days",
        "churn_risk_multiple",
        "churn_lost_multiple",
        "churn_min_days",
        "churn_single_risk_days",
        "churn_single_lost_days",
        "winback_cooldown_days",
    )
    def _check_profile(self):
        messages = {
            "negative_weight": _("Weights cannot be negative."),
            "no_weight": _(
                "At least one component needs a weight above zero: with all weights "
                "at zero no customer could be scored."
            ),
            "threshold_range": _("Tier thresholds are health scores from 0 to 100."),
            "threshold_order": _(
                "Tier thresholds must decrease strictly from A to E "
                "(for example A 80, B 65, C 50, D 35, E 20)."
            ),
            "abc_shares": _(
                "ABC shares must satisfy 0 < A share < B share <= 100 "
                "(for example 80 and 95)."
            ),
            "window": _("The scoring window must be at least one day."),
            "churn_multiples": _(
                "Churn multiples must satisfy 0 < at risk < lost (for example 2 "
                "and 4 times the usual interval)."
            ),
            "churn_single_days": _(
                "For one-purchase customers, 0 < days to at risk < days to lost "
                "(for example 180 and 365)."
            ),
            "churn_min_days": _("The minimum days before at risk cannot be negative."),
            "cooldown": _("The win-back cooldown cannot be negative."),
        }
        for profile in self:
            problems = scoring.check_profile(
                profile._weights(),
                profile._thresholds(),
                profile.abc_a_share,
                profile.abc_b_share,
                profile.window_days,
            )
            problems += scoring.check_churn(profile._churn_params())
            if profile.winback_cooldown_days < 0:
                problems.append("cooldown")
            if profile.history_days <= 0:
                problems.append("history")
                messages["history"] = _("Score history must be kept at least one day.")
            if problems:
                raise ValidationError(
                    _(
                        "The scoring profile %(name)s cannot be saved:",
                        name=profile.name,
                    )
                    + "\n"
                    + "\n".join(f"- {messages[code]}" for code in problems)
                )

    def _weights(self):
        self.ensure_one()
        return {name: self[f"weight_{name}"] for name in scoring.COMPONENTS}

    def _satisfaction_weights(self):
        self.ensure_one()
        return {
            name: self[f"satisfaction_weight_{name}"]
            for name in scoring.SATISFACTION_WEIGHTS
        }

    @api.constrains(
        "satisfaction_weight_nps",
        "satisfaction_weight_csat",
        "satisfaction_weight_rating",
    )
    def _check_satisfaction_weights(self):
        for profile in self:
            weights = profile._satisfaction_weights().values()
            if min(weights) < 0 or not sum(weights):
                raise ValidationError(
                    _(
                        "The weights of the satisfaction score are 0 or more, and at "
                        "least one of them is above 0."
                    )
                )

    def _churn_params(self):
        self.ensure_one()
        return {
            "risk_multiple": self.churn_risk_multiple,
            "lost_multiple": self.churn_lost_multiple,
            "min_days": self.churn_min_days,
            "single_risk_days": self.churn_single_risk_days,
            "single_lost_days": self.churn_single_lost_days,
        }

    def _thresholds(self):
        self.ensure_one()
        return tuple(self[f"threshold_{tier.lower()}"] for tier in scoring.TIERS[:-1])

    @api.model
    def _create_per_company_profiles(self, companies):
        """A profile with the defaults for each company that has none."""
        have = {
            company.id
            for [company] in self._read_group(
                [("company_id", "in", companies.ids)], ["company_id"]
            )
        }
        missing = companies.filtered(lambda company: company.id not in have)
        return self.create([{"company_id": company.id} for company in missing])

    @api.constrains(
        "nps_tiers", "nps_sample_percent", "nps_interval_days", "nps_quiet_days"
    )
    def _check_nps_schedule(self):
        for profile in self:
            tiers = profile.nps_tiers or ""
            if not tiers or set(tiers) - set(scoring.TIERS):
                raise ValidationError(
                    _(
                        "The tiers asked for the NPS are letters among A, B, C, D, E "
                        "and F, such as ABC (%(tiers)s is not).",
                        tiers=tiers or "''",
                    )
                )
            if not 0 < profile.nps_sample_percent <= 100:
                raise ValidationError(
                    _("The share of customers asked is above 0 and at most 100.")
                )
            if profile.nps_interval_days < 0 or profile.nps_quiet_days < 0:
                raise ValidationError(
                    _("The NPS interval and quiet period are days: 0 or more.")
                )

    def _nps_sample(self, partner_ids, day):
        """The customers of ``partner_ids`` drawn for the round of ``day``: each is
        kept when a hash of (company, day, customer) falls under the sample share,
        so that a round drawn again picks the same customers and the next round
        others (a Bernoulli sample, as a random draw without stored state)."""
        self.ensure_one()
        limit = self.nps_sample_percent / 100 * 0xFFFFFFFF
        return [
            partner_id
            for partner_id in partner_ids
            if int(
                hashlib.sha256(
                    f"{self.company_id.id}:{day}:{partner_id}".encode()
                ).hexdigest()[:8],
                16,
            )
            <= limit
        ]

    def _send_nps_surveys(self):
        """Send the NPS survey of this company's round when it is due.

        Eligible: the company's scored customers of the tiers asked, not asked the
        NPS within the quiet period; of them, the sample. Each gets an answer of
        Odoo's survey (its personal link) by e-mail, at its own address or, without
        one, at its first contact's; customers nobody can be written to at are
        counted and skipped. Returns ``{"sent": n, "without_email": m}``.
        """
        self.ensure_one()
        result = {"sent": 0, "without_email": 0}
        company = self.company_id
        today = company._crm_today()
        survey = self.nps_survey_id
        if (
            not survey
            or self.nps_interval_days <= 0
            or (
                self.nps_last_date
                and self.nps_last_date + timedelta(days=self.nps_interval_days) > today
            )
        ):
            return result
        # the query reads answers, customers' addresses and tiers written just before
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT score.partner_id,
                       -- the customer's own address, else its first contact's
                       CASE WHEN partner.email IS NOT NULL AND partner.email != ''
                            THEN partner.id ELSE contact.id END
                  FROM crm_relationship_score score
                  JOIN res_partner partner ON partner.id = score.partner_id
                  LEFT JOIN LATERAL (
                        SELECT child.id FROM res_partner child
                         WHERE child.commercial_partner_id = partner.id
                           AND child.id != partner.id AND child.active
                           AND child.email IS NOT NULL AND child.email != ''
                         ORDER BY child.type = 'contact' DESC, child.id
                         LIMIT 1) contact ON TRUE
                 WHERE score.company_id = %(company)s AND score.tier = ANY(%(tiers)s)
                   AND partner.active
                   AND NOT EXISTS (
                        SELECT 1 FROM survey_user_input answer
                         WHERE answer.crm_partner_id = score.partner_id
                           AND answer.crm_company_id = score.company_id
                           AND answer.crm_asks_nps
                           AND answer.test_entry IS NOT TRUE
                           AND answer.crm_sent_date >= %(quiet)s)
                 ORDER BY score.partner_id
                """,
                company=company.id,
                tiers=list(self.nps_tiers),
                quiet=fields.Datetime.now() - timedelta(days=self.nps_quiet_days),
            )
        )
        rows = self.env.cr.fetchall()
        picked = set(self._nps_sample([partner for partner, _to in rows], today))
        partners = self.env["res.partner"].browse(
            [to for partner, to in rows if partner in picked and to]
        )
        result["without_email"] = sum(
            1 for partner, to in rows if partner in picked and not to
        )
        template = self.env.ref("crm_relationship.mail_template_nps_invitation")
        # sudo: the round is the company's, run by the cron or a manager; answers
        # and their e-mails are created as the survey's invitation wizard does
        survey = survey.sudo().with_company(company)
        for partner in partners:
            answer = survey._create_answer(
                partner=partner, check_attempts=False, crm_company_id=company.id
            )
            # queued, not sent: a round run again after a concurrency failure
            # (the daily cron's) must not have e-mailed its customers already
            template.sudo().send_mail(answer.id, force_send=False)
        result["sent"] = len(partners)
        self.nps_last_date = today
        return result

    @api.model
    @in_user_language
    def _cron_send_nps(self, companies=None):
        """Daily: the NPS rounds that are due (of ``companies`` only, if given),
        company by company, each committed, run again after a concurrency failure
        (see ``tools.cron.run_batch``): the invitations are queued (``mail.mail``)
        in the round's transaction, so a round run again sends each once."""
        domain = [("nps_interval_days", ">", 0)]
        if companies is not None:
            domain.append(("company_id", "in", companies.ids))
        profiles = self.sudo().search(domain)
        for done, profile in enumerate(profiles, start=1):
            cron.run_batch(
                self.env, profile._send_nps_surveys, done, len(profiles) - done
            )

    @api.model
    def _get_for_company(self, company):
        """The company's profile, created with the defaults when it has none yet."""
        # sudo: every recompute needs the profile, whoever triggered it; the profile
        # holds no secret and its defaults are what the company would get anyway
        profile = self.sudo().search([("company_id", "=", company.id)], limit=1)
        if not profile:
            profile = self.sudo().create({"company_id": company.id})
        return profile
