from odoo import api, models

from .crm_relationship_score import CUSTOMER_MOVE_TYPES


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._crm_relationship_mark()
        return posted

    def button_draft(self):
        self._crm_relationship_mark()
        return super().button_draft()

    def button_cancel(self):
        self._crm_relationship_mark()
        return super().button_cancel()

    def _crm_relationship_mark(self):
        customer_docs = self.filtered(lambda m: m.move_type in CUSTOMER_MOVE_TYPES)
        self.env["crm.relationship.score"]._mark_customers(
            (move.commercial_partner_id.id, move.company_id.id)
            for move in customer_docs
        )


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
