"""Admin pages scoped like every other page: an organisation's administrator sees only its rows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tandir.core.access import scope
from tandir.core.models import AccessLog, TargetGroup
from tandir.orgs.models import Role


def is_administrator(user: Any) -> bool:
    """Superusers, and staff whose role is administrator, use the admin."""
    if not getattr(user, "is_active", False) or not getattr(user, "is_staff", False):
        return False
    return bool(user.is_superuser or user.role == Role.ADMINISTRATOR)


class ScopedAdmin(admin.ModelAdmin):
    """Rows narrowed by `tandir.core.access.scope`; new rows get the user's organisation.

    Permission comes from the Tandir role (administrator), not from Django's per-model grants.
    """

    branch_field: str | None = None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope(request.user, super().get_queryset(request), branch_field=self.branch_field)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        excluded = list(super().get_exclude(request, obj) or [])
        if getattr(request.user, "organization_id", None):
            excluded.append("organization")
        return excluded

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change and getattr(request.user, "organization_id", None):
            obj.organization_id = request.user.organization_id  # type: ignore[union-attr]
        super().save_model(request, obj, form, change)


class SharedReferenceAdmin(admin.ModelAdmin):
    """Rows shared by every organisation (target groups, geography): administrators see them,
    only the platform operator edits them."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    has_add_permission = has_delete_permission = has_change_permission


@admin.register(TargetGroup)
class TargetGroupAdmin(SharedReferenceAdmin):
    list_display = ["code", "name", "is_protected", "sort_order"]


@admin.register(AccessLog)
class AccessLogAdmin(ScopedAdmin):
    list_display = ["at", "user", "record_type", "record_id", "channel", "action"]
    list_filter = ["channel", "record_type"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the log is append-only

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
