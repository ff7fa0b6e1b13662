"""Schedule: the repayment schedule of one loan, exact to the currency's minor unit.

Each installment has a number, a due date, principal, charge (interest; profit for Murabaha; zero
for Qard Hasan), fees, savings, total and the principal balance after it. Every component is
rounded by the product's rule and the rounding remainder goes to the last installment, so the
principal always sums exactly to the amount financed.

Charge by method:
- flat: the annual rate ÷ periods per year on the original amount, every period;
- declining: equal installments (annuity over the installments after the principal grace),
  interest on the balance, the last installment clears the balance;
- equal-principal: the same principal every installment plus interest on the balance;
- qard-hasan: none;
- murabaha: the markup (cost × markup %) is recognised straight-line over the installments that
  repay cost, i.e. in proportion to the cost each one repays; the sale price never changes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, localcontext
from typing import NamedTuple

from tandir.engine.calendar import (
    DayCount,
    moved_dates,
    period_fractions,
    scheduled_dates,
)
from tandir.engine.money import (
    ENGINE_CONTEXT,
    MINOR_UNITS,
    ONE,
    ZERO,
    Rounder,
    percent,
    quantize_spec,
    quantum,
    rounder,
    uses_engine_precision,
)
from tandir.engine.products import (
    CompulsorySavings,
    FeeTiming,
    InvalidTerms,
    LoanTerms,
    Method,
    Product,
    SavingsTiming,
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


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a product and a number of installments fix for every loan: computed once, cached."""

    round: Rounder
    round_minor: Rounder
    # Zero with the currency's decimals, so that every amount prints alike (0.00, not 0).
    zero: Decimal
    # (quantum, rounding) when amounts round to the minor unit: enables the fast path.
    quantize: tuple[Decimal, str] | None
    period_rate: Decimal
    # Installment per unit of amount over the amortising installments (declining method).
    annuity_factor: Decimal
    amortising: int
    fee_fixed: Decimal
    fee_percent: Decimal
    upfront_fixed_deducted: Decimal
    upfront_percent_deducted: Decimal
    upfront_fixed_separate: Decimal
    upfront_percent_separate: Decimal
    # No grace, periodic rate, minor-unit rounding, no savings: `_build_fast` applies.
    fast: bool
    # Due dates by (disbursed, first due), filled as loans come.
    dates: dict[tuple[date, date | None], tuple[date, ...]]


_PLANS: dict[tuple[int, int], tuple[Product, _Plan]] = {}
_PLAN_CACHE_LIMIT = 4096


def _plan_for(product: Product, installments: int) -> _Plan:
    # Keyed by identity and checked with `is`: hashing a product with all its nested settings on
    # every loan would cost more than the schedule itself.
    key = (id(product), installments)
    entry = _PLANS.get(key)
    if entry is not None and entry[0] is product:
        return entry[1]
    plan = _make_plan(product, installments)
    if len(_PLANS) >= _PLAN_CACHE_LIMIT:
        _PLANS.clear()
    _PLANS[key] = (product, plan)
    return plan


