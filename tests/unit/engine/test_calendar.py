"""Due dates, holidays and day counts (domain reference, section 2, "Day count")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tandir.engine import (
    DayCount,
    Frequency,
    Grace,
    HolidayCalendar,
    LoanTerms,
    Method,
    Product,
    add_months,
    build_schedule,
    days_30_360,
    due_dates,
)
from tandir.engine.calendar import SATURDAY, SUNDAY, scheduled_dates


def interest_only_charges(day_count: DayCount, disbursed: date, count: int) -> list[Decimal]:
    """Charges of 1,000 at 24 % a year while the balance stays 1,000 (principal grace)."""
    product = Product(
        Method.DECLINING,
        "USD",
        annual_rate_percent=Decimal(24),
        day_count=day_count,
        grace=Grace(principal=count - 1),
    )
    schedule = build_schedule(LoanTerms(product, Decimal(1000), count, disbursed))
    return [row.charge for row in schedule.installments[:-1]]


def test_thirty_360_gives_20_00_every_month() -> None:
    charges = interest_only_charges(DayCount.THIRTY_360, date(2026, 1, 15), 13)
    assert charges == [Decimal("20.00")] * 12


def test_actual_365_gives_18_41_for_28_days_and_20_38_for_31_days() -> None:
    # January 2026 has 31 days, February 28, March 31, April 30.
    charges = interest_only_charges(DayCount.ACTUAL_365, date(2026, 1, 1), 5)
    assert charges == [Decimal("20.38"), Decimal("18.41"), Decimal("20.38"), Decimal("19.73")]


def test_actual_360_charges_more_than_actual_365_for_the_same_days() -> None:
    charges = interest_only_charges(DayCount.ACTUAL_360, date(2026, 1, 1), 2)
    assert charges == [Decimal("20.67")]  # 1,000 × 0.24 × 31 ÷ 360


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(2026, 1, 15), date(2026, 2, 15), 30),
        (date(2026, 1, 31), date(2026, 2, 28), 28),
        (date(2026, 1, 31), date(2026, 3, 31), 60),
        (date(2026, 1, 30), date(2026, 3, 31), 60),
        (date(2026, 1, 1), date(2027, 1, 1), 360),
    ],
)
def test_thirty_360_counts_every_month_as_30_days(start: date, end: date, days: int) -> None:
    assert days_30_360(start, end) == days


def test_monthly_due_dates_keep_the_day_and_clamp_to_short_months() -> None:
    assert due_dates(date(2026, 1, 31), Frequency.MONTHLY, 4) == (
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    )
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


# Disbursed 31 August 2027, 7 monthly installments: the disbursement's day, clamped to each
# month's length (2028 is a leap year). The old rule chained the clamped day: 30 Sep, 30 Oct, ….
FROM_31_AUGUST = """
no  due
 1  2027-09-30
 2  2027-10-31
 3  2027-11-30
 4  2027-12-31
 5  2028-01-31
 6  2028-02-29
 7  2028-03-31
"""


def due_column(text: str) -> list[date]:
    return [date.fromisoformat(line.split()[1]) for line in text.strip().splitlines()[1:]]


def test_monthly_due_dates_keep_the_disbursement_day_and_never_drift_after_a_short_month() -> None:
    product = Product(Method.FLAT, "USD", annual_rate_percent=Decimal(24))
    schedule = build_schedule(LoanTerms(product, Decimal(700), 7, date(2027, 8, 31)))
    assert [row.due_date for row in schedule.installments] == due_column(FROM_31_AUGUST)


def test_a_given_first_due_date_is_the_anchor_of_the_later_dates() -> None:
    # First due 31 January 2026: 28 February, then back to the 31st in March.
    product = Product(Method.DECLINING, "USD", annual_rate_percent=Decimal(24))
    terms = LoanTerms(product, Decimal(1000), 4, date(2026, 1, 10), date(2026, 1, 31))
    assert [row.due_date for row in build_schedule(terms).installments] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]


def test_quarterly_due_dates_keep_the_disbursement_day() -> None:
    # 30 November 2027 + 3 months is 29 February 2028 (clamped), then the 30th again.
    dates = scheduled_dates(date(2027, 11, 30), None, Frequency.QUARTERLY, 4)
    assert dates == (date(2028, 2, 29), date(2028, 5, 30), date(2028, 8, 30), date(2028, 11, 30))


def test_weekly_due_dates_add_whole_weeks_to_the_disbursement() -> None:
    dates = scheduled_dates(date(2026, 1, 31), None, Frequency.BIWEEKLY, 3)
    assert dates == (date(2026, 2, 14), date(2026, 2, 28), date(2026, 3, 14))


@pytest.mark.parametrize(
    ("frequency", "second_due"),
    [
        (Frequency.WEEKLY, date(2026, 1, 12)),
        (Frequency.BIWEEKLY, date(2026, 1, 19)),
        (Frequency.FOURWEEKLY, date(2026, 2, 2)),
        (Frequency.MONTHLY, date(2026, 2, 5)),
        (Frequency.QUARTERLY, date(2026, 4, 5)),
    ],
)
def test_each_frequency_steps_from_the_first_due_date(
    frequency: Frequency, second_due: date
) -> None:
    assert due_dates(date(2026, 1, 5), frequency, 2)[1] == second_due


def test_holiday_and_weekend_move_due_dates_to_the_next_working_day() -> None:
    # 2026-03-14 is a Saturday; 2026-04-14 a Tuesday declared a holiday.
    calendar = HolidayCalendar(frozenset({date(2026, 4, 14)}), frozenset({SATURDAY, SUNDAY}))
    assert due_dates(date(2026, 2, 14), Frequency.MONTHLY, 3, calendar) == (
        date(2026, 2, 16),
        date(2026, 3, 16),
        date(2026, 4, 15),
    )


def test_a_holiday_moves_the_date_but_not_the_amount() -> None:
    calendar = HolidayCalendar(frozenset(), frozenset({SATURDAY, SUNDAY}))
    plain = Product(Method.DECLINING, "USD", annual_rate_percent=Decimal(24))
    moved = Product(Method.DECLINING, "USD", annual_rate_percent=Decimal(24), calendar=calendar)
    first = build_schedule(LoanTerms(plain, Decimal(1000), 12, date(2026, 1, 14)))
    second = build_schedule(LoanTerms(moved, Decimal(1000), 12, date(2026, 1, 14)))
    assert [r.total for r in first.installments] == [r.total for r in second.installments]
    assert second.installments[1].due_date == date(2026, 3, 16)  # 14 March is a Saturday
