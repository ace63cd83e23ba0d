from odoo import api, fields, models
from odoo.tools.sql import SQL, column_exists, create_column, table_exists

from ..tools import dates, scoring

#: deliveries still to make, as Odoo's "Late" filter counts them
OPEN_DELIVERY_STATES = ("confirmed", "waiting", "assigned")


class StockPicking(models.Model):
    _inherit = "stock.picking"

    delivered_on_time = fields.Boolean(
        compute="_compute_delivered_on_time",
        store=True,
        help="Done on or before the day of its deadline (of its scheduled date when "
        "it has none), days counted in the company's time zone. The relationship "
        "score's delivery component and the on-time KPIs read it.",
    )

    crm_tier = fields.Selection(
        scoring.TIER_SELECTION,
        "Customer tier",
        readonly=True,
        index="btree_not_null",
        copy=False,
        help="The customer's relationship tier: kept current while the transfer is "
        "open, then the tier it was served in.",
    )

    def _auto_init(self):
        cr = self.env.cr
        if not column_exists(cr, "stock_picking", "delivered_on_time"):
            create_column(cr, "stock_picking", "delivered_on_time", "boolean")
            self._fill_delivered_on_time()
        tier_missing = not column_exists(cr, "stock_picking", "crm_tier")
        res = super()._auto_init()
        if tier_missing and table_exists(cr, "crm_relationship_score"):
            # every transfer gets its customer's tier in one statement at install,
            # where the ORM would write the transfers one by one
            self._refresh_crm_tier(open_only=False)
        return res

    @api.model
    def _refresh_crm_tier(self, company=None, partner_ids=None, open_only=True):
        """Write on transfers the tier of their customer (of ``company`` and
        ``partner_ids`` when given): open transfers get the customer's tier now;
        done ones keep the tier they were served in, and those served before the
        customer had one (or all, without ``open_only``) get the tier of the
        customer's last score snapshot on or before the day they were done, else
        the tier now. One statement."""
        self.env["crm.relationship.score"].flush_model(["tier"])
        self.env["crm.relationship.score.history"].flush_model(["tier"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.flush_model(["crm_tier", "partner_id", "company_id", "state", "date_done"])
        conditions = [SQL("sp.state != 'cancel'")]
        if open_only:
            conditions.append(SQL("(sp.state != 'done' OR sp.crm_tier IS NULL)"))
        if company:
            conditions.append(SQL("sp.company_id = %s", company.id))
        if partner_ids is not None:
            # through the contacts, so that the index on the transfer's partner
            # serves an incremental recompute
            conditions.append(
                SQL(
                    "sp.partner_id IN (SELECT id FROM res_partner"
                    " WHERE commercial_partner_id = ANY(%s))",
                    list(partner_ids),
                )
            )
        self.env.cr.execute(
            SQL(
                """
                UPDATE stock_picking sp
                   SET crm_tier = t.tier
                  FROM (
                    SELECT sp.id, COALESCE(
                           CASE WHEN sp.state = 'done' THEN (
                               SELECT h.tier FROM crm_relationship_score_history h
                                WHERE h.partner_id = p.commercial_partner_id
                                  AND h.company_id = sp.company_id
                                  AND h.snapshot_date <= sp.date_done::date
                                ORDER BY h.snapshot_date DESC LIMIT 1)
                           END,
                           (SELECT score.tier FROM crm_relationship_score score
                             WHERE score.partner_id = p.commercial_partner_id
                               AND score.company_id = sp.company_id)) AS tier
                      FROM stock_picking sp
                      JOIN res_partner p ON p.id = sp.partner_id
                     WHERE %s
                  ) t
                 WHERE t.id = sp.id AND sp.crm_tier IS DISTINCT FROM t.tier
                """,
                SQL(" AND ").join(conditions),
            )
        )
        self.invalidate_model(["crm_tier"])

    @api.model_create_multi
    def create(self, vals_list):
        pickings = super().create(vals_list)
        pickings._crm_stamp_tier()
        return pickings

    def write(self, vals):
        res = super().write(vals)
        if "partner_id" in vals or "company_id" in vals:
            self._crm_stamp_tier()
        return res

    def _crm_stamp_tier(self):
        pickings = self.filtered(lambda p: p.partner_id and p.company_id)
        if not pickings:
            return
        tiers = self.env["crm.relationship.score"]._tiers_of(
            pickings.partner_id.commercial_partner_id, pickings.company_id
        )
        for tier, group in pickings.grouped(
            lambda p: tiers.get(
                (p.partner_id.commercial_partner_id.id, p.company_id.id)
            )
        ).items():
            group = group.filtered(lambda p, tier=tier: p.crm_tier != tier)
            if group:
                # sudo: the tier is the service's, written whoever moves the goods
                super(StockPicking, group.sudo()).write({"crm_tier": tier})

    @api.model
    def _fill_delivered_on_time(self, companies=None):
        """Fill the column in one statement, as the compute would: pickings are many,
        and the ORM would recompute them one by one at install, or when a company's
        time zone changes (``companies``: only theirs; default all)."""
        # sudo: every company's time zone, whoever installs the module or changes it
        companies = (companies or self.env["res.company"].search([])).sudo()
        if not companies:
            return
        zones = SQL(", ").join(
            SQL("(%s, %s)", company.id, company._crm_tz()) for company in companies
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE stock_picking sp
                   SET delivered_on_time = (
                       sp.state = 'done' AND %(done)s <= %(due)s) IS TRUE
                  FROM (VALUES %(zones)s) AS zone(company_id, name)
                 WHERE zone.company_id = sp.company_id
                """,
                done=dates.local_date_sql(SQL("sp.date_done"), SQL("zone.name")),
                due=dates.local_date_sql(
                    SQL("COALESCE(sp.date_deadline, sp.scheduled_date)"),
                    SQL("zone.name"),
                ),
                zones=zones,
            )
        )
        self.invalidate_model(["delivered_on_time"])

    @api.depends("state", "date_done", "date_deadline", "scheduled_date")
    def _compute_delivered_on_time(self):
        for picking in self:
            tz = picking.company_id._crm_tz() if picking.company_id else "UTC"
            done = dates.local_date(picking.date_done, tz)
            due = dates.local_date(picking.date_deadline or picking.scheduled_date, tz)
            picking.delivered_on_time = bool(
                picking.state == "done" and done and due and done <= due
            )

    @api.model
    def _refresh_delivered_on_time(self, companies):
        """A company's time zone changed: its deliveries are judged again."""
        self.flush_model(["state", "date_done", "date_deadline", "scheduled_date"])
        self._fill_delivered_on_time(companies)

    def _action_done(self):
        res = super()._action_done()
        customer_moves = self.filtered(
            lambda p: (
                p.partner_id
                and (
                    p.picking_type_code == "outgoing"
                    or (p.picking_type_code == "incoming" and p.return_id)
                )
            )
        )
        self.env["crm.relationship.score"]._mark_customers(
            (p.partner_id.commercial_partner_id.id, p.company_id.id)
            for p in customer_moves
        )
        return res
