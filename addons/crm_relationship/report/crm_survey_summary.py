import ast

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.misc import format_date

from ..tools import dates, nps, scoring

GROUP_BYS = [
    ("customer_tier", "Customer tier"),
    ("user_id", "Salesperson"),
    ("department_id", "Department"),
    ("date_sent:month", "Month sent"),
]
COUNTS = ["__count", "answered:sum", "promoters:sum", "passives:sum", "detractors:sum"]
MEANS = ["csat:avg", "ces:avg"]


class CrmSurveySummary(models.TransientModel):
    """NPS, CSAT, CES and response rate of the surveys sent in a period, per tier,
    salesperson, department or month, each NPS with its 95 % margin of error, and
    the NPS weighted by tier (post-stratified, ``tools.nps.weighted_nps``) so that a
    tier that rarely answers is not drowned by one that answers often.

    Read set-based from ``crm.survey.report`` (one ``_read_group`` per figure set);
    the period is cut in the user's time zone, on the date the survey was sent, so
    that the answers and the response rate speak of the same surveys.
    """

    _name = "crm.survey.summary"
    _description = "Voice of the customer summary"

    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    kind = fields.Selection(
        [("nps", "Relationship NPS"), ("complaint", "After a complaint")],
        "Surveys",
        required=True,
        default="nps",
    )
    date_from = fields.Date(
        "Sent from",
        required=True,
        default=lambda self: (
            fields.Date.context_today(self).replace(day=1) - relativedelta(months=11)
        ),
    )
    date_to = fields.Date(
        "Sent to", required=True, default=lambda self: fields.Date.context_today(self)
    )
    group_by = fields.Selection(
        GROUP_BYS, "Per", required=True, default="customer_tier"
    )
    line_ids = fields.One2many("crm.survey.summary.line", "summary_id", readonly=True)
    sent = fields.Integer("Surveys sent", readonly=True)
    answered = fields.Integer("Answers", readonly=True)
    response_rate = fields.Float("Response rate (%)", readonly=True, digits=(16, 1))
    nps = fields.Float("NPS", readonly=True, digits=(16, 1))
    nps_moe = fields.Float(
        "Margin of error (±)",
        readonly=True,
        digits=(16, 1),
        help="Half-width of the 95 % confidence interval of the NPS, in points: "
        "100 x 1.96 x sqrt((P + D - (P - D)²) / n), P and D the shares of promoters "
        "and detractors among the n answers.",
    )
    nps_weighted = fields.Float(
        "NPS weighted by tier",
        readonly=True,
        digits=(16, 1),
        help="Each tier's NPS weighted by its share of the customers asked rather "
        "than of the answers: a tier that rarely answers counts as much as it "
        "weighs among the customers (post-stratification, Cochran 1977, ch. 5). "
        "Tiers without any answer are left out.",
    )
    nps_weighted_moe = fields.Float(
        "Weighted margin of error (±)", readonly=True, digits=(16, 1)
    )
    has_nps = fields.Boolean(readonly=True)
    csat = fields.Float("CSAT (1-5)", readonly=True, digits=(16, 2))
    ces = fields.Float("CES (1-7)", readonly=True, digits=(16, 2))
    note = fields.Char(readonly=True)

    def _compute_display_name(self):
        for summary in self:
            summary.display_name = _("NPS Report")

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for summary in self:
            if summary.date_from > summary.date_to:
                raise ValidationError(
                    _("The period must start before it ends (%(start)s > %(end)s).",
                      start=summary.date_from, end=summary.date_to)
                )  # fmt: skip

    @api.model_create_multi
    def create(self, vals_list):
        summaries = super().create(vals_list)
        summaries._summarize()
        return summaries

    @api.model
    def action_open_report(self):
        """The menu's entry: a summary of the last twelve months, computed, in a
        form whose filters can be changed (then *Update*)."""
        return self.create({}).action_summarize()

    def action_summarize(self):
        """Recompute the figures for the filters as they now stand."""
        self._summarize()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "name": _("NPS Report"),
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def _domain(self):
        self.ensure_one()
        start, end = dates.utc_bounds(self.date_from, self.date_to, self.env.user.tz)
        return [
            ("company_id", "=", self.company_id.id),
            ("kind", "=", self.kind),
            ("date_sent", ">=", fields.Datetime.to_string(start)),
            ("date_sent", "<", fields.Datetime.to_string(end)),
        ]

    def _summarize(self):
        Report = self.env["crm.survey.report"].with_context(tz=self.env.user.tz)
        for summary in self:
            domain = summary._domain()
            summary.line_ids.unlink()
            ((sent, answered, *counts, csat, ces),) = Report._read_group(
                domain, [], COUNTS + MEANS
            )
            total = nps.nps(*counts)
            # each tier weighs by the customers asked, however often each was asked
            strata = [
                (asked, promoters, passives, detractors)
                for _tier, asked, promoters, passives, detractors in (
                    Report._read_group(
                        domain,
                        ["customer_tier"],
                        ["partner_id:count_distinct", *COUNTS[2:]],
                    )
                )
            ]
            weighted = nps.weighted_nps(strata)
            lines = []
            for group, *figures in Report._read_group(
                domain, [summary.group_by], COUNTS + MEANS
            ):
                lines.append(summary._line_values(group, domain, *figures))
            summary.write(
                {
                    "sent": sent,
                    "answered": answered,
                    "response_rate": 100.0 * answered / sent if sent else 0.0,
                    "has_nps": total["n"] > 0,
                    "nps": total["nps"] or 0.0,
                    "nps_moe": total["moe"] or 0.0,
                    "nps_weighted": weighted["nps"] or 0.0,
                    "nps_weighted_moe": weighted["moe"] or 0.0,
                    "csat": csat or 0.0,
                    "ces": ces or 0.0,
                    "note": summary._note(total),
                    "line_ids": [fields.Command.create(vals) for vals in lines],
                }
            )

    def _line_values(self, group, domain, sent, answered, *rest):
        promoters, passives, detractors, csat, ces = rest
        figures = nps.nps(promoters, passives, detractors)
        field = self.group_by.split(":")[0]
        if self.group_by == "date_sent:month":
            # the start of the month in the user's zone, as a day: format_date would
            # convert a datetime from UTC again
            month = fields.Date.to_date(group)
            start, end = dates.utc_bounds(
                month, month + relativedelta(months=1, days=-1), self.env.user.tz
            )
            name = format_date(self.env, month, date_format="MMMM yyyy")
            group_domain = [
                (field, ">=", fields.Datetime.to_string(start)),
                (field, "<", fields.Datetime.to_string(end)),
            ]
        elif field == "customer_tier":
            name = dict(scoring.TIER_SELECTION)[group] if group else _("No tier yet")
            group_domain = [(field, "=", group)]
        else:
            name = group.display_name if group else _("None")
            group_domain = [(field, "=", group.id)]
        return {
            "name": name,
            "domain": repr(domain + group_domain),
            "sent": sent,
            "answered": answered,
            "response_rate": 100.0 * answered / sent if sent else 0.0,
            "promoters": promoters,
            "passives": passives,
            "detractors": detractors,
            "has_nps": figures["n"] > 0,
            "nps": figures["nps"] or 0.0,
            "nps_moe": figures["moe"] or 0.0,
            "csat": csat or 0.0,
            "ces": ces or 0.0,
        }

    def _note(self, total):
        if not total["n"]:
            return _("No NPS answer in this period.")
        if total["n"] < 30:
            return _(
                "Only %(count)s answers: read the NPS with its margin of error, "
                "and compare groups only when their margins do not overlap.",
                count=total["n"],
            )
        return False


