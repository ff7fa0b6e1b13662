"""The plan's cash-flow chart as inline SVG, drawn on the server: bars of each month's sales and
spending, and a line of the cash at the month's end. No JavaScript and no chart library: the
page, the phone and the PDF show the same picture."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tandir.plans.cashflow import Month

WIDTH = 640
HEIGHT = 220
LEFT = 8
TOP = 10
BOTTOM = 24


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    width: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    income: list[Bar]
    spending: list[Bar]
    line: str  # SVG polyline points of the closing cash
    zero_y: float
    labels: list[tuple[float, str]]


def cash_chart(months: list[Month] | tuple[Month, ...], labels: list[str]) -> Chart:
    """Sales against spending (business costs, household, installments) and closing cash."""
    income = [m.revenue + m.household_income for m in months]
    spending = [m.costs + m.household_expenses + m.debt_payments + m.installment for m in months]
    closing = [m.closing for m in months]
    values = income + spending + closing + [Decimal(0)]
    high, low = max(values), min(values)
    span = (high - low) or Decimal(1)
    plot = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT * 2) / len(months)
    bar = step * 0.36

    def y(value: Decimal) -> float:
        return round(TOP + float((high - value) / span) * plot, 1)

    zero = y(Decimal(0))
    income_bars: list[Bar] = []
    spending_bars: list[Bar] = []
    points: list[str] = []
    ticks: list[tuple[float, str]] = []
    for i, month in enumerate(months):
        x = LEFT + i * step
        for value, bars, offset in (
            (income[i], income_bars, 0.1),
            (spending[i], spending_bars, 0.5),
        ):
            top = y(value)
            bars.append(
                Bar(round(x + step * offset, 1), min(top, zero), abs(zero - top), round(bar, 1))
            )
        points.append(f"{round(x + step / 2, 1)},{y(closing[i])}")
        ticks.append((round(x + step / 2, 1), labels[i] if i < len(labels) else str(month.number)))
    return Chart(WIDTH, HEIGHT, income_bars, spending_bars, " ".join(points), zero, ticks)
