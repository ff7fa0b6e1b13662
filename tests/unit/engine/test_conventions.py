"""The conventions of the systems MFIs migrate from, as printed schedules computed by hand.

Unless a test says otherwise: 1,000.00 USD at 24 % a year (2 % a month) declining balance,
disbursed 15 January 2026, monthly. EMI = 1,000 × 0.02 ÷ (1 − 1.02⁻ⁿ): 178.5258 for 6 months.
Interest of a period is 2 % of the balance before it, rounded half-up to the cent.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from tandir.engine import (
    DayCount,
    EmiBasis,
    Frequency,
    Grace,
    InstallmentRounding,
    InterestGraceStyle,
    InvalidTerms,
    LoanTerms,
    Method,
    Product,
    RoundingMode,
    build_schedule,
    validate_terms,
)
from tests.unit.engine.tables import Row, parse_schedule, schedule_rows

DISBURSED = date(2026, 1, 15)
DECLINING = Product(Method.DECLINING, "USD", annual_rate_percent=Decimal(24))


def rows(
    product: Product, amount: str = "1000", count: int = 6, disbursed: date = DISBURSED
) -> list[Row]:
    return schedule_rows(build_schedule(LoanTerms(product, Decimal(amount), count, disbursed)))


def test_fineract_installment_in_multiples_of_5_rounds_the_whole_installment() -> None:
    # 178.5258 is 35.705 fives: nearest multiple 180.00. Interest stays in cents; principal is
    # 180.00 − interest: 160.00, 163.20, 13.536 → 13.54 so 166.46, … The last takes the balance.
    product = replace(DECLINING, round_installment_to=Decimal(5))
    assert rows(product) == parse_schedule("""
        no  due         principal  interest   total  balance
         1  2026-02-15     160.00     20.00  180.00   840.00
         2  2026-03-15     163.20     16.80  180.00   676.80
         3  2026-04-15     166.46     13.54  180.00   510.34
         4  2026-05-15     169.79     10.21  180.00   340.55
         5  2026-06-15     173.19      6.81  180.00   167.36
         6  2026-07-15     167.36      3.35  170.71     0.00
    """)


def test_rounding_each_component_to_5_is_a_different_rule_from_rounding_the_installment() -> None:
    # --round-to 5 rounds the EMI to 180 and the interest as well: 20, 15 (16.80 → 15), …
    product = replace(DECLINING, round_to=Decimal(5))
    charges = [row[3] for row in rows(product)]
    assert charges[:3] == [Decimal("20.00"), Decimal("15.00"), Decimal("15.00")]


def test_frappe_lending_rounds_the_monthly_repayment_up_to_a_whole_unit() -> None:
    # ceil(178.5258) = 179; interest in cents, principal = 179 − interest.
    product = replace(
        DECLINING, round_installment_to=Decimal(1), installment_rounding=InstallmentRounding.UP
    )
    assert rows(product) == parse_schedule("""
        no  due         principal  interest   total  balance
         1  2026-02-15     159.00     20.00  179.00   841.00
         2  2026-03-15     162.18     16.82  179.00   678.82
         3  2026-04-15     165.42     13.58  179.00   513.40
         4  2026-05-15     168.73     10.27  179.00   344.67
         5  2026-06-15     172.11      6.89  179.00   172.56
         6  2026-07-15     172.56      3.45  176.01     0.00
    """)


def test_installment_rounding_up_without_a_multiple_is_a_ceiling_to_the_cent() -> None:
    # 100.00 at 12 % a year over 3 months: EMI 100 × 0.01 ÷ (1 − 1.01⁻³) = 34.00221.
    product = Product(Method.DECLINING, "USD", annual_rate_percent=Decimal(12))
    nearest = rows(product, "100", 3)
    up = rows(replace(product, installment_rounding=InstallmentRounding.UP), "100", 3)
    assert [row[4] for row in nearest[:2]] == [Decimal("34.00")] * 2
    assert [row[4] for row in up[:2]] == [Decimal("34.01")] * 2


def test_installment_rounding_applies_to_flat_loans_too() -> None:
    # Flat 1,000 at 24 % over 6 months: 166.667 principal + 20.00 interest = 186.667 → 190 in
    # multiples of 10; principal 170.00, and 150.00 in the last.
    product = Product(
        Method.FLAT, "USD", annual_rate_percent=Decimal(24), round_installment_to=Decimal(10)
    )
    assert rows(product) == parse_schedule("""
        no  due         principal  interest   total  balance
         1  2026-02-15     170.00     20.00  190.00   830.00
         2  2026-03-15     170.00     20.00  190.00   660.00
         3  2026-04-15     170.00     20.00  190.00   490.00
         4  2026-05-15     170.00     20.00  190.00   320.00
         5  2026-06-15     170.00     20.00  190.00   150.00
         6  2026-07-15     150.00     20.00  170.00     0.00
    """)


def test_emi_adjustment_keeps_the_emi_whose_last_installment_is_closest() -> None:
    # 5,000.00 at 30 % a year (2.5 % a month) over 12 months: EMI 487.4356 → 487.44, whose last
    # installment is 487.37 (0.07 from the others). One cent less, 487.43, leaves a last of
    # 487.49 (0.06 from them); one cent more, 487.45, a last of 487.24 (0.21). So 487.43.
    product = Product(Method.DECLINING, "USD", annual_rate_percent=Decimal(30), emi_adjust=True)
    assert rows(product, "5000", 12) == parse_schedule("""
        no  due         principal  interest   total  balance
         1  2026-02-15     362.43    125.00  487.43  4637.57
         2  2026-03-15     371.49    115.94  487.43  4266.08
         3  2026-04-15     380.78    106.65  487.43  3885.30
         4  2026-05-15     390.30     97.13  487.43  3495.00
         5  2026-06-15     400.05     87.38  487.43  3094.95
         6  2026-07-15     410.06     77.37  487.43  2684.89
         7  2026-08-15     420.31     67.12  487.43  2264.58
         8  2026-09-15     430.82     56.61  487.43  1833.76
         9  2026-10-15     441.59     45.84  487.43  1392.17
        10  2026-11-15     452.63     34.80  487.43   939.54
        11  2026-12-15     463.94     23.49  487.43   475.60
        12  2027-01-15     475.60     11.89  487.49     0.00
    """)
    unadjusted = rows(replace(product, emi_adjust=False), "5000", 12)
    assert (unadjusted[0][4], unadjusted[-1][4]) == (Decimal("487.44"), Decimal("487.37"))


def test_emi_adjustment_keeps_the_rounded_emi_when_it_is_already_the_closest() -> None:
    # 1,000 at 24 % over 12: 94.56 leaves a last of 94.54; 94.55 and 94.57 leave 94.66 and 94.42.
    product = replace(DECLINING, emi_adjust=True)
    totals = [row[4] for row in rows(product, "1000", 12)]
    assert totals == [Decimal("94.56")] * 11 + [Decimal("94.54")]


# Disbursed 1 January 2026, due 1 February (31 days), 1 March (28), 1 April (31); actual/365.
# Each period's rate is 24 % × days ÷ 365: 2.0384 %, 1.8411 %, 2.0384 %.
DAY_COUNT = replace(DECLINING, day_count=DayCount.ACTUAL_365)


def test_emi_from_the_nominal_rate_with_interest_by_the_day_count() -> None:
    # EMI 1,000 × 0.02 ÷ (1 − 1.02⁻³) = 346.75; interest 1,000 × 0.24 × 31 ÷ 365 = 20.38,
    # 673.63 × 0.24 × 28 ÷ 365 = 12.40, 339.28 × 0.24 × 31 ÷ 365 = 6.92: the last is 346.20.
    assert rows(DAY_COUNT, count=3, disbursed=date(2026, 1, 1)) == parse_schedule("""
        no  due         principal  interest   total  balance
         1  2026-02-01     326.37     20.38  346.75   673.63
         2  2026-03-01     334.35     12.40  346.75   339.28
         3  2026-04-01     339.28      6.92  346.20     0.00
    """)


def test_fineract_progressive_emi_from_each_periods_day_count_rate() -> None:
    # EMI = 1,000 ÷ (1/1.020384 + 1/(1.020384 × 1.018411) + 1/(1.020384 × 1.018411 × 1.020384))
    # = 346.5708 → 346.57; the same interest rule then leaves a last installment of 346.57.
    product = replace(DAY_COUNT, emi_from=EmiBasis.DAY_COUNT)
    assert rows(product, count=3, disbursed=date(2026, 1, 1)) == parse_schedule("""
        no  due         principal  interest   total  balance
         1  2026-02-01     326.19     20.38  346.57   673.81
         2  2026-03-01     334.16     12.41  346.57   339.65
         3  2026-04-01     339.65      6.92  346.57     0.00
    """)


def test_emi_from_day_count_needs_a_day_count() -> None:
    errors = validate_terms(
        LoanTerms(replace(DECLINING, emi_from=EmiBasis.DAY_COUNT), Decimal(1000), 6, DISBURSED)
    )
    assert [(e.field, e.code) for e in errors] == [("emi_from", "needs_day_count")]


def test_actual_actual_splits_a_period_at_the_year_end() -> None:
    # Interest only for three months (principal grace), disbursed 15 December 2027:
    # 17 days of 2027 and 14 of 2028: 1,000 × 0.24 × (17 ÷ 365 + 14 ÷ 366) = 20.358 → 20.36;
    # 31 days of 2028 (a leap year): 1,000 × 0.24 × 31 ÷ 366 = 20.33; 29 days: 19.02; 31: 20.33.
    product = replace(DECLINING, day_count=DayCount.ACTUAL_ACTUAL, grace=Grace(principal=3))
    assert rows(product, count=4, disbursed=date(2027, 12, 15)) == parse_schedule("""
        no  due         principal  interest    total  balance
         1  2028-01-15       0.00     20.36    20.36  1000.00
         2  2028-02-15       0.00     20.33    20.33  1000.00
         3  2028-03-15       0.00     19.02    19.02  1000.00
         4  2028-04-15    1000.00     20.33  1020.33     0.00
    """)
    # Actual/365 counts every one of those days as 1/365: 20.38, 20.38, 19.07.
    same_days = replace(product, day_count=DayCount.ACTUAL_365)
    charges = [row[3] for row in rows(same_days, count=4, disbursed=date(2027, 12, 15))]
    assert charges[:3] == [Decimal("20.38"), Decimal("20.38"), Decimal("19.07")]


def interest_grace(style: InterestGraceStyle) -> Product:
    return replace(DECLINING, grace=Grace(interest_payment=2, interest_style=style))


def test_grace_on_interest_next_pays_all_deferred_interest_with_the_first_installment_after() -> (
    None
):
    # Fineract's cumulative loans. EMI 178.53; principal = 178.53 − the period's interest.
    # Interest of periods 1 and 2 (20.00 + 16.83 = 36.83) is due with installment 3, on top of
    # its own 13.60: 50.43.
    assert rows(interest_grace(InterestGraceStyle.NEXT)) == parse_schedule("""
        no  due         principal  interest   total  balance
         1  2026-02-15     158.53      0.00  158.53   841.47
         2  2026-03-15     161.70      0.00  161.70   679.77
         3  2026-04-15     164.93     50.43  215.36   514.84
         4  2026-05-15     168.23     10.30  178.53   346.61
         5  2026-06-15     171.60      6.93  178.53   175.01
         6  2026-07-15     175.01      3.50  178.51     0.00
    """)


def test_grace_on_interest_spread_is_still_the_default() -> None:
    # The same 36.83 deferred, spread as 9.21 × 3 + 9.20 over installments 3 to 6.
    spread = rows(interest_grace(InterestGraceStyle.SPREAD))
    assert [row[3] for row in spread] == [
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("22.81"),
        Decimal("19.51"),
        Decimal("16.14"),
        Decimal("12.70"),
    ]
    assert Grace().interest_style is InterestGraceStyle.SPREAD


def test_grace_on_interest_emi_keeps_the_ungraced_emi_from_the_first_installment() -> None:
    # Fineract's progressive loans. The installment is 178.53 throughout. Periods 1 and 2: all
    # of it is principal, interest 20.00 and 821.47 × 2 % = 16.43 is deferred (36.43). Period 3:
    # the deferred 36.43 first, then its own 642.94 × 2 % = 12.86, principal the rest 129.24.
    assert rows(interest_grace(InterestGraceStyle.EMI)) == parse_schedule("""
        no  due         principal  interest   total  balance
         1  2026-02-15     178.53      0.00  178.53   821.47
         2  2026-03-15     178.53      0.00  178.53   642.94
         3  2026-04-15     129.24     49.29  178.53   513.70
         4  2026-05-15     168.26     10.27  178.53   345.44
         5  2026-06-15     171.62      6.91  178.53   173.82
         6  2026-07-15     173.82      3.48  177.30     0.00
    """)


def test_grace_on_interest_emi_refuses_a_grace_that_repays_the_loan_before_the_last_one() -> None:
    # 7 monthly installments at 60 % a year: EMI 1,000 × 0.05 ÷ (1 − 1.05⁻⁷) = 172.82; six of
    # them as principal would be 1,036.92, more than the loan.
    product = Product(
        Method.DECLINING,
        "USD",
        annual_rate_percent=Decimal(60),
        grace=Grace(interest_payment=6, interest_style=InterestGraceStyle.EMI),
    )
    with pytest.raises(InvalidTerms, match=r"grace\.interest_payment"):
        build_schedule(LoanTerms(product, Decimal(1000), 7, DISBURSED))


@pytest.mark.parametrize(
    ("product", "field"),
    [
        (
            replace(DECLINING, round_to=Decimal(10), round_installment_to=Decimal(25)),
            "round_installment_to",
        ),
        (
            Product(Method.FLAT, "USD", annual_rate_percent=Decimal(24), emi_adjust=True),
            "emi_adjust",
        ),
        (
            Product(
                Method.FLAT,
                "USD",
                annual_rate_percent=Decimal(24),
                grace=Grace(interest_payment=1, interest_style=InterestGraceStyle.EMI),
            ),
            "grace.interest_style",
        ),
        (
            replace(
                DECLINING,
                grace=Grace(principal=1, interest_payment=1, interest_style=InterestGraceStyle.EMI),
            ),
            "grace.interest_style",
        ),
    ],
)
def test_conventions_that_do_not_fit_the_product_are_terms_errors(
    product: Product, field: str
) -> None:
    errors = validate_terms(LoanTerms(product, Decimal(1000), 6, DISBURSED))
    assert field in {error.field for error in errors}


def test_fineract_half_even_rounds_half_a_cent_to_the_even_cent() -> None:
    # 26.00 at 1 % a year weekly: 26 × 0.01 ÷ 52 = 0.005 exactly, half a cent. Half-up (the
    # default) charges 0.01; half-even (Fineract's default) charges 0.00.
    def first_interest(mode: RoundingMode) -> Decimal:
        product = Product(
            Method.DECLINING,
            "USD",
            frequency=Frequency.WEEKLY,
            annual_rate_percent=Decimal(1),
            rounding_mode=mode,
        )
        return build_schedule(LoanTerms(product, Decimal(26), 2, DISBURSED)).installments[0].charge

    assert first_interest(RoundingMode.HALF_UP) == Decimal("0.01")
    assert first_interest(RoundingMode.HALF_EVEN) == Decimal("0.00")