class CrmSurveySummaryLine(models.TransientModel):
    """One group of the summary: its surveys, answers and figures."""

    _name = "crm.survey.summary.line"
    _description = "Voice of the customer summary line"
    _order = "id"

    summary_id = fields.Many2one(
        "crm.survey.summary", required=True, ondelete="cascade"
    )
    name = fields.Char("Group", readonly=True)
    domain = fields.Char(readonly=True)
    sent = fields.Integer(readonly=True)
    answered = fields.Integer("Answers", readonly=True)
    response_rate = fields.Float("Response rate (%)", readonly=True, digits=(16, 1))
    promoters = fields.Integer(readonly=True)
    passives = fields.Integer(readonly=True)
    detractors = fields.Integer(readonly=True)
    has_nps = fields.Boolean(readonly=True)
    nps = fields.Float("NPS", readonly=True, digits=(16, 1))
    nps_moe = fields.Float("± (95 %)", readonly=True, digits=(16, 1))
    csat = fields.Float("CSAT", readonly=True, digits=(16, 2))
    ces = fields.Float("CES", readonly=True, digits=(16, 2))

    def action_open_answers(self):
        """The surveys of this group, in the voice of the customer analysis."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "crm.survey.report",
            "view_mode": "list,pivot,graph",
            "views": [(False, "list"), (False, "pivot"), (False, "graph")],
            "domain": ast.literal_eval(self.domain),
        }
