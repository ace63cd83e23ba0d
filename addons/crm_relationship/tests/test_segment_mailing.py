"""Segment mailings on Odoo's mass mailing: control groups held back, and uplift.

Worked values: 100 customers who can receive a mailing, 20 % held back = 20; the
uplift of hand-made revenues in a window cut in Auckland's time zone.
"""

import statistics
from datetime import datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from ..tools import control, uplift
from .common import USER, RelationshipScoringCommon

MARKETER = USER + ",mass_mailing.group_mass_mailing_user"


@tagged("post_install", "-at_install")
class TestSegmentMailing(RelationshipScoringCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # far from UTC: 12:00 UTC on 1 March is 2 March, 01:00 in Auckland
        cls.company.partner_id.tz = "Pacific/Auckland"
        cls.company_b = cls.setup_other_company(name="Other Co")["company"]
        Partner = cls.env["res.partner"]
        cls.customers = Partner.create(
            [
                {"name": f"Customer {i}", "is_company": True, "email": f"c{i}@x.test"}
                for i in range(100)
            ]
        )
        # neither recipients nor control: no address, an invalid one, blacklisted
        cls.unreachable = Partner.create(
            [
                {"name": "No address", "is_company": True},
                {"name": "Bad address", "is_company": True, "email": "not an address"},
                {"name": "Blacklisted", "is_company": True, "email": "bl@x.test"},
            ]
        )
        cls.env["mail.blacklist"].create({"email": "bl@x.test"})
        # a contact of a customer: the segment is its company
        cls.contact = Partner.create(
            {"name": "Buyer", "parent_id": cls.customers[0].id, "email": "b@x.test"}
        )
        # the accountant of the invoicing tests also sends mailings
        cls.env.user.groups_id += cls.env.ref("mass_mailing.group_mass_mailing_user")
        # sudo: score rows are written by the recompute only
        cls.scores = cls.Score.sudo().create(
            [
                {"partner_id": partner.id, "company_id": cls.company.id, "tier": "A"}
                for partner in cls.customers + cls.unreachable
            ]
        )
        cls.scores_b = cls.Score.sudo().create(
            [
                {"partner_id": partner.id, "company_id": cls.company_b.id, "tier": "B"}
                for partner in cls.customers[:5]
            ]
        )
        cls.marketer = new_test_user(
            cls.env,
            login="sm_marketer",
            groups=MARKETER,
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )

    def _wizard(self, user=None, scores=None, **values):
        scores = self.scores if scores is None else scores
        Wizard = (
            self.env["crm.relationship.score.mailing"]
            .with_user(user or self.marketer)
            .with_context(
                active_model="crm.relationship.score",
                active_ids=scores.ids,
                active_domain=[("tier", "=", "A")],
            )
        )
        with Form(Wizard) as form:
            form.subject = "We miss you"
            for name, value in values.items():
                setattr(form, name, value)
        return form.record

    def _mailing(self, wizard):
        action = wizard.action_create_mailing()
        self.assertEqual(action["res_model"], "mailing.mailing")
        return self.env["mailing.mailing"].browse(action["res_id"])

    def _traced(self, mailing):
        traces = self.env["mailing.trace"].search(
            [("mass_mailing_id", "=", mailing.id), ("model", "=", "res.partner")]
        )
        return self.env["res.partner"].browse(traces.mapped("res_id"))

    # ------------------------------------------------------------
    # control group
    # ------------------------------------------------------------
    def test_control_share_holds_back_exactly(self):
        wizard = self._wizard(control_share=20.0)
        self.assertEqual(wizard.segment, "Tier: A")
        self.assertEqual(wizard.company_id, self.company)
        self.assertEqual(
            (
                wizard.customer_count,
                wizard.excluded_count,
                wizard.recipient_count,
                wizard.control_count,
            ),
            (103, 3, 80, 20),
        )
        mailing = self._mailing(wizard)
        held = mailing.crm_control_partner_ids
        self.assertEqual(len(held), 20)
        self.assertLessEqual(held, self.customers)
        self.assertEqual(mailing.crm_control_share, 20.0)
        self.assertEqual(mailing.crm_segment, "Tier: A")
        self.assertEqual(mailing.crm_excluded_count, 3)
        self.assertEqual(mailing.crm_segment_count, 103)
        self.assertEqual(mailing.mailing_model_real, "res.partner")
        self.assertEqual(mailing.crm_uplift_state, "waiting")

        mailing.with_user(self.marketer).action_send_mail()
        traced = self._traced(mailing)
        self.assertEqual(traced, self.customers - held)
        self.assertEqual(len(traced), 80)

    def test_control_never_sent_even_with_an_edited_domain(self):
        mailing = self._mailing(self._wizard(control_share=20.0))
        held = mailing.crm_control_partner_ids
        # someone widens the domain to every customer and a contact of a held one
        contact = self.env["res.partner"].create(
            {"name": "Held contact", "parent_id": held[0].id, "email": "h@x.test"}
        )
        mailing.mailing_domain = repr([("id", "in", (self.customers + contact).ids)])
        self.assertEqual(mailing.total, 80)
        mailing.action_put_in_queue()
        mailing._process_mass_mailing_queue()
        self.assertEqual(mailing.state, "done")
        self.assertEqual(self._traced(mailing), self.customers - held)
        # explicit documents too
        mailing_2 = self._mailing(self._wizard(control_share=20.0))
        held_2 = mailing_2.crm_control_partner_ids
        treated_2 = self.customers - held_2
        mailing_2.action_send_mail(res_ids=(held_2[:3] + treated_2[:1]).ids)
        self.assertEqual(self._traced(mailing_2), treated_2[:1])

    def test_control_group_is_deterministic(self):
        ids = self.customers.ids
        treated, held = control.split_control(ids, 20.0, "seed")
        self.assertEqual(len(held), 20)
        self.assertEqual(sorted(treated + held), sorted(ids))
        self.assertEqual(
            control.split_control(ids[::-1], 20.0, "seed"), (treated, held)
        )
        self.assertNotEqual(control.split_control(ids, 20.0, "other")[1], held)
        # half away from zero: 2.5 % of 100 is 3, 0.4 % of 100 is none
        self.assertEqual(control.control_size(2.5, 100), 3)
        self.assertEqual(control.control_size(0.4, 100), 0)
        # the same mailing draws the same group again
        mailing = self._mailing(self._wizard(control_share=20.0))
        first = mailing.crm_control_partner_ids
        mailing._crm_split_segment(self.customers + self.unreachable)
        self.assertEqual(mailing.crm_control_partner_ids, first)
        self.assertEqual(
            first.ids,
            control.split_control(ids, 20.0, f"mailing.mailing,{mailing.id}")[1],
        )

    def test_no_control_share(self):
        mailing = self._mailing(self._wizard(control_share=0.0))
        self.assertFalse(mailing.crm_control_partner_ids)
        self.assertEqual(mailing.crm_uplift_state, "none")
        self.assertEqual(mailing.total, 100)

    def test_control_share_bounds(self):
        values = {
            "subject": "Bounds",
            "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
        }
        Mailing = self.env["mailing.mailing"]
        for share in (100.0, 120.0, -5.0):
            with self.assertRaisesRegex(ValidationError, "less than 100"):
                Mailing.create({**values, "crm_control_share": share})
        with self.assertRaisesRegex(ValidationError, "at least one day"):
            Mailing.create({**values, "crm_attribution_days": 0})
        with self.assertRaises(ValidationError):
            self._wizard(control_share=100.0)

    def test_contacts_are_their_customer(self):
        mailing = self._mailing(self._wizard(scores=self.scores[:1], control_share=0.0))
        self.assertEqual(
            mailing._parse_mailing_domain(), [("id", "in", self.customers[:1].ids)]
        )

    # ------------------------------------------------------------
    # access and companies
    # ------------------------------------------------------------
    def test_select_all_beyond_the_limit_reads_the_domain(self):
        self.env["ir.config_parameter"].set_param("web.active_ids_limit", 50)
        wizard = self._wizard(scores=self.scores[:50], control_share=20.0)
        self.assertEqual(wizard.customer_count, 103)
        wizard = self._wizard(scores=self.scores[:49], control_share=20.0)
        self.assertEqual(wizard.customer_count, 49)

    def test_views_load_for_a_marketer(self):
        for model, view in (
            ("mailing.mailing", "form"),
            ("crm.relationship.score.mailing", "form"),
            ("crm.relationship.score", "list"),
        ):
            views = self.env[model].with_user(self.marketer).get_views([(False, view)])
            self.assertTrue(views["views"][view]["arch"], model)
        action = self.env.ref("crm_relationship.crm_relationship_score_mailing_action")
        self.assertEqual(action.binding_model_id.model, "crm.relationship.score")

    def test_access(self):
        seller = new_test_user(self.env, login="sm_seller", groups=USER)
        with self.assertRaises(AccessError):
            self._wizard(user=seller)
        mailer = new_test_user(
            self.env,
            login="sm_mailer",
            groups="base.group_user,mass_mailing.group_mass_mailing_user",
        )
        with self.assertRaises(AccessError):
            self._wizard(user=mailer)
        # another company's rows are out of reach: only this company's are used
        wizard = self._wizard(scores=self.scores[:10] + self.scores_b, control_share=0)
        self.assertEqual(wizard.customer_count, 10)
        self.assertEqual(wizard.company_id, self.company)
        with self.assertRaisesRegex(UserError, "one company"):
            self.env["crm.relationship.score.mailing"].with_context(
                active_model="crm.relationship.score",
                active_ids=(self.scores[:10] + self.scores_b).ids,
                allowed_company_ids=(self.company + self.company_b).ids,
            ).default_get(["partner_ids"])

    # ------------------------------------------------------------
    # uplift
    # ------------------------------------------------------------
    def test_uplift_of_constructed_revenues(self):
        segment = self.customers[:10]
        mailing = self._mailing(
            self._wizard(
                scores=self.scores[:10], control_share=20.0, attribution_days=30
            )
        )
        held = mailing.crm_control_partner_ids
        treated = segment - held
        self.assertEqual((len(treated), len(held)), (8, 2))
        mailing.action_send_mail()
        # 12:00 UTC on 1 March is 2 March in Auckland: the window is 2 March to 1 April
        mailing.sent_date = datetime(2026, 3, 1, 12, 0)
        t = treated
        self._invoice(t[0], "2026-03-02", 100.0)
        self._invoice(t[1], "2026-04-01", 300.0)
        self._invoice(t[1], "2026-03-10", 50.0, move_type="out_refund")
        self._invoice(t[2], "2026-03-01", 500.0)  # before the window
        self._invoice(t[3], "2026-04-02", 700.0)  # after it
        self._invoice(t[4], "2026-03-20", 40.0)
        self._invoice(t[5], "2026-03-20", 900.0, company=self.company_b)
        self._invoice(t[6], "2026-03-20", 80.0, state="draft")
        self._invoice(held[0], "2026-03-05", 20.0)
        self._invoice(held[1], "2026-03-05", 60.0)
        self._invoice(held[1], "2026-03-06", 60.0, move_type="out_refund")
        revenues_t = [100.0, 250.0, 0.0, 0.0, 40.0, 0.0, 0.0, 0.0]
        revenues_c = [20.0, 0.0]

        with freeze_time("2026-03-31 12:00"):  # 1 April in Auckland: not yet
            mailing.invalidate_recordset()
            self.assertEqual(mailing.crm_uplift_state, "waiting")
            self.assertEqual(mailing.crm_measured_from.isoformat(), "2026-04-02")
            self.assertIn("Measured from", mailing.crm_uplift_status)
            self.assertFalse(mailing.crm_revenue_uplift)
            self.assertFalse(mailing.crm_treated_count)

        with freeze_time("2026-04-01 12:00"):  # 2 April in Auckland
            mailing.invalidate_recordset()
            self.assertEqual(mailing.crm_uplift_state, "done")
            self.assertEqual(
                (mailing.crm_treated_count, mailing.crm_control_count), (8, 2)
            )
            self.assertAlmostEqual(mailing.crm_treated_revenue, 48.75)
            self.assertAlmostEqual(mailing.crm_control_revenue, 10.0)
            self.assertAlmostEqual(mailing.crm_revenue_uplift, 38.75)
            expected = uplift.mean_difference(
                (8, 48.75, statistics.variance(revenues_t)),
                (2, 10.0, statistics.variance(revenues_c)),
            )
            # monetary fields: to the cent of the company's currency
            cents = self.company.currency_id.round
            self.assertEqual(mailing.crm_revenue_uplift_low, cents(expected["low"]))
            self.assertEqual(mailing.crm_revenue_uplift_high, cents(expected["high"]))
            self.assertAlmostEqual(mailing.crm_treated_purchase_rate, 3 / 8)
            self.assertAlmostEqual(mailing.crm_control_purchase_rate, 1 / 2)
            rate = uplift.proportion_difference((3, 8), (1, 2))
            self.assertAlmostEqual(mailing.crm_purchase_uplift, -0.125)
            self.assertAlmostEqual(mailing.crm_purchase_uplift_low, rate["low"])
            self.assertAlmostEqual(mailing.crm_purchase_uplift_high, rate["high"])
            self.assertIn(
                "Not distinguishable from zero", mailing.crm_revenue_uplift_summary
            )
            self.assertIn(
                "Not distinguishable from zero", mailing.crm_purchase_uplift_summary
            )
            # the other company's user reads no figures of this company's invoices
            other = new_test_user(
                self.env,
                login="sm_other",
                groups=MARKETER,
                company_id=self.company_b.id,
                company_ids=[(6, 0, self.company_b.ids)],
            )
            self.assertFalse(mailing.with_user(other).crm_treated_count)

    def test_uplift_sentence_when_distinguishable(self):
        mailing = self.env["mailing.mailing"].new({"crm_company_id": self.company.id})
        result = uplift.mean_difference((50, 120.0, 100.0), (50, 20.0, 100.0))
        sentence = mailing._crm_revenue_sentence(result)
        self.assertTrue(sentence.startswith("Recipients bought"), sentence)
        self.assertIn("more per customer", sentence)
