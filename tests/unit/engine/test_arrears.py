"""Days past due and ageing buckets (domain reference, section 3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tandir.engine import (
    PENALTIES_FEES_CHARGE_PRINCIPAL,
    AgeingBucket,
    LoanTerms,
    Method,
    Payment,
    Product,
    ageing_bucket,
    allocate,
    build_schedule,
    days_past_due,
    initial_state,
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


def paid(amount: str, on: date = date(2026, 2, 15)) -> object:
    return allocate(UNPAID, Payment("p", on, Decimal(amount)), PENALTIES_FEES_CHARGE_PRINCIPAL)[0]


def test_the_due_date_itself_is_not_past_due_and_the_next_day_is_day_1() -> None:
    assert days_past_due(UNPAID, date(2026, 2, 15)) == 0
    assert days_past_due(UNPAID, date(2026, 2, 16)) == 1


def test_days_count_from_the_oldest_installment_not_fully_paid() -> None:
    assert days_past_due(UNPAID, date(2026, 3, 20)) == 33


def test_a_partial_payment_does_not_reset_days_past_due() -> None:
    state = allocate(
        UNPAID, Payment("p", date(2026, 3, 1), Decimal(100)), PENALTIES_FEES_CHARGE_PRINCIPAL
    )[0]
    assert days_past_due(state, date(2026, 3, 10)) == 23


def test_grace_days_delay_the_count() -> None:
    assert days_past_due(UNPAID, date(2026, 2, 18), grace_days=3) == 0
    assert days_past_due(UNPAID, date(2026, 2, 19), grace_days=3) == 1


def test_unpaid_amounts_within_the_tolerance_are_ignored() -> None:
    state = allocate(
        UNPAID, Payment("p", date(2026, 2, 15), Decimal("103.00")), PENALTIES_FEES_CHARGE_PRINCIPAL
    )[0]
    assert days_past_due(state, date(2026, 3, 1), tolerance=Decimal("0.50")) == 0
    assert days_past_due(state, date(2026, 3, 1)) == 14


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
