"""The department dashboard of a user working in two companies at once: a
department's figures are its own company's, and so are the records they open."""

from datetime import datetime, time, timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import HEAD, DepartmentCase


@tagged("post_install", "-at_install")
class TestDepartmentDashboardCompanies(DepartmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Dashboard B Co"})
        cls.department = cls.env["hr.department"].create(
            {"name": "Logistics", "company_id": cls.company_a.id}
        )
        cls.head = cls._person("mc.head", HEAD, cls.department)
        cls.head.company_ids |= cls.company_b
        # a customer shared by both companies, scored in each, served in A
        cls.customer = cls.env["res.partner"].create(
            {"name": "Shared Customer", "is_company": True}
        )
        cls.env["crm.account.team.member"].create(
            {
                "partner_id": cls.customer.id,
                "user_id": cls.head.id,
                "department_id": cls.department.id,
                "company_id": cls.company_a.id,
            }
        )
        Score = cls.env["crm.relationship.score"]
        cls.score_a = Score.create(
            {"partner_id": cls.customer.id, "company_id": cls.company_a.id}
        )
        cls.score_b = Score.create(
            {"partner_id": cls.customer.id, "company_id": cls.company_b.id}
        )
        cls.env.cr.execute(
            "UPDATE crm_relationship_score SET churn_state = 'at_risk'"
            " WHERE id = ANY(%s)",
            [(cls.score_a + cls.score_b).ids],
        )
        cls.env.invalidate_all()

    def _as_head(self):
        companies = self.company_a + self.company_b
        return (
            self.env["hr.department"]
            .with_user(self.head)
            .with_context(allowed_company_ids=companies.ids)
        )

    def _blocks(self):
        data = self._as_head().get_crm_dashboard(self.department.id)
        return {block["key"]: block for block in data["blocks"]}

    def _kpi(self, block, figure):
        return next(
            k for k in block["kpis"] if k["open"] and k["open"]["figure"] == figure
        )

    def _opened(self, kpi):
        Department = self._as_head()
        action = Department.browse(self.department.id).action_crm_dashboard_open(
            kpi["open"]["figure"], kpi["open"]["params"]
        )
        return Department.env[action["res_model"]].search(action["domain"])

    def test_figures_of_the_department_company_only(self):
        blocks = self._blocks()
        customers = self._kpi(blocks["customers"], "customers")
        self.assertEqual(customers["value"], 1, "one customer, scored in A")
        self.assertEqual(self._opened(customers), self.score_a)
        at_risk = self._kpi(blocks["at_risk"], "at_risk")
        self.assertEqual(at_risk["value"], 1)
        self.assertEqual(self._opened(at_risk), self.score_a)
        self.assertEqual(len(blocks["at_risk"]["table"]["rows"]), 1)

    def test_notes_figure_opens_its_notes(self):
        """ "Notes in 30 days" opens those notes, not the older ones too."""
        Note = self.env["crm.customer.note"]
        old, new = Note.create(
            [
                {
                    "partner_id": self.customer.id,
                    "department_id": self.department.id,
                    "body": body,
                    "company_id": self.company_a.id,
                }
                for body in ("<p>Old pallets</p>", "<p>New pallets</p>")
            ]
        )
        self.env.cr.execute(
            "UPDATE crm_customer_note SET create_date = now() - interval '45 days'"
            " WHERE id = %s",
            [old.id],
        )
        self.env.invalidate_all()
        block = self._blocks()["notes"]
        kpi = self._kpi(block, "notes")
        self.assertEqual(kpi["value"], 1)
        self.assertEqual(self._opened(kpi), new)
        # the table still lists the last notes, whatever their age
        self.assertEqual(
            [row["open"]["res_id"] for row in block["table"]["rows"]], [new.id, old.id]
        )

    def test_done_on_time_in_the_user_time_zone(self):
        """A hand-off closed in the evening of its due date, in Adak (UTC-10), is
        on time, although it is the next day in UTC."""
        self.head.tz = "America/Adak"
        other = self.env["hr.department"].create(
            {"name": "Finance", "company_id": self.company_a.id}
        )
        handoff = self.env["crm.handoff"].create(
            {
                "name": "Evening pallets",
                "partner_id": self.customer.id,
                "from_department_id": other.id,
                "to_department_id": self.department.id,
            }
        )
        today = fields.Date.context_today(handoff.with_user(self.head))
        due = today - timedelta(days=5)
        # 20:00 in Adak on the due date is 06:00 UTC the next day
        closed = datetime.combine(due + timedelta(days=1), time(6, 0))
        self.env.cr.execute(
            "UPDATE crm_handoff SET state = 'done', date_deadline = %s,"
            " date_closed = %s WHERE id = %s",
            [due, closed, handoff.id],
        )
        self.env.invalidate_all()
        block = self._blocks()["handoffs"]
        kpi = next(k for k in block["kpis"] if k["open"]["figure"] == "handoff_in_done")
        self.assertEqual(kpi["value"], "100 %")
        self.assertEqual(self._opened(kpi), handoff)

    def test_forged_figure_is_refused(self):
        """The figure's click is an RPC: a figure or parameters no figure sends
        are refused in words, not with a server error nor a list of another
        figure."""
        Department = self._as_head().browse(self.department.id)
        for figure, params in (
            (["tier"], None),
            ({"figure": "tier"}, None),
            ("tier", "A"),
            ("tier", ["A"]),
            ("tier", {"tier": ["A", "B"]}),
            ("tier", {"tier": "Z"}),
            ("trend", {"trend": None}),
        ):
            with (
                self.subTest(figure=figure, params=params),
                self.assertRaises(UserError),
            ):
                Department.action_crm_dashboard_open(figure, params)
        action = Department.action_crm_dashboard_open("tier", {"tier": "A"})
        self.assertIn(("tier", "=", "A"), action["domain"])
