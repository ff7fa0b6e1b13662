"""Schedules beyond the worked examples: grace, fees, savings, Islamic products, validation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tandir.engine import (
    CompulsorySavings,
    DayCount,
    Fee,
    FeeTiming,
    Frequency,
    Grace,
    HolidayCalendar,
    InvalidTerms,
    LoanTerms,
    Method,
    Product,
    SavingsTiming,
    build_schedule,
    disclose,
    validate_terms,
)
from tests.unit.engine.tables import parse_schedule, schedule_rows

DISBURSED = date(2026, 1, 15)


def six_months(product: Product, amount: str = "1000") -> list[tuple[object, ...]]:
    return list(schedule_rows(build_schedule(LoanTerms(product, Decimal(amount), 6, DISBURSED))))


def declining(principal: int = 0, interest_payment: int = 0) -> Product:
    grace = Grace(principal=principal, interest_payment=interest_payment)
    return Product(Method.DECLINING, "USD", annual_rate_percent=Decimal(24), grace=grace)


def test_principal_grace_makes_the_first_installments_interest_only() -> None:
    assert six_months(declining(principal=2)) == parse_schedule("""
        no  due         principal  interest   total  balance
         1  2026-02-15       0.00     20.00   20.00  1000.00
         2  2026-03-15       0.00     20.00   20.00  1000.00
         3  2026-04-15     242.62     20.00  262.62   757.38
         4  2026-05-15     247.47     15.15  262.62   509.91
         5  2026-06-15     252.42     10.20  262.62   257.49
         6  2026-07-15     257.49      5.15  262.64     0.00
    """)


def test_interest_payment_grace_defers_interest_and_spreads_it_without_interest_on_it() -> None:
    # 20.00 + 16.83 deferred = 36.83, spread as 9.21 × 3 + 9.20.
    assert six_months(declining(interest_payment=2)) == parse_schedule("""
        no  due         principal  interest   total  balance
         1  2026-02-15     158.53      0.00  158.53   841.47
         2  2026-03-15     161.70      0.00  161.70   679.77
         3  2026-04-15     164.93     22.81  187.74   514.84
         4  2026-05-15     168.23     19.51  187.74   346.61
         5  2026-06-15     171.60     16.14  187.74   175.01
         6  2026-07-15     175.01     12.70  187.71     0.00
    """)


def test_interest_free_grace_charges_nothing_in_the_first_periods() -> None:
    product = Product(
        Method.FLAT, "USD", annual_rate_percent=Decimal(24), grace=Grace(interest_free=2)
    )
    charges = [row[3] for row in six_months(product)]
    assert charges == [Decimal("0.00")] * 2 + [Decimal("20.00")] * 4


def test_fees_and_savings_per_installment_are_in_the_total_but_not_the_balance() -> None:
    product = Product(
        Method.DECLINING,
        "USD",
        annual_rate_percent=Decimal(24),
        fees=(Fee("sms", Decimal(1), timing=FeeTiming.PER_INSTALLMENT),),
        savings=CompulsorySavings(Decimal(5), False, SavingsTiming.PER_INSTALLMENT),
    )
    schedule = build_schedule(LoanTerms(product, Decimal(1000), 6, DISBURSED))
    first = schedule.installments[0]
    assert (first.principal, first.charge, first.fees, first.savings, first.total) == (
        Decimal("158.53"),
        Decimal("20.00"),
        Decimal("1.00"),
        Decimal("5.00"),
        Decimal("184.53"),
    )
    assert schedule.savings_returned == Decimal("30.00")
    assert schedule.total_cost_of_credit() == Decimal("77.16")  # 71.16 interest + 6.00 fees


def test_upfront_fee_paid_separately_leaves_the_disbursement_whole_but_not_the_apr() -> None:
    deducted = Fee("upfront", Decimal(2), is_percent=True)
    separate = Fee("upfront", Decimal(2), is_percent=True, deducted_from_disbursement=False)
    rate = Decimal(24)
    first = build_schedule(
        LoanTerms(
            Product(Method.FLAT, "USD", annual_rate_percent=rate, fees=(deducted,)),
            Decimal(1000),
            12,
            DISBURSED,
        )
    )
    second = build_schedule(
        LoanTerms(
            Product(Method.FLAT, "USD", annual_rate_percent=rate, fees=(separate,)),
            Decimal(1000),
            12,
            DISBURSED,
        )
    )
    assert (first.amount_received, second.amount_received) == (Decimal("980.00"), Decimal("1000"))
    assert disclose(first).apr_percent == disclose(second).apr_percent == Decimal("45.84")


def test_murabaha_sale_price_is_cost_plus_markup_recognised_straight_line() -> None:
    product = Product(Method.MURABAHA, "USD", markup_percent=Decimal(15))
    schedule = build_schedule(LoanTerms(product, Decimal(1200), 6, DISBURSED))
    assert [row.charge for row in schedule.installments] == [Decimal("30.00")] * 6
    assert schedule.totals().total == Decimal("1380.00")


def test_murabaha_rounded_to_10_amd_still_sums_to_the_exact_sale_price() -> None:
    product = Product(Method.MURABAHA, "AMD", markup_percent=Decimal(15), round_to=Decimal(10))
    rows = six_months(product, "500005")
    assert rows == parse_schedule("""
        no  due         principal    profit      total    balance
         1  2026-02-15   83330.00  12500.00   95830.00  416675.00
         2  2026-03-15   83330.00  12500.00   95830.00  333345.00
         3  2026-04-15   83330.00  12500.00   95830.00  250015.00
         4  2026-05-15   83330.00  12500.00   95830.00  166685.00
         5  2026-06-15   83330.00  12500.00   95830.00   83355.00
         6  2026-07-15   83355.00  12500.75   95855.75       0.00
    """)
    assert sum(row[4] for row in rows) == Decimal("575005.75")  # type: ignore[misc]


def test_qard_hasan_repays_principal_only_and_its_service_fee_ignores_amount_and_term() -> None:
    product = Product(Method.QARD_HASAN, "PKR", fees=(Fee("service", Decimal(500)),))
    small = build_schedule(LoanTerms(product, Decimal(10000), 6, DISBURSED))
    large = build_schedule(LoanTerms(product, Decimal(90000), 24, DISBURSED))
    assert small.upfront_fees == large.upfront_fees == Decimal("500.00")
    assert small.totals().charge == large.totals().charge == Decimal("0.00")
    assert small.totals().principal == Decimal("10000.00")


def test_qard_hasan_without_fee_has_apr_zero() -> None:
    product = Product(Method.QARD_HASAN, "USD")
    disclosure = disclose(build_schedule(LoanTerms(product, Decimal(1000), 12, DISBURSED)))
    assert (disclosure.apr_percent, disclosure.eir_percent) == (Decimal("0.00"), Decimal("0.00"))


def test_jpy_loan_has_no_decimals() -> None:
    product = Product(Method.FLAT, "JPY", annual_rate_percent=Decimal(24))
    schedule = build_schedule(LoanTerms(product, Decimal(100000), 3, DISBURSED))
    assert [str(row.total) for row in schedule.installments] == ["35333", "35333", "35334"]


def test_first_due_date_can_be_set_and_following_dates_keep_its_day() -> None:
    product = declining()
    schedule = build_schedule(LoanTerms(product, Decimal(1000), 3, DISBURSED, date(2026, 2, 28)))
    assert [row.due_date for row in schedule.installments] == [
        date(2026, 2, 28),
        date(2026, 3, 28),
        date(2026, 4, 28),
    ]


def test_invalid_terms_report_every_problem_at_once() -> None:
    product = Product(
        Method.QARD_HASAN,
        "USD",
        annual_rate_percent=Decimal(5),
        day_count=DayCount.ACTUAL_365,
        fees=(Fee("service", Decimal(2), is_percent=True),),
    )
    terms = LoanTerms(product, Decimal(-1), 0, DISBURSED)
    fields = {error.field for error in validate_terms(terms)}
    assert fields == {"amount", "installments", "annual_rate_percent", "day_count", "fees.service"}
    with pytest.raises(InvalidTerms) as raised:
        build_schedule(terms)
    assert {error.field for error in raised.value.errors} == fields


def test_a_product_problem_is_caught_even_when_the_loan_itself_is_fine() -> None:
    product = Product(
        Method.FLAT, "USD", annual_rate_percent=Decimal(24), round_to=Decimal("0.001")
    )
    with pytest.raises(InvalidTerms, match="round_to"):
        build_schedule(LoanTerms(product, Decimal(1000), 12, DISBURSED))


def test_grace_must_leave_an_installment_to_repay() -> None:
    with pytest.raises(InvalidTerms, match=r"grace\.principal"):
        build_schedule(LoanTerms(declining(principal=6), Decimal(1000), 6, DISBURSED))


@pytest.mark.parametrize(
    ("frequency", "count", "disbursed"),
    [
        (Frequency.MONTHLY, 100_000, DISBURSED),
        (Frequency.WEEKLY, 10**9, DISBURSED),
        (Frequency.MONTHLY, 1, date(9999, 12, 31)),
        (Frequency.QUARTERLY, 4, date(9999, 3, 1)),
    ],
)
def test_a_term_that_leaves_the_calendar_is_a_terms_error(
    frequency: Frequency, count: int, disbursed: date
) -> None:
    product = Product(Method.FLAT, "USD", frequency=frequency, annual_rate_percent=Decimal(24))
    errors = validate_terms(LoanTerms(product, Decimal(1000), count, disbursed))
    assert [(e.field, e.code) for e in errors] == [("installments", "beyond_calendar")]


def test_a_holiday_that_would_move_the_last_date_past_the_calendar_is_a_terms_error() -> None:
    calendar = HolidayCalendar(frozenset({date(9999, 12, 31)}))
    product = Product(Method.FLAT, "USD", annual_rate_percent=Decimal(24), calendar=calendar)
    terms = LoanTerms(product, Decimal(1000), 1, date(9999, 11, 30), date(9999, 12, 31))
    with pytest.raises(InvalidTerms, match="installments"):
        build_schedule(terms)


@pytest.mark.parametrize(
    ("fees", "savings", "field"),
    [
        ((Fee("upfront", Decimal(100), is_percent=True),), None, "fees.upfront"),
        ((Fee("upfront", Decimal(1000)),), None, "fees.upfront"),
        (
            (Fee("upfront", Decimal(600), deducted_from_disbursement=False),),
            CompulsorySavings(Decimal(40)),
            "savings",
        ),
        ((), CompulsorySavings(Decimal(100)), "savings"),
    ],
)
def test_fees_or_savings_that_leave_the_client_nothing_are_refused(
    fees: tuple[Fee, ...], savings: CompulsorySavings | None, field: str
) -> None:
    product = Product(
        Method.FLAT, "USD", annual_rate_percent=Decimal(24), fees=fees, savings=savings
    )
    with pytest.raises(InvalidTerms) as raised:
        build_schedule(LoanTerms(product, Decimal(1000), 12, DISBURSED))
    assert [error.field for error in raised.value.errors] == [field]
