from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import scoring

#: a row computed longer ago than this is no basis for a change event
STALE_DAYS = 7

EVENT_KINDS = [
    ("tier_change", "Tier change"),
    ("churn_change", "Churn state change"),
    ("health_drop", "Health drop"),
]


class CrmRelationshipEvent(models.Model):
    """A change of a customer's score that a workflow may act on.

    The recompute writes the score rows in SQL, so Automation Rules on them would
    never fire. After a recompute as of today it creates one of these records
    through the ORM for each tier change, churn-state change and health drop
    (``health_drop_points`` of the scoring profile), and Odoo's Automation Rules
    (``base_automation``, trigger "On save") act on them: activities, e-mails,
    hand-offs, server actions.
    """

    _name = "crm.relationship.event"
    _description = "Customer relationship event"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    kind = fields.Selection(EVENT_KINDS, required=True, readonly=True, index=True)
    date = fields.Date(required=True, readonly=True, index=True)
    partner_id = fields.Many2one(
        "res.partner", "Customer", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    user_id = fields.Many2one(
        "res.users", "Salesperson", readonly=True, help="The customer's salesperson."
    )
    old_tier = fields.Selection(scoring.TIER_SELECTION, "Tier before", readonly=True)
    new_tier = fields.Selection(scoring.TIER_SELECTION, "Tier after", readonly=True)
    # plain fields written at creation: a stored computed field would run the
    # Automation Rules again when computed (base_automation patches
    # _compute_field_value), so each rule would fire more than once per event
    direction = fields.Selection(
        [("up", "Up"), ("down", "Down")],
        readonly=True,
        help="Tier change: up when the new tier is better. Churn change: down when "
        "the customer moved towards lost. Health drop: always down.",
    )
    old_churn_state = fields.Selection(
        scoring.CHURN_STATES, "Churn before", readonly=True
    )
    new_churn_state = fields.Selection(
        scoring.CHURN_STATES, "Churn after", readonly=True
    )
    old_health = fields.Float("Health before", readonly=True, digits=(16, 1))
    new_health = fields.Float("Health after", readonly=True, digits=(16, 1))
    health_delta = fields.Float("Health change", readonly=True, digits=(16, 1))

    @api.depends_context("lang")
    @api.depends(
        "kind", "partner_id", "old_tier", "new_tier", "new_churn_state", "health_delta"
    )
    def _compute_name(self):
        _ = self.env._
        churn = dict(scoring.CHURN_STATES)
        for event in self:
            customer = event.partner_id.display_name
            if event.kind == "tier_change":
                event.name = _(
                    "%(customer)s: tier %(old)s to %(new)s",
                    customer=customer,
                    old=event.old_tier,
                    new=event.new_tier,
                )
            elif event.kind == "churn_change":
                event.name = _(
                    "%(customer)s: churn state %(state)s",
                    customer=customer,
                    state=churn.get(event.new_churn_state, ""),
                )
            else:
                # formatted apart: the extraction of translatable terms reads
                # literals only
                delta = f"{event.health_delta:+.1f}"
                event.name = _(
                    "%(customer)s: health %(delta)s points",
                    customer=customer,
                    delta=delta,
                )

    @api.model
    def _create_from_recompute(self, company, date_ref, drop_points):
        """Create the events of a recompute as of today, from the temporary table
        ``crm_score_before`` (the rows before it) and the score rows after it.
        A customer scored for the first time has no event: nothing changed. Nor has
        a row last computed more than ``STALE_DAYS`` days before (back-tested as of
        a past date, or not recomputed for a week): its state is no day-to-day
        change to act on."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT score.partner_id, score.user_id,
                       before.tier, score.tier,
                       before.churn_state, score.churn_state,
                       before.health_score, score.health_score
                  FROM crm_score_before before
                  JOIN crm_relationship_score score
                    ON score.partner_id = before.partner_id
                   AND score.company_id = %s
                 WHERE before.date_ref >= %s
                   AND ((before.tier IS NOT NULL AND score.tier IS NOT NULL
                         AND before.tier != score.tier)
                     OR (before.churn_state IS NOT NULL
                         AND score.churn_state IS NOT NULL
                         AND before.churn_state != score.churn_state)
                     OR score.health_score <= before.health_score - %s)
                """,
                company.id,
                date_ref - timedelta(days=STALE_DAYS),
                drop_points,
            )
        )
        tiers = [tier for tier, _label in scoring.TIER_SELECTION]
        churn = [state for state, _label in scoring.CHURN_STATES]
        vals_list = []
        for (
            partner,
            user,
            tier0,
            tier1,
            churn0,
            churn1,
            health0,
            health1,
        ) in cr.fetchall():
            common = {
                "partner_id": partner,
                "company_id": company.id,
                "user_id": user,
                "date": date_ref,
                "old_tier": tier0,
                "new_tier": tier1,
                "old_churn_state": churn0,
                "new_churn_state": churn1,
                "old_health": health0 or 0.0,
                "new_health": health1 or 0.0,
                "health_delta": (health1 or 0.0) - (health0 or 0.0),
            }
            if tier0 and tier1 and tier0 != tier1:
                better = tiers.index(tier1) < tiers.index(tier0)
                vals_list.append(
                    dict(
                        common, kind="tier_change", direction="up" if better else "down"
                    )
                )
            if churn0 and churn1 and churn0 != churn1:
                worse = churn.index(churn1) > churn.index(churn0)
                vals_list.append(
                    dict(
                        common, kind="churn_change", direction="down" if worse else "up"
                    )
                )
            if (
                health0 is not None
                and health1 is not None
                and health1 <= health0 - drop_points
            ):
                vals_list.append(dict(common, kind="health_drop", direction="down"))
        # through the ORM, in one batch: Automation Rules fire on each record
        return self.create(vals_list)
