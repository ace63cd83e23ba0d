"""What every batched cron of both addons does between two batches."""

import threading


def commit_progress(env, done, remaining):
    """Report progress to the running cron and commit the batch, as
    website.visitor's cleaning cron does. Tests share one transaction: no commit
    there."""
    env["ir.cron"]._notify_progress(done=done, remaining=remaining)
    if not getattr(threading.current_thread(), "testing", False):
        env.cr.commit()  # pylint: disable=invalid-commit
