from collections import defaultdict

from odoo import api, models
from odoo.tools import float_round

from .crm_relationship_score import CUSTOMER_MOVE_TYPES

LOYALTY_MOVE_TYPES = ("out_invoice", "out_refund")


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._crm_relationship_mark()
        posted._loyalty_grant_invoice_points()
        return posted

    def button_draft(self):
        self._crm_relationship_mark()
        self._loyalty_revert_invoice_points()
        return super().button_draft()

    def button_cancel(self):
        self._crm_relationship_mark()
        self._loyalty_revert_invoice_points()
        return super().button_cancel()

    def _crm_relationship_mark(self):
        customer_docs = self.filtered(lambda m: m.move_type in CUSTOMER_MOVE_TYPES)
        self.env["crm.relationship.score"]._mark_customers(
            (move.commercial_partner_id.id, move.company_id.id)
            for move in customer_docs
        )

    # ------------------------------------------------------------
    # LOYALTY POINTS ON INVOICES
    # ------------------------------------------------------------

    def _loyalty_earned_orders(self, programs):
        """{(sale order id, program id)} of the orders behind these invoices that
        already gave points through a rule of the program: their lines never earn
        invoice points again."""
        orders = self.invoice_line_ids.sale_line_ids.order_id
        if not orders:
            return set()
        earned = {
            (point.order_id.id, point.coupon_id.program_id.id)
            for point in orders.sudo().coupon_point_ids
            if point.points > 0
        }
        history = (
            self.env["loyalty.history"]
            .sudo()
            .search(
                [
                    ("order_model", "=", "sale.order"),
                    ("order_id", "in", orders.ids),
                    ("issued", ">", 0),
                    ("card_id.program_id", "in", programs.ids),
                ]
            )
        )
        earned.update((line.order_id, line.card_id.program_id.id) for line in history)
        return earned

    def _loyalty_eligible_amount(self, program, earned):
        """Signed untaxed amount (company currency) of the lines earning points."""
        self.ensure_one()
        return -sum(
            line.balance
            for line in self.invoice_line_ids
            if line.display_type == "product"
            and not any(
                (order.id, program.id) in earned
                for order in line.sale_line_ids.order_id
            )
        )

    def _loyalty_grant_invoice_points(self):
        """Credit (invoices) or debit (credit notes) the customer's loyalty cards.

        A credit note of a rewarded invoice takes back the same share of the points
        the invoice gave, whatever the customer's tier is today.
        """
        moves = self.filtered(
            lambda m: m.move_type in LOYALTY_MOVE_TYPES and m.state == "posted"
        )
        if not moves:
            return
        # sudo: posting an invoice credits the customer's card, whoever posts it
        History = self.env["loyalty.history"].sudo()
        Card = self.env["loyalty.card"].sudo()
        programs = (
            self.env["loyalty.program"]
            .sudo()
            .search(
                [
                    ("program_type", "=", "loyalty"),
                    ("invoice_points_rate", ">", 0),
                    ("company_id", "in", [*moves.company_id.ids, False]),
                ]
            )
        )
        if not programs:
            return
        done = History.search(
            [("order_model", "=", self._name), ("order_id", "in", moves.ids)]
        )
        moves = moves.filtered(lambda m: m.id not in done.mapped("order_id"))
        originals = moves.reversed_entry_id
        original_grants = defaultdict(float)
        for line in History.search(
            [("order_model", "=", self._name), ("order_id", "in", originals.ids)]
        ):
            original_grants[(line.order_id, line.card_id.program_id.id)] += (
                line.issued - line.used
            )
        earned = (moves | originals)._loyalty_earned_orders(programs)
        partners = moves.commercial_partner_id
        cards = {
            (card.program_id.id, card.partner_id.id): card
            for card in Card.search(
                [
                    ("program_id", "in", programs.ids),
                    ("partner_id", "in", partners.ids),
                ],
                order="id desc",
            )
        }
        grants = []
        for move in moves:
            partner = move.commercial_partner_id
            for program in programs:
                if program.company_id and program.company_id != move.company_id:
                    continue
                amount = move._loyalty_eligible_amount(program, earned)
                if move.currency_id.is_zero(
                    amount
                ) and move.company_currency_id.is_zero(amount):
                    continue
                original = move.reversed_entry_id
                granted = original_grants.get((original.id, program.id))
                if move.move_type == "out_refund" and granted:
                    base = original._loyalty_eligible_amount(program, earned)
                    points = -granted * abs(amount) / abs(base) if base else 0.0
                else:
                    card = cards.get((program.id, partner.id))
                    multiplier = card.tier_id.points_multiplier if card else 1.0
                    points = amount * program.invoice_points_rate * (multiplier or 1.0)
                points = float_round(points, precision_digits=2)
                if points:
                    grants.append((move, program, partner, points))
        missing = {
            (program.id, partner.id)
            for _move, program, partner, _points in grants
            if (program.id, partner.id) not in cards
        }
        if missing:
            new_cards = Card.create(
                [
                    {"program_id": program_id, "partner_id": partner_id, "points": 0}
                    for program_id, partner_id in missing
                ]
            )
            cards.update(
                {(card.program_id.id, card.partner_id.id): card for card in new_cards}
            )
        history_vals = []
        delta = defaultdict(float)
        for move, program, partner, points in grants:
            card = cards[(program.id, partner.id)]
            delta[card] += points
            history_vals.append(
                {
                    "card_id": card.id,
                    "description": (
                        self.env._("Invoice %s", move.name)
                        if move.move_type == "out_invoice"
                        else self.env._("Credit note %s", move.name)
                    ),
                    "issued": max(points, 0.0),
                    "used": max(-points, 0.0),
                    "order_model": self._name,
                    "order_id": move.id,
                }
            )
        History.create(history_vals)
        for card, points in delta.items():
            card.points += points

    def _loyalty_revert_invoice_points(self):
        """Take back what posted invoices gave (or give back what credit notes
        took) when they are reset to draft or cancelled."""
        # sudo: see _loyalty_grant_invoice_points
        lines = (
            self.env["loyalty.history"]
            .sudo()
            .search(
                [
                    ("order_model", "=", self._name),
                    (
                        "order_id",
                        "in",
                        self.filtered(lambda m: m.state == "posted").ids,
                    ),
                ]
            )
        )
        if not lines:
            return
        delta = defaultdict(float)
        for line in lines:
            delta[line.card_id] += line.issued - line.used
        lines.unlink()
        for card, points in delta.items():
            card.points -= points


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    def _crm_relationship_mark(self):
        moves = (self.debit_move_id | self.credit_move_id).move_id
        moves._crm_relationship_mark()

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._crm_relationship_mark()
        return partials

    def unlink(self):
        self._crm_relationship_mark()
        return super().unlink()
