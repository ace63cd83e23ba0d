from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import SharedRecordCase


@tagged("post_install", "-at_install")
class TestTranslatedLabels(SharedRecordCase):
    """A choice's label inside a translated sentence is translated too: the
    sentence in Chinese does not carry an English word ("风险", not "Risk")."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        # the labels of choices are terms of the database, loaded with the language
        cls.env["ir.module.module"]._load_module_terms(["crm_relationship"], ["zh_CN"])

    def test_note_kind_in_the_chatter_line(self):
        """A note shared with everyone logs a line on the customer (also when an
        import or a job writes it): its kind in the writer's language."""
        self.env["crm.customer.note"].with_user(self.seller).with_context(
            lang="zh_CN"
        ).create(
            {
                "partner_id": self.customer.id,
                "visibility": "everyone",
                "kind": "risk",
                "body": "<p>Late payer</p>",
            }
        )
        bodies = " ".join(
            str(body) for body in self.customer.message_ids.mapped("body")
        )
        self.assertIn("备注（风险）", bodies)

    def test_hand_off_state_in_the_refusal(self):
        handoff = self._handoff()
        handoff.with_user(self.logistics_head).action_accept()
        handoff.with_user(self.logistics_head).action_done()
        with self.assertRaises(UserError) as caught:
            handoff.with_user(self.logistics_head).with_context(
                lang="zh_CN"
            ).action_accept()
        self.assertEqual(str(caught.exception), "无法接受状态为“已完成”的交接。")

    def test_win_back_name_from_the_cron_in_its_user_language(self):
        """ir.cron runs a job as its user with a context holding no language;
        Odoo's own _() then reads the user's language (res.users.context_get),
        self.env._() falls back to English. The daily win-back job names its
        opportunities in the cron user's language."""
        cron = self.env.ref("crm_relationship.ir_cron_open_winbacks")
        cron.user_id.lang = "zh_CN"
        lost = self.env["res.partner"].create({"name": "流失客户", "is_company": True})
        self.env["crm.relationship.score"].create(
            {
                "partner_id": lost.id,
                "company_id": self.company.id,
                "churn_state": "lost",
                "tier": "C",
            }
        )
        cron.method_direct_trigger()
        lead = self.env["crm.lead"].search(
            [("partner_id", "=", lost.id), ("is_winback", "=", True)]
        )
        self.assertEqual(lead.name, "挽回 流失客户")

    def test_department_page_names_the_department_in_the_language(self):
        """The department page's title and list read the department's name in the
        reader's language, not Odoo's stored complete name (English)."""
        self.logistics.parent_id = self.sales
        self.sales.update_field_translations("name", {"zh_CN": "销售部"})
        self.logistics.update_field_translations("name", {"zh_CN": "物流部"})
        # the stored complete name is in one language, whichever computed it last
        self.logistics.with_context(lang="en_US")._compute_complete_name()
        self.assertEqual(
            self.logistics.with_context(lang="zh_CN").display_name, "Sales / Logistics"
        )
        page = (
            self.env["hr.department"]
            .with_user(self.logistics_head)
            .with_context(lang="zh_CN")
            .get_crm_dashboard(self.logistics.id)
        )
        self.assertEqual(page["department"]["name"], "销售部 / 物流部")
        self.assertIn(
            {"id": self.logistics.id, "name": "销售部 / 物流部"}, page["departments"]
        )
