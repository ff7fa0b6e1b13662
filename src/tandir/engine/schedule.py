"""Schedule: the repayment schedule of one loan, exact to the currency's minor unit.

Each installment has a number, a due date, principal, charge (interest; profit for Murabaha; zero
for Qard Hasan), fees, savings, total and the principal balance after it. Every component is
rounded by the product's rule and the rounding remainder goes to the last installment, so the
principal always sums exactly to the amount financed.

Each method's rule lives in one row of `METHODS`: how the charge of a period is found, and
whether installments are level (principal = installment − charge) or principal is repaid in equal
parts. One loop, `_amortise`, applies it with the grace settings and the conventions of the
systems MFIs migrate from (installments rounded as a whole, the EMI adjusted or computed from
day-count rates, deferred interest spread, paid next or inside the EMI), and with the officer's
own principal on a custom schedule.

- flat: the annual rate ÷ periods per year on the original amount, every period;
- declining: equal installments (annuity over the installments after the principal grace),
  interest on the balance, the last installment clears the balance;
- equal-principal: the same principal every installment plus interest on the balance;
- qard-hasan: none;
- murabaha: the markup (cost × markup %) is recognised straight-line over the installments that
  repay cost, i.e. in proportion to the cost each one repays; the sale price never changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, localcontext
from functools import lru_cache
from typing import NamedTuple

from tandir.engine.calendar import DayCount, moved_dates, period_days, scheduled_dates
from tandir.engine.money import (
    ENGINE_CONTEXT,
    HUNDRED,
    ONE,
    ZERO,
    Rounder,
    RoundingMode,
    RoundingRule,
    percent,
    quantize_spec,
    rounder,
    uses_engine_precision,
)
from tandir.engine.products import (
    NO_GRACE,
    EmiBasis,
    FeeTiming,
    InterestGraceStyle,
    InvalidTerms,
    LoanTerms,
    Method,
    Product,
    TermsError,
    leaves_nothing,
    loan_cash,
    terms_problems,
    validate_terms,
)


class Installment(NamedTuple):
    """One row of a schedule.

    A named tuple rather than a dataclass: a portfolio has millions of rows and tuples are the
    cheapest immutable record Python has (see bench/bench_engine.py).
    """

    number: int
    due_date: date
    principal: Decimal
    charge: Decimal
    fees: Decimal
    savings: Decimal
    total: Decimal
    balance: Decimal


class Totals(NamedTuple):
    principal: Decimal
    charge: Decimal
    fees: Decimal
    savings: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class Schedule:
    """A loan's installments and the cash that changes hands at disbursement and at the end."""

    terms: LoanTerms
    installments: tuple[Installment, ...]
    # Upfront fees, whether deducted from the disbursement or paid separately.
    upfront_fees: Decimal
    # Upfront fees paid separately (not deducted): the client hands them over at disbursement.
    upfront_fees_paid_separately: Decimal
    savings_withheld: Decimal
    # Savings (withheld and collected) plus their interest, returned with the last installment.
    savings_returned: Decimal
    # Cash the client actually gets at disbursement.
    amount_received: Decimal

    @property
    def product(self) -> Product:
        return self.terms.product

    @property
    def currency(self) -> str:
        return self.terms.product.currency

    @property
    def amount_financed(self) -> Decimal:
        return self.terms.amount

    @property
    def disbursed(self) -> date:
        return self.terms.disbursed

    def totals(self) -> Totals:
        principal = charge = fees = savings = total = ZERO
        for row in self.installments:
            principal += row.principal
            charge += row.charge
            fees += row.fees
            savings += row.savings
            total += row.total
        return Totals(principal, charge, fees, savings, total)

    def total_cost_of_credit(self) -> Decimal:
        """Charge plus every fee the client pays; savings come back, so they are not a cost."""
        totals = self.totals()
        return totals.charge + totals.fees + self.upfront_fees


