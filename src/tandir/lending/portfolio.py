"""Every loan's state as of a date (`tandir portfolio`): outstanding and overdue amounts, days past
due and the ageing bucket, counting only the money received by that date.

An installment's paid columns hold every payment ever allocated, so the state as of a date is
rebuilt from the allocations instead: the active applications dated on or before it (a payment
is allocated on its value date; a back-dated one re-allocates the later ones, which keeps the
active set in value-date order). The arrears rules are the engine's (`tandir.engine.arrears`):
days past due count from the oldest installment not fully paid, 1 on the day after its due date,
after the product's grace days and tolerance, with credit held counted as applied.

Set-based: the loans are read in chunks of 2,000, each chunk in four queries (loans, their
current installments, the allocations by installment and component, credit and refunds); no
query runs per loan.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, Sum

from tandir.engine import minor_unit
from tandir.engine.allocation import InstallmentDue, RepaymentState
from tandir.engine.arrears import ageing_bucket, days_past_due
from tandir.engine.products import Product
from tandir.ledger.charts import Role
from tandir.ledger.models import EntryKind, JournalLine
from tandir.lending.models import (
    INSTALLMENT_COMPONENTS,
    Application,
    ApplicationLine,
    Installment,
    Loan,
    LoanStatus,
    ProductVersion,
)
from tandir.lending.terms import engine_product

ZERO = Decimal(0)
CHUNK = 2000
# The states of a loan that was paid out: the others never owed anything.
DISBURSED = (LoanStatus.ACTIVE, LoanStatus.OVERPAID, LoanStatus.CLOSED, LoanStatus.WRITTEN_OFF)
COMPONENTS = INSTALLMENT_COMPONENTS


@dataclass(frozen=True)
class LoanPosition:
    loan_ref: str
    status: str
    currency: str
    outstanding_principal: Decimal
    overdue_principal: Decimal
    overdue_charge: Decimal
    days_past_due: int
    bucket: str
    renegotiated: bool


@dataclass
class CurrencyTotal:
    loans: int = 0  # loans active on the date
    outstanding_principal: Decimal = ZERO
    overdue_principal: Decimal = ZERO


@dataclass
class Portfolio:
    as_of: datetime.date
    loans: list[LoanPosition] = field(default_factory=list)
    totals: dict[str, CurrencyTotal] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The contract of `tandir portfolio --json` (docs/lending-cli.md): amounts as decimal
        strings with the currency's decimals."""

        def text(amount: Decimal, currency: str) -> str:
            return str(amount.quantize(Decimal(1).scaleb(-minor_unit(currency))))

        return {
            "as_of": self.as_of.isoformat(),
            "loans": [
                {
                    "loan_ref": p.loan_ref,
                    "status": p.status,
                    "outstanding_principal": text(p.outstanding_principal, p.currency),
                    "overdue_principal": text(p.overdue_principal, p.currency),
                    "overdue_charge": text(p.overdue_charge, p.currency),
                    "days_past_due": p.days_past_due,
                    "bucket": p.bucket,
                    "renegotiated": p.renegotiated,
                }
                for p in self.loans
            ],
            "totals": {
                currency: {
                    "loans": total.loans,
                    "outstanding_principal": text(total.outstanding_principal, currency),
                    "overdue_principal": text(total.overdue_principal, currency),
                }
                for currency, total in sorted(self.totals.items())
            },
        }


@dataclass(frozen=True)
class _Loan:
    pk: int
    reference: str
    status: str
    currency: str
    renegotiated: bool
    closed_on: datetime.date | None
    schedule_from: datetime.date | None
    version_id: int


def _chunks(loans: list[_Loan]) -> Iterator[list[_Loan]]:
    for start in range(0, len(loans), CHUNK):
        yield loans[start : start + CHUNK]


def portfolio_as_of(as_of: datetime.date, *, organization_id: int | None = None) -> Portfolio:
    """Every loan paid out by `as_of`, in its state on that date, with totals per currency."""
    loans = Loan.objects.filter(disbursed_on__lte=as_of, status__in=DISBURSED)
    if organization_id is not None:
        loans = loans.filter(organization_id=organization_id)
    rows = [
        _Loan(*values)
        for values in loans.order_by("organization_id", "reference").values_list(
            "pk",
            "reference",
            "status",
            "currency",
            "renegotiated",
            "closed_on",
            "schedule_from",
            "product_version_id",
        )
    ]
    arrears_rules = _arrears_rules({row.version_id for row in rows})
    portfolio = Portfolio(as_of)
    for chunk in _chunks(rows):
        portfolio.loans += _positions(chunk, as_of, arrears_rules)
    for position in portfolio.loans:
        if position.status != LoanStatus.ACTIVE:
            continue
        total = portfolio.totals.setdefault(position.currency, CurrencyTotal())
        total.loans += 1
        total.outstanding_principal += position.outstanding_principal
        total.overdue_principal += position.overdue_principal
    return portfolio


def _arrears_rules(version_ids: set[int]) -> dict[int, Product]:
    """Each product version as the engine's product: its grace days and tolerance are what
    the arrears rules read (the rate and frequency are not)."""
    return {
        version.pk: engine_product(version, rate=ZERO, frequency="monthly")
        for version in ProductVersion.objects.filter(pk__in=version_ids)
    }


