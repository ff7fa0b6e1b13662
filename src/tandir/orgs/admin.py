"""Admin for organisations, branches, projects and staff, scoped to the user's organisation."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tandir.core.admin import ScopedAdmin, SharedReferenceAdmin
from tandir.orgs.models import (
    Branch,
    Country,
    District,
    Locality,
    Organization,
    Project,
    Region,
    StaffUser,
)


@admin.register(Organization)
class OrganizationAdmin(ScopedAdmin):
    list_display = ["name", "kind", "country", "currency"]
    list_filter = ["kind"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        queryset = super().get_queryset(request)
        org_id = getattr(request.user, "organization_id", None)
        if request.user.is_superuser and org_id is None:
            return queryset
        # Donors and networks stay visible so projects can name them; only their own is editable.
        return queryset.filter(Q(pk=org_id) | Q(kind__in=["donor", "network", "bank"]))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None or request.user.is_superuser:
            return super().has_change_permission(request, obj)
        return super().has_change_permission(request, obj) and obj.pk == getattr(
            request.user, "organization_id", None
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        admin.ModelAdmin.save_model(self, request, obj, form, change)


@admin.register(Branch)
class BranchAdmin(ScopedAdmin):
    list_display = ["name", "code"]
    filter_horizontal = ["districts"]


@admin.register(Project)
class ProjectAdmin(ScopedAdmin):
    list_display = ["name", "code", "budget_amount", "budget_currency", "starts_on", "ends_on"]
    filter_horizontal = ["donors", "districts", "target_groups"]


@admin.register(StaffUser)
class StaffUserAdmin(ScopedAdmin, UserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active"]
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        (_("Tandir"), {"fields": ("organization", "role", "branches", "preferred_language")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return ScopedAdmin.get_queryset(self, request)


class ReferenceAdmin(SharedReferenceAdmin):
    search_fields = ["name"]


for model in (Country, Region, District, Locality):
    admin.site.register(model, ReferenceAdmin)
