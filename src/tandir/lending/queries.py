"""Reads of lending that pages, the API, files and reports share."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Exists, F, QuerySet
from django.http import Http404

from tandir.lending.models import Installment, Loan, LoanStatus
from tandir.orgs.access import scope
from tandir.orgs.roles import Right, has_right

ZERO = Decimal(0)
LIVE = (LoanStatus.ACTIVE, LoanStatus.OVERPAID)


def loans_in_scope(user: Any) -> QuerySet[Loan]:
    """Every loan `user` may open: their organisation, their branches unless whole-organisation."""
    if not has_right(user, Right.SEE_RECORDS):
        return Loan.objects.none()
    return scope(user, Loan.objects.all())


def access_loan(user: Any, loan_id: Any) -> Loan:
    """The one permission-checked way to reach a loan; 404 outside the user's scope."""
    try:
        return (
            loans_in_scope(user)
            .select_related("beneficiary", "branch", "product_version__product", "officer")
            .get(pk=int(loan_id))
        )
    except (Loan.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No loan found.") from exc


def overdue_installments(as_of: datetime.date) -> QuerySet[Installment]:
    """Installments of live loans' current schedules due before `as_of` and not fully paid."""
    return Installment.objects.filter(
        loan__status__in=LIVE,
        version=F("loan__schedule_version"),
        due_date__lt=as_of,
    ).exclude(
        principal_paid=F("principal"),
        charge_paid=F("charge"),
        fees_paid=F("fees"),
        savings_paid=F("savings"),
        penalty_paid=F("penalty"),
    )


def group_on_hold(group_id: int, as_of: datetime.date, *, except_loan: int | None = None) -> bool:
    """Joint liability: a member of the group has a live loan late beyond its product's grace."""
    late = overdue_installments(as_of).filter(loan__group_id=group_id)
    if except_loan is not None:
        late = late.exclude(loan_id=except_loan)
    # Each product has its own days of grace before a loan counts as late.
    for due_date, grace in late.values_list("due_date", "loan__product_version__arrears_days"):
        if (as_of - due_date).days > grace:
            return True
    return False


def has_live_loan(beneficiary_id: int) -> Exists:
    return Exists(Loan.objects.filter(beneficiary_id=beneficiary_id, status__in=LIVE))


def installments_of(loan: Loan) -> list[Installment]:
    return list(
        Installment.objects.filter(loan=loan, version=loan.schedule_version).order_by("number")
    )


def loan_with_beneficiary(loan_id: int) -> Loan:
    return Loan.objects.select_related("beneficiary").get(pk=loan_id)


__all__ = [
    "LIVE",
    "access_loan",
    "group_on_hold",
    "has_live_loan",
    "installments_of",
    "loans_in_scope",
    "overdue_installments",
]


def ledger_mismatches(organization_id: int) -> list[str]:
    """Where the ledger's loan accounts and the loans' own balances disagree (there should be
    nothing): each receivable against its loans' unpaid amounts, the overpayment liability
    against the credit held, per currency."""
    from django.db.models import Sum
    from django.db.models.functions import Coalesce

    from tandir.ledger.charts import Role
    from tandir.ledger.queries import balance

    loans = Loan.objects.filter(organization_id=organization_id)
    live = loans.filter(status__in=LIVE)
    expected: dict[tuple[str, str], Decimal] = {}

    def add(role: str, currency: str, amount: Decimal) -> None:
        expected[role, currency] = expected.get((role, currency), ZERO) + amount

    for method, role in (
        ("qard-hasan", Role.QARD_RECEIVABLE),
        ("murabaha", Role.MURABAHA_RECEIVABLE),
    ):
        for row in (
            live.filter(product_version__method=method)
            .values("currency")
            .annotate(total=Coalesce(Sum("principal_outstanding"), ZERO))
        ):
            add(role, row["currency"], row["total"])
    for row in (
        live.exclude(product_version__method__in=["qard-hasan", "murabaha"])
        .values("currency")
        .annotate(total=Coalesce(Sum("principal_outstanding"), ZERO))
    ):
        add(Role.LOAN_PORTFOLIO, row["currency"], row["total"])
    # A Murabaha receivable is the sale price: the unpaid markup is in it too.
    markup = (
        Installment.objects.filter(
            loan__in=live.filter(product_version__method="murabaha"),
            version=F("loan__schedule_version"),
        )
        .values_list("loan__currency")
        .annotate(markup_unpaid=Coalesce(Sum(F("charge") - F("charge_paid")), ZERO))
    )
    for currency, unpaid in markup:
        add(Role.MURABAHA_RECEIVABLE, currency, unpaid)
    for row in loans.values("currency").annotate(total=Coalesce(Sum("credit_held"), ZERO)):
        add(Role.OVERPAYMENT, row["currency"], row["total"])
    problems = []
    currencies = set(loans.values_list("currency", flat=True))
    roles = (
        Role.LOAN_PORTFOLIO,
        Role.QARD_RECEIVABLE,
        Role.MURABAHA_RECEIVABLE,
        Role.OVERPAYMENT,
    )
    for currency in sorted(currencies):
        for role in roles:
            want = expected.get((role, currency), ZERO)
            have = balance(organization_id, role, currency)
            if want != have:
                problems.append(f"{role} {currency}: ledger {have}, loans {want}")
    return problems
