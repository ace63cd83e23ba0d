"""Customers file and follow complaints from the portal, over real HTTP."""

import re

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestComplaintPortal(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Portal Customer Ltd", "is_company": True}
        )
        cls.portal = new_test_user(
            cls.env, login="complaint_portal", groups="base.group_portal"
        )
        cls.portal.partner_id.parent_id = cls.customer
        cls.stranger = new_test_user(
            cls.env, login="complaint_stranger", groups="base.group_portal"
        )

    def _post_complaint(self, subject, category=None):
        page = self.url_open("/my/complaints/new")
        self.assertEqual(page.status_code, 200)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return self.url_open(
            "/my/complaints/new",
            data={
                "csrf_token": token,
                "subject": subject,
                "description": "The pallet was wet.\nTwo boxes ruined.",
                "category_id": category.id if category else "",
            },
        )

    def test_customer_files_and_follows_a_complaint(self):
        self.authenticate("complaint_portal", "complaint_portal")
        delivery = self.env.ref("crm_relationship.crm_complaint_category_delivery")
        response = self._post_complaint("Wet pallet", delivery)
        self.assertEqual(response.status_code, 200)
        complaint = self.env["crm.complaint"].search([("name", "=", "Wet pallet")])
        self.assertRecordValues(
            complaint,
            [
                {
                    "partner_id": self.customer.id,
                    "partner_contact_id": self.portal.partner_id.id,
                    "channel": "portal",
                    "category_id": delivery.id,
                }
            ],
        )
        self.assertIn("Two boxes ruined", complaint.description)
        self.assertTrue(complaint.resolution_deadline)
        self.assertIn(f"/my/complaints/{complaint.id}", response.url)
        self.assertIn("Wet pallet", response.text)
        listing = self.url_open("/my/complaints")
        self.assertIn("Wet pallet", listing.text)
        # a complaint made by the company's staff for the customer shows too
        self.env["crm.complaint"].create(
            {"name": "Invoice twice", "partner_id": self.customer.id}
        )
        self.assertIn("Invoice twice", self.url_open("/my/complaints").text)
        # the portal home counts them
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["complaint_count"]}
        )
        self.assertEqual(counters["complaint_count"], 2)
        # the customer talks in the chatter of the complaint
        page = self.url_open(f"/my/complaints/{complaint.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_portal_chatter", page.text)

    def test_subject_is_required(self):
        self.authenticate("complaint_portal", "complaint_portal")
        response = self._post_complaint("  ")
        self.assertIn("Give your complaint a subject", response.text)
        self.assertFalse(
            self.env["crm.complaint"].search(
                [("partner_id", "=", self.portal.partner_id.id)]
            )
        )

    def test_other_customers_see_nothing(self):
        complaint = self.env["crm.complaint"].create(
            {"name": "Secret trouble", "partner_id": self.customer.id}
        )
        self.authenticate("complaint_stranger", "complaint_stranger")
        listing = self.url_open("/my/complaints")
        self.assertNotIn("Secret trouble", listing.text)
        page = self.url_open(f"/my/complaints/{complaint.id}")
        self.assertEqual(page.status_code, 404)
        self.assertNotIn("Secret trouble", page.text)
        missing = self.url_open("/my/complaints/999999999")
        self.assertEqual(missing.status_code, 404)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["complaint_count"]}
        )
        self.assertEqual(counters["complaint_count"], 0)

    def test_visitors_are_sent_to_log_in(self):
        complaint = self.env["crm.complaint"].create(
            {"name": "Secret trouble", "partner_id": self.customer.id}
        )
        page = self.url_open(f"/my/complaints/{complaint.id}")
        self.assertIn("/web/login", page.url)
        self.assertNotIn("Secret trouble", page.text)
        # with the link the customer received, no login is needed
        link = self.url_open(complaint.get_portal_url())
        self.assertEqual(link.status_code, 200)
        self.assertIn("Secret trouble", link.text)