def _make_plan(product: Product, installments: int) -> _Plan:
    rule = product.rounding
    ppy = product.frequency.periods_per_year
    period_rate = percent(product.annual_rate_percent) / ppy
    amortising = installments - product.grace.principal
    if amortising <= 0:
        factor = ONE
    elif period_rate == ZERO:
        factor = ONE / amortising
    else:
        factor = period_rate / (ONE - (ONE + period_rate) ** -amortising)
    zero = rounder(rule.minor())(ZERO)
    fee_fixed = zero
    fee_percent = ZERO
    up_fixed_d = up_fixed_s = zero
    up_percent_d = up_percent_s = ZERO
    for fee in product.fees:
        if fee.timing is FeeTiming.PER_INSTALLMENT:
            if fee.is_percent:
                fee_percent += percent(fee.value)
            else:
                fee_fixed += fee.value
        elif fee.deducted_from_disbursement:
            if fee.is_percent:
                up_percent_d += percent(fee.value)
            else:
                up_fixed_d += fee.value
        elif fee.is_percent:
            up_percent_s += percent(fee.value)
        else:
            up_fixed_s += fee.value
    return _Plan(
        round=rounder(rule),
        round_minor=rounder(rule.minor()),
        zero=zero,
        quantize=quantize_spec(rule),
        period_rate=period_rate,
        annuity_factor=factor,
        amortising=amortising,
        fee_fixed=fee_fixed,
        fee_percent=fee_percent,
        upfront_fixed_deducted=up_fixed_d,
        upfront_percent_deducted=up_percent_d,
        upfront_fixed_separate=up_fixed_s,
        upfront_percent_separate=up_percent_s,
        fast=(
            quantize_spec(rule) is not None
            and product.day_count is DayCount.PERIODIC
            and product.savings is None
            and product.grace.principal == 0
            and product.grace.interest_payment == 0
            and product.grace.interest_free == 0
        ),
        dates={},
    )


def build_schedule(terms: LoanTerms) -> Schedule:
    """The repayment schedule of a loan; raises `InvalidTerms` listing every problem."""
    if not uses_engine_precision():
        with localcontext(ENGINE_CONTEXT):
            return _build_any(terms)
    # Inlined `_build_any`: at 100,000 schedules a second each call is a percent.
    product = terms.product
    # A cached plan means the product and the number of installments were already validated.
    entry = _PLANS.get((id(product), terms.installments))
    if entry is not None and entry[0] is product and entry[1].fast:
        schedule = _build_fast(terms, entry[1])
        if schedule is not None:
            return schedule
    return _build(terms)


def _build_any(terms: LoanTerms) -> Schedule:
    product = terms.product
    entry = _PLANS.get((id(product), terms.installments))
    if entry is not None and entry[0] is product and entry[1].fast:
        schedule = _build_fast(terms, entry[1])
        if schedule is not None:
            return schedule
    return _build(terms)


_DATES_CACHE_LIMIT = 8192


def _build_fast(terms: LoanTerms, plan: _Plan) -> Schedule | None:
    """The schedule of a loan whose plan allows the fast path, or None to use the general path.

    The common case (no grace, periodic rate, minor-unit rounding, no savings) with the least
    work per loan: constants come pre-rounded from the plan, dates from the plan's cache, and the
    declining-balance loop runs inline. It returns exactly what `_build` returns (a property test
    compares them) and None, leaving the loan to `_build`, whenever a component would need the
    general loop's clamping or a check fails.
    """
    amount = terms.amount
    disbursed = terms.disbursed
    first_due = terms.first_due
    quantize = plan.quantize
    if (
        quantize is None
        or not amount > ZERO
        or amount.quantize(quantize[0]) != amount
        or (first_due is not None and first_due <= disbursed)
    ):
        return None
    step, mode = quantize
    cached = plan.dates
    dates = cached.get((disbursed, first_due))
    if dates is None:
        dates = _dates_for(terms, cached)
    zero = plan.zero
    fee_each = plan.fee_fixed
    if plan.fee_percent:
        fee_each += (amount * plan.fee_percent).quantize(step, mode)
    method = terms.product.method
    period_rate = plan.period_rate
    if method is Method.DECLINING:
        regular = (amount * plan.annuity_factor).quantize(step, mode)
        regular_total = regular + fee_each
        rows: list[Installment] = []
        append = rows.append
        new_row = _new_row
        row_type = Installment
        balance = amount
        number = 0
        for due in dates[:-1]:
            number += 1
            interest = (balance * period_rate).quantize(step, mode)
            principal = regular - interest
            balance -= principal
            append(
                new_row(
                    row_type,
                    (number, due, principal, interest, fee_each, zero, regular_total, balance),
                )
            )
        # Interest falls as the balance does, so the first principal is the smallest: when it is
        # not negative none is. A principal above the balance shows as a negative balance here.
        if balance < ZERO or (rows and rows[0][2] < ZERO):
            return None
        interest = (balance * period_rate).quantize(step, mode)
        append(
            _new_row(
                Installment,
                (
                    number + 1,
                    dates[-1],
                    balance,
                    interest,
                    fee_each,
                    zero,
                    balance + interest + fee_each,
                    zero,
                ),
            )
        )
    else:
        principal_each = (amount / plan.amortising).quantize(step, mode)
        charge_each = charge_total = zero
        if method is Method.FLAT:
            charge_each = (amount * period_rate).quantize(step, mode)
            charge_total = (amount * period_rate * terms.installments).quantize(step, mode)
        elif method is Method.MURABAHA:
            charge_total = (amount * percent(terms.product.markup_percent)).quantize(step, mode)
            charge_each = (charge_total / plan.amortising).quantize(step, mode)
        found = _rows_without_grace(
            quantize,
            method,
            amount,
            dates,
            period_rate,
            principal_each,
            charge_each,
            charge_total,
            fee_each,
            zero,
        )
        if found is None:
            return None
        rows = found
    deducted = plan.upfront_fixed_deducted
    if plan.upfront_percent_deducted:
        deducted += (amount * plan.upfront_percent_deducted).quantize(step, mode)
    separate = plan.upfront_fixed_separate
    if plan.upfront_percent_separate:
        separate += (amount * plan.upfront_percent_separate).quantize(step, mode)
    return _new_schedule(
        terms, tuple(rows), deducted + separate, separate, zero, zero, amount - deducted
    )


