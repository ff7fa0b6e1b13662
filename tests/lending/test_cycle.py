"""The loan cycle from application to closing, with exact amounts and journal entries, for a
conventional loan, a Qard Hasan loan and a Murabaha."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from tandir.core.errors import Conflict, NotAllowed
from tandir.ledger.charts import Role
from tandir.ledger.models import JournalEntry
from tandir.ledger.queries import balance
from tandir.lending import actions
from tandir.lending.models import Installment, LoanStatus
from tandir.registry.models import Status
from tests.lending_factories import DISBURSED, Lending, disbursed_loan

D = Decimal


def plain(amount: Decimal) -> str:
    return format(amount.normalize(), "f")


def lines_of(entry: JournalEntry) -> set[tuple[str, str, str]]:
    """(account role or code, debit, credit) of an entry's lines."""
    return {
        (line.account.role or line.account.code, plain(line.debit), plain(line.credit))
        for line in entry.lines.select_related("account")
    }


def test_a_declining_loan_from_application_to_closing(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    assert loan.status == LoanStatus.ACTIVE
    rows = list(Installment.objects.filter(loan=loan).order_by("number"))
    # 1,000 at 24% a year, 12 months: 94.56 eleven times and 94.54 (the domain reference).
    assert [str(r.principal + r.charge) for r in rows] == ["94.560"] * 11 + ["94.540"]
    assert rows[0].due_date == datetime.date(2025, 12, 15)
    assert (rows[0].charge, rows[0].principal) == (D("20.000"), D("74.560"))
    disbursement = JournalEntry.objects.get(loan_id=loan.pk, kind="disbursement")
    assert lines_of(disbursement) == {("loan_portfolio", "1000", "0"), ("1020.rev", "0", "1000")}
    loan.beneficiary.refresh_from_db()
    assert loan.beneficiary.status == Status.BORROWER

    first = actions.record_repayment(
        lending.officer, loan, amount=D("94.56"), value_date=rows[0].due_date, reference="c-1"
    )
    entry = JournalEntry.objects.get(loan_id=loan.pk, kind="repayment")
    # The principal returns to the revolving fund, the interest is income.
    assert lines_of(entry) == {
        ("1020.rev", "74.56", "0"),
        ("cash_at_bank", "20", "0"),
        ("loan_portfolio", "0", "74.56"),
        ("interest_income", "0", "20"),
    }
    loan.refresh_from_db()
    assert loan.principal_outstanding == D("925.44")
    assert first.receipt_number.startswith("R")

    for row in rows[1:]:
        actions.record_repayment(
            lending.officer, loan, amount=row.principal + row.charge, value_date=row.due_date,
            reference=f"c-{row.number}",
        )  # fmt: skip
    loan.refresh_from_db()
    assert (loan.status, loan.principal_outstanding) == (LoanStatus.CLOSED, D("0"))
    assert loan.closed_on == rows[-1].due_date
    assert balance(lending.world.org.pk, Role.LOAN_PORTFOLIO, "USD") == 0
    # All the interest of the schedule is income: 134.70 (the annuity's, to the cent).
    assert balance(lending.world.org.pk, Role.INTEREST_INCOME, "USD") == sum(r.charge for r in rows)


def test_a_qard_hasan_loan_charges_no_interest_only_its_service_fee(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.qard, rate="0", amount="1200")
    rows = list(Installment.objects.filter(loan=loan).order_by("number"))
    assert {r.charge for r in rows} == {D(0)}
    assert sum(r.principal for r in rows) == D(1200)
    disbursement = JournalEntry.objects.get(loan_id=loan.pk, kind="disbursement")
    # The 10.00 service fee is kept back at disbursement: the client receives 1,190.
    assert lines_of(disbursement) == {
        ("qard_receivable", "1200", "0"),
        ("1020.rev", "0", "1190"),
        ("fee_income", "0", "10"),
    }
    for row in rows:
        actions.record_repayment(
            lending.officer, loan, amount=row.principal, value_date=row.due_date,
            reference=f"q-{row.number}",
        )  # fmt: skip
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED
    org = lending.world.org.pk
    assert balance(org, Role.QARD_RECEIVABLE, "USD") == 0
    assert balance(org, Role.INTEREST_INCOME, "USD") == 0


def test_a_murabaha_sells_at_cost_plus_markup_and_releases_profit_as_due(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.murabaha, rate="12", amount="1000", term=6)
    rows = list(Installment.objects.filter(loan=loan).order_by("number"))
    # Markup 12% of cost on the whole contract: a sale price of 1,120.
    assert sum(r.principal for r in rows) == D(1000) and sum(r.charge for r in rows) == D(120)
    disbursement = JournalEntry.objects.get(loan_id=loan.pk, kind="disbursement")
    assert lines_of(disbursement) == {
        ("murabaha_receivable", "1120", "0"),
        ("1020.rev", "0", "1000"),
        ("deferred_profit", "0", "120"),
    }
    org = lending.world.org.pk
    first = rows[0]
    actions.record_repayment(
        lending.officer, loan, amount=first.principal + first.charge, value_date=first.due_date,
        reference="m-1",
    )  # fmt: skip
    # The first installment's profit was released as it fell due, before the payment.
    assert balance(org, Role.PROFIT_INCOME, "USD") == first.charge
    assert balance(org, Role.DEFERRED_PROFIT, "USD") == D(120) - first.charge
    for row in rows[1:]:
        actions.record_repayment(
            lending.officer, loan, amount=row.principal + row.charge, value_date=row.due_date,
            reference=f"m-{row.number}",
        )  # fmt: skip
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED
    assert balance(org, Role.PROFIT_INCOME, "USD") == D(120)
    assert balance(org, Role.DEFERRED_PROFIT, "USD") == 0
    assert balance(org, Role.MURABAHA_RECEIVABLE, "USD") == 0


def test_the_maker_cannot_approve_their_own_application(lending: Lending) -> None:
    manager = lending.world.manager_a
    loan = actions.apply_for_loan(
        manager, lending.person, lending.declining, amount=D(1000), term=12, rate=D(24),
        purpose="Stock", sector="trade",
    )  # fmt: skip
    actions.appraise(
        lending.appraiser, loan, business_income=D(900), business_expenses=D(300),
        household_expenses=D(350),
    )  # fmt: skip
    with pytest.raises(NotAllowed) as refused:
        actions.approve(manager, loan)
    assert refused.value.code == "four_eyes"
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SUBMITTED


def test_a_repayment_sent_twice_posts_once(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    day = DISBURSED + datetime.timedelta(days=30)
    first = actions.record_repayment(
        lending.officer, loan, amount=D("50"), value_date=day, reference="api:abc"
    )
    again = actions.record_repayment(
        lending.officer, loan, amount=D("50"), value_date=day, reference="api:abc"
    )
    assert again.pk == first.pk
    assert JournalEntry.objects.filter(loan_id=loan.pk, kind="repayment").count() == 1
    with pytest.raises(Conflict):
        actions.record_repayment(
            lending.officer, loan, amount=D("60"), value_date=day, reference="api:abc"
        )
