"""A business plan's numbers, computed on the loan engine: pure Python, no Django.

A plan's content (what the advisor typed with the participant) is parsed into `PlanInput`, every
problem reported at once as `Problem` values (a field and a stable code; the actions word them).
`compute` turns it into the twelve-month cash-flow table, the break-even month, the loan the plan
needs, the suggested product and term, the installment from the engine's schedule, and the
repayment-capacity ratio computed the way lending's appraisal computes it:

    largest installment, as a monthly amount
    ─────────────────────────────────────────────────────────────────────────────────── × 100
    business income − business expenses + household income − household expenses − other debts

with each monthly figure the plan's twelve-month average, in the currency's minor unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from tandir.engine import (
    Frequency,
    InvalidTerms,
    LoanTerms,
    Product,
    Schedule,
    add_months,
    build_schedule,
    quantum,
)

ZERO = Decimal(0)
HUNDRED = Decimal(100)
MONTHS = 12
# Amounts beyond this are typing mistakes (and would not fit the amount columns).
MAX_AMOUNT = Decimal(10) ** 15
MAX_QUANTITY = Decimal(10) ** 9
MAX_SEASON_PERCENT = Decimal(1000)

STARTUP_KINDS = ("equipment", "stock", "premises", "working_capital")

# Seasonal profiles: each month's activity in percent of an ordinary month, January first.
# Agriculture sells its harvest in late summer and autumn; livestock sells in spring (lambs,
# milk) and before the winter; trade peaks before the new year. An advisor adjusts them.
SEASONS: dict[str, tuple[int, ...]] = {
    "even": (100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100),
    "agriculture": (20, 20, 40, 60, 80, 100, 140, 180, 200, 160, 60, 40),
    "livestock": (70, 70, 110, 130, 130, 110, 90, 90, 100, 120, 110, 70),
    "trade": (80, 80, 90, 100, 100, 100, 100, 100, 110, 110, 120, 160),
}


# --- Input ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartupCost:
    kind: str
    description: str
    amount: Decimal


@dataclass(frozen=True)
class RevenueLine:
    """What the business sells: a price times a quantity in an ordinary month."""

    name: str
    unit_price: Decimal
    quantity: Decimal


@dataclass(frozen=True)
class CostLine:
    """A monthly cost; `seasonal` costs (feed, seed, stock bought) follow the season."""

    name: str
    amount: Decimal
    seasonal: bool = False


@dataclass(frozen=True)
class PlanInput:
    currency: str
    start: date
    startup_costs: tuple[StartupCost, ...]
    own_contribution: Decimal
    revenue: tuple[RevenueLine, ...]
    costs: tuple[CostLine, ...]
    season: tuple[Decimal, ...]  # twelve percentages of an ordinary month, January first
    household_expenses: Decimal
    household_income: Decimal = ZERO
    existing_debt_payments: Decimal = ZERO

    @property
    def startup_total(self) -> Decimal:
        return sum((c.amount for c in self.startup_costs), ZERO)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a plan's content: `field` names where (``costs.2.amount``)."""

    field: str
    code: str


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


