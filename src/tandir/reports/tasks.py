"""The functions the task queue (django-q2) calls for reports: thin, each hands over to an
action."""

from __future__ import annotations

from tandir.reports import actions


def run_report(run_id: int) -> str:
    """Make one queued report; its status, or "skipped" for a run already taken or done."""
    run = actions.execute_report_run(run_id)
    return run.status if run is not None else "skipped"
