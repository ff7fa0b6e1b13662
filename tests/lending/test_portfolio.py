"""`tandir portfolio`: every loan's state on a date, counting only the money received by then.

The loan of these tests: 1,000 USD declining at 24 % a year over 12 months, disbursed
2025-11-15, 94.56 a month from 2025-12-15 (74.56 principal and 20.00 interest in the first).
"""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tandir.lending import actions
from tandir.lending.models import Loan
from tandir.lending.portfolio import portfolio_as_of
from tests.factories import register
from tests.lending_factories import Lending, disbursed_loan

D = Decimal
FIRST_DUE = datetime.date(2025, 12, 15)
SECOND_DUE = datetime.date(2026, 1, 15)


def day(offset: int) -> datetime.date:
    return FIRST_DUE + datetime.timedelta(days=offset)


def position(loan: Loan, as_of: datetime.date) -> Any:
    (found,) = [p for p in portfolio_as_of(as_of).loans if p.loan_ref == loan.reference]
    return found


def pay(lending: Lending, loan: Loan, amount: str, on: datetime.date, reference: str) -> None:
    actions.record_repayment(
        lending.officer, loan, amount=D(amount), value_date=on, reference=reference
    )


def test_an_installment_is_overdue_from_the_day_after_its_due_date(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    on_the_day = position(loan, FIRST_DUE)
    assert (on_the_day.days_past_due, on_the_day.bucket, on_the_day.overdue_principal) == (
        0,
        "current",
        D(0),
    )
    after = position(loan, day(1))
    assert (after.days_past_due, after.bucket) == (1, "1-30")
    assert (after.overdue_principal, after.overdue_charge) == (D("74.560"), D("20.000"))
    assert after.outstanding_principal == D("1000.000")
    assert after.status == "active"


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "91-180"),
        (180, "91-180"),
        (181, "181-365"),
        (365, "181-365"),
        (366, ">365"),
    ],
)
def test_buckets_change_on_the_day_after_their_last_day(
    lending: Lending, days: int, bucket: str
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    found = position(loan, day(days))
    assert (found.days_past_due, found.bucket) == (days, bucket)


def test_repayments_dated_after_the_date_do_not_count(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    pay(lending, loan, "94.56", FIRST_DUE, "p-1")
    pay(lending, loan, "94.56", SECOND_DUE + datetime.timedelta(days=5), "p-2")  # 5 days late
    before_the_late_payment = position(loan, SECOND_DUE + datetime.timedelta(days=3))
    assert before_the_late_payment.days_past_due == 3
    assert before_the_late_payment.outstanding_principal == D("925.440")
    assert before_the_late_payment.overdue_principal == D("76.050")
    assert before_the_late_payment.overdue_charge == D("18.510")
    after_it = position(loan, SECOND_DUE + datetime.timedelta(days=6))
    assert (after_it.days_past_due, after_it.bucket) == (0, "current")
    assert after_it.outstanding_principal == D("849.390")
    # A partial payment does not reset the count.
    pay(lending, loan, "50", datetime.date(2026, 2, 20), "p-3")
    partial = position(loan, datetime.date(2026, 2, 25))
    assert partial.days_past_due == 10
    # 50 paid the third installment's 16.99 interest first, then 33.01 of its 77.57 principal.
    assert (partial.overdue_principal, partial.overdue_charge) == (D("44.56"), D(0))


def test_a_loan_paid_off_by_the_date_is_closed_and_before_it_active(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining, term=3, amount="300")
    actions.pay_off(lending.officer, loan, value_date=FIRST_DUE, reference="off")
    assert position(loan, FIRST_DUE).status == "closed"
    assert position(loan, FIRST_DUE).outstanding_principal == D(0)
    earlier = position(loan, day(-1))
    assert (earlier.status, earlier.outstanding_principal) == ("active", D("300.000"))


def test_the_json_has_the_contract_shape_with_amounts_as_decimal_strings(
    lending: Lending,
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    pay(lending, loan, "94.56", FIRST_DUE, "j-1")
    out = io.StringIO()
    call_command("portfolio", "--as-of", "2026-01-20", "--json", stdout=out)
    answer = json.loads(out.getvalue())
    assert answer == {
        "as_of": "2026-01-20",
        "loans": [
            {
                "loan_ref": loan.reference,
                "status": "active",
                "outstanding_principal": "925.44",
                "overdue_principal": "76.05",
                "overdue_charge": "18.51",
                "days_past_due": 5,
                "bucket": "1-30",
                "renegotiated": False,
            }
        ],
        "totals": {
            "USD": {"loans": 1, "outstanding_principal": "925.44", "overdue_principal": "76.05"}
        },
    }


def test_without_json_the_portfolio_is_a_table_with_totals(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    out = io.StringIO()
    call_command("portfolio", "--as-of", "2025-12-20", "--organization", "Org X", stdout=out)
    text = out.getvalue()
    assert "Portfolio as of 2025-12-20: 1 loans" in text
    assert "Overdue principal" in text.splitlines()[2]
    row = next(line for line in text.splitlines() if line.startswith(loan.reference))
    assert row.split() == [
        loan.reference,
        "active",
        "USD",
        "1,000.00",
        "74.56",
        "20.00",
        "5",
        "1-30",
    ]
    assert "USD: 1 active loans, outstanding principal 1,000.00, overdue principal 74.56" in text


def test_an_unknown_organisation_or_date_is_a_clear_error(lending: Lending) -> None:
    with pytest.raises(CommandError, match="No organisation Nowhere"):
        call_command("portfolio", "--as-of", "2026-01-01", "--organization", "Nowhere")
    with pytest.raises(CommandError, match="not a date"):
        call_command("portfolio", "--as-of", "01/01/2026")


def test_the_portfolio_takes_the_same_few_queries_for_one_loan_or_many(
    lending: Lending, django_assert_num_queries: Any
) -> None:
    disbursed_loan(lending, lending.declining)
    other = register(
        lending.world, phone="+374 91 000003", national_id="AM3333333", first_name="Gayane"
    )
    for _ in range(2):
        loan = disbursed_loan(lending, lending.flat, person=other)
        pay(lending, loan, "50", FIRST_DUE, f"q-{loan.pk}")
    # Loans, product versions, then per chunk: installments, allocations, credit, refunds.
    with django_assert_num_queries(6):
        positions = portfolio_as_of(day(40)).loans
    assert len(positions) == 3
