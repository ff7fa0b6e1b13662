"""/api/v1/loans: the loans in your scope, one loan with its schedule, its repayments, and a
repayment posted once per `Idempotency-Key`.

Handlers only parse, authorise through `access_loan` / `loans_in_scope`, call the lending
action or query and shape the answer; every rule (rights, scope, allocation, the ledger) lives
in `tandir.lending`.
"""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status
from pydantic import AfterValidator, ConfigDict, WithJsonSchema

from tandir.api.idempotency import Answer, IdempotencyKeyRequired, answer_once
from tandir.api.models import IdempotencyKey
from tandir.api.schemas import (
    BIGGEST_INTEGER,
    NO_NUL,
    ErrorOut,
    Input,
    IsoDate,
    MoneyIn,
    MoneyOut,
    Ref,
    id_bounds,
    max_length_of,
    omittable,
    one_of,
)
from tandir.core.errors import TandirError
from tandir.core.money import money
from tandir.engine import (
    AgeingBucket,
    Frequency,
    Method,
    ageing_bucket,
    days_past_due,
    overdue_amount,
)
from tandir.engine.money import MINOR_UNITS
from tandir.lending.actions import record_repayment
from tandir.lending.models import (
    Component,
    Installment,
    Loan,
    LoanStatus,
    Repayment,
    RepaymentSource,
)
from tandir.lending.queries import (
    LIVE,
    access_loan,
    installments_of,
    loan_repayments,
    loans_in_scope,
    unpaid_state,
)
from tandir.orgs.models import Branch, StaffUser
from tandir.registry.models import Beneficiary

router = Router(tags=["loans"])

MAX_LIMIT = 200


def _errors(*codes: int) -> dict[int, type[Schema]]:
    return dict.fromkeys(codes, ErrorOut)


def _enum(values: list[str], description: str = "") -> Any:
    schema: dict[str, Any] = {"type": "string", "enum": values}
    if description:
        schema["description"] = description
    return WithJsonSchema(schema)


_STATUSES = [str(value) for value in LoanStatus.values]
_SOURCES = [str(value) for value in RepaymentSource.values]
_COMPONENTS = [str(value) for value in Component.values]
_METHODS = [method.value for method in Method]
_FREQUENCIES = [frequency.value for frequency in Frequency]
_BUCKETS = [bucket.value for bucket in AgeingBucket]

LoanStatusCode = Annotated[str, AfterValidator(one_of(_STATUSES)), _enum(_STATUSES)]
SourceCode = Annotated[str, _enum(_SOURCES)]
ComponentCode = Annotated[str, _enum(_COMPONENTS)]
MethodCode = Annotated[str, _enum(_METHODS)]
FrequencyCode = Annotated[str, _enum(_FREQUENCIES)]
BucketCode = Annotated[str, _enum(_BUCKETS)]
# A decimal string in the loan's currency (its `currency` says which).
Amount = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$")]
Percent = Annotated[str, Field(pattern=r"^\d+(\.\d+)?$", description="Percent, e.g. `24`.")]


# --- Shapes -------------------------------------------------------------------------------


class ProductOut(Schema):
    code: str
    name: str
    version: int = Field(description="The version of the product's terms the loan keeps.")


class LoanOut(Schema):
    id: int
    reference: str
    status: LoanStatusCode
    branch: Ref
    beneficiary: Ref
    officer: Ref | None
    product: ProductOut
    method: MethodCode
    currency: str = Field(description="ISO 4217 code of every amount of the loan.")
    amount: MoneyOut
    rate: Percent = Field(description="Nominal annual rate, or the markup for a Murabaha.")
    term: int = Field(description="Number of installments.")
    frequency: FrequencyCode
    submitted_on: datetime.date
    approved_on: datetime.date | None
    disbursed_on: datetime.date | None
    closed_on: datetime.date | None
    principal_outstanding: MoneyOut
    credit_held: MoneyOut = Field(description="Overpaid money held for the next installments.")
    renegotiated: bool


