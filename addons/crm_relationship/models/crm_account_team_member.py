from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class CrmAccountTeamMember(models.Model):
    """A person who serves a customer, for one department.

    The account team spans departments: the salesperson, the credit controller, the
    logistics planner and the service agent of one customer. Each department names at
    most one primary contact per customer.
    """

    _name = "crm.account.team.member"
    _description = "Account team member"
    _order = "partner_id, is_primary desc, department_id, id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
        domain="[('is_company', '=', True)]",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Person",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
        domain="[('share', '=', False)]",
    )
    department_id = fields.Many2one(
        "hr.department",
        compute="_compute_department_id",
        store=True,
        precompute=True,
        readonly=False,
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        help="Defaults to the person's department on their employee record.",
    )
    role = fields.Char(help="What this person does for the customer.")
    is_primary = fields.Boolean(
        "Primary contact",
        help="The person the other departments turn to first, one per department.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    email = fields.Char(related="user_id.email")
    phone = fields.Char(related="user_id.phone")

    _sql_constraints = [
        (
            "member_uniq",
            "UNIQUE(partner_id, user_id, department_id, company_id)",
            "This person is already in this department's account team.",
        ),
    ]

    @api.depends("user_id")
    def _compute_department_id(self):
        for member in self:
            if member.user_id and not member.department_id:
                member.department_id = (
                    member.user_id.with_company(member.company_id).employee_id
                ).department_id

    @api.constrains("partner_id", "department_id", "is_primary", "company_id")
    def _check_single_primary(self):
        primaries = self.filtered("is_primary")
        if not primaries:
            return
        groups = self._read_group(
            [
                ("partner_id", "in", primaries.partner_id.ids),
                ("is_primary", "=", True),
            ],
            ["partner_id", "department_id", "company_id"],
            ["__count"],
            having=[("__count", ">", 1)],
        )
        if groups:
            partner, department = groups[0][:2]
            raise ValidationError(
                _(
                    "%(department)s already has a primary contact for %(customer)s: "
                    "untick the other one first.",
                    department=department.display_name,
                    customer=partner.display_name,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        members = super().create(vals_list)
        members.partner_id._message_log_batch(
            bodies={
                member.partner_id.id: self.env._(
                    "%(user)s joined the account team (%(department)s)",
                    user=member.user_id.name,
                    department=member.department_id.name,
                )
                for member in members
            }
        )
        return members
