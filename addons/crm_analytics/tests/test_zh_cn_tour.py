"""The web client in Simplified Chinese: a salesperson's main screens show the
translators' labels, Chinese dates and Chinese month names."""

from datetime import date, timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

LANG = "zh_CN"
# Odoo's own terms of the screens the tour crosses, and ours
MODULES = (
    "base",
    "web",
    "mail",
    "sales_team",
    "crm",
    "crm_relationship",
    "crm_analytics",
)


@tagged("post_install", "-at_install")
class TestZhCnTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang(LANG)
        cls.env["ir.module.module"]._load_module_terms(list(MODULES), [LANG])
        cls.user = new_test_user(
            cls.env,
            login="tour_zh",
            groups="sales_team.group_sale_salesman_all_leads,"
            "crm_relationship.group_relationship_manager",
        )
        cls.user.lang = LANG
        customer = cls.env["res.partner"].create(
            {"name": "Tour Zh Ltd", "is_company": True}
        )
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": fields.Date.today() - timedelta(days=3),
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Service", "price_unit": 12345, "tax_ids": []}
                    )
                ],
            }
        )
        invoice.action_post()
        cls.env["crm.relationship.score"].recompute(partner_ids=customer.ids)
        kpi = cls.env["crm.kpi"].create(
            {
                "name": "Tour Zh Leads",
                "perspective": "process",
                "measure": "count",
                "model_id": cls.env["ir.model"]._get("crm.lead").id,
                "date_field_id": cls.env["ir.model.fields"]
                ._get("crm.lead", "create_date")
                .id,
                "company_field_id": cls.env["ir.model.fields"]
                ._get("crm.lead", "company_id")
                .id,
            }
        )
        card = cls.env["crm.scorecard"].create(
            {
                "name": "Tour Zh Scorecard",
                "line_ids": [Command.create({"kpi_id": kpi.id, "target": 4})],
            }
        )
        cls.env["crm.kpi.value"].create(
            {
                "line_id": card.line_ids.id,
                "scorecard_id": card.id,
                "kpi_id": kpi.id,
                "company_id": cls.env.company.id,
                "date_from": date(2025, 3, 1),
                "date_to": date(2025, 3, 31),
                "value": 3,
                "value_known": True,
                "target": 4,
            }
        )

    def test_tour_in_chinese(self):
        self.assertEqual(
            self.env.ref("crm_relationship.crm_relationship_menu_root")
            .with_context(lang=LANG)
            .name,
            "客户关系",
            "the zh_CN translations of crm_relationship are not loaded",
        )
        self.start_tour("/web", "crm_analytics_zh_cn_tour", login="tour_zh")
