from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

OPEN_STATES = ("requested", "accepted")
TODO = "mail.mail_activity_data_todo"
#: what a user is told when an action does not fit the hand-off's state, or the
#: user is not on the receiving side: whole sentences, one per action
TRANSITION_MESSAGES = {
    "accept": (
        _lt("You cannot accept a hand-off that is %(state)s."),
        _lt("Only %(department)s can accept this hand-off."),
    ),
    "complete": (
        _lt("You cannot complete a hand-off that is %(state)s."),
        _lt("Only %(department)s can complete this hand-off."),
    ),
    "refuse": (
        _lt("You cannot refuse a hand-off that is %(state)s."),
        _lt("Only %(department)s can refuse this hand-off."),
    ),
    "reopen": (
        _lt("You cannot reopen a hand-off that is %(state)s."),
        _lt("Only %(department)s can reopen this hand-off."),
    ),
}


class CrmHandoff(models.Model):
    """A request from one department to another about a customer.

    The receiving department gets a to-do activity (for the assignee, or for its head
    until someone is assigned) and the requester is told when the hand-off is done or
    refused. Both departments see the hand-off; record rules say so.
    """

    _name = "crm.handoff"
    _description = "Hand-off between departments"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "priority desc, date_deadline, id desc"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------
    name = fields.Char("Subject", required=True, tracking=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        tracking=True,
        check_company=True,
    )
    # both departments are required by constraints, to refuse in words
    from_department_id = fields.Many2one(
        "hr.department",
        string="From",
        index=True,
        ondelete="restrict",
        check_company=True,
        default=lambda self: self.env.user.department_id,
        tracking=True,
    )
    to_department_id = fields.Many2one(
        "hr.department",
        string="To",
        index=True,
        ondelete="restrict",
        check_company=True,
        tracking=True,
    )
    requested_by_id = fields.Many2one(
        "res.users",
        string="Requested by",
        default=lambda self: self.env.user,
        readonly=True,
        index=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Assigned to",
        index=True,
        tracking=True,
        check_company=True,
        domain="[('share', '=', False), ('department_id', '=', to_department_id)]",
    )
    date_deadline = fields.Date("Due date", tracking=True, index=True)
    state = fields.Selection(
        [
            ("requested", "Requested"),
            ("accepted", "Accepted"),
            ("done", "Done"),
            ("refused", "Refused"),
        ],
        required=True,
        default="requested",
        tracking=True,
        index=True,
        copy=False,
    )
    priority = fields.Selection([("0", "Normal"), ("1", "Urgent")], default="0")
    description = fields.Html("Request")
    result = fields.Html("Outcome", copy=False)
    refuse_reason = fields.Text("Refusal reason", readonly=True, copy=False)
    document_ref = fields.Reference(
        [
            ("sale.order", "Sales order"),
            ("account.move", "Invoice"),
            ("stock.picking", "Transfer"),
            ("crm.lead", "Opportunity"),
        ],
        string="Document",
        help="The order, invoice, transfer or opportunity the request is about.",
    )
    hold_order_id = fields.Many2one(
        "sale.order",
        compute="_compute_hold_order_id",
        help="The order on credit hold the hand-off is about.",
    )
    can_release_hold = fields.Boolean(compute="_compute_hold_order_id")
    date_accepted = fields.Datetime("Accepted on", readonly=True, copy=False)
    date_closed = fields.Datetime("Closed on", readonly=True, copy=False)
    is_overdue = fields.Boolean(
        "Overdue", compute="_compute_is_overdue", search="_search_is_overdue"
    )
    is_mine_to_handle = fields.Boolean(
        "To handle",
        compute="_compute_is_mine_to_handle",
        search="_search_is_mine_to_handle",
        help="The current user belongs to the receiving department or is assigned.",
    )
    is_from_my_department = fields.Boolean(
        "From my department",
        compute="_compute_is_mine_to_handle",
        search="_search_is_from_my_department",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )

    # ------------------------------------------------------------
    # COMPUTE AND SEARCH METHODS
    # ------------------------------------------------------------
    @api.depends("state", "date_deadline")
    def _compute_is_overdue(self):
        today = fields.Date.context_today(self)
        for handoff in self:
            handoff.is_overdue = bool(
                handoff.state in OPEN_STATES
                and handoff.date_deadline
                and handoff.date_deadline < today
            )

    def _search_is_overdue(self, operator, value):
        # negated for "is_overdue = False", "<" becomes ">=", which no empty due date
        # satisfies: "!= False" becomes "= False" and keeps those hand-offs in
        overdue = [
            "&",
            "&",
            ("state", "in", OPEN_STATES),
            ("date_deadline", "!=", False),
            ("date_deadline", "<", fields.Date.context_today(self)),
        ]
        return self._boolean_search(operator, value, overdue)

    @api.depends_context("uid")
    @api.depends("user_id", "to_department_id")
    def _compute_is_mine_to_handle(self):
        department = self.env.user.department_id
        for handoff in self:
            handoff.is_mine_to_handle = handoff._is_receiver()
            handoff.is_from_my_department = bool(
                department and handoff.from_department_id == department
            )

    def _search_is_mine_to_handle(self, operator, value):
        department = self.env.user.department_id
        domain = [("user_id", "=", self.env.uid)]
        if department:
            domain = ["|", ("to_department_id", "=", department.id), *domain]
        return self._boolean_search(operator, value, domain)

    def _search_is_from_my_department(self, operator, value):
        department = self.env.user.department_id
        return self._boolean_search(
            operator, value, [("from_department_id", "=", department.id or 0)]
        )

    def _boolean_search(self, operator, value, domain):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on this field."))
        return domain if (operator == "=") == value else ["!", *domain]

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------
    @api.constrains("from_department_id", "to_department_id")
    def _check_departments(self):
        for handoff in self:
            if not handoff.from_department_id or not handoff.to_department_id:
                raise ValidationError(
                    _(
                        "Say which department asks and which one should act: a "
                        "hand-off needs both."
                    )
                )
            if handoff.from_department_id == handoff.to_department_id:
                raise ValidationError(
                    _(
                        "A hand-off goes to another department: %(department)s "
                        "cannot hand off to itself. Assign the work inside the "
                        "department with an activity instead.",
                        department=handoff.from_department_id.name,
                    )
                )

    @api.constrains("date_deadline")
    def _check_date_deadline(self):
        today = fields.Date.context_today(self)
        for handoff in self:
            if (
                handoff.state in OPEN_STATES
                and handoff.date_deadline
                and handoff.date_deadline < today
            ):
                raise ValidationError(
                    _(
                        "The due date %(date)s is in the past: pick today or a later "
                        "day.",
                        date=fields.Date.to_string(handoff.date_deadline),
                    )
                )

    @api.constrains("user_id", "to_department_id")
    def _check_user_id(self):
        """Assignees belong to the receiving department; managers take anything."""
        manager = "crm_relationship.group_relationship_manager"
        for handoff in self.filtered(
            lambda h: h.user_id and not h.user_id.has_group(manager)
        ):
            # the assignee's employee record may be out of the writer's reach
            department = (
                handoff.user_id.sudo()
                .with_company(handoff.company_id)
                .employee_id.department_id
            )
            if department != handoff.to_department_id:
                raise ValidationError(
                    _(
                        "%(user)s is not in %(department)s: assign the hand-off to "
                        "someone in the receiving department.",
                        user=handoff.user_id.name,
                        department=handoff.to_department_id.name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_dispatch(vals)
        handoffs = super().create(vals_list)
        handoffs._notify_receivers()
        for handoff in handoffs:
            handoff.partner_id._message_log(
                body=_(
                    "Hand-off requested from %(origin)s to %(target)s: %(subject)s",
                    origin=handoff.from_department_id.name,
                    target=handoff.to_department_id.name,
                    subject=handoff.name,
                )
            )
        return handoffs

    def _track_subtype(self, init_values):
        """Followers hear of each step of the hand-off (as project.task does)."""
        self.ensure_one()
        if "state" in init_values and self.state in ("accepted", "done", "refused"):
            return self.env.ref(f"crm_relationship.mt_handoff_{self.state}")
        return super()._track_subtype(init_values)

    def write(self, vals):
        self._check_dispatch(vals)
        reassigned = self.env["crm.handoff"]
        if "user_id" in vals:
            reassigned = self.filtered(lambda h: h.user_id.id != vals["user_id"])
        result = super().write(vals)
        if vals.get("date_deadline"):
            self.filtered(lambda h: h.state in OPEN_STATES).activity_reschedule(
                [TODO], date_deadline=vals["date_deadline"]
            )
        reassigned.filtered(lambda h: h.state in OPEN_STATES)._notify_receivers()
        return result

    def _check_dispatch(self, vals):
        """Users take hand-offs for themselves; assigning others is for heads."""
        user_id = vals.get("user_id")
        if (
            user_id
            and user_id != self.env.uid
            and not self.env.su
            and not self.env.user.has_group("crm_relationship.group_department_head")
        ):
            raise UserError(
                _(
                    "Only department heads assign hand-offs to others; you can take "
                    "one yourself by accepting it."
                )
            )

    def _message_auto_subscribe_notify(self, partner_ids, template):
        """The new assignee is told by the acting user, who may have no e-mail."""
        # sudo: Odoo sends the assignment notice in the acting user's name and
        # refuses to unless in sudo when that user has no e-mail address; the
        # caller has just written the assignee
        return super(CrmHandoff, self.sudo())._message_auto_subscribe_notify(
            partner_ids, template
        )

    # ------------------------------------------------------------
    # CREDIT HOLDS
    # ------------------------------------------------------------
    @api.depends("document_ref")
    @api.depends_context("uid")
    def _compute_hold_order_id(self):
        for handoff in self:
            order = handoff.document_ref
            held = (
                order
                and order._name == "sale.order"
                # sudo: whether the order is held, read for whoever handles the
                # hand-off (a finance head may not read the salesperson's order)
                and order.sudo().crm_credit_hold
            )
            handoff.hold_order_id = order.id if held else False
            handoff.can_release_hold = bool(held) and order._crm_can_release_hold()

    def action_open_release_hold(self):
        self.ensure_one()
        return self.hold_order_id.action_crm_open_release_hold()

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------
    def action_accept(self):
        self._check_transition(("requested",), "accept")
        now = fields.Datetime.now()
        for handoff in self:
            vals = {"state": "accepted", "date_accepted": now}
            # a colleague accepting for the assignee leaves the assignee in place
            if not handoff.user_id:
                vals["user_id"] = self.env.uid
            handoff.write(vals)
        return True

    def action_done(self):
        self._check_transition(OPEN_STATES, "complete")
        self.write({"state": "done", "date_closed": fields.Datetime.now()})
        for handoff in self:
            outcome = handoff.result or Markup("<p>%s</p>") % _("No outcome given.")
            handoff.activity_feedback([TODO], feedback=handoff.name)
            handoff._notify_requester(
                Markup("<p>%s</p>%s")
                % (
                    _(
                        "%(department)s completed the hand-off.",
                        department=handoff.to_department_id.name,
                    ),
                    outcome,
                )
            )
        return True

    def action_refuse(self, reason):
        reason = (reason or "").strip()
        if not reason:
            raise UserError(
                _("Say why the hand-off is refused: the requester needs to know.")
            )
        self._check_transition(OPEN_STATES, "refuse")
        self.write(
            {
                "state": "refused",
                "refuse_reason": reason,
                "date_closed": fields.Datetime.now(),
            }
        )
        self.activity_unlink([TODO])
        for handoff in self:
            handoff._notify_requester(
                Markup("<p>%s</p><p>%s</p>")
                % (
                    _(
                        "%(department)s refused the hand-off.",
                        department=handoff.to_department_id.name,
                    ),
                    reason,
                )
            )
        return True

    def action_open_refuse(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Refuse the hand-off"),
            "res_model": "crm.handoff.refuse",
            "view_mode": "form",
            "target": "new",
            "context": {"default_handoff_id": self.id},
        }

    def action_reopen(self):
        """A refused hand-off goes back to the receiving department, as requested."""
        self._check_transition(("refused",), "reopen", receiver=False)
        self.write({"state": "requested", "date_closed": False})
        self._notify_receivers()
        return True

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------
    def _is_receiver(self):
        self.ensure_one()
        user = self.env.user
        return (
            self.env.su
            or self.user_id == user
            or (user.department_id and user.department_id == self.to_department_id)
            or user.has_group("crm_relationship.group_relationship_manager")
        )

    def _check_transition(self, states, action, receiver=True):
        """Refuse ``action`` ("accept", "complete", "refuse", "reopen") on hand-offs
        not in ``states``, or, with ``receiver``, to users outside the receiving
        department. Each message is a whole sentence for the translators."""
        labels = dict(self._fields["state"]._description_selection(self.env))
        wrong_state, not_receiver = TRANSITION_MESSAGES[action]
        for handoff in self:
            if handoff.state not in states:
                raise UserError(
                    self.env._(wrong_state) % {"state": labels[handoff.state].lower()}
                )
            if receiver and not handoff._is_receiver():
                raise UserError(
                    self.env._(not_receiver)
                    % {"department": handoff.to_department_id.name}
                )

    def _receiver_user(self):
        """The assignee, or the receiving department's head while nobody is."""
        self.ensure_one()
        return self.user_id or self.to_department_id.manager_id.user_id

    def _notify_receivers(self):
        for handoff in self:
            receiver = handoff._receiver_user()
            handoff.activity_unlink([TODO])
            if not receiver:
                continue
            handoff.message_subscribe(partner_ids=receiver.partner_id.ids)
            # sudo: the receiver is told by a message from the acting user, which
            # Odoo refuses to send unless in sudo when that user has no e-mail
            # address; the caller has just created or written the hand-off
            handoff.sudo().activity_schedule(
                TODO,
                date_deadline=handoff.date_deadline,
                summary=handoff.name,
                note=_(
                    "%(department)s asks about %(customer)s",
                    department=handoff.from_department_id.name,
                    customer=handoff.partner_id.display_name,
                ),
                user_id=receiver.id,
            )

    def _notify_requester(self, body):
        """Tell the requester, in the hand-off's chatter and the customer's."""
        self.ensure_one()
        # sudo: as the chatter posts (mail/controllers/thread.py), so that the
        # author needs no e-mail address; the caller has just acted on the hand-off
        self.sudo().message_post(
            body=body,
            partner_ids=self.requested_by_id.partner_id.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        self.partner_id._message_log(body=body)
