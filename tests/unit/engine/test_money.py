"""Rounding lives in one function: minor units, multiples and modes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tandir.engine import (
    RoundingMode,
    RoundingRule,
    UnknownCurrency,
    minor_unit,
    quantum,
    round_amount,
    to_decimal,
)


@pytest.mark.parametrize(
    ("currency", "places"), [("USD", 2), ("EUR", 2), ("AMD", 2), ("JPY", 0), ("KWD", 3)]
)
def test_minor_unit_follows_iso_4217(currency: str, places: int) -> None:
    assert minor_unit(currency) == places
    assert quantum(currency) == Decimal(1).scaleb(-places)


def test_unknown_currency_is_refused_by_name() -> None:
    with pytest.raises(UnknownCurrency, match="XXY"):
        minor_unit("XXY")


# amount      currency  multiple  mode        rounded
ROUNDING = """
10.005        USD       -         half-up     10.01
10.005        USD       -         half-even   10.00
10.015        USD       -         half-even   10.02
10.009        USD       -         down        10.00
10.001        USD       -         up          10.01
1234.5        JPY       -         half-up     1235
1.2345        KWD       -         half-up     1.235
1234          AMD       10        half-up     1230.00
1235          AMD       10        half-up     1240.00
1231          AMD       10        up          1240.00
1239          AMD       10        down        1230.00
102.49        PKR       5         half-up     100.00
102.50        PKR       5         half-up     105.00
0.974         USD       0.05      half-up     0.95
"""


def _rounding_rows() -> list[tuple[str, str, str, str, str]]:
    rows = []
    for line in ROUNDING.strip().splitlines():
        amount, currency, multiple, mode, expected = line.split()
        rows.append((amount, currency, multiple, mode, expected))
    return rows


@pytest.mark.parametrize(("amount", "currency", "multiple", "mode", "expected"), _rounding_rows())
def test_round_amount_by_currency_multiple_and_mode(
    amount: str, currency: str, multiple: str, mode: str, expected: str
) -> None:
    rule = RoundingRule(
        currency, None if multiple == "-" else Decimal(multiple), RoundingMode(mode)
    )
    rounded = round_amount(Decimal(amount), rule)
    assert rounded == Decimal(expected)
    assert str(rounded) == expected  # printed with the currency's decimals


def test_to_decimal_refuses_floats() -> None:
    with pytest.raises(TypeError):
        to_decimal(0.1)  # type: ignore[arg-type]
    assert to_decimal("0.10") == Decimal("0.10")
    assert to_decimal(5) == Decimal(5)


def test_to_decimal_refuses_infinity_and_nan() -> None:
    with pytest.raises(ValueError):
        to_decimal("Infinity")
    with pytest.raises(ValueError):
        to_decimal("NaN")
