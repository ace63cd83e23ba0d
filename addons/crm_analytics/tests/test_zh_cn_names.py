from odoo.tests import tagged

from .common import ScorecardCase


@tagged("post_install", "-at_install")
class TestZhCnNames(ScorecardCase):
    def test_department_scorecard_owner_in_the_language(self):
        """A department scorecard names its owner in the reader's language, as its
        title does, not with Odoo's stored complete name (English)."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.logistics.update_field_translations("name", {"zh_CN": "物流部"})
        card = self.env["crm.scorecard"].create(
            {
                "name": "Logistics",
                "owner_type": "department",
                "department_id": self.logistics.id,
            }
        )
        # the stored complete name is in one language, whichever computed it last
        self.logistics.with_context(lang="en_US")._compute_complete_name()
        self.assertEqual(self.logistics.complete_name, "Logistics (test)")
        self.assertEqual(card.with_context(lang="zh_CN").owner_name, "物流部")
        self.assertEqual(card.with_context(lang="en_US").owner_name, "Logistics (test)")
