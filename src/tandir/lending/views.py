"""Lending pages of the loan cycle: the loans list, the loan's page, and one form per step.

Views parse, authorise (a right the role lacks is a 403 page; a loan outside scope is a 404
through `queries.access_loan`), call one action of `tandir.lending.actions`, and render. The
actions check rights, scope and four eyes again, so a page never decides a rule on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tandir.core.errors import TandirError
from tandir.core.formatting import number
from tandir.lending import actions, queries
from tandir.lending.forms import (
    ApplicationForm,
    AppraisalForm,
    ApproveForm,
    ChangeRequestForm,
    ConfirmDisbursementForm,
    DecideChangeForm,
    DocumentForm,
    FollowUpForm,
    GuarantorFormSet,
    InstructForm,
    LoanFilterForm,
    OptionalDocumentForm,
    ReasonForm,
    RepaymentForm,
)
from tandir.lending.models import (
    ChangeStatus,
    Loan,
    LoanChange,
    LoanStatus,
    Repayment,
    RepaymentSource,
)
from tandir.lending.templatetags.lending import link
from tandir.orgs.roles import Right, has_right
from tandir.registry.queries import access_beneficiary

RECEIPT_SENTINEL = 987654321987


def _require(request: HttpRequest, right: Right) -> None:
    if not has_right(request.user, right):
        raise PermissionDenied(_("Your role does not allow this."))


def _refused(form: forms.Form, error: TandirError) -> None:
    """A refusal of the action shown on the form: each problem of an offer on its own line."""
    problems = error.details.get("problems")
    for problem in problems or [error.message]:
        form.add_error(None, problem)


def _posted(request: HttpRequest) -> Any:
    """The posted data, even when empty (an empty form sent is a form with errors)."""
    return request.POST if request.method == "POST" else None


def _loan(request: HttpRequest, pk: int) -> Loan:
    return queries.access_loan(request.user, pk)


# --- Lists ------------------------------------------------------------------------------------


@login_required
def loan_list(request: HttpRequest) -> HttpResponse:
    _require(request, Right.SEE_RECORDS)
    form = LoanFilterForm(request.GET or None, user=request.user)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "text": data["q"],
            "status": data["status"],
            "branch": data["branch"],
            "officer": data["officer"],
            "product": data["product"],
        }
    loans = queries.loans_for_list(request.user, **filters)
    page = Paginator(loans, settings.TANDIR_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "lending/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_instruct": has_right(request.user, Right.DISBURSE),
        },
    )


# --- Application ------------------------------------------------------------------------------


@login_required
def apply(request: HttpRequest, person: int) -> HttpResponse:
    """An application for a registered person, with guarantors and, if at hand, a document."""
    _require(request, Right.APPLY)
    beneficiary = access_beneficiary(request.user, person)
    post = request.POST if request.method == "POST" else None
    form = ApplicationForm(post, user=request.user)
    guarantors = GuarantorFormSet(post, prefix="guarantor")
    document = OptionalDocumentForm(post, request.FILES or None, prefix="document")
    if post is not None and form.is_valid() and guarantors.is_valid() and document.is_valid():
        data = form.cleaned_data
        people = [
            actions.GuarantorIn(
                name=g["name"],
                id_number=g.get("id_number", ""),
                phone=g.get("phone", ""),
                relationship=g.get("relationship", ""),
            )
            for g in guarantors.cleaned_data
            if g.get("name")
        ]
        upload = document.cleaned_data.get("file")
        try:
            # The application and its document are kept together or not at all.
            with transaction.atomic():
                loan = actions.apply_for_loan(
                    request.user,  # type: ignore[arg-type]
                    beneficiary,
                    data["product"],
                    amount=data["amount"],
                    term=data["term"],
                    frequency=data["frequency"],
                    rate=data["rate"],
                    purpose=data["purpose"],
                    sector=data["sector"],
                    grace_principal=data["grace_principal"] or 0,
                    grace_interest=data["grace_interest"] or 0,
                    first_due=data["first_due"],
                    group=data["group"],
                    guarantors=people,
                )
                if upload is not None:
                    actions.attach_document(
                        request.user,  # type: ignore[arg-type]
                        loan,
                        kind=document.cleaned_data.get("kind") or "other",
                        name=upload.name,
                        content=upload.read(),
                    )
        except TandirError as error:
            if error.code in {"empty_file", "file_too_large", "file_type"}:
                document.add_error("file", error.message)
            else:
                _refused(form, error)
        else:
            messages.success(request, _("Application %(ref)s submitted.") % {"ref": loan.reference})
            return redirect("lending:detail", pk=loan.pk)
    return render(
        request,
        "lending/apply.html",
        {"form": form, "guarantors": guarantors, "document": document, "person": beneficiary},
    )


# --- The loan's page --------------------------------------------------------------------------


@login_required
def loan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    loan = queries.loan_for_page(request.user, pk)
    page = queries.loan_page(request.user, loan)
    user = request.user
    status = loan.status
    four_eyes_ok = user.pk not in page.deciders_excluded
    repaid = any(r.reversed_at is None for r in page.repayments)
    can = {
        "appraise": status == LoanStatus.SUBMITTED and has_right(user, Right.APPRAISE),
        # Four eyes: the approve and reject buttons are not offered to the maker or appraiser.
        "decide": status == LoanStatus.SUBMITTED
        and has_right(user, Right.APPROVE)
        and four_eyes_ok
        and page.appraisal is not None,
        "withdraw": status in (LoanStatus.SUBMITTED, LoanStatus.APPROVED)
        and has_right(user, Right.APPLY),
        "undo_approval": status == LoanStatus.APPROVED
        and not loan.disbursement_id
        and has_right(user, Right.APPROVE),
        "instruct": status == LoanStatus.APPROVED
        and not loan.disbursement_id
        and loan.bank_branch_id is not None
        and has_right(user, Right.DISBURSE),
        "confirm": status == LoanStatus.APPROVED
        and bool(loan.disbursement_id)
        and has_right(user, Right.CONFIRM_DISBURSEMENT),
        "undo_disbursal": status == LoanStatus.ACTIVE
        and not repaid
        and has_right(user, Right.CONFIRM_DISBURSEMENT),
        "repay": status in (LoanStatus.ACTIVE, LoanStatus.OVERPAID, LoanStatus.WRITTEN_OFF)
        and has_right(user, Right.COLLECT),
        "reverse": has_right(user, Right.CORRECT),
        "follow_up": status in queries.LIVE and has_right(user, Right.FOLLOW_UP),
        "request_change": status == LoanStatus.ACTIVE
        and page.pending_change is None
        and has_right(user, Right.REQUEST_CHANGE),
        "decide_change": page.pending_change is not None
        and has_right(user, Right.DECIDE_CHANGE)
        and page.pending_change.requested_by_id != user.pk,
        "attach": status not in (LoanStatus.REJECTED, LoanStatus.WITHDRAWN)
        and has_right(user, Right.APPLY),
    }
    # One reverse for every receipt link: a loan may have hundreds of payments.
    sentinel = str(RECEIPT_SENTINEL)
    receipt = link("lending:receipt_pdf", pk=RECEIPT_SENTINEL)
    reverse = link("lending:reverse_repayment", pk=RECEIPT_SENTINEL)
    sources = {value: str(label) for value, label in RepaymentSource.choices}
    for repayment in page.repayments:
        key = str(repayment.pk)
        setattr(repayment, "source_label", sources.get(repayment.source, repayment.source))  # noqa: B010
        setattr(repayment, "receipt_url", receipt.replace(sentinel, key))  # noqa: B010
        setattr(repayment, "reverse_url", reverse.replace(sentinel, key))  # noqa: B010
    paid = request.GET.get("paid")
    just_paid = next((r for r in page.repayments if str(r.pk) == paid), None)
    return render(
        request,
        "lending/detail.html",
        {"page": page, "loan": loan, "can": can, "just_paid": just_paid},
    )


def _step_page(
    request: HttpRequest,
    loan: Loan,
    form: forms.Form,
    *,
    title: Any,
    submit: Any,
    intro: Any = "",
    multipart: bool = False,
) -> HttpResponse:
    return render(
        request,
        "lending/step.html",
        {
            "loan": loan,
            "form": form,
            "title": title,
            "submit": submit,
            "intro": intro,
            "multipart": multipart,
        },
    )


def _run(form: forms.Form, act: Callable[[], Any]) -> Any:
    """The action's result, or None with its refusal on the form (nothing was changed)."""
    try:
        return act()
    except TandirError as error:
        _refused(form, error)
        return None


