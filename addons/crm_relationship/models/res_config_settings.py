from odoo import models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    def action_open_relationship_scoring_profile(self):
        """Open the current company's scoring profile, created with the defaults on
        first use, so that there is always exactly one profile to configure."""
        self.ensure_one()
        profile = self.env["crm.relationship.scoring.profile"]._get_for_company(
            self.env.company
        )
        return {
            "type": "ir.actions.act_window",
            "name": profile.display_name,
            "res_model": "crm.relationship.scoring.profile",
            "view_mode": "form",
            "res_id": profile.id,
            "target": "current",
        }