def _dates_for(
    terms: LoanTerms, cached: dict[tuple[date, date | None], tuple[date, ...]]
) -> tuple[date, ...]:
    product = terms.product
    dates = moved_dates(
        scheduled_dates(terms.disbursed, terms.first_due, product.frequency, terms.installments),
        product.calendar,
    )
    if len(cached) >= _DATES_CACHE_LIMIT:
        cached.clear()
    cached[(terms.disbursed, terms.first_due)] = dates
    return dates


# Slot setters of the frozen Schedule, in field order. Setting slots directly skips the frozen
# dataclass __init__ (one object.__setattr__ lookup and call per field), a tenth of the fast path.
_SCHEDULE_SETTERS = tuple(Schedule.__dict__[f.name].__set__ for f in fields(Schedule))


def _new_schedule(
    terms: LoanTerms,
    installments: tuple[Installment, ...],
    upfront_fees: Decimal,
    upfront_fees_paid_separately: Decimal,
    savings_withheld: Decimal,
    savings_returned: Decimal,
    amount_received: Decimal,
) -> Schedule:
    schedule = object.__new__(Schedule)
    set_terms, set_rows, set_fees, set_separate, set_withheld, set_returned, set_received = (
        _SCHEDULE_SETTERS
    )
    set_terms(schedule, terms)
    set_rows(schedule, installments)
    set_fees(schedule, upfront_fees)
    set_separate(schedule, upfront_fees_paid_separately)
    set_withheld(schedule, savings_withheld)
    set_returned(schedule, savings_returned)
    set_received(schedule, amount_received)
    return schedule