class _Plan(NamedTuple):
    """Everything one loan's rows depend on, prepared by `build_schedule` for `_amortise`."""

    amount: Decimal
    dates: tuple[date, ...]
    # Each period's rate is rates[k] ÷ divisor; divisor None when rates[k] is the exact rate.
    # Dividing last keeps the charge exact: 26.00 at 1 % a year weekly is exactly half a cent.
    rates: tuple[Decimal, ...]
    divisor: Decimal | None
    # The charge of each period when it does not depend on the balance, else None.
    charges: tuple[Decimal, ...] | None
    # The component rule: every principal, charge and fee is rounded by it; (quantum, rounding)
    # when that rule is the currency's minor unit.
    round: Rounder
    quantize: tuple[Decimal, str] | None
    # Principal of each repaying installment of a method without level installments, rounded;
    # and the same unrounded, for installments rounded as a whole.
    principal_each: Decimal
    principal_share: Decimal
    round_installment: Rounder | None
    # The principal of each installment of a custom schedule, else None.
    given: tuple[Decimal, ...] | None
    grace_principal: int
    grace_payment: int
    grace_free: int
    style: InterestGraceStyle
    fee: Decimal
    savings: Decimal
    zero: Decimal


Charges = Callable[[_Plan, Product], tuple[Decimal, ...]]


def _charge_on_amount(plan: _Plan, product: Product) -> tuple[Decimal, ...]:
    # Flat: each period's rate on the original amount. The total is rounded once and the last
    # period takes the remainder, so rounding never adds up to more than the contract says.
    rnd, amount, rates, divisor, free = (
        plan.round,
        plan.amount,
        plan.rates,
        plan.divisor,
        plan.grace_free,
    )
    if plan.given is None:  # regular periods: a flat product has no day count
        numerator = amount * rates[0] * (len(rates) - free)
        each: tuple[Decimal, ...] = (_times(amount, rates[0], divisor, rnd),) * len(rates)
    else:
        numerator = amount * sum(rates[free:], ZERO)
        each = tuple(_times(amount, rate, divisor, rnd) for rate in rates)
    total = rnd(numerator if divisor is None else numerator / divisor)
    return _shares(total, each, free, plan.zero)


def _charge_of_markup(plan: _Plan, product: Product) -> tuple[Decimal, ...]:
    # Murabaha: the markup in proportion to the cost each installment repays; the sale price is
    # cost plus markup to the minor unit, whatever the rounding of the installments.
    amount, rnd = plan.amount, plan.round
    markup = rounder(product.rounding.minor())(amount * percent(product.markup_percent))
    count = len(plan.dates)
    given = plan.given
    if given is None:
        skip = plan.grace_principal
        each = (rnd(markup / (count - skip)),) * count
    else:
        skip = 0
        each = tuple(rnd(markup * principal / amount) for principal in given)
    return _shares(markup, each, skip, plan.zero)


def _no_charge(plan: _Plan, product: Product) -> tuple[Decimal, ...]:
    return (plan.zero,) * len(plan.dates)


def _times(amount: Decimal, rate: Decimal, divisor: Decimal | None, rnd: Rounder) -> Decimal:
    return rnd(amount * rate if divisor is None else amount * rate / divisor)


def _shares(
    total: Decimal, each: tuple[Decimal, ...], skip: int, zero: Decimal
) -> tuple[Decimal, ...]:
    """Shares of a total after the first `skip` periods, never beyond it; the last gets the rest."""
    charged = ZERO
    column = [zero] * skip
    for share in each[skip:-1]:
        if share > total - charged:
            share = total - charged
        charged += share
        column.append(share)
    column.append(total - charged)
    return tuple(column)


@dataclass(frozen=True, slots=True)
class MethodRule:
    """How one method charges for a period and repays principal."""

    # The whole charge column, for methods whose charge does not depend on the balance; None
    # charges each period's rate on the balance.
    charges: Charges | None
    # Level installments (annuity): principal = installment − the period's charge. Otherwise
    # principal is repaid in equal parts.
    level: bool


