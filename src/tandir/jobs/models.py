"""Scheduled jobs: each organisation's nightly close-of-business schedule and the record of
every run the worker made of it (the queue itself is django-q2's, in the same database)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tandir.core.models import OrganizationScoped, change_history


class Job(models.TextChoices):
    CLOSE_OF_BUSINESS = "close_of_business", _("Close of business")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", _("Schedule")
    MANUAL = "manual", _("Run now")
    RETRY = "retry", _("Retry")


ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)


class CloseSchedule(OrganizationScoped):
    """When an organisation's business day is closed: every night at a local time of day.

    `planned_through` is the last business date the scheduler queued a run for, so a date is
    queued once however often the scheduler looks; `closed_through` the last date a run of
    ours closed (the close of business itself knows best; this only spares needless runs).
    """

    enabled = models.BooleanField(_("runs every night"), default=True)
    run_at = models.TimeField(_("local time of day"), default=datetime.time(1, 30))
    time_zone = models.CharField(_("time zone"), max_length=64)
    run_as = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("runs as"),
    )
    planned_through = models.DateField(_("queued through"), null=True, blank=True)
    closed_through = models.DateField(_("closed through"), null=True, blank=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    history = change_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="close_schedule_once")]
        verbose_name = _("close of business schedule")
        verbose_name_plural = _("close of business schedules")

    def __str__(self) -> str:
        return f"{self.run_at:%H:%M} {self.time_zone}"


class JobRun(OrganizationScoped):
    """One attempt at a job: queued, running, then finished or failed (and maybe retried)."""

    job = models.CharField(_("job"), max_length=30, choices=Job.choices)
    through = models.DateField(_("business date"))
    trigger = models.CharField(_("started by"), max_length=10, choices=Trigger.choices)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    first_attempt = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="retries"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    run_as = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("runs as"),
    )
    queued_at = models.DateTimeField(_("queued"), auto_now_add=True)
    planned_for = models.DateTimeField(_("planned for"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    days_done = models.PositiveIntegerField(_("days closed"), default=0)
    days_total = models.PositiveIntegerField(_("days to close"), default=0)
    first_date = models.DateField(_("first date closed"), null=True, blank=True)
    step = models.CharField(_("step"), max_length=100, blank=True)
    error = models.TextField(_("failure"), blank=True)
    task_id = models.CharField(_("task"), max_length=40, blank=True)

    class Meta:
        ordering = ["-queued_at", "-pk"]
        indexes = [models.Index(fields=["organization", "-queued_at"], name="job_run_latest")]
        constraints = [
            models.CheckConstraint(condition=models.Q(attempt__gte=1), name="job_run_attempt")
        ]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")

    def __str__(self) -> str:
        return f"{self.get_job_display()} {self.through} #{self.attempt}"

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at
