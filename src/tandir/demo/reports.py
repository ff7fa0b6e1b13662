"""Demo exchange rates: each member's currency (AMD, AZN, PKR) into USD, the demo donors'
reporting currency, on the first day of every month from the month of its first loan (or its
project's start, if earlier) to the end of the history, so every demo project's donor report
converts to USD.

Source, stated on every rate: approximate monthly reference rates after the central banks'
published figures (Central Bank of Armenia, Central Bank of Azerbaijan, State Bank of
Pakistan), rounded and smoothed for the demo — not rates to convert real money with. The manat
is pegged at 1.70 per dollar; the dram and the rupee drift a little from month to month.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Min

from tandir.lending.models import Loan
from tandir.reports.actions import record_exchange_rate

if TYPE_CHECKING:
    from tandir.demo.loader import Programme

# Units of the currency per US dollar around the demo period, and how much it may drift.
PER_DOLLAR = {
    "AMD": (Decimal("392"), Decimal("6")),
    "AZN": (Decimal("1.70"), Decimal("0")),
    "PKR": (Decimal("280"), Decimal("4")),
}
SOURCES = {
    "AMD": "Demo: monthly reference rate after the Central Bank of Armenia (rounded)",
    "AZN": "Demo: official peg of the Central Bank of Azerbaijan (1.70 AZN per USD)",
    "PKR": "Demo: monthly reference rate after the State Bank of Pakistan (rounded)",
}
REPORTING = "USD"


@dataclass(frozen=True)
class ReportsSummary:
    rates: int
    currencies: tuple[str, ...]
    first: datetime.date | None

    @property
    def line(self) -> str:
        """The loader's line for `tandir demo`."""
        since = self.first.isoformat() if self.first else "-"
        return (
            f"exchange rates: {self.rates} ({', '.join(self.currencies)} → {REPORTING}, "
            f"monthly from {since})"
        )


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    day = first.replace(day=1)
    months = []
    while day <= last:
        months.append(day)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return months


def load_reports(
    rng: random.Random, programmes: Sequence[Programme], *, as_of: datetime.date
) -> ReportsSummary:
    recorded = 0
    currencies: list[str] = []
    earliest: datetime.date | None = None
    for programme in programmes:
        organization = programme.organization
        currency = organization.currency
        if currency == REPORTING or currency not in PER_DOLLAR:
            continue
        accountant = programme.staff[f"{programme.prefix}.accountant"]
        first_loan = Loan.objects.filter(organization=organization).aggregate(
            first=Min("disbursed_on")
        )["first"]
        first = min(d for d in (first_loan, programme.project.starts_on) if d is not None)
        centre, drift = PER_DOLLAR[currency]
        per_dollar = centre
        for month in _months(first, as_of):
            if drift:
                step = Decimal(rng.randint(-100, 100)) / 100 * drift / 3
                per_dollar = min(centre + drift, max(centre - drift, per_dollar + step))
            record_exchange_rate(
                accountant,
                on=month,
                from_currency=currency,
                to_currency=REPORTING,
                rate=(1 / per_dollar).quantize(Decimal("0.00000001")),
                source=SOURCES[currency],
            )
            recorded += 1
        currencies.append(currency)
        start = first.replace(day=1)
        earliest = start if earliest is None else min(earliest, start)
    return ReportsSummary(recorded, tuple(currencies), earliest)