METHODS: dict[Method, MethodRule] = {
    Method.FLAT: MethodRule(_charge_on_amount, level=False),
    Method.DECLINING: MethodRule(None, level=True),
    Method.EQUAL_PRINCIPAL: MethodRule(None, level=False),
    Method.QARD_HASAN: MethodRule(_no_charge, level=False),
    Method.MURABAHA: MethodRule(_charge_of_markup, level=False),
}


def _amortise(plan: _Plan, level: Decimal | None) -> list[Installment]:
    """The rows of a loan: one pass over its periods, for every method and grace.

    `level` is the rounded installment of a level (annuity) loan, None for the other methods.
    """
    (
        balance,
        dates,
        rates,
        divisor,
        charges,
        rnd,
        quantize,
        principal_each,
        principal_share,
        round_installment,
        given,
        grace_principal,
        grace_payment,
        grace_free,
        style,
        fee,
        savings,
        zero,
    ) = plan
    emi_style = style is _EMI_STYLE and level is not None and grace_payment > 0
    next_style = style is _NEXT_STYLE
    # Rounding to the minor unit runs inline: a function call per row is a tenth of the loop.
    # The common case: an exact rate per period, rounded to the minor unit inline.
    exact = divisor is None and quantize is not None
    step, mode = quantize if quantize is not None else (ONE, None)
    extra = fee + savings
    last = len(dates) - 1
    rows: list[Installment] = []
    append = rows.append
    owed = ZERO  # charge deferred by the interest-payment grace and not yet paid
    share = ZERO
    has_extra = bool(extra)
    new_row = _new_row
    row_type = Installment
    for k in range(last + 1):
        # The charge of the period.
        if charges is not None:
            accrued = charges[k]
        elif k < grace_free:
            accrued = zero
        elif exact:
            accrued = (balance * rates[k]).quantize(step, mode)
        else:
            interest = balance * rates[k]
            if divisor is not None:
                interest /= divisor
            accrued = rnd(interest)

        if k == last:
            principal = balance
            charge = accrued + owed
        elif emi_style:
            # The same installment from the first period: all principal during the grace, then
            # the deferred charge first, the period's charge, and principal with the rest.
            assert level is not None
            if k < grace_payment:
                owed += accrued
                charge = zero
                principal = level
            else:
                from_owed = owed if owed < level else level
                rest = level - from_owed
                now = accrued if accrued < rest else rest
                owed += accrued - now - from_owed
                charge = from_owed + now
                principal = rest - now
            if principal > balance:
                principal = balance
        else:
            # Principal repaid.
            if k < grace_principal:
                principal = zero
            elif level is not None:
                principal = level - accrued
                if principal < ZERO:
                    principal = zero
            elif given is not None:
                principal = given[k]
            elif round_installment is not None:
                principal = round_installment(principal_share + accrued) - accrued
                if principal < ZERO:
                    principal = zero
            else:
                principal = principal_each
            if principal > balance:
                principal = balance

            # Charge paid: deferred during the interest-payment grace, then all at once or
            # spread evenly, without interest on it.
            if k < grace_payment:
                owed += accrued
                charge = zero
            elif grace_payment and owed:
                if next_style:
                    part = owed
                else:
                    if k == grace_payment:
                        share = rnd(owed / (last + 1 - grace_payment))
                    part = owed if share > owed else share
                owed -= part
                charge = accrued + part
            else:
                charge = accrued

        balance -= principal
        total = principal + charge + extra if has_extra else principal + charge
        append(
            new_row(row_type, (k + 1, dates[k], principal, charge, fee, savings, total, balance))
        )
    return rows


# tuple.__new__ skips the named tuple's Python-level constructor: a fifth of a schedule's time.
_new_row = tuple.__new__
# Enum members read for every loan, once: an Enum class attribute is a Python-level lookup in
# Python 3.11, several percent of a 12-row schedule.
_PERIODIC = DayCount.PERIODIC
_EMI_STYLE = InterestGraceStyle.EMI
_NEXT_STYLE = InterestGraceStyle.NEXT
_EMI_FROM_DAY_COUNT = EmiBasis.DAY_COUNT
_PER_INSTALLMENT = FeeTiming.PER_INSTALLMENT


