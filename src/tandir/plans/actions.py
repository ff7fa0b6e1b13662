"""Every write of business plans. Each action is atomic, checks the right (`ADVISE`) and the
scope inside, and refuses bad content with every problem at once, writing nothing.

The cycle: draft → under advisor review → ready for appraisal → (sent: a loan application in
lending) → financed when the loan is paid out / not financed. "Financed" and "not financed
because the application was refused" are read from the linked loan (see `PlanStatus`); the
advisor closes a plan as not financed when the participant gives it up.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.core.errors import Conflict, NotAllowed, NotFound, TandirError
from tandir.engine import build_schedule
from tandir.lending import actions as lending
from tandir.lending.locks import lock_loan
from tandir.lending.models import Loan, LoanProduct, LoanStatus, Sector
from tandir.lending.terms import loan_terms
from tandir.orgs.models import StaffUser
from tandir.orgs.roles import Right, has_right
from tandir.plans import cashflow
from tandir.plans.locks import lock_plan
from tandir.plans.models import BusinessPlan, PlanReview, PlanStatus, PlanVersion
from tandir.plans.queries import compute_version, product_options
from tandir.registry.models import Beneficiary, Status
from tandir.registry.queries import beneficiaries_in_scope

TEXT_FIELDS = ("idea", "business_type", "location", "market", "competitors", "skills")
EDITABLE = (PlanStatus.DRAFT, PlanStatus.UNDER_REVIEW, PlanStatus.READY)


class PlanRefused(TandirError):
    """A rule of business plans was not met; nothing was changed."""

    code = "plan_refused"


def _require(officer: StaffUser, right: Right) -> None:
    if not has_right(officer, right):
        raise NotAllowed(_("Your role does not allow this."))


def _part(field: str) -> str:
    """Where in the plan, in the advisor's words."""
    head, _dot, rest = field.partition(".")
    index, _dot, name = rest.partition(".")
    number = int(index) + 1 if index.isdigit() else 0
    months = [
        _("January"), _("February"), _("March"), _("April"), _("May"), _("June"), _("July"),
        _("August"), _("September"), _("October"), _("November"), _("December"),
    ]  # fmt: skip
    if head == "startup_costs":
        return _("Start-up cost %(number)d") % {"number": number}
    if head == "revenue":
        what = _("quantity") if name == "quantity" else _("price")
        return _("Sales line %(number)d, %(what)s") % {"number": number, "what": what}
    if head == "costs":
        return _("Monthly cost %(number)d") % {"number": number}
    if head == "season" and index.isdigit() and int(index) < len(months):
        return _("Season, %(month)s") % {"month": months[int(index)]}
    labels = {
        "own_contribution": _("Own contribution"),
        "household_expenses": _("Household expenses"),
        "household_income": _("Other household income"),
        "existing_debt_payments": _("Payments on other debts"),
        "season": _("Season"),
        "costs": _("Costs"),
        "revenue": _("Sales"),
        "idea": _("Business idea"),
        "sector": _("Sector"),
        "title": _("Business name"),
        "start": _("First month"),
    }
    return str(labels.get(head, head))


def problem_message(problem: cashflow.Problem) -> str:
    """A problem of a plan's content as the advisor reads it."""
    reasons = {
        "required": _("is needed."),
        "not_a_number": _("is not a number."),
        "negative": _("cannot be negative."),
        "too_large": _("is too large."),
        "decimals": _("has more decimals than the currency has."),
        "unknown_kind": _("has an unknown kind."),
        "twelve_months": _("needs a figure for each of the 12 months."),
        "unknown_sector": _("is not one of the sectors."),
        "bad_date": _("is not a date."),
    }
    whole = {
        "no_costs": _("A plan needs its costs: add start-up costs or monthly costs."),
        "no_revenue": _("A plan needs at least one line of sales."),
        "more_than_costs": _(
            "The own contribution is more than the start-up costs: no loan is needed for them."
        ),
    }
    if problem.code in whole:
        return str(whole[problem.code])
    reason = reasons.get(problem.code, _("is not right."))
    return f"{_part(problem.field)}: {reason}"


