"""Payoff quotes: declining loans owe charge to date; flat and Murabaha follow the rebate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tandir.engine import (
    Excess,
    LoanTerms,
    Method,
    Payment,
    Product,
    RebatePolicy,
    allocate,
    build_schedule,
    initial_state,
    payoff_quote,
)

DISBURSED = date(2026, 1, 15)
# 1 March 2026 is 14 of the 28 days between the first (15 Feb) and second (15 Mar) due dates.
AS_OF = date(2026, 3, 1)


def quote_after_first_installment(product: Product) -> tuple[Decimal, Decimal, Decimal]:
    schedule = build_schedule(LoanTerms(product, Decimal(1000), 12, DISBURSED))
    first = schedule.installments[0]
    state, _ = allocate(initial_state(schedule), Payment("1", first.due_date, first.total))
    quote = payoff_quote(schedule, state, AS_OF)
    return quote.principal, quote.charge, quote.rebate


def test_declining_loan_owes_interest_only_up_to_the_payoff_date() -> None:
    product = Product(Method.DECLINING, "USD", annual_rate_percent=Decimal(24))
    # Half of the second installment's 18.51 interest: 9.255 → 9.26.
    principal, charge, _ = quote_after_first_installment(product)
    assert (principal, charge) == (Decimal("925.44"), Decimal("9.26"))


def test_flat_loan_without_rebate_owes_all_remaining_interest() -> None:
    product = Product(Method.FLAT, "USD", annual_rate_percent=Decimal(24))
    assert quote_after_first_installment(product) == (
        Decimal("916.67"),
        Decimal("220.00"),
        Decimal("0.00"),
    )


def test_flat_loan_with_a_full_rebate_owes_interest_to_date_only() -> None:
    product = Product(
        Method.FLAT, "USD", annual_rate_percent=Decimal(24), rebate=RebatePolicy(Decimal(100))
    )
    assert quote_after_first_installment(product) == (
        Decimal("916.67"),
        Decimal("10.00"),
        Decimal("210.00"),
    )


def test_murabaha_with_a_half_rebate_gives_back_half_of_the_unearned_profit() -> None:
    product = Product(
        Method.MURABAHA, "USD", markup_percent=Decimal(15), rebate=RebatePolicy(Decimal(50))
    )
    # Profit 12.50 an installment; 11 unpaid = 137.50; earned to date 6.25 (half a period);
    # half of the unearned 131.25 is 65.625, rounded half-up to 65.63.
    assert quote_after_first_installment(product) == (
        Decimal("916.67"),
        Decimal("71.87"),
        Decimal("65.63"),
    )


def test_qard_hasan_payoff_is_the_unpaid_principal() -> None:
    product = Product(Method.QARD_HASAN, "USD")
    assert quote_after_first_installment(product) == (
        Decimal("916.67"),
        Decimal("0.00"),
        Decimal("0.00"),
    )


def test_held_credit_goes_towards_the_payoff_and_the_rest_is_refunded() -> None:
    # Flat loan, 300.00 paid on 1 February and held as credit. On 1 March the payoff owes
    # 1,000.00 principal and 240.00 interest (no rebate): 1,240.00, of which 300.00 is held.
    product = Product(
        Method.FLAT, "USD", annual_rate_percent=Decimal(24), excess=Excess.HOLD_AS_CREDIT
    )
    schedule = build_schedule(LoanTerms(product, Decimal(1000), 12, DISBURSED))
    state, _ = allocate(initial_state(schedule), Payment("1", date(2026, 2, 1), Decimal(300)))
    quote = payoff_quote(schedule, state, AS_OF)
    assert (quote.owed, quote.credit, quote.total, quote.refund) == (
        Decimal("1240.00"),
        Decimal("300.00"),
        Decimal("940.00"),
        Decimal("0.00"),
    )
