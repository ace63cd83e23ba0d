"""What an attacker or a careless user sends: another customer's records through
the portal and JSON-RPC, finance figures through the ORM, script in texts, and
oversized inputs. Each is refused with a clear message or stored safely."""

import json
import re

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from .common import USER, RelationshipScoringCommon

SCRIPT = "<script>alert('owned')</script>"


@tagged("post_install", "-at_install")
class TestHostilePortal(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.victim = new_test_user(
            cls.env, login="hostile_victim", groups="base.group_portal"
        )
        cls.attacker = new_test_user(
            cls.env, login="hostile_attacker", groups="base.group_portal"
        )
        cls.complaint = cls.env["crm.complaint"].create(
            {"name": "Victim secret trouble", "partner_id": cls.victim.partner_id.id}
        )
        cls.program = cls.env["loyalty.program"].create(
            {"name": "Hostile Club", "program_type": "loyalty"}
        )
        cls.card = cls.env["loyalty.card"].create(
            {
                "program_id": cls.program.id,
                "partner_id": cls.victim.partner_id.id,
                "points": 4242,
            }
        )
        cls.lots = cls.env["loyalty.points.lot"].search([("card_id", "=", cls.card.id)])
        survey = cls.env["survey.survey"].create({"title": "Hostile survey"})
        cls.answer = cls.env["survey.user_input"].create(
            {"survey_id": survey.id, "partner_id": cls.victim.partner_id.id}
        )

    def _call_kw(self, model, method, args, kwargs=None):
        """The raw JSON-RPC answer of /web/dataset/call_kw, error included."""
        payload = {
            "id": 0,
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": kwargs or {},
            },
        }
        response = self.url_open(
            "/web/dataset/call_kw",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return response.text, response.json()

    def test_other_customers_pages_are_not_shown(self):
        self.authenticate("hostile_attacker", "hostile_attacker")
        for url in (
            f"/my/complaints/{self.complaint.id}",
            f"/my/complaints/{self.complaint.id}?access_token=forged",
            f"/my/loyalty_card/{self.card.id}/history",
        ):
            page = self.url_open(url)
            self.assertIn(page.status_code, (200, 303, 403, 404), url)
            self.assertNotIn("Victim secret trouble", page.text, url)
            self.assertNotIn("4242", page.text, url)
            self.assertNotIn("Hostile Club", page.text, url)
        self.assertNotIn("Victim secret trouble", self.url_open("/my/complaints").text)
        self.assertNotIn("Hostile survey", self.url_open("/my/surveys").text)
        # the victim sees their own (the checks above can fail)
        self.authenticate("hostile_victim", "hostile_victim")
        own = self.url_open(f"/my/complaints/{self.complaint.id}")
        self.assertIn("Victim secret trouble", own.text)

    def test_json_rpc_refuses_other_customers_records(self):
        self.authenticate("hostile_attacker", "hostile_attacker")
        targets = [
            ("crm.complaint", self.complaint.ids, "Victim secret trouble"),
            ("loyalty.card", self.card.ids, "4242"),
            ("survey.user_input", self.answer.ids, "Hostile survey"),
        ]
        if self.lots:
            targets.append(("loyalty.points.lot", self.lots.ids, "4242"))
        for model, ids, secret in targets:
            for method, args, kwargs in (
                ("read", [ids, ["display_name"]], {}),
                ("web_read", [ids], {"specification": {"display_name": {}}}),
            ):
                text, answer = self._call_kw(model, method, args, kwargs)
                self.assertIn("error", answer, f"{model}.{method}")
                self.assertIn(
                    answer["error"]["data"]["name"],
                    ("odoo.exceptions.AccessError", "odoo.exceptions.MissingError"),
                    f"{model}.{method}",
                )
                self.assertNotIn(secret, text, f"{model}.{method}")
            text, answer = self._call_kw(
                model, "search_read", [[("id", "in", ids)], ["display_name"]]
            )
            # either refused or an empty list: never the victim's record
            self.assertFalse(answer.get("result"), f"{model}.search_read")
            self.assertNotIn(secret, text, f"{model}.search_read")

    def test_complaint_with_script_and_huge_subject_through_the_portal(self):
        self.authenticate("hostile_attacker", "hostile_attacker")

        def post(subject, description):
            page = self.url_open("/my/complaints/new")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            return self.url_open(
                "/my/complaints/new",
                data={
                    "csrf_token": token,
                    "subject": subject,
                    "description": description,
                },
            )

        response = post(f"Broken {SCRIPT}", f"Body {SCRIPT}")
        self.assertEqual(response.status_code, 200)
        complaint = self.env["crm.complaint"].search(
            [("partner_id", "=", self.attacker.partner_id.id)]
        )
        self.assertEqual(len(complaint), 1)
        self.assertNotIn("<script", complaint.description)
        self.assertNotIn(SCRIPT, response.text)
        self.assertIn("&lt;script&gt;", response.text)
        # a subject of 100k characters: a clear answer on the form, nothing written
        response = post("x" * 100_000, "long")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("Traceback", response.text)
        self.assertIn(
            "The subject is too long: 100000 characters, at most 200.", response.text
        )
        self.assertEqual(
            self.env["crm.complaint"].search_count(
                [("partner_id", "=", self.attacker.partner_id.id)]
            ),
            1,
        )

    def _post_complaint(self, subject, description):
        page = self.url_open("/my/complaints/new")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return self.url_open(
            "/my/complaints/new",
            data={"csrf_token": token, "subject": subject, "description": description},
        )

    def _mine(self):
        return self.env["crm.complaint"].search(
            [("partner_id", "=", self.attacker.partner_id.id)]
        )

    def test_oversized_portal_input_is_refused_on_the_form(self):
        """Limits in characters, not bytes: a Chinese subject of 200 characters
        (600 bytes) and a description of 10,000 pass, one more is refused on the
        form with the reason, and nothing is written."""
        self.authenticate("hostile_attacker", "hostile_attacker")
        form = self.url_open("/my/complaints/new").text
        # the description's box is on the form (QWeb dropped it while empty)
        self.assertIn('<textarea id="description"', form)
        self.assertIn('maxlength="200"', form)
        self.assertIn('maxlength="10000"', form)
        subject = "投" * 200
        # line breaks count one character, though a browser sends two
        description = "诉" * 9_998 + "\r\n" + "诉"
        for too_long, message in (
            ({"subject": subject + "投"}, "The subject is too long: 201 characters"),
            (
                {"description": description + "诉"},
                "The description is too long: 10001 characters",
            ),
        ):
            values = {"subject": subject, "description": description, **too_long}
            response = self._post_complaint(**values)
            self.assertEqual(response.status_code, 200)
            self.assertIn(message, response.text)
            self.assertNotIn("Traceback", response.text)
            self.assertFalse(self._mine(), message)
        response = self._post_complaint(subject, description)
        complaint = self._mine()
        self.assertEqual(complaint.name, subject)
        self.assertIn(f"/my/complaints/{complaint.id}", response.url)

    def test_oversized_portal_message_is_refused(self):
        """A message of the portal chatter: the same limit, refused with the reason
        (no traceback), nothing posted."""
        complaint = self.env["crm.complaint"].create(
            {"name": "Attacker's own", "partner_id": self.attacker.partner_id.id}
        )
        self.authenticate("hostile_attacker", "hostile_attacker")

        def post(body):
            payload = {
                "id": 0,
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "thread_model": "crm.complaint",
                    "thread_id": complaint.id,
                    "post_data": {"body": body, "message_type": "comment"},
                },
            }
            return self.url_open(
                "/mail/message/post",
                data=json.dumps(payload),
                headers={"Content-Type": "application/json"},
            ).json()

        def comments():
            return complaint.message_ids.filtered(lambda m: m.message_type == "comment")

        answer = post("<p>" + "话" * 10_001 + "</p>")
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.UserError")
        self.assertIn(
            "Your message is too long: 10001 characters, at most 10000.",
            answer["error"]["data"]["message"],
        )
        self.assertNotIn("Traceback", answer["error"]["data"]["message"])
        self.assertFalse(comments())
        answer = post("<p>" + "话" * 10_000 + "</p>")
        self.assertNotIn("error", answer)
        message = comments()
        self.assertEqual(len(message), 1)

        # nor made longer by editing it
        def edit(body):
            payload = {
                "id": 0,
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "message_id": message.id,
                    "body": body,
                    "attachment_ids": [],
                },
            }
            return self.url_open(
                "/mail/message/update_content",
                data=json.dumps(payload),
                headers={"Content-Type": "application/json"},
            ).json()

        answer = edit("<p>" + "话" * 10_001 + "</p>")
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.UserError")
        self.assertIn("too long: 10001", answer["error"]["data"]["message"])
        message.invalidate_recordset()
        self.assertEqual(message.body.count("话"), 10_000)
        self.assertNotIn("error", edit("<p>" + "话" * 9_999 + "</p>"))
        message.invalidate_recordset()
        self.assertEqual(message.body.count("话"), 9_999)