@login_required
def appraise(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.APPRAISE)
    loan = _loan(request, pk)
    # business plan: the appraisal starts from the plan's monthly figures the application was
    # sent with; the appraiser checks them on the site visit and corrects what differs.
    figures = loan.plan_figures or {}
    initial = {
        name: figures[name]
        for name in (
            "business_income",
            "business_expenses",
            "household_income",
            "household_expenses",
            "existing_debt_payments",
        )
        if figures.get(name) is not None and figures.get("currency") == loan.currency
    }
    form = AppraisalForm(_posted(request), currency=loan.currency, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _run(
            form,
            lambda: actions.appraise(
                request.user,  # type: ignore[arg-type]
                loan,
                business_income=data["business_income"],
                business_expenses=data["business_expenses"],
                household_income=data["household_income"],
                household_expenses=data["household_expenses"],
                existing_debt_payments=data["existing_debt_payments"],
                site_visit_notes=data["site_visit_notes"],
                recommendation=data["recommendation"],
                override_reason=data["override_reason"],
            ),
        )
        if done is not None:
            if done.passes:
                messages.success(request, _("Appraisal recorded."))
            elif done.override_reason:
                messages.warning(request, _("Appraisal recorded, with an override of the rule."))
            else:
                messages.warning(
                    request,
                    _(
                        "Appraisal recorded: the installment is more than the household can "
                        "repay, so the loan cannot be approved without an override."
                    ),
                )
            return redirect("lending:detail", pk=loan.pk)
    return _step_page(
        request,
        loan,
        form,
        title=_("Appraise"),
        submit=_("Record the appraisal"),
        intro=_(
            "Monthly amounts of the business and the household. The largest installment may be "
            "at most %(share)s%% of the net cash flow."
        )
        % {"share": number(loan.product_version.capacity_percent)},
    )


@login_required
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.APPROVE)
    loan = _loan(request, pk)
    form = ApproveForm(_posted(request), loan=loan)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _run(
            form,
            lambda: actions.approve(
                request.user,  # type: ignore[arg-type]
                loan,
                amount=data["amount"],
                fund=data["fund"],
                bank_branch=data["bank_branch"],
                note=data["note"],
            ),
        )
        if done is not None:
            messages.success(request, _("Loan approved."))
            return redirect("lending:detail", pk=loan.pk)
    appraisal = loan.appraisals.order_by("-appraised_at", "-id").first()
    intro = ""
    if appraisal is not None:
        intro = _(
            "Appraised by %(who)s: the largest installment is %(share)s%% of the net cash flow "
            "(at most %(allowed)s%%)."
        ) % {
            "who": appraisal.appraised_by.get_full_name() or appraisal.appraised_by.username,
            "share": number(appraisal.share_percent) if appraisal.share_percent else "∞",
            "allowed": number(appraisal.capacity_percent),
        }
        if appraisal.override_reason:
            intro += " " + _("Override: %(reason)s") % {"reason": appraisal.override_reason}
    return _step_page(request, loan, form, title=_("Approve"), submit=_("Approve"), intro=intro)


