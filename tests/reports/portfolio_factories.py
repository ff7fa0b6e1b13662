"""Small hand-built portfolios for the portfolio-quality tests, each loan in a state the test
names: late by a known number of days, paid on time, rescheduled, written off.

Loans are the lending factories' (disbursed 15 November 2025, monthly installments due on the
15th from 15 December 2025). A declining loan of 1,000 at 24% over 12 months owes 94.56 a month,
the first of them 74.56 of principal and 20.00 of interest; a flat loan of 1,000 at 12% owes
83.33 of principal and 10.00 of interest a month.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from tandir.cob.actions import close_business
from tandir.core.models import TargetGroup
from tandir.lending import actions
from tandir.lending.models import ChangeKind, Installment, Loan
from tests.cob.factories import pay, someone
from tests.factories import World, register
from tests.lending_factories import Lending, build_lending, disbursed_loan

D = Decimal
AS_OF = datetime.date(2026, 1, 15)  # the first installment (15 December) is 31 days late
PERIOD_FROM = datetime.date(2026, 1, 1)


@dataclass
class Book:
    lending: Lending
    late: Loan  # nothing paid: 31 days past due on AS_OF
    current: Loan  # first installment paid on its due date
    rescheduled: Loan  # rescheduled on 10 December 2025, paid on time since: current
    written_off: Loan  # written off on 5 January 2026

    @property
    def world(self) -> World:
        return self.lending.world


def schedule(loan: Loan) -> list[Installment]:
    return list(
        Installment.objects.filter(loan=loan, version=loan.schedule_version).order_by("number")
    )


def outstanding(loan: Loan) -> Decimal:
    """Principal of the current schedule not paid yet (the loan's own running figure)."""
    loan.refresh_from_db()
    return loan.principal_outstanding


def build_book(world: World) -> Book:
    lending = build_lending(world)
    # The late borrower is a refugee and a victim of trafficking (a protected group).
    groups = list(
        TargetGroup.objects.filter(code__in=["refugee", "victim_of_trafficking"]).values_list(
            "pk", flat=True
        )
    )
    refugee = register(
        world, phone="+37499220001", national_id="AM7000001", first_name="Ani1",
        target_groups=groups,
    )  # fmt: skip
    late = disbursed_loan(lending, lending.declining, person=refugee)
    current = disbursed_loan(lending, lending.declining, person=someone(world, 2))
    pay(lending, current, "94.56", datetime.date(2025, 12, 15), "current-1")
    rescheduled = disbursed_loan(lending, lending.declining, person=someone(world, 3))
    change = actions.request_change(
        lending.officer, rescheduled, kind=ChangeKind.RESCHEDULE, reason="Harvest failed",
        terms={"term": 18},
    )  # fmt: skip
    actions.decide_change(lending.committee, change, approve=True, on=datetime.date(2025, 12, 10))
    rescheduled.refresh_from_db()
    first = schedule(rescheduled)[0]
    pay(lending, rescheduled, str(first.total), first.due_date, "rescheduled-1")
    written_off = disbursed_loan(lending, lending.declining, person=someone(world, 4))
    change = actions.request_change(
        world.manager_a, written_off, kind=ChangeKind.WRITE_OFF, reason="Left the country"
    )
    actions.decide_change(lending.committee, change, approve=True, on=datetime.date(2026, 1, 5))
    return Book(lending, late, current, rescheduled, written_off)


def close_through(lending: Lending, day: datetime.date) -> None:
    close_business(lending.accountant, lending.world.org, through=day)
