"""Close-of-business test data: products with penalties and accruals, loans paid on given
days, and the state close of business leaves, read back for comparison."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from tandir.cob.models import BUCKET_COLUMNS, LoanSnapshot, PortfolioDay
from tandir.ledger.models import JournalLine
from tandir.lending import actions
from tandir.lending.models import Installment, Loan, LoanProduct
from tandir.lending.portfolio import portfolio_as_of
from tandir.registry.models import Beneficiary
from tests.factories import World, register
from tests.lending_factories import Lending, product

D = Decimal


def penalty_product(
    lending: Lending, code: str, method: str = "declining", **terms: Any
) -> LoanProduct:
    defaults: dict[str, Any] = {
        "penalty_kind": "percent",
        "penalty_value": D("2"),
        "penalty_after_days": 3,
        "accounting_basis": "accrual",
    }
    defaults.update(terms)
    return product(lending.world, code, method, **defaults)


def pay(lending: Lending, loan: Loan, amount: str, on: datetime.date, reference: str) -> None:
    actions.record_repayment(
        lending.officer, loan, amount=D(amount), value_date=on, reference=reference
    )


def snapshot_rows(organization_id: int) -> list[tuple[Any, ...]]:
    return list(
        LoanSnapshot.objects.filter(organization_id=organization_id)
        .order_by("business_date", "loan_id")
        .values_list(
            "business_date",
            "loan__reference",
            "outstanding_principal",
            "overdue_principal",
            "overdue_charge",
            "days_past_due",
            "bucket",
            "status",
        )
    )


def rollup_rows(organization_id: int) -> list[tuple[Any, ...]]:
    """The `PortfolioDay` stock close of business wrote, in order (rows of branches with active
    loans: a branch whose loans are all repaid keeps a row for its repayment rates)."""
    bucket_fields = [field for pair in BUCKET_COLUMNS.values() for field in pair]
    return list(
        PortfolioDay.objects.filter(organization_id=organization_id, loans__gt=0)
        .order_by("business_date", "branch_id", "currency")
        .values_list(
            "business_date",
            "branch_id",
            "currency",
            "loans",
            "loans_in_arrears",
            "gross_loan_portfolio",
            "overdue_principal",
            "par1",
            "par30",
            "par90",
            "borrowers",
            "officers",
            *bucket_fields,
        )
    )


def summed_snapshots(organization_id: int) -> list[tuple[Any, ...]]:
    """The same sums worked out here from the snapshots, by the PAR definition (more than N
    days past due, or renegotiated); each borrower and officer counted in the lowest-numbered
    branch where they hold a loan of the day in the currency."""
    sums: dict[tuple[Any, ...], list[Any]] = {}
    snapshots = list(
        LoanSnapshot.objects.filter(organization_id=organization_id)
        .select_related("loan")
        .order_by("loan_id")
    )
    home: dict[tuple[Any, ...], int] = {}  # (day, currency, who) -> lowest branch
    for s in snapshots:
        for who in (("borrower", s.loan.beneficiary_id), ("officer", s.officer_id)):
            key = (s.business_date, s.currency, *who)
            if who[1] is not None:
                home[key] = min(home.get(key, s.branch_id), s.branch_id)
    for s in snapshots:
        row = sums.setdefault(
            (s.business_date, s.branch_id, s.currency),
            [0, 0, D(0), D(0), D(0), D(0), D(0), 0, 0]
            + [value for _ in BUCKET_COLUMNS for value in (0, D(0))],
        )
        row[0] += 1
        row[1] += 1 if s.days_past_due > 0 else 0
        row[2] += s.outstanding_principal
        row[3] += s.overdue_principal
        for at, days in ((4, 1), (5, 30), (6, 90)):
            if s.days_past_due > days or s.renegotiated:
                row[at] += s.outstanding_principal
    for (day, currency, kind, _id), branch in home.items():
        sums[day, branch, currency][7 if kind == "borrower" else 8] += 1
    for s in snapshots:
        row = sums[s.business_date, s.branch_id, s.currency]
        at = 9 + 2 * list(BUCKET_COLUMNS).index(s.bucket)
        row[at] += 1
        row[at + 1] += s.outstanding_principal
    return [key + tuple(row) for key, row in sorted(sums.items())]


def portfolio_rows(organization_id: int, days: list[datetime.date]) -> list[tuple[Any, ...]]:
    """What `tandir.lending.portfolio` says of the same dates, for the loans active on them."""
    rows = []
    for day in days:
        for p in sorted(
            portfolio_as_of(day, organization_id=organization_id).loans, key=lambda p: p.loan_ref
        ):
            if p.status != "active":
                continue
            rows.append(
                (
                    day,
                    p.loan_ref,
                    p.outstanding_principal,
                    p.overdue_principal,
                    p.overdue_charge,
                    p.days_past_due,
                    p.bucket,
                    "in_arrears" if p.days_past_due else "current",
                )
            )
    return rows


def book(organization_id: int) -> list[tuple[Any, ...]]:
    """Journal lines and installments by loan reference, to compare two runs' results."""
    # Loans by their rank in the organisation: ids and references differ between databases
    # (PostgreSQL's sequences do not roll back with a test).
    ids = Loan.objects.filter(organization_id=organization_id).order_by("pk")
    references = {pk: f"loan {rank}" for rank, pk in enumerate(ids.values_list("pk", flat=True))}
    lines = sorted(
        (references.get(loan_id or 0, ""), str(day), kind, role, debit, credit)
        for loan_id, day, kind, role, debit, credit in JournalLine.objects.filter(
            organization_id=organization_id
        ).values_list(
            "entry__loan_id", "entry_date", "entry__kind", "account__role", "debit", "credit"
        )
    )
    rows = [
        (references[loan_id], *rest)
        for loan_id, *rest in Installment.objects.filter(organization_id=organization_id)
        .order_by("loan_id", "version", "number")
        .values_list("loan_id", "number", "penalty", "penalty_charged_on", "recognised")
    ]
    return [*lines, *rows]


def ranked_snapshots(organization_id: int) -> list[tuple[Any, ...]]:
    """`snapshot_rows` with each loan by its rank in the organisation, as `book` names it."""
    ids = Loan.objects.filter(organization_id=organization_id).order_by("pk")
    rank = {ref: f"loan {n}" for n, ref in enumerate(ids.values_list("reference", flat=True))}
    return [(day, rank[ref], *rest) for day, ref, *rest in snapshot_rows(organization_id)]


def someone(world: World, n: int) -> Beneficiary:
    """Another borrower, with a phone and ID number of their own."""
    return register(
        world, phone=f"+3749922{n:04d}", national_id=f"AM{7000000 + n}", first_name=f"Ani{n}"
    )
