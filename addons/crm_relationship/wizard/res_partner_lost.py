from odoo import _, fields, models


class ResPartnerLost(models.TransientModel):
    """Record that a customer is lost, and why.

    The reason is kept where win-back failures keep theirs: on a win-back
    opportunity closed as lost, so that one report counts both.
    """

    _name = "res.partner.lost"
    _description = "Mark a customer as lost"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade")
    lost_reason_id = fields.Many2one("crm.lost.reason", "Reason", required=True)
    note = fields.Html()

    def action_mark_lost(self):
        self.ensure_one()
        # sudo: the win-back record of a lost customer belongs to the customer's
        # salesperson, whom "own documents only" would not let this user assign or
        # find; marking a customer lost is this user's right (the wizard's access)
        Lead = self.env["crm.lead"].sudo()
        partner = self.partner_id.commercial_partner_id
        company = self.env.company
        lead = Lead.search(
            [
                ("partner_id", "=", partner.id),
                ("winback_state", "=", "running"),
                ("company_id", "=", company.id),
            ],
            limit=1,
        )
        if not lead:
            score = partner.relationship_score_id
            lead = Lead.create(
                {
                    "name": _("Lost customer %(customer)s", customer=partner.name),
                    "type": "opportunity",
                    "partner_id": partner.id,
                    "user_id": (
                        Lead._winback_responsible(partner, company) or self.env.user
                    ).id,
                    "company_id": company.id,
                    "is_winback": True,
                    "winback_tier": score.tier,
                    "winback_churn_state": score.churn_state or "lost",
                    "winback_date_start": company._crm_today(),
                }
            )
        lead.action_set_lost(lost_reason_id=self.lost_reason_id.id)
        if self.note:
            # sudo: as the chatter posts what a person writes (mail/controllers/
            # thread.py), so that the author needs no e-mail address; the user
            # has just closed this opportunity
            lead.sudo().message_post(body=self.note)
        partner._message_log(
            body=_(
                "Marked as a lost customer: %(reason)s",
                reason=self.lost_reason_id.name,
            )
        )
        return {"type": "ir.actions.act_window_close"}
