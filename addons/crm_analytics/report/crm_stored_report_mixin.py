from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from odoo.addons.crm_relationship.tools import cron
from odoo.addons.crm_relationship.tools.cron import in_user_language

MANAGER_GROUP = "crm_relationship.group_relationship_manager"


class CrmStoredReportMixin(models.AbstractModel):
    """A report kept in a table of its own: an SQL query too slow to run at each
    read of a pivot or graph (the cohort and churn reports read every posted
    invoice: at 100k customers each ``read_group`` took seconds, and a pivot makes
    four) is run once per company by :meth:`_refresh`, and its rows inserted.

    A report model inherits this mixin, declares its columns as fields (read-only,
    ``company_id`` and ``refreshed_at`` come from here) and returns its query from
    :meth:`_stored_report_query`: one column per stored field of the model but
    ``id``, ``refreshed_at`` and the log fields, named as the fields. The daily
    cron (:meth:`_cron_refresh`, ``data/ir_cron_data.xml``) rewrites each company's
    rows and commits company by company; managers refresh at once with
    :meth:`action_refresh`. Each row says when it was computed (``refreshed_at``):
    the figures are as of then, not live. Record rules apply as on any model.
    """

    _name = "crm.stored.report.mixin"
    _description = "Stored SQL report"

    company_id = fields.Many2one("res.company", readonly=True, index=True)
    refreshed_at = fields.Datetime(
        "Refreshed on",
        readonly=True,
        help="When the figures of this company were computed: invoices posted "
        "since then count from the next refresh (daily, or Refresh now).",
    )

    def _stored_report_query(self, companies):
        """The report's rows for ``companies`` (a ``res.company`` recordset), as
        an ``SQL`` SELECT whose columns are named as the fields."""
        raise NotImplementedError

    def _stored_report_columns(self):
        """The columns the query fills, in the fields' order."""
        skip = {"id", "refreshed_at", *models.LOG_ACCESS_COLUMNS}
        return [
            name
            for name, field in self._fields.items()
            if field.store and field.column_type and name not in skip
        ]

    @api.model
    def _refresh(self, companies=None, commit=False):
        """Rewrite the rows of ``companies`` (all companies by default) from the
        live query, one company at a time: delete its rows, insert the query's.

        With ``commit``, each company's rows are committed as soon as written and
        the cron's progress reported, a company run again after a concurrency
        failure (not in tests: see ``tools.cron.run_batch``); otherwise the
        caller's transaction holds them all.

        :return: number of companies refreshed
        """
        if companies is None:
            companies = self.env["res.company"].search([])
        # sudo: the figures of each company are computed whole, whoever asks;
        # reading them goes through the record rules
        companies = companies.sudo()
        self.env.flush_all()
        columns = SQL(", ").join(map(SQL.identifier, self._stored_report_columns()))
        table = SQL.identifier(self._table)
        uid = self.env.uid

        def refresh(company):
            # Two refreshes at once (the cron and a manager's) would each delete
            # the rows they see and insert theirs: twice the rows. The lock makes
            # the second wait for the first's commit; readers are not blocked. The
            # cron's batch takes its snapshot after the lock (see below); a
            # manager's request, whose snapshot is older, then fails on the rows
            # the cron deleted (a serialization failure) and Odoo runs it again.
            self.env.cr.execute(SQL("LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE", table))
            self.env.cr.execute(
                SQL("DELETE FROM %s WHERE company_id = %s", table, company.id)
            )
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO %(table)s (%(columns)s, refreshed_at,
                                           create_uid, create_date,
                                           write_uid, write_date)
                    SELECT %(columns)s, now() AT TIME ZONE 'UTC',
                           %(uid)s, now() AT TIME ZONE 'UTC',
                           %(uid)s, now() AT TIME ZONE 'UTC'
                      FROM (%(query)s) AS report
                    """,
                    table=table,
                    columns=columns,
                    uid=uid,
                    query=self._stored_report_query(company),
                )
            )

        if commit:
            # a fresh transaction for the first company, as for the next ones: its
            # snapshot is taken after the lock, so the rows a manager's refresh
            # committed since the run started are seen, and deleted, even in a
            # company that had none (there, no conflict would tell)
            cron.commit_progress(self.env, 0, len(companies))
        for done, company in enumerate(companies, start=1):
            if commit:
                cron.run_batch(
                    self.env,
                    lambda company=company: refresh(company),
                    done,
                    len(companies) - done,
                )
            else:
                refresh(company)
        self.invalidate_model()
        return len(companies)

    @api.model
    @in_user_language
    def _cron_refresh(self):
        """Daily: every company's rows, committed company by company."""
        self._refresh(commit=True)

    def action_refresh(self):
        """Refresh now, for the companies the manager works in."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(_("Only relationship managers can refresh this report."))
        self._refresh(self.env.companies)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("The report was refreshed."),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _refresh_if_empty(self):
        """At install and update: fill an empty table, so that the report shows
        figures before the first cron run."""
        self.env.cr.execute(
            SQL("SELECT 1 FROM %s LIMIT 1", SQL.identifier(self._table))
        )
        if not self.env.cr.fetchone():
            self._refresh()
