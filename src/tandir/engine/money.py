"""Money: Decimal amounts, currencies and the one place where amounts are rounded.

Every amount in the engine is a `Decimal`; the currency travels with the product. Rounding to a
currency's minor unit, or to a product's "round to multiples of" (10 AMD, 5 PKR), happens only in
`rounder`/`round_amount`, with one configured mode.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

# Enough digits for any loan amount times any rate, with room for the IRR solver; every public
# entry point computes under this context so a caller's own decimal settings cannot change a
# schedule.
ENGINE_CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    Emin=-999999,
    Emax=999999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

# ISO 4217 minor units for the currencies our partner MFIs lend in. AMD keeps the ISO value of 2:
# products that lend whole drams (the common practice) say so with `round_to=10` or `round_to=1`,
# which keeps the ledger compatible with banks that report luma.
MINOR_UNITS: dict[str, int] = {
    "AFN": 2,
    "AMD": 2,
    "AZN": 2,
    "BDT": 2,
    "BOB": 2,
    "CHF": 2,
    "EGP": 2,
    "ETB": 2,
    "EUR": 2,
    "GBP": 2,
    "GEL": 2,
    "GHS": 2,
    "IDR": 2,
    "INR": 2,
    "JOD": 3,
    "JPY": 0,
    "KES": 2,
    "KGS": 2,
    "KHR": 2,
    "KWD": 3,
    "KZT": 2,
    "MAD": 2,
    "MXN": 2,
    "NGN": 2,
    "NPR": 2,
    "PEN": 2,
    "PHP": 2,
    "PKR": 2,
    "RUB": 2,
    "RWF": 0,
    "SDG": 2,
    "TJS": 2,
    "TND": 3,
    "TRY": 2,
    "TZS": 2,
    "UGX": 0,
    "UAH": 2,
    "USD": 2,
    "UZS": 2,
    "VND": 0,
    "XAF": 0,
    "XOF": 0,
    "YER": 2,
    "ZMW": 2,
}


class UnknownCurrency(ValueError):
    """A currency code that is not in `MINOR_UNITS`."""

    code = "unknown_currency"


class RoundingMode(StrEnum):
    """How an amount is brought to the minor unit or multiple; one mode per product."""

    HALF_UP = "half-up"
    HALF_EVEN = "half-even"
    DOWN = "down"
    UP = "up"


_DECIMAL_MODES = {
    RoundingMode.HALF_UP: decimal.ROUND_HALF_UP,
    RoundingMode.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    RoundingMode.DOWN: decimal.ROUND_DOWN,
    RoundingMode.UP: decimal.ROUND_UP,
}


def minor_unit(currency: str) -> int:
    """Number of decimals of the currency's minor unit (USD 2, JPY 0, KWD 3)."""
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise UnknownCurrency(f"unknown currency {currency!r}") from None


def quantum(currency: str) -> Decimal:
    """The smallest amount of the currency, e.g. Decimal('0.01') for USD."""
    step = _QUANTA.get(currency)
    if step is None:
        step = _QUANTA[currency] = Decimal(1).scaleb(-minor_unit(currency))
    return step


# Filled as currencies are used; every schedule asks for its currency's quantum several times.
_QUANTA: dict[str, Decimal] = {}


@dataclass(frozen=True, slots=True)
class RoundingRule:
    """How amounts of a product are rounded: currency minor unit or a multiple, and a mode."""

    currency: str
    multiple: Decimal | None = None
    mode: RoundingMode = RoundingMode.HALF_UP

    @property
    def step(self) -> Decimal:
        """The amount every rounded value is a multiple of."""
        return self.multiple if self.multiple is not None else quantum(self.currency)

    def minor(self) -> RoundingRule:
        """The same rule without the multiple: round to the currency's minor unit only."""
        return RoundingRule(self.currency, None, self.mode)


Rounder = Callable[[Decimal], Decimal]


def rounder(rule: RoundingRule) -> Rounder:
    """The rounding function of a rule; the schedule builder calls it once per component."""
    return rounding_function(rule.currency, rule.multiple, rule.mode)


@lru_cache(maxsize=1024)
def rounding_function(currency: str, multiple: Decimal | None, mode: RoundingMode) -> Rounder:
    """The rounding function of a currency, an optional multiple and a mode.

    Cached by value: products rebuilt from the database for every loan share the function.
    """
    decimal_mode = _DECIMAL_MODES[mode]
    minor = quantum(currency)
    if multiple is None or multiple == minor:

        def to_minor(amount: Decimal) -> Decimal:
            # Positional arguments: quantize(rounding=...) by keyword costs twice as much.
            return amount.quantize(minor, decimal_mode)

        return to_minor

    def to_multiple(amount: Decimal) -> Decimal:
        # Quantize the count of multiples, then rescale to the minor unit so that amounts print
        # with the currency's usual number of decimals (10.00 AMD, not 1E+1).
        count = (amount / multiple).quantize(ONE, decimal_mode)
        return (count * multiple).quantize(minor)

    return to_multiple


def quantize_spec(rule: RoundingRule) -> tuple[Decimal, str] | None:
    """(quantum, decimal rounding) when the rule is plain rounding to the minor unit, else None.

    `amount.quantize(*spec)` is exactly what `rounder(rule)` does for such a rule; the schedule's
    hot loop uses it inline to save a function call per component.
    """
    minor = quantum(rule.currency)
    if rule.multiple is not None and rule.multiple != minor:
        return None
    return minor, _DECIMAL_MODES[rule.mode]


def uses_engine_precision() -> bool:
    """True when the current decimal context computes exactly as `ENGINE_CONTEXT` does.

    Entering a local context costs as much as a third of a schedule; the default context already
    has the engine's precision and rounding, so the hot paths only switch when a caller changed it.
    """
    context = _getcontext()
    return (
        context.prec == _ENGINE_PREC
        and context.rounding == _ENGINE_ROUNDING
        and context.traps[_INVALID_OPERATION]
        and context.Emax >= _ENGINE_EMAX
    )


_getcontext = decimal.getcontext
_ENGINE_PREC = ENGINE_CONTEXT.prec
_ENGINE_ROUNDING = ENGINE_CONTEXT.rounding
_ENGINE_EMAX = ENGINE_CONTEXT.Emax
_INVALID_OPERATION = decimal.InvalidOperation


def round_amount(amount: Decimal, rule: RoundingRule) -> Decimal:
    """Round one amount by a product's rule."""
    return rounder(rule)(amount)


def to_decimal(value: Decimal | int | str) -> Decimal:
    """A Decimal from an int, a decimal string or a Decimal; floats are refused on purpose."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"amounts must be Decimal, int or str, not {type(value).__name__}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"amount must be a finite number, not {value!r}")
    return result


def percent(value: Decimal) -> Decimal:
    """A percentage as a fraction: percent(Decimal(24)) == Decimal('0.24')."""
    return value / HUNDRED
