from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL, date_utils, split_every

from ..tools import cron


class LoyaltyCard(models.Model):
    _inherit = "loyalty.card"

    tier_id = fields.Many2one(
        "loyalty.tier",
        readonly=True,
        index="btree_not_null",
        tracking=True,
        ondelete="set null",
    )
    tier_since = fields.Date(readonly=True)
    tier_period_end = fields.Date(
        "Tier kept until",
        readonly=True,
        help="End of the evaluation period: the tier cannot go down before this date "
        "plus the program's grace days.",
    )

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        cards = super().create(vals_list)
        cards.filtered("points")._evaluate_tiers(upgrade_only=True)
        return cards

    def write(self, vals):
        res = super().write(vals)
        if "points" in vals:
            # a member moves up as soon as the points allow it; moving down waits
            # for the end of the evaluation period (daily cron)
            self._evaluate_tiers(upgrade_only=True)
        return res

    # ------------------------------------------------------------
    # TIER EVALUATION
    # ------------------------------------------------------------

    @api.model
    def _loyalty_spend(self, partners, date):
        """Untaxed posted invoiced amount (minus refunds) of the last 12 months.

        :return: {commercial partner id: {company id: amount in company currency}}
        """
        if not partners:
            return {}
        # sudo: an aggregate used to rank customers, read by whoever changed points
        groups = (
            self.env["account.move"]
            .sudo()
            ._read_group(
                [
                    ("move_type", "in", ("out_invoice", "out_refund")),
                    ("state", "=", "posted"),
                    ("commercial_partner_id", "in", partners.ids),
                    ("invoice_date", ">", date - relativedelta(years=1)),
                    ("invoice_date", "<=", date),
                ],
                ["commercial_partner_id", "company_id"],
                ["amount_untaxed_signed:sum"],
            )
        )
        spend = defaultdict(dict)
        for partner, company, amount in groups:
            spend[partner.id][company.id] = amount
        return spend

    def _loyalty_tier_value(self, tier, spend):
        """The value of this card compared with the threshold of ``tier``."""
        self.ensure_one()
        if tier.threshold_type == "points":
            return self.points
        by_company = spend.get(self.partner_id.commercial_partner_id.id, {})
        if self.company_id:
            return by_company.get(self.company_id.id, 0.0)
        return sum(by_company.values())

    def _evaluate_tiers(self, date=None, upgrade_only=False):
        """Move the cards to the tier their points or spend qualify for.

        Upgrades happen at once. A downgrade waits until the evaluation period of
        the current tier has ended plus the program's grace days; a member who still
        qualifies after the period end keeps the tier for a new period.
        """
        date = date or fields.Date.context_today(self)
        cards = self.filtered(
            lambda c: c.active and c.program_id.tier_ids and c.partner_id
        )
        if not cards:
            return self.browse()
        tiers = cards.program_id.tier_ids
        spend = {}
        if "spend" in tiers.mapped("threshold_type"):
            spend = self._loyalty_spend(cards.partner_id.commercial_partner_id, date)

        updates = defaultdict(lambda: self.browse())
        history_vals = []
        for card in cards:
            program = card.program_id
            ranked = program.tier_ids.sorted()
            reached = self.env["loyalty.tier"]
            for tier in ranked:
                if card._loyalty_tier_value(tier, spend) >= tier.threshold:
                    reached = tier
            current = card.tier_id if card.tier_id in ranked else reached.browse()
            new_rank = ranked.ids.index(reached.id) if reached else -1
            current_rank = ranked.ids.index(current.id) if current else -1
            period_end = date_utils.end_of(date, program.tier_period)
            if new_rank == current_rank:
                if (
                    current
                    and not upgrade_only
                    and (not card.tier_period_end or date > card.tier_period_end)
                ):
                    updates[(current.id, card.tier_since, period_end)] |= card
                continue
            if new_rank < current_rank:
                if upgrade_only:
                    continue
                deadline = (
                    card.tier_period_end
                    and card.tier_period_end
                    + relativedelta(days=program.tier_grace_days)
                )
                if deadline and date <= deadline:
                    continue
            updates[(reached.id, reached and date, reached and period_end)] |= card
            history_vals.append(
                {
                    "card_id": card.id,
                    "description": self.env._(
                        "Tier: %(old)s → %(new)s",
                        old=card.tier_id.name or self.env._("none"),
                        new=reached.name or self.env._("none"),
                    ),
                    "issued": 0.0,
                    "used": 0.0,
                }
            )
        for (tier_id, since, period_end), batch in updates.items():
            batch.write(
                {
                    "tier_id": tier_id,
                    "tier_since": since,
                    "tier_period_end": period_end,
                }
            )
        changed = self.browse([vals["card_id"] for vals in history_vals])
        if history_vals:
            # sudo: the history follows from a change the user was allowed to make
            self.env["loyalty.history"].sudo().create(history_vals)
            changed._send_tier_change_mail()
        return changed

    def _send_tier_change_mail(self):
        if self.env.context.get("loyalty_no_mail"):
            return
        template = self.env.ref(
            "crm_relationship.mail_template_loyalty_tier_change",
            raise_if_not_found=False,
        )
        cards = self.filtered("partner_id")
        if template and cards:
            # sudo: the notice goes with the tier change, whoever triggered it
            template.sudo().send_mail_batch(
                cards.ids, email_layout_xmlid="mail.mail_notification_light"
            )

    @api.model
    def _tier_by_partner(self, partners, company):
        """Best tier of each customer's cards in ``company``.

        :return: {commercial partner id: {"pricelist": tier, "discount": tier}} where
            "pricelist" is the highest-ranked tier with a pricelist and "discount" the
            tier with the largest discount.
        """
        commercial = partners.commercial_partner_id
        if not commercial:
            return {}
        # sudo: salespeople without loyalty rights still price their customers
        cards = (
            self.sudo()
            .search(
                [
                    ("partner_id", "in", (partners | commercial).ids),
                    ("tier_id", "!=", False),
                    ("company_id", "in", [company.id, False]),
                ]
            )
            .sorted(lambda c: (c.tier_id.sequence, c.tier_id.threshold, c.tier_id.id))
        )
        result = defaultdict(dict)
        for card in cards:
            tier = card.tier_id
            best = result[card.partner_id.commercial_partner_id.id]
            if tier.pricelist_id:
                best["pricelist"] = tier
            if tier.discount > best.get("discount", tier.browse()).discount:
                best["discount"] = tier
            best.setdefault("tiers", tier.browse())
            best["tiers"] |= tier
        return result

    @api.model
    def _cron_evaluate_tiers(self, batch_size=1000):
        """Daily: all cards of programs with tiers, in committed batches."""
        cards = self.search(
            [("program_id.tier_ids", "!=", False), ("partner_id", "!=", False)]
        )
        done = 0
        for batch_ids in split_every(batch_size, cards.ids):
            self.browse(batch_ids)._evaluate_tiers()
            done += len(batch_ids)
            self._loyalty_commit_progress(done, len(cards) - done)

    def _loyalty_commit_progress(self, done, remaining):
        cron.commit_progress(self.env, done, remaining)

    # ------------------------------------------------------------
    # POINTS EXPIRY
    # ------------------------------------------------------------

    @api.model
    def _cron_expire_points(self, date=None, batch_size=1000):
        """Daily: remove points not used within the program's validity, then empty
        the cards past their expiration date.

        Used points consume the oldest earned points first (FIFO): what was earned
        before the cut-off and is not covered by all the points used since the card
        exists (earlier expiries included) has expired.
        """
        date = date or fields.Date.context_today(self)
        self.env["loyalty.history"].flush_model()
        self.flush_model(["points", "program_id", "active"])
        self.env["loyalty.program"].flush_model(
            ["points_validity_days", "program_type"]
        )
        self.env.cr.execute(
            SQL(
                """
                WITH balance AS (
                    SELECT card.id AS card_id,
                           card.points,
                           COALESCE(SUM(hist.issued) FILTER (
                               WHERE hist.create_date
                                   < %(date)s::date - program.points_validity_days
                           ), 0) AS issued_before_cutoff,
                           COALESCE(SUM(hist.used), 0) AS used
                      FROM loyalty_card card
                      JOIN loyalty_program program ON program.id = card.program_id
                      JOIN loyalty_history hist ON hist.card_id = card.id
                     WHERE program.points_validity_days > 0
                       AND program.program_type = 'loyalty'
                       AND card.active
                       AND card.points > 0
                  GROUP BY card.id
                )
                SELECT card_id,
                       LEAST(points, issued_before_cutoff - used) AS expired
                  FROM balance
                 WHERE issued_before_cutoff > used
              ORDER BY card_id
                """,
                date=date,
            )
        )
        expired = dict(self.env.cr.fetchall())
        outdated = self.search(
            [
                ("expiration_date", "<", date),
                ("points", ">", 0),
                ("program_id.program_type", "=", "loyalty"),
            ]
        )
        total = len(expired) + len(outdated)
        done = 0
        for batch_ids in split_every(batch_size, list(expired)):
            cards = self.browse(batch_ids)
            cards._remove_points(
                {card: expired[card.id] for card in cards},
                self.env._("Points expired"),
            )
            done += len(batch_ids)
            self._loyalty_commit_progress(done, total - done)
        for batch_ids in split_every(batch_size, outdated.ids):
            cards = self.browse(batch_ids)
            cards._remove_points(
                {card: card.points for card in cards}, self.env._("Card expired")
            )
            done += len(batch_ids)
            self._loyalty_commit_progress(done, total - done)

    def _remove_points(self, points_by_card, description):
        """Take points off the cards, with one history line each."""
        self.env["loyalty.history"].create(
            [
                {
                    "card_id": card.id,
                    "description": description,
                    "issued": 0.0,
                    "used": points,
                }
                for card, points in points_by_card.items()
            ]
        )
        by_balance = defaultdict(lambda: self.browse())
        for card, points in points_by_card.items():
            by_balance[card.points - points] |= card
        for balance, cards in by_balance.items():
            cards.with_context(loyalty_no_mail=True).write({"points": balance})
