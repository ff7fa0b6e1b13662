"""Donor-report pages: the report of a project for a period (headline, definitions,
disaggregations), the drill-down to the records behind a figure, the exchange-rate table, and
the runs of long reports (XLSX and PDF made by the worker, with a progress bar polled by htmx).

Views parse, authorise (a missing right is the 403 page; a project or run outside scope is a
404), call one action or read, and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tandir.core.errors import NotFound, TandirError
from tandir.lending.models import Loan
from tandir.lending.queries import loans_in_scope
from tandir.orgs.access import scope
from tandir.orgs.roles import Right, has_right
from tandir.registry.models import Beneficiary, Sex
from tandir.registry.queries import beneficiaries_in_scope
from tandir.reports import actions
from tandir.reports.documents import figure_basis, figure_text
from tandir.reports.donor import DonorReport, donor_report
from tandir.reports.exchange import rates_in_scope
from tandir.reports.forms import DonorReportForm, ExchangeRateForm
from tandir.reports.models import ReportRun, ReportStatus
from tandir.reports.programme import DEFINITIONS, Programme

RECORDS_SHOWN = 500


def _require(request: HttpRequest, *rights: Right) -> None:
    if not any(has_right(request.user, right) for right in rights):
        raise PermissionDenied(_("Your role does not allow this."))


def _user(request: HttpRequest) -> Any:
    return request.user


def _report_from(request: HttpRequest, form: DonorReportForm) -> DonorReport:
    data = form.cleaned_data
    return donor_report(
        data["project"],
        data["date_from"],
        data["date_to"],
        currency=data.get("currency") or None,
        user=request.user,
    )


@login_required
def donor(request: HttpRequest) -> HttpResponse:
    _require(request, Right.SEE_REPORTS)
    form = DonorReportForm(request.GET or None, user=request.user)
    report: DonorReport | None = None
    error = ""
    if request.GET and form.is_valid():
        try:
            report = _report_from(request, form)
        except TandirError as refused:
            error = refused.message
    rows = []
    if report is not None:
        rows = [
            {
                "figure": figure,
                "value": figure_text(figure),
                "basis": figure_basis(figure),
            }
            for figure in report.headline
        ]
    return render(
        request,
        "reports/donor.html",
        {
            "form": form,
            "report": report,
            "rows": rows,
            "error": error,
            "query": request.GET.urlencode(),
            "can_see_records": has_right(request.user, Right.SEE_RECORDS),
        },
    )


# --- The records behind a figure -----------------------------------------------------------


def _records(programme: Programme, key: str) -> QuerySet[Beneficiary] | QuerySet[Loan] | None:
    people: dict[str, Any] = {
        "registered": programme.registered,
        "completed_training": programme.completed,
        "dropped_out": programme.dropped_out,
        "borrowers": programme.borrowers,
        "plans_prepared": lambda: programme.people.filter(
            pk__in=programme.plans_prepared().values("beneficiary_id")
        ),
        "plans_financed": lambda: programme.people.filter(
            pk__in=programme.plans_financed().values("beneficiary_id")
        ),
        "income_increase": lambda: programme.answered("income_change", "better"),
        "quality_of_life_better": lambda: programme.answered("quality_of_life_change", "better"),
        "businesses_operating": lambda: programme.answered("business_operating", "yes"),
        "women": lambda: programme.reached().filter(sex=Sex.FEMALE),
        "youth": lambda: programme.reached().filter(date_of_birth__gt=programme.youth_born_after()),
    }
    if key == "loans":
        return programme.loans()
    found = people.get(key)
    return None if found is None else found()


@login_required
def donor_records(request: HttpRequest, key: str) -> HttpResponse:
    """The people or loans behind one figure, within the reader's scope (SEE_RECORDS)."""
    _require(request, Right.SEE_REPORTS)
    _require(request, Right.SEE_RECORDS)
    form = DonorReportForm(request.GET or None, user=request.user)
    if not form.is_valid():
        raise Http404("No such report.")
    data = form.cleaned_data
    programme = Programme(data["project"], data["date_from"], data["date_to"], user=request.user)
    records = _records(programme, key)
    if records is None:
        raise Http404("No such figure.")
    loans: list[Loan] = []
    people: list[Beneficiary] = []
    ids: Any = records.values("pk")
    if records.model is Loan:
        loan_rows = loans_in_scope(request.user).filter(pk__in=ids)
        total = loan_rows.count()
        loans = list(
            loan_rows.select_related("beneficiary", "branch").order_by("disbursed_on", "pk")[
                :RECORDS_SHOWN
            ]
        )
    else:
        people_rows = beneficiaries_in_scope(request.user).filter(pk__in=ids)
        total = people_rows.count()
        people = list(
            people_rows.select_related("branch", "district").order_by(
                "last_name", "first_name", "pk"
            )[:RECORDS_SHOWN]
        )
    label: Any
    definition: Any = None
    if key in DEFINITIONS:
        label, definition = DEFINITIONS[key]
    else:
        label = {
            "dropped_out": _("Dropped out of training"),
            "borrowers": _("Borrowers"),
            "loans": _("Loans disbursed"),
            "businesses_operating": _("Businesses operating at 12 months"),
        }.get(key, key)
    return render(
        request,
        "reports/donor_records.html",
        {
            "label": label,
            "definition": definition,
            "project": data["project"],
            "form": form,
            "people": people,
            "loans": loans,
            "total": total,
            "shown": RECORDS_SHOWN,
            "query": request.GET.urlencode(),
        },
    )


