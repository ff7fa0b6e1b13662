"""Demo business plans in every status, some financed by the demo loans.

In each organisation the advisor prepares plans with participants in business planning (drafts,
plans under review, plans ready for appraisal, one closed as not financed), and the disbursed
demo loans get the plan they were financed with: the plan is written through the plans actions
up to "ready for appraisal", then linked to the existing loan (its `business_plan_id` and the
plan's figures), so it shows as financed, the way "send to appraisal" would have left it. A
rejected or withdrawn demo application makes its plan "not financed".
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from tandir.engine import build_schedule
from tandir.lending.models import Loan, LoanStatus, Sector
from tandir.lending.terms import loan_terms
from tandir.plans import actions, cashflow
from tandir.plans.models import BusinessPlan, PlanStatus
from tandir.plans.queries import compute_version
from tandir.registry.models import Beneficiary, Status

if TYPE_CHECKING:
    from tandir.demo.loader import Programme

D = Decimal
# How many plans of each kind an organisation gets: enough to fill every status, quick to load.
FINANCED = 6
REFUSED = 2
OPEN = {PlanStatus.DRAFT: 3, PlanStatus.UNDER_REVIEW: 2, PlanStatus.READY: 2}
# Amounts of the templates are in drams; other currencies scale them by purchasing power.
SCALE = {"AMD": D(1), "AZN": D("0.0045"), "PKR": D("0.6")}

# (title, idea, sector, season, start-up costs, sales line, monthly costs)
TEMPLATES: tuple[
    tuple[
        str,
        str,
        str,
        str,
        list[tuple[str, str, int]],
        tuple[str, int, int],
        list[tuple[str, int, bool]],
    ],
    ...,
] = (
    (
        "Bakery",
        "Bread and pastries for the village shops and the market.",
        Sector.MANUFACTURING,
        "even",
        [("equipment", "Oven", 900000), ("stock", "Flour and sugar", 200000)],
        ("Bread", 300, 2600),
        [("Flour", 300000, True), ("Rent", 60000, False)],
    ),
    (
        "Dairy cows",
        "Two more cows; milk and cheese sold to the collection point.",
        Sector.LIVESTOCK,
        "livestock",
        [("equipment", "Two cows", 1200000), ("working_capital", "Feed for the winter", 250000)],
        ("Milk, litres", 220, 1500),
        [("Feed", 120000, True), ("Vet", 15000, False)],
    ),
    (
        "Greenhouse",
        "A greenhouse for early tomatoes and cucumbers.",
        Sector.AGRICULTURE,
        "agriculture",
        [("premises", "Greenhouse frame and film", 1100000), ("stock", "Seedlings", 150000)],
        ("Vegetables, kg", 450, 1100),
        [("Water and power", 60000, True), ("Fertiliser", 40000, True)],
    ),
    (
        "Tailoring",
        "Sewing and mending for the neighbourhood.",
        Sector.CRAFTS,
        "even",
        [("equipment", "Two sewing machines", 500000), ("stock", "Fabric and thread", 120000)],
        ("Garments", 4000, 90),
        [("Fabric", 90000, False), ("Rent", 40000, False)],
    ),
    (
        "Grocery stall",
        "A stall of groceries at the bus stop.",
        Sector.TRADE,
        "trade",
        [("premises", "Kiosk", 600000), ("stock", "First stock", 400000)],
        ("Sales, baskets", 1500, 900),
        [("Stock bought", 900000, True), ("Stall fee", 30000, False)],
    ),
)


def _round(value: Decimal) -> str:
    return str(value.quantize(D(1), rounding=ROUND_HALF_UP))


def _content(
    rng: random.Random, currency: str, start: datetime.date, loan_amount: Decimal | None = None
) -> tuple[str, dict[str, Any]]:
    title, idea, sector, season, startup, sale, costs = rng.choice(TEMPLATES)
    scale = SCALE.get(currency, D(1)) * D(rng.randint(85, 120)) / 100
    startup_rows = [
        {"kind": kind, "description": what, "amount": _round(D(amount) * scale)}
        for kind, what, amount in startup
    ]
    total = sum(D(r["amount"]) for r in startup_rows)
    if loan_amount is not None and loan_amount < total:
        own = total - loan_amount
    elif loan_amount is not None:
        # The loan paid for more than the listed costs: the rest is working capital.
        startup_rows.append(
            {"kind": "working_capital", "description": "", "amount": _round(loan_amount - total)}
        )
        own = D(0)
    else:
        own = (total * D(rng.randint(15, 35)) / 100).quantize(D(1))
    name, price, quantity = sale
    return title, {
        "idea": idea,
        "business_type": "",
        "sector": str(sector),
        "location": "",
        "market": "",
        "competitors": "",
        "skills": "",
        "start": start.replace(day=1).isoformat(),
        "own_contribution": str(own),
        "household_expenses": _round(D(rng.randint(120, 220)) * 1000 * SCALE.get(currency, D(1))),
        "household_income": _round(D(rng.randint(0, 80)) * 1000 * SCALE.get(currency, D(1))),
        "existing_debt_payments": "0",
        "season_profile": season,
        "season": [str(v) for v in cashflow.SEASONS[season]],
        "startup_costs": startup_rows,
        "revenue": [
            {
                "name": name,
                "unit_price": _round(D(price) * scale),
                "quantity": str(int(quantity * rng.uniform(0.9, 1.2))),
            }
        ],
        "costs": [
            {"name": what, "amount": _round(D(amount) * scale), "seasonal": seasonal}
            for what, amount, seasonal in costs
        ],
    }


def _ready(advisor: Any, plan: BusinessPlan) -> None:
    actions.submit_for_review(advisor, plan)
    actions.review_plan(advisor, plan, accept=True)


def _link(plan: BusinessPlan, loan: Loan) -> None:
    """The plan as "send to appraisal" leaves it, for a loan the demo made before plans."""
    plan.refresh_from_db()
    version = plan.current_version
    assert version is not None
    computed = compute_version(plan, version, [])
    assert computed.result is not None
    schedule = build_schedule(loan_terms(loan, disbursed=loan.disbursed_on or loan.submitted_on))
    installment = cashflow.largest_monthly_installment(schedule)
    plan.loan = loan
    plan.sent_on = loan.submitted_on
    plan.save(update_fields=["loan", "sent_on", "updated_at"])
    Loan.objects.filter(pk=loan.pk).update(
        business_plan_id=plan.pk,
        plan_figures=actions.figures_for(plan, version, computed.result, installment),
    )


def _load(rng: random.Random, programme: Programme, as_of: datetime.date) -> None:
    advisor = programme.staff[f"{programme.prefix}.advisor"]
    organization = programme.organization
    currency = organization.currency
    loans = Loan.objects.filter(organization=organization, business_plan_id=None).select_related(
        "beneficiary", "product_version"
    )
    financed = list(loans.filter(status__in=[LoanStatus.ACTIVE, LoanStatus.CLOSED]))
    refused = list(loans.filter(status__in=[LoanStatus.REJECTED, LoanStatus.WITHDRAWN]))
    used: set[int] = set()
    for loan in rng.sample(financed, min(FINANCED, len(financed))) + rng.sample(
        refused, min(REFUSED, len(refused))
    ):
        if loan.beneficiary_id in used or loan.currency != currency:
            continue
        used.add(loan.beneficiary_id)
        title, content = _content(rng, currency, loan.submitted_on, loan.amount)
        plan = actions.create_plan(
            advisor, loan.beneficiary, title=title, content=content, on=loan.submitted_on
        )
        _ready(advisor, plan)
        _link(plan, loan)
    # Who is planning (or has just finished the course) first; if a small organisation has too
    # few, people still in the course, whose last module is the business plan.
    free = Beneficiary.objects.filter(organization=organization, loans=None, merged_into=None)
    free = free.exclude(pk__in=used).order_by("pk")
    planning = list(free.filter(status__in=[Status.PLANNING, Status.TRAINED])[:40])
    rng.shuffle(planning)
    wanted = sum(OPEN.values()) + 1
    if len(planning) < wanted:
        planning += list(free.filter(status=Status.IN_TRAINING)[: wanted - len(planning)])
    month = (as_of.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    people = iter(planning)
    for status, count in OPEN.items():
        for person in [p for p, _n in zip(people, range(count), strict=False)]:
            title, content = _content(rng, currency, month)
            plan = actions.create_plan(advisor, person, title=title, content=content, on=as_of)
            if status == PlanStatus.DRAFT:
                continue
            actions.submit_for_review(advisor, plan)
            if status == PlanStatus.READY:
                actions.review_plan(advisor, plan, accept=True)
    last = next(people, None)
    if last is not None:
        title, content = _content(rng, currency, month)
        plan = actions.create_plan(advisor, last, title=title, content=content, on=as_of)
        actions.close_plan(advisor, plan, reason="Found work in the city instead.")


def load_plans(
    rng: random.Random, programmes: Sequence[Programme], *, as_of: datetime.date
) -> None:
    """Plans in every status in each demo organisation, through the plans actions.

    The plans draw from their own generator, seeded by the organisation: they stay the same
    from one load to the next and leave the shared one as the loaders after them expect it.
    """
    for programme in programmes:
        _load(random.Random(f"plans-{programme.prefix}"), programme, as_of)
