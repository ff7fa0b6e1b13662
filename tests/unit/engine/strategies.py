"""Hypothesis strategies for random products and loans, and the engine's settings profiles.

`HYPOTHESIS_PROFILE=thorough` raises every property to thousands of examples; the default keeps
the whole engine suite well under a minute on two cores.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import TypeVar

from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st

from tandir.engine import (
    NO_HOLIDAYS,
    CompulsorySavings,
    CustomInstallment,
    DayCount,
    EmiBasis,
    Fee,
    FeeTiming,
    Frequency,
    Grace,
    HolidayCalendar,
    InstallmentRounding,
    InterestGraceStyle,
    InvalidTerms,
    LoanTerms,
    Method,
    Payment,
    Product,
    RoundingMode,
    SavingsTiming,
    build_schedule,
    custom_terms,
    quantum,
    validate_terms,
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
# For properties whose every example replays several payments or solves XIRR: a third of the
# examples (a thousand under the thorough profile).
PROPERTY_SLOW = settings(PROPERTY, max_examples=max(PROPERTY.max_examples // 3, 50))

CURRENCIES = ("USD", "EUR", "AMD", "PKR", "JPY", "KWD")
START = date(2024, 1, 1)
T = TypeVar("T")


@cache
def integers(low: int, high: int) -> st.SearchStrategy[int]:
    # Strategies are built once and reused: building one per draw costs Hypothesis a
    # validation each time, half of a property's run.
    return st.integers(low, high)


@cache
def sampled(values: tuple[T, ...]) -> st.SearchStrategy[T]:
    return st.sampled_from(values)


BOOLEANS = st.booleans()


def percents(draw: st.DrawFn, high: int) -> Decimal:
    """A percentage 0.00 .. high with two decimals."""
    return Decimal(draw(integers(0, high * 100))) / 100


def minor_units(draw: st.DrawFn, currency: str, high: int) -> Decimal:
    return draw(integers(0, high)) * quantum(currency)


WEEKENDS = (frozenset({SATURDAY, SUNDAY}), frozenset({FRIDAY}))
HOLIDAYS = st.frozensets(st.dates(START, date(2032, 12, 31)), max_size=20)


@st.composite
def calendars(draw: st.DrawFn) -> HolidayCalendar:
    if not draw(BOOLEANS):
        return NO_HOLIDAYS
    return HolidayCalendar(draw(HOLIDAYS), draw(sampled(WEEKENDS)))


@st.composite
def products(
    draw: st.DrawFn,
    methods: tuple[Method, ...] = tuple(Method),
    installments: int = 60,
    fees: bool = True,
    interest_grace: bool = True,
    minor_rounding_only: bool = False,
    grace: bool = True,
    frequencies: tuple[Frequency, ...] = tuple(Frequency),
) -> tuple[Product, int]:
    """A random product and a number of installments that its grace leaves room for."""
    method = draw(sampled(methods))
    currency = draw(sampled(CURRENCIES))
    count = draw(integers(1, installments))
    step = quantum(currency)
    round_to = None
    if not minor_rounding_only:
        round_to = draw(sampled((None, step, step * 5, step * 100, Decimal(10))))
    conventional = not method.is_islamic
    principal_grace = min(draw(integers(0, 6)), count - 1) if grace else 0
    payment_grace = free_grace = 0
    if conventional and interest_grace and grace:
        payment_grace = min(draw(integers(0, 6)), count - 1)
        free_grace = min(draw(integers(0, 3)), count - 1)
    product_fees: tuple[Fee, ...] = ()
    savings = None
    if fees and draw(BOOLEANS):
        if method is Method.QARD_HASAN:
            product_fees = (Fee("service", minor_units(draw, currency, 100_000)),)
        else:
            product_fees = (
                Fee("upfront", percents(draw, 5), is_percent=True),
                Fee(
                    "per-installment",
                    minor_units(draw, currency, 500),
                    timing=FeeTiming.PER_INSTALLMENT,
                ),
            )
        kind = draw(integers(0, 2))
        if kind == 1:
            savings = CompulsorySavings(percents(draw, 20))
        elif kind == 2:
            savings = CompulsorySavings(
                minor_units(draw, currency, 1000),
                is_percent=False,
                timing=SavingsTiming.PER_INSTALLMENT,
            )
    declining = method is Method.DECLINING
    style = InterestGraceStyle.SPREAD
    if payment_grace:
        styles: tuple[InterestGraceStyle, ...] = (
            InterestGraceStyle.SPREAD,
            InterestGraceStyle.NEXT,
        )
        if declining and principal_grace == 0:
            styles = tuple(InterestGraceStyle)
        style = draw(sampled(styles))
    day_count = draw(sampled(tuple(DayCount))) if method.is_declining else DayCount.PERIODIC
    # The conventions peers use: whole installments rounded, the EMI adjusted or from the days.
    round_installment_to = None
    installment_rounding = InstallmentRounding.NEAREST
    emi_adjust = False
    emi_from = EmiBasis.NOMINAL
    if not minor_rounding_only:
        unit = round_to or step
        round_installment_to = draw(sampled((None, unit, unit * 2, unit * 10, unit * 100)))
        installment_rounding = draw(sampled(tuple(InstallmentRounding)))
        emi_adjust = declining and draw(BOOLEANS)
    if declining and day_count is not DayCount.PERIODIC and draw(BOOLEANS):
        emi_from = EmiBasis.DAY_COUNT
    product = Product(
        method=method,
        currency=currency,
        frequency=draw(sampled(frequencies)),
        annual_rate_percent=percents(draw, 80) if conventional else Decimal(0),
        markup_percent=percents(draw, 60) if method is Method.MURABAHA else Decimal(0),
        day_count=day_count,
        grace=Grace(principal_grace, payment_grace, free_grace, interest_style=style),
        fees=product_fees,
        savings=savings,
        round_to=round_to,
        rounding_mode=draw(sampled(tuple(RoundingMode))),
        calendar=draw(calendars()),
        round_installment_to=round_installment_to,
        installment_rounding=installment_rounding,
        emi_adjust=emi_adjust,
        emi_from=emi_from,
    )
    return product, count


DISBURSEMENTS = st.dates(START, date(2030, 12, 31))
FIRST_DUE_OFFSETS = st.one_of(st.none(), st.integers(1, 120))


@st.composite
def loans(
    draw: st.DrawFn,
    methods: tuple[Method, ...] = tuple(Method),
    fees: bool = True,
    interest_grace: bool = True,
    minor_rounding_only: bool = False,
    min_units_per_installment: int = 1,
    grace: bool = True,
    buildable: bool = True,
    frequencies: tuple[Frequency, ...] = tuple(Frequency),
    installments: int = 60,
) -> LoanTerms:
    """A random loan; `buildable=False` also yields the emi grace style on terms it refuses."""
    product, count = draw(
        products(
            methods=methods,
            fees=fees,
            interest_grace=interest_grace,
            minor_rounding_only=minor_rounding_only,
            grace=grace,
            frequencies=frequencies,
            installments=installments,
        )
    )
    units = draw(integers(min_units_per_installment * count, 10**9))
    amount = units * quantum(product.currency)
    disbursed = draw(DISBURSEMENTS)
    offset = draw(FIRST_DUE_OFFSETS)
    first_due = None if offset is None else disbursed + timedelta(days=offset)
    terms = LoanTerms(product, amount, count, disbursed, first_due)
    # Fixed fees that would leave the client nothing of a tiny loan are refused, rightly.
    assume(not validate_terms(terms))
    if buildable and product.grace.interest_style is InterestGraceStyle.EMI:
        # A grace so long that the equal installments repay the loan before the last one is
        # refused; keep such terms for the tests of that refusal.
        try:
            build_schedule(terms)
        except InvalidTerms:
            grace_spread = replace(product.grace, interest_style=InterestGraceStyle.SPREAD)
            terms = replace(terms, product=replace(product, grace=grace_spread))
    return terms


@st.composite
def payments(draw: st.DrawFn, currency: str, start: date, count: int = 8) -> list[Payment]:
    """Payments on random dates over a few years, some on the same day."""
    number = draw(integers(1, count))
    return [
        Payment(
            f"p{index}",
            start + timedelta(days=draw(integers(0, 800))),
            draw(integers(1, 10**7)) * quantum(currency),
        )
        for index in range(number)
    ]


@st.composite
def custom_loans(draw: st.DrawFn, methods: tuple[Method, ...] = tuple(Method)) -> LoanTerms:
    """A loan on the officer's own dates: some rows interest only, principal split at random."""
    product, count = draw(products(methods=methods, installments=12))
    product = replace(product, custom_schedule=True)
    step = quantum(product.currency)
    units = draw(integers(count, 10**9))
    disbursed = draw(DISBURSEMENTS)
    due = disbursed
    dates = []
    for _ in range(count):
        due += timedelta(days=draw(integers(1, 200)))
        dates.append(due)
    # Which rows repay principal: the last always, every row for Islamic methods.
    if product.method.is_islamic:
        repaying = list(range(count))
    else:
        repaying = sorted({*draw(st.sets(integers(0, count - 1))), count - 1})
    cuts: list[int] = []
    if len(repaying) > 1:
        size = len(repaying) - 1
        cuts = sorted(draw(st.sets(integers(1, units - 1), min_size=size, max_size=size)))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, units], strict=True)]
    principal: dict[int, Decimal] = {
        row: part * step for row, part in zip(repaying, parts, strict=True)
    }
    rows = [CustomInstallment(day, principal.get(k)) for k, day in enumerate(dates)]
    terms = custom_terms(product, units * step, disbursed, rows)
    assume(not validate_terms(terms))
    return terms