def build_schedule(terms: LoanTerms) -> Schedule:
    """The repayment schedule of a loan; raises `InvalidTerms` listing every problem."""
    if not uses_engine_precision():
        with localcontext(ENGINE_CONTEXT):
            return _build(terms)
    return _build(terms)


def _build(terms: LoanTerms) -> Schedule:
    errors = terms_problems(terms, check_cash=False)
    if errors:
        raise InvalidTerms(errors)
    product = terms.product
    amount = terms.amount
    count = terms.installments
    grace = product.grace
    frequency = product.frequency
    rnd, quantize, zero = _rounding(product.currency, product.round_to, product.rounding_mode)
    installment_rule = product.installment_rule
    round_installment = None if installment_rule is None else rounder(installment_rule)

    custom = terms.custom
    annual = product.annual_rate_percent
    periods_per_year = frequency.periods_per_year
    nominal, exact = _nominal_rate(annual, periods_per_year)
    day_count = product.day_count
    given = None
    if custom is None:
        scheduled = scheduled_dates(terms.disbursed, terms.first_due, frequency, count)
        dates = moved_dates(scheduled, product.calendar)
    else:
        # The officer's dates are the due dates; irregular periods need a day count, and 30/360
        # keeps "2 % a month" for whole months, as the periodic rule does.
        dates = scheduled = tuple(row.due_date for row in custom)
        given = tuple(zero if row.principal is None else row.principal + zero for row in custom)
        grace = NO_GRACE
        if day_count is _PERIODIC:
            day_count = DayCount.THIRTY_360
    divisor: Decimal | None
    if day_count is not _PERIODIC:
        days, basis = period_days(terms.disbursed, scheduled, day_count)
        rates, divisor = tuple(annual * d for d in days), HUNDRED * basis
    elif exact:
        # Most rates divide exactly (24 % a year is 2 % a month); the others divide per period.
        rates, divisor = (nominal,) * count, None
    else:
        rates, divisor = (annual,) * count, HUNDRED * periods_per_year

    cash = loan_cash(terms) if product.fees or product.savings is not None else None
    fee_each = savings_each = zero
    if cash is not None:
        if leaves_nothing(amount, cash):
            raise InvalidTerms(validate_terms(terms))
        fee_each, savings_each = cash.fee_each, cash.savings_each

    repaying = count - grace.principal
    rule = METHODS[product.method]
    level = rule.level and custom is None
    # Equal parts of principal, for the methods without level installments.
    share = ZERO if level else amount / repaying
    plan = _new_row(
        _Plan,
        (
            amount,
            dates,
            rates,
            divisor,
            None,
            rnd,
            quantize,
            rnd(share) if share else zero,
            share,
            round_installment,
            given,
            grace.principal,
            grace.interest_payment,
            grace.interest_free,
            grace.interest_style,
            fee_each,
            savings_each,
            zero,
        ),
    )
    if rule.charges is not None:
        plan = plan._replace(charges=rule.charges(plan, product))
    if level:
        rows = _level_rows(plan, product, nominal, repaying, round_installment or rnd)
    else:
        rows = _amortise(plan, None)

    schedule = object.__new__(Schedule)
    set_terms, set_rows, set_fees, set_separate, set_withheld, set_returned, set_received = (
        _SCHEDULE_SETTERS
    )
    set_terms(schedule, terms)
    set_rows(schedule, tuple(rows))
    if cash is None:
        set_fees(schedule, zero)
        set_separate(schedule, zero)
        set_withheld(schedule, zero)
        set_returned(schedule, zero)
        set_received(schedule, amount + zero)
    else:
        set_fees(schedule, cash.upfront_deducted + cash.upfront_separate)
        set_separate(schedule, cash.upfront_separate)
        set_withheld(schedule, cash.savings_withheld)
        set_returned(schedule, cash.savings_returned)
        set_received(schedule, amount - cash.upfront_deducted - cash.savings_withheld)
    return schedule


