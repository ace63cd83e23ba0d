import logging
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime
from types import SimpleNamespace

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, float_repr, format_amount
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
# States read as of a day from the documents: (label, the records measured)
STATE_MEASURES = [
    ("customers", "Customers who have bought"),
    ("retained_customers", "Customers not lost"),
    ("lost_customers", "Lost customers"),
    ("lifetime_value", "Lifetime value of the customers"),
    ("loyalty_members", "Customers holding a loyalty card"),
    ("open_invoices", "Amount open on customer invoices"),
    ("overdue_invoices", "Amount overdue on customer invoices"),
]
STATE_MODELS = {
    "customers": "crm.relationship.score",
    "retained_customers": "crm.relationship.score",
    "lost_customers": "crm.relationship.score",
    "lifetime_value": "crm.relationship.score",
    "loyalty_members": "crm.relationship.score",
    "open_invoices": "account.move",
    "overdue_invoices": "account.move",
}
# the shipped KPIs that are states, for databases installed before states existed
CATALOGUE_STATES = {
    "kpi_open_invoice_amount": "open_invoices",
    "kpi_overdue_amount": "overdue_invoices",
    "kpi_average_clv": "lifetime_value",
    "kpi_scored_customers": "customers",
    "kpi_retained_customers": "retained_customers",
    "kpi_lost_customers": "lost_customers",
    "kpi_loyalty_members": "loyalty_members",
}
# What a KPI counts: changing one of these makes the writer its author.
DEFINITION_FIELDS = (
    "measure",
    "model_id",
    "domain",
    "date_field_id",
    "date_mode",
    "state_measure",
    "field_id",
    "numerator_id",
    "denominator_id",
    "company_field_id",
    "user_field_id",
    "team_field_id",
    "department_field_id",
)
# Sources no KPI may count, whatever its author's rights. Odoo's spreadsheets and
# saved filters (ir.filters) rely on access rights alone, and base_automation on
# a model having fields; a KPI's values are recorded by a job and shown to every
# relationship user, so a list stands in front of the rights: the framework's own
# records (configuration parameters, mail servers and their passwords, actions,
# crons, attachments, access rules), the messaging bus, and the records that hold
# credentials or sessions. Transient and abstract models hold no business records.
TECHNICAL_MODEL_PREFIXES = ("ir.", "base.", "bus.", "res.users.apikeys")
TECHNICAL_MODELS = frozenset(
    {
        "auth_totp.device",
        "fetchmail.server",
        "iap.account",
        "mail.mail",
        "payment.provider",
        "payment.token",
        "res.device",
        "res.device.log",
        "res.users.identitycheck",
        "res.users.log",
        "res.users.settings",
    }
)


