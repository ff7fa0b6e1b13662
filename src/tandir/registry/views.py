"""Registry pages. Views parse, authorise through the scoped lookups, call an action, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tandir.core.errors import TandirError
from tandir.orgs.roles import STAGE_RIGHTS, Right, has_right
from tandir.registry import actions, exports, history, queries
from tandir.registry.duplicates import DuplicateRefused
from tandir.registry.forms import (
    BeneficiaryFilterForm,
    BeneficiaryForm,
    ConsentForm,
    WithdrawConsentForm,
    district_options,
    locality_options,
)
from tandir.registry.models import Beneficiary, Status


def _require(request: HttpRequest, right: Right) -> None:
    # A right the role lacks gets a page that says so, in the user's language (403.html).
    if not has_right(request.user, right):
        raise PermissionDenied(_("Your role does not allow this."))


def _filtered(request: HttpRequest) -> tuple[BeneficiaryFilterForm, Any, bool]:
    """The filter form, the people it finds, and whether it filters by a protected group."""
    form = BeneficiaryFilterForm(request.GET or None, user=request.user)
    filters: dict[str, Any] = {}
    protected = False
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "text": data["q"],
            "project": data["project"].pk if data["project"] else None,
            "district": data["district"].pk if data["district"] else None,
            "target_group": data["target_group"],
            "status": data["status"],
            "sex": data["sex"],
            "possible_duplicates": data["duplicates"],
        }
        protected = form.filters_by_protected_group()
    return form, queries.search_beneficiaries(request.user, **filters), protected


@login_required
def beneficiary_list(request: HttpRequest) -> HttpResponse:
    _require(request, Right.SEE_RECORDS)
    form, found, protected = _filtered(request)
    page = Paginator(found, settings.TANDIR_PAGE_SIZE).get_page(request.GET.get("page"))
    if protected:
        # Every person listed under a protected group's filter is shown to be in it.
        queries.log_views(request.user, ((p.organization_id, p.pk) for p in page), "web")
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = (
        "registry/_results.html" if request.headers.get("HX-Request") else "registry/list.html"
    )
    return render(request, template, context)


def _refusal_to_form(form: BeneficiaryForm, refused: DuplicateRefused) -> None:
    form.add_error(refused.field, refused.message)
    form.existing = refused.existing  # type: ignore[attr-defined]


def _submit(
    request: HttpRequest,
    form: BeneficiaryForm,
    save: Callable[[dict[str, Any], bool], actions.Registration],
) -> tuple[actions.Registration | None, actions.PossibleDuplicate | None]:
    """Save a valid posted form; refusals become field errors, similar people a warning."""
    if request.method != "POST" or not form.is_valid():
        return None, None
    try:
        return save(form.cleaned_data, request.POST.get("confirm_duplicate") == "1"), None
    except DuplicateRefused as refused:
        _refusal_to_form(form, refused)
    except actions.PossibleDuplicate as warning:
        return None, warning
    except TandirError as error:
        form.add_error(None, error.message)
    return None, None


def _form_page(
    request: HttpRequest,
    form: BeneficiaryForm,
    warning: actions.PossibleDuplicate | None,
    **context: Any,
) -> HttpResponse:
    return render(request, "registry/form.html", {"form": form, "warning": warning, **context})


@login_required
def beneficiary_create(request: HttpRequest) -> HttpResponse:
    _require(request, Right.REGISTER)
    form = BeneficiaryForm(request.POST or None, user=request.user, answers_required=True)
    registration, warning = _submit(
        request,
        form,
        lambda data, confirmed: actions.register_beneficiary(
            request.user,  # type: ignore[arg-type]
            data,
            confirm_possible_duplicate=confirmed,
        ),
    )
    if registration:
        person = registration.beneficiary
        messages.success(request, _("%(name)s is registered.") % {"name": person.full_name})
        return redirect("registry:detail", pk=person.pk)
    return _form_page(request, form, warning, title=_("Register a participant"))


@login_required
def beneficiary_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.REGISTER)
    person = queries.access_beneficiary(request.user, pk)
    form = BeneficiaryForm(
        request.POST or None,
        user=request.user,
        instance=person,
        initial=queries.form_initial(person),
    )
    registration, warning = _submit(
        request,
        form,
        lambda data, confirmed: actions.update_beneficiary(
            request.user,  # type: ignore[arg-type]
            person,
            data,
            confirm_possible_duplicate=confirmed,
        ),
    )
    if registration:
        messages.success(request, _("Changes saved."))
        return redirect("registry:detail", pk=person.pk)
    return _form_page(request, form, warning, person=person, title=person.full_name)


@login_required
def place_options(request: HttpRequest, field: str) -> HttpResponse:
    """The <option>s of the district (for a branch) or locality (for a district) select."""
    _require(request, Right.SEE_RECORDS)
    if field == "district":
        options = district_options(request.user, request.GET.get("branch"))
    elif field == "locality":
        options = locality_options(request.user, request.GET.get("district"))
    else:
        raise Http404
    chosen = request.GET.get(field, "")
    return render(request, "registry/_options.html", {"options": options, "chosen": chosen})


@login_required
def beneficiary_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = queries.access_beneficiary(request.user, pk)
    if person.merged_into_id:
        messages.info(request, _("This record was merged into another one."))
        return redirect("registry:detail", pk=person.merged_into_id)
    consents = list(person.consents.select_related("withdrawn_by"))
    context = {
        "person": person,
        "target_groups": queries.visible_target_groups(request.user, person),
        "history": person.history.select_related("changed_by"),
        "changes": history.changes_of(request.user, person),
        "consents": consents,
        "consent_in_force": next((c for c in consents if c.withdrawn_on is None), None),
        "can_record_consent": has_right(request.user, Right.RECORD_CONSENT),
        "enrolments": person.enrolments.select_related("project"),
        "aliases": person.aliases.all(),
        "statuses": [
            (value, label)
            for value, label in Status.choices
            if value != person.status and has_right(request.user, STAGE_RIGHTS[value])
        ],
        "duplicate_of": (
            queries.beneficiaries_in_scope(request.user)
            .filter(pk=person.possible_duplicate_of_id, merged_into=None)
            .first()
            if person.possible_duplicate_of_id
            else None
        ),
    }
    return render(request, "registry/detail.html", context)


@login_required
@require_POST
def beneficiary_status(request: HttpRequest, pk: int) -> HttpResponse:
    person = queries.access_beneficiary(request.user, pk)
    try:
        actions.change_status(
            request.user,  # type: ignore[arg-type]
            person,
            request.POST.get("status", ""),
            note=request.POST.get("note", ""),
        )
    except TandirError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Status changed."))
    return redirect("registry:detail", pk=person.pk)


@login_required
def beneficiary_withdraw_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks why and for confirmation first: withdrawing stops surveys and sharing."""
    _require(request, Right.RECORD_CONSENT)
    person = queries.access_beneficiary(request.user, pk)
    form = WithdrawConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.withdraw_consent(
                request.user,  # type: ignore[arg-type]
                person,
                reason=form.cleaned_data["reason"],
            )
        except TandirError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Consent withdrawn: no more follow-up surveys or sharing."))
            return redirect("registry:detail", pk=person.pk)
    return render(request, "registry/withdraw_consent.html", {"person": person, "form": form})


