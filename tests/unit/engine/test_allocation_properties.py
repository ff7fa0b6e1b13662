"""Properties of allocation, posting and held credit, for every strategy and excess rule."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tandir.engine import (
    STRATEGIES,
    Allocation,
    Component,
    Excess,
    Payment,
    RepaymentState,
    allocate,
    apply_credit,
    build_schedule,
    days_past_due,
    initial_state,
    post_payment,
    replay,
    reverse,
    start_history,
)
from tests.unit.engine.strategies import PROPERTY_SLOW, loans, payments, sampled


@dataclass(frozen=True)
class Case:
    state: RepaymentState
    payments: list[Payment]


@st.composite
def loans_with_payments(draw: st.DrawFn, excess: Excess | None = None) -> Case:
    """A fresh loan under a random strategy and excess rule, and payments in arrival order."""
    # Up to two years of monthly installments: allocation is per installment and component, so
    # longer loans only slow the properties down without reaching new cases.
    terms = draw(loans(fees=draw(st.booleans()), installments=24))
    product = replace(
        terms.product,
        allocation=draw(sampled(tuple(sorted(STRATEGIES)))),
        excess=excess or draw(sampled(tuple(Excess))),
    )
    state = initial_state(build_schedule(replace(terms, product=product)))
    return Case(state, draw(payments(product.currency, terms.disbursed)))


@PROPERTY_SLOW
@given(loans_with_payments())
def test_every_allocation_splits_exactly_the_payment(case: Case) -> None:
    state = case.state
    for payment in case.payments:
        new_state, allocation = allocate(state, payment)
        assert sum(line.amount for line in allocation.lines) + allocation.credit == payment.amount
        assert all(line.amount > 0 for line in allocation.lines)
        # Each line carries the due date of the installment it paid.
        assert all(
            line.due_date == state.installment(line.number).due_date for line in allocation.lines
        )
        assert all(
            min(row.principal, row.charge, row.fees, row.savings, row.penalty) >= 0
            for row in new_state.installments
        )
        assert reverse(new_state, allocation) == state
        state = new_state


Split = dict[tuple[int, Component], Decimal]


def paid(allocations: tuple[Allocation, ...], sign: int = 1) -> Split:
    total: Split = {}
    for allocation in allocations:
        for line in allocation.lines:
            key = (line.number, line.component)
            total[key] = total.get(key, Decimal(0)) + sign * line.amount
    return total


def unpaid(state: RepaymentState) -> Split:
    return {(row.number, c): row.amount(c) for row in state.installments for c in Component}


def net(*splits: Split) -> Split:
    total: Split = {}
    for split in splits:
        for key, amount in split.items():
            total[key] = total.get(key, Decimal(0)) + amount
    return {key: amount for key, amount in total.items() if amount}


@PROPERTY_SLOW
@given(loans_with_payments())
def test_posting_payments_out_of_order_equals_replaying_them_in_date_order(case: Case) -> None:
    history = start_history(case.state)
    for payment in case.payments:  # in arrival order, which is not date order
        posting = post_payment(history, payment)
        # The ledger posts the reversals and the new allocations: per installment and
        # component, they must move the unpaid amounts exactly as the history did.
        moved = net(paid(posting.applied), paid(posting.reversed, -1))
        change = net(
            unpaid(history.state), {k: -v for k, v in unpaid(posting.history.state).items()}
        )
        assert moved == change
        history = posting.history
    in_order = replay(case.state, case.payments)
    assert history.state == in_order.state
    assert history.allocations == in_order.allocations


@PROPERTY_SLOW
@given(loans_with_payments(excess=Excess.HOLD_AS_CREDIT), st.integers(0, 900))
def test_held_credit_never_leaves_a_loan_overdue_when_it_covers_what_is_due(
    case: Case, days: int
) -> None:
    history = replay(case.state, case.payments)
    as_of = history.state.installments[0].due_date + timedelta(days=days)
    for state in (history.state, apply_credit(history, as_of).history.state):
        due = sum((row.unpaid for row in state.installments if row.due_date < as_of), Decimal(0))
        if state.credit >= due:
            assert days_past_due(state, as_of) == 0
    # Once applied, the credit left is only what nothing due could take.
    applied = apply_credit(history, as_of).history.state
    if applied.credit > 0:
        assert all(row.unpaid == 0 for row in applied.installments if row.due_date <= as_of)
