"""The worker end to end, in this process: a run is queued, the task queue's own pusher,
worker and monitor (django-q2) work the queue, and the outcome is recorded on the run.

These tests commit (`transaction=True`) as the real worker does: it works outside any request.
"""

from __future__ import annotations

import datetime
import importlib
from typing import Any

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task
from django_q.scheduler import scheduler

from tandir.jobs import actions
from tandir.jobs.management.commands.worker import run_burst
from tandir.jobs.models import CloseSchedule, JobRun, RunStatus, Trigger
from tandir.jobs.planning import local_yesterday
from tests.factories import World
from tests.jobs import factories
from tests.jobs.factories import FAILING_JOB, FIRST_DAY, REFUSING_JOB, accountant

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_queued_run_is_worked_and_its_outcome_recorded(world: World) -> None:
    staff = accountant(world)
    run = actions.run_now(staff, world.org)
    through = local_yesterday(timezone.now(), "Asia/Yerevan")
    days = (through - FIRST_DAY).days + 1

    assert run_burst() == 1

    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED
    assert (run.first_date, run.through) == (FIRST_DAY, through)
    assert (run.days_done, run.days_total) == (days, days)
    assert run.started_at is not None and run.finished_at is not None
    assert run.duration is not None and run.duration >= datetime.timedelta(0)
    assert run.error == ""
    call = {"officer": staff.username, "organization": world.org.pk, "through": through}
    recorded = factories.CALLS
    assert recorded == [call]
    assert factories.CLOSED[world.org.pk][-1] == through
    # The task queue kept its own record of the task and emptied its queue.
    assert Task.objects.get().success is True
    assert not OrmQ.objects.exists()


def test_the_schedule_learns_what_was_closed_and_queues_nothing_more(world: World) -> None:
    staff = accountant(world)
    actions.set_schedule(
        staff, world.org, run_at=datetime.time(0, 0), time_zone="Asia/Yerevan", run_as=staff
    )
    now = timezone.now()
    [run] = actions.plan_due_runs(now)
    assert run_burst() == 1
    schedule = CloseSchedule.objects.get()
    assert schedule.closed_through == run.through == schedule.planned_through
    assert actions.plan_due_runs(now) == []
    # A second delivery of the same task (the queue hands out a task again after a crash)
    # runs nothing twice.
    assert actions.execute_run(run.pk) is None
    assert len(factories.CALLS) == 1


def test_a_failing_job_is_retried_with_backoff_then_recorded_failed(
    world: World, settings: Any
) -> None:
    settings.TANDIR_JOBS_CLOSE_BUSINESS = FAILING_JOB
    first = actions.run_now(accountant(world), world.org)

    # Two retries without delay (the test's setting): three attempts in one burst.
    assert run_burst() == 3

    runs = list(JobRun.objects.order_by("attempt"))
    assert [(r.attempt, r.trigger, r.status) for r in runs] == [
        (1, Trigger.MANUAL, RunStatus.FAILED),
        (2, Trigger.RETRY, RunStatus.FAILED),
        (3, Trigger.RETRY, RunStatus.FAILED),
    ]
    assert {r.error for r in runs} == {"RuntimeError: the database went away"}
    assert [r.first_attempt_id for r in runs] == [None, first.pk, first.pk]
    assert len(factories.CALLS) == 3
    # The task queue records each failure too, and keeps nothing waiting.
    assert Task.objects.filter(success=False).count() == 3
    assert not OrmQ.objects.exists()
    # Once the retries are spent, the organisation may be run again.
    assert actions.run_now(world.admin, world.org).attempt == 1


def test_a_retry_waits_for_its_delay_in_the_task_queues_schedule(
    world: World, settings: Any
) -> None:
    settings.TANDIR_JOBS_CLOSE_BUSINESS = FAILING_JOB
    settings.TANDIR_JOBS_RETRY_DELAYS = [300]
    actions.run_now(accountant(world), world.org)
    before = timezone.now()
    assert run_burst() == 1
    retry = JobRun.objects.get(attempt=2)
    assert retry.status == RunStatus.QUEUED
    planned = Schedule.objects.get(name=f"tandir: close of business run {retry.pk}")
    assert planned.schedule_type == Schedule.ONCE
    assert planned.next_run - before >= datetime.timedelta(seconds=300)
    assert retry.planned_for == planned.next_run
    # Not before its time.
    assert run_burst() == 0
    # When its time has come, the library's scheduler hands it to the worker.
    Schedule.objects.filter(pk=planned.pk).update(next_run=timezone.now())
    settings.TANDIR_JOBS_CLOSE_BUSINESS = factories.FAKE_JOB
    scheduler()
    assert run_burst() == 1
    retry.refresh_from_db()
    assert retry.status == RunStatus.FINISHED
    assert not Schedule.objects.filter(pk=planned.pk).exists()


def test_a_refusal_of_rights_is_recorded_and_not_retried(world: World, settings: Any) -> None:
    settings.TANDIR_JOBS_CLOSE_BUSINESS = REFUSING_JOB
    run = actions.run_now(accountant(world), world.org)
    assert run_burst() == 1
    run.refresh_from_db()
    assert (run.status, run.error) == (RunStatus.FAILED, "Your role does not allow this.")
    assert JobRun.objects.count() == 1


def test_the_periodic_look_runs_from_the_task_queues_schedule(world: World) -> None:
    staff = accountant(world)
    actions.set_schedule(
        staff, world.org, run_at=datetime.time(0, 0), time_zone="Asia/Yerevan", run_as=staff
    )
    look = actions.install_periodic_jobs()
    Schedule.objects.filter(pk=look.pk).update(next_run=timezone.now())
    # The look, then the run it queued.
    assert run_burst() == 2
    run = JobRun.objects.get()
    assert (run.trigger, run.status) == (Trigger.SCHEDULE, RunStatus.FINISHED)
    look.refresh_from_db()
    assert look.next_run > timezone.now()


def _real_close_business() -> Any:
    try:
        module = importlib.import_module("tandir.cob.actions")
    except ImportError:
        return None
    return getattr(module, "close_business", None)


@pytest.mark.skipif(_real_close_business() is None, reason="tandir.cob has no close_business yet")
def test_the_worker_runs_the_real_close_of_business(world: World, settings: Any) -> None:
    from tests.lending_factories import build_lending, disbursed_loan

    settings.TANDIR_JOBS_CLOSE_BUSINESS = "tandir.cob.actions.close_business"
    lending = build_lending(world)
    disbursed_on = timezone.localdate() - datetime.timedelta(days=3)
    disbursed_loan(lending, lending.declining, on=disbursed_on)
    run = actions.run_now(lending.accountant, world.org)
    assert run_burst() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED, run.error
    assert run.through == local_yesterday(timezone.now(), "Asia/Yerevan")
    # Every date from the first disbursement through yesterday, in one run.
    assert run.first_date is not None and disbursed_on <= run.first_date <= run.through
    assert run.days_done == (run.through - run.first_date).days + 1
    # Run again: nothing is left to close.
    again = actions.run_now(lending.accountant, world.org)
    assert run_burst() == 1
    again.refresh_from_db()
    assert (again.status, again.days_done) == (RunStatus.FINISHED, 0)
