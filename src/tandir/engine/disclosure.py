"""Disclosure: APR, EIR, XIRR and total cost of credit by the MFTransparency method.

The client's cash flows per period are: + cash received at disbursement (amount financed less
deducted fees and withheld savings, less fees paid separately), − each installment (with its fees
and savings), + the savings returned at the end. The per-period internal rate of return r gives
APR = r × periods per year and EIR = (1 + r)^periods per year − 1. Irregular dates use XIRR.
Everything is solved in Decimal: Newton's method on v = 1 ÷ (1 + r), with bisection as a fallback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from tandir.engine.money import ENGINE_CONTEXT, HUNDRED, ONE, ZERO
from tandir.engine.schedule import Schedule

_TWO_PLACES = Decimal("0.01")
# Stop when v moves by less than this; far finer than the two decimals of percent we print.
_TOLERANCE = Decimal("1E-18")
_MAX_NEWTON_STEPS = 50
_DAYS_PER_YEAR = Decimal(365)


class NoRateOfReturn(ValueError):
    """The cash flows have no internal rate of return (e.g. all of one sign)."""

    code = "no_rate_of_return"


@dataclass(frozen=True, slots=True)
class Disclosure:
    """What the client is told about the price of the loan."""

    period_rate: Decimal
    periods_per_year: int
    apr: Decimal
    eir: Decimal
    total_cost_of_credit: Decimal

    @property
    def apr_percent(self) -> Decimal:
        """APR in percent with two decimals (41.75 means 41.75 %)."""
        return _in_percent(self.apr)

    @property
    def eir_percent(self) -> Decimal:
        return _in_percent(self.eir)


def _in_percent(rate: Decimal) -> Decimal:
    scaled = rate * HUNDRED
    # An absurd rate (a fee repaid the next day) has more digits than the engine's precision.
    digits = max(ENGINE_CONTEXT.prec, scaled.adjusted() + 4)
    return scaled.quantize(_TWO_PLACES, ROUND_HALF_UP, Context(prec=digits))


def cash_flows(schedule: Schedule) -> tuple[Decimal, ...]:
    """The client's cash flows at disbursement and at each installment, per period."""
    flows = [schedule.amount_received - schedule.upfront_fees_paid_separately]
    flows.extend(-row.total for row in schedule.installments)
    flows[-1] += schedule.savings_returned
    return tuple(flows)


def dated_cash_flows(schedule: Schedule) -> tuple[tuple[date, Decimal], ...]:
    """The same cash flows on their actual dates, for XIRR."""
    flows = cash_flows(schedule)
    dates = (schedule.disbursed, *(row.due_date for row in schedule.installments))
    return tuple(zip(dates, flows, strict=True))


def disclose(schedule: Schedule) -> Disclosure:
    """APR, EIR and total cost of credit of a schedule.

    A custom schedule has no equal periods: its EIR is the XIRR of the dated cash flows, and its
    APR the same rate compounded at the product's frequency (period rate × periods per year), so
    that it reads like the APR of a regular loan of that product.
    """
    with localcontext(ENGINE_CONTEXT):
        ppy = schedule.product.frequency.periods_per_year
        if schedule.terms.custom is None:
            rate = irr(cash_flows(schedule))
            eir = (ONE + rate) ** ppy - ONE
        else:
            eir = xirr(dated_cash_flows(schedule))
            rate = (ONE + eir) ** (ONE / ppy) - ONE
        return Disclosure(
            period_rate=rate,
            periods_per_year=ppy,
            apr=rate * ppy,
            eir=eir,
            total_cost_of_credit=schedule.total_cost_of_credit(),
        )


def irr(flows: Sequence[Decimal]) -> Decimal:
    """Per-period internal rate of return of equally spaced cash flows (flows[0] at t = 0)."""
    with localcontext(ENGINE_CONTEXT):
        return _irr(flows)


def _npv_in_v(flows: Sequence[Decimal], v: Decimal) -> tuple[Decimal, Decimal]:
    """f(v) = Σ c_t v^t and f'(v), by Horner's rule."""
    value = ZERO
    slope = ZERO
    for flow in reversed(flows):
        slope = slope * v + value
        value = value * v + flow
    return value, slope


