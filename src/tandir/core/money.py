"""Money columns: an amount in the currency's minor units beside its ISO 4217 code.

Django has no composite field, so a money value is two columns made by these helpers and tied
by one check constraint: the currency is one the loan engine knows, the amount has no more
decimals than that currency's minor unit allows (2 for AMD and USD, 3 for JOD, 0 for JPY), and an
optional amount is either absent with no currency or present with one. The column keeps 3
decimals, enough for every currency in `tandir.engine.money.MINOR_UNITS`; values are read back
through `money()` so they print with the currency's own number of decimals.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import groupby
from typing import Any, NamedTuple

from django.db import models
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from tandir.engine.money import MINOR_UNITS, quantum

CURRENCIES: tuple[str, ...] = tuple(sorted(MINOR_UNITS))
CURRENCY_CHOICES = [(code, code) for code in CURRENCIES]
AMOUNT_DIGITS = 20
AMOUNT_PLACES = max(MINOR_UNITS.values())


class Money(NamedTuple):
    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def money(amount: Decimal | int | str, currency: str) -> Money:
    """A money value with the amount brought to the currency's minor unit.

    Refuses an unknown currency and an amount with more decimals than the currency has, instead
    of rounding it silently: rounding belongs to the engine's rules, not to storage.
    """
    if currency not in MINOR_UNITS:
        raise ValueError(f"unknown currency {currency!r}")
    value = Decimal(amount)
    step = quantum(currency)
    exact = value.quantize(step)
    if exact != value:
        raise ValueError(f"{value} has more decimals than {currency} allows")
    return Money(exact, currency)


def summed(total: Decimal, currency: str) -> Decimal:
    """A database SUM of amounts in `currency`, brought back to its unit. Every amount stored is
    in the unit, so the true sum is too; SQLite adds decimal columns as binary floats, whose
    noise (around 10⁻¹¹ on millions) this removes. PostgreSQL's sums are exact already."""
    return Decimal(total).quantize(quantum(currency))


def amount_field(verbose_name: Any, **kwargs: Any) -> models.DecimalField:
    """The amount column of a money value."""
    return models.DecimalField(
        verbose_name, max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, **kwargs
    )


def currency_field(verbose_name: Any = None, **kwargs: Any) -> models.CharField:
    """The currency column of a money value: an ISO 4217 code the engine knows."""
    return models.CharField(
        verbose_name or _("currency"), max_length=3, choices=CURRENCY_CHOICES, **kwargs
    )


def money_constraint(
    amount: str, currency: str, *, name: str, optional: bool = False, non_negative: bool = True
) -> models.CheckConstraint:
    """The one constraint tying a money value's two columns together."""
    by_places = groupby(sorted(CURRENCIES, key=MINOR_UNITS.__getitem__), MINOR_UNITS.__getitem__)
    precise = models.Q()
    for places, codes in by_places:
        precise |= models.Q(
            **{f"{currency}__in": list(codes), amount: Round(models.F(amount), places)}
        )
    if non_negative:
        precise &= models.Q(**{f"{amount}__gte": 0})
    condition = precise
    if optional:
        condition = models.Q(**{f"{amount}__isnull": True, currency: ""}) | (
            models.Q(**{f"{amount}__isnull": False}) & precise
        )
    return models.CheckConstraint(condition=condition, name=name)