# Steps that need only a reason: (right, action, page title, button, message when done).
REASON_STEPS: dict[str, tuple[Right, Callable[..., Any], Any, Any, Any]] = {
    "reject": (
        Right.APPROVE,
        actions.reject,
        gettext_lazy("Reject the application"),
        gettext_lazy("Reject"),
        gettext_lazy("Application rejected."),
    ),
    "withdraw": (
        Right.APPLY,
        actions.withdraw,
        gettext_lazy("Withdraw the application"),
        gettext_lazy("Withdraw"),
        gettext_lazy("Application withdrawn."),
    ),
    "undo_approval": (
        Right.APPROVE,
        actions.undo_approval,
        gettext_lazy("Undo the approval"),
        gettext_lazy("Undo approval"),
        gettext_lazy("Approval undone: the application waits for a decision again."),
    ),
    "undo_disbursal": (
        Right.CONFIRM_DISBURSEMENT,
        actions.undo_disbursement,
        gettext_lazy("Undo the disbursal"),
        gettext_lazy("Undo disbursal"),
        gettext_lazy("Disbursal undone: the schedule and its entries are reversed."),
    ),
}


@login_required
def reason_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    if step not in REASON_STEPS:
        raise Http404
    right, act, title, submit, done_message = REASON_STEPS[step]
    _require(request, right)
    loan = _loan(request, pk)
    form = ReasonForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        done = _run(form, lambda: act(request.user, loan, reason=reason))
        if done is not None:
            messages.success(request, str(done_message))
            return redirect("lending:detail", pk=loan.pk)
    return _step_page(request, loan, form, title=title, submit=submit)


