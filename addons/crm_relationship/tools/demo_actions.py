"""Next best actions in the demo company, with a past: the rules proposed actions four
months ago, which people accepted, completed, dismissed or let expire, so that the
uplift report compares acted-on and held-back customers over a window that is over;
then today's proposals fill the queues.

Written after the scoring, from the scores and documents, so one seed still gives one
company.
"""

from datetime import timedelta

from odoo.tools import SQL

#: reasons the demo's people give for dismissing an action
DISMISS_REASONS = (
    "Already discussed with the customer last week.",
    "Dispute under review by the account manager.",
    "Not worth a call: small balance, paid by direct debit.",
)


class ActionsDemoMixin:
    """Next best actions with history, for the demo generator."""

    def generate_actions(self, months_ago=4):
        """Propose once as of today, move those proposals ``months_ago`` months back
        and close them as people would have, then propose today's. Returns the
        actions."""
        company = self.company
        Action = self.env["crm.next.action"]
        Action._generate_all(company)
        past = Action.search([("company_id", "=", company.id)])
        today = company._crm_today()
        proposed = today - timedelta(days=30 * months_ago)
        self.env.flush_all()
        # the proposals of the past, in SQL: their dates are not the user's to set
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_next_action
                   SET date_proposed = %(proposed)s,
                       date_expiry = %(proposed)s + 14,
                       state = CASE WHEN is_control THEN 'expired'
                                    WHEN mod(id, 5) IN (0, 1) THEN 'done'
                                    WHEN mod(id, 5) = 2 THEN 'dismissed'
                                    ELSE 'expired' END,
                       date_closed = %(proposed)s + mod(id, 12)
                 WHERE id = ANY(%(ids)s)
                """,
                proposed=proposed,
                ids=past.ids,
            )
        )
        Action.invalidate_model()
        for index, action in enumerate(past.filtered(lambda a: a.state == "dismissed")):
            action.dismiss_reason = self._text(
                DISMISS_REASONS[index % len(DISMISS_REASONS)]
            )
        Action._generate_all(company)
        self.env["crm.next.action.uplift"]._refresh(company)
        return Action.search([("company_id", "=", company.id)])
