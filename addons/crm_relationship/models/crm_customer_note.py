from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import html2plaintext


class CrmCustomerNote(models.Model):
    """What a department knows about a customer and wants to keep in view.

    Notes are owned by a department and read according to their visibility; record
    rules enforce it. Notes for everyone are also logged in the customer's chatter, the
    shared timeline; restricted notes are not, so that the chatter never leaks them.
    """

    _name = "crm.customer.note"
    _description = "Customer note"
    _order = "pinned desc, create_date desc, id desc"
    _check_company_auto = True
    _rec_name = "summary"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    # required by the constraint below rather than NOT NULL, to say so in words
    department_id = fields.Many2one(
        "hr.department",
        index=True,
        ondelete="restrict",
        check_company=True,
        default=lambda self: self.env.user.department_id,
        help="The department that owns the note.",
    )
    visibility = fields.Selection(
        [
            ("everyone", "Everyone"),
            ("department", "Own department"),
            ("heads", "Department heads"),
        ],
        required=True,
        default="everyone",
        help="Everyone: every relationship user of the company. Own department: the "
        "owning department and managers. Department heads: heads and managers.",
    )
    kind = fields.Selection(
        [
            ("fact", "Fact"),
            ("preference", "Preference"),
            ("risk", "Risk"),
            ("insight", "Insight"),
        ],
        required=True,
        default="fact",
    )
    body = fields.Html(default="", sanitize_style=True)
    summary = fields.Char(compute="_compute_summary")
    pinned = fields.Boolean(help="Pinned notes come first on the customer.")
    author_id = fields.Many2one(
        "res.users", default=lambda self: self.env.user, readonly=True
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    active = fields.Boolean(default=True)

    @api.depends("body")
    def _compute_summary(self):
        for note in self:
            text = " ".join(html2plaintext(note.body or "").split())
            note.summary = text[:80] + ("…" if len(text) > 80 else "")

    @api.constrains("body")
    def _check_body(self):
        for note in self:
            if not html2plaintext(note.body or "").strip():
                raise ValidationError(
                    _(
                        "Write the note: an empty note tells the other "
                        "departments nothing."
                    )
                )

    @api.constrains("department_id")
    def _check_department(self):
        for note in self:
            if not note.department_id:
                raise ValidationError(
                    _("A note belongs to a department: pick the one that owns it.")
                )

    @api.model_create_multi
    def create(self, vals_list):
        notes = super().create(vals_list)
        notes._log_on_customer()
        return notes

    def _log_on_customer(self):
        # the label in the writer's language, as the sentence around it
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for note in self.filtered(lambda n: n.visibility == "everyone"):
            note.partner_id._message_log(
                body=Markup("<p><b>%s</b></p>%s")
                % (
                    _(
                        "%(department)s note (%(kind)s)",
                        department=note.department_id.name,
                        kind=kinds[note.kind],
                    ),
                    note.body,
                )
            )