# --- Disbursement -----------------------------------------------------------------------------


@login_required
@require_POST
def instruct_one(request: HttpRequest, pk: int) -> HttpResponse:
    """Instruct the loan's bank to pay out this one loan."""
    _require(request, Right.DISBURSE)
    loan = _loan(request, pk)
    if loan.bank_branch is None:
        messages.error(request, _("Choose the bank branch where the client collects first."))
        return redirect("lending:detail", pk=loan.pk)
    try:
        actions.instruct_disbursement(
            request.user,  # type: ignore[arg-type]
            loan.bank_branch.bank,
            [loan],
        )
    except TandirError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The bank is instructed to pay out the loan."))
    return redirect("lending:detail", pk=loan.pk)


@login_required
def instruct_many(request: HttpRequest) -> HttpResponse:
    """One instruction to a partner bank for several approved loans."""
    _require(request, Right.DISBURSE)
    ready = queries.loans_ready_to_instruct(request.user)
    form = InstructForm(_posted(request), ready=ready)
    if request.method == "POST" and form.is_valid():
        chosen = list(form.cleaned_data["loans"])
        banks = {loan.bank_branch.bank_id for loan in chosen}
        if len(banks) > 1:
            form.add_error("loans", _("One instruction goes to one bank: choose its loans only."))
        else:
            bank = chosen[0].bank_branch.bank
            done = _run(
                form,
                lambda: actions.instruct_disbursement(request.user, bank, chosen),  # type: ignore[arg-type]
            )
            if done is not None:
                messages.success(
                    request,
                    _("Instruction #%(number)s to %(bank)s: %(count)d loans.")
                    % {"number": done.pk, "bank": bank.name, "count": len(chosen)},
                )
                return redirect("lending:list")
    return render(request, "lending/instruct.html", {"form": form, "ready": ready})


@login_required
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.CONFIRM_DISBURSEMENT)
    loan = _loan(request, pk)
    form = ConfirmDisbursementForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _run(
            form,
            lambda: actions.confirm_disbursement(
                request.user,  # type: ignore[arg-type]
                loan,
                bank_reference=data["bank_reference"],
                on=data["on"],
            ),
        )
        if done is not None:
            messages.success(request, _("Disbursement confirmed: the schedule has started."))
            return redirect("lending:detail", pk=loan.pk)
    return _step_page(
        request,
        loan,
        form,
        title=_("Confirm the disbursement"),
        submit=_("Confirm"),
        intro=_("The date the bank paid the client starts the schedule."),
    )


# --- Repayments and corrections ---------------------------------------------------------------


@login_required
def repay(request: HttpRequest, pk: int) -> HttpResponse:
    """A repayment at the counter. The form carries its own idempotency key, so sending it twice
    (a double click, a reload) records one payment."""
    _require(request, Right.COLLECT)
    loan = _loan(request, pk)
    form = RepaymentForm(_posted(request), currency=loan.currency)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _run(
            form,
            lambda: actions.record_repayment(
                request.user,  # type: ignore[arg-type]
                loan,
                amount=data["amount"],
                value_date=data["value_date"],
                reference=data["reference"],
                bank_reference=data["bank_reference"],
            ),
        )
        if done is not None:
            messages.success(
                request,
                _("Repayment recorded, receipt %(number)s.") % {"number": done.receipt_number},
            )
            return redirect(f"{loan_url(loan)}?paid={done.pk}")
    return _step_page(request, loan, form, title=_("Take a repayment"), submit=_("Record"))


