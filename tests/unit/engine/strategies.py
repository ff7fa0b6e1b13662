"""Hypothesis strategies for random products and loans, and the engine's settings profiles.

`HYPOTHESIS_PROFILE=thorough` raises every property to thousands of examples; the default keeps
the whole engine suite well under a minute on two cores.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tandir.engine import (
    NO_HOLIDAYS,
    CompulsorySavings,
    DayCount,
    Fee,
    FeeTiming,
    Frequency,
    Grace,
    HolidayCalendar,
    LoanTerms,
    Method,
    Payment,
    Product,
    RoundingMode,
    SavingsTiming,
    quantum,
)
from tandir.engine.calendar import FRIDAY, SATURDAY, SUNDAY

settings.register_profile(
    "engine",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Applied per test (not loaded globally) so other suites keep their own Hypothesis settings.
PROPERTY = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "engine"))

CURRENCIES = ("USD", "EUR", "AMD", "PKR", "JPY", "KWD")
START = date(2024, 1, 1)


def minor_amounts(currency: str, low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Amounts between low and high minor units of the currency."""
    step = quantum(currency)
    return st.integers(low, high).map(lambda units: Decimal(units) * step)


def percents(high: int) -> st.SearchStrategy[Decimal]:
    """Percentages 0.00 .. high with two decimals."""
    return st.integers(0, high * 100).map(lambda hundredths: Decimal(hundredths) / 100)


@st.composite
def calendars(draw: st.DrawFn) -> HolidayCalendar:
    if not draw(st.booleans()):
        return NO_HOLIDAYS
    weekend = draw(st.sampled_from([frozenset({SATURDAY, SUNDAY}), frozenset({FRIDAY})]))
    holidays = draw(st.frozensets(st.dates(START, date(2032, 12, 31)), max_size=20))
    return HolidayCalendar(holidays, weekend)


@st.composite
def products(
    draw: st.DrawFn,
    methods: tuple[Method, ...] = tuple(Method),
    installments: int = 60,
    fees: bool = True,
    interest_grace: bool = True,
    minor_rounding_only: bool = False,
    grace: bool = True,
) -> tuple[Product, int]:
    """A random product and a number of installments that its grace leaves room for."""
    method = draw(st.sampled_from(methods))
    currency = draw(st.sampled_from(CURRENCIES))
    count = draw(st.integers(1, installments))
    step = quantum(currency)
    round_to = None
    if not minor_rounding_only:
        round_to = draw(st.sampled_from([None, step, step * 5, step * 100, Decimal(10)]))
    conventional = not method.is_islamic
    principal_grace = draw(st.integers(0, min(count - 1, 6))) if grace else 0
    payment_grace = free_grace = 0
    if conventional and interest_grace and grace:
        payment_grace = draw(st.integers(0, min(count - 1, 6)))
        free_grace = draw(st.integers(0, min(count - 1, 3)))
    product_fees: tuple[Fee, ...] = ()
    savings = None
    if fees and draw(st.booleans()):
        if method is Method.QARD_HASAN:
            product_fees = (Fee("service", draw(minor_amounts(currency, 0, 100_000))),)
        else:
            product_fees = (
                Fee("upfront", draw(percents(5)), is_percent=True),
                Fee(
                    "per-installment",
                    draw(minor_amounts(currency, 0, 500)),
                    timing=FeeTiming.PER_INSTALLMENT,
                ),
            )
        savings = draw(
            st.sampled_from(
                [
                    None,
                    CompulsorySavings(draw(percents(20))),
                    CompulsorySavings(
                        draw(minor_amounts(currency, 0, 1000)),
                        is_percent=False,
                        timing=SavingsTiming.PER_INSTALLMENT,
                    ),
                ]
            )
        )
    product = Product(
        method=method,
        currency=currency,
        frequency=draw(st.sampled_from(Frequency)),
        annual_rate_percent=draw(percents(80)) if conventional else Decimal(0),
        markup_percent=draw(percents(60)) if method is Method.MURABAHA else Decimal(0),
        day_count=draw(st.sampled_from(DayCount)) if method.is_declining else DayCount.PERIODIC,
        grace=Grace(principal_grace, payment_grace, free_grace),
        fees=product_fees,
        savings=savings,
        round_to=round_to,
        rounding_mode=draw(st.sampled_from(RoundingMode)),
        calendar=draw(calendars()),
    )
    return product, count


@st.composite
def loans(
    draw: st.DrawFn,
    methods: tuple[Method, ...] = tuple(Method),
    fees: bool = True,
    interest_grace: bool = True,
    minor_rounding_only: bool = False,
    min_units_per_installment: int = 1,
    grace: bool = True,
) -> LoanTerms:
    product, count = draw(
        products(
            methods=methods,
            fees=fees,
            interest_grace=interest_grace,
            minor_rounding_only=minor_rounding_only,
            grace=grace,
        )
    )
    amount = draw(minor_amounts(product.currency, min_units_per_installment * count, 10**9))
    disbursed = draw(st.dates(START, date(2030, 12, 31)))
    first_due = draw(
        st.one_of(st.none(), st.integers(1, 120).map(lambda d: disbursed + timedelta(days=d)))
    )
    return LoanTerms(product, amount, count, disbursed, first_due)


@st.composite
def payments(draw: st.DrawFn, currency: str, start: date, count: int = 8) -> list[Payment]:
    """Payments on random dates over a few years, some on the same day."""
    number = draw(st.integers(1, count))
    return [
        Payment(
            f"p{index}",
            start + timedelta(days=draw(st.integers(0, 800))),
            draw(minor_amounts(currency, 1, 10**7)),
        )
        for index in range(number)
    ]
