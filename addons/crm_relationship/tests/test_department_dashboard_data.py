"""The department dashboard's figures, block by block, on a small generated company:
each figure equals the records it opens, for a department head; plain users and
other companies' people see none of it."""

from collections import Counter
from statistics import mean

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..tools.demo_generator import DemoDataGenerator
from .common import HEAD, MANAGER, USER, DepartmentCase

SEED = 7


@tagged("post_install", "-at_install")
class TestDepartmentDashboardData(DepartmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        DemoDataGenerator(cls.env, seed=SEED).generate(customers=15, months=12)
        cls.env["crm.relationship.score"].recompute()
        cls.logistics = cls.env["hr.department"].search(
            [("name", "=", "Logistics"), ("company_id", "=", cls.env.company.id)]
        )
        cls.finance = cls.env["hr.department"].search(
            [("name", "=", "Finance"), ("company_id", "=", cls.env.company.id)]
        )
        cls.head = cls._person("dash.head", HEAD, cls.logistics)
        cls.user = cls._person("dash.user", USER, cls.logistics)
        cls.manager = cls._person("dash.manager", MANAGER, cls.finance)
        cls.served = (
            cls.env["crm.account.team.member"]
            .search([("department_id", "=", cls.logistics.id)])
            .partner_id
        )
        # the small company has no customer at risk nor a late hand-off for
        # logistics: two served customers leave, one hand-off is past its due date
        # (both written as the scoring and the calendar would, in SQL)
        scores = cls.env["crm.relationship.score"].search(
            [("partner_id", "in", cls.served.ids)], order="id"
        )
        cls.env.cr.execute(
            "UPDATE crm_relationship_score SET churn_state = 'at_risk', "
            "clv_historical = 100 * id WHERE id = ANY(%s)",
            [scores[:2].ids],
        )
        handoff = cls.env["crm.handoff"].create(
            {
                "name": "Late pallets",
                "partner_id": cls.served[0].id,
                "from_department_id": cls.finance.id,
                "to_department_id": cls.logistics.id,
            }
        )
        cls.env.cr.execute(
            "UPDATE crm_handoff SET date_deadline = CURRENT_DATE - 3 WHERE id = %s",
            [handoff.id],
        )
        cls.env.invalidate_all()

    def _dashboard(self, user=None, department=None):
        Department = self.env["hr.department"].with_user(user or self.head)
        data = Department.get_crm_dashboard(department.id if department else None)
        return data, {block["key"]: block for block in data["blocks"]}

    def _kpi(self, block, figure, label=None):
        kpis = [
            kpi
            for kpi in block["kpis"]
            if kpi["open"]
            and kpi["open"]["figure"] == figure
            and (label is None or kpi["label"] == label)
        ]
        return kpis[0]

    def _opened(self, kpi, user=None):
        """The records the figure's click opens, read as the user."""
        user = user or self.head
        action = self.logistics.with_user(user).action_crm_dashboard_open(
            kpi["open"]["figure"], kpi["open"]["params"]
        )
        return self.env[action["res_model"]].with_user(user).search(action["domain"])

    def test_generated_company_serves_customers(self):
        # the fixture shows something: the demo's logistics people are on accounts
        self.assertTrue(self.served)
        self.assertTrue(
            self.env["crm.handoff"].search_count(
                ["|", ("to_department_id", "=", self.logistics.id),
                 ("from_department_id", "=", self.logistics.id)]
            )
        )  # fmt: skip

    def test_head_opens_own_department_by_default(self):
        data, blocks = self._dashboard()
        self.assertEqual(data["department"]["id"], self.logistics.id)
        self.assertEqual([d["id"] for d in data["departments"]], self.logistics.ids)
        self.assertEqual(
            [block["key"] for block in data["blocks"]][:2], ["customers", "handoffs"]
        )
        # a logistics department also sees its priority deliveries
        self.assertIn("service", blocks)
        with self.assertRaises(AccessError):
            self._dashboard(department=self.finance)
        with self.assertRaises(AccessError):
            self.finance.with_user(self.head).action_crm_dashboard_open("customers")

    def test_customers_by_tier_and_trend(self):
        _data, blocks = self._dashboard()
        block = blocks["customers"]
        scores = self.env["crm.relationship.score"].search(
            [("partner_id", "in", self.served.ids)]
        )
        tiers = Counter(scores.mapped("tier"))
        customers = self._kpi(block, "customers")
        self.assertEqual(customers["value"], len(scores))
        self.assertEqual(len(self._opened(customers)), len(scores))
        for tier, total in tiers.items():
            kpi = self._kpi(block, "tier", f"Tier {tier}")
            self.assertEqual(kpi["value"], total)
            opened = self._opened(kpi)
            self.assertEqual(opened, scores.filtered(lambda s, t=tier: s.tier == t))
        for trend in ("up", "down"):
            kpi = next(
                k for k in block["kpis"] if k["open"]["params"].get("trend") == trend
            )
            expected = scores.filtered(lambda s, t=trend: s.tier_trend == t)
            self.assertEqual(kpi["value"], len(expected))
            self.assertEqual(self._opened(kpi), expected)
        # the chart's last column is today's tier mix, its bars open the tier
        chart = block["chart"]
        today = {dataset["label"]: dataset["data"][-1] for dataset in chart["datasets"]}
        self.assertEqual(
            {label: n for label, n in today.items() if n},
            {f"Tier {tier}": total for tier, total in tiers.items()},
        )
        self.assertEqual(
            chart["datasets"][0]["opens"][-1]["figure"], "tier", "a bar opens its tier"
        )

    def test_handoffs_age_and_sla(self):
        _data, blocks = self._dashboard()
        block = blocks["handoffs"]
        Handoff = self.env["crm.handoff"]
        incoming = Handoff.search(
            [
                ("to_department_id", "=", self.logistics.id),
                ("state", "in", ("requested", "accepted")),
            ]
        )
        open_in = self._kpi(block, "handoff_in", "Open to us")
        self.assertEqual(open_in["value"], len(incoming))
        self.assertEqual(self._opened(open_in), incoming)
        overdue = self._kpi(block, "handoff_overdue")
        self.assertGreaterEqual(overdue["value"], 1)
        self.assertEqual(overdue["value"], len(incoming.filtered("is_overdue")))
        self.assertEqual(self._opened(overdue), incoming.filtered("is_overdue"))
        dispatch = self._kpi(block, "handoff_unassigned")
        waiting = incoming.filtered(lambda h: h.state == "requested" and not h.user_id)
        self.assertEqual(dispatch["value"], len(waiting))
        self.assertEqual(self._opened(dispatch), waiting)
        age = self._kpi(block, "handoff_in", "Average age")
        today = fields.Date.today()
        if incoming:
            expected = float(
                mean((today - h.create_date.date()).days for h in incoming)
            )
            self.assertEqual(age["value"], f"{round(expected, 1)} days")
        else:
            self.assertEqual(age["value"], "–")
        outgoing = Handoff.search(
            [
                ("from_department_id", "=", self.logistics.id),
                ("state", "in", ("requested", "accepted")),
            ]
        )
        open_out = self._kpi(block, "handoff_out", "Open from us")
        self.assertEqual(open_out["value"], len(outgoing))
        self.assertEqual(self._opened(open_out), outgoing)
        for figure in ("handoff_in_done", "handoff_out_done"):
            kpi = self._kpi(block, figure)
            done = self._opened(kpi)
            self.assertTrue(all(h.state == "done" for h in done))
            on_time = done.filtered(
                lambda h: not h.date_deadline or h.date_closed.date() <= h.date_deadline
            )
            expected = f"{round(100.0 * len(on_time) / len(done))} %" if done else "–"
            self.assertEqual(kpi["value"], expected)

    def test_at_risk_by_value_and_notes(self):
        _data, blocks = self._dashboard()
        Score = self.env["crm.relationship.score"]
        at_risk = Score.search(
            [("partner_id", "in", self.served.ids), ("churn_state", "=", "at_risk")],
            order="clv_historical desc, id",
        )
        self.assertEqual(len(at_risk), 2)
        block = blocks["at_risk"]
        self.assertEqual(self._kpi(block, "at_risk")["value"], len(at_risk))
        self.assertEqual(self._opened(self._kpi(block, "at_risk")), at_risk)
        self.assertEqual(
            [row["open"]["res_id"] for row in block["table"]["rows"]],
            at_risk[:8].partner_id.ids,
        )
        notes = blocks["notes"]
        readable = (
            self.env["crm.customer.note"]
            .with_user(self.head)
            .search(
                [
                    "|",
                    ("department_id", "=", self.logistics.id),
                    ("partner_id", "in", self.served.ids),
                ],
                order="create_date desc, id desc",
            )
        )
        self.assertTrue(readable)
        self.assertEqual(
            [row["open"]["res_id"] for row in notes["table"]["rows"]],
            readable[:6].ids,
        )
        self.assertEqual(
            self._opened(self._kpi(notes, "notes")), readable, "the list of the notes"
        )

    def test_department_form_opens_its_dashboard(self):
        action = self.logistics.with_user(self.head).action_crm_dashboard()
        self.assertEqual(action["tag"], "crm_relationship.department_dashboard")
        self.assertEqual(action["context"], {"active_id": self.logistics.id})

    def test_plain_user_has_no_dashboard(self):
        with self.assertRaises(AccessError):
            self._dashboard(user=self.user)
        with self.assertRaises(AccessError):
            self.logistics.with_user(self.user).action_crm_dashboard_open("customers")

    def test_manager_chooses_any_department(self):
        data, _blocks = self._dashboard(user=self.manager)
        self.assertEqual(data["department"]["id"], self.finance.id, "own first")
        self.assertIn(self.logistics.id, [d["id"] for d in data["departments"]])
        _data, blocks = self._dashboard(user=self.manager, department=self.logistics)
        _head_data, head_blocks = self._dashboard()
        self.assertEqual(
            self._kpi(blocks["customers"], "customers")["value"],
            self._kpi(head_blocks["customers"], "customers")["value"],
        )

    def test_other_company_sees_nothing_of_ours(self):
        other = self.env["res.company"].create({"name": "Dashboard Other Co"})
        department = self.env["hr.department"].create(
            {"name": "Logistics", "company_id": other.id}
        )
        head = self._person("dash.other", HEAD, department, company=other)
        data, blocks = self._dashboard(user=head)
        self.assertEqual(data["department"]["id"], department.id)
        self.assertEqual(self._kpi(blocks["customers"], "customers")["value"], 0)
        self.assertEqual(
            self._kpi(blocks["handoffs"], "handoff_in", "Open to us")["value"], 0
        )
        self.assertFalse(blocks["notes"]["table"]["rows"])
        with self.assertRaises(AccessError):
            self._dashboard(user=head, department=self.logistics)
        # a manager of both companies working in the other one sees none of ours
        self.manager.company_ids |= other
        Department = self.env["hr.department"].with_user(self.manager)
        with self.assertRaises(AccessError):
            Department.with_context(allowed_company_ids=other.ids).get_crm_dashboard(
                self.logistics.id
            )
