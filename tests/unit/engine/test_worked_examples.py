"""The worked examples of the domain reference (sections 2 and 4), as printed schedules.

1,000 USD at 2 % a month (24 % a year) for 12 monthly installments, disbursed 15 January 2026.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tandir.engine import (
    CompulsorySavings,
    Fee,
    LoanTerms,
    Method,
    Product,
    build_schedule,
    disclose,
)
from tests.unit.engine.tables import Row, parse_schedule, schedule_rows

DISBURSED = date(2026, 1, 15)


def loan(
    method: Method, fees: tuple[Fee, ...] = (), savings: CompulsorySavings | None = None
) -> LoanTerms:
    product = Product(method, "USD", annual_rate_percent=Decimal(24), fees=fees, savings=savings)
    return LoanTerms(product, Decimal(1000), 12, DISBURSED)


def schedule_of(method: Method) -> list[Row]:
    return schedule_rows(build_schedule(loan(method)))


FLAT = """
no  due         principal  interest   total  balance
 1  2026-02-15      83.33     20.00  103.33   916.67
 2  2026-03-15      83.33     20.00  103.33   833.34
 3  2026-04-15      83.33     20.00  103.33   750.01
 4  2026-05-15      83.33     20.00  103.33   666.68
 5  2026-06-15      83.33     20.00  103.33   583.35
 6  2026-07-15      83.33     20.00  103.33   500.02
 7  2026-08-15      83.33     20.00  103.33   416.69
 8  2026-09-15      83.33     20.00  103.33   333.36
 9  2026-10-15      83.33     20.00  103.33   250.03
10  2026-11-15      83.33     20.00  103.33   166.70
11  2026-12-15      83.33     20.00  103.33    83.37
12  2027-01-15      83.37     20.00  103.37     0.00
"""

ANNUITY = """
no  due         principal  interest   total  balance
 1  2026-02-15      74.56     20.00   94.56   925.44
 2  2026-03-15      76.05     18.51   94.56   849.39
 3  2026-04-15      77.57     16.99   94.56   771.82
 4  2026-05-15      79.12     15.44   94.56   692.70
 5  2026-06-15      80.71     13.85   94.56   611.99
 6  2026-07-15      82.32     12.24   94.56   529.67
 7  2026-08-15      83.97     10.59   94.56   445.70
 8  2026-09-15      85.65      8.91   94.56   360.05
 9  2026-10-15      87.36      7.20   94.56   272.69
10  2026-11-15      89.11      5.45   94.56   183.58
11  2026-12-15      90.89      3.67   94.56    92.69
12  2027-01-15      92.69      1.85   94.54     0.00
"""

# The reference rounds "103.33 falling to 85.00"; exact to the cent, the 0.04 principal remainder
# lands in the last installment: 83.37 + 1.67 = 85.04.
EQUAL_PRINCIPAL = """
no  due         principal  interest   total  balance
 1  2026-02-15      83.33     20.00  103.33   916.67
 2  2026-03-15      83.33     18.33  101.66   833.34
 3  2026-04-15      83.33     16.67  100.00   750.01
 4  2026-05-15      83.33     15.00   98.33   666.68
 5  2026-06-15      83.33     13.33   96.66   583.35
 6  2026-07-15      83.33     11.67   95.00   500.02
 7  2026-08-15      83.33     10.00   93.33   416.69
 8  2026-09-15      83.33      8.33   91.66   333.36
 9  2026-10-15      83.33      6.67   90.00   250.03
10  2026-11-15      83.33      5.00   88.33   166.70
11  2026-12-15      83.33      3.33   86.66    83.37
12  2027-01-15      83.37      1.67   85.04     0.00
"""


def test_flat_loan_rounding_remainder_goes_to_last_installment() -> None:
    assert schedule_of(Method.FLAT) == parse_schedule(FLAT)


def test_flat_loan_pays_11_installments_of_103_33_and_a_last_of_103_37() -> None:
    totals = [row[4] for row in schedule_of(Method.FLAT)]
    assert totals == [Decimal("103.33")] * 11 + [Decimal("103.37")]


def test_annuity_loan_pays_11_installments_of_94_56_and_a_last_of_94_54() -> None:
    assert schedule_of(Method.DECLINING) == parse_schedule(ANNUITY)
    totals = [row[4] for row in schedule_of(Method.DECLINING)]
    assert totals == [Decimal("94.56")] * 11 + [Decimal("94.54")]


def test_annuity_total_interest_is_134_70_after_the_remainder_not_12_times_94_56() -> None:
    # The reference's 134.72 is 12 × 94.56 − 1,000, before the last installment absorbs −0.02.
    interest = sum(row[3] for row in schedule_of(Method.DECLINING))
    assert interest == Decimal("134.70")


def test_equal_principal_loan_installments_fall_from_103_33() -> None:
    assert schedule_of(Method.EQUAL_PRINCIPAL) == parse_schedule(EQUAL_PRINCIPAL)


@pytest.mark.parametrize(
    ("method", "total_interest"),
    [(Method.FLAT, "240.00"), (Method.EQUAL_PRINCIPAL, "130.00")],
)
def test_total_interest_matches_the_reference_table(method: Method, total_interest: str) -> None:
    interest = sum(row[3] for row in schedule_of(method))
    assert interest == Decimal(total_interest)


# Case                                         APR %   EIR %
APR_EIR = """
flat interest only                             41.7    50.7
+ 2% upfront fee                               45.8    56.8
+ 10% compulsory savings held to the end       54.8    71.0
"""

TWO_PERCENT_FEE = (Fee("upfront", Decimal(2), is_percent=True),)
TEN_PERCENT_SAVINGS = CompulsorySavings(Decimal(10))
CASES = {
    "flat interest only": loan(Method.FLAT),
    "+ 2% upfront fee": loan(Method.FLAT, TWO_PERCENT_FEE),
    "+ 10% compulsory savings held to the end": loan(
        Method.FLAT, TWO_PERCENT_FEE, TEN_PERCENT_SAVINGS
    ),
}


def _apr_eir_rows() -> list[tuple[str, Decimal, Decimal]]:
    rows = []
    for line in APR_EIR.strip().splitlines():
        name, apr, eir = line.rsplit(maxsplit=2)
        rows.append((name.strip(), Decimal(apr), Decimal(eir)))
    return rows


@pytest.mark.parametrize(("case", "apr", "eir"), _apr_eir_rows())
def test_flat_loan_apr_and_eir_match_the_mftransparency_table(
    case: str, apr: Decimal, eir: Decimal
) -> None:
    disclosure = disclose(build_schedule(CASES[case]))
    assert disclosure.apr_percent.quantize(Decimal("0.1")) == apr
    assert disclosure.eir_percent.quantize(Decimal("0.1")) == eir


def test_flat_loan_disclosure_to_two_decimals() -> None:
    disclosure = disclose(build_schedule(loan(Method.FLAT)))
    assert (disclosure.apr_percent, disclosure.eir_percent) == (Decimal("41.70"), Decimal("50.67"))
    assert disclosure.total_cost_of_credit == Decimal("240.00")


def test_savings_case_client_receives_880_and_gets_100_back_with_the_last_installment() -> None:
    schedule = build_schedule(loan(Method.FLAT, TWO_PERCENT_FEE, TEN_PERCENT_SAVINGS))
    assert schedule.amount_received == Decimal("880.00")
    assert schedule.savings_returned == Decimal("100.00")
    assert schedule.total_cost_of_credit() == Decimal("260.00")
