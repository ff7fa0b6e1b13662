"""Schedules and runs in the admin, read-only for an organisation's administrator: a schedule
is set through its page (the action checks the run-as user's right); runs are the worker's."""

from __future__ import annotations

from django.contrib import admin

from tandir.jobs.models import CloseSchedule, JobRun
from tandir.orgs.admin import ReadOnlyAdmin


@admin.register(CloseSchedule)
class CloseScheduleAdmin(ReadOnlyAdmin):
    list_display = ("organization", "enabled", "run_at", "time_zone", "run_as", "closed_through")
    list_select_related = ("organization", "run_as")


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = (
        "organization",
        "through",
        "status",
        "trigger",
        "attempt",
        "started_at",
        "finished_at",
        "error",
    )
    list_filter = ("status", "trigger")
    list_select_related = ("organization",)
