from datetime import timedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.misc import format_amount, format_date, formatLang

from ..tools import control, dates, uplift
from .crm_relationship_score import CUSTOMER_MOVE_TYPES

CONTROL_TABLE = "mailing_mailing_crm_control_partner_rel"

# customers who can receive a mailing: the others are neither recipients nor control
ELIGIBLE_DOMAIN = [("email_normalized", "!=", False), ("is_blacklisted", "=", False)]

# the figures of the Uplift page, all empty until the attribution window has passed
UPLIFT_FIELDS = (
    "crm_treated_count",
    "crm_control_count",
    "crm_treated_revenue",
    "crm_control_revenue",
    "crm_treated_purchase_rate",
    "crm_control_purchase_rate",
    "crm_revenue_uplift",
    "crm_revenue_uplift_low",
    "crm_revenue_uplift_high",
    "crm_purchase_uplift",
    "crm_purchase_uplift_low",
    "crm_purchase_uplift_high",
    "crm_revenue_uplift_summary",
    "crm_purchase_uplift_summary",
)


class MailingMailing(models.Model):
    """Mailings to a segment of customers, with a control group held back.

    The control group is drawn once, when the mailing is made from a segment
    (``_crm_split_segment``), and recorded on the mailing; it never receives the
    mailing, whatever its domain says later. After the attribution window the
    mailing compares what recipients and control bought: intention to treat, so every
    customer the mailing was addressed to counts as a recipient, whether the mail was
    delivered, opened or bounced (see ``tools/uplift.py``).
    """

    _inherit = "mailing.mailing"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------
    crm_segment = fields.Char(
        "Segment",
        help="The customers' segment in words, as it was chosen (e.g. Tier A, churn "
        "at risk).",
    )
    crm_company_id = fields.Many2one(
        "res.company",
        "Segment company",
        readonly=True,
        help="The company whose customers and invoices the uplift reads.",
    )
    crm_currency_id = fields.Many2one(related="crm_company_id.currency_id")
    crm_control_share = fields.Float(
        "Control share (%)",
        digits=(16, 1),
        copy=False,
        help="Share of the eligible customers of the segment held back: they never "
        "receive the mailing, and their purchases are compared with the recipients'.",
    )
    crm_control_partner_ids = fields.Many2many(
        "res.partner",
        CONTROL_TABLE,
        "mailing_id",
        "partner_id",
        "Control group",
        readonly=True,
        copy=False,
        help="Customers held back from this mailing.",
    )
    crm_control_size = fields.Integer("Held back", compute="_compute_crm_control_size")
    crm_segment_count = fields.Integer(
        "Customers of the segment", readonly=True, copy=False
    )
    crm_excluded_count = fields.Integer(
        "Excluded: no e-mail",
        readonly=True,
        copy=False,
        help="Customers of the segment without a valid e-mail address, or "
        "blacklisted: neither recipients nor control.",
    )
    crm_attribution_days = fields.Integer(
        "Attribution window (days)",
        default=30,
        help="Invoices dated from the sending day to this many days after it count "
        "as the mailing's effect.",
    )

    # Uplift, computed at each read once the window has passed
    crm_uplift_state = fields.Selection(
        [("none", "No control group"), ("waiting", "Waiting"), ("done", "Measured")],
        "Uplift state",
        compute="_compute_crm_uplift",
    )
    crm_measured_from = fields.Date("Measured from", compute="_compute_crm_uplift")
    crm_uplift_status = fields.Char("Uplift status", compute="_compute_crm_uplift")
    crm_treated_count = fields.Integer("Recipients", compute="_compute_crm_uplift")
    crm_control_count = fields.Integer("Control", compute="_compute_crm_uplift")
    crm_treated_revenue = fields.Monetary(
        "Revenue per recipient",
        currency_field="crm_currency_id",
        compute="_compute_crm_uplift",
    )
    crm_control_revenue = fields.Monetary(
        "Revenue per control customer",
        currency_field="crm_currency_id",
        compute="_compute_crm_uplift",
    )
    crm_treated_purchase_rate = fields.Float(
        "Purchase rate of recipients", compute="_compute_crm_uplift"
    )
    crm_control_purchase_rate = fields.Float(
        "Purchase rate of control", compute="_compute_crm_uplift"
    )
    crm_revenue_uplift = fields.Monetary(
        "Revenue uplift per customer",
        currency_field="crm_currency_id",
        compute="_compute_crm_uplift",
    )
    crm_revenue_uplift_low = fields.Monetary(
        "Revenue uplift, low",
        currency_field="crm_currency_id",
        compute="_compute_crm_uplift",
    )
    crm_revenue_uplift_high = fields.Monetary(
        "Revenue uplift, high",
        currency_field="crm_currency_id",
        compute="_compute_crm_uplift",
    )
    crm_purchase_uplift = fields.Float(
        "Purchase rate uplift", compute="_compute_crm_uplift"
    )
    crm_purchase_uplift_low = fields.Float(
        "Purchase rate uplift, low", compute="_compute_crm_uplift"
    )
    crm_purchase_uplift_high = fields.Float(
        "Purchase rate uplift, high", compute="_compute_crm_uplift"
    )
    crm_revenue_uplift_summary = fields.Char("Revenue", compute="_compute_crm_uplift")
    crm_purchase_uplift_summary = fields.Char(
        "Purchase rate", compute="_compute_crm_uplift"
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------
    @api.depends("crm_control_partner_ids")
    def _compute_crm_control_size(self):
        for mailing in self:
            mailing.crm_control_size = len(mailing.crm_control_partner_ids)

    @api.depends(
        "sent_date",
        "crm_attribution_days",
        "crm_company_id",
        "crm_control_share",
        "crm_control_partner_ids",
    )
    @api.depends_context("lang", "uid")
    def _compute_crm_uplift(self):
        windows = {}
        for mailing in self:
            mailing.update(dict.fromkeys(UPLIFT_FIELDS, False))
            mailing.crm_measured_from = False
            if not mailing.crm_control_partner_ids and not mailing.crm_control_share:
                mailing.crm_uplift_state = "none"
                mailing.crm_uplift_status = False
                continue
            mailing.crm_uplift_state = "waiting"
            window = mailing._crm_attribution_window()
            if not window:
                mailing.crm_uplift_status = _(
                    "Measured once the mailing is sent and its %(days)s-day "
                    "attribution window has passed.",
                    days=mailing.crm_attribution_days,
                )
                continue
            mailing.crm_measured_from = window[1] + timedelta(days=1)
            if mailing.crm_company_id._crm_today() <= window[1]:
                mailing.crm_uplift_status = _(
                    "Measured from %(date)s, when the attribution window has passed.",
                    date=format_date(self.env, mailing.crm_measured_from),
                )
                continue
            if mailing.crm_company_id not in self.env.user.company_ids:
                # the figures read another company's invoices
                mailing.crm_uplift_status = _(
                    "Measured in %(company)s.", company=mailing.crm_company_id.name
                )
                continue
            windows[mailing.id] = (mailing.crm_company_id.id, *window)
        groups = self._crm_uplift_groups(windows) if windows else {}
        for mailing in self.filtered(lambda m: m.id in windows):
            mailing._crm_set_uplift(groups.get(mailing.id, {}))

    def _crm_attribution_window(self):
        """``(first day, last day)`` of the invoices counted, in the company's time
        zone: the sending day and the ``crm_attribution_days`` days after it; None
        before sending or without a company."""
        self.ensure_one()
        if not self.sent_date or not self.crm_company_id:
            return None
        first = dates.local_date(self.sent_date, self.crm_company_id._crm_tz())
        return first, first + timedelta(days=self.crm_attribution_days)

    def _crm_uplift_groups(self, windows):
        """``{mailing id: {treated (bool): (n, mean revenue, variance, buyers)}}`` for
        ``windows`` ``{mailing id: (company id, first day, last day)}``, in one query.

        Recipients are the customers with a trace of the mailing (any status: sent,
        bounced, blacklisted at sending, opened or not), control the customers held
        back; a customer's revenue is the untaxed amount of their posted customer
        invoices less credit notes of the window, in company currency, zero without
        any; a buyer has a positive revenue.
        """
        self.env.flush_all()
        values = SQL(", ").join(
            SQL("(%s::int, %s::int, %s::date, %s::date)", mailing_id, *window)
            for mailing_id, window in windows.items()
        )
        self.env.cr.execute(
            SQL(
                """
                WITH win (mailing_id, company_id, date_from, date_to) AS (
                    VALUES %(values)s
                ), grp AS (
                    SELECT win.mailing_id, c.partner_id, FALSE AS treated
                      FROM win
                      JOIN %(control)s c ON c.mailing_id = win.mailing_id
                     UNION
                    SELECT win.mailing_id, p.commercial_partner_id, TRUE
                      FROM win
                      JOIN mailing_trace t
                        ON t.mass_mailing_id = win.mailing_id
                       AND t.model = 'res.partner'
                      JOIN res_partner p ON p.id = t.res_id
                     WHERE NOT EXISTS (
                        SELECT 1 FROM %(control)s c
                         WHERE c.mailing_id = win.mailing_id
                           AND c.partner_id = p.commercial_partner_id)
                ), revenue AS (
                    SELECT grp.mailing_id, grp.treated, grp.partner_id,
                           COALESCE(SUM(am.amount_untaxed_signed), 0.0) AS revenue
                      FROM grp
                      JOIN win ON win.mailing_id = grp.mailing_id
                 LEFT JOIN account_move am
                        ON am.commercial_partner_id = grp.partner_id
                       AND am.company_id = win.company_id
                       AND am.state = 'posted'
                       AND am.move_type IN %(move_types)s
                       AND am.invoice_date BETWEEN win.date_from AND win.date_to
                     GROUP BY grp.mailing_id, grp.treated, grp.partner_id
                )
                SELECT mailing_id, treated, COUNT(*), AVG(revenue)::float,
                       VAR_SAMP(revenue)::float, COUNT(*) FILTER (WHERE revenue > 0)
                  FROM revenue
                 GROUP BY mailing_id, treated
                """,
                values=values,
                control=SQL.identifier(CONTROL_TABLE),
                move_types=CUSTOMER_MOVE_TYPES,
            )
        )
        groups = {}
        for mailing_id, treated, n, mean, variance, buyers in self.env.cr.fetchall():
            groups.setdefault(mailing_id, {})[treated] = (n, mean, variance, buyers)
        return groups

    def _crm_set_uplift(self, groups):
        """Write the figures of ``groups`` (see ``_crm_uplift_groups``) on the
        mailing, with the intervals of ``tools/uplift.py``."""
        self.ensure_one()
        empty = (0, 0.0, None, 0)
        n1, mean1, var1, buyers1 = groups.get(True, empty)
        n0, mean0, var0, buyers0 = groups.get(False, empty)
        revenue = uplift.mean_difference((n1, mean1, var1), (n0, mean0, var0))
        purchase = uplift.proportion_difference((buyers1, n1), (buyers0, n0))
        self.update(
            {
                "crm_uplift_state": "done",
                "crm_uplift_status": False,
                "crm_treated_count": n1,
                "crm_control_count": n0,
                "crm_treated_revenue": mean1 if n1 else False,
                "crm_control_revenue": mean0 if n0 else False,
                "crm_treated_purchase_rate": buyers1 / n1 if n1 else False,
                "crm_control_purchase_rate": buyers0 / n0 if n0 else False,
                "crm_revenue_uplift": revenue["difference"] or False,
                "crm_revenue_uplift_low": revenue["low"] or False,
                "crm_revenue_uplift_high": revenue["high"] or False,
                "crm_purchase_uplift": purchase["difference"] or False,
                "crm_purchase_uplift_low": purchase["low"] or False,
                "crm_purchase_uplift_high": purchase["high"] or False,
                "crm_revenue_uplift_summary": self._crm_revenue_sentence(revenue),
                "crm_purchase_uplift_summary": self._crm_purchase_sentence(purchase),
            }
        )

    def _crm_revenue_sentence(self, result):
        if result["low"] is None:
            return _("Too few customers in a group for an interval.")

        def amount(value):
            return format_amount(self.env, value, self.crm_currency_id)

        bounds = {"low": amount(result["low"]), "high": amount(result["high"])}
        if not result["significant"]:
            return _(
                "Not distinguishable from zero (95 %% CI %(low)s to %(high)s).",
                **bounds,
            )
        if result["difference"] > 0:
            return _(
                "Recipients bought %(amount)s more per customer (95 %% CI %(low)s "
                "to %(high)s).",
                amount=amount(result["difference"]),
                **bounds,
            )
        return _(
            "Recipients bought %(amount)s less per customer (95 %% CI %(low)s "
            "to %(high)s).",
            amount=amount(-result["difference"]),
            **bounds,
        )

    def _crm_purchase_sentence(self, result):
        if result["low"] is None:
            return _("Too few customers in a group for an interval.")

        def points(value):
            return formatLang(self.env, value * 100, digits=1)

        bounds = {"low": points(result["low"]), "high": points(result["high"])}
        if not result["significant"]:
            return _(
                "Not distinguishable from zero (95 %% CI %(low)s to %(high)s points).",
                **bounds,
            )
        if result["difference"] > 0:
            return _(
                "The purchase rate of recipients is %(points)s points higher (95 %% "
                "CI %(low)s to %(high)s).",
                points=points(result["difference"]),
                **bounds,
            )
        return _(
            "The purchase rate of recipients is %(points)s points lower (95 %% CI "
            "%(low)s to %(high)s).",
            points=points(-result["difference"]),
            **bounds,
        )

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------
    @api.constrains("crm_control_share")
    def _check_crm_control_share(self):
        for mailing in self:
            if not 0 <= mailing.crm_control_share < 100:
                raise ValidationError(
                    _(
                        "The control share of mailing %(mailing)s must be at least 0 "
                        "%% and less than 100 %%: %(share)s %% was given.",
                        mailing=mailing.subject,
                        share=mailing.crm_control_share,
                    )
                )

    @api.constrains("crm_attribution_days")
    def _check_crm_attribution_days(self):
        for mailing in self:
            if mailing.crm_attribution_days <= 0:
                raise ValidationError(
                    _(
                        "The attribution window of mailing %(mailing)s must last at "
                        "least one day.",
                        mailing=mailing.subject,
                    )
                )

    # ------------------------------------------------------------
    # SENDING: THE CONTROL GROUP NEVER RECEIVES THE MAILING
    # ------------------------------------------------------------
    def _get_recipients_domain(self):
        """Held-back customers and their contacts are out of the recipients, even
        when someone has edited the domain since (also out of Odoo's count)."""
        domain = super()._get_recipients_domain()
        if self.crm_control_partner_ids and self.mailing_model_real == "res.partner":
            domain = expression.AND(
                [
                    domain,
                    [
                        (
                            "commercial_partner_id",
                            "not in",
                            self.crm_control_partner_ids.ids,
                        )
                    ],
                ]
            )
        return domain

    def _action_send_mail(self, res_ids=None):
        """Documents given explicitly are sent too: held-back customers are taken
        out of them."""
        if not res_ids:
            return super()._action_send_mail(res_ids)
        held = self.filtered(
            lambda m: (
                m.crm_control_partner_ids and m.mailing_model_real == "res.partner"
            )
        )
        for mailing in held:
            allowed = (
                self.env["res.partner"]
                .with_context(active_test=False)
                .search(
                    [
                        ("id", "in", res_ids),
                        (
                            "commercial_partner_id",
                            "not in",
                            mailing.crm_control_partner_ids.ids,
                        ),
                    ]
                )
            )
            if not allowed:
                raise UserError(_("There are no recipients selected."))
            super(MailingMailing, mailing)._action_send_mail(allowed.ids)
        if self - held:
            return super(MailingMailing, self - held)._action_send_mail(res_ids)
        return True

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------
    def _crm_split_segment(self, partners):
        """Address the mailing to the customers of ``partners`` and hold a control
        group back, drawn among those who can receive it.

        Customers are commercial partners. Those without a valid e-mail address, or
        blacklisted, could never receive the mailing: they are left out of both
        groups (and counted), so that recipients and control stay comparable. The
        control group is exactly ``round(share * eligible / 100)`` customers, in the
        md5 order of the mailing and the customer (``tools/control.py``): the same
        mailing draws the same group.
        """
        self.ensure_one()
        customers = partners.commercial_partner_id
        eligible = self.env["res.partner"].search(
            [("id", "in", customers.ids), *ELIGIBLE_DOMAIN]
        )
        treated, held = control.split_control(
            eligible.ids, self.crm_control_share, f"mailing.mailing,{self.id}"
        )
        self.write(
            {
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": repr([("id", "in", treated)]),
                "crm_control_partner_ids": [Command.set(held)],
                "crm_segment_count": len(customers),
                "crm_excluded_count": len(customers - eligible),
            }
        )