def _irr(flows: Sequence[Decimal]) -> Decimal:
    if len(flows) < 2:
        raise NoRateOfReturn("at least two cash flows are needed")
    total = sum(flows, ZERO)
    if total == ZERO:
        return ZERO
    inflow = sum((f for f in flows if f > ZERO), ZERO)
    outflow = -sum((f for f in flows if f < ZERO), ZERO)
    if inflow == ZERO or outflow == ZERO:
        raise NoRateOfReturn("cash flows must both receive and pay")
    # A simple-interest guess over the average life is close enough for Newton to converge in a
    # handful of steps on loan-shaped flows.
    periods = len(flows) - 1
    guess = (outflow - inflow) * 2 / (inflow * periods) if flows[0] > ZERO else ZERO
    if guess <= -ONE:
        guess = ZERO
    v = ONE / (ONE + guess)
    for _ in range(_MAX_NEWTON_STEPS):
        value, slope = _npv_in_v(flows, v)
        if slope == ZERO:
            break
        step = value / slope
        v -= step
        if v <= ZERO:
            break
        if abs(step) < _TOLERANCE:
            return ONE / v - ONE
    return _bisect(flows)


def _bisect(flows: Sequence[Decimal]) -> Decimal:
    # Search v = 1 / (1 + r) for r between -99.99 % and 1,000,000 % per period.
    low, high = Decimal("1E-6"), Decimal(10000)
    f_low = _npv_in_v(flows, low)[0]
    f_high = _npv_in_v(flows, high)[0]
    if (f_low > ZERO) == (f_high > ZERO):
        raise NoRateOfReturn("no rate of return in a sensible range")
    for _ in range(200):
        middle = (low + high) / 2
        f_middle = _npv_in_v(flows, middle)[0]
        if (f_middle > ZERO) == (f_low > ZERO):
            low, f_low = middle, f_middle
        else:
            high = middle
        if high - low < _TOLERANCE:
            break
    return ONE / ((low + high) / 2) - ONE


def xirr(flows: Sequence[tuple[date, Decimal]]) -> Decimal:
    """Annual effective rate x with Σ c_i (1 + x)^(−days_i ÷ 365) = 0, for irregular dates.

    Solved on the log growth g = ln(1 + x), where the present value Σ c e^(−g t) is smooth:
    Newton's method kept inside a bracket that bisection narrows whenever a step would leave
    it, so that a tiny loan with a fee repaid the next day (an absurd but real rate) still
    converges instead of overflowing.
    """
    with localcontext(ENGINE_CONTEXT):
        if len(flows) < 2:
            raise NoRateOfReturn("at least two cash flows are needed")
        start = flows[0][0]
        times = [Decimal((day - start).days) / _DAYS_PER_YEAR for day, _ in flows]
        amounts = [amount for _, amount in flows]
        if not any(a > ZERO for a in amounts) or not any(a < ZERO for a in amounts):
            raise NoRateOfReturn("cash flows must both receive and pay")
        if sum(amounts, ZERO) == ZERO:
            return ZERO

        def present_value(growth: Decimal) -> tuple[Decimal, Decimal]:
            value = slope = ZERO
            for t, amount in zip(times, amounts, strict=True):
                discounted = amount * (-growth * t).exp()
                value += discounted
                slope -= t * discounted
            return value, slope

        low, high = _LOWEST_GROWTH, _HIGHEST_GROWTH
        low_sign = present_value(low)[0] > ZERO
        if low_sign == (present_value(high)[0] > ZERO):
            raise NoRateOfReturn("no rate of return in a sensible range")
        growth = Decimal("0.1")
        for _ in range(_MAX_XIRR_STEPS):
            value, slope = present_value(growth)
            if value == ZERO:
                break
            if (value > ZERO) == low_sign:
                low = growth
            else:
                high = growth
            step = value / slope if slope != ZERO else ZERO
            candidate = growth - step
            if slope == ZERO or not low < candidate < high:
                candidate = (low + high) / 2
            if abs(candidate - growth) < _TOLERANCE or high - low < _TOLERANCE:
                growth = candidate
                break
            growth = candidate
        else:
            raise NoRateOfReturn("XIRR did not converge")
        return growth.exp() - ONE


# ln(1 + x) from about −100 % to e^5000: beyond either end no loan has a meaningful rate.
_LOWEST_GROWTH = Decimal(-50)
_HIGHEST_GROWTH = Decimal(5000)
_MAX_XIRR_STEPS = 400


def annual_percentage_rate(schedule: Schedule) -> Decimal:
    """APR in percent with two decimals."""
    return disclose(schedule).apr_percent


def effective_interest_rate(schedule: Schedule) -> Decimal:
    """EIR in percent with two decimals."""
    return disclose(schedule).eir_percent
