import logging
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools.misc import format_date

from odoo.addons.crm_relationship.tools import cron
from odoo.addons.crm_relationship.tools.cron import in_user_language

from ..tools import kpi as kpi_tools
from .crm_kpi import OWNER_TYPES

_logger = logging.getLogger(__name__)

HISTORY_PERIODS = 12


class CrmScorecard(models.Model):
    """A balanced scorecard: KPI lines with targets, for one owner and period kind.

    Values of the current period are computed live whenever the scorecard is read;
    past periods are kept as snapshots (``crm.kpi.value``) by a daily cron, so that
    history does not move when the data behind it is edited later.
    """

    _name = "crm.scorecard"
    _description = "Scorecard"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    owner_type = fields.Selection(
        OWNER_TYPES, "Owner", required=True, default="company", tracking=True
    )
    user_id = fields.Many2one(
        "res.users", check_company=True, index=True, tracking=True
    )
    team_id = fields.Many2one("crm.team", "Sales team", check_company=True, index=True)
    department_id = fields.Many2one("hr.department", check_company=True, index=True)
    responsible_id = fields.Many2one(
        "res.users",
        default=lambda self: self.env.user,
        check_company=True,
        tracking=True,
        help="Receives the alerts of a company scorecard, and of a team or "
        "department without a leader.",
    )
    owner_name = fields.Char(compute="_compute_owner_name")
    period = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")],
        required=True,
        default="month",
        tracking=True,
        help="The targets of the lines are per period of this length.",
    )
    line_ids = fields.One2many("crm.scorecard.line", "scorecard_id", "KPIs", copy=True)
    target_ids = fields.One2many(
        "crm.scorecard.target", "scorecard_id", "Targets of given periods"
    )
    value_ids = fields.One2many("crm.kpi.value", "scorecard_id", "Snapshots")
    alert_ids = fields.One2many("crm.scorecard.alert", "scorecard_id", "Alerts")
    date_from = fields.Date("Period start", compute="_compute_period")
    date_to = fields.Date("Period end", compute="_compute_period")
    total_achievement = fields.Float(
        "Score", compute="_compute_total", help="The weighted achievement of the lines."
    )
    total_known = fields.Boolean(compute="_compute_total")
    light = fields.Selection(
        [("green", "On target"), ("amber", "Behind"), ("red", "Alert")],
        compute="_compute_total",
    )
    tiles_html = fields.Html(compute="_compute_tiles_html", sanitize=False)
    snapshot_count = fields.Integer(compute="_compute_snapshot_count")
    kpi_warning = fields.Text(
        "KPIs not measured",
        compute="_compute_kpi_warning",
        help="KPIs whose author's user is archived (or that count technical "
        "records): they show n/a and no history is recorded for them.",
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("owner_type", "company_id", "user_id", "team_id", "department_id")
    @api.depends_context("lang")
    def _compute_owner_name(self):
        for card in self:
            owner = card._owner_record()
            if owner and card.owner_type == "department":
                card.owner_name = owner._crm_name()
            else:
                card.owner_name = owner.display_name if owner else False

    @api.depends("period")
    @api.depends_context("scorecard_date")
    def _compute_period(self):
        for card in self:
            card.date_from, card.date_to = card._current_period()

    @api.depends("line_ids.achievement", "line_ids.weight")
    @api.depends_context("scorecard_date")
    def _compute_total(self):
        for card in self:
            total = kpi_tools.weighted_total(
                [
                    (
                        line.achievement / 100
                        if line.value_known and line.period_target
                        else None,
                        line.weight,
                    )
                    for line in card.line_ids
                ]
            )
            card.total_known = total is not None
            card.total_achievement = (total or 0.0) * 100
            card.light = kpi_tools.traffic_light(total) or False

    @api.depends("line_ids")
    @api.depends_context("scorecard_date")
    def _compute_tiles_html(self):
        for card in self:
            card.tiles_html = self.env["ir.qweb"]._render(
                "crm_analytics.scorecard_tiles", {"lines": card.line_ids}
            )

    @api.depends("line_ids.kpi_id.author_warning")
    def _compute_kpi_warning(self):
        for card in self:
            issues = [
                issue
                for issue in dict.fromkeys(
                    kpi._author_issue() for kpi in card.line_ids.kpi_id
                )
                if issue
            ]
            card.kpi_warning = "\n".join(issues) or False

    def _compute_snapshot_count(self):
        counts = dict(
            self.env["crm.kpi.value"]._read_group(
                [("scorecard_id", "in", self.ids)], ["scorecard_id"], ["__count"]
            )
        )
        for card in self:
            card.snapshot_count = counts.get(card, 0)

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("owner_type", "user_id", "team_id", "department_id")
    def _check_owner(self):
        for card in self:
            if card.owner_type != "company" and not card._owner_record():
                raise ValidationError(
                    _(
                        "Scorecard “%(card)s” belongs to a %(kind)s: choose which one.",
                        card=card.name,
                        kind=dict(OWNER_TYPES)[card.owner_type].lower(),
                    )
                )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_values(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_analytics.crm_kpi_value_action"
        )
        action["domain"] = [("scorecard_id", "=", self.id)]
        action["context"] = {"search_default_group_kpi": 1}
        return action

    def action_rebuild_snapshots(self):
        """Recompute the stored history from the data as it is now."""
        if not self.env.user.has_group("crm_relationship.group_relationship_manager"):
            raise AccessError(
                _("Only relationship managers rebuild scorecard history.")
            )
        self._snapshot(rebuild=True)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("History rebuilt for %s scorecard(s).", len(self)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_export_xlsx(self):
        return {
            "type": "ir.actions.act_url",
            "url": "/crm_analytics/scorecards/xlsx?ids=%s"
            % ",".join(map(str, self.ids)),
            "target": "download",
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _owner_record(self):
        self.ensure_one()
        return {
            "company": self.company_id,
            "user": self.user_id,
            "team": self.team_id,
            "department": self.department_id,
        }[self.owner_type]

    def _owner_key(self):
        self.ensure_one()
        return (self.owner_type, self._owner_record().id, self.company_id.id)

    def _tz(self):
        return self.company_id._crm_tz()

    def _current_period(self):
        day = (
            self.env.context.get("scorecard_date")
            or (self.company_id[:1] or self.env.company)._crm_today()
        )
        return kpi_tools.period_bounds(fields.Date.to_date(day), self.period)

    def compute(self, date_from, date_to):
        """The value of every line of these scorecards for a period, live.

        :return: ``{line_id: value}``, None where the value cannot be said
        """
        period = (fields.Date.to_date(date_from), fields.Date.to_date(date_to))
        values = self.line_ids._live_values([period])
        return {line.id: values[line.id, period] for line in self.line_ids}

    def _snapshot(self, rebuild=False, periods_back=HISTORY_PERIODS):
        """Store the values of the last complete periods that have none yet.

        With ``rebuild``, replace the stored values of those periods.

        The values are the same whoever records them (the daily job or a manager's
        rebuild): bounded by the rights of each KPI's author in the scorecard's
        company (see ``crm.kpi._evaluate``). A KPI that cannot be measured (its
        author archived) records nothing: once it can again, the next run fills
        the periods it missed.
        """
        self._lock_history()
        # sudo: the history is recorded for every scorecard by the cron
        Value = self.env["crm.kpi.value"].sudo()
        created = Value
        # cards of companies in different time zones may be in different periods
        # at the same instant (a month ends earlier in Kiritimati than in Honolulu)
        by_kind = defaultdict(lambda: self.browse())
        for card in self:
            by_kind[card.period, card._current_period()] |= card
        for (kind, current), cards in by_kind.items():
            start = current[0]
            periods = []
            for _i in range(periods_back):
                start, end = kpi_tools.previous_period(start, kind)
                periods.append((start, end))
            # sudo: a snapshot is not the reader's figure but the KPI's, which its
            # author's rights bound (crm.kpi._evaluate)
            lines = cards.sudo().line_ids.filtered(
                lambda line: not line.kpi_id._author_issue()
            )
            if not lines:
                continue
            existing = Value.search(
                [
                    ("line_id", "in", lines.ids),
                    ("date_from", ">=", periods[-1][0]),
                ]
            )
            if rebuild:
                existing.unlink()
                done = set()
            else:
                done = {(v.line_id.id, v.date_from) for v in existing}
            todo = [p for p in periods if any((l.id, p[0]) not in done for l in lines)]
            if not todo:
                continue
            values = lines._live_values(todo)
            goals = lines._goals([p[0] for p in todo])
            vals_list = [
                line._snapshot_vals(
                    period, values[line.id, period], goals[line.id, period[0]]
                )
                for line in lines
                for period in todo
                if (line.id, period[0]) not in done
            ]
            created |= Value.create(vals_list)
        return created

    def _lock_history(self):
        """Make the writers of these scorecards' history take turns: the daily
        cron, a manager's rebuild, a second cron worker. Each first claims the
        scorecards' rows (``tools.cron.claim_rows``), so that a writer whose
        snapshot predates another's commit fails here with a serialization
        failure, which is run again on a fresh snapshot (the cron's batch, the
        user's request), instead of inserting the values or alerts the other has
        just committed (a unique violation, which nobody runs again)."""
        self.flush_recordset()
        cron.claim_rows(self.env, "crm_scorecard", self.ids)

    def _check_alerts(self):
        """Alert the owners of lines behind their threshold in the current period.

        Once per line and period: the alert record is the memory of what was said.
        """
        # sudo: alerts are recorded for every scorecard by the cron
        Alert = self.env["crm.scorecard.alert"].sudo()
        alerts = Alert
        by_period = defaultdict(lambda: self.browse())
        for card in self:
            by_period[card._current_period()] |= card
        for period, cards in by_period.items():
            lines = cards.line_ids
            if not lines:
                continue
            values = lines._live_values([period])
            goals = lines._goals([period[0]])
            already = set(
                Alert.search(
                    [("line_id", "in", lines.ids), ("date_from", "=", period[0])]
                ).line_id.ids
            )
            for line in lines:
                value = values[line.id, period]
                goal = goals[line.id, period[0]]
                if line.id in already or not line._is_alarming(value, goal):
                    continue
                alerts |= line._raise_alert(period, value, goal)
        return alerts

    def _alert_recipients(self):
        """The owner and the department head: who should act on a late KPI."""
        self.ensure_one()
        if self.owner_type == "user":
            owners = self.user_id
            heads = self.user_id.employee_ids.department_id.manager_id.user_id
        elif self.owner_type == "team":
            owners = self.team_id.user_id
            heads = owners.employee_ids.department_id.manager_id.user_id
        elif self.owner_type == "department":
            owners = self.department_id.manager_id.user_id
            heads = owners
        else:
            owners = heads = self.env["res.users"]
        recipients = (owners | heads).filtered(lambda u: not u.share)
        return recipients or self.responsible_id

    @api.model
    def _demo_create_scorecards(self):
        # imported here: only the demo data needs it
        from ..tools import demo_scorecards

        return demo_scorecards.create_demo_scorecards(self.env)

    @api.model
    @in_user_language
    def _cron_daily(self, batch_size=50):
        """Snapshot past periods, then check alerts, in committed batches, each run
        again after a concurrency failure (see ``tools.cron.run_batch``)."""
        cards = self.search([])
        done = 0
        for start in range(0, len(cards), batch_size):
            batch = cards[start : start + batch_size]
            done += len(batch)
            cron.run_batch(self.env, batch._daily_batch, done, len(cards) - done)
        _logger.info("Scorecards: %s snapshotted and checked", done)

    def _daily_batch(self):
        """One batch of the daily cron: its history is locked first (by
        ``_snapshot``), so that a run again after a conflict sees what was
        committed meanwhile and adds nothing twice."""
        self._snapshot()
        self._check_alerts()

    # ------------------------------------------------------------
    # EXPORT
    # ------------------------------------------------------------

    def _export_data(self):
        """The dicts of ``tools.xlsx_export.write_scorecards`` for these
        scorecards, read with the user's rights (see :func:`_scorecards_data`)."""
        self.check_access("read")
        return _scorecards_data(self)


PERIOD_LABEL_FORMATS = {"month": "MMM y", "quarter": "QQQ y", "year": "y"}


def _labels(model, fname):
    return dict(model._fields[fname]._description_selection(model.env))


def _scorecards_data(cards):
    """The dicts of :func:`xlsx_export.write_scorecards` for these scorecards.

    Current figures come from the lines' live fields (computed for all lines at
    once); history from the snapshots the user may read, in one query.
    """
    env = cards.env
    Line = env["crm.scorecard.line"]
    owner_types = _labels(cards, "owner_type")
    period_kinds = _labels(cards, "period")
    perspectives = _labels(env["crm.kpi"], "perspective")
    units = _labels(env["crm.kpi"], "unit")
    lights = _labels(Line, "light")
    trends = _labels(Line, "trend")
    history = _history(cards)
    result = []
    for card in cards:
        currency = card.company_id.currency_id
        lines = card.line_ids
        result.append(
            {
                "name": card.name,
                "owner": f"{owner_types[card.owner_type]}: {card.owner_name or ''}",
                "period": period_kinds[card.period],
                "date_from": card.date_from,
                "date_to": card.date_to,
                "score": card.total_achievement / 100 if card.total_known else None,
                "light": card.light or None,
                "light_label": lights.get(card.light, ""),
                "currency": {
                    "symbol": currency.symbol,
                    "position": currency.position,
                    "digits": currency.decimal_places,
                },
                "lines": [
                    {
                        "kpi": line.kpi_id.name,
                        "perspective": perspectives.get(line.perspective, ""),
                        "unit": line.unit,
                        "unit_label": units.get(line.unit, ""),
                        "weight": line.weight,
                        "target": line.target,
                        "alert_threshold": line.alert_threshold,
                        "alert_achievement": _alert_achievement(line),
                        "value": line.value if line.value_known else None,
                        "achievement": _achievement(line),
                        "light": line.light or None,
                        "light_label": lights.get(line.light, ""),
                        "previous": line.previous_value_display or "",
                        "last_year": line.last_year_value_display or "",
                        "trend": line.trend or None,
                        "trend_label": trends.get(line.trend, ""),
                    }
                    for line in lines
                ],
                "history": history[card.id],
            }
        )
    return result


def _achievement(line):
    """The line's achievement as a fraction, None when it cannot be said (the
    field holds 0 then, as the scorecard's total reads it)."""
    if not (line.value_known and line.target):
        return None
    return line.achievement / 100


def _alert_achievement(line):
    """The achievement at the alert threshold, below which the line is red: the
    threshold ``crm.scorecard.line._light`` compares with."""
    if not line.alert_threshold:
        return 0.0
    achieved = kpi_tools.achievement(
        line.alert_threshold, line.target, line.direction != "lower"
    )
    return min(achieved or 0.0, 1.0)


def _history(cards):
    """``{card_id: [period row]}``: the snapshots of the last periods, from the
    first one recorded, then the current period's live figures."""
    env = cards.env
    periods_by_card = {}
    for card in cards:
        periods = [(card.date_from, card.date_to)]
        for _i in range(HISTORY_PERIODS):
            periods.append(kpi_tools.previous_period(periods[-1][0], card.period))
        periods_by_card[card.id] = periods[::-1]
    snapshots = env["crm.kpi.value"].search_read(
        [
            ("scorecard_id", "in", cards.ids),
            ("date_from", ">=", min(p[0][0] for p in periods_by_card.values())),
        ],
        [
            "line_id",
            "date_from",
            "date_to",
            "value",
            "value_known",
            "target",
            "achievement",
        ],
        load=None,
    )
    by_key = {(s["line_id"], s["date_from"], s["date_to"]): s for s in snapshots}
    result = {}
    for card in cards:
        lines = card.line_ids
        *past, current = periods_by_card[card.id]
        rows = []
        for date_from, date_to in past:
            found = [by_key.get((line.id, date_from, date_to)) for line in lines]
            if not rows and not any(found):
                continue  # before the first snapshot
            rows.append(
                {
                    "label": _period_label(env, date_from, card.period),
                    "date_from": date_from,
                    "date_to": date_to,
                    "values": [
                        s["value"] if s and s["value_known"] else None for s in found
                    ],
                    "achievements": [
                        s["achievement"] / 100
                        if s and s["value_known"] and s["target"]
                        else None
                        for s in found
                    ],
                }
            )
        rows.append(
            {
                "label": _period_label(env, current[0], card.period),
                "date_from": current[0],
                "date_to": current[1],
                "values": [line.value if line.value_known else None for line in lines],
                "achievements": [_achievement(line) for line in lines],
            }
        )
        result[card.id] = rows
    return result


def _period_label(env, date_from, kind):
    return format_date(env, date_from, date_format=PERIOD_LABEL_FORMATS[kind])
