"""A plain, slow reference schedule: the engine's rules written out once more, in fractions.

Nothing here is shared with `tandir.engine.schedule`: dates, day counts, the annuity formula,
rounding, grace and the conventions are computed again from their definitions, with exact
`Fraction` arithmetic and rounding only where a rule says so. A property test compares the two
row by row; where they differ, one of them misreads the rule.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from tandir.engine import (
    DayCount,
    EmiBasis,
    FeeTiming,
    Frequency,
    Grace,
    InstallmentRounding,
    InterestGraceStyle,
    LoanTerms,
    Method,
    RoundingMode,
    SavingsTiming,
    quantum,
)

Row = tuple[int, date, Fraction, Fraction, Fraction, Fraction, Fraction, Fraction]

MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3}
DAYS = {Frequency.WEEKLY: 7, Frequency.BIWEEKLY: 14, Frequency.FOURWEEKLY: 28}
PERIODS_PER_YEAR = {
    Frequency.WEEKLY: 52,
    Frequency.BIWEEKLY: 26,
    Frequency.FOURWEEKLY: 13,
    Frequency.MONTHLY: 12,
    Frequency.QUARTERLY: 4,
}


def rounded(value: Fraction, step: Fraction, mode: RoundingMode) -> Fraction:
    """`value` rounded to a multiple of `step` by `mode` (up and down: away from / toward zero)."""
    sign = -1 if value < 0 else 1
    units = abs(value) / step
    whole = math.floor(units)
    rest = units - whole
    if mode is RoundingMode.UP:
        whole += rest > 0
    elif mode is RoundingMode.HALF_UP:
        whole += rest >= Fraction(1, 2)
    elif mode is RoundingMode.HALF_EVEN:
        whole += rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2 == 1)
    return sign * whole * step


def add_months(anchor: date, months: int) -> date:
    year, month = divmod(anchor.year * 12 + anchor.month - 1 + months, 12)
    return date(year, month + 1, min(anchor.day, calendar.monthrange(year, month + 1)[1]))


def contractual_dates(terms: LoanTerms) -> list[date]:
    frequency = terms.product.frequency
    anchor = terms.disbursed if terms.first_due is None else terms.first_due
    offset = 1 if terms.first_due is None else 0
    periods = [k + offset for k in range(terms.installments)]
    if frequency in MONTHS:
        return [add_months(anchor, MONTHS[frequency] * k) for k in periods]
    return [anchor + timedelta(days=DAYS[frequency] * k) for k in periods]


def moved(day: date, terms: LoanTerms) -> date:
    holidays = terms.product.calendar
    while day.weekday() in holidays.weekend or day in holidays.holidays:
        day += timedelta(days=1)
    return day


def year_fraction(start: date, end: date, day_count: DayCount) -> Fraction:
    if day_count is DayCount.ACTUAL_365:
        return Fraction((end - start).days, 365)
    if day_count is DayCount.ACTUAL_360:
        return Fraction((end - start).days, 360)
    if day_count is DayCount.THIRTY_360:
        d1 = min(start.day, 30)
        d2 = 30 if end.day == 31 and d1 == 30 else end.day
        days = 360 * (end.year - start.year) + 30 * (end.month - start.month) + d2 - d1
        return Fraction(days, 360)
    # actual/actual: each calendar year's days over that year's length.
    total = Fraction(0)
    day = start
    while day < end:
        next_year = date(day.year + 1, 1, 1)
        until = min(next_year, end)
        total += Fraction((until - day).days, 366 if calendar.isleap(day.year) else 365)
        day = until
    return total


@dataclass
class Rounding:
    step: Fraction
    mode: RoundingMode

    def __call__(self, value: Fraction) -> Fraction:
        return rounded(value, self.step, self.mode)


@dataclass
class Reference:
    rows: list[Row]
    upfront_fees: Fraction
    amount_received: Fraction
    savings_returned: Fraction


def reference_schedule(terms: LoanTerms) -> Reference | None:
    """The schedule by the rules, or None when the emi grace style cannot keep its installment."""
    product = terms.product
    method = product.method
    amount = Fraction(terms.amount)
    count = terms.installments
    minor = Fraction(quantum(product.currency))
    component = Rounding(
        Fraction(product.round_to) if product.round_to else minor, product.rounding_mode
    )
    to_minor = Rounding(minor, product.rounding_mode)
    whole_installment = None
    if (
        product.round_installment_to is not None
        or product.installment_rounding is InstallmentRounding.UP
    ):
        whole_installment = Rounding(
            Fraction(product.round_installment_to) if product.round_installment_to else minor,
            RoundingMode.UP
            if product.installment_rounding is InstallmentRounding.UP
            else product.rounding_mode,
        )
    grace = product.grace
    annual = Fraction(product.annual_rate_percent) / 100
    per_year = PERIODS_PER_YEAR[product.frequency]
    day_count = product.day_count
    given: list[Fraction] | None = None
    if terms.custom is None:
        contractual = contractual_dates(terms)
        due = [moved(day, terms) for day in contractual]
    else:
        # The officer's dates, no grace, and 30/360 for a product without a day count.
        contractual = due = [row.due_date for row in terms.custom]
        given = [Fraction(row.principal or 0) for row in terms.custom]
        grace = Grace()
        if day_count is DayCount.PERIODIC:
            day_count = DayCount.THIRTY_360
    repaying = count - grace.principal
    if day_count is DayCount.PERIODIC:
        rates = [annual / per_year] * count
    else:
        starts = [terms.disbursed, *contractual[:-1]]
        rates = [
            annual * year_fraction(start, end, day_count)
            for start, end in zip(starts, contractual, strict=True)
        ]

    # Fees and savings.
    fee_each = upfront_deducted = upfront_separate = Fraction(0)
    for fee in product.fees:
        value = (
            component(amount * Fraction(fee.value) / 100) if fee.is_percent else Fraction(fee.value)
        )
        if fee.timing is FeeTiming.PER_INSTALLMENT:
            fee_each += value
        elif fee.deducted_from_disbursement:
            upfront_deducted += value
        else:
            upfront_separate += value
    savings_each = savings_withheld = savings_returned = Fraction(0)
    if product.savings is not None:
        savings = product.savings
        value = (
            component(amount * Fraction(savings.value) / 100)
            if savings.is_percent
            else Fraction(savings.value)
        )
        if savings.timing is SavingsTiming.PER_INSTALLMENT:
            savings_each = value
        else:
            savings_withheld = value
        saved = savings_withheld + savings_each * count
        deposit_periods = savings_withheld * count + savings_each * (count * (count - 1) // 2)
        interest = component(
            deposit_periods * Fraction(savings.annual_interest_percent) / 100 / per_year
        )
        savings_returned = saved + (interest if savings.annual_interest_percent else 0)

    # Charges that do not depend on the balance: flat on the amount, Murabaha's markup.
    fixed_charges: list[Fraction] | None = None
    if method is Method.FLAT:
        fixed_charges = shares(
            component(amount * sum(rates[grace.interest_free :])),
            [component(amount * rate) for rate in rates],
            grace.interest_free,
        )
    elif method is Method.MURABAHA:
        markup = to_minor(amount * Fraction(product.markup_percent) / 100)
        if given is None:
            each = [component(markup / repaying)] * count
        else:
            each = [component(markup * principal / amount) for principal in given]
        fixed_charges = shares(markup, each, grace.principal)
    elif method is Method.QARD_HASAN:
        fixed_charges = [Fraction(0)] * count

    level: Fraction | None = None
    if method is Method.DECLINING and given is None:
        if product.emi_from is EmiBasis.DAY_COUNT:
            present = Fraction(0)
            discount = Fraction(1)
            for rate in rates[grace.principal :]:
                discount /= 1 + rate
                present += discount
        else:
            rate = annual / per_year
            present = Fraction(repaying) if rate == 0 else (1 - (1 + rate) ** -repaying) / rate
        level = (whole_installment or component)(amount / present)

    def rows_for(level: Fraction | None) -> list[Row] | None:
        rows: list[Row] = []
        balance = amount
        owed = Fraction(0)
        share = Fraction(0)
        emi_style = grace.interest_style is InterestGraceStyle.EMI and grace.interest_payment > 0
        for k in range(count):
            last = k == count - 1
            if fixed_charges is not None:
                accrued = fixed_charges[k]
            elif k < grace.interest_free:
                accrued = Fraction(0)
            else:
                accrued = component(balance * rates[k])
            if last:
                principal = balance
                charge = accrued + owed
            elif emi_style:
                assert level is not None
                if k < grace.interest_payment:
                    owed += accrued
                    charge = Fraction(0)
                    principal = level
                else:
                    from_owed = min(owed, level)
                    now = min(accrued, level - from_owed)
                    owed = owed - from_owed + accrued - now
                    charge = from_owed + now
                    principal = level - from_owed - now
                if principal > balance:
                    return None  # the installments would repay the loan before the last one
            else:
                if k < grace.principal:
                    principal = Fraction(0)
                elif given is not None:
                    principal = given[k]
                elif level is not None:
                    principal = level - accrued
                elif whole_installment is not None:
                    principal = whole_installment(amount / repaying + accrued) - accrued
                else:
                    principal = component(amount / repaying)
                principal = max(Fraction(0), min(principal, balance))
                if k < grace.interest_payment:
                    owed += accrued
                    charge = Fraction(0)
                elif owed and grace.interest_style is InterestGraceStyle.NEXT:
                    charge = accrued + owed
                    owed = Fraction(0)
                elif owed:
                    if k == grace.interest_payment:
                        share = component(owed / (count - grace.interest_payment))
                    part = min(share, owed)
                    owed -= part
                    charge = accrued + part
                else:
                    charge = accrued
            balance -= principal
            total = principal + charge + fee_each + savings_each
            rows.append((k + 1, due[k], principal, charge, fee_each, savings_each, total, balance))
        return rows

    rows = rows_for(level)
    if level is not None and product.emi_adjust:
        step = (whole_installment or component).step
        best = rows
        best_gap = gap(rows, level) if rows is not None else None
        for candidate in (level - step, level + step):
            trial = rows_for(candidate) if candidate > 0 else None
            if trial is not None and (best_gap is None or gap(trial, candidate) < best_gap):
                best, best_gap = trial, gap(trial, candidate)
        rows = best
    if rows is None:
        return None
    return Reference(
        rows,
        upfront_deducted + upfront_separate,
        amount - upfront_deducted - savings_withheld,
        savings_returned,
    )


def shares(total: Fraction, each: list[Fraction], skip: int) -> list[Fraction]:
    """`each` per period after the first `skip`, never beyond `total`; the last gets the rest."""
    column = [Fraction(0)] * skip
    for share in each[skip:-1]:
        column.append(min(share, total - sum(column)))
    column.append(total - sum(column))
    return column


def gap(rows: list[Row], level: Fraction) -> Fraction:
    return abs(rows[-1][2] + rows[-1][3] - level)


def as_fractions(value: Decimal) -> Fraction:
    return Fraction(value)
