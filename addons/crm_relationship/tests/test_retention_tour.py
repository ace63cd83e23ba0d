"""A relationship manager works complaints, win-back and loyalty in the web client."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestRetentionTour(HttpCase):
    def test_manager_handles_retention(self):
        new_test_user(
            self.env,
            login="tour_retention",
            groups="crm_relationship.group_relationship_manager",
        )
        self.env["res.partner"].create(
            {"name": "Tour Retention Ltd", "is_company": True}
        )
        lapsed = self.env["res.partner"].create(
            {"name": "Tour Lapsed Ltd", "is_company": True}
        )
        today = fields.Date.today()
        for days in (300, 330, 360):
            invoice = self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": lapsed.id,
                    "invoice_date": today - timedelta(days=days),
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Parts", "price_unit": 400, "tax_ids": []}
                        )
                    ],
                }
            )
            invoice.action_post()
        self.env["crm.relationship.score"].recompute(partner_ids=lapsed.ids)
        self.env["crm.lead"]._cron_open_winbacks()
        program = self.env["loyalty.program"].create(
            {"name": "Tour Club", "program_type": "loyalty"}
        )
        self.env["loyalty.tier"].create(
            {"program_id": program.id, "name": "Tour Gold", "threshold": 1000}
        )
        self.start_tour(
            "/web", "crm_relationship_retention_tour", login="tour_retention"
        )
        complaint = self.env["crm.complaint"].search(
            [("name", "=", "Pallet arrived wet")]
        )
        self.assertEqual(complaint.severity, "high")
        self.assertTrue(complaint.is_closed)
        self.assertTrue(complaint.resolution_deadline)
