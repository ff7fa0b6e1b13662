"""A rejection, a withdrawal or an undone approval is recorded on the day it was decided, which
may be earlier than today (a committee's paper minutes) but never in the future nor before the
application."""

from __future__ import annotations

import datetime

import pytest

from tandir.core.errors import TandirError
from tandir.lending import actions
from tandir.lending.models import Loan, LoanEvent, LoanStatus
from tests.lending_factories import D, Lending

pytestmark = pytest.mark.django_db

APPLIED = datetime.date(2026, 3, 2)


def application(lending: Lending) -> Loan:
    loan = actions.apply_for_loan(
        lending.officer, lending.person, lending.declining, amount=D("1000"), term=12,
        rate=D("24"), purpose="Sewing machine", sector="crafts", on=APPLIED,
    )  # fmt: skip
    actions.appraise(
        lending.appraiser, loan, business_income=D("1200"), business_expenses=D("300"),
        household_income=D("100"), household_expenses=D("350"),
    )  # fmt: skip
    return loan


def test_a_rejection_keeps_the_day_the_committee_decided(lending: Lending) -> None:
    loan = application(lending)
    decided = datetime.date(2026, 3, 9)
    actions.reject(lending.committee, loan, reason="Over-indebted.", on=decided)
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REJECTED
    assert LoanEvent.objects.get(loan=loan, action="reject").on == decided


def test_a_withdrawal_and_an_undone_approval_keep_their_days(lending: Lending) -> None:
    loan = application(lending)
    actions.approve(lending.committee, loan, on=datetime.date(2026, 3, 5))
    actions.undo_approval(
        lending.committee, loan, reason="Wrong fund.", on=datetime.date(2026, 3, 6)
    )
    actions.withdraw(
        lending.officer, loan, reason="No longer needed.", on=datetime.date(2026, 3, 7)
    )
    days = dict(LoanEvent.objects.filter(loan=loan).values_list("action", "on"))
    assert days["undo_approval"] == datetime.date(2026, 3, 6)
    assert days["withdraw"] == datetime.date(2026, 3, 7)


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (datetime.date(2999, 1, 1), "future_date"),
        (APPLIED - datetime.timedelta(days=1), "before_application"),
    ],
)
def test_a_decision_in_the_future_or_before_the_application_is_refused(
    lending: Lending, day: datetime.date, code: str
) -> None:
    loan = application(lending)
    with pytest.raises(TandirError) as refused:
        actions.reject(lending.committee, loan, reason="Over-indebted.", on=day)
    assert refused.value.code == code
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SUBMITTED
    assert not LoanEvent.objects.filter(loan=loan, action="reject").exists()
