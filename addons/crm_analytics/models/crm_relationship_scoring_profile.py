from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class CrmRelationshipScoringProfile(models.Model):
    _inherit = "crm.relationship.scoring.profile"

    weight_alive = fields.Float(
        "P(alive) weight",
        default=0.0,
        tracking=True,
        help="0 leaves the health score (and so the tiers) to the other components; "
        "otherwise 100 x P(alive) of the lifetime value model joins them with this "
        "weight.",
    )

    @api.constrains("weight_alive")
    def _check_weight_alive(self):
        if any(profile.weight_alive < 0 for profile in self):
            raise ValidationError(_("The weight of P(alive) cannot be negative."))
