"""Admin of associations: read-only, scoped like every admin page. Associations, members,
officers, meetings and dues change only through the actions, which check the right and the
organisation; the admin is for looking things up."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tandir.associations.models import Association
from tandir.orgs.admin import ScopedAdmin


@admin.register(Association)
class AssociationAdmin(ScopedAdmin):
    branch_field = "branch"
    list_display = ["name", "kind", "branch", "sector", "founded_on", "formed_with_programme"]
    list_filter = ["kind", "formed_with_programme", "sector"]
    search_fields = ["name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