# --- Long reports: the worker makes the file -------------------------------------------------


@login_required
@require_POST
def donor_run(request: HttpRequest) -> HttpResponse:
    _require(request, Right.SEE_REPORTS)
    form = DonorReportForm(request.POST, user=request.user)
    fmt = request.POST.get("format", "")
    if not form.is_valid():
        messages.error(request, _("Choose a project and a period first."))
        return redirect("reports:donor")
    data = form.cleaned_data
    try:
        run = actions.request_donor_report(
            _user(request),
            data["project"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            currency=data.get("currency") or data["project"].budget_currency,
            format=fmt,
            language=get_language() or "en",
        )
    except TandirError as refused:
        messages.error(request, refused.message)
        return redirect("reports:donor")
    return redirect("reports:run", pk=run.pk)


def _run_of(request: HttpRequest, pk: int) -> ReportRun:
    # A run holds what its requester may see: only they open it.
    run = (
        scope(request.user, ReportRun.objects.all(), branch_field=None)
        .filter(pk=pk, requested_by=_user(request))
        .first()
    )
    if run is None:
        raise Http404("No such report.")
    return run


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.SEE_REPORTS)
    run = _run_of(request, pk)
    done = run.status in (ReportStatus.FINISHED, ReportStatus.FAILED)
    return render(request, "reports/run.html", {"run": run, "done": done})


@login_required
def run_download(request: HttpRequest, pk: int) -> FileResponse:
    _require(request, Right.SEE_REPORTS)
    run = _run_of(request, pk)
    if run.status != ReportStatus.FINISHED or not run.file:
        raise Http404("The report is not ready.")
    name = (run.file.name or "").rsplit("/", 1)[-1]
    return FileResponse(run.file.open("rb"), as_attachment=True, filename=name)


# --- Exchange rates --------------------------------------------------------------------------


@login_required
def exchange_rates(request: HttpRequest) -> HttpResponse:
    _require(request, Right.SEE_REPORTS, Right.RECORD_EXCHANGE_RATES)
    can_record = has_right(request.user, Right.RECORD_EXCHANGE_RATES)
    user = _user(request)
    currency = getattr(user.organization, "currency", "") if user.organization_id else ""
    form = ExchangeRateForm(
        request.POST if request.method == "POST" else None, currency=currency or ""
    )
    if request.method == "POST":
        _require(request, Right.RECORD_EXCHANGE_RATES)
        if form.is_valid():
            try:
                rate = actions.record_exchange_rate(user, **form.cleaned_data)
            except TandirError as refused:
                for field, problems in (refused.details.get("fields") or {}).items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
                if not refused.details.get("fields"):
                    form.add_error(None, refused.message)
            else:
                messages.success(request, _("Rate recorded: %(rate)s.") % {"rate": str(rate)})
                return redirect("reports:exchange_rates")
    rates = rates_in_scope(request.user).select_related("recorded_by")[:500]
    return render(
        request,
        "reports/exchange_rates.html",
        {"form": form, "rates": rates, "can_record": can_record},
    )


@login_required
@require_POST
def exchange_rate_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.RECORD_EXCHANGE_RATES)
    try:
        actions.delete_exchange_rate(_user(request), pk)
    except NotFound as missing:
        raise Http404(missing.message) from None
    messages.success(request, _("Rate deleted."))
    return redirect("reports:exchange_rates")
