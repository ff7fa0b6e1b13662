"""Every write of the scheduler: an organisation's schedule, "run now", and what the worker
records as it plans, runs, fails and retries close of business.

The queue is django-q2's, kept in the same database (its ORM broker): a run is queued in the
same transaction that records it, so a run is never recorded without its task nor queued
without its record. The worker-side functions (`plan_due_runs`, `execute_run`) act for no
person: they run as the schedule's `run_as`, whose right close of business checks again.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_q.models import Schedule
from django_q.tasks import async_task

from tandir.core.errors import Conflict, NotAllowed, NotFound, TandirError
from tandir.jobs import planning
from tandir.jobs.locks import lock_organization_runs
from tandir.jobs.models import CloseSchedule, Job, JobRun, RunStatus, Trigger
from tandir.jobs.queries import failed_step, has_active_run, time_zone_of
from tandir.orgs.models import Organization, StaffUser
from tandir.orgs.roles import Right, has_right, is_platform_operator

RUN_TASK = "tandir.jobs.tasks.run_job"
PLAN_TASK = "tandir.jobs.tasks.plan_close_of_business"
PLAN_SCHEDULE_NAME = "tandir: close of business when due"
ERROR_CHARS = 4000


class ScheduleRefused(TandirError):
    """The schedule or the run asked for breaks a rule; nothing was changed."""

    code = "schedule_refused"


def _require(user: StaffUser, right: Right) -> None:
    if not has_right(user, right):
        raise NotAllowed(_("Your role does not allow this."))


def _own_organization(user: StaffUser, organization: Organization) -> None:
    if not is_platform_operator(user) and user.organization_id != organization.pk:
        raise NotFound(_("No such organisation."))


def _check_run_as(organization: Organization, run_as: StaffUser) -> None:
    if run_as.organization_id != organization.pk or not run_as.is_active:
        raise ScheduleRefused(
            _("Close of business must run as an active member of this organisation's staff."),
            code="run_as_outside",
        )
    if not has_right(run_as, Right.RUN_CLOSE_OF_BUSINESS):
        raise ScheduleRefused(
            _("%(name)s may not run close of business: choose an accountant or administrator.")
            % {"name": run_as.get_full_name() or run_as.username},
            code="run_as_without_right",
        )


# --- The schedule and "run now" ----------------------------------------------------------------


@transaction.atomic
def set_schedule(
    administrator: StaffUser,
    organization: Organization,
    *,
    run_at: datetime.time,
    time_zone: str,
    run_as: StaffUser,
    enabled: bool = True,
) -> CloseSchedule:
    """Set when the organisation's business day closes each night, and as whom."""
    _require(administrator, Right.RUN_CLOSE_OF_BUSINESS)
    _own_organization(administrator, organization)
    if not planning.is_time_zone(time_zone):
        raise ScheduleRefused(
            _("%(zone)s is not a time zone this server knows.") % {"zone": time_zone},
            code="unknown_time_zone",
        )
    _check_run_as(organization, run_as)
    schedule = lock_organization_runs(organization.pk)
    if schedule is None:
        schedule = CloseSchedule(organization=organization)
    schedule.enabled = enabled
    schedule.run_at = run_at.replace(second=0, microsecond=0, tzinfo=None)
    schedule.time_zone = time_zone
    schedule.run_as = run_as
    schedule._history_user = administrator  # type: ignore[attr-defined]
    schedule.save()
    return schedule


@transaction.atomic
def run_now(user: StaffUser, organization: Organization) -> JobRun:
    """Queue close of business through the organisation's yesterday (its own time zone)."""
    _require(user, Right.RUN_CLOSE_OF_BUSINESS)
    _own_organization(user, organization)
    schedule = lock_organization_runs(organization.pk)
    now = timezone.now()
    _give_up_lost_runs(now, organization_id=organization.pk)
    if has_active_run(organization.pk):
        raise Conflict(
            _("Close of business is already waiting or running for this organisation."),
            code="already_running",
        )
    zone = time_zone_of(organization, schedule)
    through = planning.local_yesterday(now, zone)
    return _queue(organization, through, run_as=user, trigger=Trigger.MANUAL, at=now)


# --- The worker's side -------------------------------------------------------------------------


def _queue(
    organization: Organization,
    through: datetime.date,
    *,
    run_as: StaffUser,
    trigger: str,
    at: datetime.datetime,
    first_attempt: JobRun | None = None,
    attempt: int = 1,
) -> JobRun:
    run = JobRun.objects.create(
        organization=organization,
        job=Job.CLOSE_OF_BUSINESS,
        through=through,
        trigger=trigger,
        attempt=attempt,
        first_attempt=first_attempt,
        run_as=run_as,
        planned_for=at,
    )
    if at <= timezone.now():
        task_id = async_task(
            RUN_TASK,
            run.pk,
            task_name=f"close-of-business-{organization.pk}-{through}-{run.pk}",
            group=f"close-of-business-{organization.pk}",
        )
    else:
        # A retry waits: the library's scheduler hands it to a worker when its time comes.
        planned = Schedule.objects.create(
            name=f"tandir: close of business run {run.pk}",
            func=RUN_TASK,
            args=repr((run.pk,)),
            schedule_type=Schedule.ONCE,
            repeats=-1,
            next_run=at,
        )
        task_id = f"schedule-{planned.pk}"
    JobRun.objects.filter(pk=run.pk).update(task_id=str(task_id or "")[:40])
    run.task_id = str(task_id or "")[:40]
    return run


