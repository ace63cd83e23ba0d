from odoo import fields, models


class LoyaltyPointsUse(models.Model):
    """Points taken from a lot: the ledger's debit side.

    A use is a redemption (a reward on an order, a manual decrease), an expiry, or the
    reversal of an award (``reversed_lot_id`` is then the award taken back). A use
    without ``lot_id`` is uncovered: the card had no points left when it happened (a
    credit note after the points were spent); the next award covers it first.
    """

    _name = "loyalty.points.use"
    _description = "Loyalty points use"
    _order = "date, id"
    _rec_name = "description"

    card_id = fields.Many2one(
        "loyalty.card", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="card_id.company_id", store=True, index=True)
    lot_id = fields.Many2one(
        "loyalty.points.lot",
        string="Lot used",
        ondelete="cascade",
        index="btree_not_null",
        readonly=True,
    )
    reversed_lot_id = fields.Many2one(
        "loyalty.points.lot",
        string="Award reversed",
        ondelete="cascade",
        index="btree_not_null",
        readonly=True,
    )
    kind = fields.Selection(
        [
            ("redeem", "Redemption"),
            ("expire", "Expiry"),
            ("reverse", "Reversal"),
        ],
        required=True,
        readonly=True,
    )
    description = fields.Char(required=True, readonly=True)
    date = fields.Date(required=True, readonly=True)
    points = fields.Float(readonly=True)
    balance_effect = fields.Boolean(
        default=True,
        readonly=True,
        help="Unset on the reversal of points that had already expired: it lowers "
        "the qualifying points but takes nothing from the balance.",
    )
    origin_model = fields.Char(readonly=True)
    origin_id = fields.Many2oneReference(model_field="origin_model", readonly=True)