def _text_problems(title: str, content: dict[str, Any]) -> list[cashflow.Problem]:
    problems = []
    if not title.strip():
        problems.append(cashflow.Problem("title", "required"))
    if not str(content.get("idea", "")).strip():
        problems.append(cashflow.Problem("idea", "required"))
    if content.get("sector") not in Sector.values:
        problems.append(cashflow.Problem("sector", "unknown_sector"))
    try:
        datetime.date.fromisoformat(str(content.get("start", "")))
    except ValueError:
        problems.append(cashflow.Problem("start", "bad_date"))
    return problems


def _checked(title: str, content: dict[str, Any], currency: str) -> dict[str, Any]:
    """The content as stored, or `PlanRefused` listing every problem (nothing is written)."""
    problems = _text_problems(title, content)
    start = datetime.date(2000, 1, 1)
    _parsed, found = cashflow.parse_plan(content, currency=currency, start=start)
    problems += found
    if problems:
        messages = [problem_message(p) for p in problems]
        raise PlanRefused(
            " ".join(messages),
            code="invalid_plan",
            problems=messages,
            fields=[p.field for p in problems],
        )
    stored: dict[str, Any] = {name: str(content.get(name, "")).strip() for name in TEXT_FIELDS}
    stored["sector"] = content["sector"]
    stored["start"] = datetime.date.fromisoformat(str(content["start"])).replace(day=1).isoformat()
    for name in ("own_contribution", "household_expenses", "household_income",
                 "existing_debt_payments"):  # fmt: skip
        stored[name] = str(Decimal(str(content.get(name) or 0)))
    stored["startup_costs"] = [
        {"kind": r["kind"], "description": str(r.get("description", "")).strip(),
         "amount": str(Decimal(str(r["amount"])))}
        for r in content.get("startup_costs") or []
    ]  # fmt: skip
    stored["revenue"] = [
        {"name": str(r.get("name", "")).strip(), "unit_price": str(Decimal(str(r["unit_price"]))),
         "quantity": str(Decimal(str(r["quantity"])))}
        for r in content.get("revenue") or []
    ]  # fmt: skip
    stored["costs"] = [
        {"name": str(r.get("name", "")).strip(), "amount": str(Decimal(str(r["amount"]))),
         "seasonal": bool(r.get("seasonal"))}
        for r in content.get("costs") or []
    ]  # fmt: skip
    stored["season"] = [str(Decimal(str(v))) for v in content["season"]]
    stored["season_profile"] = str(content.get("season_profile", ""))
    return stored


def _in_scope(officer: StaffUser, beneficiary: Beneficiary) -> Beneficiary:
    person = beneficiaries_in_scope(officer).filter(pk=beneficiary.pk, merged_into=None).first()
    if person is None:
        raise NotFound(_("No such participant."))
    return person


@transaction.atomic
def create_plan(
    officer: StaffUser,
    beneficiary: Beneficiary,
    *,
    title: str,
    content: dict[str, Any],
    advisor: StaffUser | None = None,
    on: datetime.date | None = None,
) -> BusinessPlan:
    """A new plan for a participant of the advisor's branches, its content as version 1.

    A trained participant moves to "business planning" in the registry.
    """
    from tandir.registry.actions import change_status

    _require(officer, Right.ADVISE)
    person = _in_scope(officer, beneficiary)
    chosen = advisor or officer
    if chosen.organization_id != person.organization_id or not has_right(chosen, Right.ADVISE):
        raise PlanRefused(_("Choose a business advisor of the organisation."), code="advisor")
    currency = person.organization.currency
    stored = _checked(title, content, currency)
    plan = BusinessPlan.objects.create(
        organization_id=person.organization_id,
        beneficiary=person,
        branch=person.branch,
        advisor=chosen,
        title=title.strip()[:200],
        currency=currency,
        created_by=officer,
    )
    version = PlanVersion.objects.create(
        organization_id=plan.organization_id,
        plan=plan,
        number=1,
        content=stored,
        created_by=officer,
    )
    plan.current_version = version
    plan.save(update_fields=["current_version"])
    if person.status == Status.TRAINED and has_right(officer, Right.MOVE_TO_PLANNING):
        change_status(officer, person, Status.PLANNING, note=_("Business plan started"), on=on)
    return plan


