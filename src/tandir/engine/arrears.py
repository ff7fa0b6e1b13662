"""Arrears: days past due and the ageing bucket of a loan as of a date.

Days past due count from the due date of the oldest installment not fully paid. The product's
grace days delay the count: with 3 grace days, the fourth day after the due date is day 1 past
due. Installments whose unpaid amount is at most the product's tolerance count as paid. Credit
held for the client counts as applied, oldest installment first, whether or not the payment
history has applied it yet: a client with 300.00 of credit is not past due on 103.33. A partial
payment never resets the count.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from tandir.engine.allocation import RepaymentState
from tandir.engine.money import ZERO


class AgeingBucket(StrEnum):
    CURRENT = "current"
    DAYS_1_30 = "1-30"
    DAYS_31_60 = "31-60"
    DAYS_61_90 = "61-90"
    DAYS_91_180 = "91-180"
    DAYS_181_365 = "181-365"
    OVER_365 = ">365"


_BUCKET_LIMITS = (
    (0, AgeingBucket.CURRENT),
    (30, AgeingBucket.DAYS_1_30),
    (60, AgeingBucket.DAYS_31_60),
    (90, AgeingBucket.DAYS_61_90),
    (180, AgeingBucket.DAYS_91_180),
    (365, AgeingBucket.DAYS_181_365),
)


def days_past_due(state: RepaymentState, as_of: date) -> int:
    """Days past due of the oldest installment not fully paid, as of a date."""
    product = state.product
    tolerance = product.arrears_tolerance
    credit = state.credit
    for row in state.installments:
        if row.due_date >= as_of:
            return 0
        unpaid = row.unpaid
        covered = credit if credit < unpaid else unpaid
        credit -= covered
        if unpaid - covered > tolerance:
            return max((as_of - row.due_date).days - product.grace.arrears_days, 0)
    return 0


def ageing_bucket(days: int) -> AgeingBucket:
    """The ageing bucket of a number of days past due."""
    if days < 0:
        raise ValueError("days past due cannot be negative")
    for limit, bucket in _BUCKET_LIMITS:
        if days <= limit:
            return bucket
    return AgeingBucket.OVER_365


def overdue_amount(state: RepaymentState, as_of: date) -> Decimal:
    """Unpaid amount of the installments due before the date, less the credit held."""
    overdue = sum((row.unpaid for row in state.installments if row.due_date < as_of), ZERO)
    return max(overdue - state.credit, ZERO)
