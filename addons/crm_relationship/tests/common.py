from contextlib import contextmanager
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

USER = "base.group_user,crm_relationship.group_relationship_user"
HEAD = "base.group_user,crm_relationship.group_department_head"
MANAGER = "base.group_user,crm_relationship.group_relationship_manager"


class PeopleMixin:
    """People of departments: a user with an employee record."""

    @classmethod
    def _person(cls, login, groups, department, company=None):
        company = company or cls.env.company
        user = new_test_user(
            cls.env,
            login=login,
            name=login,
            groups=groups,
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )
        cls.env["hr.employee"].create(
            {
                "name": login,
                "user_id": user.id,
                "department_id": department.id,
                "company_id": company.id,
            }
        )
        return user


class DepartmentCase(PeopleMixin, TransactionCase):
    """People of departments (a user with an employee record), and refusals checked
    in a savepoint."""

    @contextmanager
    def assertRefused(self, exception, regex):
        """``assertRaisesRegex`` inside a savepoint, as Odoo's ``assertRaises`` does:
        a constraint fails after the row is written, and the row must not linger."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), regex)


class RelationshipScoringCommon(AccountTestInvoicingCommon):
    """Customers with hand-made invoices, payments and deliveries.

    Documents are created through the ORM and posted for real; only dates are chosen,
    so that every figure in the tests can be worked out by hand.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        # the accountant of the invoicing tests also runs relationship scoring
        cls.env.user.groups_id += cls.env.ref(
            "crm_relationship.group_relationship_manager"
        )
        cls.Score = cls.env["crm.relationship.score"]
        cls.term_30 = cls.env.ref("account.account_payment_term_30days")
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.goods = cls.env["product.product"].create(
            {"name": "Crate", "type": "consu", "standard_price": 10.0}
        )

    @classmethod
    def _invoice(cls, partner, date, amount, move_type="out_invoice", **values):
        """A posted customer document with one untaxed line, 30-day terms."""
        move = (
            cls.env["account.move"]
            .with_company(values.pop("company", cls.company))
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": date,
                    "invoice_payment_term_id": cls.term_30.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Goods",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [],
                            }
                        )
                    ],
                    **values,
                }
            )
        )
        if values.get("state") != "draft":
            move.action_post()
        return move

    @classmethod
    def _pay(cls, invoice, date, amount=None):
        wizard = (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"payment_date": date, **({"amount": amount} if amount else {})})
        )
        return wizard._create_payments()

    @classmethod
    def _confirmed_delivery(cls, partner, promised, deadline=None):
        """A confirmed delivery of one crate, scheduled on ``promised``."""
        picking_type = cls.warehouse.out_type_id
        picking = cls.env["stock.picking"].create(
            {
                "partner_id": partner.id,
                "picking_type_id": picking_type.id,
                "location_id": picking_type.default_location_src_id.id,
                "location_dest_id": cls.env.ref("stock.stock_location_customers").id,
                "scheduled_date": fields.Datetime.to_datetime(promised),
                "move_ids": [
                    Command.create(
                        {
                            "name": "Crate",
                            "product_id": cls.goods.id,
                            "product_uom_qty": 1,
                            "location_id": picking_type.default_location_src_id.id,
                            "location_dest_id": cls.env.ref(
                                "stock.stock_location_customers"
                            ).id,
                            "date_deadline": deadline
                            and fields.Datetime.to_datetime(deadline),
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        return picking

    @classmethod
    def _deliver(cls, partner, done, promised, deadline=None):
        """A validated delivery of one crate, done on ``done``, due ``promised``."""
        picking = cls._confirmed_delivery(partner, promised, deadline)
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking.button_validate()
        picking.date_done = fields.Datetime.to_datetime(done)
        return picking

    @classmethod
    def _return(cls, picking, done):
        wizard = (
            cls.env["stock.return.picking"]
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({})
        )
        wizard.product_return_moves.quantity = 1
        returned = cls.env["stock.picking"].browse(
            wizard.action_create_returns()["res_id"]
        )
        returned.move_ids.quantity = 1
        returned.move_ids.picked = True
        returned.button_validate()
        returned.date_done = fields.Datetime.to_datetime(done)
        return returned

    def _score(self, partner, company=None):
        return self.Score.search(
            [
                ("partner_id", "=", partner.id),
                ("company_id", "=", (company or self.company).id),
            ]
        )


class SharedRecordCase(DepartmentCase):
    """Shared records (notes, hand-offs, account team, the 360's figures): Sales
    asks, Logistics acts, Finance looks on; one customer, and a second company.

    Logistics has a manager on its department (the head who receives undispatched
    hand-offs); Finance has none, so that routing without a receiver shows too.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Other Co"})
        Department = cls.env["hr.department"]
        cls.sales = Department.create({"name": "Sales"})
        cls.logistics = Department.create({"name": "Logistics"})
        cls.finance = Department.create({"name": "Finance"})
        cls.seller = cls._person("sr_seller", USER, cls.sales)
        cls.seller_2 = cls._person("sr_seller2", USER, cls.sales)
        cls.sales_head = cls._person("sr_saleshead", HEAD, cls.sales)
        cls.planner = cls._person("sr_planner", USER, cls.logistics)
        cls.planner_2 = cls._person("sr_planner2", USER, cls.logistics)
        cls.logistics_head = cls._person("sr_loghead", HEAD, cls.logistics)
        cls.clerk = cls._person("sr_clerk", USER, cls.finance)
        cls.finance_head = cls._person("sr_finhead", HEAD, cls.finance)
        cls.manager = cls._person("sr_manager", MANAGER, cls.sales)
        cls.logistics.manager_id = cls.logistics_head.employee_id
        cls.customer = cls.env["res.partner"].create(
            {"name": "Northwind", "is_company": True}
        )
        cls.deadline = fields.Date.today() + timedelta(days=3)
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")

    @classmethod
    def _handoff(cls, user=None, **values):
        return (
            cls.env["crm.handoff"]
            .with_user(user or cls.seller)
            .create(
                {
                    "name": "Trace the late delivery",
                    "partner_id": cls.customer.id,
                    "to_department_id": cls.logistics.id,
                    "date_deadline": cls.deadline,
                    **values,
                }
            )
        )

    @classmethod
    def _note(cls, user, visibility, text="A fact", **values):
        return (
            cls.env["crm.customer.note"]
            .with_user(user)
            .create(
                {
                    "partner_id": cls.customer.id,
                    "visibility": visibility,
                    "body": f"<p>{text}</p>",
                    **values,
                }
            )
        )

    def _notes_seen_by(self, user):
        return (
            self.env["crm.customer.note"]
            .with_user(user)
            .search([("partner_id", "=", self.customer.id)])
        )

    @classmethod
    def _member(cls, user=None, **values):
        Member = cls.env["crm.account.team.member"]
        if user:
            Member = Member.with_user(user)
        return Member.create({"partner_id": cls.customer.id, **values})

    def _open_todos(self, handoff):
        return handoff.activity_ids.filtered(lambda a: a.activity_type_id == self.todo)


class NextActionCase(PeopleMixin, RelationshipScoringCommon):
    """Next best actions: only the rules each test makes; Finance, Sales and
    Logistics with their heads (Finance and Logistics managed), a clerk, a seller,
    and a customer of the seller."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Action = cls.env["crm.next.action"]
        cls.Rule = cls.env["crm.next.action.rule"]
        cls.Rule.search([]).active = False
        Department = cls.env["hr.department"]
        cls.finance = Department.create({"name": "Finance", "crm_function": "finance"})
        cls.sales = Department.create({"name": "Sales", "crm_function": "sales"})
        cls.logistics = Department.create(
            {"name": "Logistics", "crm_function": "logistics"}
        )
        cls.finance_head = cls._person("nba_finhead", HEAD, cls.finance)
        cls.clerk = cls._person("nba_clerk", USER, cls.finance)
        cls.seller = cls._person("nba_seller", USER, cls.sales)
        cls.logistics_head = cls._person("nba_loghead", HEAD, cls.logistics)
        cls.finance.manager_id = cls.finance_head.employee_id
        cls.logistics.manager_id = cls.logistics_head.employee_id
        cls.customer = cls.env["res.partner"].create(
            {"name": "Overdue Ltd", "is_company": True, "user_id": cls.seller.id}
        )
        cls.today = cls.company._crm_today()

    def _generate(self, companies=None):
        self.Action._cron_generate(companies or self.company)