class _Reader:
    """Reads numbers out of the content, noting every problem instead of stopping."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.step = quantum(currency)
        self.problems: list[Problem] = []

    def amount(self, value: Any, name: str, *, required: bool = True) -> Decimal:
        number = _decimal(value)
        if number is None:
            if required or value not in (None, ""):
                self.problems.append(Problem(name, "not_a_number" if value else "required"))
            return ZERO
        if number < ZERO:
            self.problems.append(Problem(name, "negative"))
        elif number > MAX_AMOUNT:
            self.problems.append(Problem(name, "too_large"))
        elif number != number.quantize(self.step):
            self.problems.append(Problem(name, "decimals"))
        return number

    def quantity(self, value: Any, name: str, *, limit: Decimal = MAX_QUANTITY) -> Decimal:
        number = _decimal(value)
        if number is None:
            self.problems.append(Problem(name, "not_a_number" if value else "required"))
            return ZERO
        if number < ZERO:
            self.problems.append(Problem(name, "negative"))
        elif number > limit:
            self.problems.append(Problem(name, "too_large"))
        return number


def parse_plan(
    content: Mapping[str, Any], *, currency: str, start: date
) -> tuple[PlanInput | None, tuple[Problem, ...]]:
    """The plan's figures from its stored content, or None with every problem found."""
    read = _Reader(currency)
    startup = []
    for i, row in enumerate(content.get("startup_costs") or []):
        kind = str(row.get("kind", ""))
        if kind not in STARTUP_KINDS:
            read.problems.append(Problem(f"startup_costs.{i}.kind", "unknown_kind"))
        startup.append(
            StartupCost(
                kind,
                str(row.get("description", "")),
                read.amount(row.get("amount"), f"startup_costs.{i}.amount"),
            )
        )
    revenue = [
        RevenueLine(
            str(row.get("name", "")),
            read.amount(row.get("unit_price"), f"revenue.{i}.unit_price"),
            read.quantity(row.get("quantity"), f"revenue.{i}.quantity"),
        )
        for i, row in enumerate(content.get("revenue") or [])
    ]
    costs = [
        CostLine(
            str(row.get("name", "")),
            read.amount(row.get("amount"), f"costs.{i}.amount"),
            bool(row.get("seasonal", False)),
        )
        for i, row in enumerate(content.get("costs") or [])
    ]
    raw_season = content.get("season")
    if not isinstance(raw_season, list | tuple) or len(raw_season) != MONTHS:
        read.problems.append(Problem("season", "twelve_months"))
        season: tuple[Decimal, ...] = ()
    else:
        season = tuple(
            read.quantity(value, f"season.{m}", limit=MAX_SEASON_PERCENT)
            for m, value in enumerate(raw_season)
        )
    own = read.amount(content.get("own_contribution"), "own_contribution", required=False)
    household = read.amount(content.get("household_expenses"), "household_expenses")
    other_income = read.amount(content.get("household_income"), "household_income", required=False)
    debts = read.amount(
        content.get("existing_debt_payments"), "existing_debt_payments", required=False
    )
    if not startup and not costs:
        read.problems.append(Problem("costs", "no_costs"))
    if not revenue:
        read.problems.append(Problem("revenue", "no_revenue"))
    total_startup = sum((c.amount for c in startup), ZERO)
    if own > total_startup and not read.problems:
        read.problems.append(Problem("own_contribution", "more_than_costs"))
    if read.problems:
        return None, tuple(read.problems)
    return (
        PlanInput(
            currency=currency,
            start=start,
            startup_costs=tuple(startup),
            own_contribution=own,
            revenue=tuple(revenue),
            costs=tuple(costs),
            season=season,
            household_expenses=household,
            household_income=other_income,
            existing_debt_payments=debts,
        ),
        (),
    )


# --- Products ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductOption:
    """A loan product the plan may be financed with: the engine's pricing and the limits."""

    key: int | str
    name: str
    product: Product
    amount_min: Decimal
    amount_max: Decimal
    term_min: int
    term_max: int
    capacity_percent: Decimal
    sectors: tuple[str, ...] = ()  # empty: every sector


@dataclass(frozen=True)
class Offer:
    option: ProductOption
    term: int
    schedule: Schedule


def loan_need(plan: PlanInput, round_to: Decimal | None = None) -> Decimal:
    """Start-up costs less the participant's own contribution, rounded up to the product's
    multiple (or the currency's minor unit): never negative."""
    need = max(plan.startup_total - plan.own_contribution, ZERO)
    step = round_to if round_to else quantum(plan.currency)
    return (need / step).to_integral_value(rounding=ROUND_CEILING) * step


def monthly(amount: Decimal, frequency: Frequency) -> Decimal:
    """An installment as a monthly amount, as lending's appraisal compares it."""
    return amount * Decimal(frequency.periods_per_year) / Decimal(MONTHS)


def largest_monthly_installment(schedule: Schedule) -> Decimal:
    terms = schedule.terms
    largest = max(row.total for row in schedule.installments)
    return monthly(largest, terms.product.frequency).quantize(quantum(terms.product.currency))


