"""Admin of lending: products and their versions, funding sources, partner-bank branches,
approval limits and centres, scoped like every admin page (`tandir.orgs.admin.ScopedAdmin`).

Every save goes through an action, which checks the right and the organisation again: a product
is created by `create_product`, and a change of its terms is a new version by `revise_product`,
never an edit of the version loans point at. Loans and journal entries are shown read-only:
they change only through the loan cycle's actions, and the journal never changes.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from tandir.core.errors import TandirError
from tandir.core.models import TargetGroup
from tandir.engine import Frequency
from tandir.ledger.models import JournalEntry, JournalLine
from tandir.lending import actions
from tandir.lending.models import (
    ApprovalLimit,
    BankBranch,
    Centre,
    FundingSource,
    Loan,
    LoanProduct,
    ProductVersion,
    Sector,
)
from tandir.orgs import actions as org_actions
from tandir.orgs.access import scope
from tandir.orgs.admin import ReadOnlyAdmin, ScopedAdmin
from tandir.orgs.models import Organization, Role, StaffUser
from tandir.orgs.roles import is_platform_operator

# The terms of a version, in the model's order; the rest of a version is who made it and when.
TERMS = [f.name for f in ProductVersion._meta.concrete_fields if f.name in actions.PRODUCT_TERMS]


def _organization(request: HttpRequest, form: Any) -> Organization:
    """The organisation a new row belongs to: the administrator's own, whatever was posted
    (only the platform operator has an organisation field to choose one)."""
    chosen = form.cleaned_data.get("organization")
    user: Any = request.user
    if is_platform_operator(user) and chosen is not None:
        return chosen
    return user.organization


def _as_saved(obj: Any, saved: Any) -> None:
    """Point the admin's unsaved instance at the row an action created, for its redirect."""
    obj.pk = saved.pk
    obj.organization_id = saved.organization_id
    obj._state.adding = False


# --- Products and their versions --------------------------------------------------------------