@login_required
def beneficiary_record_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """A new consent, for instance after one was withdrawn; it replaces the one in force."""
    _require(request, Right.RECORD_CONSENT)
    person = queries.access_beneficiary(request.user, pk)
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.record_consent(
                request.user,  # type: ignore[arg-type]
                person,
                follow_up_surveys=form.cleaned_data["follow_up_surveys"],
                network_sharing=form.cleaned_data["network_sharing"],
            )
        except TandirError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("registry:detail", pk=person.pk)
    return render(request, "registry/record_consent.html", {"person": person, "form": form})


@login_required
def beneficiary_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """The two records side by side; merging folds this (duplicate) one into the kept one."""
    _require(request, Right.MERGE)
    duplicate = queries.access_beneficiary(request.user, pk)
    kept_id = (
        request.POST.get("kept") or request.GET.get("kept") or duplicate.possible_duplicate_of_id
    )
    kept = queries.access_beneficiary(request.user, kept_id)
    if request.method == "POST":
        try:
            actions.merge_beneficiaries(
                request.user,  # type: ignore[arg-type]
                kept,
                duplicate,
                note=request.POST.get("note", ""),
            )
        except TandirError as error:
            messages.error(request, error.message)
            return redirect("registry:detail", pk=duplicate.pk)
        messages.success(request, _("Records merged."))
        return redirect("registry:detail", pk=kept.pk)
    return render(
        request,
        "registry/merge.html",
        {
            "rows": queries.side_by_side(request.user, kept, duplicate),
            "kept": kept,
            "duplicate": duplicate,
        },
    )


@login_required
def beneficiary_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """The filtered list as XLSX or CSV, scoped exactly like the list page."""
    _require(request, Right.EXPORT)
    _form, found, _protected = _filtered(request)
    return exports.beneficiaries_response(request.user, found, file_format)


@login_required
def beneficiary_record_export(request: HttpRequest, pk: int) -> HttpResponse:
    """One person's record as XLSX; 404 outside the user's scope, like every lookup.

    The export itself writes the access log for a protected record, once.
    """
    _require(request, Right.EXPORT)
    person = queries.beneficiaries_in_scope(request.user).filter(pk=pk).first()
    if person is None:
        raise Http404
    return exports.beneficiaries_response(
        request.user,
        Beneficiary.objects.filter(pk=person.pk),
        "xlsx",
        filename=f"beneficiary-{person.pk}",
    )
