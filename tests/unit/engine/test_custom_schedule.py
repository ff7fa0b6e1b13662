"""Custom schedules: seasonal and balloon loans on the officer's own dates, computed by hand.

An agricultural loan of 1,000.00 USD disbursed 15 March 2026, repaid after two harvests:
interest only on 15 June, 600.00 on 15 September, 400.00 on 15 December. Without a day count
the periods are measured 30/360, so three months are exactly a quarter of a year.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given

from tandir.engine import (
    CustomInstallment,
    DayCount,
    InvalidTerms,
    LoanTerms,
    Method,
    Product,
    balloon,
    build_schedule,
    custom_terms,
    dated_cash_flows,
    disclose,
    validate_terms,
)
from tests.unit.engine.reference import reference_schedule
from tests.unit.engine.strategies import PROPERTY_SLOW, custom_loans
from tests.unit.engine.tables import Row, parse_schedule, schedule_rows

DISBURSED = date(2026, 3, 15)
HARVESTS = (
    CustomInstallment(date(2026, 6, 15)),  # interest only
    CustomInstallment(date(2026, 9, 15), Decimal(600)),
    CustomInstallment(date(2026, 12, 15), Decimal(400)),
)


def product(
    method: Method,
    day_count: DayCount = DayCount.PERIODIC,
    markup_percent: Decimal = Decimal(0),
    custom_schedule: bool = True,
) -> Product:
    rate = Decimal(0) if method.is_islamic else Decimal(24)
    return Product(
        method,
        "USD",
        annual_rate_percent=rate,
        markup_percent=markup_percent,
        day_count=day_count,
        custom_schedule=custom_schedule,
    )


def rows(
    product: Product, installments: tuple[CustomInstallment, ...] = HARVESTS, amount: str = "1000"
) -> list[Row]:
    terms = custom_terms(product, Decimal(amount), DISBURSED, installments)
    return schedule_rows(build_schedule(terms))


def test_seasonal_declining_loan_charges_interest_on_the_balance_of_each_period() -> None:
    # 1,000 × 24 % × 90/360 = 60.00 twice; then 400 × 24 % × 90/360 = 24.00.
    assert rows(product(Method.DECLINING)) == parse_schedule("""
        no  due         principal  interest   total  balance
         1  2026-06-15       0.00     60.00   60.00  1000.00
         2  2026-09-15     600.00     60.00  660.00   400.00
         3  2026-12-15     400.00     24.00  424.00     0.00
    """)


def test_seasonal_loan_with_actual_days_counts_92_92_and_91_days() -> None:
    # 1,000 × 24 % × 92/365 = 60.49 (twice); 400 × 24 % × 91/365 = 23.93.
    declining = product(Method.DECLINING, day_count=DayCount.ACTUAL_365)
    assert [row[3] for row in rows(declining)] == [
        Decimal("60.49"),
        Decimal("60.49"),
        Decimal("23.93"),
    ]


def test_seasonal_flat_loan_charges_the_original_amount_for_each_period() -> None:
    # 1,000 × 24 % × 90/360 = 60.00 in every period, whatever has been repaid.
    assert rows(product(Method.FLAT)) == parse_schedule("""
        no  due         principal  interest   total  balance
         1  2026-06-15       0.00     60.00   60.00  1000.00
         2  2026-09-15     600.00     60.00  660.00   400.00
         3  2026-12-15     400.00     60.00  460.00     0.00
    """)


def test_murabaha_profit_follows_the_cost_each_row_repays() -> None:
    # Cost 1,200, markup 15 %: profit 180.00; 300 of cost repays 300/1,200 of it (45.00),
    # 900 the rest (135.00). The sale price is 1,380.00 whatever the dates.
    harvests = (
        CustomInstallment(date(2026, 6, 15), Decimal(300)),
        CustomInstallment(date(2026, 11, 15), Decimal(900)),
    )
    murabaha = product(Method.MURABAHA, markup_percent=Decimal(15))
    assert rows(murabaha, harvests, "1200") == parse_schedule("""
        no  due         principal    profit     total  balance
         1  2026-06-15     300.00     45.00    345.00   900.00
         2  2026-11-15     900.00    135.00   1035.00     0.00
    """)


def test_qard_hasan_custom_schedule_repays_principal_only() -> None:
    harvests = (
        CustomInstallment(date(2026, 6, 15), Decimal(400)),
        CustomInstallment(date(2026, 11, 15), Decimal(600)),
    )
    assert [(row[2], row[3]) for row in rows(product(Method.QARD_HASAN), harvests)] == [
        (Decimal("400.00"), Decimal("0.00")),
        (Decimal("600.00"), Decimal("0.00")),
    ]


def test_balloon_loan_is_interest_only_until_the_principal_falls_due_at_the_end() -> None:
    # Monthly interest of 1,000 × 24 % × 30/360 = 20.00; all principal with the sixth.
    dates = [date(2026, month, 15) for month in range(4, 10)]
    assert rows(product(Method.DECLINING), balloon(Decimal(1000), dates)) == parse_schedule("""
        no  due         principal  interest    total  balance
         1  2026-04-15       0.00     20.00    20.00  1000.00
         2  2026-05-15       0.00     20.00    20.00  1000.00
         3  2026-06-15       0.00     20.00    20.00  1000.00
         4  2026-07-15       0.00     20.00    20.00  1000.00
         5  2026-08-15       0.00     20.00    20.00  1000.00
         6  2026-09-15    1000.00     20.00  1020.00     0.00
    """)


def test_a_custom_schedule_on_regular_dates_charges_what_the_regular_schedule_does() -> None:
    # 30/360 counts every month from the 15th as 30 days: 2 % a month, as the periodic rule.
    declining = product(Method.DECLINING)
    regular = build_schedule(LoanTerms(declining, Decimal(1000), 12, date(2026, 1, 15)))
    same = tuple(CustomInstallment(r.due_date, r.principal) for r in regular.installments)
    custom = build_schedule(custom_terms(declining, Decimal(1000), date(2026, 1, 15), same))
    assert custom.installments == regular.installments


def test_custom_apr_and_eir_come_from_xirr_of_the_dated_cash_flows() -> None:
    schedule = build_schedule(
        custom_terms(product(Method.DECLINING), Decimal(1000), DISBURSED, HARVESTS)
    )
    disclosure = disclose(schedule)
    # EIR x solves Σ flow × (1 + x)^(−days ÷ 365) = 0 over +1,000 on 15 Mar, −60 on 15 Jun
    # (92 days), −660 on 15 Sep (184), −424 on 15 Dec (275).
    start = schedule.disbursed
    present = sum(
        (
            flow * (1 + disclosure.eir) ** (-Decimal((day - start).days) / 365)
            for day, flow in dated_cash_flows(schedule)
        ),
        Decimal(0),
    )
    assert abs(present) < Decimal("0.000001")
    # APR is that rate compounded monthly (the product's frequency): 12 × ((1 + EIR)^(1/12) − 1).
    assert disclosure.apr == 12 * ((1 + disclosure.eir) ** (Decimal(1) / 12) - 1)
    assert (disclosure.apr_percent, disclosure.eir_percent) == (Decimal("23.38"), Decimal("26.06"))


@pytest.mark.parametrize(
    ("installments", "amount", "field", "code"),
    [
        (HARVESTS, "900", "custom", "principal_not_the_amount"),
        (
            (
                CustomInstallment(date(2026, 9, 15), Decimal(500)),
                CustomInstallment(date(2026, 6, 15), Decimal(500)),
            ),
            "1000",
            "custom.2",
            "not_in_order",
        ),
        ((CustomInstallment(date(2026, 3, 1), Decimal(1000)),), "1000", "custom.1", "not_in_order"),
        (
            (
                CustomInstallment(date(2026, 6, 15), Decimal(1000)),
                CustomInstallment(date(2026, 9, 15)),
            ),
            "1000",
            "custom.2",
            "interest_only",
        ),
        (
            (CustomInstallment(date(2026, 6, 15), Decimal("1000.001")),),
            "1000",
            "custom.1",
            "too_precise",
        ),
        ((CustomInstallment(date(2026, 6, 15), Decimal(-5)),), "1000", "custom.1", "negative"),
    ],
)
def test_bad_custom_rows_are_reported_by_row(
    installments: tuple[CustomInstallment, ...], amount: str, field: str, code: str
) -> None:
    errors = validate_terms(
        custom_terms(product(Method.DECLINING), Decimal(amount), DISBURSED, installments)
    )
    assert (field, code) in {(error.field, error.code) for error in errors}


def test_a_product_must_allow_custom_schedules() -> None:
    plain = product(Method.DECLINING, custom_schedule=False)
    with pytest.raises(InvalidTerms, match="custom"):
        build_schedule(custom_terms(plain, Decimal(1000), DISBURSED, HARVESTS))


def test_murabaha_and_qard_hasan_rows_must_repay_principal() -> None:
    errors = validate_terms(
        custom_terms(product(Method.QARD_HASAN), Decimal(1000), DISBURSED, HARVESTS)
    )
    assert ("custom.1", "interest_only_not_allowed") in {(e.field, e.code) for e in errors}


def test_the_product_grace_does_not_apply_to_a_custom_schedule() -> None:
    # The officer's interest-only rows are the grace; a product grace longer than the rows
    # is no error and changes nothing.
    graced = product(Method.DECLINING)
    graced = replace(graced, grace=replace(graced.grace, principal=5))
    assert rows(graced) == rows(product(Method.DECLINING))


@PROPERTY_SLOW
@given(custom_loans())
def test_custom_schedules_sum_exactly_and_agree_with_the_reference(terms: LoanTerms) -> None:
    schedule = build_schedule(terms)
    assert sum(row.principal for row in schedule.installments) == terms.amount
    assert schedule.installments[-1].balance == 0
    assert all(min(row.principal, row.charge, row.balance) >= 0 for row in schedule.installments)
    expected = reference_schedule(terms)
    assert expected is not None
    assert [tuple(row) for row in schedule.installments] == expected.rows
    if terms.product.savings is None:
        # XIRR converges on every loan-shaped cash flow (savings returned with interest can make
        # the client a net lender, with no rate of return to disclose).
        disclose(schedule)
