"""The admin, scoped like every other page: an organisation's administrator sees only its rows.

Permission comes from the Tandir role (administrator), not from Django's per-model grants, and
every save goes through `tandir.orgs.actions`, which checks rights and scope again: whatever is
posted, an organisation's administrator cannot reach another organisation or grant platform
rights (superuser, Django staff flags, groups, permissions).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import UserAdmin
from django.db.models import ManyToManyField, Q, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from tandir.orgs import actions
from tandir.orgs.access import scope
from tandir.orgs.models import (
    Branch,
    Country,
    District,
    Locality,
    Organization,
    OrganizationKind,
    Project,
    Region,
    Role,
    StaffUser,
)
from tandir.orgs.roles import is_platform_operator


def is_administrator(user: Any) -> bool:
    """Superusers, and staff whose role is administrator, use the admin."""
    if not getattr(user, "is_active", False) or not getattr(user, "is_staff", False):
        return False
    return bool(user.is_superuser or user.role == Role.ADMINISTRATOR)


def through_fields(model: Any) -> list[ManyToManyField[Any, Any]]:
    """Many-to-many fields whose table is one of ours (it carries the organisation)."""
    return [f for f in model._meta.many_to_many if not f.remote_field.through._meta.auto_created]


class ThroughFieldsForm(forms.ModelForm):
    """Shows the current rows of many-to-many fields that Django's admin leaves out.

    Django's admin shows no field for a many-to-many table of our own; the admin declares one
    per such table and the action sets it with the organisation filled in.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for field in through_fields(type(self.instance)):
                if field.name in self.fields and not self.is_bound:
                    self.fields[field.name].initial = list(
                        getattr(self.instance, field.name).values_list("pk", flat=True)
                    )


class ScopedAdmin(admin.ModelAdmin):
    """Rows narrowed by `tandir.orgs.access.scope`; new rows get the user's organisation."""

    branch_field: str | None = None

    def related_choices(self, request: HttpRequest, field: Any) -> QuerySet[Any]:
        """What a many-to-many field of our own may offer: branches in scope, else all rows
        its `limit_choices_to` allows."""
        related = field.related_model
        if related is Branch:
            return scope(request.user, Branch.objects.all(), branch_field="pk")
        return related._default_manager.complex_filter(field.get_limit_choices_to())

    def base_form(self, request: HttpRequest, obj: Any) -> type[forms.ModelForm]:
        return self.form

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        declared = {
            field.name: forms.ModelMultipleChoiceField(
                queryset=self.related_choices(request, field),
                required=False,
                label=capfirst(field.verbose_name),
                widget=FilteredSelectMultiple(field.verbose_name, is_stacked=False),
            )
            for field in through_fields(self.model)
        }
        base = self.base_form(request, obj)
        kwargs["form"] = type(base.__name__, (ThroughFieldsForm, base), declared)
        return super().get_form(request, obj, change=change, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Records are corrected or closed, never deleted, except by the platform operator.
        return is_platform_operator(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope(request.user, super().get_queryset(request), branch_field=self.branch_field)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        excluded = list(super().get_exclude(request, obj) or [])
        if not is_platform_operator(request.user):
            excluded.append("organization")
        return excluded

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if related is Branch:
            kwargs["queryset"] = scope(request.user, Branch.objects.all(), branch_field="pk")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        related = {
            name: form.cleaned_data[name]
            for name in form.cleaned_data
            if name in {f.name for f in obj._meta.many_to_many}
        }
        actions.save_organization_record(request.user, obj, related=related)  # type: ignore[arg-type]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Many-to-many values were set by the action in `save_model`.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class ReadOnlyAdmin(ScopedAdmin):
    """Shown, never changed here: the app's actions write these, with their checks."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SharedReferenceAdmin(admin.ModelAdmin):
    """Rows shared by every organisation (target groups, geography): administrators see them,
    only the platform operator edits them."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_operator(request.user)

    has_add_permission = has_delete_permission = has_change_permission


@admin.register(Organization)
class OrganizationAdmin(ScopedAdmin):
    list_display = ["name", "kind", "country", "currency"]
    list_filter = ["kind"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        queryset = Organization.objects.all()
        if is_platform_operator(request.user):
            return queryset
        if not is_administrator(request.user):
            return queryset.none()
        # Donors, networks and banks stay visible so projects can name them; only their own
        # organisation is editable.
        org_id = getattr(request.user, "organization_id", None)
        return queryset.filter(
            Q(pk=org_id)
            | Q(kind__in=[OrganizationKind.DONOR, OrganizationKind.NETWORK, OrganizationKind.BANK])
        )

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        excluded = list(admin.ModelAdmin.get_exclude(self, request, obj) or [])
        if not is_platform_operator(request.user):
            excluded.append("kind")  # what an organisation is, is the platform's to say
        return excluded

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or is_platform_operator(request.user):
            return True
        return bool(obj.pk == getattr(request.user, "organization_id", None))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_platform_operator(request.user)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actions.save_organization(
            request.user,  # type: ignore[arg-type]
            obj,
            networks=form.cleaned_data.get("networks"),
        )


@admin.register(Branch)
class BranchAdmin(ScopedAdmin):
    list_display = ["name", "code"]


@admin.register(Project)
class ProjectAdmin(ScopedAdmin):
    list_display = ["name", "code", "budget_amount", "budget_currency", "starts_on", "ends_on"]


@admin.register(StaffUser)
class StaffUserAdmin(ScopedAdmin, UserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active"]

    # What an organisation's administrator may set: no superuser, staff, group or permission
    # field exists on their forms, so a posted value for one is never read.
    ORGANIZATION_FIELDSETS = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Tandir"), {"fields": ("role", "branches", "preferred_language", "is_active")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    ORGANIZATION_ADD_FIELDSETS = (
        (None, {"fields": ("username", "password1", "password2")}),
        (_("Tandir"), {"fields": ("role", "branches", "preferred_language")}),
    )
    PLATFORM_FIELDSETS = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        (_("Tandir"), {"fields": ("organization", "role", "branches", "preferred_language")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    def base_form(self, request: HttpRequest, obj: Any) -> type[forms.ModelForm]:
        return self.add_form if obj is None else self.form

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if is_platform_operator(request.user):
            return self.add_fieldsets if obj is None else self.PLATFORM_FIELDSETS
        return self.ORGANIZATION_ADD_FIELDSETS if obj is None else self.ORGANIZATION_FIELDSETS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        users = ScopedAdmin.get_queryset(self, request)
        if not is_platform_operator(request.user):
            users = users.filter(is_superuser=False)
        return users

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        actions.save_staff_user(
            request.user,  # type: ignore[arg-type]
            obj,
            branches=form.cleaned_data.get("branches"),
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if is_platform_operator(request.user):
            # Groups and permissions are the platform operator's; branches were set above.
            form.cleaned_data.pop("branches", None)
            form.save_m2m()
        ScopedAdmin.save_related(self, request, form, formsets, change)


class ReferenceAdmin(SharedReferenceAdmin):
    search_fields = ["name"]


for model in (Country, Region, District, Locality):
    admin.site.register(model, ReferenceAdmin)
