from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..models.mailing_mailing import ELIGIBLE_DOMAIN
from ..tools import control

# the segment's common values, described in this order
SEGMENT_FIELDS = ("tier", "rfm_segment", "abc_class", "churn_state", "nps_category")


class CrmRelationshipScoreMailing(models.TransientModel):
    """A mailing to a segment of customers, with a control group held back.

    Opened from the customer scores (the rows selected, or all the rows of the
    search when "select all" was used) or from a cohort; the mailing is made with
    Odoo's mass mailing, addressed to the customers outside the control group.
    """

    _name = "crm.relationship.score.mailing"
    _description = "Mailing to a segment of customers"

    company_id = fields.Many2one("res.company", required=True)
    partner_ids = fields.Many2many(
        "res.partner",
        "crm_relationship_score_mailing_partner_rel",
        "wizard_id",
        "partner_id",
        "Customers",
    )
    segment = fields.Char(
        required=True, help="The segment in words, shown on the mailing."
    )
    subject = fields.Char(required=True)
    control_share = fields.Float(
        "Control share (%)",
        default=10.0,
        digits=(16, 1),
        help="Share of the customers who can receive the mailing that is held back "
        "to measure its effect.",
    )
    attribution_days = fields.Integer(
        "Attribution window (days)",
        default=30,
        help="Invoices dated from the sending day to this many days after it count "
        "as the mailing's effect.",
    )
    customer_count = fields.Integer(
        "Customers of the segment", compute="_compute_counts"
    )
    excluded_count = fields.Integer("Excluded: no e-mail", compute="_compute_counts")
    recipient_count = fields.Integer("Recipients", compute="_compute_counts")
    control_count = fields.Integer("Held back", compute="_compute_counts")

    # ------------------------------------------------------------
    # DEFAULTS
    # ------------------------------------------------------------
    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") != "crm.relationship.score":
            return values
        scores = self._segment_scores()
        if not scores:
            raise UserError(_("Select the customers of the segment first."))
        if len(scores.company_id) > 1:
            raise UserError(
                _(
                    "A segment mailing measures one company's invoices: select the "
                    "customers of one company."
                )
            )
        values.setdefault("company_id", scores.company_id.id)
        values.setdefault("partner_ids", [(6, 0, scores.partner_id.ids)])
        values.setdefault("segment", self._describe_segment(scores))
        return values

    @api.model
    def _segment_scores(self):
        """The score rows the user chose, read with their rights (record rules keep
        other companies' rows out). The web client sends the selected ids, or, on
        "select all", the ids found up to its limit and the search's domain: above
        the limit, the domain is searched again."""
        context = self.env.context
        Score = self.env["crm.relationship.score"]
        ids = context.get("active_ids") or []
        limit = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("web.active_ids_limit", 20000)
        )
        if context.get("active_domain") is not None and len(ids) >= limit:
            return Score.search(context["active_domain"])
        return Score.search([("id", "in", ids)])

    @api.model
    def _describe_segment(self, scores):
        """What the rows have in common, in words: "Tier: A, Churn: At risk"."""
        parts = []
        for name in SEGMENT_FIELDS:
            values = set(scores.mapped(name))
            if len(values) == 1 and all(values):
                field = scores._fields[name]
                labels = dict(field._description_selection(self.env))
                parts.append(
                    _(
                        "%(field)s: %(value)s",
                        field=field._description_string(self.env),
                        value=labels[values.pop()],
                    )
                )
        return ", ".join(parts) or _("%(count)s selected customers", count=len(scores))

    # ------------------------------------------------------------
    # COMPUTES AND CONSTRAINTS
    # ------------------------------------------------------------
    @api.depends("partner_ids", "control_share")
    def _compute_counts(self):
        for wizard in self:
            customers = wizard.partner_ids.commercial_partner_id
            eligible = self.env["res.partner"].search_count(
                [("id", "in", customers.ids), *ELIGIBLE_DOMAIN]
            )
            held = control.control_size(max(wizard.control_share, 0.0), eligible)
            wizard.customer_count = len(customers)
            wizard.excluded_count = len(customers) - eligible
            wizard.control_count = held
            wizard.recipient_count = eligible - held

    @api.constrains("control_share")
    def _check_control_share(self):
        for wizard in self:
            if not 0 <= wizard.control_share < 100:
                raise ValidationError(
                    _("The control share must be at least 0 % and less than 100 %.")
                )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------
    def action_create_mailing(self):
        """Create the mailing, draw its control group, and open it."""
        self.ensure_one()
        if not self.partner_ids:
            raise UserError(_("The segment has no customers."))
        mailing = self.env["mailing.mailing"].create(
            {
                "subject": self.subject,
                "mailing_type": "mail",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": repr([("id", "in", [])]),
                "crm_segment": self.segment,
                "crm_company_id": self.company_id.id,
                "crm_control_share": self.control_share,
                "crm_attribution_days": self.attribution_days,
            }
        )
        mailing._crm_split_segment(self.partner_ids)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mass_mailing.mailing_mailing_action_mail"
        )
        action.update(
            {
                "res_id": mailing.id,
                "view_mode": "form",
                "views": [(False, "form")],
                "target": "current",
                "context": {},
            }
        )
        return action
