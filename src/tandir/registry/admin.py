"""Admin for the registry: read-mostly, scoped; writes belong to the registry pages and actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tandir.core.admin import ScopedAdmin
from tandir.registry.models import Beneficiary


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
