"""Churn from P(alive) and the relationship events (issue 16): the churn state the
model gives is applied before the snapshot and the events read the rows, so that a
recompute does not record a churn change that the model undoes a moment later."""

from datetime import timedelta

from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.crm_relationship.tests.common import RelationshipScoringCommon


@tagged("post_install", "-at_install")
class TestModelChurnEvents(RelationshipScoringCommon):
    def test_model_churn_is_the_churn_the_events_and_history_see(self):
        today = self.company._crm_today()
        customer = self.env["res.partner"].create({"name": "Quiet Co"})
        # bought 20 days ago: active by the purchase-interval rule
        self._invoice(customer, today - timedelta(days=20), 400.0)
        self.Score.recompute(company_ids=self.company.ids)
        self.assertEqual(self._score(customer).churn_state, "active")
        # the model says the customer has very likely left
        fit = self.env["crm.clv.fit"].create(
            {"company_id": self.company.id, "calibration_date": today}
        )
        self.company.write(
            {
                "clv_churn_from_model": True,
                "clv_at_risk_below": 0.5,
                "clv_lost_below": 0.2,
            }
        )
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE crm_relationship_score SET p_alive = 0.1, clv_fit_id = %s,"
                " churn_state = 'lost' WHERE partner_id = %s",
                fit.id,
                customer.id,
            )
        )
        self.env.invalidate_all()
        self.Score.recompute(company_ids=self.company.ids)
        self.assertEqual(self._score(customer).churn_state, "lost")
        # lost before, lost after: no churn change recorded on the way
        events = self.env["crm.relationship.event"].search(
            [("partner_id", "=", customer.id), ("kind", "=", "churn_change")]
        )
        self.assertFalse(events)
        # P(alive) rises to 0.3: one event, from lost to at risk
        self.env.cr.execute(
            SQL(
                "UPDATE crm_relationship_score SET p_alive = 0.3 WHERE partner_id = %s",
                customer.id,
            )
        )
        self.Score.recompute(company_ids=self.company.ids)
        events = self.env["crm.relationship.event"].search(
            [("partner_id", "=", customer.id), ("kind", "=", "churn_change")]
        )
        self.assertEqual(len(events), 1)
        self.assertEqual(
            (events.old_churn_state, events.new_churn_state), ("lost", "at_risk")
        )
