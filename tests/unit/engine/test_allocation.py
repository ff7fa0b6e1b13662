"""Allocation of repayments: strategies as rule lists, excess handling, reversal and replay."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from tandir.engine import (
    OVERDUE_CHARGES_THEN_PRINCIPAL,
    PENALTIES_FEES_CHARGE_PRINCIPAL,
    PRINCIPAL_FIRST,
    Allocation,
    Component,
    Excess,
    LoanTerms,
    Method,
    Payment,
    Product,
    RepaymentState,
    Strategy,
    allocate,
    build_schedule,
    charge_penalty,
    initial_state,
    post_payment,
    replay,
    reverse,
    reverse_payment,
    start_history,
)

FLAT = Product(Method.FLAT, "USD", annual_rate_percent=Decimal(24))
SCHEDULE = build_schedule(LoanTerms(FLAT, Decimal(1000), 12, date(2026, 1, 15)))
UNPAID = initial_state(SCHEDULE)


def split(allocation: Allocation) -> str:
    """The split as lines `installment component amount`, like a receipt."""
    return "\n".join(f"{line.number} {line.component} {line.amount}" for line in allocation.lines)


def receipt(text: str) -> str:
    return "\n".join(line.strip() for line in text.strip().splitlines())


def pay(
    amount: str,
    on: date,
    strategy: Strategy = PENALTIES_FEES_CHARGE_PRINCIPAL,
    state: RepaymentState = UNPAID,
) -> tuple[RepaymentState, Allocation]:
    return allocate(state, Payment("r1", on, Decimal(amount)), strategy)


def test_default_strategy_clears_the_oldest_installment_then_pays_the_next() -> None:
    _, allocation = pay("150", date(2026, 2, 20))
    assert split(allocation) == receipt("""
        1 charge 20.00
        1 principal 83.33
        2 charge 20.00
        2 principal 26.67
    """)
    assert allocation.credit == Decimal("0.00")


def test_penalty_is_paid_before_the_installment_it_belongs_to() -> None:
    state = charge_penalty(UNPAID, 1, Decimal("5.00"))
    _, allocation = pay("30", date(2026, 2, 20), state=state)
    assert split(allocation) == receipt("""
        1 penalty 5.00
        1 charge 20.00
        1 principal 5.00
    """)


def test_partial_payment_leaves_the_installment_overdue() -> None:
    state, _ = pay("50", date(2026, 2, 15))
    first = state.installment(1)
    assert (first.charge, first.principal, first.unpaid) == (
        Decimal("0.00"),
        Decimal("53.33"),
        Decimal("53.33"),
    )


def test_rbi_strategy_takes_charges_of_overdue_and_current_installments_before_principal() -> None:
    # On 20 March installments 1 and 2 are overdue; installment 3 is the current one.
    _, allocation = pay("70", date(2026, 3, 20), OVERDUE_CHARGES_THEN_PRINCIPAL)
    assert split(allocation) == receipt("""
        1 charge 20.00
        2 charge 20.00
        3 charge 20.00
        1 principal 10.00
    """)


def test_principal_first_strategy_pays_principal_of_all_due_installments_first() -> None:
    _, allocation = pay("100", date(2026, 3, 20), PRINCIPAL_FIRST)
    assert split(allocation) == receipt("""
        1 principal 83.33
        2 principal 16.67
    """)


def test_excess_can_reduce_the_term_from_the_last_installment_backwards() -> None:
    strategy = replace(PENALTIES_FEES_CHARGE_PRINCIPAL, excess=Excess.REDUCE_TERM)
    _, allocation = pay("300", date(2026, 2, 15), strategy)
    assert split(allocation) == receipt("""
        1 charge 20.00
        1 principal 83.33
        12 principal 83.37
        11 principal 83.33
        10 principal 29.97
    """)


def test_excess_can_reduce_every_future_installment_equally() -> None:
    strategy = replace(PENALTIES_FEES_CHARGE_PRINCIPAL, excess=Excess.REDUCE_INSTALLMENT)
    state, allocation = pay("213.33", date(2026, 2, 15), strategy)
    reductions = [
        line.amount
        for line in allocation.lines
        if line.component is Component.PRINCIPAL and line.number > 1
    ]
    assert reductions == [Decimal("10.00")] * 11
    assert state.installment(5).principal == Decimal("73.33")


def test_excess_can_be_held_as_credit() -> None:
    strategy = replace(PENALTIES_FEES_CHARGE_PRINCIPAL, excess=Excess.HOLD_AS_CREDIT)
    state, allocation = pay("110", date(2026, 2, 15), strategy)
    assert allocation.credit == Decimal("6.67")
    assert state.credit == Decimal("6.67")


def test_overpaying_the_whole_loan_leaves_the_rest_as_credit() -> None:
    state, allocation = pay("1300", date(2026, 2, 15))
    assert allocation.credit == Decimal("60.00")
    assert all(row.unpaid == 0 for row in state.installments)


def test_reversing_an_allocation_restores_the_state() -> None:
    state, allocation = pay("150", date(2026, 2, 20))
    assert reverse(state, allocation) == UNPAID


def test_back_dated_payment_gives_the_same_state_as_if_it_had_come_in_order() -> None:
    first = Payment("a", date(2026, 2, 15), Decimal("103.33"))
    late = Payment("b", date(2026, 4, 20), Decimal("150.00"))
    back_dated = Payment("c", date(2026, 3, 15), Decimal("60.00"))
    strategy = OVERDUE_CHARGES_THEN_PRINCIPAL
    history = start_history(UNPAID, strategy)
    for payment in (first, late, back_dated):
        history = post_payment(history, payment)
    in_order = replay(UNPAID, [first, back_dated, late], strategy)
    assert history.state == in_order.state
    assert history.allocations == in_order.allocations
    assert [p.reference for p in history.payments] == ["a", "c", "b"]


def test_reversing_a_bounced_payment_replays_the_ones_after_it() -> None:
    payments = [
        Payment("a", date(2026, 2, 15), Decimal("103.33")),
        Payment("b", date(2026, 3, 15), Decimal("103.33")),
        Payment("c", date(2026, 4, 15), Decimal("50.00")),
    ]
    history = replay(UNPAID, payments, PENALTIES_FEES_CHARGE_PRINCIPAL)
    without_b = reverse_payment(history, "b")
    expected = replay(UNPAID, [payments[0], payments[2]], PENALTIES_FEES_CHARGE_PRINCIPAL)
    assert without_b.state == expected.state