class _ProductFormBase(forms.ModelForm):
    """A product's identity and, beside it, the terms of its current version."""

    target_groups = forms.ModelMultipleChoiceField(
        queryset=TargetGroup.objects.all(),
        required=False,
        label=_("eligible target groups"),
        widget=forms.CheckboxSelectMultiple,
    )
    frequencies = forms.MultipleChoiceField(
        choices=[(f.value, f.value) for f in Frequency],
        label=_("frequencies"),
        widget=forms.CheckboxSelectMultiple,
    )
    sectors = forms.MultipleChoiceField(
        choices=Sector.choices,
        required=False,
        label=_("eligible sectors"),
        help_text=_("None chosen: every sector."),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = LoanProduct
        fields = ["code", "name", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current: ProductVersion | None = None
        if self.instance.pk:
            self.current = self.instance.versions.order_by("-number").first()
        if self.current is not None and not self.is_bound:
            for name in TERMS:
                if name in self.fields:
                    self.initial[name] = getattr(self.current, name)
            self.initial["target_groups"] = list(
                self.current.target_groups.values_list("pk", flat=True)
            )

    def terms(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in TERMS if name in self.cleaned_data}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for low, high in (
            ("amount_min", "amount_max"),
            ("term_min", "term_max"),
            ("rate_min", "rate_max"),
        ):
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(high, _("Must not be below the lowest."))
        if self.errors:
            return data
        try:
            # The same check the action makes, so a refusal is shown on the form.
            actions._check_version(ProductVersion(**self.terms()))
        except TandirError as error:
            raise forms.ValidationError(error.message) from error
        except (ValueError, TypeError, KeyError) as error:
            raise forms.ValidationError(
                _("These terms cannot make a schedule: %(problem)s") % {"problem": error}
            ) from error
        return data


ProductForm: type[forms.ModelForm] = type(
    "ProductForm",
    (_ProductFormBase,),
    {
        name: field
        for name, field in forms.fields_for_model(ProductVersion, fields=TERMS).items()
        if name not in {"frequencies", "sectors"}
    },
)


@admin.register(LoanProduct)
class LoanProductAdmin(ScopedAdmin):
    form = ProductForm
    list_display = ["name", "code", "is_active", "current_version"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    readonly_fields = ["versions_table"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("versions")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        identity = ["code", "name", "is_active"]
        if is_platform_operator(request.user) and obj is None:
            identity.insert(0, "organization")
        fieldsets: list[Any] = [
            (None, {"fields": identity}),
            (
                _("Terms (a change makes a new version; loans keep theirs)"),
                {"fields": [*TERMS, "target_groups"]},
            ),
        ]
        if obj is not None:
            fieldsets.append((_("Versions"), {"fields": ["versions_table"]}))
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["versions_table"] if obj is not None else []

    @admin.display(description=_("current version"))
    def current_version(self, obj: LoanProduct) -> Any:
        numbers = [v.number for v in obj.versions.all()]
        return max(numbers) if numbers else "—"

    @admin.display(description=_("versions"))
    def versions_table(self, obj: LoanProduct) -> Any:
        rows = format_html_join(
            "",
            "<tr><td>v{}</td><td>{}</td><td>{}</td><td>{} {}–{}</td><td>{}–{}%</td>"
            "<td>{}–{}</td></tr>",
            (
                (
                    v.number,
                    v.created_at.date(),
                    v.created_by,
                    v.currency,
                    v.amount_min,
                    v.amount_max,
                    v.rate_min,
                    v.rate_max,
                    v.term_min,
                    v.term_max,
                )
                for v in obj.versions.select_related("created_by").order_by("-number")
            ),
        )
        return format_html("<table>{}</table>", rows)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        user: Any = request.user
        data = form.cleaned_data
        if not change:
            version = actions.create_product(
                user,
                _organization(request, form),
                code=data["code"],
                name=data["name"],
                target_groups=data["target_groups"],
                **form.terms(),
            )
            _as_saved(obj, version.product)
            if not data["is_active"]:
                org_actions.save_organization_record(user, obj)
            return
        stored = LoanProduct.objects.get(pk=obj.pk)
        if (stored.code, stored.name, stored.is_active) != (obj.code, obj.name, obj.is_active):
            org_actions.save_organization_record(user, obj)
        current = form.current
        changes = {
            name: value
            for name, value in form.terms().items()
            if current is None or value != getattr(current, name)
        }
        groups = {g.pk for g in data["target_groups"]}
        old_groups = set(current.target_groups.values_list("pk", flat=True)) if current else set()
        if changes or groups != old_groups:
            actions.revise_product(user, obj, target_groups=data["target_groups"], **changes)


# --- Funds, partner-bank branches, approval limits, centres -----------------------------------


@admin.register(FundingSource)
class FundingSourceAdmin(ScopedAdmin):
    list_display = ["name", "code", "kind", "currency", "bank"]
    list_filter = ["kind"]
    fields = ["code", "name", "kind", "currency", "bank"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # What a fund is, and its ledger account, are fixed once money moved through it.
        return ["code", "kind", "currency", "bank"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        user: Any = request.user
        if change:
            org_actions.save_organization_record(user, obj)
            return
        data = form.cleaned_data
        fund = actions.create_fund(
            user,
            _organization(request, form),
            code=data["code"],
            name=data["name"],
            kind=data["kind"],
            currency=data["currency"],
            bank=data.get("bank"),
        )
        _as_saved(obj, fund)


@admin.register(BankBranch)
class BankBranchAdmin(ScopedAdmin):
    list_display = ["name", "code", "bank", "district"]
    list_select_related = ["bank", "district"]
    fields = ["bank", "code", "name", "district"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        user: Any = request.user
        if change:
            org_actions.save_organization_record(user, obj)
            return
        data = form.cleaned_data
        branch = actions.create_bank_branch(
            user,
            _organization(request, form),
            bank=data["bank"],
            code=data["code"],
            name=data["name"],
            district=data.get("district"),
        )
        _as_saved(obj, branch)


class ApprovalLimitForm(forms.ModelForm):
    role = forms.ChoiceField(choices=Role.choices, label=_("role"))

    class Meta:
        model = ApprovalLimit
        fields = ["role", "currency", "max_amount"]


@admin.register(ApprovalLimit)
class ApprovalLimitAdmin(ScopedAdmin):
    form = ApprovalLimitForm
    list_display = ["role", "currency", "max_amount"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A limit is one role's in one currency: another role or currency is another limit.
        return ["role", "currency"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        limit = actions.set_approval_limit(
            request.user,  # type: ignore[arg-type]
            _organization(request, form) if not change else obj.organization,
            role=obj.role,
            currency=obj.currency,
            amount=obj.max_amount,
        )
        _as_saved(obj, limit)


@admin.register(Centre)
class CentreAdmin(ScopedAdmin):
    branch_field = "branch"
    list_display = ["name", "branch", "meeting_day", "meeting_place", "officer"]
    list_select_related = ["branch", "officer"]
    fields = ["branch", "name", "meeting_day", "meeting_place", "officer"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model is StaffUser:
            # Only the organisation's own staff can be a centre's loan officer.
            kwargs["queryset"] = scope(
                request.user, StaffUser.objects.filter(is_active=True), branch_field=None
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        user: Any = request.user
        if not change:
            centre = actions.create_centre(
                user,
                obj.branch,
                name=obj.name,
                meeting_day=obj.meeting_day,
                meeting_place=obj.meeting_place,
            )
            officer = obj.officer
            _as_saved(obj, centre)
            obj.officer = officer or centre.officer
        org_actions.save_organization_record(user, obj)


# --- Read-only: loans and the journal ---------------------------------------------------------


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    branch_field = "branch"
    list_display = [
        "reference", "beneficiary", "branch", "status", "amount", "currency",
        "principal_outstanding", "officer",
    ]  # fmt: skip
    list_filter = ["status", "currency"]
    search_fields = ["reference"]
    list_select_related = ["beneficiary", "branch", "officer"]


class JournalLineInline(admin.TabularInline):
    model = JournalLine
    fields = ["account", "currency", "debit", "credit"]
    readonly_fields = ["account", "currency", "debit", "credit"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["pk", "entry_date", "kind", "memo", "loan_id", "reverses"]
    list_filter = ["kind"]
    search_fields = ["memo"]
    date_hierarchy = "entry_date"
    inlines = [JournalLineInline]
