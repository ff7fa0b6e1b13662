"""What the plan's page and its PDF show, in the active language: the content with its labels,
the cash-flow table as formatted rows, the chart and the loan figures. Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from tandir.core import formatting
from tandir.lending.models import Sector
from tandir.plans import cashflow
from tandir.plans.actions import problem_message
from tandir.plans.charts import cash_chart
from tandir.plans.forms import MONTH_NAMES, STARTUP_LABELS
from tandir.plans.models import BusinessPlan, PlanVersion
from tandir.plans.queries import compute_version


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[str]
    total: str
    strong: bool = False


def _money(value: Decimal | None, currency: str) -> str:
    return formatting.money(value, currency)


def _rows(result: cashflow.Result, currency: str) -> list[Row]:
    months = result.months

    def row(label: str, values: list[Decimal], strong: bool = False, total: bool = True) -> Row:
        return Row(
            label,
            [formatting.money(v, currency) if v else "–" for v in values],
            formatting.money(sum(values, Decimal(0)), currency) if total else "",
            strong,
        )

    return [
        row(_("Opening cash"), [m.opening for m in months], total=False),
        row(_("Own contribution"), [m.own_contribution for m in months]),
        row(_("Loan received"), [m.loan_inflow for m in months]),
        row(_("Sales"), [m.revenue for m in months]),
        row(_("Other household income"), [m.household_income for m in months]),
        row(_("Start-up costs"), [m.startup_costs for m in months]),
        row(_("Business costs"), [m.costs for m in months]),
        row(_("Household expenses"), [m.household_expenses for m in months]),
        row(_("Payments on other debts"), [m.debt_payments for m in months]),
        row(_("Loan installments"), [m.installment for m in months]),
        row(_("Closing cash"), [m.closing for m in months], strong=True, total=False),
    ]


def plan_context(
    plan: BusinessPlan, version: PlanVersion | None, *, months_long: bool = True
) -> dict[str, Any]:
    """Everything the page and the PDF print of one version of the plan."""
    if version is None:
        return {"plan": plan, "version": None, "result": None, "problems": []}
    content = version.content
    currency = plan.currency
    computed = compute_version(plan, version)
    result = computed.result
    context: dict[str, Any] = {
        "plan": plan,
        "version": version,
        "content": content,
        "currency": currency,
        "sector": Sector(content["sector"]).label if content.get("sector") in Sector.values else "",
        "startup": [
            {
                "kind": str(STARTUP_LABELS.get(r["kind"], r["kind"])),
                "description": r.get("description", ""),
                "amount": _money(Decimal(r["amount"]), currency),
            }
            for r in content.get("startup_costs", [])
        ],
        "revenue": [
            {
                "name": r.get("name", ""),
                "price": _money(Decimal(r["unit_price"]), currency),
                "quantity": formatting.number(Decimal(r["quantity"])),
            }
            for r in content.get("revenue", [])
        ],
        "costs": [
            {
                "name": r.get("name", ""),
                "amount": _money(Decimal(r["amount"]), currency),
                "seasonal": r.get("seasonal", False),
            }
            for r in content.get("costs", [])
        ],
        "season": [
            (str(MONTH_NAMES[m]), formatting.number(Decimal(v)))
            for m, v in enumerate(content.get("season", []))
        ],
        "problems": [problem_message(p) for p in computed.problems],
        "result": result,
    }
    if result is None:
        return context
    form = "LLLL yyyy" if months_long else "LLL yy"
    labels = [formatting.date(m.first_day, form) for m in result.months]
    short = [formatting.date(m.first_day, "LLL") for m in result.months]
    offer = result.offer
    context.update(
        month_labels=labels,
        rows=_rows(result, currency),
        chart=cash_chart(result.months, short),
        figures={
            "startup_total": _money(result.plan.startup_total, currency),
            "own_contribution": _money(result.plan.own_contribution, currency),
            "need": _money(result.need, currency),
            "business_income": _money(result.averages.business_income, currency),
            "business_expenses": _money(result.averages.business_expenses, currency),
            "household_income": _money(result.averages.household_income, currency),
            "household_expenses": _money(result.averages.household_expenses, currency),
            "debts": _money(result.averages.existing_debt_payments, currency),
            "net": _money(result.net_cash_flow, currency),
            "installment": _money(result.installment, currency) if result.installment else "",
            "ratio": formatting.number(result.ratio) if result.ratio is not None else "",
            "allowed": formatting.number(offer.option.capacity_percent) if offer else "",
            "lowest": _money(result.lowest_closing, currency),
            "negative_cash": result.lowest_closing < 0,
            "break_even": labels[result.break_even_month - 1] if result.break_even_month else "",
            "product": offer.option.name if offer else "",
            "term": offer.term if offer else None,
            "amount": _money(offer.schedule.terms.amount, currency) if offer else "",
            "within": result.within_capacity,
        },
    )
    return context