class ComponentsOut(Schema):
    principal: Amount
    charge: Amount = Field(description="Interest, profit or markup.")
    fees: Amount
    savings: Amount
    penalty: Amount
    total: Amount


class InstallmentOut(Schema):
    number: int
    due_date: datetime.date
    due: ComponentsOut = Field(description="What falls due, in the loan's currency.")
    paid: ComponentsOut = Field(description="What has been paid of it.")


class OwedOut(Schema):
    """Unpaid amounts in the loan's currency. Compulsory savings are the client's deposit, not
    a debt, and are not in them."""

    principal: Amount
    charge: Amount = Field(description="Interest, profit or markup.")
    fees: Amount
    penalty: Amount
    total: Amount


class ArrearsOut(Schema):
    as_of: datetime.date = Field(description="Today, on the server's calendar.")
    days_past_due: int = Field(
        description="Of the oldest installment not fully paid, after the product's grace days; "
        "an installment is overdue from the day after its due date (day 1)."
    )
    bucket: BucketCode
    overdue: OwedOut = Field(
        description="Unpaid of the installments due before today. `total` is what brings the "
        "loan current: the overdue amounts less the credit held."
    )


class LoanDetailOut(LoanOut):
    schedule_version: int = Field(description="Rescheduling adds a version; this is the current.")
    installments: list[InstallmentOut] = Field(
        description="The current schedule, in due-date order, with due and paid amounts."
    )
    outstanding: OwedOut = Field(description="Unpaid of the whole current schedule.")
    arrears: ArrearsOut | None = Field(
        description="For an active or overpaid loan; null for one never disbursed or closed."
    )


class LoanPage(Schema):
    count: int = Field(description="How many loans match, over all pages.")
    limit: int
    offset: int
    items: list[LoanOut]


class AllocationOut(Schema):
    installment: int = Field(description="The installment's number in its schedule.")
    component: ComponentCode
    amount: Amount


class RepaymentOut(Schema):
    id: int
    reference: str = Field(description="Unique in the organisation; what makes a replay post once.")
    receipt_number: str
    value_date: datetime.date
    amount: MoneyOut
    source: SourceCode
    bank_reference: str
    received_by: Ref
    created_at: datetime.datetime
    is_recovery: bool = Field(description="Money received on a written-off loan: income.")
    reversed_at: datetime.datetime | None
    allocation: list[AllocationOut] = Field(
        description="How the money is split now over installments and components (a back-dated "
        "payment may re-allocate later ones); empty when reversed or a recovery."
    )
    credit: Amount = Field(description="What was left over and held as credit.")


class LoanStateOut(Schema):
    status: LoanStatusCode
    principal_outstanding: MoneyOut
    credit_held: MoneyOut


class RepaymentPosted(RepaymentOut):
    loan: LoanStateOut = Field(description="The loan right after this payment.")


class RepaymentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RepaymentOut]


BranchId = Annotated[int, id_bounds(Branch)]
StaffId = Annotated[int, id_bounds(StaffUser)]
BeneficiaryId = Annotated[int, id_bounds(Beneficiary)]


class LoanFilters(Schema):
    status: LoanStatusCode = omittable()
    branch: BranchId = omittable(description="Branch id.")
    officer: StaffId = omittable(description="The loan officer's user id.")
    beneficiary: BeneficiaryId = omittable(description="Beneficiary id.")
    limit: int = Field(settings.TANDIR_PAGE_SIZE, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=BIGGEST_INTEGER)


class PageIn(Schema):
    limit: int = Field(settings.TANDIR_PAGE_SIZE, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=BIGGEST_INTEGER)


BankReference = Annotated[
    str, Field(max_length=max_length_of(Repayment, "bank_reference"), pattern=NO_NUL)
]