def _positions(
    chunk: list[_Loan], as_of: datetime.date, rules: dict[int, Product]
) -> list[LoanPosition]:
    ids = [loan.pk for loan in chunk]
    schedules: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for values in (
        Installment.objects.filter(loan_id__in=ids, version=F("loan__schedule_version"))
        .order_by("loan_id", "number")
        .values_list(
            "loan_id",
            "number",
            "due_date",
            "principal",
            "charge",
            "fees",
            "savings",
            "penalty",
            "penalty_charged_on",
        )
    ):
        schedules[values[0]].append(values[1:])
    paid: dict[tuple[int, int, str], Decimal] = {}
    # Allocations to the current schedule: those dated from the day it began.
    for loan_id, number, component, amount in (
        ApplicationLine.objects.filter(
            application__loan_id__in=ids,
            application__is_active=True,
            application__applied_on__lte=as_of,
            application__applied_on__gte=F("application__loan__schedule_from"),
        )
        .values_list("application__loan_id", "number", "component")
        .annotate(amount=Sum("amount"))
        .order_by()
    ):
        paid[loan_id, number, component] = amount
    credit: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for loan_id, left, used in (
        Application.objects.filter(loan_id__in=ids, is_active=True, applied_on__lte=as_of)
        .values_list("loan_id")
        .annotate(left=Sum("credit"), used=Sum("amount", filter=Q(from_credit=True)))
        .order_by()
    ):
        credit[loan_id] += (left or ZERO) - (used or ZERO)
    # Credit refunded to the client by the date leaves what is held.
    for loan_id, refunded in (
        JournalLine.objects.filter(
            entry__loan_id__in=ids,
            entry__kind=EntryKind.REFUND,
            entry_date__lte=as_of,
            account__role=Role.OVERPAYMENT,
        )
        .values_list("entry__loan_id")
        .annotate(refunded=Sum("debit"))
        .order_by()
    ):
        credit[loan_id] -= refunded or ZERO
    return [
        _position(loan, schedules[loan.pk], paid, max(credit[loan.pk], ZERO), as_of, rules)
        for loan in chunk
    ]


def _position(
    loan: _Loan,
    schedule: list[tuple[Any, ...]],
    paid: dict[tuple[int, int, str], Decimal],
    credit: Decimal,
    as_of: datetime.date,
    rules: dict[int, Product],
) -> LoanPosition:
    if loan.status == LoanStatus.WRITTEN_OFF and loan.closed_on and loan.closed_on <= as_of:
        # Written off: out of the portfolio (and of PAR); collection goes on as recovery.
        return LoanPosition(
            loan.reference,
            LoanStatus.WRITTEN_OFF,
            loan.currency,
            ZERO,
            ZERO,
            ZERO,
            0,
            ageing_bucket(0),
            loan.renegotiated,
        )
    dues = []
    for number, due_date, principal, charge, fees, savings, penalty, charged_on in schedule:
        owed = {
            "principal": principal,
            "charge": charge,
            "fees": fees,
            "savings": savings,
            # A penalty charged after the date was not owed on it.
            "penalty": penalty if charged_on is None or charged_on <= as_of else ZERO,
        }
        left = {c: max(owed[c] - paid.get((loan.pk, number, c), ZERO), ZERO) for c in COMPONENTS}
        dues.append(
            InstallmentDue(
                number,
                due_date,
                left["principal"],
                left["charge"],
                left["fees"],
                left["savings"],
                left["penalty"],
            )
        )
    state = RepaymentState(tuple(dues), credit, rules[loan.version_id])
    days = days_past_due(state, as_of)
    outstanding = sum((due.principal for due in dues), ZERO)
    owed_total = sum((due.unpaid for due in dues), ZERO)
    overdue_principal, overdue_charge = _overdue(dues, credit, as_of)
    unit = Decimal(1).scaleb(-minor_unit(loan.currency))
    outstanding, overdue_principal, overdue_charge = (
        amount.quantize(unit) for amount in (outstanding, overdue_principal, overdue_charge)
    )
    if owed_total > ZERO:
        status = LoanStatus.ACTIVE
    else:
        status = LoanStatus.OVERPAID if credit > ZERO else LoanStatus.CLOSED
    return LoanPosition(
        loan.reference,
        status,
        loan.currency,
        outstanding,
        overdue_principal,
        overdue_charge,
        days,
        ageing_bucket(days),
        loan.renegotiated,
    )


def _overdue(
    dues: list[InstallmentDue], credit: Decimal, as_of: datetime.date
) -> tuple[Decimal, Decimal]:
    """Principal and charge of installments due before the date and unpaid on it, credit held
    counted as applied oldest installment first (penalty, fees, charge, then principal), as
    the arrears rule counts it."""
    principal = charge = ZERO
    for due in dues:
        if due.due_date >= as_of:
            break
        parts = {
            "penalty": due.penalty,
            "fees": due.fees,
            "charge": due.charge,
            "principal": due.principal,
        }
        for name, amount in parts.items():
            covered = min(credit, amount)
            credit -= covered
            parts[name] = amount - covered
        principal += parts["principal"]
        charge += parts["charge"]
    return principal, charge
