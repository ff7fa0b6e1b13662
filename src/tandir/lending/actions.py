"""Every write of lending. Each action is atomic, checks the officer's right and scope inside,
records who and when, and posts its journal entries through the ledger.

The cycle follows Fineract's states: submitted → approved / rejected / withdrawn → active
(disbursed) → closed / written off / overpaid, with "undo approval" and "undo disbursal" before
any repayment. Money moves only through the loan engine (`tandir.engine`): a repayment extends
the loan's payment history there, and what the engine reports reversed and applied is what the
sub-ledger and the journal record.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.core.bulk import (
    analyse_once,
    insert_records,
    insert_rows,
    reserve_ids,
    update_rows,
)
from tandir.core.errors import Conflict, NotAllowed, NotFound, TandirError
from tandir.core.money import money
from tandir.engine import (
    Allocation,
    Frequency,
    InvalidTerms,
    LoanTerms,
    Method,
    Posting,
    Source,
    apply_credit,
    build_schedule,
    loan_cash,
    payoff_quote,
    post_payment,
    quantum,
    reverse_payment,
    validate_terms,
)
from tandir.ledger import actions as ledger
from tandir.ledger.actions import accounts_by_role
from tandir.ledger.charts import AccountType, Role
from tandir.ledger.models import Account, EntryKind, JournalEntry
from tandir.lending import posting
from tandir.lending.locks import (
    lock_change,
    lock_installments,
    lock_installments_of,
    lock_loan,
    lock_loans,
    lock_memberships,
    lock_repayment,
)
from tandir.lending.models import (
    Application,
    ApplicationLine,
    Appraisal,
    ApprovalLimit,
    Attendance,
    BankBranch,
    Centre,
    ChangeKind,
    ChangeStatus,
    CollectionLine,
    CollectionSheet,
    Disbursement,
    FollowUp,
    FundingSource,
    GroupMembership,
    Guarantor,
    Installment,
    Loan,
    LoanChange,
    LoanDocument,
    LoanEvent,
    LoanProduct,
    LoanStatus,
    PenaltyKind,
    ProductVersion,
    Repayment,
    RepaymentSource,
    SolidarityGroup,
)
from tandir.lending.terms import (
    engine_product,
    history_of,
    installment_rows,
    loan_terms,
    payment_of,
    product_of,
)
from tandir.orgs.models import Organization, StaffUser
from tandir.orgs.roles import Right, has_right, is_platform_operator
from tandir.registry.models import Beneficiary, Consent

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class LoanRefused(TandirError):
    """A rule of lending was not met; nothing was changed."""

    code = "loan_refused"


def _require(officer: StaffUser, right: Right) -> None:
    if not has_right(officer, right):
        raise NotAllowed(_("Your role does not allow this."))


def _today() -> datetime.date:
    return timezone.localdate()


def _event(
    officer: StaffUser,
    loan: Loan,
    from_status: str,
    action: str,
    *,
    on: datetime.date,
    reason: str = "",
) -> None:
    LoanEvent.objects.create(
        organization_id=loan.organization_id,
        loan=loan,
        from_status=from_status,
        to_status=loan.status,
        action=action,
        on=on,
        by=officer,
        reason=reason[:500],
    )


def _save(officer: StaffUser, record: Any, fields: list[str]) -> None:
    record._history_user = officer
    record.save(update_fields=fields)


def _own_organization(administrator: StaffUser, organization_id: int) -> None:
    if not is_platform_operator(administrator) and administrator.organization_id != organization_id:
        raise NotAllowed(_("This belongs to another organisation."))


# --- Products, funds, partner banks -----------------------------------------------------------

PRODUCT_TERMS = {f.name for f in ProductVersion._meta.concrete_fields} - {
    "id", "organization", "product", "number", "created_at", "created_by",
}  # fmt: skip


def _check_version(version: ProductVersion) -> None:
    """The terms must make schedules the engine accepts, at both ends of the product's ranges."""
    problems = []
    amount = money(version.amount_max, version.currency).amount
    for rate in {version.rate_min, version.rate_max}:
        for frequency in version.frequencies or ["monthly"]:
            product = engine_product(version, rate=rate, frequency=frequency)
            for term in {version.term_min, version.term_max}:
                terms = LoanTerms(product, amount, term, datetime.date(2026, 1, 15))
                problems += [f"{e.field}: {e.message}" for e in validate_terms(terms)]
    if problems:
        raise TandirError(
            _("These terms cannot make a schedule: %(problems)s")
            % {"problems": "; ".join(sorted(set(problems)))},
            code="invalid_product",
        )


@transaction.atomic
def create_product(
    administrator: StaffUser,
    organization: Organization,
    *,
    code: str,
    name: str,
    target_groups: Iterable[Any] = (),
    **terms: Any,
) -> ProductVersion:
    """A new loan product with its first version of terms."""
    _require(administrator, Right.MANAGE_ORGANIZATION)
    _own_organization(administrator, organization.pk)
    product = LoanProduct.objects.create(organization=organization, code=code, name=name)
    return _new_version(administrator, product, terms, target_groups, number=1)


