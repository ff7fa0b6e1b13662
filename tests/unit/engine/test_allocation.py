"""Allocation of repayments: strategies as rule lists, excess handling, reversal and replay."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from tandir.engine import (
    OVERDUE_CHARGES_THEN_PRINCIPAL,
    PENALTIES_FEES_CHARGE_PRINCIPAL,
    PRINCIPAL_FIRST,
    Allocation,
    Component,
    DuplicatePayment,
    Excess,
    InvalidTerms,
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
    validate_terms,
)

FLAT = Product(Method.FLAT, "USD", annual_rate_percent=Decimal(24))
SCHEDULE = build_schedule(LoanTerms(FLAT, Decimal(1000), 12, date(2026, 1, 15)))
UNPAID = initial_state(SCHEDULE)


def unpaid_with(strategy: Strategy, excess: Excess | None = None) -> RepaymentState:
    """The same loan under a product with another allocation strategy or excess rule."""
    product = replace(FLAT, allocation=strategy.name, excess=excess)
    return replace(UNPAID, product=product)


def split(allocation: Allocation) -> str:
    """The split as lines `installment component amount`, like a receipt."""
    return "\n".join(f"{line.number} {line.component} {line.amount}" for line in allocation.lines)


def receipt(text: str) -> str:
    return "\n".join(line.strip() for line in text.strip().splitlines())


def pay(
    amount: str,
    on: date,
    strategy: Strategy = PENALTIES_FEES_CHARGE_PRINCIPAL,
    state: RepaymentState | None = None,
    excess: Excess | None = None,
) -> tuple[RepaymentState, Allocation]:
    if state is None:
        state = unpaid_with(strategy, excess)
    return allocate(state, Payment("r1", on, Decimal(amount)))


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
    _, allocation = pay("300", date(2026, 2, 15), excess=Excess.REDUCE_TERM)
    assert split(allocation) == receipt("""
        1 charge 20.00
        1 principal 83.33
        12 principal 83.37
        11 principal 83.33
        10 principal 29.97
    """)


def test_excess_can_reduce_every_future_installment_equally() -> None:
    state, allocation = pay("213.33", date(2026, 2, 15), excess=Excess.REDUCE_INSTALLMENT)
    reductions = [
        line.amount
        for line in allocation.lines
        if line.component is Component.PRINCIPAL and line.number > 1
    ]
    assert reductions == [Decimal("10.00")] * 11
    assert state.installment(5).principal == Decimal("73.33")


def test_excess_can_be_held_as_credit() -> None:
    state, allocation = pay("110", date(2026, 2, 15), excess=Excess.HOLD_AS_CREDIT)
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
    unpaid = unpaid_with(OVERDUE_CHARGES_THEN_PRINCIPAL)
    history = start_history(unpaid)
    for payment in (first, late, back_dated):
        history = post_payment(history, payment).history
    in_order = replay(unpaid, [first, back_dated, late])
    assert history.state == in_order.state
    assert history.allocations == in_order.allocations
    assert [p.reference for p in history.payments] == ["a", "c", "b"]


def test_posting_a_back_dated_payment_says_which_allocations_were_reversed_and_reapplied() -> None:
    # b (20 April, 150.00) had paid installment 2 (103.33) and 46.67 of installment 3. The
    # back-dated c (15 March, 60.00) now takes 60.00 of installment 2, so b is reversed and
    # re-applied: the 43.33 left of installment 2, all 103.33 of installment 3, and the 3.34
    # left over to the next installment's interest.
    first = Payment("a", date(2026, 2, 15), Decimal("103.33"))
    late = Payment("b", date(2026, 4, 20), Decimal("150.00"))
    back_dated = Payment("c", date(2026, 3, 15), Decimal("60.00"))
    history = replay(UNPAID, [first, late])
    posting = post_payment(history, back_dated)
    assert [a.payment.reference for a in posting.reversed] == ["b"]
    assert [a.payment.reference for a in posting.applied] == ["c", "b"]
    assert split(posting.applied[1]) == receipt("""
        2 principal 43.33
        3 charge 20.00
        3 principal 83.33
        4 charge 3.34
    """)
    # The ledger view: what the reversed allocations took back and the applied ones paid
    # equals the change of the unpaid amounts.
    assert paid_by(posting.applied) - paid_by(posting.reversed) == (
        unpaid_total(history.state) - unpaid_total(posting.history.state)
    )


def test_a_payment_posted_in_date_order_reverses_nothing() -> None:
    history = replay(UNPAID, [Payment("a", date(2026, 2, 15), Decimal("103.33"))])
    posting = post_payment(history, Payment("b", date(2026, 3, 15), Decimal("103.33")))
    assert posting.reversed == ()
    assert [a.payment.reference for a in posting.applied] == ["b"]


def test_posting_the_same_reference_twice_is_refused() -> None:
    payment = Payment("a", date(2026, 2, 15), Decimal("103.33"))
    history = replay(UNPAID, [payment])
    with pytest.raises(DuplicatePayment):
        post_payment(history, payment)


def test_reversing_a_bounced_payment_replays_the_ones_after_it() -> None:
    payments = [
        Payment("a", date(2026, 2, 15), Decimal("103.33")),
        Payment("b", date(2026, 3, 15), Decimal("103.33")),
        Payment("c", date(2026, 4, 15), Decimal("50.00")),
    ]
    history = replay(UNPAID, payments)
    posting = reverse_payment(history, "b")
    expected = replay(UNPAID, [payments[0], payments[2]])
    assert posting.history.state == expected.state
    # b is reversed; c had gone to installment 3 and now goes to installment 2.
    assert [a.payment.reference for a in posting.reversed] == ["c", "b"]
    assert [a.payment.reference for a in posting.applied] == ["c"]


def test_an_unknown_strategy_name_is_a_terms_error() -> None:
    product = replace(FLAT, allocation="oldest-first-please")
    errors = validate_terms(LoanTerms(product, Decimal(1000), 12, date(2026, 1, 15)))
    assert [(e.field, e.code) for e in errors] == [("allocation", "unknown_strategy")]
    with pytest.raises(InvalidTerms, match="allocation"):
        build_schedule(LoanTerms(product, Decimal(1000), 12, date(2026, 1, 15)))


def test_the_product_excess_rule_overrides_the_strategys_own() -> None:
    product = replace(FLAT, excess=Excess.HOLD_AS_CREDIT)
    assert product.strategy.rules == PENALTIES_FEES_CHARGE_PRINCIPAL.rules
    assert product.strategy.excess is Excess.HOLD_AS_CREDIT
    assert FLAT.strategy is PENALTIES_FEES_CHARGE_PRINCIPAL


def paid_by(allocations: tuple[Allocation, ...]) -> Decimal:
    return sum((line.amount for a in allocations for line in a.lines), Decimal(0))


def unpaid_total(state: RepaymentState) -> Decimal:
    return sum((row.unpaid for row in state.installments), Decimal(0))


def test_a_payment_made_before_a_penalty_was_charged_does_not_pay_it() -> None:
    product = Product(Method.FLAT, "USD", annual_rate_percent=Decimal(24))
    schedule = build_schedule(LoanTerms(product, Decimal(1000), 3, date(2026, 1, 15)))
    state = charge_penalty(initial_state(schedule), 1, Decimal("5.00"), on=date(2026, 3, 1))
    before, early = allocate(state, Payment("p1", date(2026, 2, 20), Decimal("10.00")))
    assert Component.PENALTY not in {line.component for line in early.lines}
    assert before.installment(1).penalty == Decimal("5.00")
    after, late = allocate(state, Payment("p2", date(2026, 3, 2), Decimal("10.00")))
    assert late.lines[0].component is Component.PENALTY
    assert after.installment(1).penalty == Decimal("0.00")
