"""Allocation strategies as data: which installments and components a repayment reaches first.

A strategy is an ordered list of rules (which installments, which components, and whether to
clear each installment before the next or each component across installments first), plus what
to do with an excess. Products name their strategy; `STRATEGIES` holds the named ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
    # Kept for the client and applied automatically to each amount as it falls due.
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


class UnknownStrategy(ValueError):
    code = "unknown_strategy"


def strategy_named(name: str) -> Strategy:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise UnknownStrategy(f"unknown allocation strategy {name!r}") from None
