"""Allocation: how a repayment is split over installments and components.

A strategy is data: an ordered list of rules (which installments, which components, and whether
to clear each installment before the next or each component across installments first), plus
what to do with an excess. Every allocation records its split per installment and component, so a
back-dated payment is posted by reversing the later ones and replaying them in date order; the
result is the same state as if the payments had come in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_DOWN, Decimal, localcontext
from enum import StrEnum

from tandir.engine.money import ENGINE_CONTEXT, ZERO, quantum
from tandir.engine.schedule import Schedule


class Component(StrEnum):
    """What part of an installment money goes to; values are `InstallmentDue` field names."""

    PENALTY = "penalty"
    FEES = "fees"
    CHARGE = "charge"
    PRINCIPAL = "principal"
    SAVINGS = "savings"


ALL_COMPONENTS = (
    Component.PENALTY,
    Component.FEES,
    Component.CHARGE,
    Component.PRINCIPAL,
    Component.SAVINGS,
)


class Scope(StrEnum):
    """Which installments a rule reaches, relative to the payment date."""

    DUE = "due"  # due on or before the payment date
    DUE_AND_NEXT = "due-and-next"  # those, plus the next installment not yet due
    ALL = "all"


class Order(StrEnum):
    HORIZONTAL = "installment-by-installment"  # clear each installment before the next
    VERTICAL = "component-by-component"  # one component across installments, then the next


class Excess(StrEnum):
    """What happens to money left after the rules."""

    NEXT_INSTALLMENT = "next-installment"
    REDUCE_TERM = "reduce-term"  # principal of the last installments first
    REDUCE_INSTALLMENT = "reduce-installment"  # principal spread over the future installments
    HOLD_AS_CREDIT = "hold-as-credit"


@dataclass(frozen=True, slots=True)
class Rule:
    scope: Scope
    components: tuple[Component, ...]
    order: Order = Order.HORIZONTAL


@dataclass(frozen=True, slots=True)
class Strategy:
    name: str
    rules: tuple[Rule, ...]
    excess: Excess = Excess.NEXT_INSTALLMENT


PENALTIES_FEES_CHARGE_PRINCIPAL = Strategy(
    "penalties-fees-charge-principal",
    (Rule(Scope.DUE, ALL_COMPONENTS, Order.HORIZONTAL),),
)
# RBI: penalties, fees and charge of every overdue installment and the current one first, then
# principal oldest first; an early payment counts as paying the next installment on time.
OVERDUE_CHARGES_THEN_PRINCIPAL = Strategy(
    "overdue-charges-then-principal",
    (
        Rule(
            Scope.DUE_AND_NEXT,
            (Component.PENALTY, Component.FEES, Component.CHARGE),
            Order.VERTICAL,
        ),
        Rule(Scope.DUE_AND_NEXT, (Component.PRINCIPAL, Component.SAVINGS), Order.VERTICAL),
    ),
)
PRINCIPAL_FIRST = Strategy(
    "principal-first",
    (
        Rule(
            Scope.DUE,
            (
                Component.PRINCIPAL,
                Component.CHARGE,
                Component.PENALTY,
                Component.FEES,
                Component.SAVINGS,
            ),
            Order.VERTICAL,
        ),
    ),
)
STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (PENALTIES_FEES_CHARGE_PRINCIPAL, OVERDUE_CHARGES_THEN_PRINCIPAL, PRINCIPAL_FIRST)
}


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

    @property
    def unpaid(self) -> Decimal:
        """Unpaid loan amount (savings are the client's deposit, not a debt)."""
        return self.principal + self.charge + self.fees + self.penalty

    def amount(self, component: Component) -> Decimal:
        amount: Decimal = getattr(self, component.value)
        return amount


@dataclass(frozen=True, slots=True)
class RepaymentState:
    """Unpaid amounts of every installment, and any credit held for the client."""

    installments: tuple[InstallmentDue, ...]
    credit: Decimal
    currency: str

    def installment(self, number: int) -> InstallmentDue:
        return self.installments[number - 1]


@dataclass(frozen=True, slots=True)
class Payment:
    """Money received from the client; `reference` identifies it for reversal."""

    reference: str
    paid_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class AllocationLine:
    number: int
    component: Component
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Allocation:
    """How one payment was split; lines plus credit always sum to the payment."""

    payment: Payment
    lines: tuple[AllocationLine, ...]
    credit: Decimal

    def by_installment(self) -> dict[int, dict[Component, Decimal]]:
        split: dict[int, dict[Component, Decimal]] = {}
        for line in self.lines:
            per = split.setdefault(line.number, {})
            per[line.component] = per.get(line.component, ZERO) + line.amount
        return split


class UnknownStrategy(ValueError):
    code = "unknown_strategy"


def strategy_named(name: str) -> Strategy:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise UnknownStrategy(f"unknown allocation strategy {name!r}") from None


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
        schedule.currency,
    )


def charge_penalty(state: RepaymentState, number: int, amount: Decimal) -> RepaymentState:
    """Add a late-payment penalty to an installment.

    For Murabaha the penalty goes to charity, never to income; the ledger keeps it apart.
    """
    if amount < ZERO:
        raise ValueError("a penalty cannot be negative")
    rows = list(state.installments)
    row = rows[number - 1]
    rows[number - 1] = replace(row, penalty=row.penalty + amount)
    return replace(state, installments=tuple(rows))


