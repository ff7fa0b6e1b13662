"""Allocation: how a repayment is split over installments and components.

The product names its strategy (`tandir.engine.strategies`): ordered rules plus what to do with
an excess. Every allocation records its split per installment and component, so a back-dated
payment is posted by reversing the later allocations and replaying them in date order; the result
is the same state as if the payments had come in order, and the posting says exactly which
allocations were reversed and which applied, for the ledger.

Credit held for the client (an excess held as credit) is applied automatically to each amount as
it falls due: a `PaymentHistory` applies it at every due date up to its latest payment, and up to
any later date `apply_credit` is asked for (the daily close of business). Each application is an
allocation of its own, whose payment comes from the held credit, not from the client.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_DOWN, Decimal, localcontext
from enum import StrEnum

from tandir.engine.money import ENGINE_CONTEXT, ZERO, quantum
from tandir.engine.products import Product
from tandir.engine.schedule import Schedule
from tandir.engine.strategies import (
    ALL_COMPONENTS,
    OVERDUE_CHARGES_THEN_PRINCIPAL,
    PENALTIES_FEES_CHARGE_PRINCIPAL,
    PRINCIPAL_FIRST,
    STRATEGIES,
    Component,
    Excess,
    Order,
    Rule,
    Scope,
    Strategy,
    UnknownStrategy,
    strategy_named,
)


@dataclass(frozen=True, slots=True)
class InstallmentDue:
    """What is still unpaid of one installment, per component."""

    number: int
    due_date: date
    principal: Decimal
    charge: Decimal
    fees: Decimal
    savings: Decimal
    penalty: Decimal
    # The day the penalty was charged: payments before it did not owe it (so a back-dated
    # payment or a replay of the history allocates as it would have on its own date).
    penalty_from: date | None = None

    @property
    def unpaid(self) -> Decimal:
        """Unpaid loan amount (savings are the client's deposit, not a debt)."""
        return self.principal + self.charge + self.fees + self.penalty

    def amount(self, component: Component) -> Decimal:
        # A component is a str enum whose value is the field name.
        amount: Decimal = getattr(self, component)
        return amount

    def amounts(self) -> dict[Component, Decimal]:
        """The unpaid amount of every component."""
        return {
            Component.PENALTY: self.penalty,
            Component.FEES: self.fees,
            Component.CHARGE: self.charge,
            Component.PRINCIPAL: self.principal,
            Component.SAVINGS: self.savings,
        }


@dataclass(frozen=True, slots=True)
class RepaymentState:
    """Unpaid amounts of every installment, the credit held for the client, and the product.

    The product's allocation strategy, arrears grace days and arrears tolerance apply to it.
    """

    installments: tuple[InstallmentDue, ...]
    credit: Decimal
    product: Product

    @property
    def currency(self) -> str:
        return self.product.currency

    @property
    def strategy(self) -> Strategy:
        return self.product.strategy

    def installment(self, number: int) -> InstallmentDue:
        return self.installments[number - 1]


class Source(StrEnum):
    """Where the money of an allocation comes from."""

    CLIENT = "client"
    # Credit held for the client, applied when an amount falls due.
    HELD_CREDIT = "held-credit"


@dataclass(frozen=True, slots=True)
class Payment:
    """Money received from the client; `reference` identifies it for reversal."""

    reference: str
    paid_on: date
    amount: Decimal
    source: Source = Source.CLIENT


@dataclass(frozen=True, slots=True)
class AllocationLine:
    number: int
    component: Component
    amount: Decimal
    # The installment's due date, kept with the line so that whether it was paid on time can
    # be read from the line alone.
    due_date: date


@dataclass(frozen=True, slots=True)
class Allocation:
    """How one payment was split; lines plus credit always sum to the payment.

    `credit` is what the payment added to the credit held for the client. An application of
    held credit (`payment.source` HELD_CREDIT) takes `payment.amount` out of it and adds none.
    """

    payment: Payment
    lines: tuple[AllocationLine, ...]
    credit: Decimal

    def by_installment(self) -> dict[int, dict[Component, Decimal]]:
        split: dict[int, dict[Component, Decimal]] = {}
        for line in self.lines:
            per = split.setdefault(line.number, {})
            per[line.component] = per.get(line.component, ZERO) + line.amount
        return split


class DuplicatePayment(ValueError):
    """A payment whose reference the history already holds: replaying it posts nothing twice."""

    code = "duplicate_payment"


def initial_state(schedule: Schedule) -> RepaymentState:
    """Nothing paid yet: every installment fully unpaid."""
    zero = ZERO.quantize(quantum(schedule.currency))
    return RepaymentState(
        tuple(
            InstallmentDue(
                row.number, row.due_date, row.principal, row.charge, row.fees, row.savings, zero
            )
            for row in schedule.installments
        ),
        zero,
        schedule.product,
    )


def charge_penalty(
    state: RepaymentState, number: int, amount: Decimal, on: date | None = None
) -> RepaymentState:
    """Add a late-payment penalty to an installment.

    For Murabaha the penalty goes to charity, never to income; the ledger keeps it apart.
    """
    if amount < ZERO:
        raise ValueError("a penalty cannot be negative")
    rows = list(state.installments)
    row = rows[number - 1]
    rows[number - 1] = replace(
        row, penalty=row.penalty + amount, penalty_from=on if on is not None else row.penalty_from
    )
    return replace(state, installments=tuple(rows))


class _Work:
    """Mutable scratch copy of the unpaid amounts while one payment is allocated."""

    __slots__ = ("dates", "left", "lines", "numbers", "on", "penalty_from", "unpaid")

    def __init__(self, state: RepaymentState, amount: Decimal, on: date) -> None:
        self.numbers = [row.number for row in state.installments]
        self.dates = [row.due_date for row in state.installments]
        self.unpaid = [row.amounts() for row in state.installments]
        self.penalty_from = [row.penalty_from for row in state.installments]
        self.on = on
        self.left = amount
        self.lines: list[AllocationLine] = []

    def pay(self, index: int, component: Component) -> None:
        if component is Component.PENALTY:
            charged = self.penalty_from[index]
            if charged is not None and self.on < charged:
                return  # not owed yet on this date
        owed = self.unpaid[index][component]
        if owed <= ZERO or self.left <= ZERO:
            return
        paid = owed if owed < self.left else self.left
        self.unpaid[index][component] = owed - paid
        self.left -= paid
        self.lines.append(AllocationLine(self.numbers[index], component, paid, self.dates[index]))


def _scope_indexes(work: _Work, scope: Scope, paid_on: date) -> list[int]:
    count = len(work.dates)
    if scope is Scope.ALL:
        return list(range(count))
    due = [i for i in range(count) if work.dates[i] <= paid_on]
    if scope is Scope.DUE_AND_NEXT:
        for i in range(count):
            if work.dates[i] > paid_on and any(v > ZERO for v in work.unpaid[i].values()):
                due.append(i)
                break
    return due


def _apply_rule(work: _Work, rule: Rule, paid_on: date, scope: Scope | None = None) -> None:
    indexes = _scope_indexes(work, scope or rule.scope, paid_on)
    if rule.order is Order.HORIZONTAL:
        for i in indexes:
            for component in rule.components:
                work.pay(i, component)
    else:
        for component in rule.components:
            for i in indexes:
                work.pay(i, component)


def _apply_excess(work: _Work, excess: Excess, paid_on: date, step: Decimal) -> None:
    future = [i for i in range(len(work.dates)) if work.dates[i] > paid_on]
    if excess is Excess.NEXT_INSTALLMENT:
        for i in future:
            for component in ALL_COMPONENTS:
                work.pay(i, component)
    elif excess is Excess.REDUCE_TERM:
        for i in reversed(future):
            work.pay(i, Component.PRINCIPAL)
    elif excess is Excess.REDUCE_INSTALLMENT:
        _spread_over_principal(work, future, step)
    # HOLD_AS_CREDIT, and whatever is left once everything is paid, becomes credit.


def _spread_over_principal(work: _Work, indexes: list[int], step: Decimal) -> None:
    principal = Component.PRINCIPAL
    while work.left > ZERO:
        open_rows = [i for i in indexes if work.unpaid[i][principal] > ZERO]
        if not open_rows:
            return
        # Equal shares in whole minor units; what cannot be split evenly goes to the last rows.
        share = (work.left / len(open_rows)).quantize(step, rounding=ROUND_DOWN)
        if share < step:
            share = step
        for i in open_rows:
            owed = work.unpaid[i][principal]
            paid = min(owed, share, work.left)
            if paid <= ZERO:
                break
            work.unpaid[i][principal] = owed - paid
            work.left -= paid
            work.lines.append(AllocationLine(work.numbers[i], principal, paid, work.dates[i]))


def allocate(state: RepaymentState, payment: Payment) -> tuple[RepaymentState, Allocation]:
    """Split a client's payment by the product's strategy; returns the new state and the split."""
    if payment.amount <= ZERO:
        raise ValueError("a payment must be a positive amount")
    if payment.source is not Source.CLIENT:
        raise ValueError("held credit is applied by the payment history, not allocated")
    strategy = state.strategy
    with localcontext(ENGINE_CONTEXT):
        work = _Work(state, payment.amount, payment.paid_on)
        for rule in strategy.rules:
            _apply_rule(work, rule, payment.paid_on)
        if work.left > ZERO:
            _apply_excess(work, strategy.excess, payment.paid_on, quantum(state.currency))
        credit = work.left
        rows = _rows(state, work.unpaid)
        new_state = RepaymentState(rows, state.credit + credit, state.product)
        return new_state, Allocation(payment, tuple(_merge(work.lines)), credit)


def _apply_held_credit(state: RepaymentState, on: date) -> tuple[RepaymentState, Allocation | None]:
    """Held credit applied to what is due on or before a date, by the strategy's rules.

    Credit pays only what has fallen due: every rule reaches due installments only, and what is
    left stays held for the next due date.
    """
    if state.credit <= ZERO:
        return state, None
    with localcontext(ENGINE_CONTEXT):
        work = _Work(state, state.credit, on)
        for rule in state.strategy.rules:
            _apply_rule(work, rule, on, Scope.DUE)
        applied = state.credit - work.left
        if applied <= ZERO:
            return state, None
        payment = Payment(f"{Source.HELD_CREDIT}:{on.isoformat()}", on, applied, Source.HELD_CREDIT)
        zero = ZERO.quantize(quantum(state.currency))
        new_state = RepaymentState(_rows(state, work.unpaid), work.left, state.product)
        return new_state, Allocation(payment, tuple(_merge(work.lines)), zero)


def _merge(lines: Iterable[AllocationLine]) -> list[AllocationLine]:
    # Two rules may reach the same installment and component; report one line for both.
    totals: dict[tuple[int, Component], Decimal] = {}
    dates: dict[int, date] = {}
    for line in lines:
        key = (line.number, line.component)
        totals[key] = totals.get(key, ZERO) + line.amount
        dates[line.number] = line.due_date
    return [
        AllocationLine(number, component, amount, dates[number])
        for (number, component), amount in totals.items()
    ]


def reverse(state: RepaymentState, allocation: Allocation) -> RepaymentState:
    """Undo an allocation: its amounts become unpaid again and the held credit is restored."""
    unpaid = [row.amounts() for row in state.installments]
    for line in allocation.lines:
        unpaid[line.number - 1][line.component] += line.amount
    credit = state.credit - allocation.credit
    if allocation.payment.source is Source.HELD_CREDIT:
        credit += allocation.payment.amount
    return RepaymentState(_rows(state, unpaid), credit, state.product)


def _rows(
    state: RepaymentState, unpaid: Sequence[dict[Component, Decimal]]
) -> tuple[InstallmentDue, ...]:
    return tuple(
        InstallmentDue(
            row.number,
            row.due_date,
            amounts[Component.PRINCIPAL],
            amounts[Component.CHARGE],
            amounts[Component.FEES],
            amounts[Component.SAVINGS],
            amounts[Component.PENALTY],
            row.penalty_from,
        )
        for row, amounts in zip(state.installments, unpaid, strict=True)
    )


@dataclass(frozen=True, slots=True)
class PaymentHistory:
    """A loan's repayment state with the allocations that produced it, in date order.

    Allocations are the client's payments and the applications of held credit, interleaved:
    on each date credit is applied first (it was there before the day began), then the
    payments of that date in the order they were posted. `credit_through` is the last date up
    to which held credit has been applied to the amounts falling due.
    """

    initial: RepaymentState
    allocations: tuple[Allocation, ...]
    state: RepaymentState
    credit_through: date | None = None

    @property
    def strategy(self) -> Strategy:
        return self.initial.strategy

    @property
    def payments(self) -> tuple[Payment, ...]:
        """The client's payments, in the order they were applied."""
        return tuple(a.payment for a in self.allocations if a.payment.source is Source.CLIENT)


@dataclass(frozen=True, slots=True)
class Posting:
    """What posting (or reversing) a payment changed, for the ledger.

    `reversed` lists the allocations to reverse, latest first; `applied` the new ones, in order.
    An allocation that replays exactly as it was appears in neither.
    """

    history: PaymentHistory
    reversed: tuple[Allocation, ...]
    applied: tuple[Allocation, ...]


def start_history(state: RepaymentState) -> PaymentHistory:
    return PaymentHistory(state, (), state)


def replay(
    state: RepaymentState, payments: Sequence[Payment], through: date | None = None
) -> PaymentHistory:
    """Apply payments in date order (same-date payments in the order given) from a state.

    Held credit is applied at every due date up to the last payment, or up to `through`.
    """
    history = start_history(state)
    for payment in sorted(payments, key=lambda p: p.paid_on):
        history = _append(history, payment)
    if through is not None:
        history = _advance(history, through)
    return history


def _advance(history: PaymentHistory, until: date) -> PaymentHistory:
    """Apply held credit at every due date after `credit_through` up to `until`."""
    done = history.credit_through
    if done is not None and done >= until:
        return history
    state = history.state
    allocations = list(history.allocations)
    due_dates = sorted(
        {
            row.due_date
            for row in state.installments
            if row.due_date <= until and (done is None or row.due_date > done)
        }
    )
    for day in due_dates:
        state, allocation = _apply_held_credit(state, day)
        if allocation is not None:
            allocations.append(allocation)
    return PaymentHistory(history.initial, tuple(allocations), state, until)


def _append(history: PaymentHistory, payment: Payment) -> PaymentHistory:
    history = _advance(history, payment.paid_on)
    state, allocation = allocate(history.state, payment)
    return replace(history, allocations=(*history.allocations, allocation), state=state)


def _rewound(history: PaymentHistory, keep: int, through: date) -> PaymentHistory:
    """The history with only its first `keep` allocations, credit applied up to `through`."""
    state = history.state
    for allocation in reversed(history.allocations[keep:]):
        state = reverse(state, allocation)
    done = history.credit_through
    return PaymentHistory(
        history.initial,
        history.allocations[:keep],
        state,
        through if done is not None and done > through else done,
    )


def _posting(before: PaymentHistory, keep: int, after: PaymentHistory) -> Posting:
    reversed_ = list(reversed(before.allocations[keep:]))
    applied = list(after.allocations[keep:])
    # An allocation replayed exactly as it was needs no ledger entry either way.
    for allocation in list(applied):
        if allocation in reversed_:
            reversed_.remove(allocation)
            applied.remove(allocation)
    return Posting(after, tuple(reversed_), tuple(applied))


def post_payment(history: PaymentHistory, payment: Payment) -> Posting:
    """Record a payment; a back-dated one reverses the later allocations and replays them."""
    if any(p.reference == payment.reference for p in history.payments):
        raise DuplicatePayment(f"payment {payment.reference!r} is already posted")
    keep = len(history.allocations)
    while keep and history.allocations[keep - 1].payment.paid_on > payment.paid_on:
        keep -= 1
    rewound = _rewound(history, keep, payment.paid_on)
    replayed = _append(rewound, payment)
    for allocation in history.allocations[keep:]:
        if allocation.payment.source is Source.CLIENT:
            replayed = _append(replayed, allocation.payment)
    if history.credit_through is not None:
        replayed = _advance(replayed, history.credit_through)
    return _posting(history, keep, replayed)


def reverse_payment(history: PaymentHistory, reference: str) -> Posting:
    """Remove a payment (e.g. a bounced cheque) and replay every allocation after it."""
    index = next(
        (
            i
            for i, a in enumerate(history.allocations)
            if a.payment.reference == reference and a.payment.source is Source.CLIENT
        ),
        None,
    )
    if index is None:
        raise KeyError(f"no payment with reference {reference!r}")
    removed = history.allocations[index].payment
    replayed = _rewound(history, index, removed.paid_on)
    for allocation in history.allocations[index + 1 :]:
        if allocation.payment.source is Source.CLIENT:
            replayed = _append(replayed, allocation.payment)
    if history.credit_through is not None:
        replayed = _advance(replayed, history.credit_through)
    return _posting(history, index, replayed)


def apply_credit(history: PaymentHistory, as_of: date) -> Posting:
    """Apply held credit to every amount that has fallen due up to a date (close of business)."""
    keep = len(history.allocations)
    return _posting(history, keep, _advance(history, as_of))


__all__ = [
    "OVERDUE_CHARGES_THEN_PRINCIPAL",
    "PENALTIES_FEES_CHARGE_PRINCIPAL",
    "PRINCIPAL_FIRST",
    "STRATEGIES",
    "Allocation",
    "AllocationLine",
    "Component",
    "DuplicatePayment",
    "Excess",
    "InstallmentDue",
    "Order",
    "Payment",
    "PaymentHistory",
    "Posting",
    "RepaymentState",
    "Rule",
    "Scope",
    "Source",
    "Strategy",
    "UnknownStrategy",
    "allocate",
    "apply_credit",
    "charge_penalty",
    "initial_state",
    "post_payment",
    "replay",
    "reverse",
    "reverse_payment",
    "start_history",
    "strategy_named",
]
