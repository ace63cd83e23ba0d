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
        withdrawn = self._loyalty_withdrawn_refunds()
        orders = withdrawn.invoice_line_ids.sale_line_ids.order_id
        self._loyalty_revert_invoice_points()
        res = super().button_draft()
        withdrawn.reversed_entry_id._loyalty_settle_refunds()
        self._loyalty_settle_order_refunds(orders)
        return res

    def button_cancel(self):
        self._crm_relationship_mark()
        withdrawn = self._loyalty_withdrawn_refunds()
        orders = withdrawn.invoice_line_ids.sale_line_ids.order_id
        self._loyalty_revert_invoice_points()
        res = super().button_cancel()
        withdrawn.reversed_entry_id._loyalty_settle_refunds()
        self._loyalty_settle_order_refunds(orders)
        return res

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
            # sudo: which orders already earned points, whoever posts the invoice
            for point in orders.sudo().coupon_point_ids
            if point.points > 0
        }
        history = (
            self.env["loyalty.history"]
            # sudo: the orders' loyalty history, whoever posts the invoice
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

    def _loyalty_eligible_amount(self, program, earned, document_currency=False):
        """Signed untaxed amount of the lines earning points, in company currency
        (or in the document's currency: the share of an invoice a credit note
        credits does not depend on the exchange rates of their dates)."""
        self.ensure_one()
        field = "amount_currency" if document_currency else "balance"
        return -sum(
            line[field]
            for line in self.invoice_line_ids
            if line.display_type == "product"
            and not any(
                (order.id, program.id) in earned
                for order in line.sale_line_ids.order_id
            )
        )

    def _loyalty_grant_invoice_points(self):
        """Award (invoices) or take back (credit notes) the customer's points.

        An invoice gives a lot of points, dated the invoice date, to the customer's
        membership card (see ``loyalty.card._membership_cards``). A credit note of an
        invoice takes back the same share of what that invoice gave, from the lots it
        gave: nothing if it gave nothing, whatever the rate or tier is today. A credit
        note of no invoice takes back its amount at today's rate.
        """
        moves = self.filtered(
            lambda m: m.move_type in LOYALTY_MOVE_TYPES and m.state == "posted"
        )
        if not moves:
            return
        # sudo: posting an invoice credits the customer's card, whoever posts it
        History = self.env["loyalty.history"].sudo()
        Card = self.env["loyalty.card"].sudo()
        Lot = self.env["loyalty.points.lot"].sudo()
        programs = (
            self.env["loyalty.program"]
            .sudo()
            .search(
                [
                    ("program_type", "=", "loyalty"),
                    ("company_id", "in", [*moves.company_id.ids, False]),
                ]
            )
        )
        if not programs:
            return
        done = History.search(
            [("order_model", "=", self._name), ("order_id", "in", moves.ids)]
        )
        processed = set(done.mapped("order_id"))
        moves = moves.filtered(lambda m: m.id not in processed)
        originals = moves.reversed_entry_id
        # credit notes of these invoices (or of the invoices these credit) already
        # counted: the cumulated share of the next one starts from theirs
        related = (moves | originals).reversal_move_ids - moves
        processed.update(
            History.search(
                [("order_model", "=", self._name), ("order_id", "in", related.ids)]
            ).mapped("order_id")
        )
        original_lots = Lot.search(
            [
                ("origin_model", "=", self._name),
                ("origin_id", "in", originals.ids),
                ("program_id", "in", programs.ids),
            ],
            order="id",
        ).grouped(lambda lot: (lot.origin_id, lot.program_id.id))
        earned = (moves | originals)._loyalty_earned_orders(programs)
        cards = Card._membership_cards(moves.commercial_partner_id, programs)
        history_vals = []
        delta = defaultdict(float)
        reposted = []
        posted_before = set(processed)
        for move in moves:
            processed.add(move.id)
            partner = move.commercial_partner_id
            for program in programs:
                if program.company_id and program.company_id != move.company_id:
                    continue
                original = move.reversed_entry_id
                lots = original_lots.get((original.id, program.id))
                if move.move_type == "out_refund" and original:
                    lots = lots and self._loyalty_live_lots(lots)
                    if not lots:
                        continue  # the invoice gave nothing: nothing to take back
                    card = lots[0].card_id
                    points = self._loyalty_refund_share(
                        move, original, program, lots, earned, processed
                    )
                    points = card._ledger_reverse_lots(
                        lots,
                        points,
                        move.invoice_date,
                        self.env._("Credit note %s", move.name),
                        (self._name, move.id),
                    )
                    points = -points
                else:
                    if not program.invoice_points_rate:
                        continue
                    amount = move._loyalty_eligible_amount(program, earned)
                    if move.company_currency_id.is_zero(amount):
                        continue
                    card = cards.get((program.id, partner.id))
                    multiplier = card.tier_id.points_multiplier if card else 1.0
                    points = float_round(
                        amount * program.invoice_points_rate * (multiplier or 1.0),
                        precision_digits=2,
                    )
                    if not points:
                        continue
                    if not card:
                        Card._membership_claim(partner)
                        card = Card.with_context(loyalty_ledger_done=True).create(
                            {
                                "program_id": program.id,
                                "partner_id": partner.id,
                                "points": 0,
                            }
                        )
                        cards[(program.id, partner.id)] = card
                    if points > 0:
                        card._ledger_award(
                            points,
                            move.invoice_date,
                            self.env._("Invoice %s", move.name),
                            (self._name, move.id),
                        )
                        reposted.append((move, program, card))
                    else:
                        # a credit note of no invoice: taken back from the open lots
                        open_lots = card.lot_ids.filtered("remaining").sorted(
                            lambda lot: (
                                not lot.expiry_date,
                                lot.expiry_date or lot.date,
                                lot.date,
                                lot.id,
                            )
                        )
                        taken = card._ledger_reverse_lots(
                            open_lots,
                            -points,
                            move.invoice_date,
                            self.env._("Credit note %s", move.name),
                            (self._name, move.id),
                        )
                        if taken < -points:
                            card._ledger_consume(
                                -points - taken,
                                "reverse",
                                move.invoice_date,
                                self.env._("Credit note %s", move.name),
                                (self._name, move.id),
                            )
                if not points:
                    continue
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
        self._loyalty_reapply_refunds(reposted, earned, posted_before, delta)
        history_vals += moves._loyalty_take_back_order_points(
            programs, earned, processed, delta
        )
        History.create(history_vals)
        Card._ledger_apply(delta)

    def _loyalty_reapply_refunds(self, reposted, earned, posted_before, delta):
        """An invoice posted again after a reset: its credit notes still stand and
        take their share of its new lots again (``delta``: {card: points}, updated).
        """
        # sudo: the ledger follows the posting the user was allowed to make
        Lot = self.env["loyalty.points.lot"].sudo()

        for move, program, card in reposted:
            lots = self._loyalty_live_lots(
                Lot.search(
                    [
                        ("origin_model", "=", self._name),
                        ("origin_id", "=", move.id),
                        ("program_id", "=", program.id),
                    ],
                    order="id",
                )
            )
            refunds = move.reversal_move_ids.filtered(
                lambda r: r.state == "posted" and r.id in posted_before
            ).sorted("id")
            for refund in refunds:
                points = self._loyalty_refund_share(
                    refund, move, program, lots, earned, posted_before
                )
                delta[card] -= card._ledger_reverse_lots(
                    lots,
                    points,
                    refund.invoice_date,
                    self.env._("Credit note %s", refund.name),
                    (self._name, refund.id),
                )

    def _loyalty_take_back_order_points(self, programs, earned, processed, delta):
        """Credit notes of invoiced order lines take back their share of the
        points the order gave through the program's rules (a returned sale keeps
        no points; what a reward cost stays spent): the order's lots times the
        share of its untaxed amount credited so far, less what earlier credit notes
        took.

        :return: history line values; ``delta`` ({card: points}) is updated
        """
        # sudo: the ledger follows the posting the user was allowed to make
        Lot = self.env["loyalty.points.lot"].sudo()
        Use = self.env["loyalty.points.use"].sudo()
        history_vals = []
        refunds = self.filtered(
            lambda m: m.move_type == "out_refund" and m.reversed_entry_id
        )
        for refund in refunds:
            orders = refund.invoice_line_ids.sale_line_ids.order_id
            for program in programs:
                for order in orders.filtered(
                    lambda o, program=program: (o.id, program.id) in earned
                ):
                    lots = self._loyalty_live_lots(
                        Lot.search(
                            [
                                ("origin_model", "=", "sale.order"),
                                ("origin_id", "=", order.id),
                                ("program_id", "=", program.id),
                            ],
                            order="id",
                        )
                    )
                    if not lots or not order.amount_untaxed:
                        continue
                    previous = order.invoice_ids.filtered(
                        lambda m, refund=refund: (
                            m.move_type == "out_refund"
                            and m.state == "posted"
                            and m.id in processed
                            and m != refund
                        )
                    )
                    credited = sum(
                        abs(
                            sum(
                                line.price_subtotal
                                for line in move.invoice_line_ids
                                if order in line.sale_line_ids.order_id
                            )
                        )
                        for move in previous | refund
                    )
                    share = min(1.0, credited / abs(order.amount_untaxed))
                    target = float_round(
                        sum(lots.mapped("points")) * share, precision_digits=2
                    )
                    already = sum(
                        Use.search(
                            [
                                ("reversed_lot_id", "in", lots.ids),
                                ("kind", "=", "reverse"),
                                ("origin_model", "=", self._name),
                                ("origin_id", "in", previous.ids),
                            ]
                        ).mapped("points")
                    )
                    points = float_round(target - already, precision_digits=2)
                    if points <= 0:
                        continue
                    card = lots[0].card_id
                    description = self.env._(
                        "Credit note %(refund)s of order %(order)s",
                        refund=refund.name,
                        order=order.name,
                    )
                    taken = card._ledger_reverse_lots(
                        lots,
                        points,
                        refund.invoice_date,
                        description,
                        (self._name, refund.id),
                    )
                    delta[card] -= taken
                    history_vals.append(
                        {
                            "card_id": card.id,
                            "description": description,
                            "issued": 0.0,
                            "used": taken,
                            "order_model": self._name,
                            "order_id": refund.id,
                        }
                    )
        return history_vals

    @api.model
    def _loyalty_live_lots(self, lots):
        """The lots of the current posting of their invoice: the lots of an earlier
        posting were reversed by the invoice itself when it was reset."""
        # sudo: see _loyalty_grant_invoice_points
        dead = (
            self.env["loyalty.points.use"]
            .sudo()
            .search([("reversed_lot_id", "in", lots.ids), ("kind", "=", "reverse")])
            .filtered(
                lambda u: (
                    u.origin_model == u.reversed_lot_id.origin_model
                    and u.origin_id == u.reversed_lot_id.origin_id
                )
            )
            .reversed_lot_id
        )
        return lots - dead

    @api.model
    def _loyalty_refund_share(self, refund, original, program, lots, earned, processed):
        """Points a credit note takes back: what the invoice gave (``lots``) times
        the share of its eligible amount credited by this and the earlier credit
        notes (document currency), less what those took. Cumulated, the credit
        notes of a whole invoice take back exactly what it gave, whatever the
        rounding of each."""
        base = original._loyalty_eligible_amount(program, earned, True)
        if not base:
            return 0.0
        previous = original.reversal_move_ids.filtered(
            lambda r: r.state == "posted" and r != refund and r.id in processed
        )
        credited = sum(
            abs(move._loyalty_eligible_amount(program, earned, True))
            for move in previous | refund
        )
        target = float_round(
            sum(lots.mapped("points")) * min(1.0, credited / abs(base)),
            precision_digits=2,
        )
        # sudo: see _loyalty_grant_invoice_points
        already = sum(
            self.env["loyalty.points.use"]
            .sudo()
            .search(
                [
                    ("reversed_lot_id", "in", lots.ids),
                    ("kind", "=", "reverse"),
                    ("origin_model", "=", self._name),
                    ("origin_id", "in", previous.ids),
                ]
            )
            .mapped("points")
        )
        return max(0.0, float_round(target - already, precision_digits=2))

    def _loyalty_withdrawn_refunds(self):
        """The posted credit notes of an invoice among these moves."""
        return self.filtered(
            lambda m: (
                m.move_type == "out_refund"
                and m.state == "posted"
                and m.reversed_entry_id
            )
        )

    def _loyalty_settle_refunds(self):
        """After a credit note of these invoices was withdrawn: the credit notes
        still standing take back their cumulated share of what each invoice gave,
        no more, no less (a withdrawn credit note may have left the others short,
        when the invoice was credited more than once in full, or a cent off).
        """
        # sudo: see _loyalty_grant_invoice_points
        Lot = self.env["loyalty.points.lot"].sudo()
        invoices = self.filtered(lambda m: m.state == "posted")
        if not invoices:
            return
        lots_by_key = Lot.search(
            [("origin_model", "=", self._name), ("origin_id", "in", invoices.ids)],
            order="id",
        ).grouped(lambda lot: (lot.origin_id, lot.program_id))
        earned = invoices._loyalty_earned_orders(
            Lot.browse().union(*lots_by_key.values()).program_id
        )
        settlements = []
        for (invoice_id, program), lots in lots_by_key.items():
            invoice = invoices.browse(invoice_id)
            base = invoice._loyalty_eligible_amount(program, earned, True)
            if not base:
                continue
            refunds = invoice.reversal_move_ids
            credited = sum(
                abs(refund._loyalty_eligible_amount(program, earned, True))
                for refund in refunds.filtered(lambda r: r.state == "posted")
            )
            settlements.append((lots, credited / abs(base), refunds, None))
        self._loyalty_settle(settlements)

    @api.model
    def _loyalty_settle_order_refunds(self, orders):
        """After a credit note of invoiced lines of ``orders`` was withdrawn: the
        standing credit notes of each order take back their cumulated share of
        the points the order earned through the program's rules, no more, no
        less (as :meth:`_loyalty_settle_refunds` for invoices)."""
        # sudo: see _loyalty_grant_invoice_points
        Lot = self.env["loyalty.points.lot"].sudo()
        orders = orders.filtered(lambda o: o.state == "sale" and o.amount_untaxed)
        if not orders:
            return
        settlements = []
        for (order_id, _program), lots in (
            Lot.search(
                [("origin_model", "=", "sale.order"), ("origin_id", "in", orders.ids)],
                order="id",
            )
            .grouped(lambda lot: (lot.origin_id, lot.program_id))
            .items()
        ):
            order = orders.browse(order_id)
            refunds = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
            credited = sum(
                abs(
                    sum(
                        line.price_subtotal
                        for line in refund.invoice_line_ids
                        if order in line.sale_line_ids.order_id
                    )
                )
                for refund in refunds.filtered(lambda r: r.state == "posted")
            )
            description = order.name
            settlements.append(
                (lots, credited / abs(order.amount_untaxed), refunds, description)
            )
        self._loyalty_settle(settlements)

    @api.model
    def _loyalty_settle(self, settlements):
        """Bring what credit notes took back from some lots to their share.

        :param settlements: ``(lots, share, refunds, order name)`` tuples: the lots
            one document gave, the share of it its posted credit notes credit, all
            its credit notes (posted or not), and the order's name for the history
            (None for an invoice)
        """
        # sudo: see _loyalty_grant_invoice_points
        Use = self.env["loyalty.points.use"].sudo()
        delta = defaultdict(float)
        history_vals = []
        for lots, share, refunds, order_name in settlements:
            lots = self._loyalty_live_lots(lots)
            standing = refunds.filtered(lambda r: r.state == "posted").sorted(
                lambda r: (r.invoice_date, r.id)
            )
            if not lots or not standing:
                continue
            target = float_round(
                sum(lots.mapped("points")) * min(1.0, share), precision_digits=2
            )
            uses = Use.search(
                [
                    ("reversed_lot_id", "in", lots.ids),
                    ("kind", "=", "reverse"),
                    ("origin_model", "=", self._name),
                    ("origin_id", "in", refunds.ids),
                ],
                order="id desc",
            )
            difference = float_round(
                target - sum(uses.mapped("points")), precision_digits=2
            )
            if not difference:
                continue
            refund = standing[-1]
            card = lots[0].card_id
            description = (
                self.env._(
                    "Credit note %(refund)s of order %(order)s",
                    refund=refund.name,
                    order=order_name,
                )
                if order_name
                else self.env._("Credit note %s", refund.name)
            )
            if difference > 0:
                change = -card._ledger_reverse_lots(
                    lots,
                    difference,
                    refund.invoice_date,
                    description,
                    (self._name, refund.id),
                )
            else:
                change = card._ledger_release(uses, -difference)
            if not change:
                continue
            delta[card] += change
            history_vals.append(
                {
                    "card_id": card.id,
                    "description": description,
                    "issued": max(change, 0.0),
                    "used": max(-change, 0.0),
                    "order_model": self._name,
                    "order_id": refund.id,
                }
            )
        self.env["loyalty.history"].sudo().create(history_vals)
        self.env["loyalty.card"]._ledger_apply(delta)

    def _loyalty_revert_invoice_points(self):
        """Posted invoices reset to draft or cancelled: take back exactly the lots
        they gave, and give back what credit notes took."""
        posted = self.filtered(lambda m: m.state == "posted")
        # sudo: see _loyalty_grant_invoice_points
        History = self.env["loyalty.history"].sudo()
        Card = self.env["loyalty.card"].sudo()
        lines = History.search(
            [("order_model", "=", self._name), ("order_id", "in", posted.ids)]
        )
        if not lines:
            return
        delta = defaultdict(float)
        for move in posted.filtered(lambda m: m.id in lines.mapped("order_id")):
            # its credit notes stand, but what they took from its lots comes back
            # with the lots (and is taken again if it is posted again)
            refunds = move.reversal_move_ids.filtered(lambda r: r.state == "posted")
            if refunds:
                for card, points in Card._ledger_undo_document(
                    self._name,
                    refunds.ids,
                    self.env._("%s reset to draft or cancelled", move.name),
                ).items():
                    delta[card] += points
            for card, points in Card._ledger_undo_document(
                self._name,
                move.ids,
                self.env._("%s reset to draft or cancelled", move.name),
            ).items():
                delta[card] += points
        lines.unlink()
        Card._ledger_apply(delta)
