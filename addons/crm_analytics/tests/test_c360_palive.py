from datetime import date

import numpy as np
from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.crm_relationship.tests.common import RelationshipScoringCommon

from ..tools import clv

NOW_UTC = "2026-06-30 12:00:00"
TODAY = date(2026, 6, 30)
PARAMS = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.4}


@tagged("post_install", "-at_install")
class TestC360PAlive(RelationshipScoringCommon):
    """The P(alive) curve of the 360 comes from the company's purchase model in
    use, through the model's own function."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Fit = cls.env["crm.clv.fit"]
        Partner = cls.env["res.partner"]
        cls.acme = Partner.create({"name": "Acme", "is_company": True})
        cls.buyer = Partner.create({"name": "Acme buyer", "parent_id": cls.acme.id})
        cls.never = Partner.create({"name": "Never bought", "is_company": True})
        # occasions on 5 Jan, 2 Feb (the contact's) and 2 Mar 2026: x = 2,
        # t_x = 8 weeks, T = 176 days
        cls._invoice(cls.acme, date(2026, 1, 5), 100.0)
        cls._invoice(cls.buyer, date(2026, 2, 2), 300.0)
        cls._invoice(cls.acme, date(2026, 3, 2), 500.0)
        cls.company_2 = cls.setup_other_company()["company"]

    def _fit(self, company=None, model="bgnbd", **params):
        fit = self.Fit.create(
            {
                "company_id": (company or self.company).id,
                "calibration_date": date(2026, 5, 31),
                "model": model,
            }
        )
        fit.write({"state": "done", **PARAMS, **params})
        return fit

    def _curves(self, partner=None):
        partner = partner or self.acme
        with freeze_time(NOW_UTC):
            return partner._c360_chart_series()[partner.id]["curves"]

    def test_no_model_no_curve(self):
        self.assertEqual(self._curves(), [])
        # a model of another company is not this company's
        self._fit(company=self.company_2)
        self.assertEqual(self._curves(), [])

    def test_curve_from_the_model_in_use(self):
        self._fit(r=0.5)
        fit = self._fit()  # the latest successful fit is the one in use
        (curve,) = self._curves()
        self.assertEqual(curve["key"], "p_alive")
        marker = curve["marker"]
        # today is 120 days after the last purchase: 4 months of 30 days before it,
        # then 12 months ahead
        self.assertEqual(marker, 4)
        self.assertEqual(len(curve["values"]), 4 + 1 + 12)
        self.assertEqual(curve["labels"][marker], "Jun 26")
        # today's value is the model's P(alive) for (x, t_x, T), as the score's
        expected = clv.bgnbd_p_alive(
            PARAMS, np.array([2.0]), np.array([8.0]), np.array([176 / 7])
        )[0]
        self.assertAlmostEqual(curve["values"][marker], round(100 * expected, 1))
        with freeze_time(NOW_UTC):
            predicted = fit.predict(self.acme, 30, as_of=TODAY)[self.acme.id]["p_alive"]
        self.assertAlmostEqual(curve["values"][marker], round(100 * predicted, 1))
        # from the last purchase on, the chance declines month by month
        self.assertEqual(curve["values"], sorted(curve["values"], reverse=True))
        self.assertLess(curve["values"][-1], curve["values"][marker])
        # the contact's 360 shows its company's curve
        self.assertEqual(self._curves(self.buyer), [curve])

    def test_each_purchase_model(self):
        for model, params in (
            ("mbgnbd", PARAMS),
            ("pareto_nbd", {"r": 0.5, "alpha": 10.0, "s": 0.6, "beta": 12.0}),
        ):
            with self.subTest(model=model):
                self._fit(model=model, **params)
                (curve,) = self._curves()
                function = clv.PURCHASE_MODELS[model].p_alive
                names = clv.PURCHASE_MODELS[model].params
                expected = function(
                    {name: params[name] for name in names},
                    np.array([2.0]),
                    np.array([8.0]),
                    np.array([176 / 7]),
                )[0]
                self.assertAlmostEqual(
                    curve["values"][curve["marker"]], round(100 * expected, 1)
                )

    def test_no_purchase_no_curve(self):
        self._fit()
        self.assertEqual(self._curves(self.never), [])


@tagged("post_install", "-at_install")
class TestC360PAliveTour(HttpCase):
    def test_user_sees_the_p_alive_curve(self):
        new_test_user(
            self.env,
            login="palive_user",
            groups=(
                "sales_team.group_sale_salesman,"
                "crm_relationship.group_relationship_user"
            ),
        )
        company = self.env.company
        today = company._crm_today()
        customer = self.env["res.partner"].create(
            {"name": "Curve Customer Ltd", "is_company": True}
        )
        for days in (200, 120, 40):
            invoice = self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_date": today - relativedelta(days=days),
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Goods", "price_unit": 300.0, "tax_ids": []}
                        )
                    ],
                }
            )
            invoice.action_post()
        fit = self.env["crm.clv.fit"].create(
            {"company_id": company.id, "calibration_date": today, "model": "bgnbd"}
        )
        fit.write({"state": "done", **PARAMS})
        self.start_tour(
            f"/web#id={customer.id}&model=res.partner&view_type=form",
            "crm_analytics_c360_palive_tour",
            login="palive_user",
        )
