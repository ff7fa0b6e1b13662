"""Registry pages. Views parse, authorise through the scoped lookups, call an action, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tandir.core.errors import TandirError
from tandir.orgs.roles import Right, has_right
from tandir.registry import actions, exports, queries
from tandir.registry.duplicates import DuplicateRefused
from tandir.registry.forms import BeneficiaryFilterForm, BeneficiaryForm
from tandir.registry.models import Beneficiary, Status


def _require(request: HttpRequest, right: Right) -> None:
    # Pages for a right the role lacks do not exist for that user.
    if not has_right(request.user, right):
        raise Http404


def _filtered(request: HttpRequest) -> tuple[BeneficiaryFilterForm, Any]:
    form = BeneficiaryFilterForm(request.GET or None, user=request.user)
    filters: dict[str, Any] = {}
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
    return form, queries.search_beneficiaries(request.user, **filters)


@login_required
def beneficiary_list(request: HttpRequest) -> HttpResponse:
    _require(request, Right.SEE_RECORDS)
    form, found = _filtered(request)
    page = Paginator(found, request_page_size(request)).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = (
        "registry/_results.html" if request.headers.get("HX-Request") else "registry/list.html"
    )
    return render(request, template, context)


def request_page_size(request: HttpRequest) -> int:
    from django.conf import settings

    return int(settings.TANDIR_PAGE_SIZE)


def _refusal_to_form(form: BeneficiaryForm, refused: DuplicateRefused, user: Any) -> None:
    in_scope = queries.beneficiaries_in_scope(user).filter(pk=refused.existing.pk).exists()
    if in_scope:
        form.add_error(refused.field, refused.message)
        form.existing = refused.existing  # type: ignore[attr-defined]
    else:
        form.add_error(
            refused.field,
            _("This is already registered for a person in another branch; ask your manager."),
        )


def _submit(
    request: HttpRequest,
    form: BeneficiaryForm,
    save: Callable[[dict[str, Any], bool], actions.Registration],
) -> tuple[actions.Registration | None, list[Beneficiary]]:
    """Save a valid posted form; refusals become field errors, similar people a warning."""
    if request.method != "POST" or not form.is_valid():
        return None, []
    try:
        return save(form.cleaned_data, request.POST.get("confirm_duplicate") == "1"), []
    except DuplicateRefused as refused:
        _refusal_to_form(form, refused, request.user)
    except actions.PossibleDuplicate as warning:
        return None, warning.candidates
    except TandirError as error:
        form.add_error(None, error.message)
    return None, []


@login_required
def beneficiary_create(request: HttpRequest) -> HttpResponse:
    _require(request, Right.REGISTER)
    form = BeneficiaryForm(request.POST or None, user=request.user)
    registration, candidates = _submit(
        request,
        form,
        lambda data, confirmed: actions.register_beneficiary(
            request.user, data, confirm_possible_duplicate=confirmed
        ),
    )
    if registration:
        person = registration.beneficiary
        messages.success(request, _("%(name)s is registered.") % {"name": person.full_name})
        return redirect("registry:detail", pk=person.pk)
    return render(
        request,
        "registry/form.html",
        {"form": form, "candidates": candidates, "title": _("Register a participant")},
    )


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
    registration, candidates = _submit(
        request,
        form,
        lambda data, confirmed: actions.update_beneficiary(
            request.user, person, data, confirm_possible_duplicate=confirmed
        ),
    )
    if registration:
        messages.success(request, _("Changes saved."))
        return redirect("registry:detail", pk=person.pk)
    return render(
        request,
        "registry/form.html",
        {"form": form, "candidates": candidates, "person": person, "title": person.full_name},
    )


@login_required
def beneficiary_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = queries.access_beneficiary(request.user, pk)
    if person.merged_into_id:
        messages.info(request, _("This record was merged into another one."))
        return redirect("registry:detail", pk=person.merged_into_id)
    context = {
        "person": person,
        "target_groups": queries.visible_target_groups(request.user, person),
        "history": person.history.select_related("changed_by"),
        "consents": person.consents.all(),
        "enrolments": person.enrolments.select_related("project"),
        "statuses": [s for s in Status.choices if s[0] != person.status],
        "duplicate_of": (
            queries.beneficiaries_in_scope(request.user)
            .filter(pk=person.possible_duplicate_of_id)
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
            request.user, person, request.POST.get("status", ""), note=request.POST.get("note", "")
        )
    except TandirError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Status changed."))
    return redirect("registry:detail", pk=person.pk)


@login_required
@require_POST
def beneficiary_withdraw_consent(request: HttpRequest, pk: int) -> HttpResponse:
    person = queries.access_beneficiary(request.user, pk)
    actions.withdraw_consent(request.user, person)
    messages.success(request, _("Consent withdrawn: no more follow-up surveys or sharing."))
    return redirect("registry:detail", pk=person.pk)


@login_required
@require_POST
def beneficiary_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge this (duplicate) record into the record it was flagged against."""
    _require(request, Right.MERGE)
    duplicate = queries.access_beneficiary(request.user, pk)
    kept = queries.access_beneficiary(request.user, request.POST.get("kept", ""))
    try:
        actions.merge_beneficiaries(request.user, kept, duplicate)
    except TandirError as error:
        messages.error(request, error.message)
        return redirect("registry:detail", pk=duplicate.pk)
    messages.success(request, _("Records merged."))
    return redirect("registry:detail", pk=kept.pk)


@login_required
def beneficiary_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """The filtered list as XLSX or CSV, scoped exactly like the list page."""
    _require(request, Right.EXPORT)
    _form, found = _filtered(request)
    return exports.beneficiaries_response(request.user, found, file_format)


@login_required
def beneficiary_record_export(request: HttpRequest, pk: int) -> HttpResponse:
    """One person's record as XLSX; 404 outside the user's scope, like every lookup."""
    _require(request, Right.EXPORT)
    person = queries.access_beneficiary(request.user, pk, channel="export")
    return exports.beneficiaries_response(
        request.user,
        Beneficiary.objects.filter(pk=person.pk),
        "xlsx",
        filename=f"beneficiary-{person.pk}",
    )
