"""Admin of events: events, investors and cooperation agreements shown read-only, scoped to the
administrator's organisation. They change through the event pages, whose actions check the
right and the organisation; registrations (personal data) are not listed here at all."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tandir.events.models import Activity, Agreement, Event, Investor
from tandir.orgs.admin import ReadOnlyAdmin


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "starts_on", "ends_on", "place"]
    list_filter = ["kind"]
    search_fields = ["title"]
    date_hierarchy = "starts_on"


@admin.register(Investor)
class InvestorAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "contact_name"]
    list_filter = ["kind"]
    search_fields = ["name"]


class ActivityInline(admin.TabularInline):
    model = Activity
    fields = ["description", "responsible_party", "responsible_person", "due_on", "status"]
    readonly_fields = ["description", "responsible_party", "responsible_person", "due_on", "status"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ["title", "partner", "signed_on", "valid_until"]
    list_select_related = ["partner"]
    search_fields = ["title", "reference"]
    inlines = [ActivityInline]