def _schedule(option: ProductOption, amount: Decimal, term: int, start: date) -> Schedule | None:
    try:
        return build_schedule(LoanTerms(option.product, amount, term, start))
    except InvalidTerms:
        return None


def suggest_offer(
    plan: PlanInput, options: Sequence[ProductOption], *, sector: str, term: int | None = None
) -> Offer | None:
    """The first product that lends the plan's need to its sector, at the shortest term whose
    installment the cash flow can carry (else its longest term); `term` fixes the term."""
    net = net_monthly_cash_flow(averages(plan))
    for option in options:
        if plan.currency != option.product.currency:
            continue
        if option.sectors and sector not in option.sectors:
            continue
        amount = loan_need(plan, option.product.round_to)
        if not option.amount_min <= amount <= option.amount_max or amount <= ZERO:
            continue
        if term is not None:
            terms: Sequence[int] = [term] if option.term_min <= term <= option.term_max else []
        else:
            terms = range(option.term_min, option.term_max + 1)
        fallback = None
        for count in terms:
            schedule = _schedule(option, amount, count, plan.start)
            if schedule is None:
                continue
            fallback = Offer(option, count, schedule)
            ratio = capacity_ratio(largest_monthly_installment(schedule), net)
            if ratio is not None and ratio <= option.capacity_percent:
                return fallback
        if fallback is not None:
            return fallback
    return None


# --- The cash flow ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    number: int  # 1..12
    first_day: date
    opening: Decimal
    own_contribution: Decimal
    loan_inflow: Decimal
    revenue: Decimal
    household_income: Decimal
    startup_costs: Decimal
    costs: Decimal
    household_expenses: Decimal
    debt_payments: Decimal
    installment: Decimal
    closing: Decimal

    @property
    def inflows(self) -> Decimal:
        return self.own_contribution + self.loan_inflow + self.revenue + self.household_income

    @property
    def outflows(self) -> Decimal:
        return (
            self.startup_costs
            + self.costs
            + self.household_expenses
            + self.debt_payments
            + self.installment
        )

    @property
    def profit(self) -> Decimal:
        """The business's own result of the month, before the loan and the household."""
        return self.revenue - self.costs


@dataclass(frozen=True)
class Averages:
    """The plan's monthly figures as the appraisal form asks for them."""

    business_income: Decimal
    business_expenses: Decimal
    household_income: Decimal
    household_expenses: Decimal
    existing_debt_payments: Decimal


@dataclass(frozen=True)
class Result:
    plan: PlanInput
    months: tuple[Month, ...]
    averages: Averages
    net_cash_flow: Decimal
    need: Decimal
    offer: Offer | None
    installment: Decimal | None  # the largest, as a monthly amount
    ratio: Decimal | None  # percent of the net cash flow; None when the cash flow is not positive
    break_even_month: int | None
    lowest_closing: Decimal = field(default=ZERO)

    @property
    def within_capacity(self) -> bool:
        if self.offer is None or self.ratio is None:
            return False
        return self.ratio <= self.offer.option.capacity_percent


def _round(value: Decimal, currency: str) -> Decimal:
    return value.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def season_factor(plan: PlanInput, month: int) -> Decimal:
    """The season of the plan's `month` (0 is its first), by its calendar month."""
    return plan.season[(plan.start.month - 1 + month) % MONTHS] / HUNDRED


def monthly_revenue(plan: PlanInput, month: int) -> Decimal:
    factor = season_factor(plan, month)
    return sum(
        (_round(line.unit_price * line.quantity * factor, plan.currency) for line in plan.revenue),
        ZERO,
    )


def monthly_costs(plan: PlanInput, month: int) -> Decimal:
    factor = season_factor(plan, month)
    return sum(
        (
            _round(line.amount * factor, plan.currency) if line.seasonal else line.amount
            for line in plan.costs
        ),
        ZERO,
    )