def _new_version(
    administrator: StaffUser,
    product: LoanProduct,
    terms: dict[str, Any],
    target_groups: Iterable[Any],
    *,
    number: int,
) -> ProductVersion:
    unknown = set(terms) - PRODUCT_TERMS
    if unknown:
        raise TandirError(
            _("Unknown product settings: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )
    version = ProductVersion(
        organization_id=product.organization_id,
        product=product,
        number=number,
        created_by=administrator,
        **terms,
    )
    if not version.frequencies:
        version.frequencies = ["monthly"]
    _check_version(version)
    version.save()
    version.target_groups.set(list(target_groups))
    return version


@transaction.atomic
def revise_product(
    administrator: StaffUser,
    product: LoanProduct,
    *,
    target_groups: Iterable[Any] | None = None,
    **changes: Any,
) -> ProductVersion:
    """A new version of a product's terms; loans already approved keep theirs."""
    _require(administrator, Right.MANAGE_ORGANIZATION)
    _own_organization(administrator, product.organization_id)
    current = product.versions.order_by("-number").first()
    if current is None:
        raise NotFound(_("The product has no terms yet."))
    terms = {name: getattr(current, name) for name in PRODUCT_TERMS}
    terms.update(changes)
    groups = list(current.target_groups.all()) if target_groups is None else target_groups
    return _new_version(administrator, product, terms, groups, number=current.number + 1)


def current_version(product: LoanProduct) -> ProductVersion:
    version = product.versions.order_by("-number").first()
    if version is None:
        raise NotFound(_("The product has no terms yet."))
    return version


@transaction.atomic
def create_fund(
    administrator: StaffUser,
    organization: Organization,
    *,
    code: str,
    name: str,
    kind: str,
    currency: str,
    bank: Organization | None = None,
) -> FundingSource:
    """A funding source with a ledger account of its own, whose balance is the fund's."""
    _require(administrator, Right.MANAGE_ORGANIZATION)
    _own_organization(administrator, organization.pk)
    account = Account.objects.create(
        organization=organization,
        code=f"1020.{code}"[:20],
        name=name,
        type=AccountType.ASSET,
    )
    return FundingSource.objects.create(
        organization=organization,
        code=code,
        name=name,
        kind=kind,
        currency=currency,
        account=account,
        bank=bank,
    )


@transaction.atomic
def receive_funds(
    officer: StaffUser, fund: FundingSource, amount: Decimal, *, on: datetime.date, memo: str = ""
) -> JournalEntry | None:
    """Money into a fund: a donor's transfer, or a drawing on a partner bank's credit line."""
    _require(officer, Right.CONFIRM_DISBURSEMENT)
    _own_organization(officer, fund.organization_id)
    value = money(amount, fund.currency).amount
    if value <= ZERO:
        raise TandirError(_("The amount must be positive."), code="not_positive")
    return ledger.post(
        officer,
        organization_id=fund.organization_id,
        entry_date=on,
        kind=EntryKind.FUNDING,
        lines=posting.funding_lines(fund.account, fund.kind, fund.currency, value),
        memo=memo or fund.name,
    )


def fund_balance(fund: FundingSource) -> Decimal:
    """What the fund holds: its ledger account's balance."""
    from tandir.ledger.queries import account_balance

    return account_balance(fund.account, fund.currency)


@transaction.atomic
def create_bank_branch(
    administrator: StaffUser,
    organization: Organization,
    *,
    bank: Organization,
    code: str,
    name: str,
    district: Any = None,
) -> BankBranch:
    _require(administrator, Right.MANAGE_ORGANIZATION)
    _own_organization(administrator, organization.pk)
    if bank.kind != "bank":
        raise TandirError(_("Choose a partner bank."), code="not_a_bank")
    return BankBranch.objects.create(
        organization=organization, bank=bank, code=code, name=name, district=district
    )


@transaction.atomic
def set_approval_limit(
    administrator: StaffUser,
    organization: Organization,
    *,
    role: str,
    currency: str,
    amount: Decimal,
) -> ApprovalLimit:
    _require(administrator, Right.MANAGE_ORGANIZATION)
    _own_organization(administrator, organization.pk)
    limit, _created = ApprovalLimit.objects.update_or_create(
        organization=organization,
        role=role,
        currency=currency,
        defaults={"max_amount": money(amount, currency).amount},
    )
    return limit


# --- Application, appraisal, decision --------------------------------------------------------


@dataclass(frozen=True)
class GuarantorIn:
    name: str
    id_number: str = ""
    phone: str = ""
    relationship: str = ""
    beneficiary: Beneficiary | None = None


def _check_offer(
    version: ProductVersion,
    *,
    amount: Decimal,
    term: int,
    rate: Decimal,
    frequency: str,
    sector: str,
    beneficiary: Beneficiary,
) -> list[str]:
    """Every way the offer falls outside the product, in the officer's words."""
    problems = []
    currency = version.currency
    if not version.amount_min <= amount <= version.amount_max:
        problems.append(
            _("The amount must be between %(low)s and %(high)s %(currency)s.")
            % {
                "low": money(version.amount_min, currency).amount,
                "high": money(version.amount_max, currency).amount,
                "currency": currency,
            }
        )
    if not version.term_min <= term <= version.term_max:
        problems.append(
            _("The number of installments must be between %(low)d and %(high)d.")
            % {"low": version.term_min, "high": version.term_max}
        )
    if not version.rate_min <= rate <= version.rate_max:
        problems.append(
            _("The rate must be between %(low)s%% and %(high)s%%.")
            % {"low": version.rate_min.normalize(), "high": version.rate_max.normalize()}
        )
    if frequency not in (version.frequencies or ["monthly"]):
        problems.append(_("The product is not repaid %(frequency)s.") % {"frequency": frequency})
    if version.sectors and sector not in version.sectors:
        problems.append(_("The product does not lend to this sector."))
    groups = set(version.target_groups.values_list("pk", flat=True))
    if groups and not groups & set(beneficiary.target_groups.values_list("pk", flat=True)):
        from tandir.registry.queries import youngest_non_youth_birthday

        youth = version.target_groups.filter(code="youth").exists() and (
            beneficiary.date_of_birth > youngest_non_youth_birthday(_today())
        )
        if not youth:
            problems.append(_("The product is for target groups this person is not in."))
    return problems


@transaction.atomic
def apply_for_loan(
    officer: StaffUser,
    beneficiary: Beneficiary,
    product: LoanProduct,
    *,
    amount: Decimal,
    term: int,
    frequency: str = "monthly",
    rate: Decimal | None = None,
    purpose: str,
    sector: str,
    grace_principal: int = 0,
    grace_interest: int = 0,
    first_due: datetime.date | None = None,
    custom_schedule: list[dict[str, Any]] | None = None,
    group: Any = None,
    guarantors: Sequence[GuarantorIn] = (),
    loan_officer: StaffUser | None = None,
    reference: str = "",
    on: datetime.date | None = None,
) -> Loan:
    """An application for a registered person who consents to the programme's use of their data."""
    from tandir.registry.queries import beneficiaries_in_scope

    _require(officer, Right.APPLY)
    person = beneficiaries_in_scope(officer).filter(pk=beneficiary.pk, merged_into=None).first()
    if person is None:
        raise NotFound(_("No such participant."))
    if product.organization_id != person.organization_id or not product.is_active:
        raise LoanRefused(_("This product is not offered."), code="product_not_offered")
    if not Consent.objects.filter(
        beneficiary=person, withdrawn_on=None, programme_use=True
    ).exists():
        raise LoanRefused(
            _("The person's consent to use in the programme is not in force."), code="no_consent"
        )
    version = current_version(product)
    rate = version.rate_min if rate is None else Decimal(rate)
    value = money(amount, version.currency).amount
    problems = _check_offer(
        version, amount=value, term=term, rate=rate, frequency=frequency, sector=sector,
        beneficiary=person,
    )  # fmt: skip
    if custom_schedule and not version.custom_schedule:
        problems.append(_("The product does not allow the officer's own due dates."))
    if grace_principal > version.grace_principal_max or grace_interest > version.grace_interest_max:
        problems.append(_("The grace asked for is longer than the product allows."))
    if group is not None and not group.members.filter(beneficiary=person, left_on=None).exists():
        problems.append(_("The person is not a member of this group."))
    if problems:
        raise LoanRefused(" ".join(problems), code="outside_product", problems=problems)
    day = on or _today()
    loan = Loan(
        organization_id=person.organization_id,
        reference=reference or f"tmp-{timezone.now().timestamp()}-{person.pk}",
        branch=person.branch,
        beneficiary=person,
        officer=loan_officer or officer,
        product_version=version,
        currency=version.currency,
        amount=value,
        rate=rate,
        term=len(custom_schedule) if custom_schedule else term,
        frequency=frequency,
        grace_principal=grace_principal,
        grace_interest=grace_interest,
        first_due=first_due,
        custom_schedule=custom_schedule,
        purpose=purpose,
        sector=sector,
        group=group,
        submitted_on=day,
        created_by=officer,
    )
    try:
        build_schedule(loan_terms(loan, disbursed=day))
    except InvalidTerms as exc:
        raise LoanRefused(
            "; ".join(f"{e.field}: {e.message}" for e in exc.errors), code="invalid_terms"
        ) from exc
    loan._history_user = officer  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            loan.save()
    except IntegrityError as exc:
        raise Conflict(
            _("This loan reference is already used."), code="duplicate_reference"
        ) from exc
    if not reference:
        loan.reference = f"{person.branch.code}-{loan.pk:06d}"
        _save(officer, loan, ["reference"])
    Guarantor.objects.bulk_create(
        Guarantor(
            organization_id=loan.organization_id,
            loan=loan,
            beneficiary=g.beneficiary,
            name=g.name,
            id_number=g.id_number,
            phone=g.phone,
            relationship=g.relationship,
        )
        for g in guarantors
    )
    _event(officer, loan, "", "submit", on=day)
    return loan


def monthly(amount: Decimal, frequency: str) -> Decimal:
    """An installment as a monthly amount, to compare with a monthly cash flow."""
    return amount * Decimal(Frequency(frequency).periods_per_year) / Decimal(12)


@transaction.atomic
def appraise(
    appraiser: StaffUser,
    loan: Loan,
    *,
    business_income: Decimal,
    business_expenses: Decimal,
    household_expenses: Decimal,
    household_income: Decimal = ZERO,
    existing_debt_payments: Decimal = ZERO,
    site_visit_notes: str = "",
    recommendation: str = "approve",
    override_reason: str = "",
) -> Appraisal:
    """Repayment capacity: the largest installment, as a monthly amount, may be at most the
    product's share of the household's and business's monthly net cash flow."""
    _require(appraiser, Right.APPRAISE)
    locked = lock_loan(appraiser, loan.pk)
    if locked.status != LoanStatus.SUBMITTED:
        raise Conflict(_("Only a submitted application is appraised."), code="not_submitted")
    if recommendation not in {"approve", "reject", "modify"}:
        raise TandirError(_("Unknown recommendation."), code="invalid")
    currency = locked.currency
    amounts = {
        name: money(value, currency).amount
        for name, value in {
            "business_income": business_income,
            "business_expenses": business_expenses,
            "household_income": household_income,
            "household_expenses": household_expenses,
            "existing_debt_payments": existing_debt_payments,
        }.items()
    }
    if any(v < ZERO for v in amounts.values()):
        raise TandirError(_("Amounts cannot be negative."), code="negative")
    schedule = build_schedule(loan_terms(locked, disbursed=_today()))
    largest = max(row.total for row in schedule.installments)
    per_month = monthly(largest, locked.frequency).quantize(quantum(currency))
    net = (
        amounts["business_income"]
        - amounts["business_expenses"]
        + amounts["household_income"]
        - amounts["household_expenses"]
        - amounts["existing_debt_payments"]
    )
    allowed = locked.product_version.capacity_percent
    share = (per_month * HUNDRED / net).quantize(Decimal("0.01")) if net > ZERO else None
    passes = share is not None and share <= allowed
    appraisal = Appraisal.objects.create(
        organization_id=locked.organization_id,
        loan=locked,
        currency=currency,
        net_cash_flow=net,
        installment=per_month,
        capacity_percent=allowed,
        share_percent=share,
        passes=passes,
        override_reason=override_reason.strip()[:500],
        site_visit_notes=site_visit_notes,
        recommendation=recommendation,
        appraised_by=appraiser,
        **amounts,
    )
    return appraisal


def _check_four_eyes(approver: StaffUser, loan: Loan) -> None:
    appraisers = set(loan.appraisals.values_list("appraised_by_id", flat=True))
    if approver.pk == loan.created_by_id or approver.pk in appraisers:
        raise NotAllowed(
            _("Four eyes: who took or appraised the application may not decide on it."),
            code="four_eyes",
        )


def _check_limit(approver: StaffUser, loan: Loan, amount: Decimal) -> None:
    if is_platform_operator(approver):
        return
    limit = ApprovalLimit.objects.filter(
        organization_id=loan.organization_id, role=approver.role, currency=loan.currency
    ).first()
    if limit is not None and amount > limit.max_amount:
        raise NotAllowed(
            _("Your role approves loans of at most %(amount)s %(currency)s.")
            % {"amount": money(limit.max_amount, loan.currency).amount, "currency": loan.currency},
            code="above_limit",
        )


@transaction.atomic
def approve(
    approver: StaffUser,
    loan: Loan,
    *,
    amount: Decimal | None = None,
    on: datetime.date | None = None,
    fund: FundingSource | None = None,
    bank_branch: BankBranch | None = None,
    note: str = "",
) -> Loan:
    """The credit committee approves (perhaps a smaller amount), never the maker or appraiser.

    An application whose appraisal fails the capacity rule needs an override with a reason.
    A member of a solidarity group whose member is late cannot get a loan (joint liability).
    """
    from tandir.lending.queries import group_on_hold

    _require(approver, Right.APPROVE)
    locked = lock_loan(approver, loan.pk)
    if locked.status != LoanStatus.SUBMITTED:
        raise Conflict(_("Only a submitted application can be approved."), code="not_submitted")
    _check_four_eyes(approver, locked)
    appraisal = locked.appraisals.order_by("-appraised_at", "-id").first()
    if appraisal is None:
        raise LoanRefused(_("The application has not been appraised."), code="not_appraised")
    if not appraisal.passes and not appraisal.override_reason:
        raise LoanRefused(
            _(
                "The installment is more than the household can repay (%(share)s%% of its net "
                "cash flow; at most %(allowed)s%%). Appraise again with an override and a reason."
            )
            % {"share": appraisal.share_percent or "∞", "allowed": appraisal.capacity_percent},
            code="over_capacity",
        )
    day = on or _today()
    if locked.group_id and group_on_hold(locked.group_id, day, except_loan=locked.pk):
        raise LoanRefused(
            _("A member of the group is late: the group's next loans wait until it is paid."),
            code="group_on_hold",
        )
    value = locked.amount if amount is None else money(amount, locked.currency).amount
    if value > locked.amount or value <= ZERO:
        raise LoanRefused(
            _("The approved amount is at most the amount applied for."), code="amount"
        )
    problems = _check_offer(
        locked.product_version, amount=value, term=locked.term, rate=locked.rate,
        frequency=locked.frequency, sector=locked.sector, beneficiary=locked.beneficiary,
    )  # fmt: skip
    if problems:
        raise LoanRefused(" ".join(problems), code="outside_product", problems=problems)
    _check_limit(approver, locked, value)
    for chosen, name in ((fund, "fund"), (bank_branch, "bank_branch")):
        if chosen is not None and chosen.organization_id != locked.organization_id:
            raise NotAllowed(_("This belongs to another organisation."))
        if chosen is not None:
            setattr(locked, name, chosen)
    if locked.fund is not None and locked.fund.currency != locked.currency:
        raise LoanRefused(_("The fund lends in another currency."), code="fund_currency")
    before = locked.status
    locked.amount, locked.status, locked.approved_on, locked.approved_by = (
        value, LoanStatus.APPROVED, day, approver,
    )  # fmt: skip
    _save(
        approver, locked, ["amount", "status", "approved_on", "approved_by", "fund", "bank_branch"]
    )
    _event(approver, locked, before, "approve", on=day, reason=note)
    return locked


def _decide_against(
    officer: StaffUser,
    loan: Loan,
    to_status: str,
    action: str,
    *,
    allowed_from: set[str],
    reason: str,
    four_eyes: bool,
    on: datetime.date | None = None,
) -> Loan:
    """A decision against the application on `on` (today by default: a decision taken on paper
    is recorded with its own date, never in the future nor before the application)."""
    reason = reason.strip()
    if not reason:
        raise TandirError(_("Give a reason."), code="reason_required")
    locked = lock_loan(officer, loan.pk)
    if locked.status not in allowed_from:
        raise Conflict(
            _("The loan is %(status)s.") % {"status": locked.get_status_display()},
            code="wrong_status",
        )
    if four_eyes:
        _check_four_eyes(officer, locked)
    day = on or _today()
    if day > _today():
        raise TandirError(_("A decision cannot be dated in the future."), code="future_date")
    if day < locked.submitted_on:
        raise TandirError(
            _("A decision cannot be dated before the application (%(day)s).")
            % {"day": locked.submitted_on.isoformat()},
            code="before_application",
        )
    before = locked.status
    locked.status = to_status
    _save(officer, locked, ["status"])
    _event(officer, locked, before, action, on=day, reason=reason)
    return locked


@transaction.atomic
def reject(
    approver: StaffUser, loan: Loan, *, reason: str, on: datetime.date | None = None
) -> Loan:
    _require(approver, Right.APPROVE)
    return _decide_against(
        approver, loan, LoanStatus.REJECTED, "reject",
        allowed_from={LoanStatus.SUBMITTED}, reason=reason, four_eyes=True, on=on,
    )  # fmt: skip


@transaction.atomic
def withdraw(
    officer: StaffUser, loan: Loan, *, reason: str, on: datetime.date | None = None
) -> Loan:
    """The client no longer wants the loan (before it is disbursed)."""
    _require(officer, Right.APPLY)
    return _decide_against(
        officer, loan, LoanStatus.WITHDRAWN, "withdraw",
        allowed_from={LoanStatus.SUBMITTED, LoanStatus.APPROVED}, reason=reason, four_eyes=False,
        on=on,
    )  # fmt: skip


@transaction.atomic
def undo_approval(
    approver: StaffUser, loan: Loan, *, reason: str, on: datetime.date | None = None
) -> Loan:
    _require(approver, Right.APPROVE)
    locked = lock_loan(approver, loan.pk)
    if locked.disbursement_id:
        raise Conflict(
            _("The bank has been instructed; cancel the disbursement first."), code="instructed"
        )
    loan = _decide_against(
        approver, locked, LoanStatus.SUBMITTED, "undo_approval",
        allowed_from={LoanStatus.APPROVED}, reason=reason, four_eyes=False, on=on,
    )  # fmt: skip
    loan.approved_on, loan.approved_by = None, None
    _save(approver, loan, ["approved_on", "approved_by"])
    return loan


# --- Disbursement through a partner bank ------------------------------------------------------


@transaction.atomic
def instruct_disbursement(
    officer: StaffUser,
    bank: Organization,
    loans: Sequence[Loan],
    *,
    on: datetime.date | None = None,
) -> Disbursement:
    """An instruction to a partner bank to pay out approved loans at the clients' bank branches."""
    _require(officer, Right.DISBURSE)
    if not loans:
        raise TandirError(_("Choose the loans to disburse."), code="empty")
    locked = [lock_loan(officer, loan.pk) for loan in sorted(loans, key=lambda loan: loan.pk)]
    problems = []
    for loan in locked:
        if loan.status != LoanStatus.APPROVED or loan.disbursement_id:
            problems.append(
                _("%(ref)s is not an approved loan waiting for the bank.") % {"ref": loan.reference}
            )
        elif loan.bank_branch is None or loan.bank_branch.bank_id != bank.pk:
            problems.append(_("%(ref)s has no branch of this bank.") % {"ref": loan.reference})
        elif loan.fund is None:
            problems.append(_("%(ref)s has no fund to draw on.") % {"ref": loan.reference})
    if problems:
        raise LoanRefused(" ".join(problems), code="not_ready", problems=problems)
    disbursement = Disbursement.objects.create(
        organization_id=locked[0].organization_id,
        bank=bank,
        created_by=officer,
        instructed_on=on or _today(),
    )
    for loan in locked:
        loan.disbursement = disbursement
        _save(officer, loan, ["disbursement"])
    return disbursement


def _borrower(officer: StaffUser, loan: Loan, on: datetime.date) -> None:
    from tandir.registry.actions import start_borrowing

    start_borrowing(officer, loan.beneficiary, on=on)


@transaction.atomic
def confirm_disbursement(
    officer: StaffUser,
    loan: Loan,
    *,
    bank_reference: str,
    on: datetime.date,
) -> Loan:
    """The bank paid the client: the schedule starts on that date, the fund is drawn on, the
    ledger records the loan, and the person becomes a borrower."""
    _require(officer, Right.CONFIRM_DISBURSEMENT)
    locked = lock_loan(officer, loan.pk)
    if locked.status != LoanStatus.APPROVED:
        raise Conflict(_("Only an approved loan is disbursed."), code="not_approved")
    if not bank_reference.strip():
        raise TandirError(_("Give the bank's reference."), code="reference_required")
    if on > _today():
        raise TandirError(_("A disbursement cannot be dated in the future."), code="future_date")
    if locked.fund is None:
        raise LoanRefused(_("Choose the fund the loan draws on."), code="no_fund")
    terms = loan_terms(locked, disbursed=on)
    schedule = build_schedule(terms)
    cash = loan_cash(terms)
    if fund_balance(locked.fund) < schedule.amount_received:
        raise LoanRefused(
            _("The fund %(fund)s does not hold enough for this loan.") % {"fund": locked.fund.name},
            code="fund_short",
        )
    version = locked.schedule_version + 1
    Installment.objects.bulk_create(installment_rows(locked, schedule, version))
    totals = schedule.totals()
    ledger.post(
        officer,
        organization_id=locked.organization_id,
        entry_date=on,
        kind=EntryKind.DISBURSEMENT,
        branch_id=locked.branch_id,
        loan_id=locked.pk,
        memo=f"{locked.reference} {bank_reference}",
        lines=posting.disbursement_lines(
            posting.Rules.of(locked),
            locked.currency,
            amount=schedule.amount_financed,
            charge_total=totals.charge,
            received=schedule.amount_received,
            fees_deducted=cash.upfront_deducted,
            fees_paid_separately=cash.upfront_separate,
            savings_withheld=cash.savings_withheld,
        ),
    )
    before = locked.status
    locked.status = LoanStatus.ACTIVE
    locked.disbursed_on = on
    locked.schedule_from = on
    locked.bank_reference = bank_reference.strip()[:60]
    locked.schedule_version = version
    locked.principal_outstanding = schedule.amount_financed
    _save(officer, locked, [
        "status", "disbursed_on", "schedule_from", "bank_reference", "schedule_version",
        "principal_outstanding",
    ])  # fmt: skip
    _event(officer, locked, before, "disburse", on=on, reason=bank_reference)
    _borrower(officer, locked, on)
    return locked


@transaction.atomic
def undo_disbursement(officer: StaffUser, loan: Loan, *, reason: str) -> Loan:
    """A disbursement recorded in error, before any repayment: the schedule and the entry go."""
    _require(officer, Right.CONFIRM_DISBURSEMENT)
    if not reason.strip():
        raise TandirError(_("Give a reason."), code="reason_required")
    locked = lock_loan(officer, loan.pk)
    if locked.status != LoanStatus.ACTIVE:
        raise Conflict(_("Only an active loan's disbursement can be undone."), code="not_active")
    if Repayment.objects.filter(loan=locked, reversed_at=None).exists():
        raise Conflict(_("Reverse the repayments first."), code="has_repayments")
    for entry in JournalEntry.objects.filter(loan_id=locked.pk, reversed_by__isnull=True).exclude(
        kind=EntryKind.REVERSAL
    ):
        ledger.reverse_entry(officer, entry, entry_date=_today(), memo=reason)
    Installment.objects.filter(loan=locked, version=locked.schedule_version).delete()
    before = locked.status
    locked.status = LoanStatus.APPROVED
    locked.schedule_version -= 1
    locked.disbursed_on = None
    locked.schedule_from = None
    locked.principal_outstanding = ZERO
    locked.disbursement = None
    _save(officer, locked, [
        "status", "schedule_version", "disbursed_on", "schedule_from", "principal_outstanding",
        "disbursement",
    ])  # fmt: skip
    _event(officer, locked, before, "undo_disbursal", on=_today(), reason=reason)
    return locked


# --- Repayments -----------------------------------------------------------------------------


def _recognition(
    loan: Loan, rules: posting.Rules, rows: list[Installment], through: datetime.date
) -> tuple[ledger.Entry | None, list[Installment]]:
    """The entry recognising charges of installments fallen due by `through` as income
    (accrual basis, Murabaha profit as due): what is still unpaid of them, once; and the rows
    it recognises."""
    if not (rules.accrual or (rules.method is Method.MURABAHA and rules.profit_as_due)):
        return None, []
    due = [row for row in rows if row.due_date <= through and not row.recognised]
    if not due:
        return None, []
    if rules.method is Method.MURABAHA:
        charge = sum((row.charge for row in due), ZERO)  # the whole markup of the installment
    else:
        charge = sum((row.charge - row.charge_paid for row in due), ZERO)
    fees = sum((row.fees - row.fees_paid for row in due), ZERO)
    entry = ledger.Entry(
        organization_id=loan.organization_id,
        entry_date=through,
        kind=EntryKind.PROFIT_RELEASE if rules.method is Method.MURABAHA else EntryKind.ACCRUAL,
        branch_id=loan.branch_id,
        loan_id=loan.pk,
        memo=loan.reference,
        lines=posting.recognition_lines(rules, loan.currency, charge=charge, fees=fees),
    )
    for row in due:
        row.recognised = True
    return entry, due


def _recognise(
    officer: StaffUser, loan: Loan, rows: list[Installment], through: datetime.date
) -> None:
    entry, due = _recognition(loan, posting.Rules.of(loan), rows, through)
    if entry is None:
        return
    ledger.post_many(officer, [entry])
    Installment.objects.bulk_update(due, ["recognised"])


def _write_posting(
    officer: StaffUser,
    loan: Loan,
    rows: list[Installment],
    result: Posting,
    repayments: dict[str, Repayment],
    *,
    on: datetime.date,
) -> None:
    """The sub-ledger and the journal follow what the engine reversed and applied."""
    rules = posting.Rules.of(loan)
    accounts = accounts_by_role(loan.organization_id)
    withdrawn = [a.payment.reference for a in result.reversed]
    if withdrawn:
        for application in Application.objects.filter(
            loan=loan, is_active=True, reference__in=withdrawn
        ).select_related("entry"):
            reversal = (
                ledger.reverse_entry(officer, application.entry, entry_date=on)
                if application.entry
                else None
            )
            application.is_active = False
            application.withdrawn_by_entry = reversal
            application.save(update_fields=["is_active", "withdrawn_by_entry"])
    recognised = {row.number: row.recognised for row in rows}
    for allocation in result.applied:
        _apply(officer, loan, rules, accounts, allocation, recognised, repayments, on=on)
    _sync(loan, rows, result)


def _apply(
    officer: StaffUser,
    loan: Loan,
    rules: posting.Rules,
    accounts: dict[str, Account],
    allocation: Allocation,
    recognised: dict[int, bool],
    repayments: dict[str, Repayment],
    *,
    on: datetime.date,
) -> None:
    payment = allocation.payment
    from_credit = payment.source is Source.HELD_CREDIT
    entry = ledger.post_many(
        officer, [_application_entry(loan, rules, allocation, recognised)], accounts=accounts
    )[0]
    application = Application.objects.create(
        organization_id=loan.organization_id,
        loan=loan,
        repayment=repayments.get(payment.reference),
        reference=payment.reference,
        applied_on=payment.paid_on,
        from_credit=from_credit,
        amount=payment.amount,
        credit=allocation.credit,
        entry=entry,
    )
    ApplicationLine.objects.bulk_create(
        ApplicationLine(
            organization_id=loan.organization_id,
            application=application,
            number=line.number,
            component=line.component,
            amount=line.amount,
            due_on=line.due_date,
        )
        for line in allocation.lines
    )


PAID_FIELDS = ["principal_paid", "charge_paid", "fees_paid", "savings_paid", "penalty_paid"]


def _settle(loan: Loan, rows: list[Installment], result: Posting) -> list[Installment]:
    """Installments' paid amounts and the loan's totals from the engine's state, in memory;
    the rows that changed."""
    state = result.history.state
    changed = []
    for row, due in zip(rows, state.installments, strict=True):
        paid = {
            "principal_paid": row.principal - due.principal,
            "charge_paid": row.charge - due.charge,
            "fees_paid": row.fees - due.fees,
            "savings_paid": row.savings - due.savings,
            "penalty_paid": row.penalty - due.penalty,
        }
        if any(getattr(row, name) != value for name, value in paid.items()):
            for name, value in paid.items():
                setattr(row, name, value)
            changed.append(row)
    loan.principal_outstanding = sum((due.principal for due in state.installments), ZERO)
    loan.credit_held = state.credit
    owed = sum((due.unpaid for due in state.installments), ZERO)
    if loan.status in (LoanStatus.ACTIVE, LoanStatus.OVERPAID, LoanStatus.CLOSED):
        if owed > ZERO:
            loan.status = LoanStatus.ACTIVE
        else:
            loan.status = LoanStatus.OVERPAID if state.credit > ZERO else LoanStatus.CLOSED
    return changed


def _sync(loan: Loan, rows: list[Installment], result: Posting) -> None:
    changed = _settle(loan, rows, result)
    if changed:
        Installment.objects.bulk_update(changed, PAID_FIELDS)


def _history(
    loan: Loan,
    rows: list[Installment],
    *,
    through: datetime.date | None = None,
    without: int | None = None,
) -> Any:
    """The engine's history of the stored payments, with held credit applied as far as the
    stored applications say it was (close of business may have applied it past the last
    payment), so that a new posting is compared with what the ledger holds."""
    repayments = Repayment.objects.filter(
        loan=loan, reversed_at=None, is_recovery=False, value_date__gte=loan.schedule_from
    )
    if without is not None:
        repayments = repayments.exclude(pk=without)
    applied = Application.objects.filter(loan=loan, is_active=True).aggregate(day=Max("applied_on"))
    days = [d for d in (through, applied["day"]) if d is not None]
    return history_of(loan, rows, repayments, product_of(loan), through=max(days) if days else None)


def _finish(officer: StaffUser, loan: Loan, before: str, action: str, on: datetime.date) -> None:
    fields = ["principal_outstanding", "credit_held", "status"]
    if loan.status != before and loan.status in (LoanStatus.CLOSED, LoanStatus.OVERPAID):
        loan.closed_on = on
        fields.append("closed_on")
    elif loan.status == LoanStatus.ACTIVE and loan.closed_on:
        loan.closed_on = None
        fields.append("closed_on")
    _save(officer, loan, fields)
    if loan.status != before:
        _event(officer, loan, before, action, on=on)


def record_repayment(
    officer: StaffUser,
    loan: Loan,
    *,
    amount: Decimal,
    value_date: datetime.date,
    reference: str,
    source: str = RepaymentSource.COUNTER,
    bank_reference: str = "",
) -> Repayment:
    """Money received for a loan, allocated by the product's strategy, posted to the ledger.

    Idempotent by `reference`: the same reference with the same amount and date returns the
    repayment already recorded; with different ones it is a conflict. A back-dated payment
    re-allocates the later ones. On a written-off loan the money is a recovery.
    """
    payment = PaymentIn(loan.pk, amount, value_date, reference, bank_reference)
    return record_repayments(officer, [payment], source=source)[0]


@transaction.atomic
def _record_one(
    officer: StaffUser,
    loan: Loan,
    *,
    amount: Decimal,
    value_date: datetime.date,
    reference: str,
    source: str,
    bank_reference: str,
) -> Repayment:
    """`record_repayment` on the general path: any loan state, re-allocating later payments."""
    _require(officer, Right.COLLECT)
    if not reference.strip():
        raise TandirError(_("A repayment needs a reference."), code="reference_required")
    locked = lock_loan(officer, loan.pk)
    earlier = Repayment.objects.filter(
        organization_id=locked.organization_id, reference=reference
    ).first()
    value = money(amount, locked.currency).amount
    if earlier is not None:
        if (earlier.loan_id, earlier.amount, earlier.value_date) == (locked.pk, value, value_date):
            return earlier
        raise Conflict(
            _("The reference %(ref)s is already used for another payment.") % {"ref": reference},
            code="duplicate_reference",
        )
    if value <= ZERO:
        raise TandirError(_("The amount must be positive."), code="not_positive")
    if value_date > _today():
        raise TandirError(_("A repayment cannot be dated in the future."), code="future_date")
    if locked.status not in (
        LoanStatus.ACTIVE, LoanStatus.OVERPAID, LoanStatus.CLOSED, LoanStatus.WRITTEN_OFF,
    ):  # fmt: skip
        raise Conflict(_("The loan is not disbursed."), code="not_active")
    if locked.status == LoanStatus.CLOSED:
        raise Conflict(_("The loan is closed: nothing is owed."), code="closed")
    if locked.schedule_from and value_date < locked.schedule_from:
        raise TandirError(
            _("The value date is before the loan's current schedule began (%(day)s).")
            % {"day": locked.schedule_from},
            code="before_schedule",
        )
    repayment = Repayment(
        organization_id=locked.organization_id,
        loan=locked,
        reference=reference[:120],
        value_date=value_date,
        currency=locked.currency,
        amount=value,
        source=source,
        bank_reference=bank_reference[:120],
        received_by=officer,
        is_recovery=locked.status == LoanStatus.WRITTEN_OFF,
    )
    try:
        with transaction.atomic():
            repayment.save()
    except IntegrityError as exc:
        raise Conflict(_("This payment is being recorded already."), code="in_progress") from exc
    repayment.receipt_number = f"R{repayment.pk:08d}"
    repayment.save(update_fields=["receipt_number"])
    if repayment.is_recovery:
        ledger.post(
            officer,
            organization_id=locked.organization_id,
            entry_date=value_date,
            kind=EntryKind.RECOVERY,
            branch_id=locked.branch_id,
            loan_id=locked.pk,
            memo=f"{locked.reference} {reference}"[:300],
            lines=posting.recovery_lines(locked.currency, value),
        )
        return repayment
    before = locked.status
    rows = lock_installments(locked)
    _recognise(officer, locked, rows, value_date)
    history = _history(locked, rows, without=repayment.pk)
    result = post_payment(history, payment_of(repayment))
    later = {
        r.reference: r
        for r in Repayment.objects.filter(
            loan=locked, reference__in=[a.payment.reference for a in result.applied]
        )
    }
    _write_posting(officer, locked, rows, result, later, on=value_date)
    _finish(officer, locked, before, "repay", value_date)
    return repayment


@dataclass(frozen=True)
class PaymentIn:
    """One payment of a batch: for a loan, by its idempotency reference."""

    loan_id: int
    amount: Decimal
    value_date: datetime.date
    reference: str
    bank_reference: str = ""


@dataclass
class _Batch:
    """What a batch of payments writes, gathered before the first INSERT."""

    repayments: list[Repayment] = field(default_factory=list)
    entries: list[ledger.Entry] = field(default_factory=list)
    # per allocation: the loan, its repayment (None for held credit), its entry's index
    applications: list[tuple[Loan, Repayment | None, int, Allocation]] = field(default_factory=list)
    recognised: dict[int, Installment] = field(default_factory=dict)
    changed: dict[int, Installment] = field(default_factory=dict)
    loans: list[Loan] = field(default_factory=list)  # settled copies
    # status changes: loan, from status, day
    moves: list[tuple[Loan, str, datetime.date]] = field(default_factory=list)

    def take(self, other: _Batch) -> None:
        offset = len(self.entries)
        self.repayments += other.repayments
        self.entries += other.entries
        self.applications += [(lo, r, i + offset, a) for lo, r, i, a in other.applications]
        self.recognised.update(other.recognised)
        self.changed.update(other.changed)
        self.loans += other.loans
        self.moves += other.moves


@transaction.atomic
def record_repayments(
    officer: StaffUser, payments: Sequence[PaymentIn], *, source: str = RepaymentSource.COUNTER
) -> list[Repayment]:
    """Many payments at once (a bank statement, a collection sheet), each posted exactly as
    `record_repayment` would post it, in the order given, with a number of queries that does
    not grow with the number of payments.

    The common case, a payment dated on or after the loan's last one on a loan being repaid,
    is computed for every loan in memory and written with one INSERT per table. A loan whose
    payment would re-allocate an earlier one (back-dated), or which is written off (a
    recovery), or not disbursed, goes through `record_repayment` one payment at a time, which
    re-allocates or refuses as it always does. Any refusal undoes the whole batch.
    """
    _require(officer, Right.COLLECT)
    if not payments:
        return []
    for p in payments:
        if not p.reference.strip():
            raise TandirError(_("A repayment needs a reference."), code="reference_required")
    wanted = {p.loan_id for p in payments}
    loans = {loan.pk: loan for loan in lock_loans(officer, wanted)}
    if len(loans) != len(wanted):
        raise NotFound(_("No such loan."))
    earlier = {
        (r.organization_id, r.reference): r
        for r in Repayment.objects.filter(
            organization_id__in={loan.organization_id for loan in loans.values()},
            reference__in={p.reference[:120] for p in payments},
        )
    }
    today = _today()
    results: dict[int, Repayment] = {}  # index in `payments`: its repayment
    by_loan: dict[int, list[tuple[int, PaymentIn]]] = {}
    repeated = set()  # loans with a reference twice in the batch: one by one, as sequentially
    firsts: set[tuple[int, str]] = set()
    for index, p in enumerate(payments):
        loan = loans[p.loan_id]
        key = (loan.organization_id, p.reference[:120])
        value = money(p.amount, loan.currency).amount
        before = earlier.get(key)
        if before is not None:
            if (before.loan_id, before.amount, before.value_date) != (loan.pk, value, p.value_date):
                raise Conflict(
                    _("The reference %(ref)s is already used for another payment.")
                    % {"ref": p.reference},
                    code="duplicate_reference",
                )
            results[index] = before
            continue
        if key in firsts:
            repeated.add(p.loan_id)
        firsts.add(key)
        if value <= ZERO:
            raise TandirError(_("The amount must be positive."), code="not_positive")
        if p.value_date > today:
            raise TandirError(_("A repayment cannot be dated in the future."), code="future_date")
        by_loan.setdefault(p.loan_id, []).append((index, p))
    simple = [
        loans[pk]
        for pk, items in by_loan.items()
        if pk not in repeated
        and loans[pk].status in (LoanStatus.ACTIVE, LoanStatus.OVERPAID)
        and not any(_before_schedule(loans[pk], p.value_date) for _i, p in items)
    ]
    ids = [loan.pk for loan in simple]
    rows_of = lock_installments_of(simple)
    stored: dict[int, list[Repayment]] = {}
    for r in Repayment.objects.filter(loan_id__in=ids, reversed_at=None, is_recovery=False):
        stored.setdefault(r.loan_id, []).append(r)
    applied_through = dict(
        Application.objects.filter(loan_id__in=ids, is_active=True)
        .values("loan_id")
        .annotate(day=Max("applied_on"))
        .values_list("loan_id", "day")
    )
    batch = _Batch()
    one_by_one = set(by_loan) - set(ids)
    for loan in simple:
        gathered = _batch_loan(
            officer, loan, by_loan[loan.pk], rows_of.get(loan.pk, []), stored.get(loan.pk, []),
            applied_through.get(loan.pk), source,
        )  # fmt: skip
        if gathered is None:
            one_by_one.add(loan.pk)
        else:
            batch.take(gathered)
    _write_batch(officer, batch)
    for index, repayment in zip(
        [i for loan in batch.loans for i, _p in by_loan[loan.pk]], batch.repayments, strict=True
    ):
        results[index] = repayment
    for pk in sorted(one_by_one):
        for index, p in by_loan[pk]:
            results[index] = _record_one(
                officer,
                loans[pk],
                amount=p.amount,
                value_date=p.value_date,
                reference=p.reference,
                source=source,
                bank_reference=p.bank_reference,
            )
    return [results[index] for index in range(len(payments))]


def _before_schedule(loan: Loan, day: datetime.date) -> bool:
    return loan.schedule_from is not None and day < loan.schedule_from


_Record = TypeVar("_Record", bound=models.Model)


def _clone(record: _Record) -> _Record:
    """A shallow copy of a model instance, as `copy.copy` makes it (Django's `__getstate__`)
    without going through pickling's protocol, which costs more than the rest of the batch."""
    clone = record.__class__.__new__(record.__class__)
    state = record.__dict__.copy()
    state["_state"] = copy(record._state)
    state["_state"].fields_cache = record._state.fields_cache.copy()
    clone.__dict__.update(state)
    return clone


def _batch_loan(
    officer: StaffUser,
    locked: Loan,
    items: list[tuple[int, PaymentIn]],
    stored_rows: list[Installment],
    stored: list[Repayment],
    applied_through: datetime.date | None,
    source: str,
) -> _Batch | None:
    """One loan's payments of a batch, computed in memory on copies of its rows; None if one
    of them would re-allocate an earlier payment (it then goes one by one)."""
    loan = _clone(locked)
    rows = [_clone(row) for row in stored_rows]
    rules = posting.Rules.of(loan)
    product = product_of(loan)
    history = [r for r in stored if not loan.schedule_from or r.value_date >= loan.schedule_from]
    through = applied_through
    gathered = _Batch(loans=[loan])
    for _index, p in items:
        if loan.status == LoanStatus.CLOSED:
            raise Conflict(_("The loan is closed: nothing is owed."), code="closed")
        repayment = Repayment(
            organization_id=loan.organization_id,
            loan=locked,
            reference=p.reference[:120],
            value_date=p.value_date,
            currency=loan.currency,
            amount=money(p.amount, loan.currency).amount,
            source=source,
            bank_reference=p.bank_reference[:120],
            received_by=officer,
            is_recovery=False,
        )
        entry, due = _recognition(loan, rules, rows, p.value_date)
        if entry is not None:
            gathered.entries.append(entry)
            gathered.recognised.update((row.pk, row) for row in due)
        state = history_of(loan, rows, history, product, through=through)
        result = post_payment(state, payment_of(repayment))
        if result.reversed:
            return None
        recognised = {row.number: row.recognised for row in rows}
        for allocation in result.applied:
            gathered.entries.append(_application_entry(loan, rules, allocation, recognised))
            own = allocation.payment.reference == repayment.reference
            gathered.applications.append(
                (locked, repayment if own else None, len(gathered.entries) - 1, allocation)
            )
            paid_on = allocation.payment.paid_on
            through = paid_on if through is None else max(through, paid_on)
        before = loan.status
        gathered.changed.update((row.pk, row) for row in _settle(loan, rows, result))
        if loan.status != before:
            gathered.moves.append((loan, before, p.value_date))
        gathered.repayments.append(repayment)
        history.append(repayment)
    return gathered


def _application_entry(
    loan: Loan, rules: posting.Rules, allocation: Allocation, recognised: dict[int, bool]
) -> ledger.Entry:
    payment = allocation.payment
    from_credit = payment.source is Source.HELD_CREDIT
    paid = [
        posting.Paid(line.number, line.component, line.amount, recognised.get(line.number, False))
        for line in allocation.lines
    ]
    return ledger.Entry(
        organization_id=loan.organization_id,
        entry_date=payment.paid_on,
        kind=EntryKind.CREDIT_APPLIED if from_credit else EntryKind.REPAYMENT,
        branch_id=loan.branch_id,
        loan_id=loan.pk,
        memo=f"{loan.reference} {payment.reference}"[:300],
        lines=posting.application_lines(
            rules,
            loan.currency,
            paid,
            cash=payment.amount,
            from_credit=from_credit,
            credit_left=allocation.credit,
        ),
    )


def _write_batch(officer: StaffUser, batch: _Batch) -> None:
    """One INSERT per table for what `_batch_loan` gathered, then the rows and loans it moved."""
    if not batch.repayments:
        return
    # The receipt number is made from the id: where the ids can be drawn first (PostgreSQL),
    # each row is written whole, without a second UPDATE.
    ids = reserve_ids(Repayment, len(batch.repayments))
    for repayment, pk in zip(batch.repayments, ids, strict=False):
        repayment.pk = pk
        repayment.receipt_number = f"R{pk:08d}"
    try:
        # No savepoint: a clash of references ends the whole transaction anyway.
        insert_records(Repayment, batch.repayments)
    except IntegrityError as exc:
        raise Conflict(_("This payment is being recorded already."), code="in_progress") from exc
    if not ids:
        for repayment in batch.repayments:
            repayment.receipt_number = f"R{repayment.pk:08d}"
        update_rows(Repayment, ["receipt_number"], batch.repayments)
    entries = ledger.post_many(officer, batch.entries)
    applications = [
        Application(
            organization_id=loan.organization_id,
            loan=loan,
            repayment=repayment,
            reference=allocation.payment.reference,
            applied_on=allocation.payment.paid_on,
            from_credit=allocation.payment.source is Source.HELD_CREDIT,
            amount=allocation.payment.amount,
            credit=allocation.credit,
            entry=entries[entry_index],
        )
        for loan, repayment, entry_index, allocation in batch.applications
    ]
    for application, pk in zip(
        applications, reserve_ids(Application, len(applications)), strict=False
    ):
        application.pk = pk
    insert_records(Application, applications)
    insert_records(
        ApplicationLine,
        [
            ApplicationLine(
                organization_id=application.organization_id,
                application=application,
                number=line.number,
                component=line.component,
                amount=line.amount,
                due_on=line.due_date,
            )
            for application, (_loan, _r, _i, allocation) in zip(
                applications, batch.applications, strict=True
            )
            for line in allocation.lines
        ],
    )
    update_rows(Installment, ["recognised"], batch.recognised.values())
    update_rows(Installment, PAID_FIELDS, batch.changed.values())
    # Balances are not in the loan's change history; a change of status is, with its event.
    update_rows(Loan, ["principal_outstanding", "credit_held"], batch.loans)
    for loan, before, on in batch.moves:
        _finish(officer, loan, before, "repay", on)


@transaction.atomic
def reverse_repayment(officer: StaffUser, repayment: Repayment, *, reason: str) -> Repayment:
    """A repayment that did not happen (a bounced transfer, a typing error): its allocation and
    entries are reversed, and every later payment is allocated again."""
    _require(officer, Right.CORRECT)
    if not reason.strip():
        raise TandirError(_("Give a reason."), code="reason_required")
    locked = lock_loan(officer, repayment.loan_id)
    payment = lock_repayment(repayment.pk)
    if payment.reversed_at is not None:
        raise Conflict(_("This repayment is already reversed."), code="already_reversed")
    today = _today()
    before = locked.status
    if payment.is_recovery:
        for entry in JournalEntry.objects.filter(
            loan_id=locked.pk, kind=EntryKind.RECOVERY, memo__endswith=payment.reference
        ):
            ledger.reverse_entry(officer, entry, entry_date=today, memo=reason)
    else:
        if locked.schedule_from and payment.value_date < locked.schedule_from:
            # The rescheduling took the loan as it stood, this payment included, into the
            # schedule in force; reversing it would rewrite that schedule.
            raise Conflict(
                _(
                    "This repayment is dated before the loan's current schedule began "
                    "(%(day)s): it cannot be reversed."
                )
                % {"day": locked.schedule_from},
                code="before_schedule",
            )
        rows = lock_installments(locked)
        history = _history(locked, rows)
        result = reverse_payment(history, payment.reference)
        later = {
            r.reference: r
            for r in Repayment.objects.filter(
                loan=locked, reference__in=[a.payment.reference for a in result.applied]
            )
        }
        _write_posting(officer, locked, rows, result, later, on=today)
        _finish(officer, locked, before, "reverse_repayment", today)
    payment.reversed_at = timezone.now()
    payment.reversed_by = officer
    payment.reversal_reason = reason.strip()[:300]
    payment.save(update_fields=["reversed_at", "reversed_by", "reversal_reason"])
    return payment


def payoff(loan: Loan, as_of: datetime.date) -> Any:
    """What closes the loan on a date (declining loans owe charge only to that date)."""
    rows = list(Installment.objects.filter(loan=loan, version=loan.schedule_version))
    history = _history(loan, rows)
    schedule = build_schedule(loan_terms(loan, disbursed=loan.schedule_from))
    return payoff_quote(schedule, history.state, as_of)


@transaction.atomic
def pay_off(
    officer: StaffUser,
    loan: Loan,
    *,
    value_date: datetime.date,
    reference: str,
    source: str = RepaymentSource.COUNTER,
) -> Repayment:
    """Close a loan early: the charge not earned (or the product's rebate of it) is forgiven,
    then the payoff amount is received and allocated."""
    _require(officer, Right.COLLECT)
    locked = lock_loan(officer, loan.pk)
    if locked.status != LoanStatus.ACTIVE:
        raise Conflict(_("Only an active loan is paid off."), code="not_active")
    quote = payoff(locked, value_date)
    if quote.rebate > ZERO:
        _forgive_charge(officer, locked, quote.rebate, value_date)
    return record_repayment(
        officer, locked, amount=quote.total, value_date=value_date, reference=reference,
        source=source,
    )  # fmt: skip


def _forgive_charge(officer: StaffUser, loan: Loan, amount: Decimal, on: datetime.date) -> None:
    """Take charge off the last unpaid installments, latest first (the part not yet earned)."""
    rows = lock_installments(loan)
    left = amount
    changed = []
    for row in reversed(rows):
        if left <= ZERO:
            break
        unpaid = row.charge - row.charge_paid
        cut = min(unpaid, left)
        if cut > ZERO:
            row.charge -= cut
            left -= cut
            changed.append(row)
    Installment.objects.bulk_update(changed, ["charge"])
    rules = posting.Rules.of(loan)
    if rules.method is Method.MURABAHA:
        forgiven = amount - left
        ledger.post(
            officer,
            organization_id=loan.organization_id,
            entry_date=on,
            kind=EntryKind.REVERSAL,
            branch_id=loan.branch_id,
            loan_id=loan.pk,
            memo=_("Rebate on early settlement"),
            lines=[
                ledger.debit(Role.DEFERRED_PROFIT, forgiven, loan.currency),
                ledger.credit(Role.MURABAHA_RECEIVABLE, forgiven, loan.currency),
            ],
        )


# --- Penalties, recognition, follow-up ---------------------------------------------------------


@transaction.atomic
def charge_penalties(officer: StaffUser, loan: Loan, *, as_of: datetime.date) -> Decimal:
    """Late charges by the product's rule on installments overdue beyond its days, once each.

    Islamic products: the charge goes to the charity payable (save the compensation share).
    """
    _require(officer, Right.COLLECT)
    locked = lock_loan(officer, loan.pk)
    version = locked.product_version
    if version.penalty_kind == PenaltyKind.NONE or locked.status != LoanStatus.ACTIVE:
        return ZERO
    rows = lock_installments(locked)
    total = ZERO
    charged = []
    for row in rows:
        overdue = row.unpaid - row.penalty + row.penalty_paid
        late_days = (as_of - row.due_date).days
        if row.penalty_charged_on or overdue <= ZERO or late_days <= version.penalty_after_days:
            continue
        if version.penalty_kind == PenaltyKind.FIXED:
            amount = version.penalty_value
        else:
            amount = overdue * version.penalty_value / HUNDRED
        amount = amount.quantize(quantum(locked.currency))
        if amount <= ZERO:
            continue
        row.penalty += amount
        row.penalty_charged_on = as_of
        total += amount
        charged.append(row)
    if not charged:
        return ZERO
    Installment.objects.bulk_update(charged, ["penalty", "penalty_charged_on"])
    ledger.post(
        officer,
        organization_id=locked.organization_id,
        entry_date=as_of,
        kind=EntryKind.PENALTY,
        branch_id=locked.branch_id,
        loan_id=locked.pk,
        memo=locked.reference,
        lines=posting.penalty_lines(posting.Rules.of(locked), locked.currency, total),
    )
    # Money already held as credit goes to the new charge when the history is replayed.
    history = _history(locked, rows, through=as_of)
    later = {r.reference: r for r in Repayment.objects.filter(loan=locked)}
    before = locked.status
    _write_posting(officer, locked, rows, apply_credit(history, as_of), later, on=as_of)
    _finish(officer, locked, before, "penalty", as_of)
    return total


@transaction.atomic
def recognise_due(officer: StaffUser, loan: Loan, *, through: datetime.date) -> None:
    """Recognise the charges fallen due (accrual basis, Murabaha profit as due); close of
    business calls this for every loan."""
    _require(officer, Right.COLLECT)
    locked = lock_loan(officer, loan.pk)
    if locked.status not in (LoanStatus.ACTIVE, LoanStatus.OVERPAID):
        return
    _recognise(officer, locked, lock_installments(locked), through)


@transaction.atomic
def follow_up(
    officer: StaffUser,
    loan: Loan,
    *,
    note: str,
    promised_on: datetime.date | None = None,
    promised_amount: Decimal | None = None,
) -> FollowUp:
    _require(officer, Right.FOLLOW_UP)
    locked = lock_loan(officer, loan.pk)
    if not note.strip():
        raise TandirError(_("Write what happened."), code="note_required")
    if promised_on is not None and promised_on < _today():
        raise TandirError(_("A promise to pay is for a date to come."), code="past_promise")
    return FollowUp.objects.create(
        organization_id=locked.organization_id,
        loan=locked,
        note=note.strip()[:500],
        promised_on=promised_on,
        promised_amount=money(promised_amount, locked.currency).amount
        if promised_amount is not None
        else None,
        by=officer,
    )


# --- Rescheduling and write-off ---------------------------------------------------------------


@transaction.atomic
def request_change(
    officer: StaffUser,
    loan: Loan,
    *,
    kind: str,
    reason: str,
    terms: dict[str, Any] | None = None,
) -> LoanChange:
    """Ask for a rescheduling (new term, rate or first due date) or a write-off."""
    _require(officer, Right.REQUEST_CHANGE)
    locked = lock_loan(officer, loan.pk)
    if locked.status != LoanStatus.ACTIVE:
        raise Conflict(_("Only an active loan is rescheduled or written off."), code="not_active")
    if kind not in ChangeKind.values:
        raise TandirError(_("Unknown change."), code="invalid")
    if not reason.strip():
        raise TandirError(_("Give a reason."), code="reason_required")
    if LoanChange.objects.filter(loan=locked, status=ChangeStatus.PENDING).exists():
        raise Conflict(
            _("A change of this loan is already waiting for a decision."), code="pending"
        )
    if kind == ChangeKind.RESCHEDULE:
        terms = dict(terms or {})
        if not terms.get("term"):
            raise TandirError(_("Give the new number of installments."), code="term_required")
        if locked.product_version.method == Method.MURABAHA:
            # A new schedule would price new markup, and a Murabaha's sale price never grows;
            # spreading the agreed price over a new term is not built yet.
            raise Conflict(
                _(
                    "A Murabaha cannot be rescheduled here: its sale price is fixed. Record a "
                    "follow-up with the new dates agreed instead."
                ),
                code="murabaha_fixed_price",
            )
    return LoanChange.objects.create(
        organization_id=locked.organization_id,
        loan=locked,
        kind=kind,
        reason=reason.strip()[:500],
        terms=terms if kind == ChangeKind.RESCHEDULE else None,
        requested_by=officer,
        requested_on=_today(),
    )


@transaction.atomic
def decide_change(
    approver: StaffUser,
    change: LoanChange,
    *,
    approve: bool,
    reason: str = "",
    on: datetime.date | None = None,
) -> LoanChange:
    """Four eyes: who asked for the change does not decide it."""
    _require(approver, Right.DECIDE_CHANGE)
    locked = lock_loan(approver, change.loan_id)
    request = lock_change(change.pk)
    if request.status != ChangeStatus.PENDING:
        raise Conflict(_("This change is already decided."), code="decided")
    if request.requested_by_id == approver.pk:
        raise NotAllowed(
            _("Four eyes: who asked for a change may not decide on it."), code="four_eyes"
        )
    if not approve and not reason.strip():
        raise TandirError(_("Give a reason."), code="reason_required")
    day = on or _today()
    if approve:
        if request.kind == ChangeKind.RESCHEDULE:
            _reschedule(approver, locked, request.terms or {}, day)
        else:
            _write_off(approver, locked, day, request.reason)
    request.status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
    request.decided_by = approver
    request.decided_on = day
    request.decision_reason = reason.strip()[:500]
    request.save(update_fields=["status", "decided_by", "decided_on", "decision_reason"])
    return request


def _reschedule(approver: StaffUser, loan: Loan, terms: dict[str, Any], on: datetime.date) -> None:
    """A new schedule for what is left: the outstanding principal over the new term; charges,
    fees and penalties overdue are due with the first new installment. The old schedule stays;
    the loan counts as renegotiated in PAR from now on."""
    rows = lock_installments(loan)
    history = _history(loan, rows, through=on)
    state = history.state
    carried = {
        "charge": sum((due.charge for due in state.installments if due.due_date <= on), ZERO),
        "fees": sum((due.fees for due in state.installments if due.due_date <= on), ZERO),
        "penalty": sum((due.penalty for due in state.installments), ZERO),
        "savings": sum((due.savings for due in state.installments if due.due_date <= on), ZERO),
    }
    principal = sum((due.principal for due in state.installments), ZERO)
    if principal <= ZERO:
        raise Conflict(_("No principal is left to reschedule."), code="nothing_left")
    if state.credit > ZERO:
        raise Conflict(_("Apply or refund the credit held first."), code="credit_held")
    loan.term = int(terms["term"])
    if terms.get("rate") not in (None, ""):
        loan.rate = Decimal(str(terms["rate"]))
    loan.first_due = (
        datetime.date.fromisoformat(terms["first_due"]) if terms.get("first_due") else None
    )
    if terms.get("frequency"):
        loan.frequency = terms["frequency"]
    loan.custom_schedule = None
    old_amount = loan.amount
    loan.amount = principal
    schedule = build_schedule(loan_terms(loan, disbursed=on))
    loan.amount = old_amount
    version = loan.schedule_version + 1
    new_rows = installment_rows(loan, schedule, version)
    first = new_rows[0]
    first.charge += carried["charge"]
    first.fees += carried["fees"]
    first.penalty += carried["penalty"]
    first.savings += carried["savings"]
    Installment.objects.bulk_create(new_rows)
    loan.schedule_version = version
    loan.schedule_from = on
    loan.renegotiated = True
    loan.principal_outstanding = principal
    _save(approver, loan, [
        "term", "rate", "first_due", "frequency", "custom_schedule", "schedule_version",
        "schedule_from", "renegotiated", "principal_outstanding",
    ])  # fmt: skip
    _event(approver, loan, loan.status, "reschedule", on=on)


def _write_off(approver: StaffUser, loan: Loan, on: datetime.date, reason: str) -> None:
    rows = lock_installments(loan)
    _recognise(approver, loan, rows, on)
    history = _history(loan, rows, through=on)
    state = history.state
    principal = sum((due.principal for due in state.installments), ZERO)
    rows_by_number = {row.number: row for row in rows}
    charge_unpaid = sum((due.charge for due in state.installments), ZERO)
    recognised_charge = sum(
        (due.charge for due in state.installments if rows_by_number[due.number].recognised), ZERO
    )
    recognised_fees = sum(
        (due.fees for due in state.installments if rows_by_number[due.number].recognised), ZERO
    )
    penalty = sum((due.penalty for due in state.installments), ZERO)
    ledger.post(
        approver,
        organization_id=loan.organization_id,
        entry_date=on,
        kind=EntryKind.WRITE_OFF,
        branch_id=loan.branch_id,
        loan_id=loan.pk,
        memo=f"{loan.reference} {reason}"[:300],
        lines=posting.write_off_lines(
            posting.Rules.of(loan),
            loan.currency,
            principal=principal,
            charge_unpaid=charge_unpaid,
            charge_recognised_unpaid=recognised_charge,
            fees_recognised_unpaid=recognised_fees,
            penalty_recognised_unpaid=penalty,
        ),
    )
    before = loan.status
    loan.status = LoanStatus.WRITTEN_OFF
    loan.written_off_principal = principal
    loan.principal_outstanding = ZERO
    loan.closed_on = on
    _save(approver, loan, ["status", "written_off_principal", "principal_outstanding", "closed_on"])
    _event(approver, loan, before, "write_off", on=on, reason=reason)


# --- Documents and refunds ---------------------------------------------------------------------

DOCUMENT_TYPES = {
    "application/pdf": b"%PDF-",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}
DOCUMENT_MAX_BYTES = 5 * 1024 * 1024


@transaction.atomic
def attach_document(
    officer: StaffUser, loan: Loan, *, kind: str, name: str, content: bytes
) -> LoanDocument:
    """A scan or photo for the loan's file: a PDF, JPEG or PNG of at most 5 MB, checked by its
    first bytes, not by the name it was sent with."""
    from django.core.files.base import ContentFile

    _require(officer, Right.APPLY)
    locked = lock_loan(officer, loan.pk)
    if not content:
        raise TandirError(_("The file is empty."), code="empty_file")
    if len(content) > DOCUMENT_MAX_BYTES:
        raise TandirError(_("A document may be at most 5 MB."), code="file_too_large")
    content_type = next(
        (t for t, magic in DOCUMENT_TYPES.items() if content.startswith(magic)), None
    )
    if content_type is None:
        raise TandirError(_("Send a PDF, JPEG or PNG file."), code="file_type")
    if not kind.strip():
        raise TandirError(_("Say what the document is."), code="kind_required")
    document = LoanDocument(
        organization_id=locked.organization_id,
        loan=locked,
        kind=kind.strip()[:40],
        name=name[:200] or kind,
        size=len(content),
        content_type=content_type,
        uploaded_by=officer,
    )
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[content_type]
    document.file.save(f"loan-{locked.pk}.{extension}", ContentFile(content), save=False)
    document.save()
    return document


@transaction.atomic
def refund_credit(
    officer: StaffUser, loan: Loan, *, on: datetime.date, bank_reference: str
) -> JournalEntry | None:
    """Pay back what an overpaid loan holds for the client; the loan is then closed."""
    _require(officer, Right.CORRECT)
    locked = lock_loan(officer, loan.pk)
    if locked.status != LoanStatus.OVERPAID or locked.credit_held <= ZERO:
        raise Conflict(_("The loan holds no credit to refund."), code="no_credit")
    if on > _today():
        raise TandirError(_("A refund cannot be dated in the future."), code="future_date")
    amount = money(locked.credit_held, locked.currency).amount
    entry = ledger.post(
        officer,
        organization_id=locked.organization_id,
        entry_date=on,
        kind=EntryKind.REFUND,
        branch_id=locked.branch_id,
        loan_id=locked.pk,
        memo=f"{locked.reference} {bank_reference}"[:300],
        lines=[
            ledger.debit(Role.OVERPAYMENT, amount, locked.currency),
            ledger.credit(Role.CASH_AT_BANK, amount, locked.currency),
        ],
    )
    before = locked.status
    locked.credit_held = ZERO
    locked.status = LoanStatus.CLOSED
    _save(officer, locked, ["credit_held", "status"])
    _event(officer, locked, before, "refund", on=on, reason=bank_reference)
    return entry


# --- Solidarity groups, centres and collection sheets -----------------------------------------


def _branch_in_scope(officer: StaffUser, branch: Any) -> None:
    from tandir.orgs.access import scope
    from tandir.orgs.models import Branch

    if not scope(officer, Branch.objects.filter(pk=branch.pk), branch_field="pk").exists():
        raise NotFound(_("No such branch."))


@transaction.atomic
def create_centre(
    officer: StaffUser, branch: Any, *, name: str, meeting_day: int, meeting_place: str = ""
) -> Centre:
    _require(officer, Right.MANAGE_GROUPS)
    _branch_in_scope(officer, branch)
    return Centre.objects.create(
        organization_id=branch.organization_id,
        branch=branch,
        name=name,
        meeting_day=meeting_day,
        meeting_place=meeting_place,
        officer=officer,
    )


@transaction.atomic
def create_group(
    officer: StaffUser,
    branch: Any,
    *,
    name: str,
    centre: Centre | None = None,
    meeting_day: int | None = None,
    meeting_place: str = "",
) -> SolidarityGroup:
    _require(officer, Right.MANAGE_GROUPS)
    _branch_in_scope(officer, branch)
    if centre is not None and centre.branch_id != branch.pk:
        raise TandirError(_("The centre meets in another branch."), code="wrong_branch")
    group = SolidarityGroup(
        organization_id=branch.organization_id,
        branch=branch,
        centre=centre,
        name=name,
        meeting_day=meeting_day,
        meeting_place=meeting_place,
        officer=officer,
    )
    group._history_user = officer  # type: ignore[attr-defined]
    group.save()
    return group


@transaction.atomic
def join_group(
    officer: StaffUser,
    group: SolidarityGroup,
    beneficiary: Beneficiary,
    *,
    is_leader: bool = False,
    on: datetime.date | None = None,
) -> GroupMembership:
    """A person joins a group (leaving any group they were in)."""
    from tandir.registry.queries import beneficiaries_in_scope

    _require(officer, Right.MANAGE_GROUPS)
    _branch_in_scope(officer, group.branch)
    if not beneficiaries_in_scope(officer).filter(pk=beneficiary.pk).exists():
        raise NotFound(_("No such participant."))
    day = on or _today()
    for membership in lock_memberships(beneficiary.pk):
        if membership.group_id == group.pk:
            return membership
        membership.left_on = day
        membership.save(update_fields=["left_on"])
    return GroupMembership.objects.create(
        organization_id=group.organization_id,
        group=group,
        beneficiary=beneficiary,
        is_leader=is_leader,
        joined_on=day,
    )


@transaction.atomic
def leave_group(
    officer: StaffUser, membership: GroupMembership, *, on: datetime.date | None = None
) -> GroupMembership:
    _require(officer, Right.MANAGE_GROUPS)
    _branch_in_scope(officer, membership.group.branch)
    membership.left_on = on or _today()
    membership.save(update_fields=["left_on"])
    return membership


@dataclass(frozen=True)
class SheetLine:
    """One member at a meeting: what they paid towards their loan, and whether they came."""

    beneficiary: Beneficiary
    attendance: str
    loan: Loan | None = None
    paid: Decimal = ZERO
    due: Decimal = ZERO


@transaction.atomic
def post_collection_sheet(
    officer: StaffUser,
    *,
    meeting_date: datetime.date,
    lines: Sequence[SheetLine],
    centre: Centre | None = None,
    group: SolidarityGroup | None = None,
) -> CollectionSheet:
    """A meeting's collections, posted as one: either every repayment is recorded, or none.

    Each paid amount is a repayment with the reference `sheet-<date>-<loan>`, so posting the
    same sheet again records nothing twice.
    """
    _require(officer, Right.COLLECT)
    place = centre or group
    if place is None:
        raise TandirError(_("Choose the centre or the group."), code="no_meeting")
    _branch_in_scope(officer, place.branch)
    if meeting_date > _today():
        raise TandirError(_("A meeting cannot be dated in the future."), code="future_date")
    if CollectionSheet.objects.filter(
        centre=centre, group=group, meeting_date=meeting_date
    ).exists():
        raise Conflict(_("This meeting's sheet is already posted."), code="already_posted")
    sheet = CollectionSheet.objects.create(
        organization_id=place.organization_id,
        branch=place.branch,
        centre=centre,
        group=group,
        meeting_date=meeting_date,
        posted_by=officer,
    )
    for line in lines:
        if line.attendance not in Attendance.values:
            raise TandirError(_("Unknown attendance."), code="invalid")
        repayment = None
        if line.loan is not None and line.paid > ZERO:
            if line.loan.beneficiary_id != line.beneficiary.pk:
                raise TandirError(_("This loan is another member's."), code="wrong_loan")
            repayment = record_repayment(
                officer,
                line.loan,
                amount=line.paid,
                value_date=meeting_date,
                reference=f"sheet-{meeting_date.isoformat()}-{line.loan.pk}",
                source=RepaymentSource.COLLECTION_SHEET,
            )
        CollectionLine.objects.create(
            organization_id=sheet.organization_id,
            sheet=sheet,
            beneficiary=line.beneficiary,
            loan=line.loan,
            due=line.due,
            paid=line.paid,
            attendance=line.attendance,
            repayment=repayment,
        )
    return sheet


# --- Bank statements and reconciliation -----------------------------------------------------

# This section's imports stay in it, so that the sections of this file can change independently.
from collections.abc import Callable  # noqa: E402

from tandir.lending.models import BankStatement, BankStatementLine, StatementOutcome  # noqa: E402

BANK_REFERENCE_PREFIX = "bank:"


def bank_repayment_reference(bank_reference: str) -> str:
    """A repayment's idempotency key for a line of a bank statement: the bank's own reference."""
    return f"{BANK_REFERENCE_PREFIX}{bank_reference}"


@dataclass(frozen=True)
class StatementPayment:
    """One checked line of a bank statement: a payment into a loan, by the bank's reference."""

    line: int
    loan_id: int
    value_date: datetime.date
    amount: Decimal
    currency: str
    bank_reference: str


class StatementRefused(TandirError):
    """A line of a statement could not be posted; the whole statement was undone."""

    code = "statement_refused"

    def __init__(self, message: str, *, line: int, code: str | None = None) -> None:
        super().__init__(message, code=code, line=line)
        self.line = line


def _outcome(posted: bool) -> str:
    return StatementOutcome.MATCHED if posted else StatementOutcome.DUPLICATE


@transaction.atomic
def import_bank_statement(
    officer: StaffUser,
    payments: Sequence[StatementPayment],
    *,
    file_name: str,
    sha256: str,
    source: str = RepaymentSource.BANK_FILE,
    progress: Callable[[int], None] | None = None,
) -> BankStatement:
    """Post a partner bank's statement: every new payment, or none, and a record of the file.

    A line whose bank reference was posted before, to the same loan with the same amount and
    value date, is a duplicate and posts nothing (so a statement imported twice posts once);
    with another loan, amount or date it refuses the statement. New payments are recorded in
    value-date order, so no line of the file re-allocates another. Any refusal undoes them all
    and names its line (`StatementRefused`).
    """
    from tandir.lending.queries import loans_in_scope

    _require(officer, Right.COLLECT)
    if officer.organization_id is None:
        raise NotAllowed(_("Statements are imported by staff of an organisation."))
    keys = {bank_repayment_reference(p.bank_reference): p for p in payments}
    if len(keys) != len(payments):
        raise TandirError(_("A bank reference appears twice in the statement."), code="twice")
    earlier = {
        repayment.reference: repayment
        for repayment in Repayment.objects.filter(
            organization_id=officer.organization_id, reference__in=list(keys)
        ).only("pk", "reference", "loan_id", "amount", "value_date")
    }
    reachable = set(
        loans_in_scope(officer)
        .filter(pk__in={r.loan_id for r in earlier.values()})
        .values_list("pk", flat=True)
    )
    posted: dict[int, int] = {}  # line: repayment id
    duplicates: dict[int, int] = {}
    for key, before in earlier.items():
        payment = keys[key]
        same = (before.loan_id, before.amount, before.value_date) == (
            payment.loan_id, payment.amount, payment.value_date,
        )  # fmt: skip
        if not same or before.loan_id not in reachable:
            raise StatementRefused(
                _(
                    "the bank reference %(ref)s was imported before for another payment; "
                    "a bank reference is one payment"
                )
                % {"ref": payment.bank_reference},
                line=payment.line,
                code="duplicate_reference",
            )
        duplicates[payment.line] = before.pk
    new = sorted(
        (p for p in payments if p.line not in duplicates),
        key=lambda p: (p.value_date, p.line),
    )
    batch = [
        PaymentIn(
            p.loan_id,
            p.amount,
            p.value_date,
            bank_repayment_reference(p.bank_reference),
            p.bank_reference,
        )
        for p in new
    ]
    try:
        with transaction.atomic():
            repayments = record_repayments(officer, batch, source=source)
    except TandirError:
        # Refused as a whole: post line by line (undone in the end) to name the line refused.
        repayments = []
        for payment, one in zip(new, batch, strict=True):
            try:
                repayments += record_repayments(officer, [one], source=source)
            except TandirError as refused:
                raise StatementRefused(
                    refused.message, line=payment.line, code=refused.code
                ) from refused
    for payment, repayment in zip(new, repayments, strict=True):
        posted[payment.line] = repayment.pk
    if progress:
        progress(len(new))
    statement = BankStatement.objects.create(
        organization_id=officer.organization_id,
        file_name=file_name[:200],
        sha256=sha256,
        source=source,
        imported_by=officer,
        lines=len(payments),
        matched=len(posted),
        duplicates=len(duplicates),
    )
    BankStatementLine.objects.bulk_create(
        (
            BankStatementLine(
                organization_id=officer.organization_id,
                statement=statement,
                line=p.line,
                value_date=p.value_date,
                loan_id=p.loan_id,
                currency=p.currency,
                amount=p.amount,
                bank_reference=p.bank_reference,
                outcome=_outcome(p.line in posted),
                repayment_id=posted.get(p.line) or duplicates[p.line],
            )
            for p in payments
        ),
        batch_size=1000,
    )
    return statement


# --- Portfolio import (set-based) -------------------------------------------------------------


@transaction.atomic
def import_portfolio(
    officer: StaffUser,
    path: Any,
    *,
    today: datetime.date | None = None,
    progress: Any = None,
) -> Any:
    """Bring an existing loan portfolio from a CSV or XLSX file: all of it or nothing.

    The whole file is checked first (`tandir.lending.portfolio_import.check_portfolio`); if any
    line is bad the result lists every problem and nothing is written. Otherwise the loans, their
    schedules, opening entries, events and the people's borrower status are written set-based:
    a few bulk inserts per 2,000 loans, in this one transaction. Returns the check's result.
    """
    from tandir.lending.portfolio_import import check_portfolio

    _require(officer, Right.IMPORT_LOANS)
    result = check_portfolio(officer, path, today=today, progress=progress)
    if result.errors:
        return result
    try:
        with transaction.atomic(), analyse_once():
            _write_portfolio(officer, result.loans)
    except IntegrityError as exc:
        # The check saw the references free; another import or application took one since.
        raise Conflict(
            _(
                "Another import or application wrote the same loans at the same time; nothing "
                "was imported. Import the file again."
            ),
            code="import_conflict",
        ) from exc
    result.imported = len(result.loans)
    return result


def _import_version(officer: StaffUser, organization_id: int, conventions: Any) -> ProductVersion:
    """The product (not offered for new loans) that keeps one set of imported conventions."""
    product = LoanProduct.objects.filter(organization_id=organization_id, code=conventions.code)
    found = product.first()
    if found is None:
        found = LoanProduct.objects.create(
            organization_id=organization_id,
            code=conventions.code,
            name=_("Imported portfolio: %(method)s in %(currency)s (%(code)s)")
            % {
                "method": conventions.method,
                "currency": conventions.currency,
                "code": conventions.code,
            },
            is_active=False,
        )
    version = found.versions.order_by("-number").first()
    if version is None:
        version = conventions.version()
        version.organization_id = organization_id
        version.product = found
        version.number = 1
        version.created_by = officer
        version.save()
    return version


def _write_portfolio(officer: StaffUser, loans: Sequence[Any]) -> None:
    from tandir.core.audit import current_channel
    from tandir.ledger.models import JournalLine
    from tandir.lending.portfolio_import import CHUNK, opening_lines
    from tandir.registry.models import Status, StatusChange

    org = officer.organization_id
    assert org is not None
    versions = {
        conventions: _import_version(officer, org, conventions).pk
        for conventions in {loan.conventions for loan in loans}
    }
    accounts = {role: account.pk for role, account in accounts_by_role(org).items()}
    channel = current_channel()
    now = timezone.now()
    memo = _("Opening balance of imported loan %(ref)s")
    reason = _("Imported portfolio")
    became_borrower: dict[int, datetime.date] = {}
    for start in range(0, len(loans), CHUNK):
        chunk = loans[start : start + CHUNK]
        rows = [
            {
                "organization_id": org,
                "reference": loan.reference,
                "branch_id": loan.branch_id,
                "beneficiary_id": loan.beneficiary_id,
                "officer_id": loan.officer_id,
                "product_version_id": versions[loan.conventions],
                "status": LoanStatus.ACTIVE.value,
                "currency": loan.currency,
                "amount": loan.schedule.amount_financed,
                "rate": loan.rate,
                "term": loan.term,
                "frequency": loan.frequency,
                "grace_principal": loan.grace_principal,
                "grace_interest": loan.grace_interest,
                "first_due": loan.first_due,
                "purpose": loan.purpose,
                "sector": loan.sector,
                "submitted_on": loan.disbursed_on,
                "created_by_id": officer.pk,
                "approved_on": loan.disbursed_on,
                "approved_by_id": officer.pk,
                "disbursed_on": loan.disbursed_on,
                "schedule_version": 1,
                "schedule_from": loan.disbursed_on,
                "principal_outstanding": loan.schedule.amount_financed,
                "created_at": now,
            }
            for loan in chunk
        ]
        loan_ids = insert_rows(Loan, rows, ids=True)
        # The change history of each loan's creation, as a save would have written it.
        insert_rows(
            Loan.history.model,
            [
                row | {
                    "id": pk, "history_date": now, "history_type": "+",
                    "history_user_id": officer.pk, "history_channel": channel,
                    "history_change_reason": None,
                }
                for row, pk in zip(rows, loan_ids, strict=True)
            ],
        )  # fmt: skip
        insert_rows(
            Installment,
            [
                {
                    "organization_id": org,
                    "loan_id": pk,
                    "version": 1,
                    "number": row.number,
                    "due_date": row.due_date,
                    "principal": row.principal,
                    "charge": row.charge,
                    "fees": row.fees,
                    "savings": row.savings,
                }
                for loan, pk in zip(chunk, loan_ids, strict=True)
                for row in loan.schedule.installments
            ],
        )
        entry_ids = insert_rows(
            JournalEntry,
            [
                {
                    "organization_id": org,
                    "branch_id": loan.branch_id,
                    "entry_date": loan.disbursed_on,
                    "kind": EntryKind.DISBURSEMENT.value,
                    "memo": (memo % {"ref": loan.reference})[:300],
                    "loan_id": pk,
                    "created_by_id": officer.pk,
                }
                for loan, pk in zip(chunk, loan_ids, strict=True)
            ],
            ids=True,
        )
        journal_lines = []
        for loan, entry_id in zip(chunk, entry_ids, strict=True):
            lines = opening_lines(loan)
            if sum((line.debit - line.credit for line in lines), ZERO) != ZERO:
                raise ledger.Unbalanced(
                    _("Debits and credits differ: %(amounts)s.") % {"amounts": loan.reference}
                )
            journal_lines += [
                {
                    "organization_id": org,
                    "entry_id": entry_id,
                    "account_id": accounts[str(line.role)],
                    "currency": line.currency,
                    "debit": line.debit,
                    "credit": line.credit,
                    "entry_date": loan.disbursed_on,
                    "branch_id": loan.branch_id,
                }
                for line in lines
            ]
        insert_rows(JournalLine, journal_lines)
        insert_rows(
            LoanEvent,
            [
                {
                    "organization_id": org,
                    "loan_id": pk,
                    "from_status": "",
                    "to_status": LoanStatus.ACTIVE.value,
                    "action": "import",
                    "on": loan.disbursed_on,
                    "by_id": officer.pk,
                    "reason": reason,
                }
                for loan, pk in zip(chunk, loan_ids, strict=True)
            ],
        )
        for loan in chunk:
            day = became_borrower.get(loan.beneficiary_id)
            if day is None or loan.disbursed_on < day:
                became_borrower[loan.beneficiary_id] = loan.disbursed_on
    # The people become borrowers, as a disbursement makes them (registry `start_borrowing`),
    # with their status history and change history, set-based.
    people = sorted(became_borrower)
    for start in range(0, len(people), CHUNK):
        persons = list(
            Beneficiary.objects.filter(pk__in=people[start : start + CHUNK]).exclude(
                status__in=[Status.BORROWER, Status.EXITED]
            )
        )
        if not persons:
            continue
        insert_rows(
            StatusChange,
            [
                {
                    "organization_id": person.organization_id,
                    "beneficiary_id": person.pk,
                    "from_status": person.status,
                    "to_status": Status.BORROWER.value,
                    "changed_on": became_borrower[person.pk],
                    "changed_by_id": officer.pk,
                    "note": _("Loan imported"),
                }
                for person in persons
            ],
        )
        Beneficiary.objects.filter(pk__in=[person.pk for person in persons]).update(
            status=Status.BORROWER, updated_at=now
        )
        # Each person's change history: the record as it now is, changed through this channel.
        fields = [f.attname for f in Beneficiary._meta.concrete_fields]
        insert_rows(
            Beneficiary.changes.model,
            [
                {name: getattr(person, name) for name in fields}
                | {
                    "status": Status.BORROWER.value, "updated_at": now, "history_date": now,
                    "history_type": "~", "history_user_id": officer.pk,
                    "history_channel": channel, "history_change_reason": None,
                }
                for person in persons
            ],
        )  # fmt: skip


# --- Officer pages -----------------------------------------------------------------------------

# A sheet made before its meeting (to print) has lines whose attendance is not yet taken; the
# model has no state of its own for it, so an empty attendance marks a line not yet posted.
NOT_TAKEN = ""


@transaction.atomic
def prepare_collection_sheet(
    officer: StaffUser,
    *,
    meeting_date: datetime.date,
    centre: Centre | None = None,
    group: SolidarityGroup | None = None,
) -> CollectionSheet:
    """A meeting's sheet before the meeting: a line per current member and live loan, with what
    falls due by the meeting date; attendance and payments are entered at the meeting."""
    from tandir.lending.queries import LIVE, Due, active_members, dues_on

    _require(officer, Right.COLLECT)
    place = centre or group
    if place is None or (centre is not None and group is not None):
        raise TandirError(_("Choose the centre or the group."), code="no_meeting")
    _branch_in_scope(officer, place.branch)
    if CollectionSheet.objects.filter(
        centre=centre, group=group, meeting_date=meeting_date
    ).exists():
        raise Conflict(_("This meeting has a sheet already."), code="already_prepared")
    members = list(active_members(group=group, centre=centre))
    if not members:
        raise TandirError(_("Nobody is a member yet."), code="no_members")
    loans: dict[int, list[Loan]] = {}
    for loan in Loan.objects.filter(
        organization_id=place.organization_id,
        beneficiary_id__in=[m.beneficiary_id for m in members],
        status__in=LIVE,
    ).order_by("disbursed_on", "pk"):
        loans.setdefault(loan.beneficiary_id, []).append(loan)
    dues = dues_on([loan.pk for their in loans.values() for loan in their], meeting_date)
    sheet = CollectionSheet.objects.create(
        organization_id=place.organization_id,
        branch=place.branch,
        centre=centre,
        group=group,
        meeting_date=meeting_date,
        posted_by=officer,
    )
    lines = []
    for member in members:
        # A member without a live loan is on the sheet too: attendance is taken for everyone.
        their: list[Loan | None] = [*loans.get(member.beneficiary_id, [])] or [None]
        lines += [
            CollectionLine(
                organization_id=sheet.organization_id,
                sheet=sheet,
                beneficiary_id=member.beneficiary_id,
                loan=loan,
                due=dues.get(loan.pk, Due()).total if loan else ZERO,
                attendance=NOT_TAKEN,
            )
            for loan in their
        ]
    CollectionLine.objects.bulk_create(lines)
    return sheet


@dataclass(frozen=True)
class SheetEntry:
    """What the officer entered at the meeting for one line of a prepared sheet."""

    line_id: int
    attendance: str
    paid: Decimal


@transaction.atomic
def post_prepared_sheet(
    officer: StaffUser, sheet: CollectionSheet, entries: Sequence[SheetEntry]
) -> CollectionSheet:
    """A prepared sheet's meeting, posted as one: every line's attendance and payment is
    recorded, or nothing is. Each payment is a repayment with the reference
    `sheet-<sheet>-<loan>`; every bad line is reported at once."""
    from tandir.lending.queries import Due, dues_on

    _require(officer, Right.COLLECT)
    _branch_in_scope(officer, sheet.branch)
    if sheet.meeting_date > _today():
        raise TandirError(
            _("A sheet is posted on the day of its meeting or after it."), code="future_date"
        )
    # Writing the sheet's row first makes a second officer posting the same sheet wait for this
    # transaction, and then find its lines taken.
    CollectionSheet.objects.filter(pk=sheet.pk).update(posted_by=officer, posted_at=timezone.now())
    lines = list(
        CollectionLine.objects.filter(sheet=sheet)
        .select_related("loan", "beneficiary")
        .order_by("pk")
    )
    if not lines or any(line.attendance != NOT_TAKEN for line in lines):
        raise Conflict(_("This meeting's sheet is already posted."), code="already_posted")
    given = {entry.line_id: entry for entry in entries}
    problems = []
    if set(given) != {line.pk for line in lines}:
        problems.append(_("The sheet changed since it was opened; open it again."))
    for line in lines:
        entry = given.get(line.pk)
        if entry is None:
            continue
        name = line.beneficiary.full_name
        if entry.attendance not in Attendance.values:
            problems.append(_("%(name)s: unknown attendance.") % {"name": name})
        if entry.paid < ZERO:
            problems.append(_("%(name)s: a payment cannot be negative.") % {"name": name})
        elif entry.paid > ZERO and line.loan is None:
            problems.append(_("%(name)s has no loan to pay into.") % {"name": name})
        elif entry.paid > ZERO and line.loan is not None:
            try:
                money(entry.paid, line.loan.currency)
            except ValueError:
                problems.append(
                    _("%(name)s: %(amount)s has more decimals than %(currency)s has.")
                    % {"name": name, "amount": entry.paid, "currency": line.loan.currency}
                )
    if problems:
        raise TandirError(" ".join(problems), code="invalid_sheet", problems=problems)
    dues = dues_on([line.loan_id for line in lines if line.loan_id], sheet.meeting_date)
    for line in lines:
        entry = given[line.pk]
        if line.loan is not None:
            line.due = dues.get(line.loan.pk, Due()).total
        if line.loan is not None and entry.paid > ZERO:
            line.repayment = record_repayment(
                officer,
                line.loan,
                amount=entry.paid,
                value_date=sheet.meeting_date,
                reference=f"sheet-{sheet.pk}-{line.loan.pk}",
                source=RepaymentSource.COLLECTION_SHEET,
            )
        line.attendance = entry.attendance
        line.paid = entry.paid
    CollectionLine.objects.bulk_update(lines, ["due", "paid", "attendance", "repayment"])
    sheet.refresh_from_db()
    return sheet
