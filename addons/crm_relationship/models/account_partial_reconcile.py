from odoo import api, models


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
