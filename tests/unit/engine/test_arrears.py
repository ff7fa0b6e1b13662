"""Days past due and ageing buckets (domain reference, section 3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from tandir.engine import (
    NO_GRACE,
    AgeingBucket,
    Excess,
    Grace,
    LoanTerms,
    Method,
    Payment,
    Product,
    RepaymentState,
    Source,
    ageing_bucket,
    allocate,
    apply_credit,
    build_schedule,
    days_past_due,
    initial_state,
    overdue_amount,
    replay,
)

# First installment (103.33) due 2026-02-15, second 2026-03-15.
SCHEDULE = build_schedule(
    LoanTerms(
        Product(Method.FLAT, "USD", annual_rate_percent=Decimal(24)),
        Decimal(1000),
        12,
        date(2026, 1, 15),
    )
)
UNPAID = initial_state(SCHEDULE)


def with_product(
    grace: Grace = NO_GRACE,
    arrears_tolerance: Decimal = Decimal(0),
    excess: Excess | None = None,
) -> RepaymentState:
    product = replace(
        UNPAID.product, grace=grace, arrears_tolerance=arrears_tolerance, excess=excess
    )
    return replace(UNPAID, product=product)


def test_the_due_date_itself_is_not_past_due_and_the_next_day_is_day_1() -> None:
    assert days_past_due(UNPAID, date(2026, 2, 15)) == 0
    assert days_past_due(UNPAID, date(2026, 2, 16)) == 1


def test_days_count_from_the_oldest_installment_not_fully_paid() -> None:
    assert days_past_due(UNPAID, date(2026, 3, 20)) == 33


def test_a_partial_payment_does_not_reset_days_past_due() -> None:
    state = allocate(UNPAID, Payment("p", date(2026, 3, 1), Decimal(100)))[0]
    assert days_past_due(state, date(2026, 3, 10)) == 23


def test_the_products_grace_days_delay_the_count() -> None:
    state = with_product(grace=Grace(arrears_days=3))
    assert days_past_due(state, date(2026, 2, 18)) == 0
    assert days_past_due(state, date(2026, 2, 19)) == 1


def test_unpaid_amounts_within_the_products_tolerance_are_ignored() -> None:
    payment = Payment("p", date(2026, 2, 15), Decimal("103.00"))
    tolerant = allocate(with_product(arrears_tolerance=Decimal("0.50")), payment)[0]
    assert days_past_due(tolerant, date(2026, 3, 1)) == 0
    strict = allocate(UNPAID, payment)[0]
    assert days_past_due(strict, date(2026, 3, 1)) == 14


def test_held_credit_counts_in_arrears_before_it_is_applied() -> None:
    # 300.00 paid on 1 February with the excess held as credit: nothing was due yet, so all of
    # it is held. On 1 March the first installment (103.33, due 15 February) is covered by it.
    holding = with_product(excess=Excess.HOLD_AS_CREDIT)
    state = allocate(holding, Payment("p", date(2026, 2, 1), Decimal(300)))[0]
    assert state.credit == Decimal("300.00")
    assert days_past_due(state, date(2026, 3, 1)) == 0
    # By 16 April three installments (309.99) have fallen due: 9.99 is 1 day past due.
    assert overdue_amount(state, date(2026, 4, 16)) == Decimal("9.99")
    assert days_past_due(state, date(2026, 4, 16)) == 1


def test_held_credit_is_applied_to_each_amount_as_it_falls_due() -> None:
    holding = with_product(excess=Excess.HOLD_AS_CREDIT)
    history = replay(holding, [Payment("p", date(2026, 2, 1), Decimal(300))])
    posting = apply_credit(history, date(2026, 4, 20))
    # One application on each due date: 103.33 on 15 Feb, 15 Mar; the 93.34 left on 15 Apr.
    assert [(a.payment.paid_on, a.payment.amount) for a in posting.applied] == [
        (date(2026, 2, 15), Decimal("103.33")),
        (date(2026, 3, 15), Decimal("103.33")),
        (date(2026, 4, 15), Decimal("93.34")),
    ]
    assert all(a.payment.source is Source.HELD_CREDIT for a in posting.applied)
    state = posting.history.state
    assert state.credit == Decimal("0.00")
    assert state.installment(3).unpaid == Decimal("9.99")
    assert days_past_due(state, date(2026, 4, 20)) == 5


# days  bucket
BUCKETS = """
0       current
1       1-30
30      1-30
31      31-60
60      31-60
61      61-90
90      61-90
91      91-180
180     91-180
181     181-365
365     181-365
366     >365
"""


@pytest.mark.parametrize(
    ("days", "bucket"), [line.split() for line in BUCKETS.strip().splitlines()]
)
def test_ageing_buckets_follow_the_reference(days: str, bucket: str) -> None:
    assert ageing_bucket(int(days)) is AgeingBucket(bucket)
