from datetime import date

from odoo import Command

from odoo.addons.crm_relationship.tests.common import DepartmentCase


class ScorecardCase(DepartmentCase):
    """KPIs over opportunities, which the tests create with known owners and dates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.partner_id.tz = "Europe/Brussels"
        cls.sales = cls.env["hr.department"].create({"name": "Sales (test)"})
        cls.logistics = cls.env["hr.department"].create({"name": "Logistics (test)"})
        cls.team = cls.env["crm.team"].create({"name": "Team North (test)"})
        cls.won_stage = cls.env["crm.stage"].create(
            {"name": "Won (test)", "is_won": True, "sequence": 99}
        )
        cls.customer = cls.env["res.partner"].create({"name": "Customer (test)"})

    @classmethod
    def _field(cls, model, name):
        return cls.env["ir.model.fields"]._get(model, name)

    @classmethod
    def _kpi(cls, name, measure="count", domain="[]", **values):
        """A KPI over crm.lead, split by salesperson, team and company."""
        vals = {
            "name": name,
            "measure": measure,
            "perspective": "process",
        }
        if measure != "ratio":
            vals.update(
                {
                    "model_id": cls.env["ir.model"]._get("crm.lead").id,
                    "domain": domain,
                    "date_field_id": cls._field("crm.lead", "date_deadline").id,
                    "company_field_id": cls._field("crm.lead", "company_id").id,
                    "user_field_id": cls._field("crm.lead", "user_id").id,
                    "team_field_id": cls._field("crm.lead", "team_id").id,
                }
            )
            if measure in ("sum", "avg"):
                vals["field_id"] = cls._field("crm.lead", "expected_revenue").id
        vals.update(values)
        return cls.env["crm.kpi"].create(vals)

    @classmethod
    def _lead(cls, deadline, revenue=0.0, user=None, **values):
        return cls.env["crm.lead"].create(
            {
                "name": "Opportunity %s" % revenue,
                "type": "opportunity",
                "partner_id": cls.customer.id,
                "date_deadline": deadline,
                "expected_revenue": revenue,
                "user_id": (user or cls.env.user).id,
                "team_id": cls.team.id,
                **values,
            }
        )

    @classmethod
    def _card(cls, kpi, target, **values):
        return cls.env["crm.scorecard"].create(
            {
                "name": "Scorecard %s" % kpi.name,
                "line_ids": [Command.create({"kpi_id": kpi.id, "target": target})],
                **values,
            }
        )


MARCH = (date(2026, 3, 1), date(2026, 3, 31))
FEBRUARY = (date(2026, 2, 1), date(2026, 2, 28))