class RepaymentIn(Input):
    amount: MoneyIn = Field(description="In the loan's currency, with at most its decimals.")
    value_date: IsoDate = Field(
        description="`YYYY-MM-DD`: when the money was received; not in the future."
    )
    bank_reference: BankReference = Field("", description="The bank's own reference, if any.")


IDEMPOTENCY_KEY = "Idempotency-Key"


def _key_in_document(schema: dict[str, Any]) -> None:
    # Required in the document, so a client generator makes callers send it; the handler
    # checks it itself so that a missing key answers 400 `idempotency_key_required` (as the
    # IETF draft on the header says), not a generic field error.
    schema.pop("default", None)
    schema["minLength"] = 1


def _key_required(schema: dict[str, Any]) -> None:
    schema["required"] = [*schema.get("required", []), IDEMPOTENCY_KEY]


class RepaymentHeaders(Schema):
    model_config = ConfigDict(json_schema_extra=_key_required)

    idempotency_key: str = Field(
        "",
        alias="Idempotency-Key",
        max_length=max_length_of(IdempotencyKey, "key"),
        pattern=NO_NUL,
        json_schema_extra=_key_in_document,
        description=(
            "Required: 1 to 255 characters, e.g. a UUID, new for each payment. A retry with the "
            "same key and body answers with the first answer and posts nothing twice; while "
            "the first is still being processed, 409 `idempotency_key_in_progress`."
        ),
    )


# --- From rows to answers -------------------------------------------------------------------


def _amount(value: Decimal, currency: str) -> str:
    """A stored amount with the currency's own decimals (the column keeps three)."""
    return format(money(value, currency).amount, "f")


def _money(value: Decimal, currency: str) -> dict[str, str]:
    return {"amount": _amount(value, currency), "currency": currency}


def _person(user: StaffUser) -> dict[str, Any]:
    return {"id": user.pk, "name": user.get_full_name() or user.username}


