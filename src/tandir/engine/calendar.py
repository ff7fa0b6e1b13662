"""Calendar: repayment frequencies, due dates, holidays and day-count conventions.

Due dates count whole periods from one anchor: the disbursement date, or the first due date when
the loan states one. Monthly and quarterly dates keep the anchor's day of the month, clamped to
each month's length and never chained (31 Aug → 30 Sep, 31 Oct, 30 Nov, as banks and Excel's
EDATE do); weekly ones add 7, 14 or 28 days. An optional holiday calendar then moves each date to
the next working day. Interest
periods use the scheduled dates, before the holiday move, so that a holiday never changes what a
client owes.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache


class Frequency(StrEnum):
    """How often installments fall due."""

    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    FOURWEEKLY = "fourweekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"

    @property
    def periods_per_year(self) -> int:
        return _PERIODS_PER_YEAR[self]


_PERIODS_PER_YEAR = {
    Frequency.WEEKLY: 52,
    Frequency.BIWEEKLY: 26,
    Frequency.FOURWEEKLY: 13,
    Frequency.MONTHLY: 12,
    Frequency.QUARTERLY: 4,
}
_DAYS_PER_PERIOD = {Frequency.WEEKLY: 7, Frequency.BIWEEKLY: 14, Frequency.FOURWEEKLY: 28}
_MONTHS_PER_PERIOD = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3}


class DayCount(StrEnum):
    """How the interest of one period is measured.

    PERIODIC divides the nominal annual rate by the periods per year, whatever the dates; the
    others count days between due dates. ACTUAL_ACTUAL counts the days of each calendar year over
    that year's length (366 in a leap year), splitting a period that spans a year end (ISDA).
    """

    PERIODIC = "periodic"
    ACTUAL_365 = "actual/365"
    ACTUAL_360 = "actual/360"
    THIRTY_360 = "30/360"
    ACTUAL_ACTUAL = "actual/actual"


MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    """Days on which nothing falls due: public holidays and the weekly rest days."""

    holidays: frozenset[date] = frozenset()
    weekend: frozenset[int] = frozenset()

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def next_working_day(self, day: date) -> date:
        """The day itself if it is a working day, else the first working day after it.

        Raises OverflowError when no working day is left before the end of the calendar.
        """
        if len(self.weekend) >= 7:
            raise ValueError("a calendar whose every weekday is a rest day has no working day")
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day


NO_HOLIDAYS = HolidayCalendar()


def add_months(start: date, months: int, anchor_day: int | None = None) -> date:
    """The date `months` later on the anchor day (default the start's day), clamped to month end."""
    day = start.day if anchor_day is None else anchor_day
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    last = _stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(day, last))


def add_periods(start: date, frequency: Frequency, count: int) -> date:
    """The date `count` periods after `start`."""
    days = _DAYS_PER_PERIOD.get(frequency)
    if days is not None:
        return start + timedelta(days=days * count)
    return add_months(start, _MONTHS_PER_PERIOD[frequency] * count)


def default_first_due(disbursed: date, frequency: Frequency) -> date:
    """One period after disbursement."""
    return add_periods(disbursed, frequency, 1)


@lru_cache(maxsize=4096)
def scheduled_dates(
    disbursed: date, first_due: date | None, frequency: Frequency, count: int
) -> tuple[date, ...]:
    """The `count` contractual due dates of a loan, before any holiday move.

    Without a first due date the k-th date is k periods after disbursement; with one, it is k − 1
    periods after the first due date. Each is computed from the anchor, not from the date before
    it, so a short month never pulls the later dates back.
    """
    if first_due is None:
        return tuple(add_periods(disbursed, frequency, k) for k in range(1, count + 1))
    return tuple(add_periods(first_due, frequency, k) for k in range(count))


def fits_calendar(
    disbursed: date, first_due: date | None, frequency: Frequency, count: int
) -> bool:
    """Whether the last of `count` due dates falls within the calendar (up to 9999-12-31).

    Computed from the anchor without building the dates, so that a term of a billion weeks is
    answered at once.
    """
    anchor, periods = (disbursed, count) if first_due is None else (first_due, count - 1)
    days = _DAYS_PER_PERIOD.get(frequency)
    if days is not None:
        return anchor.toordinal() + days * periods <= date.max.toordinal()
    months = anchor.month - 1 + _MONTHS_PER_PERIOD[frequency] * periods
    return anchor.year + months // 12 <= date.max.year


def moved_dates(dates: tuple[date, ...], calendar: HolidayCalendar) -> tuple[date, ...]:
    """Each date moved to the next working day of the calendar."""
    if not calendar.holidays and not calendar.weekend:
        return dates
    return tuple(calendar.next_working_day(day) for day in dates)


@lru_cache(maxsize=4096)
def due_dates(
    first_due: date, frequency: Frequency, count: int, calendar: HolidayCalendar = NO_HOLIDAYS
) -> tuple[date, ...]:
    """The `count` due dates from a first due date, each moved to the next working day."""
    return moved_dates(scheduled_dates(first_due, first_due, frequency, count), calendar)


def days_30_360(start: date, end: date) -> int:
    """Days between two dates by the 30/360 bond basis (ISDA): every month counts 30 days."""
    d1 = min(start.day, 30)
    d2 = end.day
    if d2 == 31 and d1 == 30:
        d2 = 30
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


_BASIS = {
    DayCount.ACTUAL_365: 365,
    DayCount.ACTUAL_360: 360,
    DayCount.THIRTY_360: 360,
    # Days in a common year count 366 / (365 × 366) of a year, days in a leap year 365 / (…).
    DayCount.ACTUAL_ACTUAL: 365 * 366,
}


def year_fraction(start: date, end: date, day_count: DayCount) -> tuple[int, int]:
    """Days and basis of the period from `start` to `end` (interest = balance × rate × d ÷ b).

    Actual/actual gives weighted days over 365 × 366, so that a period spanning a year end is
    still one exact fraction: 10 days of 2027 and 21 of 2028 are 10 × 366 + 21 × 365 of 133,590.
    """
    if day_count is DayCount.PERIODIC:
        raise ValueError("the periodic day count has no year fraction")
    if day_count is DayCount.THIRTY_360:
        return days_30_360(start, end), 360
    if day_count is DayCount.ACTUAL_ACTUAL:
        return _actual_actual_days(start, end), _BASIS[day_count]
    return (end - start).days, _BASIS[day_count]


def _actual_actual_days(start: date, end: date) -> int:
    weighted = 0
    while start < end:
        year_end = date(start.year + 1, 1, 1) if start.year < end.year else end
        length = 366 if _stdlib_calendar.isleap(start.year) else 365
        weighted += (year_end - start).days * (365 * 366 // length)
        start = year_end
    return weighted


@lru_cache(maxsize=4096)
def period_days(
    disbursed: date, scheduled: tuple[date, ...], day_count: DayCount
) -> tuple[tuple[int, ...], int]:
    """Each period's days (from disbursement through every due date) and the day count's basis."""
    days = []
    previous = disbursed
    for day in scheduled:
        days.append(year_fraction(previous, day, day_count)[0])
        previous = day
    return tuple(days), _BASIS[day_count]
