from odoo import api, fields, models


class LoyaltyPointsLot(models.Model):
    """One award of points on a loyalty card: the ledger's credit side.

    Every award (a sale order, an invoice, a manual adjustment) is a lot with the date
    of its document, its points and its own expiry. Uses (``loyalty.points.use``)
    take points from the lots, oldest expiry first; a reversal of the award's
    document (credit note, reset to draft, cancellation) takes back exactly what the
    lot gave. ``remaining`` is what the customer can still redeem from this lot;
    the sum of the open lots of a card is the card's redeemable ``points``.

    The ledger follows Odoo 19's per-award loyalty expiry and the traceability ledger
    of Salesforce Loyalty Management: an award keeps its own date and expiry, and each
    use names the awards it consumed.
    """

    _name = "loyalty.points.lot"
    _description = "Loyalty points lot"
    _order = "date, id"
    _rec_name = "description"

    card_id = fields.Many2one(
        "loyalty.card", required=True, ondelete="cascade", index=True, readonly=True
    )
    program_id = fields.Many2one(
        related="card_id.program_id", store=True, index=True, string="Program"
    )
    partner_id = fields.Many2one(related="card_id.partner_id", string="Customer")
    company_id = fields.Many2one(related="card_id.company_id", store=True, index=True)
    description = fields.Char(required=True, readonly=True)
    date = fields.Date(
        required=True,
        readonly=True,
        help="Date of the document that gave the points.",
    )
    expiry_date = fields.Date(
        readonly=True,
        index="btree_not_null",
        help="What remains of the lot expires after this date. Empty: never.",
    )
    points = fields.Float(readonly=True, help="Points awarded.")
    remaining = fields.Float(
        readonly=True,
        help="Points of this lot the customer can still redeem.",
    )
    origin_model = fields.Char(readonly=True)
    origin_id = fields.Many2oneReference(model_field="origin_model", readonly=True)
    use_ids = fields.One2many("loyalty.points.use", "lot_id", readonly=True)
    reversed_points = fields.Float(
        compute="_compute_use_totals",
        help="Points taken back because the document that gave them was credited, "
        "reset or cancelled.",
    )
    redeemed_points = fields.Float(compute="_compute_use_totals")
    expired_points = fields.Float(compute="_compute_use_totals")
    state = fields.Selection(
        [
            ("open", "Open"),
            ("used", "Used"),
            ("expired", "Expired"),
            ("reversed", "Reversed"),
        ],
        compute="_compute_use_totals",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("use_ids.points", "use_ids.kind", "remaining")
    def _compute_use_totals(self):
        totals = {
            (lot.id, kind): points
            for lot, kind, points in self.env["loyalty.points.use"]._read_group(
                [("lot_id", "in", self.ids)], ["lot_id", "kind"], ["points:sum"]
            )
        }
        reversal_totals = dict(
            self.env["loyalty.points.use"]._read_group(
                [("reversed_lot_id", "in", self.ids), ("kind", "=", "reverse")],
                ["reversed_lot_id"],
                ["points:sum"],
            )
        )
        for lot in self:
            lot.reversed_points = reversal_totals.get(lot, 0.0)
            lot.redeemed_points = totals.get((lot.id, "redeem"), 0.0)
            lot.expired_points = totals.get((lot.id, "expire"), 0.0)
            rounding = lot.card_id.currency_id.rounding or 0.01
            if lot.remaining > rounding / 2:
                lot.state = "open"
            elif lot.reversed_points >= lot.points - rounding / 2:
                lot.state = "reversed"
            elif lot.expired_points > rounding / 2:
                lot.state = "expired"
            else:
                lot.state = "used"

    def _get_origin_display(self):
        self.ensure_one()
        if not self.origin_model or not self.origin_id:
            return ""
        # sudo: the name of the document that gave the points, shown with the lot
        return self.env[self.origin_model].browse(self.origin_id).sudo().display_name