def _build(terms: LoanTerms) -> Schedule:
    """The general schedule builder: every method, grace, day count and rounding rule."""
    product = terms.product
    amount = terms.amount
    count = terms.installments
    grace = product.grace
    disbursed = terms.disbursed
    first_due = terms.first_due
    # The cheap checks run on every loan; the full list of problems only when one fails.
    if (
        count <= 0
        or not amount > ZERO
        or product.currency not in MINOR_UNITS
        or amount.quantize(quantum(product.currency)) != amount
        or max(grace.principal, grace.interest_payment, grace.interest_free) >= count
        or (first_due is not None and first_due <= disbursed)
    ):
        raise InvalidTerms(validate_terms(terms))
    _check_product(product)
    plan = _plan_for(product, count)
    rnd = plan.round
    method = product.method
    frequency = product.frequency
    scheduled = scheduled_dates(disbursed, first_due, frequency, count)
    dates = moved_dates(scheduled, product.calendar)

    grace_principal = grace.principal
    grace_payment = grace.interest_payment
    grace_free = grace.interest_free
    amortising = plan.amortising
    last = count

    zero = plan.zero
    fee_each = plan.fee_fixed + zero
    if plan.fee_percent:
        fee_each += rnd(amount * plan.fee_percent)
    savings = product.savings
    savings_each = zero
    savings_withheld = zero
    if savings is not None:
        savings_each, savings_withheld = _savings_amounts(savings, amount, rnd, zero)
    fixed_extra = fee_each + savings_each

    # Per-method amounts that do not change from one installment to the next.
    principal_each = ZERO
    regular = ZERO
    charge_each = ZERO
    charge_total = ZERO
    rates: tuple[Decimal, ...] | None = None
    period_rate = plan.period_rate
    declining = method is Method.DECLINING
    balance_based = declining or method is Method.EQUAL_PRINCIPAL
    if declining:
        regular = rnd(amount * plan.annuity_factor)
    else:
        principal_each = rnd(amount / amortising)
    if balance_based:
        if product.day_count is not DayCount.PERIODIC:
            annual = percent(product.annual_rate_percent)
            fractions = period_fractions(disbursed, scheduled, product.day_count)
            rates = tuple(annual * fraction for fraction in fractions)
    elif method is Method.FLAT:
        charge_each = rnd(amount * period_rate)
        charge_total = rnd(amount * period_rate * (count - grace_free))
    elif method is Method.MURABAHA:
        charge_total = plan.round_minor(amount * percent(product.markup_percent))
        charge_each = rnd(charge_total / amortising)

    rows: list[Installment] = []
    append = rows.append
    balance = amount
    charged = ZERO
    deferred = ZERO
    deferred_left = ZERO
    deferred_share = ZERO
    for number in range(1, count + 1):
        # Charge accrued in this period.
        if number <= grace_free:
            accrued = zero
        elif balance_based:
            rate = period_rate if rates is None else rates[number - 1]
            accrued = rnd(balance * rate)
        elif method is Method.FLAT or (method is Method.MURABAHA and number > grace_principal):
            accrued = charge_total - charged
            if number != last and charge_each < accrued:
                accrued = charge_each
            charged += accrued
        else:
            accrued = zero

        # Principal repaid in this installment.
        if number <= grace_principal:
            principal = zero
        elif number == last:
            principal = balance
        else:
            principal = regular - accrued if declining else principal_each
            if principal > balance:
                principal = balance
            elif principal < ZERO:
                principal = zero
        balance -= principal

        # Charge paid: deferred during the interest-payment grace, then spread evenly.
        if grace_payment:
            if number <= grace_payment:
                deferred += accrued
                charge = zero
            else:
                if number == grace_payment + 1:
                    deferred_left = deferred
                    deferred_share = rnd(deferred / (count - grace_payment))
                part = deferred_left if number == last else min(deferred_share, deferred_left)
                deferred_left -= part
                charge = accrued + part
        else:
            charge = accrued

        append(
            Installment(
                number,
                dates[number - 1],
                principal,
                charge,
                fee_each,
                savings_each,
                principal + charge + fixed_extra,
                balance,
            )
        )

    upfront_deducted = plan.upfront_fixed_deducted + zero
    if plan.upfront_percent_deducted:
        upfront_deducted += rnd(amount * plan.upfront_percent_deducted)
    upfront_separate = plan.upfront_fixed_separate + zero
    if plan.upfront_percent_separate:
        upfront_separate += rnd(amount * plan.upfront_percent_separate)
    savings_returned = zero
    if savings is not None:
        savings_returned = _savings_returned(
            savings, savings_withheld, savings_each, count, frequency.periods_per_year, rnd
        )
    return Schedule(
        terms=terms,
        installments=tuple(rows),
        upfront_fees=upfront_deducted + upfront_separate,
        upfront_fees_paid_separately=upfront_separate,
        savings_withheld=savings_withheld,
        savings_returned=savings_returned,
        amount_received=amount - upfront_deducted - savings_withheld,
    )


