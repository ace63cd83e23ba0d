from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_assign(self, force_qty=False):
        """Reserve urgent moves first when several are reserved at once ("Check
        availability" on a selection of transfers, the procurement of several
        orders), as Odoo's scheduler and its reservation after a receipt already
        do: the stock that is short goes to the starred deliveries, which the tier
        policies give to priority customers. Stable: equal priorities keep their
        order."""
        moves = self
        if len(set(self.mapped("priority"))) > 1:
            moves = self.sorted(lambda move: move.priority != "1")
        return super(StockMove, moves)._action_assign(force_qty=force_qty)
