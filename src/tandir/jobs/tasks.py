"""The functions the task queue (django-q2) calls: thin, each hands over to an action."""

from __future__ import annotations

from tandir.jobs import actions


def plan_close_of_business() -> int:
    """The periodic look: queue close of business where it is due; how many were queued."""
    return len(actions.plan_due_runs())


def run_job(run_id: int) -> str:
    """Run one queued run; its status, or "skipped" for a run already taken or done."""
    run = actions.execute_run(run_id)
    return run.status if run is not None else "skipped"
