"""The collaborative part of the demo company: departments, account teams, notes and
hand-offs, written after the commercial history by the same generator.

Everything is derived from the plan (customer order, payment habit, delivery record),
so one seed still gives one company.
"""

from datetime import timedelta

from odoo import Command, fields

# key, department name, demo user login, user name, role on an account team
DEPARTMENTS = [
    ("sales", "Sales", None, None, "Account manager"),
    ("finance", "Finance", "demo.finance", "Maria Lopez", "Credit controller"),
    ("logistics", "Logistics", "demo.logistics", "Tom Becker", "Delivery planner"),
    ("service", "Customer Service", "demo.service", "Aisha Khan", "Service agent"),
]
EXTRA_GROUPS = {
    "finance": ["account.group_account_invoice"],
    "logistics": ["stock.group_stock_user"],
    "service": ["sales_team.group_sale_salesman"],
}
# department, kind, visibility, text
NOTES = [
    ("sales", "preference", "everyone", "Prefers one consolidated order a month."),
    ("finance", "risk", "heads", "Paid late three times this year; keep terms short."),
    ("logistics", "fact", "everyone", "Receiving dock closes at 3 pm; no Saturdays."),
    ("service", "insight", "department", "Asks for spare parts after each retrofit."),
    ("sales", "risk", "department", "A competitor quoted 8% below our last offer."),
    ("finance", "fact", "everyone", "Invoices must quote the purchase order number."),
]
# subject, category, severity, channel, days ago received, outcome (open, late,
# resolved with a rating of 1, 3 or 5 stars)
COMPLAINTS = [
    ("Crates arrived broken", "delivery", "high", "email", 0, "open"),
    ("Invoice charged twice", "invoicing", "medium", "phone", 3, "late"),
    ("Conveyor belt worn after a month", "quality", "critical", "portal", 6, "5"),
    ("Delivery two days late", "delivery", "medium", "email", 12, "3"),
    ("Technician missed the visit", "service", "high", "phone", 20, "1"),
    ("Wrong spare part sent", "delivery", "low", "portal", 0, "open"),
]
# complaint category, department that answers for it
CATEGORY_DEPARTMENTS = [
    ("delivery", "logistics"),
    ("invoicing", "finance"),
    ("quality", "service"),
    ("service", "service"),
]
# from, to, subject, final state (overdue: accepted and past its due date), outcome
HANDOFFS = [
    ("sales", "finance", "Review the credit limit", "requested", None),
    ("service", "logistics", "Trace the late delivery", "accepted", None),
    ("sales", "logistics", "Confirm the date of the next delivery", "done",
     "Confirmed for Tuesday, first slot."),
    ("finance", "sales", "Agree a payment plan for the overdue invoices", "overdue",
     None),
    ("service", "finance", "Credit note for the damaged crate", "refused",
     "Already credited on the last invoice."),
    ("sales", "service", "Visit after the line retrofit", "requested", None),
]  # fmt: skip


