from collections import defaultdict

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import kpi as kpi_tools

LIGHTS = [("green", "On target"), ("amber", "Behind"), ("red", "Alert")]
TRENDS = [("up", "Up"), ("down", "Down"), ("flat", "Flat")]


class CrmScorecardLine(models.Model):
    _name = "crm.scorecard.line"
    _description = "Scorecard KPI line"
    _order = "scorecard_id, sequence, id"

    scorecard_id = fields.Many2one(
        "crm.scorecard", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="scorecard_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    kpi_id = fields.Many2one("crm.kpi", "KPI", required=True, ondelete="restrict")
    perspective = fields.Selection(related="kpi_id.perspective", store=True)
    unit = fields.Selection(related="kpi_id.unit")
    direction = fields.Selection(related="kpi_id.direction")
    weight = fields.Float(default=1.0)
    target = fields.Float(help="The value to reach in each period of the scorecard.")
    alert_threshold = fields.Float(
        "Alert at",
        compute="_compute_alert_threshold",
        store=True,
        readonly=False,
        help="Below this value (above it when lower is better), the line is red and "
        "its owner and department head are alerted once per period. By default 90% "
        "of the target (110% when lower is better).",
    )
    company_wide = fields.Boolean(
        "Whole company",
        compute="_compute_company_wide",
        store=True,
        readonly=False,
        help="Measure the KPI for the whole company rather than for the scorecard's "
        "owner: days sales outstanding on the Finance department's scorecard, say. "
        "Set by default when the KPI's source cannot be split by this kind of owner.",
    )
    target_ids = fields.One2many(
        "crm.scorecard.target", "line_id", "Targets of given periods"
    )
    currency_id = fields.Many2one(related="scorecard_id.company_id.currency_id")
    # Live figures of the scorecard's current period; not stored.
    value = fields.Float("Value (number)", compute="_compute_live", digits=(16, 2))
    value_known = fields.Boolean(compute="_compute_live")
    value_display = fields.Char("Value", compute="_compute_live")
    period_target = fields.Float(
        "Target of the period",
        compute="_compute_live",
        help="The line's target, or the one set for the current period.",
    )
    achievement = fields.Float(
        "Achievement (%)", compute="_compute_live", digits=(16, 1)
    )
    light = fields.Selection(LIGHTS, compute="_compute_live")
    previous_value_display = fields.Char("Previous period", compute="_compute_live")
    last_year_value_display = fields.Char("Last year", compute="_compute_live")
    trend = fields.Selection(TRENDS, compute="_compute_live")
    trend_last_year = fields.Selection(
        TRENDS, "Against last year", compute="_compute_live"
    )

    _sql_constraints = [
        ("weight_positive", "CHECK(weight >= 0)", "A KPI's weight cannot be negative."),
    ]

    @api.depends("target", "kpi_id.direction")
    def _compute_alert_threshold(self):
        for line in self:
            factor = 1.1 if line.kpi_id.direction == "lower" else 0.9
            line.alert_threshold = line.target * factor

    @api.depends("kpi_id", "scorecard_id.owner_type")
    def _compute_company_wide(self):
        for line in self:
            # sudo: KPI definitions point to ir.model.fields, which users may not read
            line.company_wide = bool(line.kpi_id) and not line.kpi_id.sudo()._splits_by(
                line.scorecard_id.owner_type
            )

    @api.depends(
        "kpi_id",
        "target",
        "alert_threshold",
        "company_wide",
        "scorecard_id.period",
        "target_ids.target",
        "target_ids.date_from",
    )
    @api.depends_context("scorecard_date")
    def _compute_live(self):
        """Current, previous and last year's values for all lines at once.

        Past periods read their snapshot when there is one, so the scorecard shows
        the history that was recorded.
        """
        lines = self.filtered("kpi_id")
        periods = {}
        for line in lines:
            current = line.scorecard_id._current_period()
            kind = line.scorecard_id.period
            periods[line.id] = (
                current,
                kpi_tools.previous_period(current[0], kind),
                kpi_tools.same_period_last_year(current[0], kind),
            )
        saved = lines.filtered(lambda line: isinstance(line.id, int))
        stored = saved._stored_values(
            {p for triple in periods.values() for p in triple[1:]}
        )
        needed = {triple[0] for triple in periods.values()} | {
            p
            for line_id, triple in periods.items()
            for p in triple[1:]
            if (line_id, p[0]) not in stored
        }
        live = lines._live_values(sorted(needed))
        goals = saved._goals({triple[0][0] for triple in periods.values()})
        for line in self:
            if line.id not in periods:
                line._set_live(None, None, None, line._goal())
                continue
            current, previous, last_year = periods[line.id]
            past = [
                stored[line.id, p[0]] if (line.id, p[0]) in stored else live[line.id, p]
                for p in (previous, last_year)
            ]
            goal = goals.get((line.id, current[0])) or line._goal()
            line._set_live(live[line.id, current], *past, goal)

    def _set_live(self, value, previous, last_year, goal):
        achieved = self._achievement(value, goal)
        self.period_target = goal[0]
        self.value = value or 0.0
        self.value_known = value is not None
        self.value_display = self._format(value)
        self.achievement = self._percent(achieved)
        self.light = self._light(value, goal) or False
        self.previous_value_display = self._format(previous)
        self.last_year_value_display = self._format(last_year)
        # compared as shown: a snapshot keeps two decimals, the live value all
        currency = self.scorecard_id.company_id.currency_id
        digits = self.kpi_id._display_digits(currency) if self.kpi_id else None
        self.trend = kpi_tools.trend(value, previous, digits) or False
        self.trend_last_year = kpi_tools.trend(value, last_year, digits) or False

    # ------------------------------------------------------------
    # CONSTRAINTS AND CRUD
    # ------------------------------------------------------------

    @api.constrains("kpi_id", "scorecard_id")
    def _check_kpi_once(self):
        counts = self._read_group(
            [("scorecard_id", "in", self.scorecard_id.ids)],
            ["scorecard_id", "kpi_id"],
            ["__count"],
            having=[("__count", ">", 1)],
        )
        if counts:
            raise ValidationError(
                _(
                    "Scorecard “%(card)s” lists KPI “%(kpi)s” twice.",
                    card=counts[0][0].name,
                    kpi=counts[0][1].name,
                )
            )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _goal(self, override=None):
        """``(target, threshold)``: the line's, or a period's own target with the
        threshold moved in proportion."""
        if override is None:
            return (self.target, self.alert_threshold)
        if self.target:
            return (override, self.alert_threshold * override / self.target)
        return (override, override * (1.1 if self.kpi_id.direction == "lower" else 0.9))

    def _goals(self, starts):
        """``{(line_id, period_start): (target, threshold)}`` for these lines."""
        starts = list(starts)
        overrides = {}
        if self and starts:
            for row in (
                self.env["crm.scorecard.target"]
                # sudo: the targets of a scorecard the user may read
                .sudo()
                .search_read(
                    [("line_id", "in", self.ids), ("date_from", "in", starts)],
                    ["line_id", "date_from", "target"],
                )
            ):
                overrides[row["line_id"][0], row["date_from"]] = row["target"]
        return {
            (line.id, start): line._goal(overrides.get((line.id, start)))
            for line in self
            for start in starts
        }

    def _achievement(self, value, goal=None):
        target = (goal or self._goal())[0]
        return kpi_tools.achievement(value, target, self.kpi_id.direction != "lower")

    @staticmethod
    def _percent(achieved):
        """An achievement as a percentage, shown up to 1000% (a zero where lower is
        better reaches any target infinitely)."""
        return min(achieved or 0.0, 10.0) * 100

    def _light(self, value, goal=None):
        goal = goal or self._goal()
        achieved = self._achievement(value, goal)
        threshold = self._achievement(goal[1], goal) if goal[1] else 0
        return kpi_tools.traffic_light(achieved, min(threshold or 0.0, 1.0))

    def _is_alarming(self, value, goal=None):
        """Worse than the alert threshold in the KPI's direction."""
        threshold = (goal or self._goal())[1]
        if value is None or not threshold:
            return False
        if self.kpi_id.direction == "lower":
            return value > threshold
        return value < threshold

    def _format(self, value):
        if not self.kpi_id:
            return False
        return self.kpi_id._format_value(
            value, self.scorecard_id.company_id.currency_id
        )

    def _live_values(self, periods):
        """``{(line_id, period): value}`` for these lines, live, set-based.

        One evaluation of each KPI covers every owner of every line and every period;
        lines of the same kind of owner share its grouped query.
        """
        result = {}
        by_tz = defaultdict(list)
        owners = {}
        for line in self:
            owners[line.id] = line._owner_key()
            by_tz[line.scorecard_id._tz()].append(line)
        for tz_name, lines in by_tz.items():
            kpis = self.env["crm.kpi"].browse({line.kpi_id.id for line in lines})
            values = kpis._evaluate(
                [owners[line.id] for line in lines], periods, tz_name
            )
            for line in lines:
                for period in periods:
                    result[line.id, period] = values[
                        line.kpi_id.id, owners[line.id], period
                    ]
        return result

    def _owner_key(self):
        card = self.scorecard_id
        if self.company_wide:
            return ("company", card.company_id.id, card.company_id.id)
        return card._owner_key()

    def _stored_values(self, periods):
        """``{(line_id, date_from): value}`` from the snapshots of these periods."""
        if not self or not periods:
            return {}
        snapshots = (
            self.env["crm.kpi.value"]
            # sudo: the history of a scorecard the user may read
            .sudo()
            .search_read(
                [
                    ("line_id", "in", self.ids),
                    ("date_from", "in", [p[0] for p in periods]),
                ],
                ["line_id", "date_from", "date_to", "value", "value_known"],
            )
        )
        wanted = set(periods)
        return {
            (s["line_id"][0], s["date_from"]): s["value"] if s["value_known"] else None
            for s in snapshots
            if (s["date_from"], s["date_to"]) in wanted
        }

    def _snapshot_vals(self, period, value, goal=None):
        goal = goal or self._goal()
        achieved = self._achievement(value, goal)
        return {
            "line_id": self.id,
            "scorecard_id": self.scorecard_id.id,
            "kpi_id": self.kpi_id.id,
            "company_id": self.scorecard_id.company_id.id,
            "date_from": period[0],
            "date_to": period[1],
            "value": value or 0.0,
            "value_known": value is not None,
            "target": goal[0],
            "achievement": self._percent(achieved),
            "light": self._light(value, goal) or False,
        }

    def _raise_alert(self, period, value, goal=None):
        """Record the alert, post it on the scorecard and give its readers a to-do."""
        target, threshold = goal or self._goal()
        card = self.scorecard_id
        recipients = card._alert_recipients()
        alert = (
            self.env["crm.scorecard.alert"]
            # sudo: alerts are raised by the cron for the scorecard's owners
            .sudo()
            .create(
                {
                    "line_id": self.id,
                    "scorecard_id": card.id,
                    "company_id": card.company_id.id,
                    "date_from": period[0],
                    "date_to": period[1],
                    "value": value,
                    "threshold": threshold,
                }
            )
        )
        summary = _(
            "%(kpi)s is behind: %(value)s",
            kpi=self.kpi_id.name,
            value=self._format(value),
        )
        body = Markup("<p>%s</p>") % _(
            "%(kpi)s is at %(value)s for %(start)s – %(end)s, past its alert "
            "threshold of %(threshold)s (target %(target)s).",
            kpi=self.kpi_id.name,
            value=self._format(value),
            start=period[0],
            end=period[1],
            threshold=self._format(threshold),
            target=self._format(target),
        )
        # sudo: an alert is an automatic event, posted and assigned whoever runs the
        # check, even a user without e-mail address or without access to the card
        card.sudo().message_post(
            body=body,
            subject=summary,
            partner_ids=recipients.partner_id.ids,
            subtype_xmlid="mail.mt_comment",
        )
        for user in recipients:
            # sudo: the activity goes to the owners, whoever raised the alert
            card.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                note=body,
                user_id=user.id,
            )
        return alert
