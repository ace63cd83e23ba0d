"""What every batched cron of both addons does between two batches."""

import functools
import threading

from odoo.service.model import retrying
from odoo.tools import SQL


def _testing():
    return getattr(threading.current_thread(), "testing", False)


def commit_progress(env, done, remaining):
    """Report progress to the running cron and commit the batch, as
    website.visitor's cleaning cron does. Tests share one transaction: no commit
    there."""
    env["ir.cron"]._notify_progress(done=done, remaining=remaining)
    if not _testing():
        env.cr.commit()  # pylint: disable=invalid-commit


def run_batch(env, work, done, remaining):
    """Run one batch of a cron (``work()``), then report its progress and commit it.

    A concurrency failure (a serialization failure: a user's posting changed a card
    or a score this batch had read; a deadlock; a lock not available) rolls back
    this batch only, which runs again in a new transaction, as Odoo's request
    handler does for users (``odoo.service.model.retrying``: up to 5 tries, random
    back-off). ir.cron itself (18.0) does not retry: a failed batch ends the run,
    which counts as a failure (rescheduled at the next interval, a day for the daily
    jobs) unless an earlier batch had committed progress. ``work`` must read what it
    needs again (it runs on a fresh snapshot) and may commit itself: a retry then
    starts again from its last commit. Tests share one transaction: no retry, no
    commit there.
    """

    def step():
        work()
        env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    if _testing():
        step()
    else:
        retrying(step, env)


def in_user_language(method):
    """A cron method run in its user's language when the context names none.

    ir.cron (18.0) runs a job as its user with a context holding no language
    (``method_direct_trigger`` as well): Odoo's ``_()`` then reads the user's
    language (``res.users.context_get``), but ``self.env._()``, translated fields
    and the labels of selections read the context's and fall back to English.
    What a job writes (opportunity names, chatter lines, reasons) is in the
    language of the user it runs as, as the rest of Odoo's jobs.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not self.env.lang:
            self = self.with_context(lang=self.env.user.lang)
        return method(self, *args, **kwargs)

    return wrapper


def claim_rows(env, table, ids):
    """Make the transactions that write after reading ``ids`` of ``table`` take
    turns: a no-op update of those rows (nothing changes, not even
    ``write_date``). Of two REPEATABLE READ transactions that both claim a row, the
    one whose snapshot predates the other's commit fails with a serialization
    failure, which Odoo runs again on a fresh snapshot (a user's request, a batch
    of ``run_batch``), where it sees what the other committed. A ``SELECT ... FOR
    UPDATE`` would only wait, then go on with its old snapshot.

    :param table: the table's name (an identifier, not user input)
    :param ids: list of int
    """
    if ids:
        env.cr.execute(
            SQL(
                "UPDATE %(table)s SET write_date = write_date WHERE id = ANY(%(ids)s)",
                table=SQL.identifier(table),
                ids=list(ids),
            )
        )
