"""Each allocation line keeps the due date of the installment it paid, written with the payment
and, for lines older than the column, filled in by the migration from the schedule in force on
the payment's date."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tandir.lending import actions
from tandir.lending.models import ApplicationLine, ChangeKind, Installment, Loan
from tests.lending_factories import Lending, disbursed_loan

D = Decimal
BEFORE = ("lending", "0007_installments_unrecognised")
WITH_DUE_ON = ("lending", "0008_applicationline_due_on")


def rows_of(loan: Loan) -> list[Installment]:
    loan.refresh_from_db()
    return list(
        Installment.objects.filter(loan=loan, version=loan.schedule_version).order_by("number")
    )


def rescheduled_with_payments_on_both_schedules(lending: Lending) -> Loan:
    """A loan paid late on its first schedule, rescheduled, then paid on its second."""
    loan = disbursed_loan(lending, lending.declining)
    first = rows_of(loan)
    # Two installments' worth, paid a week after the second fell due: two numbers, late.
    actions.record_repayment(
        lending.officer,
        loan,
        amount=D("189.12"),
        value_date=first[1].due_date + datetime.timedelta(days=7),
        reference="old-schedule",
    )
    change = actions.request_change(
        lending.officer, loan, kind=ChangeKind.RESCHEDULE, reason="Harvest failed",
        terms={"term": 18},
    )  # fmt: skip
    actions.decide_change(lending.committee, change, approve=True, on=datetime.date(2026, 4, 1))
    new = rows_of(loan)
    actions.record_repayment(
        lending.officer, loan, amount=new[0].total, value_date=new[0].due_date, reference="new"
    )
    return loan


def due_dates(loan: Loan) -> dict[tuple[str, int], datetime.date]:
    return {
        (line.application.reference, line.number): line.due_on
        for line in ApplicationLine.objects.filter(
            application__loan=loan, application__is_active=True
        ).select_related("application")
    }


def expected(loan: Loan) -> dict[tuple[str, int], datetime.date]:
    old = {r.number: r.due_date for r in Installment.objects.filter(loan=loan, version=1)}
    new = {r.number: r.due_date for r in Installment.objects.filter(loan=loan, version=2)}
    return {("old-schedule", 1): old[1], ("old-schedule", 2): old[2], ("new", 1): new[1]}


def test_a_payment_writes_each_line_with_its_installments_due_date(lending: Lending) -> None:
    loan = rescheduled_with_payments_on_both_schedules(lending)
    assert due_dates(loan) == expected(loan)


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_fills_the_due_date_of_lines_written_before_it(lending: Lending) -> None:
    loan = rescheduled_with_payments_on_both_schedules(lending)
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    executor = MigrationExecutor(connection)
    executor.migrate([WITH_DUE_ON])
    try:
        assert due_dates(loan) == expected(loan)
    finally:
        # Back to the latest state, as every other test expects.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
