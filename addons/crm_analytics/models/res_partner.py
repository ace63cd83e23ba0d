from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    loyalty_card_ids = fields.One2many(
        "loyalty.card", "partner_id", "Loyalty card records"
    )
    is_loyalty_member = fields.Boolean(
        "Loyalty member",
        compute="_compute_is_loyalty_member",
        search="_search_is_loyalty_member",
        help="Holds an active card of a loyalty program of the current company (or of "
        "a program shared by all), or is the company of someone who does.",
    )

    def _compute_is_loyalty_member(self):
        members = self.search(
            [("id", "in", self.ids), ("is_loyalty_member", "=", True)]
        )
        for partner in self:
            partner.is_loyalty_member = partner in members

    def _search_is_loyalty_member(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        cards = [
            ("program_id.program_type", "=", "loyalty"),
            ("company_id", "in", [*self.env.companies.ids, False]),
        ]
        # Superuser: membership is a fact about the customer, whoever counts it.
        members = self.sudo()._search(
            [
                "|",
                ("loyalty_card_ids", "any", cards),
                ("child_ids.loyalty_card_ids", "any", cards),
            ]
        )
        return [("id", "in" if (operator == "=") == value else "not in", members)]
