"""Business plan pages: the advisor's view, a plan with its cash flow and chart, the edit form,
the review, "send to appraisal" and the PDF.

Views parse, authorise (a right the role lacks is a 403 page; a plan outside scope is a 404
through `queries.access_plan`), call one action of `tandir.plans.actions`, and render.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tandir.core.errors import TandirError
from tandir.lending import documents as lending_documents
from tandir.orgs.roles import Right, has_right
from tandir.plans import actions, documents, queries
from tandir.plans.forms import (
    CloseForm,
    CostForm,
    CostFormSet,
    PlanForm,
    RevenueForm,
    RevenueFormSet,
    ReviewForm,
    SendForm,
    StartupCostForm,
    StartupFormSet,
    content_from,
    initial_from,
)
from tandir.plans.models import BusinessPlan, PlanStatus
from tandir.plans.presentation import plan_context
from tandir.registry.queries import access_beneficiary


def _require(request: HttpRequest, right: Right) -> None:
    if not has_right(request.user, right):
        raise PermissionDenied(_("Your role does not allow this."))


def _refused(form: forms.Form, error: TandirError) -> None:
    for problem in error.details.get("problems") or [error.message]:
        form.add_error(None, problem)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    _require(request, Right.ADVISE)
    return render(request, "plans/home.html", {"page": queries.advisor_page(request.user)})


def _forms(
    request: HttpRequest, initial: dict[str, Any], content: dict[str, Any]
) -> tuple[PlanForm, Any, Any, Any]:
    post = request.POST if request.method == "POST" else None
    form = PlanForm(post, initial=initial)
    startup = StartupFormSet(post, prefix="startup", initial=content.get("startup_costs") or None)
    revenue = RevenueFormSet(post, prefix="revenue", initial=content.get("revenue") or None)
    costs = CostFormSet(post, prefix="costs", initial=content.get("costs") or None)
    return form, startup, revenue, costs


def _all_valid(*parts: Any) -> bool:
    # Every part is validated, so the page shows all the errors at once.
    results = [part.is_valid() for part in parts]
    return all(results)


def _edit_page(
    request: HttpRequest, parts: tuple[Any, ...], *, person: Any, plan: BusinessPlan | None
) -> HttpResponse:
    form, startup, revenue, costs = parts
    return render(
        request,
        "plans/edit.html",
        {
            "form": form,
            "startup": startup,
            "revenue": revenue,
            "costs": costs,
            "person": person,
            "plan": plan,
        },
    )


LINE_FORMS: dict[str, type[forms.Form]] = {
    "startup": StartupCostForm,
    "revenue": RevenueForm,
    "costs": CostForm,
}
MAX_LINES = 50


@login_required
@require_GET
def line(request: HttpRequest, kind: str) -> HttpResponse:
    """One more empty line of a plan's start-up costs, sales or costs (htmx), and the formset's
    new count, swapped in out of band."""
    _require(request, Right.ADVISE)
    form_class = LINE_FORMS.get(kind)
    count = request.GET.get(f"{kind}-TOTAL_FORMS", "")
    if form_class is None or not count.isdigit() or int(count) >= MAX_LINES:
        return HttpResponseBadRequest(_("No more lines can be added."))
    index = int(count)
    return render(
        request,
        "plans/_line.html",
        {"row": form_class(prefix=f"{kind}-{index}"), "kind": kind, "total": index + 1},
    )


@login_required
def new(request: HttpRequest, person: int) -> HttpResponse:
    _require(request, Right.ADVISE)
    beneficiary = access_beneficiary(request.user, person)
    parts = _forms(request, {}, {})
    if request.method == "POST" and _all_valid(*parts):
        form = parts[0]
        try:
            plan = actions.create_plan(
                request.user,  # type: ignore[arg-type]
                beneficiary,
                title=form.cleaned_data["title"],
                content=content_from(*parts),
            )
        except TandirError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The business plan is saved as a draft."))
            return redirect("plans:detail", pk=plan.pk)
    return _edit_page(request, parts, person=beneficiary, plan=None)


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.ADVISE)
    plan = queries.access_plan(request.user, pk)
    version = plan.current_version
    content = version.content if version else {}
    parts = _forms(request, initial_from(plan.title, content), content)
    if request.method == "POST" and _all_valid(*parts):
        form = parts[0]
        try:
            actions.save_plan(
                request.user,  # type: ignore[arg-type]
                plan,
                title=form.cleaned_data["title"],
                content=content_from(*parts),
            )
        except TandirError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The business plan is saved as a draft."))
            return redirect("plans:detail", pk=plan.pk)
    return _edit_page(request, parts, person=plan.beneficiary, plan=plan)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = queries.access_plan(request.user, pk)
    user = request.user
    advise = has_right(user, Right.ADVISE)
    shown = plan.shown_status
    context = plan_context(plan, plan.current_version)
    sent = plan.loan_id is not None
    can = {
        "edit": advise and not sent and plan.status in actions.EDITABLE,
        "submit": advise and plan.status == PlanStatus.DRAFT and not context["problems"],
        "review": advise and plan.status == PlanStatus.UNDER_REVIEW,
        "send": advise
        and has_right(user, Right.APPLY)
        and plan.status == PlanStatus.READY
        and not sent,
        "close": advise and shown not in (PlanStatus.FINANCED, PlanStatus.NOT_FINANCED),
    }
    context.update(
        can=can,
        shown_status=shown,
        shown_status_label=plan.get_shown_status_display(),
        versions=list(plan.versions.order_by("-number")),
        reviews=list(plan.reviews.select_related("by", "version")),
        review_form=ReviewForm(),
        send_form=SendForm(user=user),
        close_form=CloseForm(),
    )
    return render(request, "plans/detail.html", context)


def _act(request: HttpRequest, pk: int, act: Any, done: str) -> HttpResponse:
    _require(request, Right.ADVISE)
    plan = queries.access_plan(request.user, pk)
    try:
        act(plan)
    except TandirError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("plans:detail", pk=plan.pk)


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda plan: actions.submit_for_review(request.user, plan),  # type: ignore[arg-type]
        _("The plan is waiting for the advisor's review."),
    )


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Choose a decision."))
    accept = form.cleaned_data["decision"] == "accept"
    return _act(
        request,
        pk,
        lambda plan: actions.review_plan(
            request.user,  # type: ignore[arg-type]
            plan,
            accept=accept,
            note=form.cleaned_data["note"],
        ),
        _("The plan is ready for appraisal.") if accept else _("The plan is back in draft."),
    )


@login_required
@require_POST
def send(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.ADVISE)
    _require(request, Right.APPLY)
    plan = queries.access_plan(request.user, pk)
    form = SendForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.values()))
        return redirect("plans:detail", pk=plan.pk)
    try:
        loan = actions.send_to_appraisal(
            request.user,  # type: ignore[arg-type]
            plan,
            product=form.cleaned_data["product"],
            term=form.cleaned_data["term"],
        )
    except TandirError as error:
        messages.error(request, error.message)
        return redirect("plans:detail", pk=plan.pk)
    messages.success(
        request,
        _("Sent to appraisal: loan application %(ref)s.") % {"ref": loan.reference},
    )
    return redirect("lending:detail", pk=loan.pk)


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    form = CloseForm(request.POST)
    reason = form.data.get("reason", "")
    return _act(
        request,
        pk,
        lambda plan: actions.close_plan(request.user, plan, reason=str(reason)),  # type: ignore[arg-type]
        _("The plan is closed as not financed."),
    )


@login_required
@require_GET
def pdf(request: HttpRequest, pk: int) -> HttpResponse:
    plan = queries.access_plan(request.user, pk)
    number = request.GET.get("version")
    version = plan.current_version
    if number and number.isdigit():
        version = plan.versions.filter(number=int(number)).first() or version
    try:
        language = lending_documents.document_language(
            request.GET.get("lang"), getattr(request, "LANGUAGE_CODE", None), plan.beneficiary
        )
    except lending_documents.UnknownLanguage as error:
        return HttpResponseBadRequest(error.message, content_type="text/plain; charset=utf-8")
    html = documents.plan_html(request.user, plan, language, version)
    response = HttpResponse(documents.write_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = (
        content_disposition_header(False, f"business-plan-{plan.pk}.pdf") or "inline"
    )
    response["Cache-Control"] = "private, no-store"
    response.headers["Content-Language"] = language
    return response
