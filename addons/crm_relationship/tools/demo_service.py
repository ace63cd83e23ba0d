"""Service by tier in the demo company: the tier policies applied to the customers,
urgent deliveries of the best customers waiting in the warehouse, and quotations of
customers with overdue invoices on credit hold (one asked of Finance, one released).

Written after the first scoring, from the scores, so one seed still gives one company.
"""

from datetime import timedelta

from odoo import Command, fields

#: reason the demo's finance head gives for releasing a hold
RELEASE_REASON = "Customer paid the oldest invoice by transfer; the rest by month end."


class ServiceDemoMixin:
    """Tier policies at work, for the demo generator."""

    def generate_service(self):
        """Apply the company's tier policies; open urgent deliveries for tier A and B
        customers (one of them late); make quotations for held customers, one with a
        release asked of Finance and one released. Returns the quotations held."""
        company = self.company
        Policy = self.env["crm.tier.policy"]
        policies = Policy.search([("company_id", "=", company.id)])
        policies.action_apply_now()
        Score = self.env["crm.relationship.score"]
        product = self.env["product.product"].search(
            [
                ("is_storable", "=", True),
                ("sale_ok", "=", True),
                *self._company_domain(),
            ],
            order="default_code",
            limit=1,
        )
        best = Score.search(
            [("company_id", "=", company.id), ("tier", "in", ("A", "B"))],
            order="health_score desc, partner_id",
            limit=4,
        )
        urgent = self._demo_quotations(best.partner_id, product)
        urgent.action_confirm()
        late = urgent[:1].picking_ids
        late.scheduled_date = fields.Datetime.now() - timedelta(days=2)
        held_tiers = policies.filtered("credit_hold").mapped("tier")
        owing = Score.search(
            [
                ("company_id", "=", company.id),
                ("tier", "in", held_tiers),
                ("overdue_amount", ">", 0),
            ],
            order="overdue_amount desc, partner_id",
            limit=6,
        )
        quotations = self._demo_quotations(owing.partner_id, product)
        held = quotations.filtered("crm_hold_date")
        if held:
            self._demo_request_release(held[0])
        if len(held) > 1:
            finance = self.records.get("departments", {}).get("finance") or self.env[
                "res.users"
            ].search([("login", "=", "demo.finance")])
            held[1].with_user(finance[:1] or self.env.user).action_crm_release_hold(
                self._text(RELEASE_REASON)
            )
        return held

    def _demo_quotations(self, partners, product):
        return self.env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "user_id": partner.user_id.id,
                    "order_line": [
                        Command.create({"product_id": product.id, "product_uom_qty": 5})
                    ],
                }
                for partner in partners
            ]
        )

    def _demo_request_release(self, order):
        """The salesperson asks Finance, as the order's button does."""
        seller = order.user_id or self.env.user
        action = order.with_user(seller).action_crm_request_release()
        values = {
            key.removeprefix("default_"): value
            for key, value in action["context"].items()
            if key.startswith("default_")
        }
        if not values.get("from_department_id"):
            values["from_department_id"] = (
                self.env["hr.department"]
                .search([("crm_function", "=", "sales")], limit=1)
                .id
            )
        self.env["crm.handoff"].with_user(seller).create(values)