# Slot setters of the frozen Schedule, in field order: setting the slots directly skips the
# frozen dataclass __init__ (an object.__setattr__ lookup and call per field).
_SCHEDULE_SETTERS = tuple(Schedule.__dict__[f.name].__set__ for f in fields(Schedule))


@lru_cache(maxsize=1024)
def _rounding(
    currency: str, multiple: Decimal | None, mode: RoundingMode
) -> tuple[Rounder, tuple[Decimal, str] | None, Decimal]:
    """The component rule's function, its inline (quantum, rounding) if any, and a zero."""
    rule = RoundingRule(currency, multiple, mode)
    return rounder(rule), quantize_spec(rule), rounder(rule.minor())(ZERO)


@lru_cache(maxsize=1024)
def _nominal_rate(annual_percent: Decimal, periods_per_year: int) -> tuple[Decimal, bool]:
    """The nominal rate per period, and whether it is exact (24 % ÷ 12) or rounded (24 % ÷ 52)."""
    rate = annual_percent / (HUNDRED * periods_per_year)
    # A rounded quotient has every digit of the precision; an exact one almost never does.
    return rate, len(rate.as_tuple().digits) < ENGINE_CONTEXT.prec


@lru_cache(maxsize=4096)
def _present_value(rate: Decimal, periods: int) -> Decimal:
    """Present value of one unit paid at the end of each of `periods` periods at `rate`."""
    if rate == ZERO:
        return Decimal(periods)
    return (ONE - (ONE + rate) ** -periods) / rate


def _level_rows(
    plan: _Plan, product: Product, nominal: Decimal, repaying: int, round_level: Rounder
) -> list[Installment]:
    """Rows of a level-installment loan, with the EMI from the nominal or the day-count rates."""
    amount = plan.amount
    if product.emi_from is _EMI_FROM_DAY_COUNT:
        # The installment that repays the amount exactly at each period's own rate.
        divisor = plan.divisor or ONE
        discount = ONE
        present = ZERO
        for rate in plan.rates[len(plan.rates) - repaying :]:
            discount /= ONE + rate / divisor
            present += discount
    else:
        present = _present_value(nominal, repaying)
    # Dividing by the present value (not multiplying by its inverse) keeps a zero-rate
    # installment exact: 0.03 over 6 periods is exactly half a cent.
    level = round_level(amount / present)
    rows = _amortise(plan, level)
    emi_style = plan.style is _EMI_STYLE and plan.grace_payment > 0
    kept = not emi_style or _level_kept(rows, level)
    if product.emi_adjust:
        # Fineract's EMI adjustment: one step down and up, keep the one whose last installment
        # is closest to the others (ties keep the rounded EMI).
        step = (product.installment_rule or product.rounding).step
        gap = _last_gap(rows, level) if kept else None
        for candidate in (level - step, level + step):
            if candidate <= ZERO:
                continue
            trial = _amortise(plan, candidate)
            if emi_style and not _level_kept(trial, candidate):
                continue
            trial_gap = _last_gap(trial, candidate)
            if gap is None or trial_gap < gap:
                rows, gap, level, kept = trial, trial_gap, candidate, True
    if not kept:
        raise InvalidTerms(
            (
                TermsError(
                    "grace.interest_payment",
                    "too_long",
                    "with the emi style the installments would repay the loan before the last"
                    " one; shorten the grace",
                ),
            )
        )
    return rows


def _last_gap(rows: list[Installment], level: Decimal) -> Decimal:
    return abs(rows[-1].principal + rows[-1].charge - level)


def _level_kept(rows: list[Installment], level: Decimal) -> bool:
    return all(row.principal + row.charge == level for row in rows[:-1])
