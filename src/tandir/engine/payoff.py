"""Payoff: what a client owes to close a loan early, as of a date.

Credit held for the client goes towards the payoff; what is left of it is refunded.

Declining-balance loans owe charge only up to the payoff date: the charge of installments already
due plus the current period's charge pro rata to the days elapsed. Flat and Murabaha loans owe
all unpaid charge less the product's rebate, a stated share of the charge not yet earned (earned
is measured the same way). Qard Hasan loans owe principal only. Fees of installments not yet due
are never owed. Savings are returned by the savings ledger and are not part of the quote.

During an interest-payment grace, deferred charge counts as earned when it falls due, so an early
payoff then costs the client less, never more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from tandir.engine.allocation import RepaymentState
from tandir.engine.money import ENGINE_CONTEXT, ZERO, percent, quantum, rounder
from tandir.engine.products import Method
from tandir.engine.schedule import Schedule


@dataclass(frozen=True, slots=True)
class PayoffQuote:
    as_of: date
    principal: Decimal
    charge: Decimal
    fees: Decimal
    penalties: Decimal
    # Charge forgiven: unearned charge of a declining loan, or the rebate of a flat/Murabaha one.
    rebate: Decimal
    # Credit held for the client that goes towards the payoff, and what is left of it to refund.
    credit: Decimal
    refund: Decimal

    @property
    def owed(self) -> Decimal:
        """What closes the loan before the held credit."""
        return self.principal + self.charge + self.fees + self.penalties

    @property
    def total(self) -> Decimal:
        """What the client still has to pay to close the loan."""
        return self.owed - self.credit


def earned_charge(schedule: Schedule, as_of: date) -> Decimal:
    """Charge earned by the lender up to a date, by the schedule."""
    rnd = rounder(schedule.product.rounding.minor())
    earned = ZERO
    period_start = schedule.disbursed
    for row in schedule.installments:
        if row.due_date <= as_of:
            earned += row.charge
            period_start = row.due_date
            continue
        if as_of > period_start:
            elapsed = (as_of - period_start).days
            length = (row.due_date - period_start).days
            earned += rnd(row.charge * elapsed / length)
        break
    return earned


def payoff_quote(schedule: Schedule, state: RepaymentState, as_of: date) -> PayoffQuote:
    """The amount that closes the loan on `as_of`, given what is unpaid."""
    with localcontext(ENGINE_CONTEXT):
        product = schedule.product
        rows = state.installments
        principal = sum((r.principal for r in rows), ZERO)
        penalties = sum((r.penalty for r in rows), ZERO)
        fees = sum((r.fees for r in rows if r.due_date <= as_of), ZERO)
        unpaid_charge = sum((r.charge for r in rows), ZERO)
        scheduled_charge = sum((r.charge for r in schedule.installments), ZERO)
        paid_charge = scheduled_charge - unpaid_charge
        earned = earned_charge(schedule, as_of)
        owed_to_date = max(earned - paid_charge, ZERO)
        if product.method is Method.QARD_HASAN:
            charge, rebate = ZERO, ZERO
        elif product.method.is_declining:
            charge = min(owed_to_date, unpaid_charge)
            rebate = unpaid_charge - charge
        else:
            unearned = unpaid_charge - min(owed_to_date, unpaid_charge)
            rnd = rounder(product.rounding.minor())
            rebate = rnd(unearned * percent(product.rebate.percent_of_unearned))
            charge = unpaid_charge - rebate
        # Zero with the currency's decimals, so that every amount of the quote prints alike.
        zero = ZERO.quantize(quantum(schedule.currency))
        owed = principal + charge + fees + penalties
        credit = min(state.credit, owed)
        return PayoffQuote(
            as_of,
            principal + zero,
            charge + zero,
            fees + zero,
            penalties + zero,
            rebate + zero,
            credit + zero,
            state.credit - credit + zero,
        )
