"""Admin for the registry: read-only and scoped; writes belong to the registry pages and actions.

Target groups are shared reference data (only the platform operator changes which are
protected); the access log is append-only. Opening a protected person's page here is a view
like any other and writes the access log.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from tandir.core.models import AccessLog, TargetGroup
from tandir.orgs.admin import ScopedAdmin, SharedReferenceAdmin
from tandir.registry.models import Beneficiary
from tandir.registry.queries import access_beneficiary


@admin.register(Beneficiary)
class BeneficiaryAdmin(ScopedAdmin):
    branch_field = "branch"
    list_display = ["last_name", "first_name", "sex", "date_of_birth", "branch", "status"]
    list_filter = ["status", "sex"]
    search_fields = ["last_name", "first_name", "name_latin", "phone", "national_id"]
    list_select_related = ["branch"]

    # Registration goes through the registry page, where duplicates and consent are checked.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The one permission-checked lookup, so the admin's page is logged like every channel.
        access_beneficiary(request.user, object_id, channel="admin")
        return super().change_view(request, object_id, form_url, extra_context)


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
