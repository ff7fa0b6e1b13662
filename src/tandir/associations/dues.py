"""Membership dues arithmetic, without Django: which periods a member owes and how far behind
they are. Dues fall due at the start of each calendar period (month, quarter or year) in which
the person is a member on or after the day dues began, up to the period of the reporting day."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)
MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


def period_index(day: datetime.date, period: str) -> int:
    """A running number of the calendar period holding `day` (months, quarters or years)."""
    return (day.year * 12 + day.month - 1) // MONTHS[period]


def period_start(day: datetime.date, period: str) -> datetime.date:
    months = period_index(day, period) * MONTHS[period]
    return datetime.date(months // 12, months % 12 + 1, 1)


def periods_owed(
    *,
    joined_on: datetime.date,
    left_on: datetime.date | None,
    dues_since: datetime.date,
    as_of: datetime.date,
    period: str,
) -> int:
    """How many periods' dues a member owes by `as_of`: every period, from the one dues began
    in (or the member joined in, if later) to the one they left in (or `as_of` falls in)."""
    first = max(joined_on, dues_since)
    last = min(left_on, as_of) if left_on is not None else as_of
    if first > last:
        return 0
    return period_index(last, period) - period_index(first, period) + 1


@dataclass(frozen=True)
class DuesStanding:
    """A member's dues on a day: owed by then, paid, and the difference."""

    periods: int
    owed: Decimal
    paid: Decimal

    @property
    def behind(self) -> Decimal:
        return max(self.owed - self.paid, ZERO)

    @property
    def ahead(self) -> Decimal:
        return max(self.paid - self.owed, ZERO)

    @property
    def is_behind(self) -> bool:
        return self.owed > self.paid


def standing(
    *,
    amount: Decimal,
    periods: int,
    paid: Decimal,
) -> DuesStanding:
    return DuesStanding(periods=periods, owed=amount * periods, paid=paid)


def periods_behind(standing: DuesStanding, amount: Decimal) -> int:
    """Whole periods not yet covered: a part-paid period counts as one behind."""
    if amount <= ZERO or not standing.is_behind:
        return 0
    whole, part = divmod(standing.behind, amount)
    return int(whole) + (1 if part else 0)