@transaction.atomic
def save_plan(
    officer: StaffUser, plan: BusinessPlan, *, title: str, content: dict[str, Any]
) -> PlanVersion:
    """The advisor's edit: the draft is changed in place; after a submission the edit starts a
    new draft version (the submitted one stays as it was) and the plan is a draft again."""
    _require(officer, Right.ADVISE)
    locked = lock_plan(officer, plan.pk)
    if locked.status not in EDITABLE or locked.loan_id is not None:
        raise Conflict(_("A plan sent to appraisal is not changed any more."), code="sent")
    stored = _checked(title, content, locked.currency)
    version = locked.current_version
    if version is None or version.frozen:
        number = (version.number if version else 0) + 1
        version = PlanVersion.objects.create(
            organization_id=locked.organization_id,
            plan=locked,
            number=number,
            content=stored,
            created_by=officer,
        )
    else:
        version.content = stored
        version.save(update_fields=["content"])
    locked.current_version = version
    locked.title = title.strip()[:200]
    locked.status = PlanStatus.DRAFT
    locked.save(update_fields=["current_version", "title", "status", "updated_at"])
    plan.refresh_from_db()
    return version


@transaction.atomic
def submit_for_review(officer: StaffUser, plan: BusinessPlan) -> BusinessPlan:
    """The draft goes to the advisor's review; its content is frozen from now on."""
    _require(officer, Right.ADVISE)
    locked = lock_plan(officer, plan.pk)
    if locked.status != PlanStatus.DRAFT or locked.current_version is None:
        raise Conflict(_("Only a draft is submitted for review."), code="not_draft")
    version = locked.current_version
    version.frozen = True
    version.submitted_at = timezone.now()
    version.save(update_fields=["frozen", "submitted_at"])
    locked.status = PlanStatus.UNDER_REVIEW
    locked.save(update_fields=["status", "updated_at"])
    return locked


@transaction.atomic
def review_plan(
    officer: StaffUser, plan: BusinessPlan, *, accept: bool, note: str = ""
) -> BusinessPlan:
    """The advisor accepts the submitted version for appraisal, or sends it back with a note."""
    _require(officer, Right.ADVISE)
    locked = lock_plan(officer, plan.pk)
    if locked.status != PlanStatus.UNDER_REVIEW or locked.current_version is None:
        raise Conflict(_("Only a plan under review is reviewed."), code="not_under_review")
    if not accept and not note.strip():
        raise PlanRefused(_("Say what to change when sending a plan back."), code="note_needed")
    if accept:
        computed = compute_version(locked, locked.current_version)
        if computed.result is None:
            raise PlanRefused(
                " ".join(problem_message(p) for p in computed.problems), code="invalid_plan"
            )
    PlanReview.objects.create(
        organization_id=locked.organization_id,
        plan=locked,
        version=locked.current_version,
        accepted=accept,
        note=note.strip(),
        by=officer,
    )
    locked.status = PlanStatus.READY if accept else PlanStatus.DRAFT
    locked.save(update_fields=["status", "updated_at"])
    return locked


def figures_for(
    plan: BusinessPlan, version: PlanVersion, result: cashflow.Result, installment: Decimal
) -> dict[str, Any]:
    """What the loan application keeps of the plan (lending reads it without the plans app)."""
    figures = result.averages
    net = cashflow.net_monthly_cash_flow(figures)
    ratio = cashflow.capacity_ratio(installment, net)
    return {
        "plan_id": plan.pk,
        "version": version.number,
        "currency": plan.currency,
        "business_income": str(figures.business_income),
        "business_expenses": str(figures.business_expenses),
        "household_income": str(figures.household_income),
        "household_expenses": str(figures.household_expenses),
        "existing_debt_payments": str(figures.existing_debt_payments),
        "net_cash_flow": str(net),
        "installment": str(installment),
        "capacity_ratio": None if ratio is None else str(ratio),
        "break_even_month": result.break_even_month,
        "loan_need": str(result.need),
    }


def _purpose(plan: BusinessPlan, version: PlanVersion) -> str:
    idea = str(version.content.get("idea", "")).strip()
    return (f"{plan.title}: {idea}" if idea else plan.title)[:300]


def _link(officer: StaffUser, locked: BusinessPlan, loan: Loan, day: datetime.date) -> None:
    locked.loan = loan
    locked.sent_on = day
    locked.save(update_fields=["loan", "sent_on", "updated_at"])


