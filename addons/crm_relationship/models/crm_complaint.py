from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize

from .crm_complaint_sla_policy import SEVERITIES


class CrmComplaint(models.Model):
    """A customer's complaint, from receipt to resolution and the customer's rating.

    Deadlines come from the SLA policy of the category and severity; breaches are
    recorded for good once a deadline passes unmet (a cron checks every quarter of an
    hour, and answering or closing late records them at once).
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
    response_deadline = fields.Datetime(
        "First response due", compute="_compute_deadlines", store=True
    )
    resolution_deadline = fields.Datetime(
        "Resolution due", compute="_compute_deadlines", store=True
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

    @api.depends("category_id", "severity", "company_id", "date_received")
    def _compute_deadlines(self):
        policies = self.env["crm.complaint.sla.policy"]._policies_for(self)
        for complaint in self:
            key = (complaint.severity, complaint.company_id.id)
            policy = policies.get((complaint.category_id.id, *key)) or policies.get(
                (False, *key)
            )
            start = complaint.date_received or fields.Datetime.now()
            complaint.response_deadline = policy and start + timedelta(
                hours=policy.response_hours
            )
            complaint.resolution_deadline = policy and start + timedelta(
                hours=policy.resolution_hours
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
            "name": msg_dict.get("subject") or _("No subject"),
            "email_from": msg_dict.get("email_from"),
            "partner_id": contact.commercial_partner_id.id,
            "partner_contact_id": contact.id if contact.parent_id else False,
            "channel": "email",
            "user_id": False,
            **(custom_values or {}),
        }
        return super().message_new(msg_dict, custom_values=values)

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
    def _record_breaches(self, now=None):
        """Record the deadlines passed unmet, each on its own; a breach stays."""
        now = now or fields.Datetime.now()
        for complaint in self:
            # resolving a complaint answers it
            answered = complaint.date_first_response or complaint.date_closed
            vals = {}
            if (
                not complaint.response_breached
                and complaint.response_deadline
                and (answered or now) > complaint.response_deadline
            ):
                vals["response_breached"] = True
            if (
                not complaint.resolution_breached
                and complaint.resolution_deadline
                and (complaint.date_closed or now) > complaint.resolution_deadline
            ):
                vals["resolution_breached"] = True
            if vals:
                complaint.write(vals)

    @api.model
    def _cron_check_sla(self):
        """Every quarter of an hour: the open deadlines that have just passed.

        Each deadline is looked at on its own, so that a late first response
        does not hide a late resolution.
        """
        now = fields.Datetime.now()
        late = self.search(
            [
                ("date_closed", "=", False),
                "|",
                "&",
                "&",
                ("response_breached", "=", False),
                ("date_first_response", "=", False),
                ("response_deadline", "<", now),
                "&",
                ("resolution_breached", "=", False),
                ("resolution_deadline", "<", now),
            ]
        )
        late._record_breaches(now)
        self.env["ir.cron"]._notify_progress(done=len(late), remaining=0)

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

    def _request_rating(self):
        """Ask the customer to rate, in the company's name when the responsible has
        no e-mail address (the shipped template falls back on the company's)."""
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