def averages(plan: PlanInput) -> Averages:
    income = sum((monthly_revenue(plan, m) for m in range(MONTHS)), ZERO)
    expenses = sum((monthly_costs(plan, m) for m in range(MONTHS)), ZERO)
    return Averages(
        business_income=_round(income / MONTHS, plan.currency),
        business_expenses=_round(expenses / MONTHS, plan.currency),
        household_income=plan.household_income,
        household_expenses=plan.household_expenses,
        existing_debt_payments=plan.existing_debt_payments,
    )


def net_monthly_cash_flow(figures: Averages) -> Decimal:
    """The net cash flow of business and household, exactly as lending's `appraise` sums it."""
    return (
        figures.business_income
        - figures.business_expenses
        + figures.household_income
        - figures.household_expenses
        - figures.existing_debt_payments
    )


def capacity_ratio(installment: Decimal, net: Decimal) -> Decimal | None:
    """The installment's share of the net cash flow in percent, as lending's `appraise` rounds
    it; None when there is no positive cash flow to repay from."""
    if net <= ZERO:
        return None
    return (installment * HUNDRED / net).quantize(Decimal("0.01"))


def _month_index(start: date, day: date) -> int:
    return (day.year - start.year) * 12 + day.month - start.month


def cash_table(plan: PlanInput, schedule: Schedule | None) -> tuple[Month, ...]:
    """Twelve months from the plan's start: opening cash, what comes in and goes out, closing.

    The loan is paid out in the first month; installments fall in the month of their due date.
    """
    inflow = [ZERO] * MONTHS
    paid = [ZERO] * MONTHS
    if schedule is not None:
        inflow[0] += schedule.amount_received
        paid[0] += schedule.upfront_fees_paid_separately
        last = None
        for row in schedule.installments:
            index = _month_index(plan.start, row.due_date)
            if 0 <= index < MONTHS:
                paid[index] += row.total
            last = index
        if last is not None and 0 <= last < MONTHS:
            inflow[last] += schedule.savings_returned
    months = []
    opening = ZERO
    for m in range(MONTHS):
        month = Month(
            number=m + 1,
            first_day=add_months(plan.start.replace(day=1), m),
            opening=opening,
            own_contribution=plan.own_contribution if m == 0 else ZERO,
            loan_inflow=inflow[m],
            revenue=monthly_revenue(plan, m),
            household_income=plan.household_income,
            startup_costs=plan.startup_total if m == 0 else ZERO,
            costs=monthly_costs(plan, m),
            household_expenses=plan.household_expenses,
            debt_payments=plan.existing_debt_payments,
            installment=paid[m],
            closing=ZERO,
        )
        closing = opening + month.inflows - month.outflows
        month = Month(**{**month.__dict__, "closing": closing})
        months.append(month)
        opening = closing
    return tuple(months)


def break_even(plan: PlanInput, months: Sequence[Month]) -> int | None:
    """The first month by whose end the business has earned back its start-up costs: its
    cumulative result (revenue − costs) reaches them. None if not within the twelve months."""
    earned = ZERO
    for month in months:
        earned += month.profit
        if earned > ZERO and earned >= plan.startup_total:
            return month.number
    return None


def compute(
    plan: PlanInput,
    options: Sequence[ProductOption] = (),
    *,
    sector: str = "",
    term: int | None = None,
) -> Result:
    """Everything the plan's page, its PDF and the appraisal read."""
    figures = averages(plan)
    net = net_monthly_cash_flow(figures)
    offer = suggest_offer(plan, options, sector=sector, term=term)
    schedule = offer.schedule if offer else None
    months = cash_table(plan, schedule)
    installment = largest_monthly_installment(schedule) if schedule else None
    ratio = capacity_ratio(installment, net) if installment is not None else None
    round_to = offer.option.product.round_to if offer else None
    return Result(
        plan=plan,
        months=months,
        averages=figures,
        net_cash_flow=net,
        need=loan_need(plan, round_to),
        offer=offer,
        installment=installment,
        ratio=ratio,
        break_even_month=break_even(plan, months),
        lowest_closing=min(m.closing for m in months),
    )
