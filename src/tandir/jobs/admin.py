"""Schedules and runs in the admin, read-only for an organisation's administrator: a schedule
is set through its page (the action checks the run-as user's right); runs are the worker's."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tandir.jobs.models import CloseSchedule, JobRun
from tandir.orgs.admin import ScopedAdmin


class ReadOnlyScopedAdmin(ScopedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CloseSchedule)
class CloseScheduleAdmin(ReadOnlyScopedAdmin):
    list_display = ("organization", "enabled", "run_at", "time_zone", "run_as", "closed_through")
    list_select_related = ("organization", "run_as")


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyScopedAdmin):
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