def loan_url(loan: Loan) -> str:
    from django.urls import reverse

    return reverse("lending:detail", kwargs={"pk": loan.pk})


@login_required
def reverse_repayment(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.CORRECT)
    repayment = Repayment.objects.filter(pk=pk).first()
    if repayment is None:
        raise Http404
    loan = _loan(request, repayment.loan_id)  # 404 outside scope
    form = ReasonForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        done = _run(
            form,
            lambda: actions.reverse_repayment(request.user, repayment, reason=reason),  # type: ignore[arg-type]
        )
        if done is not None:
            messages.success(request, _("Repayment reversed; later ones are allocated again."))
            return redirect("lending:detail", pk=loan.pk)
    return _step_page(
        request,
        loan,
        form,
        title=_("Reverse the repayment %(number)s") % {"number": repayment.receipt_number},
        submit=_("Reverse"),
    )


@login_required
def follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.FOLLOW_UP)
    loan = _loan(request, pk)
    form = FollowUpForm(_posted(request), currency=loan.currency)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _run(
            form,
            lambda: actions.follow_up(
                request.user,  # type: ignore[arg-type]
                loan,
                note=data["note"],
                promised_on=data["promised_on"],
                promised_amount=data["promised_amount"],
            ),
        )
        if done is not None:
            messages.success(request, _("Follow-up recorded."))
            return redirect("lending:detail", pk=loan.pk)
    return _step_page(request, loan, form, title=_("Follow up"), submit=_("Record"))


@login_required
def request_change(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.REQUEST_CHANGE)
    loan = _loan(request, pk)
    form = ChangeRequestForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _run(
            form,
            lambda: actions.request_change(
                request.user,  # type: ignore[arg-type]
                loan,
                kind=data["kind"],
                reason=data["reason"],
                terms=form.terms(),
            ),
        )
        if done is not None:
            messages.success(request, _("Change requested; another person decides on it."))
            return redirect("lending:detail", pk=loan.pk)
    return _step_page(
        request, loan, form, title=_("Ask for a rescheduling or a write-off"), submit=_("Ask")
    )


@login_required
def decide_change(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.DECIDE_CHANGE)
    change = LoanChange.objects.filter(pk=pk, status=ChangeStatus.PENDING).first()
    if change is None:
        raise Http404
    loan = _loan(request, change.loan_id)  # 404 outside scope
    form = DecideChangeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _run(
            form,
            lambda: actions.decide_change(
                request.user,  # type: ignore[arg-type]
                change,
                approve=data["decision"] == "approve",
                reason=data["reason"],
            ),
        )
        if done is not None:
            messages.success(request, _("Decision recorded."))
            return redirect("lending:detail", pk=loan.pk)
    return render(
        request, "lending/decide_change.html", {"loan": loan, "change": change, "form": form}
    )


@login_required
def attach_document(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.APPLY)
    loan = _loan(request, pk)
    form = DocumentForm(_posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            actions.attach_document(
                request.user,  # type: ignore[arg-type]
                loan,
                kind=form.cleaned_data["kind"],
                name=upload.name,
                content=upload.read(),
            )
        except TandirError as error:
            form.add_error("file", error.message)
        else:
            messages.success(request, _("Document added to the loan's file."))
            return redirect("lending:detail", pk=loan.pk)
    return _step_page(
        request, loan, form, title=_("Add a document"), submit=_("Upload"), multipart=True
    )


@login_required
def document_file(request: HttpRequest, pk: int, document: int) -> FileResponse:
    """A document of the loan's file, only to who may open the loan: the uploads are kept
    under MEDIA_ROOT and never served as static files."""
    loan = _loan(request, pk)
    found = loan.documents.filter(pk=document).first()
    if found is None:
        raise Http404
    return FileResponse(
        found.file.open("rb"),
        as_attachment=found.content_type == "application/pdf",
        filename=found.name,
        content_type=found.content_type,
    )