@transaction.atomic
def send_to_appraisal(
    officer: StaffUser,
    plan: BusinessPlan,
    *,
    product: LoanProduct | None = None,
    term: int | None = None,
    on: datetime.date | None = None,
) -> Loan:
    """The plan ready for appraisal becomes the participant's loan application.

    If the participant already has a submitted application without a plan and not yet
    appraised, the plan fills it (its terms stay the officer's; the plan's figures are computed
    with them); otherwise a new application is made with the plan's loan, the product and term
    chosen (or suggested) and the plan's purpose and sector. Either way the application keeps
    the plan's id and figures, and the appraisal form starts from them.
    """
    _require(officer, Right.ADVISE)
    _require(officer, Right.APPLY)
    locked = lock_plan(officer, plan.pk)
    if locked.status != PlanStatus.READY or locked.current_version is None:
        raise Conflict(_("Only a plan ready for appraisal is sent."), code="not_ready")
    if locked.loan_id is not None:
        raise Conflict(_("The plan was sent to appraisal already."), code="already_sent")
    version = locked.current_version
    day = on or timezone.localdate()
    existing = (
        Loan.objects.filter(
            beneficiary_id=locked.beneficiary_id,
            status=LoanStatus.SUBMITTED,
            business_plan_id=None,
            appraisals=None,
        )
        .order_by("-submitted_on", "-pk")
        .first()
    )
    if existing is not None and product is None:
        loan = lock_loan(officer, existing.pk)
        computed = compute_version(locked, version, [])
        if computed.result is None:
            raise PlanRefused(_("The plan's figures are not complete."), code="invalid_plan")
        schedule = build_schedule(loan_terms(loan, disbursed=day))
        installment = cashflow.largest_monthly_installment(schedule)
        loan.business_plan_id = locked.pk
        loan.plan_figures = figures_for(locked, version, computed.result, installment)
        loan._history_user = officer  # type: ignore[attr-defined]
        loan.save(update_fields=["business_plan_id", "plan_figures"])
        _link(officer, locked, loan, day)
        return loan
    options = product_options(locked.organization_id, locked.currency)
    if product is not None:
        options = [o for o in options if o.key == product.pk]
        if not options:
            raise PlanRefused(_("This product is not offered."), code="product_not_offered")
    computed = compute_version(locked, version, options, term=term)
    result = computed.result
    if result is None:
        raise PlanRefused(_("The plan's figures are not complete."), code="invalid_plan")
    if result.need <= cashflow.ZERO:
        raise PlanRefused(
            _("The plan needs no loan: the own contribution covers the start-up costs."),
            code="no_loan_needed",
        )
    if result.offer is None or result.installment is None:
        raise PlanRefused(
            _("No product lends this amount for this sector and term; choose another."),
            code="no_product",
        )
    chosen = LoanProduct.objects.get(pk=result.offer.option.key)
    loan = lending.apply_for_loan(
        officer,
        locked.beneficiary,
        chosen,
        amount=result.offer.schedule.terms.amount,
        term=result.offer.term,
        purpose=_purpose(locked, version),
        sector=str(version.content.get("sector")),
        on=day,
    )
    loan.business_plan_id = locked.pk
    loan.plan_figures = figures_for(locked, version, result, result.installment)
    loan._history_user = officer  # type: ignore[attr-defined]
    loan.save(update_fields=["business_plan_id", "plan_figures"])
    _link(officer, locked, loan, day)
    return loan


@transaction.atomic
def close_plan(officer: StaffUser, plan: BusinessPlan, *, reason: str) -> BusinessPlan:
    """The participant gives the plan up (or finances it elsewhere): not financed, with why."""
    _require(officer, Right.ADVISE)
    locked = lock_plan(officer, plan.pk)
    if not reason.strip():
        raise PlanRefused(_("Say why the plan is not financed."), code="reason_needed")
    if locked.shown_status in (PlanStatus.FINANCED, PlanStatus.NOT_FINANCED):
        raise Conflict(_("The plan is closed already."), code="closed")
    if getattr(locked, "loan_status", None) in (LoanStatus.SUBMITTED, LoanStatus.APPROVED):
        raise Conflict(
            _("The loan application is still open: withdraw it in lending first."),
            code="application_open",
        )
    locked.status = PlanStatus.NOT_FINANCED
    locked.closed_reason = reason.strip()[:300]
    locked.save(update_fields=["status", "closed_reason", "updated_at"])
    return locked
