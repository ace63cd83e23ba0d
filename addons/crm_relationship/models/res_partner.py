from odoo import api, fields, models

from ..tools import scoring
from ..tools.demo_generator import DemoDataGenerator

SCORE_GROUP = "crm_relationship.group_relationship_user"


class ResPartner(models.Model):
    _inherit = "res.partner"

    relationship_score_ids = fields.One2many(
        "crm.relationship.score",
        "partner_id",
        string="Relationship scores (all companies)",
        groups=SCORE_GROUP,
    )
    relationship_score_id = fields.Many2one(
        "crm.relationship.score",
        compute="_compute_relationship_score_id",
        groups=SCORE_GROUP,
        help="The commercial entity's scores in the current company.",
    )
    relationship_tier = fields.Selection(
        [(t, t) for t in scoring.TIERS],
        compute="_compute_relationship_score_id",
        string="Customer tier",
        groups=SCORE_GROUP,
    )
    relationship_health_score = fields.Float(
        compute="_compute_relationship_score_id",
        string="Health score",
        groups=SCORE_GROUP,
    )

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_relationship_score_id(self):
        scores = self.env["crm.relationship.score"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = {score.partner_id.id: score for score in scores}
        for partner in self:
            score = by_partner.get(
                partner.commercial_partner_id.id, self.env["crm.relationship.score"]
            )
            partner.relationship_score_id = score
            partner.relationship_tier = score.tier
            partner.relationship_health_score = score.health_score

    def action_open_relationship_score(self):
        self.ensure_one()
        score = self.relationship_score_id
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.relationship.score",
            "view_mode": "form",
            "res_id": score.id,
        }

    @api.model
    def _crm_relationship_generate_demo(self, customers=200, seed=42):
        """Entry point of the demo data (called from demo XML).

        The generator is shared with the tests and the benchmarks, so that all three
        speak of the same kind of company.
        """
        return DemoDataGenerator(self.env, seed=seed).generate(customers=customers)
