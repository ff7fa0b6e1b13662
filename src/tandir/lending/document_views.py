"""The loan documents as PDF pages: read-only, each reached through a permission-checked lookup
(404 outside the user's scope), printed in `?lang=` or the client's or the request's language."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from tandir.lending import documents
from tandir.lending.queries import access_loan
from tandir.registry.models import Beneficiary


def _pdf(
    request: HttpRequest,
    beneficiary: Beneficiary | None,
    filename: str,
    html_in: Callable[[str], str],
) -> HttpResponse:
    try:
        language = documents.document_language(
            request.GET.get("lang"), getattr(request, "LANGUAGE_CODE", None), beneficiary
        )
    except documents.UnknownLanguage as error:
        return HttpResponseBadRequest(error.message, content_type="text/plain; charset=utf-8")
    response = HttpResponse(documents.write_pdf(html_in(language)), content_type="application/pdf")
    response["Content-Disposition"] = (
        content_disposition_header(False, f"{filename}.pdf") or "inline"
    )
    # A client's papers are not for shared caches, nor for the browser's after logging out.
    response["Cache-Control"] = "private, no-store"
    response.headers["Content-Language"] = language
    return response


@login_required
@require_GET
def agreement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    loan = access_loan(request.user, pk)
    return _pdf(
        request,
        loan.beneficiary,
        f"agreement-{loan.reference}",
        lambda language: documents.agreement_html(request.user, loan, language),
    )


@login_required
@require_GET
def schedule_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    loan = access_loan(request.user, pk)
    return _pdf(
        request,
        loan.beneficiary,
        f"schedule-{loan.reference}",
        lambda language: documents.schedule_html(request.user, loan, language),
    )


@login_required
@require_GET
def statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    loan = access_loan(request.user, pk)
    return _pdf(
        request,
        loan.beneficiary,
        f"statement-{loan.reference}",
        lambda language: documents.statement_html(request.user, loan, language),
    )


@login_required
@require_GET
def receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    repayment = documents.access_repayment(request.user, pk)
    return _pdf(
        request,
        repayment.loan.beneficiary,
        f"receipt-{repayment.receipt_number or repayment.pk}",
        lambda language: documents.receipt_html(request.user, repayment, language),
    )


@login_required
@require_GET
def sheet_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = documents.access_sheet(request.user, pk)
    return _pdf(
        request,
        None,
        f"collection-sheet-{sheet.meeting_date.isoformat()}-{sheet.pk}",
        lambda language: documents.sheet_html(request.user, sheet, language),
    )
