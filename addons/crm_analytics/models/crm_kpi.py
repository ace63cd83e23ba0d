import logging
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.osv import expression
from odoo.tools import float_repr, format_amount
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import dateutil as safe_dateutil
from odoo.tools.safe_eval import safe_eval
from odoo.tools.safe_eval import time as safe_time

from ..tools import kpi as kpi_tools

_logger = logging.getLogger(__name__)

PERSPECTIVES = [
    ("financial", "Financial"),
    ("customer", "Customer"),
    ("process", "Internal Process"),
    ("learning", "Learning and Growth"),
]
NUMERIC_TYPES = ("integer", "float", "monetary")
OWNER_TYPES = [
    ("company", "Company"),
    ("team", "Sales Team"),
    ("department", "Department"),
    ("user", "User"),
]
OWNER_COMODELS = {
    "company": "res.company",
    "team": "crm.team",
    "department": "hr.department",
    "user": "res.users",
}


class CrmKpi(models.Model):
    """A measure over any model, that scorecards compare with a target.

    The value of a KPI for an owner and a period is one aggregate of the source
    model's records that match the domain and whose date falls in the period. Values
    for many owners come from one grouped query on the owner's field of the source
    model (the salesperson, the team, the department, the company).
    """

    _name = "crm.kpi"
    _description = "Scorecard KPI"
    _inherit = ["mail.thread"]
    _order = "perspective, sequence, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    perspective = fields.Selection(
        PERSPECTIVES, required=True, default="customer", tracking=True
    )
    description = fields.Text(translate=True)
    measure = fields.Selection(
        [
            ("count", "Count of records"),
            ("sum", "Sum of a field"),
            ("avg", "Average of a field"),
            ("ratio", "Ratio of two KPIs"),
        ],
        required=True,
        default="count",
        tracking=True,
    )
    model_id = fields.Many2one(
        "ir.model",
        "Source",
        ondelete="cascade",
        domain=[("transient", "=", False)],
        help="The records the KPI counts or adds up.",
    )
    model_name = fields.Char(related="model_id.model")
    domain = fields.Char(
        default="[]",
        help="Which records count. Besides Odoo's usual names (uid, user, "
        "context_today, datetime, relativedelta), the domain may use period_start "
        "and period_end, the first and last day of the period being measured.",
    )
    date_field_id = fields.Many2one(
        "ir.model.fields",
        "Date field",
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('ttype', 'in', ('date', 'datetime')),"
        " ('store', '=', True)]",
    )
    date_mode = fields.Selection(
        [
            ("period", "Dated in the period"),
            ("until", "Dated up to the end of the period"),
            ("none", "Current state (no date)"),
        ],
        required=True,
        default="period",
        help="Dated in the period: a flow, such as revenue. Up to the end of the "
        "period: a balance, such as receivables. Current state: what the records say "
        "now, such as churn; snapshots keep it for past periods.",
    )
    field_id = fields.Many2one(
        "ir.model.fields",
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('ttype', 'in', "
        "('integer', 'float', 'monetary')), ('store', '=', True)]",
    )
    numerator_id = fields.Many2one("crm.kpi", ondelete="restrict")
    denominator_id = fields.Many2one("crm.kpi", ondelete="restrict")
    ratio_scale = fields.Selection(
        [
            ("one", "As is"),
            ("percent", "As a percentage (x 100)"),
            ("days", "Times the days in the period"),
        ],
        default="one",
        required=True,
        help="Times the days in the period turns a ratio of a balance to a flow "
        "into days, as days sales outstanding does.",
    )
    unit = fields.Selection(
        [
            ("number", "Number"),
            ("currency", "Currency"),
            ("percent", "%"),
            ("days", "Days"),
            ("hours", "Hours"),
            ("rating", "Rating (1-5)"),
            ("times", "Times (x)"),
        ],
        required=True,
        default="number",
    )
    direction = fields.Selection(
        [("higher", "Higher is better"), ("lower", "Lower is better")],
        required=True,
        default="higher",
    )
    company_field_id = fields.Many2one(
        "ir.model.fields",
        "Company field",
        ondelete="set null",
        domain="[('model_id', '=', model_id), ('ttype', '=', 'many2one'),"
        " ('relation', '=', 'res.company'), ('store', '=', True)]",
    )
    user_field_id = fields.Many2one(
        "ir.model.fields",
        "User field",
        ondelete="set null",
        domain="[('model_id', '=', model_id), ('ttype', '=', 'many2one'),"
        " ('relation', '=', 'res.users'), ('store', '=', True)]",
        help="Splits the KPI by user; also by department, through the users' "
        "employees, when the source has no department field.",
    )
    team_field_id = fields.Many2one(
        "ir.model.fields",
        "Sales team field",
        ondelete="set null",
        domain="[('model_id', '=', model_id), ('ttype', '=', 'many2one'),"
        " ('relation', '=', 'crm.team'), ('store', '=', True)]",
    )
    department_field_id = fields.Many2one(
        "ir.model.fields",
        "Department field",
        ondelete="set null",
        domain="[('model_id', '=', model_id), ('ttype', '=', 'many2one'),"
        " ('relation', '=', 'hr.department'), ('store', '=', True)]",
    )
    line_ids = fields.One2many("crm.scorecard.line", "kpi_id", "Scorecard lines")

    # ------------------------------------------------------------
    # CONSTRAINTS AND ONCHANGES
    # ------------------------------------------------------------

    @api.onchange("model_id")
    def _onchange_model_id(self):
        """Pick the usual owner and date fields of the chosen model."""
        for kpi in self:
            if not kpi.model_id:
                continue
            fields_by_name = {f.name: f for f in kpi.model_id.field_id}
            guesses = {
                "company_field_id": ("company_id",),
                "user_field_id": ("user_id", "invoice_user_id"),
                "team_field_id": ("team_id",),
                "department_field_id": ("department_id",),
                "date_field_id": ("date", "invoice_date", "date_order", "create_date"),
            }
            for fname, candidates in guesses.items():
                current = kpi[fname]
                if current and current.model_id == kpi.model_id:
                    continue
                kpi[fname] = next(
                    (
                        fields_by_name[c]
                        for c in candidates
                        if c in fields_by_name
                        and kpi._owner_field_ok(fname, fields_by_name[c])
                    ),
                    False,
                )

    def _owner_field_ok(self, fname, field):
        if fname == "date_field_id":
            return field.ttype in ("date", "datetime") and field.store
        relation = {
            "company_field_id": "res.company",
            "user_field_id": "res.users",
            "team_field_id": "crm.team",
            "department_field_id": "hr.department",
        }[fname]
        return field.ttype == "many2one" and field.relation == relation and field.store

    @api.constrains(
        "measure",
        "model_id",
        "domain",
        "date_field_id",
        "date_mode",
        "field_id",
        "numerator_id",
        "denominator_id",
        "company_field_id",
        "user_field_id",
        "team_field_id",
        "department_field_id",
    )
    def _check_definition(self):
        """Refuse at save what could not be evaluated, in the words of the form."""
        for kpi in self:
            if kpi.measure == "ratio":
                kpi._check_ratio()
                continue
            if not kpi.model_id:
                raise ValidationError(_("KPI “%s” needs a source model.", kpi.name))
            if kpi.model_name not in self.env:
                raise ValidationError(
                    _("The source of KPI “%s” is not installed.", kpi.name)
                )
            kpi._check_fields()
            kpi._parse_domain(fields.Date.today(), fields.Date.today())

    def _check_ratio(self):
        if not self.numerator_id or not self.denominator_id:
            raise ValidationError(
                _(
                    "KPI “%s” is a ratio: choose its numerator and denominator.",
                    self.name,
                )
            )
        seen, todo = set(), [self]
        while todo:
            kpi = todo.pop()
            if kpi.id in seen:
                continue
            seen.add(kpi.id)
            for part in kpi.numerator_id | kpi.denominator_id:
                if part == self:
                    raise ValidationError(
                        _("KPI “%s” cannot be a ratio of itself.", self.name)
                    )
                todo.append(part)

    def _check_fields(self):
        for fname in (
            "date_field_id",
            "field_id",
            "company_field_id",
            "user_field_id",
            "team_field_id",
            "department_field_id",
        ):
            field = self[fname]
            if field and field.model_id != self.model_id:
                raise ValidationError(
                    _(
                        "KPI “%(kpi)s”: “%(field)s” is not a field of %(model)s.",
                        kpi=self.name,
                        field=field.field_description,
                        model=self.model_id.name,
                    )
                )
        if self.date_mode != "none":
            if not self.date_field_id:
                raise ValidationError(
                    _(
                        "KPI “%s” needs a date field to be measured per period, or the "
                        "date mode “Current state”.",
                        self.name,
                    )
                )
            if not self._owner_field_ok("date_field_id", self.date_field_id):
                raise ValidationError(
                    _("KPI “%s”: the date field must be a stored date.", self.name)
                )
        if self.measure in ("sum", "avg"):
            field = self.field_id
            if not field:
                raise ValidationError(
                    _("KPI “%s” adds up a field: choose which one.", self.name)
                )
            if field.ttype not in NUMERIC_TYPES or not field.store:
                raise ValidationError(
                    _(
                        "KPI “%(kpi)s”: “%(field)s” is not a stored number and "
                        "cannot be added up.",
                        kpi=self.name,
                        field=field.field_description,
                    )
                )
        for fname in (
            "company_field_id",
            "user_field_id",
            "team_field_id",
            "department_field_id",
        ):
            if self[fname] and not self._owner_field_ok(fname, self[fname]):
                raise ValidationError(
                    _(
                        "KPI “%(kpi)s”: “%(field)s” does not point to the right kind "
                        "of owner.",
                        kpi=self.name,
                        field=self[fname].field_description,
                    )
                )

    # ------------------------------------------------------------
    # DOMAIN
    # ------------------------------------------------------------

    def _domain_eval_context(self, date_from, date_to):
        user = self.env.user
        return {
            "uid": user.id,
            "user": user,
            "company_id": self.env.company.id,
            "company_ids": self.env.companies.ids,
            "context_today": lambda: fields.Date.context_today(self),
            "datetime": safe_datetime,
            "dateutil": safe_dateutil,
            "relativedelta": safe_dateutil.relativedelta.relativedelta,
            "time": safe_time,
            "period_start": date_from,
            "period_end": date_to,
        }

    def _parse_domain(self, date_from, date_to):
        """The KPI's domain for a period, checked against its model.

        Evaluated with Odoo's safe_eval, never eval; fields that do not exist and
        malformed terms are reported as a ValidationError naming the KPI.
        """
        self.ensure_one()
        try:
            domain = safe_eval(
                self.domain or "[]", self._domain_eval_context(date_from, date_to)
            )
            if not isinstance(domain, list | tuple):
                raise TypeError(_("a domain is a list of conditions"))
            domain = list(domain)
            # Building the query checks every field and operator without running it.
            self.env[self.model_name].sudo()._search(domain)
        except Exception as error:
            raise ValidationError(
                _(
                    "The domain of KPI “%(kpi)s” cannot be evaluated: %(error)s",
                    kpi=self.name,
                    error=error,
                )
            ) from error
        return domain

    def _period_domain(self, date_from, date_to, tz_name):
        """The records of the period: the date between the bounds, in the company's
        time zone when the field holds a time."""
        self.ensure_one()
        if self.date_mode == "none":
            return []
        fname = self.date_field_id.name
        if self.date_field_id.ttype == "datetime":
            start, end = kpi_tools.utc_bounds(date_from, date_to, tz_name)
        else:
            start, end = date_from, date_to
        upper = (
            (fname, "<", end)
            if self.date_field_id.ttype == "datetime"
            else (
                fname,
                "<=",
                end,
            )
        )
        if self.date_mode == "until":
            return [upper]
        return [(fname, ">=", start), upper]

    def _splits_by(self, owner_type):
        """Whether the KPI's source can be split by owners of this type."""
        self.ensure_one()
        if not owner_type or owner_type == "company":
            return True
        if self.measure == "ratio":
            return all(
                part._splits_by(owner_type)
                for part in self.numerator_id | self.denominator_id
            )
        if owner_type == "department":
            return bool(self.department_field_id or self.user_field_id)
        return bool(self[f"{owner_type}_field_id"])

    def _format_value(self, value, currency):
        """The value as people read it, "n/a" when it cannot be said."""
        self.ensure_one()
        if value is None:
            return _("n/a")
        if self.unit == "currency":
            return format_amount(self.env, value, currency)
        digits = 0 if self.unit == "number" and value == int(value) else 2
        suffix = {
            "percent": " %",
            "days": _(" days"),
            "hours": _(" h"),
            "times": " x",
        }.get(self.unit, "")
        return float_repr(value, digits) + suffix

    # ------------------------------------------------------------
    # EVALUATION
    # ------------------------------------------------------------

    @contextmanager
    def _read_env(self):
        """An environment on a read-only cursor: the replica when one is configured.

        When the request already runs on a read-only cursor (Odoo 18 reads records
        on it), or when there is no replica, the current cursor is the right one: it
        also sees what this transaction has written.
        """
        registry = self.env.registry
        replica = registry._db_readonly is not None
        testing = getattr(registry, "test_cr", None) is not None
        if self.env.cr.readonly or not (replica or testing):
            yield self.env
            return
        self.env.flush_all()
        with registry.cursor(readonly=True) as cr:
            yield self.env(cr=cr)

    def _evaluate(self, owners, periods, tz_name="UTC"):
        """The values of these KPIs for every owner and period.

        :param owners: ``(owner_type, owner_id, company_id)`` triples
        :param periods: ``(date_from, date_to)`` pairs
        :return: ``{(kpi_id, owner, period): value}``, None for what cannot be said
        """
        owners = list(dict.fromkeys(owners))
        periods = list(dict.fromkeys(periods))
        values = {}
        with self._read_env() as env:
            cache = {}
            # Definitions are read as superuser (their fields point to ir.model.fields,
            # which users may not read); the data is read in ``env``, with the user's
            # rights.
            for kpi in self.sudo():
                by_period = kpi._evaluate_periods(env, owners, periods, tz_name, cache)
                for period in periods:
                    parts = by_period[period]
                    for owner in owners:
                        values[kpi.id, owner, period] = parts.get(owner)
        return values

    def _evaluate_periods(self, env, owners, periods, tz_name, cache):
        """``{period: {owner: value}}`` for one KPI; ratios reuse their parts."""
        self.ensure_one()
        if self.id in cache:
            return cache[self.id]
        if self.measure == "ratio":
            numerators = self.numerator_id._evaluate_periods(
                env, owners, periods, tz_name, cache
            )
            denominators = self.denominator_id._evaluate_periods(
                env, owners, periods, tz_name, cache
            )
            result = {}
            for period in periods:
                factor = {
                    "one": 1.0,
                    "percent": 100.0,
                    "days": kpi_tools.period_days(*period),
                }[self.ratio_scale]
                result[period] = {
                    owner: kpi_tools.ratio(
                        numerators[period].get(owner),
                        denominators[period].get(owner),
                        factor,
                    )
                    for owner in owners
                }
        else:
            try:
                result = self._aggregate(env, owners, periods, tz_name)
            except AccessError as error:
                # The user may not read the source: the KPI is not available to them.
                _logger.info(
                    "KPI %s not available to user %s: %s", self.id, env.uid, error
                )
                result = {period: {} for period in periods}
        cache[self.id] = result
        return result

    def _aggregate(self, env, owners, periods, tz_name):
        """``{period: {owner: value}}`` from as few grouped queries as possible.

        Periods made of whole months (those of scorecards) share one query per owner
        type, grouped by month as well; a current-state KPI needs one query whatever
        the periods. A domain that uses the period's bounds, or periods that are not
        whole months (a digest's last 7 days), take one query per period.
        """
        uses_bounds = "period_start" in (self.domain or "") or "period_end" in (
            self.domain or ""
        )
        whole_months = all(kpi_tools.is_whole_months(*period) for period in periods)
        if uses_bounds or not (whole_months or self.date_mode == "none"):
            return {
                period: self._aggregate_buckets(env, owners, [period], tz_name)[period]
                for period in periods
            }
        return self._aggregate_buckets(env, owners, periods, tz_name)

    def _aggregate_buckets(self, env, owners, periods, tz_name):
        """One grouped query per owner type covering ``periods``.

        With several periods (all whole months), rows are grouped by month too and
        each period adds up its months; 'up to the end' adds every month up to its
        end. A current-state KPI reads once and gives every period the same value.
        """
        first, last = min(p[0] for p in periods), max(p[1] for p in periods)
        # context_today() of a domain is the day in the evaluated company's zone
        domain = self.with_context(tz=tz_name)._parse_domain(first, last)
        by_month = None
        if self.date_mode != "none":
            if len(periods) > 1:
                by_month = f"{self.date_field_id.name}:month"
            bounds = self._period_domain(first, last, tz_name)
            domain = expression.AND([domain, bounds])
        if self.measure == "count":
            aggregates = ["__count"]
        elif self.measure == "sum":
            aggregates = [f"{self.field_id.name}:sum"]
        else:
            aggregates = [f"{self.field_id.name}:sum", f"{self.field_id.name}:count"]
        by_type = defaultdict(list)
        for owner in owners:
            by_type[owner[0]].append(owner)
        buckets = {}
        for owner_type, typed in by_type.items():
            buckets.update(
                self._aggregate_owners(
                    env(context=dict(env.context, tz=tz_name)),
                    owner_type,
                    typed,
                    domain,
                    aggregates,
                    by_month,
                )
            )
        # (owner, month) -> (sum, count); month None when not grouped by month
        result = {}
        for period in periods:
            totals = defaultdict(lambda: [0.0, 0])
            for (owner, month), (total, count) in buckets.items():
                if month is not None and not self._month_in(month, period):
                    continue
                totals[owner][0] += total
                totals[owner][1] += count
            values = {}
            for owner in owners:
                total, count = totals.get(owner, (0.0, 0))
                if self.measure == "count":
                    values[owner] = float(count)
                elif self.measure == "sum":
                    values[owner] = float(total)
                else:
                    values[owner] = total / count if count else None
            result[period] = values
        return result

    def _month_in(self, month, period):
        if self.date_mode == "until":
            return month <= period[1]
        return period[0] <= month <= period[1]

    def _aggregate_owners(self, env, owner_type, owners, domain, aggregates, by_month):
        """``{(owner, month): (sum, count)}`` for owners of one type: one query."""
        Model = env[self.model_name]
        company_field = self.company_field_id.name
        owner_ids = list({owner[1] for owner in owners})
        company_ids = list({owner[2] for owner in owners})
        owner_field = {
            "company": self.company_field_id,
            "user": self.user_field_id,
            "team": self.team_field_id,
            "department": self.department_field_id,
        }[owner_type].name
        via_users = {}
        if owner_type == "department" and not owner_field and self.user_field_id:
            via_users = self._department_users(env, owners)
            owner_field = self.user_field_id.name
            owner_ids = list({user_id for user_id, _company in via_users})
        if owner_type == "company" and not company_field:
            # A source without companies: the same value for every company owner.
            groupby = []
        elif not owner_field:
            return {}
        else:
            groupby = [owner_field]
            domain = expression.AND([domain, [(owner_field, "in", owner_ids)]])
        if company_field and owner_type != "company":
            groupby.append(company_field)
        if company_field:
            domain = expression.AND([domain, [(company_field, "in", company_ids)]])
        n_owner_keys = len(groupby)
        if by_month:
            groupby.append(by_month)
        rows = Model._read_group(domain, groupby, aggregates)
        n_groups = len(groupby)
        sums = defaultdict(lambda: [0.0, 0])
        for row in rows:
            keys, measures = row[:n_owner_keys], row[n_groups:]
            month = fields.Date.to_date(row[n_owner_keys]) if by_month else None
            if isinstance(month, datetime):
                month = month.date()
            if self.measure == "count":
                total, count = 0.0, measures[0]
            elif self.measure == "sum":
                total, count = measures[0], 1
            else:
                total, count = measures
            if not keys:
                targets = owners
            else:
                owner_id = keys[0].id
                company_id = keys[1].id if len(keys) > 1 else None
                if owner_type == "company":
                    targets = [("company", owner_id, owner_id)]
                elif via_users:
                    department_id = via_users.get((owner_id, company_id))
                    targets = (
                        [("department", department_id, company_id)]
                        if department_id
                        else []
                    )
                elif company_id is None:
                    targets = [o for o in owners if o[1] == owner_id]
                else:
                    targets = [(owner_type, owner_id, company_id)]
            for target in targets:
                pair = sums[target, month]
                pair[0] += total or 0.0
                pair[1] += count or 0
        return {key: tuple(pair) for key, pair in sums.items()}

    def _department_users(self, env, owners):
        """``{(user_id, company_id): department_id}`` from the departments' employees.

        Read as superuser: which employee belongs to which department is what routes
        a user's records to their department, whoever reads the scorecard.
        """
        department_ids = [owner[1] for owner in owners]
        employees = (
            env["hr.employee"]
            .sudo()
            .with_context(active_test=False)
            ._read_group(
                [("department_id", "in", department_ids), ("user_id", "!=", False)],
                ["user_id", "company_id", "department_id"],
            )
        )
        wanted = {(owner[1], owner[2]) for owner in owners}
        return {
            (user.id, company.id): department.id
            for user, company, department in employees
            if (department.id, company.id) in wanted
        }
