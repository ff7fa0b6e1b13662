"""Converting amounts of the project's currency to the donor's reporting currency, with the
organisation's recorded exchange-rate table.

The rule, in one place: an amount dated D converts at the latest rate recorded on or before D
for that pair of currencies (the rate known on the day the money moved). No rate on or before
D is an error that names the date and the two currencies; nothing is guessed, no inverse rate
is derived and no rate of a later day is used. Amounts are summed exactly and the converted
total is rounded once, half up, to the reporting currency's minor unit.
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tandir.core import formatting
from tandir.core.errors import NotAllowed, TandirError
from tandir.engine.money import quantum
from tandir.orgs.access import scope
from tandir.orgs.roles import Right, has_right
from tandir.reports.models import ExchangeRate

ZERO = Decimal(0)


class MissingRate(TandirError):
    """No rate recorded on or before a date for a pair of currencies."""

    code = "missing_exchange_rate"


@dataclass(frozen=True)
class Converted:
    """A total converted to `currency`, and the rates it used (date of the rate → rate)."""

    amount: Decimal
    currency: str
    rates: dict[str, list[tuple[datetime.date, Decimal]]]


def rates_in_scope(user: Any) -> QuerySet[ExchangeRate]:
    """The rates `user` may read: their organisation's (rates are not branch business)."""
    if not (has_right(user, Right.SEE_REPORTS) or has_right(user, Right.RECORD_EXCHANGE_RATES)):
        raise NotAllowed(_("Your role does not allow this."))
    return scope(user, ExchangeRate.objects.all(), branch_field=None)


class RateTable:
    """The rates of one organisation into one currency, loaded once, looked up by date."""

    def __init__(
        self, organization_id: int, to_currency: str, from_currencies: Iterable[str] | None = None
    ):
        """Loads the rates into `to_currency` (of `from_currencies`, or all): one query."""
        self.organization_id = organization_id
        self.to_currency = to_currency
        self._days: dict[str, list[datetime.date]] = defaultdict(list)
        self._rates: dict[str, list[ExchangeRate]] = defaultdict(list)
        rows = ExchangeRate.objects.filter(
            organization_id=organization_id, to_currency=to_currency
        ).order_by("from_currency", "on")
        if from_currencies is not None:
            rows = rows.filter(from_currency__in=sorted(set(from_currencies) - {to_currency}))
        if from_currencies is None or set(from_currencies) - {to_currency}:
            for row in rows:
                self._days[row.from_currency].append(row.on)
                self._rates[row.from_currency].append(row)

    def rate_on(self, from_currency: str, day: datetime.date) -> ExchangeRate | None:
        """The latest rate on or before `day`; None for the same currency (no conversion)."""
        if from_currency == self.to_currency:
            return None
        days = self._days.get(from_currency, [])
        at = bisect.bisect_right(days, day)
        if at == 0:
            raise MissingRate(
                _(
                    "No exchange rate from %(from)s to %(to)s is recorded on or before "
                    "%(date)s. Record one on the exchange rates page."
                )
                % {
                    "from": from_currency,
                    "to": self.to_currency,
                    "date": formatting.date(day),
                },
                code="missing_exchange_rate",
                from_currency=from_currency,
                to_currency=self.to_currency,
                date=day.isoformat(),
            )
        return self._rates[from_currency][at - 1]

    def convert(self, amounts: Iterable[tuple[str, datetime.date, Decimal]]) -> Converted:
        """Convert (currency, date, amount) rows, each at the rate of its date, and add them up."""
        total = ZERO
        used: dict[str, dict[datetime.date, Decimal]] = defaultdict(dict)
        for currency, day, amount in amounts:
            rate = self.rate_on(currency, day)
            if rate is None:
                total += amount
                continue
            total += amount * rate.rate
            used[currency][rate.on] = rate.rate
        rounded = total.quantize(quantum(self.to_currency), rounding=ROUND_HALF_UP)
        return Converted(
            rounded,
            self.to_currency,
            {cur: sorted(days.items()) for cur, days in used.items()},
        )


def convert_one(
    organization_id: int, amount: Decimal, from_currency: str, to_currency: str, on: datetime.date
) -> Decimal:
    """One amount converted at the rate of its date."""
    table = RateTable(organization_id, to_currency, [from_currency])
    return table.convert([(from_currency, on, amount)]).amount
