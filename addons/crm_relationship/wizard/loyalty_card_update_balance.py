from odoo import models


class LoyaltyCardUpdateBalance(models.TransientModel):
    _inherit = "loyalty.card.update.balance"

    def action_update_card_point(self):
        """The points lot or use of the change carries the manager's reason."""
        return super(
            LoyaltyCardUpdateBalance,
            self.with_context(loyalty_ledger_description=self.description),
        ).action_update_card_point()
