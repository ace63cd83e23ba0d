"""Both addons installed together, as a company runs them."""

from odoo.modules.module import get_manifest
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_both_addons_installed_analytics_on_top(self):
        modules = self.env["ir.module.module"].search(
            [("name", "in", ("crm_relationship", "crm_analytics"))]
        )
        self.assertEqual(set(modules.mapped("state")), {"installed"})
        analytics = modules.filtered(lambda m: m.name == "crm_analytics")
        self.assertEqual(
            sorted(analytics.dependencies_id.mapped("name")),
            ["crm_relationship", "spreadsheet_dashboard"],
        )
        # the database runs the code on disk: each addon is at its manifest's
        # version (an upgrade that did not run, or a migration step skipped, fails)
        self.assertEqual(
            {m.name: m.latest_version for m in modules},
            {m.name: get_manifest(m.name)["version"] for m in modules},
        )

    def test_menus_load_for_each_group(self):
        """The web client's menu tree loads for every group without an access error.

        Revenue analysis reads invoices, so only users who may read invoices see it.
        """
        analytics_menu = self.env.ref("crm_analytics.crm_analytics_menu_root")
        for index, (groups, sees_analytics) in enumerate(
            (
                (
                    "sales_team.group_sale_salesman,crm_relationship.group_relationship_user",
                    False,
                ),
                (
                    "sales_team.group_sale_salesman,crm_relationship.group_department_head",
                    False,
                ),
                (
                    "sales_team.group_sale_manager,crm_relationship.group_relationship_manager",
                    False,
                ),
                (
                    (
                        "sales_team.group_sale_salesman,crm_relationship.group_relationship_user,"
                        "account.group_account_invoice"
                    ),
                    True,
                ),
            )
        ):
            user = new_test_user(self.env, login=f"menu_{index}", groups=groups)
            menus = self.env["ir.ui.menu"].with_user(user).load_menus(debug=False)
            self.assertIn(
                self.env.ref("crm_relationship.crm_relationship_menu_root").id, menus
            )
            self.assertEqual(analytics_menu.id in menus, sees_analytics, groups)
