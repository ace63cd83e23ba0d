from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class CrmServedDepartmentMixin(models.AbstractModel):
    """The departments serving a row's customer in the row's company: those with
    someone on the customer's account team there. A dashboard's Department
    filter matches this field: following ``partner_id.account_team_ids`` instead
    would also keep another company's rows of a customer both companies serve."""

    _name = "crm.served.department.mixin"
    _description = "Departments serving the customer, in the row's company"

    crm_department_ids = fields.Many2many(
        "hr.department",
        string="Serving departments",
        compute="_compute_crm_department_ids",
        search="_search_crm_department_ids",
        help="The departments with someone on the customer's account team, in "
        "this row's company.",
    )

    @api.depends("partner_id", "company_id")
    def _compute_crm_department_ids(self):
        members = self.env["crm.account.team.member"].search(
            [("partner_id", "in", self.partner_id.ids)]
        )
        for row in self:
            row.crm_department_ids = members.filtered(
                lambda m, row=row: (
                    m.partner_id == row.partner_id and m.company_id == row.company_id
                )
            ).department_id

    def _search_crm_department_ids(self, operator, value):
        if operator not in ("in", "not in", "=", "!="):
            raise UserError(_("Unsupported search on serving departments."))
        ids = [value] if isinstance(value, int) else list(value or [])
        if not all(isinstance(i, int) for i in ids):
            raise UserError(_("Unsupported search on serving departments."))
        # the account team's rows of the row's own company; the rows themselves
        # are read under the user's rules by the search this domain is part of
        query = SQL(
            "(SELECT row.id FROM %s row"
            " JOIN crm_account_team_member member"
            " ON member.partner_id = row.partner_id"
            " AND member.company_id = row.company_id"
            " WHERE member.department_id = ANY(%s))",
            self._table_sql,
            ids,
        )
        positive = operator in ("in", "=")
        return [("id", "in" if positive else "not in", query)]
