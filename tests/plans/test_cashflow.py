"""The plan's numbers on the loan engine, without a database: the cash-flow table adds up to the
cent every month, the loan need is never negative, and the capacity ratio is the one lending's
appraisal computes from the same monthly figures."""

from __future__ import annotations

import datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tandir.engine import Method, Product, build_schedule
from tandir.lending.actions import HUNDRED, monthly
from tandir.plans import cashflow
from tests.plans.factories import bakery

D = Decimal
START = datetime.date(2026, 3, 1)
DECLINING = Product(Method.DECLINING, "AMD", annual_rate_percent=D(24), round_to=D(1))
OPTION = cashflow.ProductOption(
    key=1, name="Start", product=DECLINING, amount_min=D(100000), amount_max=D(5000000),
    term_min=6, term_max=36, capacity_percent=D(50),
)  # fmt: skip


def parsed(content: dict[str, object]) -> cashflow.PlanInput:
    plan, problems = cashflow.parse_plan(content, currency="AMD", start=START)
    assert problems == ()
    assert plan is not None
    return plan


def test_the_bakery_needs_its_startup_costs_less_its_own_contribution() -> None:
    result = cashflow.compute(parsed(bakery()), [OPTION], sector="manufacturing")
    assert result.need == D("1000000")
    assert result.averages.business_income == D("900000.00")
    assert result.averages.business_expenses == D("450000.00")
    assert result.net_cash_flow == D("300000.00")  # 900k − 450k + 50k − 200k
    assert result.offer is not None
    # The shortest term whose installment is at most half of the net cash flow.
    assert OPTION.term_min <= result.offer.term <= OPTION.term_max
    installment = result.installment
    assert installment is not None and installment * 2 <= result.net_cash_flow
    shorter = build_schedule(
        cashflow.LoanTerms(DECLINING, D("1000000"), result.offer.term - 1, START)
    )
    if result.offer.term > OPTION.term_min:
        assert cashflow.largest_monthly_installment(shorter) * 2 > result.net_cash_flow
    # Month 1: own contribution and the loan in, the start-up costs out; no installment yet.
    first = result.months[0]
    assert first.opening == 0
    assert first.loan_inflow == D("1000000")
    assert first.startup_costs == D("1500000")
    assert first.installment == 0
    assert first.closing == D("500000") + D("1000000") + D("900000") + D("50000") - D(
        "1500000"
    ) - D("450000") - D("200000")
    assert result.months[1].installment == installment
    assert result.break_even_month == 4  # 4 × 450k ≥ 1.5M


def test_the_season_follows_the_calendar_month_of_each_plan_month() -> None:
    season = [str(v) for v in cashflow.SEASONS["agriculture"]]
    plan = parsed(bakery(season=season))
    # The plan starts in March: its first month takes March's 40 %, its sixth August's 180 %.
    assert cashflow.monthly_revenue(plan, 0) == D("360000.00")
    assert cashflow.monthly_revenue(plan, 5) == D("1620000.00")
    # Flour follows the season, the rent does not.
    assert cashflow.monthly_costs(plan, 0) == D("140000.00") + D("100000")


def test_bad_content_reports_every_problem_at_once() -> None:
    content = bakery(
        revenue=[{"name": "Lavash", "unit_price": "300", "quantity": "-5"}],
        season=["100"] * 11,
        household_expenses="-1",
    )
    plan, problems = cashflow.parse_plan(content, currency="AMD", start=START)
    assert plan is None
    assert set(problems) == {
        cashflow.Problem("revenue.0.quantity", "negative"),
        cashflow.Problem("season", "twelve_months"),
        cashflow.Problem("household_expenses", "negative"),
    }


def test_a_plan_with_no_costs_is_refused() -> None:
    plan, problems = cashflow.parse_plan(
        bakery(startup_costs=[], costs=[]), currency="AMD", start=START
    )
    assert plan is None
    assert cashflow.Problem("costs", "no_costs") in problems


def test_no_product_when_the_need_is_outside_every_products_range() -> None:
    small = parsed(bakery(startup_costs=[{"kind": "stock", "description": "", "amount": "550000"}]))
    assert cashflow.loan_need(small) == D("50000")
    assert cashflow.compute(small, [OPTION], sector="trade").offer is None


amounts = st.integers(min_value=0, max_value=5_000_000).map(D)
prices = st.integers(min_value=0, max_value=2_000_000).map(lambda n: D(n) / 100)
percent = st.integers(min_value=0, max_value=300).map(D)


@st.composite
def plans(draw: st.DrawFn) -> cashflow.PlanInput:
    startup = draw(st.lists(amounts, min_size=1, max_size=4))
    total = sum(startup, D(0))
    own = draw(st.integers(min_value=0, max_value=int(total))).__index__()
    return cashflow.PlanInput(
        currency="AMD",
        start=draw(st.dates(datetime.date(2025, 1, 1), datetime.date(2028, 12, 1))).replace(day=1),
        startup_costs=tuple(cashflow.StartupCost("equipment", "", amount) for amount in startup),
        own_contribution=D(own),
        revenue=tuple(
            cashflow.RevenueLine("x", price, D(quantity))
            for price, quantity in draw(
                st.lists(st.tuples(prices, st.integers(0, 5000)), min_size=1, max_size=3)
            )
        ),
        costs=tuple(
            cashflow.CostLine("c", amount / 100, seasonal)
            for amount, seasonal in draw(st.lists(st.tuples(amounts, st.booleans()), max_size=3))
        ),
        season=tuple(draw(st.lists(percent, min_size=12, max_size=12))),
        household_expenses=draw(amounts),
        household_income=draw(amounts),
        existing_debt_payments=draw(amounts),
    )


@settings(max_examples=40, deadline=None)
@given(plans(), st.integers(min_value=6, max_value=36))
def test_every_month_closes_with_opening_plus_inflows_less_outflows_to_the_cent(
    plan: cashflow.PlanInput, term: int
) -> None:
    result = cashflow.compute(plan, [OPTION], sector="trade", term=term)
    opening = D(0)
    for month in result.months:
        assert month.opening == opening
        assert month.closing == (
            month.opening
            + month.own_contribution + month.loan_inflow + month.revenue + month.household_income
            - month.startup_costs - month.costs - month.household_expenses
            - month.debt_payments - month.installment
        )  # fmt: skip
        for value in (month.revenue, month.costs, month.installment, month.closing):
            assert value == value.quantize(D("0.01"))
        opening = month.closing
    assert len(result.months) == 12
    assert result.need >= 0
    assert result.need >= plan.startup_total - plan.own_contribution


@settings(max_examples=40, deadline=None)
@given(plans(), st.integers(min_value=6, max_value=36))
def test_the_ratio_is_the_one_the_appraisal_computes_from_the_same_figures(
    plan: cashflow.PlanInput, term: int
) -> None:
    result = cashflow.compute(plan, [OPTION], sector="trade", term=term)
    if result.offer is None:
        return
    schedule = result.offer.schedule
    # lending.actions.appraise: the largest installment as a monthly amount, over the net.
    largest = max(row.total for row in schedule.installments)
    per_month = monthly(largest, "monthly").quantize(D("0.01"))
    figures = result.averages
    net = (
        figures.business_income - figures.business_expenses + figures.household_income
        - figures.household_expenses - figures.existing_debt_payments
    )  # fmt: skip
    share = (per_month * HUNDRED / net).quantize(D("0.01")) if net > 0 else None
    assert result.installment == per_month
    assert result.net_cash_flow == net
    assert result.ratio == share