def _give_up_lost_runs(now: datetime.datetime, *, organization_id: int | None = None) -> None:
    """A run still "running" past the worker's timeout lost its worker (killed, or the
    machine stopped): record it failed, and retried like any failure."""
    cutoff = now - datetime.timedelta(seconds=settings.TANDIR_JOB_TIMEOUT + 60)
    lost = JobRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=cutoff)
    if organization_id is not None:
        lost = lost.filter(organization_id=organization_id)
    for run in lost.select_related("organization", "run_as"):
        _record_failure(run, _("The worker stopped while this ran."), retry=True)


def plan_due_runs(now: datetime.datetime | None = None) -> list[JobRun]:
    """Queue close of business for every organisation whose local hour has passed and whose
    due business date is neither closed nor queued yet. Close of business then catches up
    every missing date in order, so one run per organisation is enough."""
    now = now or timezone.now()
    _give_up_lost_runs(now)
    queued = []
    for schedule in CloseSchedule.objects.filter(enabled=True).order_by("organization_id"):
        through = planning.due_through(now, schedule.run_at, schedule.time_zone)
        if _already_done(schedule, through):
            continue
        run = _queue_scheduled(schedule.organization_id, now)
        if run is not None:
            queued.append(run)
    return queued


def _already_done(schedule: CloseSchedule, through: datetime.date) -> bool:
    return any(
        done is not None and done >= through
        for done in (schedule.planned_through, schedule.closed_through)
    )


@transaction.atomic
def _queue_scheduled(organization_id: int, now: datetime.datetime) -> JobRun | None:
    schedule = lock_organization_runs(organization_id)
    if schedule is None or not schedule.enabled:
        return None
    # Looked at again under the lock: another look of the scheduler may have queued it.
    through = planning.due_through(now, schedule.run_at, schedule.time_zone)
    if _already_done(schedule, through) or has_active_run(organization_id):
        return None
    run = _queue(
        schedule.organization,
        through,
        run_as=schedule.run_as,
        trigger=Trigger.SCHEDULE,
        at=now,
    )
    CloseSchedule.objects.filter(pk=schedule.pk).update(planned_through=through)
    return run


def _close_business() -> Callable[..., Sequence[Any]]:
    """The job itself: tandir.cob's `close_business`, or what settings put in its place."""
    job: Callable[..., Sequence[Any]] = import_string(settings.TANDIR_JOBS_CLOSE_BUSINESS)
    return job


def execute_run(run_id: int) -> JobRun | None:
    """Run a queued run, once: close of business through its date, progress recorded as it
    goes. A failure is recorded, retried later with backoff, and raised again so the task
    queue records it too. Nothing happens for a run already taken, finished or failed."""
    started = timezone.now()
    taken = JobRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=started
    )
    if not taken:
        return None
    run = JobRun.objects.select_related("organization", "run_as").get(pk=run_id)

    def progress(done: int, total: int) -> None:
        JobRun.objects.filter(pk=run_id).update(days_done=done, days_total=total)

    try:
        closed = _close_business()(
            run.run_as, run.organization, through=run.through, progress=progress
        )
    except Exception as exc:
        message = exc.message if isinstance(exc, TandirError) else f"{type(exc).__name__}: {exc}"
        # A refusal of rights or scope will not change by waiting; anything else may.
        _record_failure(run, message, retry=not isinstance(exc, (NotAllowed, NotFound)))
        raise
    _record_success(run, closed)
    return run


def _record_success(run: JobRun, closed: Sequence[Any]) -> None:
    dates: list[datetime.date] = sorted(
        day.business_date for day in closed if getattr(day, "business_date", None) is not None
    )
    run.status = RunStatus.FINISHED
    run.finished_at = timezone.now()
    run.first_date = dates[0] if dates else None
    run.days_done = len(dates)
    run.days_total = max(run.days_total, len(dates))
    run.error = ""
    with transaction.atomic():
        fields = ["status", "finished_at", "first_date", "days_done", "days_total", "error"]
        run.save(update_fields=fields)
        CloseSchedule.objects.filter(organization_id=run.organization_id).filter(
            Q(closed_through__isnull=True) | Q(closed_through__lt=run.through)
        ).update(closed_through=run.through)


def _record_failure(run: JobRun, message: str, *, retry: bool) -> None:
    step = failed_step(run.organization_id, run.through)
    delays = settings.TANDIR_JOBS_RETRY_DELAYS
    with transaction.atomic():
        failed = JobRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            error=message[:ERROR_CHARS],
            step=step[:100],
        )
        if not failed or not retry or run.attempt > len(delays):
            return
        delay = datetime.timedelta(seconds=delays[run.attempt - 1])
        _queue(
            run.organization,
            run.through,
            run_as=run.run_as,
            trigger=Trigger.RETRY,
            at=timezone.now() + delay,
            first_attempt=run.first_attempt or run,
            attempt=run.attempt + 1,
        )


def install_periodic_jobs() -> Schedule:
    """The scheduler's look for due organisations, every few minutes, in the task queue's
    schedules (created once; a changed interval is applied when the worker starts)."""
    every = settings.TANDIR_JOBS_PLAN_EVERY_MINUTES
    with transaction.atomic():
        schedule = Schedule.objects.filter(name=PLAN_SCHEDULE_NAME).first()
        if schedule is None:
            return Schedule.objects.create(
                name=PLAN_SCHEDULE_NAME,
                func=PLAN_TASK,
                schedule_type=Schedule.MINUTES,
                minutes=every,
                repeats=-1,
                next_run=planning.next_look(timezone.now(), every),
            )
        if (schedule.func, schedule.minutes, schedule.repeats) != (PLAN_TASK, every, -1):
            schedule.func, schedule.minutes, schedule.repeats = PLAN_TASK, every, -1
            schedule.schedule_type = Schedule.MINUTES
            schedule.save()
        return schedule
