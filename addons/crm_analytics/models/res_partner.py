from dateutil.relativedelta import relativedelta

from odoo import _, fields, models
from odoo.tools.misc import format_date


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

    def _c360_chart_series(self):
        """Adds the P(alive) curve of the company's purchase model in use (the
        latest successful lifetime value fit) to each customer's 360 chart."""
        result = super()._c360_chart_series()
        company = self.env.company
        fit = (
            self.env["crm.clv.fit"]
            # sudo: the model in use is the company's, whoever reads the 360
            .sudo()
            .search(
                [("company_id", "=", company.id), ("state", "=", "done")],
                order="id desc",
                limit=1,
            )
        )
        if not fit:
            return result
        today = company._crm_today()
        curves = fit._p_alive_curves(self.commercial_partner_id.ids, today)
        model = dict(fit._fields["model"]._description_selection(self.env))[fit.model]
        for partner in self:
            curve = curves.get(partner.commercial_partner_id.id)
            if not curve:
                continue
            offsets, alive = curve
            result[partner.id]["curves"].append(
                {
                    "key": "p_alive",
                    "title": _("Probability of being still a customer (P(alive))"),
                    "help": _(
                        "By the %(model)s model fitted on %(date)s, month by month "
                        "from the last purchase, if the customer buys nothing more.",
                        model=model,
                        date=format_date(self.env, fit.calibration_date),
                    ),
                    "label": _("P(alive)"),
                    "labels": [
                        format_date(
                            self.env,
                            today + relativedelta(months=offset),
                            date_format="MMM yy",
                        )
                        for offset in offsets
                    ],
                    "values": [round(100.0 * value, 1) for value in alive],
                    "marker": offsets.index(0),
                    "marker_label": _("Today"),
                }
            )
        return result