def _percent(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def with_relations(loans: QuerySet[Loan]) -> QuerySet[Loan]:
    return loans.select_related("branch", "beneficiary", "officer", "product_version__product")


def loan_out(loan: Loan) -> dict[str, Any]:
    currency = loan.currency
    version = loan.product_version
    return {
        "id": loan.pk,
        "reference": loan.reference,
        "status": loan.status,
        "branch": {"id": loan.branch_id, "name": loan.branch.name},
        "beneficiary": {"id": loan.beneficiary_id, "name": loan.beneficiary.full_name},
        "officer": _person(loan.officer) if loan.officer else None,
        "product": {
            "code": version.product.code,
            "name": version.product.name,
            "version": version.number,
        },
        "method": version.method,
        "currency": currency,
        "amount": _money(loan.amount, currency),
        "rate": _percent(loan.rate),
        "term": loan.term,
        "frequency": loan.frequency,
        "submitted_on": loan.submitted_on,
        "approved_on": loan.approved_on,
        "disbursed_on": loan.disbursed_on,
        "closed_on": loan.closed_on,
        "principal_outstanding": _money(loan.principal_outstanding, currency),
        "credit_held": _money(loan.credit_held, currency),
        "renegotiated": loan.renegotiated,
    }


def _components(currency: str, row: Installment, *, paid: bool) -> dict[str, str]:
    suffix = "_paid" if paid else ""
    parts = {
        name: _amount(getattr(row, name + suffix), currency)
        for name in ("principal", "charge", "fees", "savings", "penalty")
    }
    parts["total"] = _amount(row.paid if paid else row.total, currency)
    return parts


def _owed(currency: str, unpaid: list[Any], total: Decimal | None = None) -> dict[str, str]:
    """The unpaid components of the engine's installments `unpaid`, summed."""
    parts = {
        name: sum((getattr(due, name) for due in unpaid), Decimal(0))
        for name in ("principal", "charge", "fees", "penalty")
    }
    owed = sum(parts.values(), Decimal(0)) if total is None else total
    return {**{n: _amount(v, currency) for n, v in parts.items()}, "total": _amount(owed, currency)}


def loan_detail_out(loan: Loan, as_of: datetime.date) -> dict[str, Any]:
    currency = loan.currency
    rows = installments_of(loan)
    state = unpaid_state(loan, rows)
    arrears = None
    if loan.status in LIVE:
        days = days_past_due(state, as_of)
        late = [due for due in state.installments if due.due_date < as_of]
        arrears = {
            "as_of": as_of,
            "days_past_due": days,
            "bucket": ageing_bucket(days).value,
            "overdue": _owed(currency, late, overdue_amount(state, as_of)),
        }
    return {
        **loan_out(loan),
        "schedule_version": loan.schedule_version,
        "installments": [
            {
                "number": row.number,
                "due_date": row.due_date,
                "due": _components(currency, row, paid=False),
                "paid": _components(currency, row, paid=True),
            }
            for row in rows
        ],
        "outstanding": _owed(currency, list(state.installments)),
        "arrears": arrears,
    }


def repayment_out(repayment: Repayment) -> dict[str, Any]:
    currency = repayment.currency
    applications = list(repayment.applications.all())
    return {
        "id": repayment.pk,
        "reference": repayment.reference,
        "receipt_number": repayment.receipt_number,
        "value_date": repayment.value_date,
        "amount": _money(repayment.amount, currency),
        "source": repayment.source,
        "bank_reference": repayment.bank_reference,
        "received_by": _person(repayment.received_by),
        "created_at": repayment.created_at,
        "is_recovery": repayment.is_recovery,
        "reversed_at": repayment.reversed_at,
        "allocation": [
            {
                "installment": line.number,
                "component": line.component,
                "amount": _amount(line.amount, currency),
            }
            for application in applications
            for line in application.lines.all()
        ],
        "credit": _amount(sum((a.credit for a in applications), Decimal(0)), currency),
    }


def repayment_reference(user: Any, key: str) -> str:
    """The repayment's reference, from the user and their key: a replay reaching the action
    (after the stored answer expired) finds the payment already recorded and posts nothing.
    A key too long for the column is kept by its hash."""
    reference = f"api:{user.pk}:{key}"
    limit = max_length_of(Repayment, "reference")
    if len(reference) <= limit:
        return reference
    return f"api:{user.pk}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


class RepaymentRefused(TandirError):
    """A well-formed payment the loan's rules refuse (not positive, dated in the future or
    before the schedule): 422 with the action's own code."""

    http_status = 422


class AmountRefused(TandirError):
    """An amount the loan cannot take as sent (another currency, more decimals than its
    currency has): 422 with its own code, and `fields` saying which part of the amount."""

    http_status = 422

    def __init__(self, code: str, field: str, reason: str, message: str) -> None:
        super().__init__(message, code=code, fields={field: [reason]})


def _amount_for(loan: Loan, given: MoneyIn) -> Decimal:
    """The amount sent, in the loan's currency and within its decimals."""
    if given.currency != loan.currency:
        raise AmountRefused(
            "currency_mismatch",
            "amount.currency",
            _("This loan is in %(currency)s.") % {"currency": loan.currency},
            _("The amount is not in the loan's currency."),
        )
    try:
        return money(given.amount, loan.currency).amount
    except ValueError:
        raise AmountRefused(
            "too_many_decimals",
            "amount.amount",
            _("%(currency)s amounts have at most %(places)d decimals.")
            % {"currency": loan.currency, "places": MINOR_UNITS[loan.currency]},
            _("The amount has more decimals than the loan's currency."),
        ) from None


# --- Endpoints ------------------------------------------------------------------------------


@router.get(
    "",
    response={200: LoanPage, **_errors(401, 422)},
    operation_id="listLoans",
    summary="List loans",
)
def list_loans(request: HttpRequest, filters: Query[LoanFilters]) -> dict[str, Any]:
    """Loans in your scope, newest application first. A branch, officer or beneficiary you
    cannot see matches nothing."""
    user = request.auth  # type: ignore[attr-defined]
    found = loans_in_scope(user)
    if filters.status is not None:
        found = found.filter(status=filters.status)
    if filters.branch is not None:
        found = found.filter(branch_id=filters.branch)
    if filters.officer is not None:
        found = found.filter(officer_id=filters.officer)
    if filters.beneficiary is not None:
        found = found.filter(beneficiary_id=filters.beneficiary)
    count = found.count()
    page = with_relations(found).order_by("-submitted_on", "-id")[
        filters.offset : filters.offset + filters.limit
    ]
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [loan_out(loan) for loan in page],
    }


