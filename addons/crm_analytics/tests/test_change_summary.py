"""What changed (issue 17): the snapshot keeps P(alive) and the "still buying"
points, and the summary says how P(alive) moved."""

from datetime import timedelta

from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.crm_relationship.tests.common import RelationshipScoringCommon


@tagged("post_install", "-at_install")
class TestChangeSummaryAlive(RelationshipScoringCommon):
    def _set_p_alive(self, customer, value, fit):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE crm_relationship_score SET p_alive = %s, clv_fit_id = %s"
                " WHERE partner_id = %s",
                value,
                fit.id,
                customer.id,
            )
        )
        self.env.invalidate_all()

    def test_p_alive_and_still_buying_points(self):
        today = self.company._crm_today()
        first_day = today - timedelta(days=5)
        customer = self.env["res.partner"].create({"name": "Fading Co"})
        self._invoice(customer, today - timedelta(days=10), 400.0)
        # recency (the only customer: R 5, 100) and P(alive), weighted 1 and 1:
        # 50 + 41 = 91 points, then 50 + 32 = 82
        self.env["crm.relationship.scoring.profile"]._get_for_company(
            self.company
        ).write(
            {
                "weight_recency": 1,
                "weight_frequency": 0,
                "weight_monetary": 0,
                "weight_payment": 0,
                "weight_delivery": 0,
                "weight_complaint": 0,
                "weight_satisfaction": 0,
                "weight_alive": 1,
            }
        )
        fit = self.env["crm.clv.fit"].create(
            {"company_id": self.company.id, "calibration_date": today}
        )
        self.Score.recompute(company_ids=self.company.ids, date_ref=first_day)
        self._set_p_alive(customer, 0.82, fit)
        self.Score.recompute(company_ids=self.company.ids, date_ref=first_day)
        self.assertEqual(self._score(customer).change_summary, "First score.")
        self._set_p_alive(customer, 0.64, fit)
        self.Score.recompute(company_ids=self.company.ids, date_ref=today)
        self.assertEqual(
            self._score(customer).change_summary.splitlines(),
            [
                "Health 91.0 → 82.0 (−9.0): Still buying −9.0.",
                "P(alive) 0.82 → 0.64.",
            ],
        )
        history = self.env["crm.relationship.score.history"].search(
            [("partner_id", "=", customer.id)], order="snapshot_date"
        )
        self.assertRecordValues(
            history,
            [
                {"p_alive": 0.82, "alive_contribution": 41.0},
                {"p_alive": 0.64, "alive_contribution": 32.0},
            ],
        )
