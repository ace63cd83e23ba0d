from markupsafe import Markup, escape

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import email_normalize, format_datetime
from odoo.tools.mail import html_to_inner_content

from ..tools import scoring
from ..tools.cron import in_user_language
from .crm_complaint_sla_policy import SEVERITIES

# The longest subject, description and portal message of a complaint, in
# characters (not bytes: a Chinese character is one): the portal form says so
# before anything is written, the model refuses the same over JSON-RPC.
SUBJECT_MAX = 200
DESCRIPTION_MAX = 10_000
MESSAGE_MAX = 10_000


class CrmComplaint(models.Model):
    """A customer's complaint, from receipt to resolution and the customer's rating.

    Deadlines come from the SLA policy of the category, severity and customer tier,
    in working hours (see ``crm.complaint.sla.policy``); time in a paused stage does
    not count. A cron, every quarter of an hour, warns the responsible and the
    department head when a deadline is near and escalates when it passed; breaches
    are recorded for good (answering or closing late records them at once).
    """

    _name = "crm.complaint"
    _description = "Customer complaint"
    _inherit = [
        "portal.mixin",
        "mail.thread.cc",
        "mail.activity.mixin",
        "rating.mixin",
    ]
    _order = "priority desc, resolution_deadline, id desc"
    _check_company_auto = True
    _mail_post_access = "read"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------
    name = fields.Char("Subject", required=True, tracking=True)
    description = fields.Html()
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        index=True,
        tracking=True,
        check_company=True,
        help="The customer's commercial entity (the company, or the individual).",
    )
    partner_contact_id = fields.Many2one(
        "res.partner",
        string="Contact",
        compute="_compute_partner_contact_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        check_company=True,
        domain="partner_id and [('commercial_partner_id', '=', partner_id)] or []",
        help="The person who complained, when not the customer itself.",
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, index=True
    )
    email_from = fields.Char(
        "Email", compute="_compute_email_from", store=True, readonly=False
    )
    channel = fields.Selection(
        [
            ("email", "Email"),
            ("portal", "Customer portal"),
            ("phone", "Phone"),
            ("visit", "In person"),
            ("other", "Other"),
        ],
        default="phone",
        required=True,
    )
    # categories are shared by all companies: no company to check
    category_id = fields.Many2one("crm.complaint.category", tracking=True)
    severity = fields.Selection(
        SEVERITIES, default="medium", required=True, tracking=True
    )
    priority = fields.Selection([("0", "Normal"), ("1", "Urgent")], default="0")
    stage_id = fields.Many2one(
        "crm.complaint.stage",
        tracking=True,
        index=True,
        copy=False,
        default=lambda self: self._default_stage(),
        group_expand="_read_group_expand_stages",
    )
    is_closed = fields.Boolean(related="stage_id.is_closed", store=True)
    department_id = fields.Many2one(
        "hr.department",
        string="Responsible department",
        compute="_compute_department_id",
        store=True,
        readonly=False,
        tracking=True,
        check_company=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
        default=lambda self: self.env.user if not self.env.user.share else False,
    )
    sale_order_id = fields.Many2one("sale.order", check_company=True)
    invoice_id = fields.Many2one(
        "account.move",
        check_company=True,
        domain="[('move_type', 'in', ('out_invoice', 'out_refund'))]",
    )
    picking_id = fields.Many2one("stock.picking", "Delivery", check_company=True)
    product_id = fields.Many2one("product.product", check_company=True)
    customer_tier = fields.Selection(
        scoring.TIER_SELECTION,
        compute="_compute_customer_tier",
        store=True,
        help="The customer's relationship tier when the complaint was received.",
    )
    sla_policy_id = fields.Many2one(
        "crm.complaint.sla.policy",
        "SLA policy",
        compute="_compute_sla_policy_id",
        store=True,
        index="btree_not_null",
    )
    response_deadline = fields.Datetime(
        "First response due", compute="_compute_deadlines", store=True
    )
    resolution_deadline = fields.Datetime(
        "Resolution due", compute="_compute_deadlines", store=True
    )
    response_warning_date = fields.Datetime(
        "First response warning", compute="_compute_deadlines", store=True
    )
    resolution_warning_date = fields.Datetime(
        "Resolution warning", compute="_compute_deadlines", store=True
    )
    # stored computes reset when their warning moves (a new severity, a pause), so
    # that a moved deadline gets its own warning; the cron sets them
    response_warned = fields.Boolean(
        compute="_compute_warned", store=True, copy=False, readonly=True
    )
    resolution_warned = fields.Boolean(
        compute="_compute_warned", store=True, copy=False, readonly=True
    )
    sla_paused_since = fields.Datetime(
        "SLA paused since",
        copy=False,
        readonly=True,
        help="Set while the complaint is in a stage that pauses the SLA clock.",
    )
    response_paused_hours = fields.Float(
        "Paused before the first response (working hours)", copy=False, readonly=True
    )
    resolution_paused_hours = fields.Float(
        "Paused before the resolution (working hours)", copy=False, readonly=True
    )
    date_received = fields.Datetime(
        "Received",
        default=fields.Datetime.now,
        required=True,
        copy=False,
        help="When the complaint reached us: the SLA clock starts here.",
    )
    date_first_response = fields.Datetime("First response", copy=False)
    date_closed = fields.Datetime("Closed on", copy=False, readonly=True)
    response_hours = fields.Float(
        "First response time (h)",
        compute="_compute_durations",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="Hours from reception to the first response; 0 until answered.",
    )
    resolution_hours = fields.Float(
        "Resolution time (h)",
        compute="_compute_durations",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="Hours from reception to closing; 0 while open.",
    )
    response_working_hours = fields.Float(
        "First response (working hours)",
        compute="_compute_working_hours",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="Working hours from reception to the first response, paused time "
        "excluded; 0 until answered.",
    )
    resolution_working_hours = fields.Float(
        "Resolution (working hours)",
        compute="_compute_working_hours",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="Working hours from reception to closing, paused time excluded; 0 while "
        "open.",
    )
    response_breached = fields.Boolean(
        "First response late", copy=False, readonly=True, tracking=True
    )
    resolution_breached = fields.Boolean(
        "Resolution late", copy=False, readonly=True, tracking=True
    )
    sla_breached = fields.Boolean(
        "SLA breached",
        compute="_compute_sla_breached",
        store=True,
        index=True,
        help="A deadline passed unmet: the first response, the resolution or both.",
    )
    root_cause = fields.Html()
    corrective_action = fields.Html()
    reopen_count = fields.Integer(copy=False, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    color = fields.Integer()

    # ------------------------------------------------------------
    # DEFAULTS, COMPUTES
    # ------------------------------------------------------------
    def _default_stage(self):
        return self.env["crm.complaint.stage"].search(
            [("is_closed", "=", False)], limit=1
        )

    @api.model
    def _read_group_expand_stages(self, stages, domain):
        return stages.search([])

    @api.depends("category_id", "company_id")
    def _compute_department_id(self):
        for complaint in self:
            # the category's department in the complaint's company
            category = complaint.category_id.with_company(complaint.company_id)
            if category.department_id:
                complaint.department_id = category.department_id

    @api.depends("partner_id")
    def _compute_partner_contact_id(self):
        for complaint in self:
            contact = complaint.partner_contact_id
            if contact.commercial_partner_id != complaint.partner_id:
                complaint.partner_contact_id = False

    @api.depends("partner_id", "partner_contact_id")
    def _compute_email_from(self):
        for complaint in self:
            contact = complaint.partner_contact_id or complaint.partner_id
            complaint.email_from = (
                contact.email_formatted if contact.email else complaint.email_from
            )

    @api.depends("partner_id", "company_id")
    def _compute_customer_tier(self):
        """The customer's tier when the complaint is received (or given another
        customer): later changes of the tier do not move its deadlines."""
        tier_of = self.env["crm.relationship.score"]._tiers_of(
            self.commercial_partner_id, self.company_id
        )
        for complaint in self:
            complaint.customer_tier = tier_of.get(
                (complaint.commercial_partner_id.id, complaint.company_id.id)
            )

    @api.depends("category_id", "severity", "company_id", "customer_tier")
    def _compute_sla_policy_id(self):
        policies = self.env["crm.complaint.sla.policy"]._policy_for(
            self, {c.id: c.customer_tier for c in self}
        )
        for complaint in self:
            complaint.sla_policy_id = policies[complaint.id]

    @api.depends("response_warning_date", "resolution_warning_date")
    def _compute_warned(self):
        self.response_warned = False
        self.resolution_warned = False

    def _sla_calendar(self):
        """The working hours the SLA counts: the policy's, else the company's."""
        self.ensure_one()
        return (
            self.sla_policy_id.resource_calendar_id
            or self.company_id.resource_calendar_id
        )

    @api.depends(
        "sla_policy_id",
        "date_received",
        "response_paused_hours",
        "resolution_paused_hours",
    )
    def _compute_deadlines(self):
        Policy = self.env["crm.complaint.sla.policy"]
        for complaint in self:
            policy = complaint.sla_policy_id
            if not policy:
                complaint.update(
                    dict.fromkeys(
                        [
                            "response_deadline",
                            "resolution_deadline",
                            "response_warning_date",
                            "resolution_warning_date",
                        ],
                        False,
                    )
                )
                continue
            calendar = complaint._sla_calendar()
            start = complaint.date_received or fields.Datetime.now()
            share = policy.warning_percent / 100
            for kind, hours, paused in (
                ("response", policy.response_hours, complaint.response_paused_hours),
                (
                    "resolution",
                    policy.resolution_hours,
                    complaint.resolution_paused_hours,
                ),
            ):
                complaint[f"{kind}_deadline"] = Policy._add_hours(
                    calendar, start, hours + paused
                )
                complaint[f"{kind}_warning_date"] = Policy._add_hours(
                    calendar, start, hours * share + paused
                )

    @api.depends(
        "date_received",
        "date_first_response",
        "date_closed",
        "sla_policy_id",
        "response_paused_hours",
        "resolution_paused_hours",
        "sla_paused_since",
    )
    def _compute_working_hours(self):
        Policy = self.env["crm.complaint.sla.policy"]
        for complaint in self:
            calendar = complaint._sla_calendar()
            start = complaint.date_received
            answered = complaint.date_first_response or complaint.date_closed
            # a pause still running when the answer came counts up to the answer
            since = complaint.sla_paused_since
            running = (
                Policy._count_hours(calendar, since, answered)
                if since and answered
                else 0.0
            )
            complaint.response_working_hours = answered and max(
                Policy._count_hours(calendar, start, answered)
                - complaint.response_paused_hours
                - running,
                0.0,
            )
            complaint.resolution_working_hours = complaint.date_closed and max(
                Policy._count_hours(calendar, start, complaint.date_closed)
                - complaint.resolution_paused_hours,
                0.0,
            )

    @api.depends("response_breached", "resolution_breached")
    def _compute_sla_breached(self):
        for complaint in self:
            complaint.sla_breached = (
                complaint.response_breached or complaint.resolution_breached
            )

    @api.depends("date_received", "date_first_response", "date_closed")
    def _compute_durations(self):
        for complaint in self:
            start = complaint.date_received
            for field, end in (
                ("response_hours", complaint.date_first_response),
                ("resolution_hours", complaint.date_closed),
            ):
                complaint[field] = (
                    max((end - start).total_seconds() / 3600, 0.0)
                    if start and end
                    else 0.0
                )

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for complaint in self:
            complaint.access_url = f"/my/complaints/{complaint.id}"
        return result

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("name", "description")
    def _check_lengths(self):
        for complaint in self:
            error = self._length_error(
                complaint.name or "", _html_text(complaint.description)
            )
            if error:
                raise ValidationError(error)

    @api.model
    def _length_error(self, subject, description=""):
        """What is too long in a complaint's subject or description (its text, in
        characters), or None."""
        if len(subject) > SUBJECT_MAX:
            return _(
                "The subject is too long: %(length)s characters, at most %(limit)s.",
                length=len(subject),
                limit=SUBJECT_MAX,
            )
        if len(description) > DESCRIPTION_MAX:
            return _(
                "The description is too long: %(length)s characters, at most "
                "%(limit)s.",
                length=len(description),
                limit=DESCRIPTION_MAX,
            )
        return None

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------
    @api.model
    def _split_customer(self, vals):
        """Keep ``partner_id`` on the commercial entity and the person as contact.

        Complaints are counted, scored and shared per customer, while the answers
        and the rating request go to the person who complained.
        """
        Partner = self.env["res.partner"]
        if vals.get("partner_id"):
            partner = Partner.browse(vals["partner_id"])
            commercial = partner.commercial_partner_id
            if partner != commercial:
                vals.setdefault("partner_contact_id", partner.id)
                vals["partner_id"] = commercial.id
        elif vals.get("partner_contact_id") and "partner_id" not in vals:
            contact = Partner.browse(vals["partner_contact_id"])
            vals["partner_id"] = contact.commercial_partner_id.id
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("partner_id") and vals.get("email_from"):
                vals["partner_id"] = self._partner_from_email(vals["email_from"]).id
            self._split_customer(vals)
        complaints = super().create(vals_list)
        for complaint in complaints:
            # created straight into a closing or a paused stage (kanban quick create)
            if complaint.stage_id.is_closed and not complaint.date_closed:
                complaint.date_closed = fields.Datetime.now()
            elif complaint.stage_id.sla_paused and not complaint.sla_paused_since:
                complaint.sla_paused_since = complaint.date_received
        complaints.filtered("partner_id")._message_subscribe_customer()
        complaints._mark_for_scoring()
        return complaints

    def write(self, vals):
        if "partner_id" in vals or "partner_contact_id" in vals:
            vals = self._split_customer(dict(vals))
        if "stage_id" in vals:
            stage = self.env["crm.complaint.stage"].browse(vals["stage_id"])
            closing = (
                self.filtered(lambda c: not c.is_closed) if stage.is_closed else []
            )
            if stage.is_closed:
                vals.setdefault("date_closed", fields.Datetime.now())
            else:
                vals["date_closed"] = False
            self._sla_move_clock(stage)
        else:
            stage, closing = None, []
        result = super().write(vals)
        if {"date_first_response", "date_closed"} & set(vals):
            self._record_breaches()
        if closing:
            closing._request_rating()
        if {
            "stage_id",
            "severity",
            "response_breached",
            "resolution_breached",
            "partner_id",
        } & set(vals):
            self._mark_for_scoring()
        return result

    def _mark_for_scoring(self):
        """Complaints weigh on the health score: rescore their customers soon."""
        self.env["crm.relationship.score"]._mark_customers(
            (c.commercial_partner_id.id, c.company_id.id) for c in self
        )

    # ------------------------------------------------------------
    # MAIL GATEWAY AND CHATTER
    # ------------------------------------------------------------
    @api.model
    def _partner_from_email(self, email):
        """The contact an e-mail address belongs to, as Odoo's mail gateway finds
        it (``mail.thread._mail_find_partner_from_emails``); none if unknown."""
        if not email_normalize(email):
            return self.env["res.partner"]
        # sudo: the sender is looked up among every contact, whoever records the
        # complaint (a portal user, the mail gateway)
        found = self.sudo()._mail_find_partner_from_emails([email], force_create=False)
        return found[0] if found and found[0] else self.env["res.partner"]

    def _track_subtype(self, init_values):
        """Followers hear of a stage change, or of the resolution (as project.task
        does)."""
        self.ensure_one()
        if "stage_id" in init_values:
            if self.stage_id.is_closed:
                return self.env.ref("crm_relationship.mt_complaint_resolved")
            return self.env.ref("crm_relationship.mt_complaint_stage")
        return super()._track_subtype(init_values)

    def _creation_subtype(self):
        return self.env.ref("crm_relationship.mt_complaint_new")

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A complaint from an email to the complaints alias."""
        contact = self._partner_from_email(msg_dict.get("email_from") or "")
        values = {
            # a mail cannot be sent back to be shortened: its subject is cut
            "name": (msg_dict.get("subject") or _("No subject"))[:SUBJECT_MAX],
            "email_from": msg_dict.get("email_from"),
            "partner_id": contact.commercial_partner_id.id,
            "partner_contact_id": contact.id if contact.parent_id else False,
            "channel": "email",
            "user_id": False,
            **(custom_values or {}),
        }
        return super().message_new(msg_dict, custom_values=values)

    @api.returns("mail.message", lambda value: value.id)
    def message_post(self, **kwargs):
        """A customer's message from the portal is refused past ``MESSAGE_MAX``
        characters of text, before anything is written; employees and incoming
        mails are not limited."""
        body = kwargs.get("body") or ""
        self._check_portal_message(body, kwargs.get("body_is_html"))
        return super().message_post(**kwargs)

    def _message_update_content(self, message, body, *args, **kwargs):
        """The same limit when a customer edits their message."""
        self._check_portal_message(body or "")
        return super()._message_update_content(message, body, *args, **kwargs)

    def _check_portal_message(self, body, body_is_html=False):
        if not self.env.user.share:
            return
        text = (
            _html_text(body) if isinstance(body, Markup) or body_is_html else str(body)
        )
        if len(text) > MESSAGE_MAX:
            raise UserError(
                _(
                    "Your message is too long: %(length)s characters, at most "
                    "%(limit)s.",
                    length=len(text),
                    limit=MESSAGE_MAX,
                )
            )

    def _message_subscribe_customer(self):
        for complaint in self:
            complaint.message_subscribe(partner_ids=complaint._rating_get_partner().ids)

    def _message_get_suggested_recipients(self):
        recipients = super()._message_get_suggested_recipients()
        customer = self._rating_get_partner()
        if customer:
            self._message_add_suggested_recipient(
                recipients, partner=customer, reason=_("Customer")
            )
        return recipients

    def _message_post_after_hook(self, message, msg_vals):
        """An employee's reply to the customer is the first response."""
        if (
            message.message_type == "comment"
            and message.subtype_id == self.env.ref("mail.mt_comment")
            and message.author_id.user_ids
            and not any(message.author_id.user_ids.mapped("share"))
        ):
            self.filtered(lambda c: not c.date_first_response).write(
                {"date_first_response": message.date or fields.Datetime.now()}
            )
        return super()._message_post_after_hook(message, msg_vals)

    def _message_auto_subscribe_notify(self, partner_ids, template):
        """The new responsible is told by the acting user, who may have no e-mail."""
        # sudo: Odoo sends the assignment notice in the acting user's name and
        # refuses to unless in sudo when that user has no e-mail address; the
        # caller has just written the responsible
        return super(CrmComplaint, self.sudo())._message_auto_subscribe_notify(
            partner_ids, template
        )

    def _rating_get_operator(self):
        return self.user_id.partner_id

    def _rating_get_partner(self):
        """The person who complained rates how it was handled."""
        return self.partner_contact_id or self.partner_id

    # ------------------------------------------------------------
    # SLA
    # ------------------------------------------------------------
    def _sla_move_clock(self, stage):
        """Stop the SLA clock of the complaints entering a paused stage, and restart
        it for those leaving one: the working hours spent paused move the deadlines
        still running (the first response's only for the time before it was given)."""
        now = fields.Datetime.now()
        pauses = stage.sla_paused and not stage.is_closed
        Policy = self.env["crm.complaint.sla.policy"]
        for complaint in self:
            since = complaint.sla_paused_since
            if pauses and not since:
                complaint.sla_paused_since = now
            elif since and not pauses:
                calendar = complaint._sla_calendar()
                answered = complaint.date_first_response or complaint.date_closed
                complaint.write(
                    {
                        "sla_paused_since": False,
                        "response_paused_hours": complaint.response_paused_hours
                        + Policy._count_hours(
                            calendar, since, min(answered or now, now)
                        ),
                        "resolution_paused_hours": complaint.resolution_paused_hours
                        + Policy._count_hours(calendar, since, now),
                    }
                )

    def _sla_due(self, kind, until):
        """The ``kind`` (response or resolution) deadline as it stands at ``until``:
        while the clock is paused it moves on with the paused working hours."""
        self.ensure_one()
        deadline = self[f"{kind}_deadline"]
        since = self.sla_paused_since
        if deadline and since and until > since:
            Policy = self.env["crm.complaint.sla.policy"]
            calendar = self._sla_calendar()
            deadline = Policy._add_hours(
                calendar, deadline, Policy._count_hours(calendar, since, until)
            )
        return deadline

    def _record_breaches(self, now=None):
        """Record the deadlines passed unmet, each on its own; a breach stays.

        Each new breach is logged on the complaint; one still waiting (not answered,
        not resolved) is escalated to the department head with an activity.
        """
        now = now or fields.Datetime.now()
        for complaint in self:
            # resolving a complaint answers it
            answered = complaint.date_first_response or complaint.date_closed
            missed = []
            if (
                not complaint.response_breached
                and complaint.response_deadline
                and (answered or now) > complaint._sla_due("response", answered or now)
            ):
                missed.append(("response", not answered))
            if (
                not complaint.resolution_breached
                and complaint.resolution_deadline
                and (complaint.date_closed or now)
                > complaint._sla_due("resolution", complaint.date_closed or now)
            ):
                missed.append(("resolution", not complaint.date_closed))
            if missed:
                complaint.write({f"{kind}_breached": True for kind, _waiting in missed})
                for kind, waiting in missed:
                    complaint._sla_escalate(kind, waiting)

    def _sla_when(self, kind):
        """A deadline as the people of the company read it: in the SLA's zone."""
        calendar = self._sla_calendar()
        return format_datetime(
            self.env,
            self[f"{kind}_deadline"],
            tz=calendar.tz or self.company_id.partner_id.tz or "UTC",
            dt_format="short",
        )

    def _sla_head(self):
        """The department head's user, else the responsible: who is warned and
        escalated to."""
        return self.department_id.manager_id.user_id or self.user_id

    def _sla_escalate(self, kind, waiting):
        when = self._sla_when(kind)
        body = (
            _("The first response was due on %(deadline)s and is late.", deadline=when)
            if kind == "response"
            else _("The resolution was due on %(deadline)s and is late.", deadline=when)
        )
        self._message_log(body=Markup("<p>%s</p>") % escape(body))
        head = self._sla_head()
        if waiting and head:
            self._sla_activity(
                head,
                _("First response late: it was due on %(deadline)s", deadline=when)
                if kind == "response"
                else _("Resolution late: it was due on %(deadline)s", deadline=when),
            )

    def _sla_activity(self, user, summary):
        # sudo: the assignee is told by e-mail in the acting user's name, which Odoo
        # refuses outside sudo to someone without an address (mail.thread's
        # _message_compute_author); the caller has just recorded the SLA event
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=fields.Date.context_today(self),
            summary=summary,
            user_id=user.id,
        )

    def _send_sla_warnings(self, now):
        """Warn the responsible and the department head once per deadline, when the
        policy's share of its time has passed and it is still running."""
        for complaint in self:
            answered = complaint.date_first_response or complaint.date_closed
            due = []
            if (
                not complaint.response_warned
                and not complaint.response_breached
                and not answered
                and complaint.response_warning_date
                and complaint.response_warning_date <= now
            ):
                due.append("response")
            if (
                not complaint.resolution_warned
                and not complaint.resolution_breached
                and not complaint.date_closed
                and complaint.resolution_warning_date
                and complaint.resolution_warning_date <= now
            ):
                due.append("resolution")
            if not due:
                continue
            complaint.write({f"{kind}_warned": True for kind in due})
            for kind in due:
                when = complaint._sla_when(kind)
                summary = (
                    _("First response due on %(deadline)s", deadline=when)
                    if kind == "response"
                    else _("Resolution due on %(deadline)s", deadline=when)
                )
                for user in complaint.user_id | complaint._sla_head():
                    complaint._sla_activity(user, summary)

    @api.model
    @in_user_language
    def _cron_check_sla(self):
        """Every quarter of an hour: warnings for the deadlines that are near, and
        breaches for those that have just passed.

        Each deadline is looked at on its own, so that a late first response
        does not hide a late resolution. Paused complaints wait.
        """
        now = fields.Datetime.now()
        running = [("date_closed", "=", False), ("sla_paused_since", "=", False)]
        response = [
            ("response_breached", "=", False),
            ("date_first_response", "=", False),
        ]
        resolution = [("resolution_breached", "=", False)]
        late = self.search(
            running
            + ["|"]
            + ["&"] * 2
            + response
            + [("response_deadline", "<", now)]
            + ["&"]
            + resolution
            + [("resolution_deadline", "<", now)]
        )
        near = self.search(
            running
            + ["|"]
            + ["&"] * 3
            + response
            + [("response_warned", "=", False), ("response_warning_date", "<=", now)]
            + ["&"] * 2
            + resolution
            + [
                ("resolution_warned", "=", False),
                ("resolution_warning_date", "<=", now),
            ]
        )
        near._send_sla_warnings(now)
        late._record_breaches(now)
        self.env["ir.cron"]._notify_progress(done=len(late | near), remaining=0)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------
    def action_respond(self):
        """Record the first response given outside the chatter (a call)."""
        self.filtered(lambda c: not c.date_first_response).write(
            {"date_first_response": fields.Datetime.now()}
        )
        return True

    def action_close(self):
        stage = self.env["crm.complaint.stage"].search(
            [("is_closed", "=", True)], limit=1
        )
        if not stage:
            raise UserError(_("Define a closing stage first (Configuration)."))
        self.write({"stage_id": stage.id})
        return True

    def action_reopen(self):
        closed = self.filtered("is_closed")
        if closed != self:
            raise UserError(_("Only resolved complaints can be reopened."))
        stage = self._default_stage()
        for complaint in self:
            complaint.write(
                {"stage_id": stage.id, "reopen_count": complaint.reopen_count + 1}
            )
        return True

    def _send_satisfaction_survey(self):
        Profile = self.env["crm.relationship.scoring.profile"]
        template = self.env.ref("crm_relationship.mail_template_complaint_survey")
        for complaint in self.filtered("partner_id"):
            survey = Profile._get_for_company(complaint.company_id).complaint_survey_id
            person = complaint._rating_get_partner()
            if not survey or not person.email:
                continue
            # sudo: closing is the business action; the answer and its e-mail are
            # created as the survey's invitation wizard does, whoever closes
            answer = (
                survey.sudo()
                .with_company(complaint.company_id)
                ._create_answer(
                    partner=person,
                    check_attempts=False,
                    crm_company_id=complaint.company_id.id,
                    crm_complaint_id=complaint.id,
                )
            )
            template.sudo().send_mail(answer.id)

    def _request_rating(self):
        """Ask the customer to rate, in the company's name when the responsible has
        no e-mail address (the shipped template falls back on the company's); and
        send the company's survey after a complaint (CSAT, CES) to the person who
        complained, when they have an e-mail address."""
        self._send_satisfaction_survey()
        for complaint in self.filtered("partner_id"):
            template = complaint.stage_id.rating_template_id
            if template:
                # sudo: closing is the business action and must not depend on the
                # closing user's e-mail address, which Odoo requires outside sudo;
                # the caller has just closed the complaint
                complaint.sudo().rating_send_request(
                    template,
                    lang=complaint._rating_get_partner().lang,
                    force_send=False,
                )


def _html_text(html):
    """The text of an HTML value, as many characters as a person typed: line and
    paragraph breaks count one, markup none."""
    return html_to_inner_content(html or "")
