"""Close of business in the admin: the runs of the organisations in scope, read only (a run
is made by `tandir cob` or the worker)."""

from __future__ import annotations

from django.contrib import admin

from tandir.cob.models import CobRun
from tandir.orgs.admin import ReadOnlyAdmin


@admin.register(CobRun)
class CobRunAdmin(ReadOnlyAdmin):
    list_display = ["organization", "business_date", "status", "step", "started_at", "finished_at"]
    list_filter = ["status", "organization"]
    readonly_fields = [f.name for f in CobRun._meta.fields]