_new_row = tuple.__new__


def _rows_without_grace(
    quantize: tuple[Decimal, str],
    method: Method,
    amount: Decimal,
    dates: tuple[date, ...],
    period_rate: Decimal,
    principal_each: Decimal,
    charge_each: Decimal,
    charge_total: Decimal,
    fee_each: Decimal,
    zero: Decimal,
) -> list[Installment] | None:
    """Fast-path rows of equal-principal, flat, Murabaha and Qard Hasan loans (see `_build_fast`).

    Rows are built with tuple.__new__, which skips the named tuple's Python-level constructor.
    """
    step, mode = quantize
    count = len(dates)
    others = count - 1
    rows: list[Installment] = []
    append = rows.append
    balance = amount
    number = 0
    if method is Method.EQUAL_PRINCIPAL:
        if principal_each * others > amount:
            return None
        for due in dates[:-1]:
            number += 1
            interest = (balance * period_rate).quantize(step, mode)
            balance -= principal_each
            total = principal_each + interest + fee_each
            append(
                _new_row(
                    Installment,
                    (number, due, principal_each, interest, fee_each, zero, total, balance),
                )
            )
        interest = (balance * period_rate).quantize(step, mode)
        last = (count, dates[-1], balance, interest, fee_each, zero, balance + interest + fee_each)
        append(_new_row(Installment, (*last, zero)))
        return rows
    # Flat, Murabaha and Qard Hasan: the same principal and charge every installment.
    if principal_each * others > amount or charge_each * others > charge_total:
        return None
    total = principal_each + charge_each + fee_each
    for due in dates[:-1]:
        number += 1
        balance -= principal_each
        append(
            _new_row(
                Installment,
                (number, due, principal_each, charge_each, fee_each, zero, total, balance),
            )
        )
    last_charge = charge_total - charge_each * others
    append(
        _new_row(
            Installment,
            (
                count,
                dates[-1],
                balance,
                last_charge,
                fee_each,
                zero,
                balance + last_charge + fee_each,
                zero,
            ),
        )
    )
    return rows


_CHECKED_PRODUCTS: dict[int, Product] = {}


def _check_product(product: Product) -> None:
    if _CHECKED_PRODUCTS.get(id(product)) is product:
        return
    # Product-level problems do not depend on the loan; check them with a neutral loan.
    probe = LoanTerms(product, ONE, max(1, _grace_max(product) + 1), date(2000, 1, 1))
    errors = validate_terms(probe)
    if errors:
        raise InvalidTerms(errors)
    if len(_CHECKED_PRODUCTS) >= _PLAN_CACHE_LIMIT:
        _CHECKED_PRODUCTS.clear()
    _CHECKED_PRODUCTS[id(product)] = product


def _grace_max(product: Product) -> int:
    grace = product.grace
    return max(grace.principal, grace.interest_payment, grace.interest_free)


def _savings_amounts(
    savings: CompulsorySavings, amount: Decimal, rnd: Rounder, zero: Decimal
) -> tuple[Decimal, Decimal]:
    """(collected per installment, withheld at disbursement)."""
    # Adding a zero with the currency's decimals prints a fixed 5 as 5.00.
    value = rnd(amount * percent(savings.value)) if savings.is_percent else savings.value + zero
    if savings.timing is SavingsTiming.PER_INSTALLMENT:
        return value, ZERO
    return ZERO, value


def _savings_returned(
    savings: CompulsorySavings,
    withheld: Decimal,
    each: Decimal,
    count: int,
    periods_per_year: int,
    rnd: Rounder,
) -> Decimal:
    saved = withheld + each * count
    rate = percent(savings.annual_interest_percent)
    if rate == ZERO:
        return saved
    # Simple interest for the periods each deposit stays with the MFI.
    deposit_periods = withheld * count + each * (count * (count - 1) // 2)
    return saved + rnd(deposit_periods * rate / periods_per_year)
