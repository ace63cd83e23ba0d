from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval


@tagged("post_install", "-at_install")
class TestSecurityGroups(TransactionCase):
    """The three relationship groups form one chain, and the menus follow it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.group_user = cls.env.ref("crm_relationship.group_relationship_user")
        cls.group_head = cls.env.ref("crm_relationship.group_department_head")
        cls.group_manager = cls.env.ref("crm_relationship.group_relationship_manager")

    def test_groups_imply_each_other_in_one_category(self):
        self.assertIn(self.group_user, self.group_head.implied_ids)
        self.assertIn(self.group_head, self.group_manager.implied_ids)
        self.assertEqual(
            (self.group_user | self.group_head | self.group_manager).category_id,
            self.env.ref("crm_relationship.module_category_relationship"),
        )

    def test_manager_gets_the_whole_chain(self):
        manager = new_test_user(
            self.env,
            login="rel_manager",
            groups="crm_relationship.group_relationship_manager",
        )
        self.assertTrue(manager.has_group("crm_relationship.group_department_head"))
        self.assertTrue(manager.has_group("crm_relationship.group_relationship_user"))
        user = new_test_user(
            self.env,
            login="rel_user",
            groups="crm_relationship.group_relationship_user",
        )
        self.assertFalse(user.has_group("crm_relationship.group_department_head"))

    def test_admin_is_relationship_manager(self):
        self.assertTrue(
            self.env.ref("base.user_admin").has_group(
                "crm_relationship.group_relationship_manager"
            )
        )

    def test_relationship_menu_visible_only_to_relationship_users(self):
        menu = self.env.ref("crm_relationship.crm_relationship_menu_root")
        salesman = new_test_user(
            self.env, login="plain_sales", groups="sales_team.group_sale_salesman"
        )
        member = new_test_user(
            self.env,
            login="rel_sales",
            groups="sales_team.group_sale_salesman,crm_relationship.group_relationship_user",
        )
        visible = self.env["ir.ui.menu"].with_user(member)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        hidden = self.env["ir.ui.menu"].with_user(salesman)._visible_menu_ids()
        self.assertNotIn(menu.id, hidden)

    def test_other_departments_reach_the_shared_record_in_crm(self):
        """A logistics or finance employee with only the relationship group opens
        CRM > Relationships, and gets no more sales rights than their own documents."""
        clerk = new_test_user(
            self.env,
            login="rel_logistics",
            groups="base.group_user,crm_relationship.group_relationship_user",
        )
        visible = self.env["ir.ui.menu"].with_user(clerk)._visible_menu_ids()
        for xmlid in ("crm.crm_menu_root", "crm_relationship.crm_handoff_menu"):
            self.assertIn(self.env.ref(xmlid).id, visible, xmlid)
        self.assertFalse(clerk.has_group("sales_team.group_sale_salesman_all_leads"))
        self.assertFalse(clerk.has_group("account.group_account_invoice"))

    def test_customers_action_lists_customer_companies_only(self):
        customer = self.env["res.partner"].create(
            {"name": "Buyer Co", "is_company": True}
        )
        customer._increase_rank("customer_rank")
        vendor = self.env["res.partner"].create(
            {"name": "Vendor Co", "is_company": True}
        )
        contact = self.env["res.partner"].create(
            {"name": "Anna", "parent_id": customer.id}
        )
        contact._increase_rank("customer_rank")
        action = self.env.ref("crm_relationship.res_partner_action_customers")
        found = self.env["res.partner"].search(safe_eval(action.domain))
        self.assertIn(customer, found)
        self.assertNotIn(vendor, found)
        self.assertNotIn(contact, found)