@router.get(
    "/{int:loan_id}",
    response={200: LoanDetailOut, **_errors(401, 404)},
    operation_id="getLoan",
    summary="One loan with its schedule, balances and arrears",
)
def get_loan(request: HttpRequest, loan_id: int) -> dict[str, Any]:
    """404 for loans outside your scope, whether or not they exist."""
    user = request.auth  # type: ignore[attr-defined]
    return loan_detail_out(access_loan(user, loan_id), timezone.localdate())


@router.get(
    "/{int:loan_id}/repayments",
    response={200: RepaymentPage, **_errors(401, 404, 422)},
    operation_id="listRepayments",
    summary="A loan's repayments",
)
def list_repayments(request: HttpRequest, loan_id: int, page: Query[PageIn]) -> dict[str, Any]:
    """Every repayment of the loan, reversed ones included, by value date."""
    user = request.auth  # type: ignore[attr-defined]
    loan = access_loan(user, loan_id)
    repayments = loan_repayments(loan)
    return {
        "count": repayments.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": [repayment_out(r) for r in repayments[page.offset : page.offset + page.limit]],
    }


@router.post(
    "/{int:loan_id}/repayments",
    response={201: RepaymentPosted, **_errors(400, 401, 403, 404, 409, 422)},
    operation_id="createRepayment",
    summary="Pay into a loan",
)
def create_repayment(
    request: HttpRequest,
    loan_id: int,
    payload: RepaymentIn,
    headers: Header[RepaymentHeaders],
) -> Status[dict[str, Any]]:
    """Allocated by the product's strategy and posted to the ledger, once per
    `Idempotency-Key`. Refused, with nothing written: 400 `idempotency_key_required`;
    422 `currency_mismatch`, `too_many_decimals`, `not_positive`, `future_date`,
    `before_schedule`, `idempotency_key_reused`; 409 `closed`, `not_active`,
    `duplicate_reference`, `idempotency_key_in_progress`; 403 `not_allowed`; 404 `not_found`."""
    user = request.auth  # type: ignore[attr-defined]
    key = headers.idempotency_key
    if not key.strip():
        raise IdempotencyKeyRequired()
    loan = access_loan(user, loan_id)

    def pay() -> Answer:
        amount = _amount_for(loan, payload.amount)
        try:
            repayment = record_repayment(
                user,
                loan,
                amount=amount,
                value_date=payload.value_date,
                reference=repayment_reference(user, key),
                source=RepaymentSource.API,
                bank_reference=payload.bank_reference,
            )
        except TandirError as exc:
            if exc.http_status != 400:
                raise
            raise RepaymentRefused(exc.message, code=exc.code, **exc.details) from exc
        after = Loan.objects.get(pk=loan.pk)
        body = {
            **repayment_out(loan_repayments(after).get(pk=repayment.pk)),
            "loan": {
                "status": after.status,
                "principal_outstanding": _money(after.principal_outstanding, after.currency),
                "credit_held": _money(after.credit_held, after.currency),
            },
        }
        return 201, RepaymentPosted.model_validate(body).model_dump(mode="json")

    return Status(*answer_once(request, user, key, pay))