def is_technical_source(model):
    """Whether a KPI may never count the records of ``model`` (an Odoo model or
    its class)."""
    return (
        model._transient
        or model._abstract
        or model._name in TECHNICAL_MODELS
        or model._name.startswith(TECHNICAL_MODEL_PREFIXES)
    )


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

    A state (retention, lifetime value, what is open or overdue) is read as of the
    period's last day from the documents (invoices, payments, loyalty cards), never
    from what the records say today: March's retention is the one of 31 March.
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
        domain=lambda self: self._source_domain(),
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
            ("as_of", "State at the end of the period"),
            ("none", "Current state (no date)"),
        ],
        required=True,
        default="period",
        help="Dated in the period: a flow, such as revenue. Up to the end of the "
        "period: a balance, such as receivables. State at the end of the period: "
        "a measured state, such as retention, worked out from the documents as of "
        "the period's last day (today while the period runs). Current state: what "
        "the records say now, whatever the period; only snapshots keep it for past "
        "periods.",
    )
    state_measure = fields.Selection(
        STATE_MEASURES,
        "Measured state",
        help="What is read as of the end of each period. Customers: those with a "
        "posted invoice by then. Not lost / lost: their churn state on that day, by "
        "the scoring profile's rule (days since the last purchase against the "
        "customer's usual interval between purchases). Lifetime value: invoiced "
        "less refunded up to that day. Loyalty card: a card of a loyalty program "
        "issued by that day and not archived before it. Open and overdue amounts: "
        "what remained unpaid on posted customer invoices that day (payments and "
        "credit notes reconciled by then deducted), overdue when due before it. "
        "Count counts the customers or invoices, Sum and Average take the amounts.",
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
    author_id = fields.Many2one(
        "res.users",
        "Defined by",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="Who last changed what the KPI counts. Its values never include "
        "records this person may not read, in the scorecard's company; while "
        "their user is archived, the KPI is not measured.",
    )
    author_warning = fields.Char("Not measured", compute="_compute_author_warning")

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends(
        "author_id.active", "model_id", "measure", "numerator_id", "denominator_id"
    )
    def _compute_author_warning(self):
        for kpi in self:
            kpi.author_warning = kpi._author_issue() or False

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

    @api.onchange("state_measure")
    def _onchange_state_measure(self):
        """A measured state is read from its own records: pick their model."""
        for kpi in self:
            if kpi.date_mode == "as_of" and kpi.state_measure:
                model = self.env["ir.model"]._get(STATE_MODELS[kpi.state_measure])
                if kpi.model_id != model:
                    kpi.model_id = model
                    kpi._onchange_model_id()

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

    @api.constrains(*DEFINITION_FIELDS)
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
            kpi._check_source_allowed()
            kpi._check_fields()
            kpi._check_company_field()
            kpi._check_source_access()
            kpi._parse_domain(fields.Date.today(), fields.Date.today())

    def _check_company_field(self):
        """A source with companies is measured per company: without its company
        field, the superuser job that records the values would count every
        company's records for each one."""
        field = self.env[self.model_name]._fields.get("company_id")
        if (
            not self.company_field_id
            and field is not None
            and field.type == "many2one"
            and field.comodel_name == "res.company"
            and field.store
        ):
            raise ValidationError(
                _(
                    "KPI “%(kpi)s”: %(model)s belongs to companies: choose its "
                    "company field.",
                    kpi=self.name,
                    model=self.model_id.name,
                )
            )

    @api.model
    def _source_domain(self):
        """The models a KPI may choose from: ``model_id``'s domain."""
        technical = [
            name
            for name, model in self.env.registry.items()
            if is_technical_source(model)
        ]
        return [("transient", "=", False), ("model", "not in", sorted(technical))]

    def _check_source_allowed(self):
        """Technical records are never counted, whoever defines the KPI (see
        ``TECHNICAL_MODELS``)."""
        if is_technical_source(self.env[self.model_name]):
            raise ValidationError(
                _(
                    "KPI “%(kpi)s”: %(model)s holds technical records, which no KPI "
                    "may count.",
                    kpi=self.name,
                    model=self.model_id.name,
                )
            )

    def _check_source_access(self):
        """The author of a KPI may read its source: its values are recorded by a
        superuser job and shown to every relationship user, so a KPI must not count
        what its author could not read (system parameters, API keys)."""
        if self.env.su or self.env[self.model_name].has_access("read"):
            return
        raise ValidationError(
            _(
                "KPI “%(kpi)s”: you may not read %(model)s, so you cannot measure it.",
                kpi=self.name,
                model=self.model_id.name,
            )
        )

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
        if self.date_mode == "as_of":
            self._check_state()
        elif self.date_mode != "none":
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
        # a measured state adds up its own amounts, not a field's
        if self.measure in ("sum", "avg") and self.date_mode != "as_of":
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

    def _check_state(self):
        """A measured state needs its kind, read from that kind's records."""
        if not self.state_measure:
            raise ValidationError(
                _(
                    "KPI “%s” is read at the end of the period: choose the measured "
                    "state.",
                    self.name,
                )
            )
        expected = STATE_MODELS[self.state_measure]
        if self.model_name != expected:
            raise ValidationError(
                _(
                    "KPI “%(kpi)s”: %(state)s is measured on %(model)s.",
                    kpi=self.name,
                    state=dict(
                        self._fields["state_measure"]._description_selection(self.env)
                    )[self.state_measure],
                    model=self.env["ir.model"]._get(expected).name,
                )
            )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        """The creator is the author (``author_id``); only the superuser (a data
        file, a migration) names another one."""
        for vals in vals_list:
            if not (self.env.su and "author_id" in vals):
                vals["author_id"] = self.env.uid
        return super().create(vals_list)

    def write(self, vals):
        """Whoever changes what the KPI counts becomes its author: the KPI then
        counts only what they may read."""
        if any(fname in vals for fname in DEFINITION_FIELDS):
            vals = {**vals, "author_id": self.env.uid}
        elif "author_id" in vals and not self.env.su:
            vals = {k: v for k, v in vals.items() if k != "author_id"}
        return super().write(vals)

    @api.model
    def _upgrade_catalogue_states(self):
        """The shipped state KPIs that still read today's state (created before
        states were read at the end of the period) now read them as of it. Their
        domains, written on today's churn state, payment state or date, go."""
        for xmlid, state in CATALOGUE_STATES.items():
            kpi = self.env.ref(f"crm_analytics.{xmlid}", raise_if_not_found=False)
            if kpi and kpi.date_mode == "none":
                kpi.write(
                    {
                        "date_mode": "as_of",
                        "state_measure": state,
                        "domain": "[]",
                        "field_id": False,
                    }
                )

    # ------------------------------------------------------------
    # DOMAIN
    # ------------------------------------------------------------

    def _domain_eval_context(self, date_from, date_to):
        user = self.env.user
        return {
            "uid": user.id,
            # values, not the record: a record's methods (write, sudo, env, _cr)
            # would let a domain act with the rights of whoever evaluates it
            "user": SimpleNamespace(
                id=user.id,
                name=user.name,
                partner_id=SimpleNamespace(id=user.partner_id.id),
                company_id=SimpleNamespace(id=user.company_id.id),
                company_ids=SimpleNamespace(ids=user.company_ids.ids),
            ),
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
            self._check_domain_paths(domain)
            # Building the query checks every field and operator without running it.
            # sudo: only builds the query to check the domain, reads nothing
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

    def _check_domain_paths(self, domain):
        """Every field a domain names is searchable and readable by the KPI's
        author: Odoo's own search would drop a non-stored field's condition with a
        log line (counting everything), and a field hidden by groups must not be
        probed through counts."""
        for leaf in expression.normalize_domain(domain):
            if not isinstance(leaf, list | tuple) or len(leaf) != 3:
                continue
            if not isinstance(leaf[0], str):
                continue
            Model = self.env[self.model_name]
            for name in leaf[0].split("."):
                field = Model._fields.get(name)
                if field is None:
                    break  # reported by the query built below
                if not (field.store or field.search):
                    raise ValueError(
                        _("%(field)s cannot be searched", field=field.name)
                    )
                if (
                    field.groups
                    and not self.env.su
                    and not self.env.user.has_groups(field.groups)
                ):
                    raise ValueError(
                        _("%(field)s is not readable by you", field=field.name)
                    )
                if not field.relational:
                    break
                Model = self.env[field.comodel_name]

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

    def _display_digits(self, currency):
        """The decimals a value is shown with: what makes two figures read alike."""
        self.ensure_one()
        return currency.decimal_places if self.unit == "currency" else 2

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

        One rule for every reader: a KPI counts what both its author and the reader
        may read, in the owner's company. The reader is the user who looks (the
        scorecard form, the department page, the digest) or nobody (the snapshot
        job, which reads as superuser): then the author's rights alone bound it.

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
            # rights, and within the authors' (see _evaluate_periods).
            for kpi in self.sudo():
                by_period = kpi._evaluate_periods(env, owners, periods, tz_name, cache)
                for period in periods:
                    parts = by_period[period]
                    for owner in owners:
                        values[kpi.id, owner, period] = parts.get(owner)
        return values

    def _evaluate_periods(self, env, owners, periods, tz_name, cache, authors=()):
        """``{period: {owner: value}}`` for one KPI; ratios reuse their parts.

        ``authors`` are the users whose rights bound the value besides ``env``'s:
        the KPI's own author, and those of the ratios it is a part of (a ratio's
        author must not read through another's KPI what they may not read). The
        superuser, author of the shipped KPIs, bounds nothing.
        """
        self.ensure_one()
        author = self.author_id
        if self._own_author_issue():
            return {period: {} for period in periods}
        if not author._is_superuser():
            authors = tuple(sorted({*authors, author.id}))
        key = (self.id, authors)
        if key in cache:
            return cache[key]
        if self.measure == "ratio":
            numerators = self.numerator_id._evaluate_periods(
                env, owners, periods, tz_name, cache, authors
            )
            denominators = self.denominator_id._evaluate_periods(
                env, owners, periods, tz_name, cache, authors
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
            # an owner of a company an author does not belong to is not measured
            companies = self._authors_companies(authors)
            measured = [
                owner for owner in owners if companies is None or owner[2] in companies
            ]
            try:
                result = (
                    self._aggregate(env, measured, periods, tz_name, authors)
                    if measured
                    else {period: {} for period in periods}
                )
            except AccessError as error:
                # The user or an author may not read the source: not available.
                _logger.info(
                    "KPI %s not available to user %s (authors %s): %s",
                    self.id,
                    env.uid,
                    authors,
                    error,
                )
                result = {period: {} for period in periods}
        cache[key] = result
        return result

    def _own_author_issue(self):
        """Why this KPI itself (not its parts) cannot be measured, or False."""
        self.ensure_one()
        kpi = self.sudo()
        author = kpi.author_id
        if not author:
            return _(
                "KPI “%s” has no author: it is not measured until someone saves its "
                "definition again.",
                kpi.name,
            )
        if not author.active and not author._is_superuser():
            return _(
                "KPI “%(kpi)s” was defined by %(author)s, whose user is archived: it "
                "is not measured, nor recorded in the scorecards' history, until "
                "someone saves its definition again.",
                kpi=kpi.name,
                author=author.name,
            )
        if (
            kpi.measure != "ratio"
            and kpi.model_name in self.env
            and is_technical_source(self.env[kpi.model_name])
        ):
            # defined before technical sources were refused
            return _(
                "KPI “%s” counts technical records, which no KPI may count: it is "
                "not measured.",
                kpi.name,
            )
        return False

    def _author_issue(self):
        """Why this KPI or one of its parts cannot be measured, or False."""
        self.ensure_one()
        todo, seen = [self.sudo()], set()
        while todo:
            kpi = todo.pop()
            if kpi.id in seen:
                continue
            seen.add(kpi.id)
            issue = kpi._own_author_issue()
            if issue:
                return issue
            if kpi.measure == "ratio":
                todo.extend(kpi.numerator_id | kpi.denominator_id)
        return False

    def _authors_companies(self, authors):
        """The companies every one of ``authors`` belongs to, None without authors."""
        if not authors:
            return None
        # sudo: which companies the authors belong to bounds what their KPIs count
        users = self.env["res.users"].sudo().browse(authors)
        companies = set(users[0].company_ids.ids)
        for user in users[1:]:
            companies &= set(user.company_ids.ids)
        return companies

    def _authors_domain(self, env, domain, authors, company_ids):
        """``domain`` narrowed to the records every author may read in these
        companies: each author's own search of it (record rules applied to the
        records and to every record a path of the domain goes through), as a
        subquery of the reader's. Raises AccessError when an author may not read
        the source."""
        narrowed = [domain]
        for author_id in authors:
            author_env = env(
                user=author_id,
                su=False,
                context=dict(env.context, allowed_company_ids=list(company_ids)),
            )
            query = author_env[self.model_name]._search(domain)
            narrowed.append([("id", "in", query)])
        return expression.AND(narrowed)

    def _aggregate(self, env, owners, periods, tz_name, authors=()):
        """``{period: {owner: value}}`` from as few grouped queries as possible.

        Periods made of whole months (those of scorecards) share one query per owner
        type, grouped by month as well; a current-state KPI needs one query whatever
        the periods. A domain that uses the period's bounds, or periods that are not
        whole months (a digest's last 7 days), take one query per period.
        """
        if self.date_mode == "as_of":
            if self._uses_bounds():
                # each period reads its own records
                return {
                    period: self._aggregate_states(
                        env, owners, [period], tz_name, authors
                    )[period]
                    for period in periods
                }
            return self._aggregate_states(env, owners, periods, tz_name, authors)
        whole_months = all(kpi_tools.is_whole_months(*period) for period in periods)
        if self._uses_bounds() or not (whole_months or self.date_mode == "none"):
            return {
                period: self._aggregate_buckets(
                    env, owners, [period], tz_name, authors
                )[period]
                for period in periods
            }
        return self._aggregate_buckets(env, owners, periods, tz_name, authors)

    def _uses_bounds(self):
        """Whether the KPI's domain names the period's bounds (then each period
        selects its own records)."""
        domain = self.domain or ""
        return "period_start" in domain or "period_end" in domain

    def _aggregate_buckets(self, env, owners, periods, tz_name, authors=()):
        """One grouped query per owner type covering ``periods``.

        With several periods (all whole months), rows are grouped by month too and
        each period adds up its months; 'up to the end' adds every month up to its
        end. A current-state KPI reads once and gives every period the same value.
        """
        first, last = min(p[0] for p in periods), max(p[1] for p in periods)
        # context_today() of a domain is the day in the evaluated company's zone
        domain = self.with_context(tz=tz_name)._parse_domain(first, last)
        if authors:
            domain = self._authors_domain(
                env, domain, authors, {owner[2] for owner in owners}
            )
        by_month = None
        if self.date_mode != "none":
            if len(periods) > 1:
                by_month = f"{self.date_field_id.name}:month"
            if self.date_mode == "until":
                bounds = self._period_domain(first, last, tz_name)
            else:
                # only the periods' own months: a scorecard's current, previous
                # and last year's month read 3 months, not the 13 between them
                bounds = expression.OR(
                    [
                        self._period_domain(start, end, tz_name)
                        for start, end in kpi_tools.merge_periods(periods)
                    ]
                )
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
            result[period] = {
                owner: self._measure_value(*totals.get(owner, (0.0, 0)))
                for owner in owners
            }
        return result

    def _measure_value(self, total, count):
        """The KPI's value from the sum and count of its records: a count, a sum
        (zero over nothing) or an average (unknown over nothing)."""
        if self.measure == "count":
            return float(count)
        if self.measure == "sum":
            return float(total or 0.0)
        return total / count if count else None

    def _month_in(self, month, period):
        if self.date_mode == "until":
            return month <= period[1]
        return period[0] <= month <= period[1]

    def _owner_columns(self, env, owner_type, owners):
        """How the KPI's source names owners of one type.

        :return: ``(owner field name, owner ids, company ids, via_users)``; a
            department without a department field is read through its members'
            user field, ``via_users`` then maps ``(user id, company id)`` to the
            department id
        """
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
        return owner_field, owner_ids, company_ids, via_users

    def _owner_targets(self, owner_type, owners, via_users, owner_id, company_id):
        """The owners a grouped row of ``(owner id, company id)`` counts for."""
        if owner_type == "company":
            return [("company", owner_id, owner_id)]
        if via_users:
            department_id = via_users.get((owner_id, company_id))
            return [("department", department_id, company_id)] if department_id else []
        if company_id is None:
            return [o for o in owners if o[1] == owner_id]
        return [(owner_type, owner_id, company_id)]

    def _aggregate_owners(self, env, owner_type, owners, domain, aggregates, by_month):
        """``{(owner, month): (sum, count)}`` for owners of one type: one query."""
        Model = env[self.model_name]
        company_field = self.company_field_id.name
        owner_field, owner_ids, company_ids, via_users = self._owner_columns(
            env, owner_type, owners
        )
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
                targets = self._owner_targets(
                    owner_type,
                    owners,
                    via_users,
                    keys[0].id,
                    keys[1].id if len(keys) > 1 else None,
                )
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
            # sudo: the departments' members, to split a KPI by department
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

    # ------------------------------------------------------------
    # STATES AS OF THE END OF A PERIOD
    # ------------------------------------------------------------

    def _aggregate_states(self, env, owners, periods, tz_name, authors=()):
        """``{period: {owner: value}}`` of a measured state, as of each period's end.

        One query per owner type covers every period: the days the state is read
        on are a column of the query, not a loop. A period still running is read
        as of today.
        """
        today = fields.Date.context_today(self.with_context(tz=tz_name))
        as_of = {period: kpi_tools.as_of_date(period[1], today) for period in periods}
        days = sorted(set(as_of.values()))
        by_type = defaultdict(list)
        for owner in owners:
            by_type[owner[0]].append(owner)
        bounds = (min(p[0] for p in periods), max(p[1] for p in periods))
        sums = {}
        for owner_type, typed in by_type.items():
            sums.update(
                self._state_owners(
                    env, owner_type, typed, days, bounds, tz_name, authors
                )
            )
        return {
            period: {
                owner: self._measure_value(*sums.get((owner, as_of[period]), (0.0, 0)))
                for owner in owners
            }
            for period in periods
        }

    def _state_owners(self, env, owner_type, owners, days, bounds, tz_name, authors=()):
        """``{(owner, day): (sum, count)}`` for owners of one type: one query.

        ``bounds`` (first day, last day) are the period bounds the KPI's domain
        may name.

        The records measured are those of the KPI's domain that the user and the
        KPI's authors may read (``_search`` applies the record rules); their state
        on each day comes from the documents behind them. A customer's salesperson
        on a day is the one of the score history's last snapshot by then, the
        current one before any.
        """
        Model = env[self.model_name]
        company_field = self.company_field_id.name
        owner_field, owner_ids, company_ids, via_users = self._owner_columns(
            env, owner_type, owners
        )
        if owner_type != "company" and not owner_field:
            return {}
        # context_today() of a domain is the day in the evaluated company's zone
        domain = self.with_context(tz=tz_name)._parse_domain(*bounds)
        if authors:
            domain = self._authors_domain(env, domain, authors, company_ids)
        if company_field:
            domain = expression.AND([domain, [(company_field, "in", company_ids)]])
        company = SQL.identifier("e", company_field) if company_field else SQL("NULL")
        owner = company if owner_type == "company" else SQL.identifier("e", owner_field)
        by_user = (
            STATE_MODELS[self.state_measure] == "crm.relationship.score"
            and owner_type != "company"
            and owner_field == self.user_field_id.name
        )
        if owner_type == "company" and not company_field:
            owner_filter = SQL("TRUE")
        else:
            owner_filter = SQL("%s = ANY(%s)", SQL("owner_id"), owner_ids)
        state = {
            "periods": SQL(
                "SELECT * FROM unnest(%s::date[], %s::timestamp[])"
                " AS p(as_of, as_of_end)",
                days,
                # the end of each day in UTC, for what is dated with a time
                [kpi_tools.utc_bounds(day, day, tz_name)[1] for day in days],
            ),
            "last_day": days[-1],
            "companies": company_ids,
            "records": Model._search(domain).subselect(),
            "owner": owner,
            "company": company,
            "owner_filter": owner_filter,
        }
        if STATE_MODELS[self.state_measure] == "account.move":
            query = self._invoice_state_sql(state)
        else:
            query = self._customer_state_sql(env, state, by_user)
        env.cr.execute(query)
        sums = defaultdict(lambda: [0.0, 0])
        for day, owner_id, company_id, count, total in env.cr.fetchall():
            if owner_type == "company" and not company_field:
                targets = owners
            else:
                targets = self._owner_targets(
                    owner_type, owners, via_users, owner_id, company_id
                )
            for target in targets:
                pair = sums[target, day]
                pair[0] += float(total or 0.0)
                pair[1] += count
        return {key: tuple(pair) for key, pair in sums.items()}

    def _invoice_state_sql(self, state):
        """``(day, owner, company, count, amount)`` of the posted customer invoices
        open on each day: the receivable less what was reconciled with it by that
        day (as the scoring's payment figures), overdue when due before the day.
        An invoice is open from its accounting date: one dated in a locked period
        enters the books in the next open one, so a closed period's figure does
        not change afterwards.

        Each receivable line is read once with its owner, then meets only the days
        it was open on: those before the day its settlements covered it.
        """
        return SQL(
            """
            WITH periods AS MATERIALIZED (%(periods)s),
            receivable AS MATERIALIZED (
                SELECT e.id AS move_id, aml.id AS line_id, e.date AS booked,
                       COALESCE(e.invoice_date_due, e.invoice_date) AS due,
                       aml.balance, currency.rounding,
                       %(owner)s AS owner_id, %(company)s AS company_key
                  FROM account_move e
                  JOIN account_move_line aml ON aml.move_id = e.id
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN res_company company ON company.id = e.company_id
                  JOIN res_currency currency ON currency.id = company.currency_id
                 WHERE e.state = 'posted' AND e.move_type = 'out_invoice'
                   AND e.company_id = ANY(%(companies)s)
                   AND e.date <= %(last_day)s
                   AND acc.account_type = 'asset_receivable'
                   AND e.id IN %(records)s
            ), settled AS (
                SELECT apr.debit_move_id AS line_id, apr.max_date,
                       SUM(apr.amount) OVER (PARTITION BY apr.debit_move_id
                                             ORDER BY apr.max_date, apr.id)
                           AS running
                  FROM account_partial_reconcile apr
                 WHERE apr.debit_move_id IN (SELECT line_id FROM receivable)
            ), paid AS (
                SELECT r.line_id, MIN(s.max_date) AS paid_date
                  FROM receivable r
                  JOIN settled s ON s.line_id = r.line_id
                 WHERE s.running >= r.balance - r.rounding / 2
                 GROUP BY r.line_id
            ), residuals AS (
                SELECT p.as_of, r.move_id, r.owner_id, r.company_key,
                       MAX(r.due) AS due, MAX(r.rounding) AS rounding,
                       SUM(r.balance - COALESCE((
                           SELECT SUM(apr.amount)
                             FROM account_partial_reconcile apr
                            WHERE apr.debit_move_id = r.line_id
                              AND apr.max_date <= p.as_of), 0)) AS residual
                  FROM periods p
                  JOIN receivable r ON r.booked <= p.as_of
                  LEFT JOIN paid ON paid.line_id = r.line_id
                 WHERE paid.paid_date IS NULL OR paid.paid_date > p.as_of
                 GROUP BY p.as_of, r.move_id, r.owner_id, r.company_key
            )
            SELECT as_of, owner_id, company_key, COUNT(*), SUM(residual)
              FROM residuals
             WHERE residual >= rounding / 2 AND %(overdue)s AND %(owner_filter)s
             GROUP BY as_of, owner_id, company_key
            """,
            **state,
            overdue=SQL("due < as_of")
            if self.state_measure == "overdue_invoices"
            else SQL("TRUE"),
        )

    def _customer_state_sql(self, env, state, by_user):
        """``(day, owner, company, count, sum)`` of the customers who had bought by
        each day, from the running figures of their invoice days: each customer's
        days are read once with its owner, then each day to measure meets the last
        invoice day before it."""
        if self.state_measure in ("retained_customers", "lost_customers"):
            churn = self._churn_sql(env, state["companies"])
            condition = (
                SQL("%s IN ('active', 'at_risk')", churn)
                if self.state_measure == "retained_customers"
                else SQL("%s = 'lost'", churn)
            )
        elif self.state_measure == "loyalty_members":
            # as crm.relationship.score's is_loyalty_member, on that day: a card
            # issued by then, and not archived by then
            condition = SQL(
                """EXISTS (
                    SELECT 1
                      FROM loyalty_card card
                      JOIN loyalty_program program ON program.id = card.program_id
                      JOIN res_partner holder ON holder.id = card.partner_id
                     WHERE program.program_type = 'loyalty'
                       AND holder.commercial_partner_id = w.partner_id
                       AND (program.company_id = w.company_id
                            OR program.company_id IS NULL)
                       AND card.create_date < w.as_of_end
                       AND (card.active OR card.archive_date >= w.as_of_end))"""
            )
        else:
            condition = SQL("TRUE")
        value = SQL("w.clv") if self.state_measure == "lifetime_value" else SQL("1")
        if by_user:
            history = SQL(
                """LEFT JOIN LATERAL (
                    SELECT h.user_id, TRUE AS found
                      FROM crm_relationship_score_history h
                     WHERE h.partner_id = w.partner_id
                       AND h.company_id = w.company_id
                       AND h.snapshot_date <= w.as_of
                     ORDER BY h.snapshot_date DESC LIMIT 1
                ) hist ON TRUE"""
            )
            # no snapshot by then: the current salesperson
            owner = SQL("CASE WHEN hist.found THEN hist.user_id ELSE w.owner_id END")
        else:
            history, owner = SQL(), SQL("w.owner_id")
        return SQL(
            """
            WITH periods AS MATERIALIZED (%(periods)s),
            days AS (
                SELECT am.company_id, am.commercial_partner_id AS partner_id,
                       am.invoice_date AS day,
                       bool_or(am.move_type = 'out_invoice') AS purchase,
                       SUM(am.amount_untaxed_signed) AS amount
                  FROM account_move am
                 WHERE am.state = 'posted' AND am.move_type IN %(move_types)s
                   AND am.company_id = ANY(%(companies)s)
                   AND am.invoice_date <= %(last_day)s
                   AND am.commercial_partner_id IS NOT NULL
                 GROUP BY am.company_id, am.commercial_partner_id, am.invoice_date
            ), runs AS MATERIALIZED (
                SELECT r.*, %(owner)s AS owner_id, %(company)s AS company_key
                  FROM (
                    SELECT company_id, partner_id, day,
                           LEAD(day) OVER customer AS next_day,
                           MIN(day) FILTER (WHERE purchase) OVER customer
                               AS first_day,
                           MAX(day) FILTER (WHERE purchase) OVER customer
                               AS last_day,
                           COUNT(*) FILTER (WHERE purchase) OVER customer
                               AS purchase_days,
                           SUM(amount) OVER customer AS clv
                      FROM days
                    WINDOW customer AS (PARTITION BY company_id, partner_id
                                        ORDER BY day)
                  ) r
                  JOIN crm_relationship_score e
                    ON e.partner_id = r.partner_id AND e.company_id = r.company_id
                 WHERE r.first_day IS NOT NULL AND e.id IN %(records)s
            ), w AS (
                -- the columns the scoring's churn rule reads, as of each day
                SELECT p.as_of, p.as_of_end, r.company_id, r.partner_id,
                       r.owner_id, r.company_key,
                       r.last_day AS last_invoice_date,
                       p.as_of - r.last_day AS recency_days,
                       r.purchase_days AS purchase_count,
                       (r.last_day - r.first_day)::numeric
                           / NULLIF(r.purchase_days - 1, 0) AS purchase_interval_days,
                       r.clv
                  FROM periods p
                  JOIN runs r ON r.day <= p.as_of
                             AND (r.next_day IS NULL OR r.next_day > p.as_of)
            ), measured AS (
                SELECT w.as_of, %(final_owner)s AS owner_id, w.company_key,
                       %(value)s AS value
                  FROM w
                  %(history)s
                 WHERE %(condition)s
            )
            SELECT as_of, owner_id, company_key, COUNT(*), SUM(value)
              FROM measured
             WHERE %(owner_filter)s
             GROUP BY as_of, owner_id, company_key
            """,
            **state,
            move_types=("out_invoice", "out_refund"),
            final_owner=owner,
            value=value,
            history=history,
            condition=condition,
        )

    def _churn_sql(self, env, company_ids):
        """The scoring's churn rule over the ``w`` row, with each company's profile:
        the same rule as the churn state of the scores, read on another day."""
        # sudo: the profile's parameters are the rule itself, whoever reads the KPI
        Profile = env["crm.relationship.scoring.profile"].sudo()
        profiles = {
            profile.company_id.id: profile
            for profile in Profile.search([("company_id", "in", company_ids)])
        }
        # a company never scored has no profile yet: the one it would get
        default = Profile.new(Profile.default_get(list(Profile._fields)))
        Score = env["crm.relationship.score"]
        return SQL(
            "(CASE w.company_id %s END)",
            SQL(" ").join(
                SQL(
                    "WHEN %s THEN %s",
                    company_id,
                    Score._churn_sql(profiles.get(company_id, default)),
                )
                for company_id in company_ids
            ),
        )
