"""Close of business in the admin: the runs of the organisations in scope, read only (a run
is made by `tandir cob` or the worker)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tandir.cob.models import CobRun
from tandir.orgs.admin import ScopedAdmin


@admin.register(CobRun)
class CobRunAdmin(ScopedAdmin):
    list_display = ["organization", "business_date", "status", "step", "started_at", "finished_at"]
    list_filter = ["status", "organization"]
    readonly_fields = [f.name for f in CobRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
