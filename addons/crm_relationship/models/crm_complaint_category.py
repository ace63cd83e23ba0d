from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, sql


class CrmComplaintCategory(models.Model):
    """What a complaint is about; shared by all companies, as the shipped ones are.

    The responsible department is per company (a company-dependent field, as
    product categories keep their accounts), since departments belong to one.
    """

    _name = "crm.complaint.category"
    _description = "Complaint category"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    department_id = fields.Many2one(
        "hr.department",
        string="Responsible department",
        company_dependent=True,
        check_company=True,
        help="New complaints of this category go to this department; each company "
        "names its own.",
    )

    @api.constrains("department_id")
    def _check_department_company(self):
        """Odoo's ``_check_company`` needs a company on the record itself; a shared
        category checks its per-company value against the company it is set for."""
        company = self.env.company
        for category in self:
            department = category.department_id
            if department.company_id and department.company_id != company:
                raise ValidationError(
                    self.env._(
                        "%(department)s belongs to %(other)s: in %(company)s, "
                        "complaints of %(category)s go to a department of %(company)s.",
                        department=department.display_name,
                        other=department.company_id.name,
                        company=company.name,
                        category=category.name,
                    )
                )

    def _auto_init(self):
        """Keep the departments chosen while the field was one for all companies:
        each becomes the value of its department's company."""
        columns = sql.table_columns(self.env.cr, self._table)
        if columns.get("department_id", {}).get("udt_name") == "int4":
            self.env.cr.execute(
                SQL(
                    """
                    ALTER TABLE crm_complaint_category
                        ADD COLUMN department_id_per_company jsonb;
                    UPDATE crm_complaint_category category
                       SET department_id_per_company = jsonb_build_object(
                               COALESCE(department.company_id,
                                        (SELECT MIN(id) FROM res_company))::text,
                               category.department_id)
                      FROM hr_department department
                     WHERE department.id = category.department_id;
                    ALTER TABLE crm_complaint_category DROP COLUMN department_id;
                    ALTER TABLE crm_complaint_category
                        RENAME COLUMN department_id_per_company TO department_id;
                    """
                )
            )
        return super()._auto_init()