class _Work:
    """Mutable scratch copy of the unpaid amounts while one payment is allocated."""

    __slots__ = ("dates", "left", "lines", "numbers", "unpaid")

    def __init__(self, state: RepaymentState, amount: Decimal) -> None:
        self.numbers = [row.number for row in state.installments]
        self.dates = [row.due_date for row in state.installments]
        self.unpaid = [{c: row.amount(c) for c in ALL_COMPONENTS} for row in state.installments]
        self.left = amount
        self.lines: list[AllocationLine] = []

    def pay(self, index: int, component: Component) -> None:
        owed = self.unpaid[index][component]
        if owed <= ZERO or self.left <= ZERO:
            return
        paid = owed if owed < self.left else self.left
        self.unpaid[index][component] = owed - paid
        self.left -= paid
        self.lines.append(AllocationLine(self.numbers[index], component, paid))


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


def _apply_rule(work: _Work, rule: Rule, paid_on: date) -> None:
    indexes = _scope_indexes(work, rule.scope, paid_on)
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
            work.lines.append(AllocationLine(work.numbers[i], principal, paid))


def allocate(
    state: RepaymentState, payment: Payment, strategy: Strategy
) -> tuple[RepaymentState, Allocation]:
    """Split a payment by the strategy; returns the new state and the split."""
    if payment.amount <= ZERO:
        raise ValueError("a payment must be a positive amount")
    with localcontext(ENGINE_CONTEXT):
        work = _Work(state, payment.amount)
        for rule in strategy.rules:
            _apply_rule(work, rule, payment.paid_on)
        if work.left > ZERO:
            _apply_excess(work, strategy.excess, payment.paid_on, quantum(state.currency))
        credit = work.left
        rows = _rows(state, work.unpaid)
        new_state = RepaymentState(rows, state.credit + credit, state.currency)
        return new_state, Allocation(payment, tuple(_merge(work.lines)), credit)


def _merge(lines: Iterable[AllocationLine]) -> list[AllocationLine]:
    # Two rules may reach the same installment and component; report one line for both.
    totals: dict[tuple[int, Component], Decimal] = {}
    for line in lines:
        key = (line.number, line.component)
        totals[key] = totals.get(key, ZERO) + line.amount
    return [
        AllocationLine(number, component, amount) for (number, component), amount in totals.items()
    ]


def reverse(state: RepaymentState, allocation: Allocation) -> RepaymentState:
    """Undo an allocation: its amounts become unpaid again and its credit is withdrawn."""
    unpaid = [{c: row.amount(c) for c in ALL_COMPONENTS} for row in state.installments]
    for line in allocation.lines:
        unpaid[line.number - 1][line.component] += line.amount
    return RepaymentState(_rows(state, unpaid), state.credit - allocation.credit, state.currency)


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
        )
        for row, amounts in zip(state.installments, unpaid, strict=True)
    )


@dataclass(frozen=True, slots=True)
class PaymentHistory:
    """A loan's repayment state with the allocations that produced it, in date order."""

    initial: RepaymentState
    strategy: Strategy
    allocations: tuple[Allocation, ...]
    state: RepaymentState

    @property
    def payments(self) -> tuple[Payment, ...]:
        return tuple(a.payment for a in self.allocations)


def start_history(state: RepaymentState, strategy: Strategy) -> PaymentHistory:
    return PaymentHistory(state, strategy, (), state)


def replay(
    state: RepaymentState, payments: Sequence[Payment], strategy: Strategy
) -> PaymentHistory:
    """Apply payments in date order (same-date payments in the order given) from a state."""
    history = start_history(state, strategy)
    for payment in sorted(payments, key=lambda p: p.paid_on):
        history = _append(history, payment)
    return history


def _append(history: PaymentHistory, payment: Payment) -> PaymentHistory:
    state, allocation = allocate(history.state, payment, history.strategy)
    return replace(history, allocations=(*history.allocations, allocation), state=state)


def post_payment(history: PaymentHistory, payment: Payment) -> PaymentHistory:
    """Record a payment; a back-dated one reverses the later payments and replays them after it."""
    later = [a for a in history.allocations if a.payment.paid_on > payment.paid_on]
    if not later:
        return _append(history, payment)
    state = history.state
    for allocation in reversed(later):
        state = reverse(state, allocation)
    kept = history.allocations[: len(history.allocations) - len(later)]
    rewound = replace(history, allocations=kept, state=state)
    rewound = _append(rewound, payment)
    for allocation in later:
        rewound = _append(rewound, allocation.payment)
    return rewound


def reverse_payment(history: PaymentHistory, reference: str) -> PaymentHistory:
    """Remove a payment (e.g. a bounced cheque) and replay every payment after it."""
    index = next(
        (i for i, a in enumerate(history.allocations) if a.payment.reference == reference), None
    )
    if index is None:
        raise KeyError(f"no payment with reference {reference!r}")
    state = history.state
    for allocation in reversed(history.allocations[index:]):
        state = reverse(state, allocation)
    rewound = replace(history, allocations=history.allocations[:index], state=state)
    for allocation in history.allocations[index + 1 :]:
        rewound = _append(rewound, allocation.payment)
    return rewound