class CollaborationDemoMixin:
    """Departments, account teams, notes and hand-offs for the demo generator."""

    def _create_collaboration(self, plan):
        users = self._create_department_users()
        self._create_account_teams(plan, users)
        self._create_customer_notes(users)
        self._create_handoffs(users)
        self._create_complaints(users)

    def _create_department_users(self):
        """A department per team with its people; each department's first user heads
        it. Demo users log in with their login as password."""
        Department = self.env["hr.department"]
        Users = self.env["res.users"].with_context(
            active_test=False, no_reset_password=True
        )
        relationship = self.env.ref("crm_relationship.group_relationship_user")
        head = self.env.ref("crm_relationship.group_department_head")
        users = {}
        for key, name, login, user_name, _role in DEPARTMENTS:
            department = Department.search(
                [("name", "=", name), ("company_id", "in", (self.company.id, False))],
                limit=1,
            ) or Department.create({"name": name, "company_id": self.company.id})
            department.crm_function = key
            self._translate(department, "name", name)
            if login:
                user = Users.search([("login", "=", login)]) or Users.create(
                    {
                        "name": self._text(user_name),
                        "login": login,
                        "password": login,
                        "email": f"{login}@example.com",
                        "company_id": self.company.id,
                        "company_ids": [Command.link(self.company.id)],
                        "groups_id": [
                            Command.link(self.env.ref(xmlid).id)
                            for xmlid in EXTRA_GROUPS[key]
                        ],
                    }
                )
                members = user
            else:
                members = self.records["salespeople"]
            members.groups_id = [Command.link(relationship.id)]
            members[:1].groups_id = [Command.link(head.id)]
            employees = self._employees(members, department)
            if not department.manager_id:
                department.manager_id = employees[:1]
            users[key] = members
        self.records["departments"] = users
        return users

    def _employees(self, users, department):
        Employee = self.env["hr.employee"].with_context(active_test=False)
        existing = Employee.search(
            [("user_id", "in", users.ids), ("company_id", "=", self.company.id)]
        )
        existing.department_id = department
        missing = users - existing.user_id
        created = Employee.create(
            [
                {
                    "name": user.name,
                    "user_id": user.id,
                    "department_id": department.id,
                    "company_id": self.company.id,
                }
                for user in missing
            ]
        )
        return (existing | created).sorted(lambda e: users.ids.index(e.user_id.id))

    def _create_account_teams(self, plan, users):
        """The salesperson on every team; finance for slow payers, logistics for
        customers often delivered late, service for every third customer."""
        Member = self.env["crm.account.team.member"]
        existing = set(
            Member.search([("partner_id", "in", self.records["customers"].ids)]).mapped(
                lambda m: (m.partner_id.id, m.user_id.id)
            )
        )
        roles = {key: self._text(role) for key, _n, _l, _u, role in DEPARTMENTS}
        departments = {
            key: self.env["hr.employee"]
            .search([("user_id", "=", members[:1].id)], limit=1)
            .department_id
            for key, members in users.items()
        }
        values = []
        for index, customer in enumerate(plan.customers):
            partner = self.records["partner_by_key"][customer.key]
            team = [("sales", self.records["salespeople"][customer.salesperson])]
            if customer.payment_habit == "slow":
                team.append(("finance", users["finance"]))
            if customer.late_delivery_rate > 0.2:
                team.append(("logistics", users["logistics"]))
            if index % 3 == 0:
                team.append(("service", users["service"]))
            values += [
                {
                    "partner_id": partner.id,
                    "user_id": user.id,
                    "department_id": departments[key].id,
                    "role": roles[key],
                    "is_primary": True,
                    "company_id": self.company.id,
                }
                for key, user in team
                if (partner.id, user.id) not in existing
            ]
        self.records["account_team"] = Member.create(values)

    def _create_customer_notes(self, users):
        customers = self.records["customers"]
        values = []
        for index, partner in enumerate(customers[: len(NOTES) * 5]):
            key, kind, visibility, text = NOTES[index % len(NOTES)]
            values.append(
                {
                    "partner_id": partner.id,
                    "department_id": users[key][:1].employee_id.department_id.id,
                    "kind": kind,
                    "visibility": visibility,
                    "body": f"<p>{self._text(text)}</p>",
                    "pinned": kind == "risk",
                    "author_id": users[key][:1].id,
                    "company_id": self.company.id,
                }
            )
        self.records["notes"] = self.env["crm.customer.note"].create(values)

    def _create_handoffs(self, users):
        """Hand-offs in every state, each made and handled by the departments' people
        through the same actions as in the web client."""
        customers = self.records["customers"]
        Handoff = self.env["crm.handoff"]
        handoffs = Handoff
        # due dates are relative to today, not to the plan: a past one is refused
        today = fields.Date.context_today(Handoff)
        for index, (source, target, subject, state, outcome) in enumerate(HANDOFFS):
            requester, receiver = users[source][:1], users[target][:1]
            handoff = Handoff.with_user(requester).create(
                {
                    "name": self._text(subject),
                    "partner_id": customers[index * 7 % len(customers)].id,
                    "from_department_id": requester.employee_id.department_id.id,
                    "to_department_id": receiver.employee_id.department_id.id,
                    "date_deadline": today + timedelta(days=3 + index),
                    "company_id": self.company.id,
                }
            )
            handoff = handoff.with_user(receiver)
            if state in ("accepted", "done", "overdue"):
                handoff.action_accept()
            if state == "done":
                handoff.result = f"<p>{self._text(outcome)}</p>"
                handoff.action_done()
            if state == "refused":
                handoff.action_refuse(self._text(outcome))
            handoffs |= handoff
        overdue = handoffs.filtered(lambda h: h.name == self._text(HANDOFFS[3][2]))
        # due dates in the past are refused on entry: this one aged since
        self._sql_update(
            "crm_handoff",
            ["date_deadline"],
            [(overdue.id, today - timedelta(days=4))],
        )
        overdue.invalidate_recordset(["date_deadline"])
        # sudo: demo data, written at install
        self.records["handoffs"] = handoffs.sudo()

    def _create_complaints(self, users):
        """Complaints in every situation: open, past their SLA, resolved and rated;
        each category answered for by a department."""
        for category, key in CATEGORY_DEPARTMENTS:
            record = self.env.ref(
                f"crm_relationship.crm_complaint_category_{category}"
            ).with_company(self.company)
            if not record.department_id:
                record.department_id = users[key][:1].employee_id.department_id
        customers = self.records["customers"]
        Complaint = self.env["crm.complaint"]
        now = fields.Datetime.now()
        complaints = Complaint
        for index, (subject, category, severity, channel, days, outcome) in enumerate(
            COMPLAINTS
        ):
            complaint = Complaint.create(
                {
                    "name": self._text(subject),
                    "partner_id": customers[(index * 5) % len(customers)].id,
                    "category_id": self.env.ref(
                        f"crm_relationship.crm_complaint_category_{category}"
                    ).id,
                    "severity": severity,
                    "channel": channel,
                    "date_received": now - timedelta(days=days),
                    "department_id": users["service"][:1].employee_id.department_id.id,
                    "user_id": users["service"][:1].id,
                }
            )
            if outcome not in ("open", "late"):
                complaint.date_first_response = complaint.date_received + timedelta(
                    hours=1
                )
                complaint.action_close()
                token = complaint._rating_get_access_token()
                complaint.rating_apply(int(outcome), token=token)
            complaints |= complaint
        complaints._record_breaches()
        self.records["complaints"] = complaints