@tagged("post_install", "-at_install")
class TestComplaintLengths(TransactionCase):
    """The model refuses what the portal form refuses, for JSON-RPC writes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env, login="hostile_lengths", groups=USER, name="Lengths"
        )
        cls.partner = cls.env["res.partner"].create({"name": "Long Winded Co"})
        cls.Complaint = cls.env["crm.complaint"].with_user(cls.user)

    def test_subject_and_description_limits(self):
        complaint = self.Complaint.create(
            {
                "name": "投" * 200,
                "partner_id": self.partner.id,
                "description": "<p>" + "诉" * 10_000 + "</p>",
            }
        )
        self.assertEqual(len(complaint.name), 200)
        for values, message in (
            ({"name": "投" * 201}, "subject is too long: 201"),
            (
                {
                    "description": "<p>"
                    + "诉" * 5_000
                    + "</p><p>"
                    + "诉" * 5_001
                    + "</p>"
                },
                "description is too long: 10002",
            ),
        ):
            # assertRaises (not ...Regex) rolls back to a savepoint: nothing stays
            with self.assertRaises(ValidationError) as caught:
                self.Complaint.create(
                    {"name": "Short", "partner_id": self.partner.id, **values}
                )
            self.assertIn(message, str(caught.exception))
            with self.assertRaises(ValidationError) as caught:
                complaint.write(values)
            self.assertIn(message, str(caught.exception))
        self.assertEqual(len(complaint.name), 200)
        self.assertEqual(self.Complaint.search_count([("name", "=", "Short")]), 0)
        # markup is not text: a long formatted description of short text passes
        complaint.description = "<p><b>" + "<i>x</i>" * 5_000 + "</b></p>"

    def test_an_email_with_a_long_subject_is_cut_not_lost(self):
        complaint = self.env["crm.complaint"].message_new(
            {"subject": "邮" * 500, "email_from": "long@example.com", "body": "Hi"}
        )
        self.assertEqual(complaint.name, "邮" * 200)


@tagged("post_install", "-at_install")
class TestHostileOrm(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env, login="hostile_rel_user", groups=USER, name="Hostile user"
        )
        cls.partner = cls.env["res.partner"].create(
            {"name": "Finance Secret Co", "is_company": True, "credit_limit": 98765}
        )
        cls.department = cls.env["hr.department"].create({"name": "Hostile dept"})

    def test_finance_fields_are_refused_without_the_group(self):
        Partner = self.env["res.partner"].with_user(self.user)
        hidden = [
            name
            for name, field in Partner._fields.items()
            if name.startswith("c360_")
            and field.groups
            and not self.user.has_groups(field.groups)
        ]
        self.assertIn("c360_receivable", hidden)
        self.assertIn("c360_credit_limit", hidden)
        for name in hidden:
            with self.assertRaises(AccessError, msg=name):
                Partner.browse(self.partner.id).read([name])
            with self.assertRaises(AccessError, msg=name):
                Partner.search_read([("id", "=", self.partner.id)], [name])
            with self.assertRaises(AccessError, msg=name):
                Partner.browse(self.partner.id).web_read({name: {}})
            # not stored: cannot be grouped, whoever asks; never a figure
            try:
                groups = Partner.read_group(
                    [("id", "=", self.partner.id)], [name], [name]
                )
            except (AccessError, ValueError):
                groups = []
            self.assertFalse(groups, name)
        # a field the user may read still reads, so the refusals are about groups
        self.assertEqual(
            Partner.browse(self.partner.id).read(["name"])[0]["name"],
            "Finance Secret Co",
        )

    def test_fields_hidden_by_groups_for_a_plain_employee(self):
        employee = new_test_user(
            self.env, login="hostile_employee", groups="base.group_user"
        )
        for model, record in (
            ("res.partner", self.partner),
            ("hr.department", self.department),
        ):
            Model = self.env[model].with_user(employee)
            hidden = [
                name
                for name, field in Model._fields.items()
                if field.groups
                and "crm_relationship." in field.groups
                and not employee.has_groups(field.groups)
            ]
            self.assertTrue(hidden, model)
            for name in hidden:
                with self.assertRaises(AccessError, msg=f"{model}.{name}"):
                    Model.browse(record.id).read([name])
                with self.assertRaises(AccessError, msg=f"{model}.{name}"):
                    Model.search_read([("id", "=", record.id)], [name])

    def test_script_in_a_customer_note_is_stripped(self):
        note = self.env["crm.customer.note"].create(
            {
                "partner_id": self.partner.id,
                "department_id": self.department.id,
                "body": f"<p>Hello</p>{SCRIPT}<img src=x onerror=alert(1)>",
            }
        )
        self.assertIn("Hello", note.body)
        self.assertNotIn("<script", note.body)
        self.assertNotIn("onerror", note.body)

    def test_script_in_a_complaint_body_is_stripped(self):
        complaint = (
            self.env["crm.complaint"]
            .with_user(self.user)
            .create(
                {
                    "name": f"Subject {SCRIPT}",
                    "partner_id": self.partner.id,
                    "description": f"<p>Wet</p>{SCRIPT}"
                    "<a href='javascript:alert(1)'>x</a>",
                }
            )
        )
        self.assertIn("Wet", complaint.description)
        self.assertNotIn("<script", complaint.description)
        self.assertNotIn("javascript:", complaint.description)
        # the subject is text: kept as typed, escaped wherever it is shown
        self.assertEqual(complaint.name, f"Subject {SCRIPT}")

    def test_a_one_megabyte_note_is_stored_safely(self):
        body = "<p>" + "a" * 1_000_000 + "</p>"
        note = self.env["crm.customer.note"].create(
            {
                "partner_id": self.partner.id,
                "department_id": self.department.id,
                "body": body,
            }
        )
        self.assertGreaterEqual(len(note.body), 1_000_000)


@tagged("post_install", "-at_install")
class TestHostileSurveyAnswer(RelationshipScoringCommon):
    """A customer writes script as the reason of a low NPS: every text made of it
    (the chatter note, the follow-up activity, the hand-off) shows it as text."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.survey = cls.env.ref("crm_relationship.survey_relationship_nps")
        cls.q_nps = cls.env.ref("crm_relationship.survey_question_nps")
        cls.q_reason = cls.env.ref("crm_relationship.survey_question_nps_reason")
        cls.customer = cls.env["res.partner"].create(
            {"name": "Script Kiddie Co", "is_company": True}
        )

    def _answer(self, partner, score, reason):
        # sudo: as the survey's portal page does with the answer of its token
        answer = self.survey.sudo()._create_answer(
            partner=partner, check_attempts=False
        )
        answer = answer.with_user(self.env.ref("base.public_user")).sudo()
        answer._save_lines(self.q_nps, str(score))
        answer._save_lines(self.q_reason, reason)
        answer._mark_done()
        return answer

    def test_script_in_a_detractor_reason_is_text(self):
        self._answer(self.customer, 1, f"Bad {SCRIPT}")
        bodies = "".join(str(m.body) for m in self.customer.message_ids)
        self.assertIn("Bad", bodies)
        self.assertNotIn("<script", bodies)
        self.assertIn("&lt;script&gt;", bodies)
        # with a salesperson, the follow-up activity's note
        self.customer.user_id = self.env.user
        self._answer(self.customer, 2, f"Worse {SCRIPT}")
        notes = "".join(str(a.note) for a in self.customer.activity_ids)
        self.assertIn("Worse", notes)
        self.assertNotIn("<script", notes)
