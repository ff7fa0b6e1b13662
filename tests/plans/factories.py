"""Business-plan test data on top of `tests.factories.World`: advisors of branch A and B, an AMD
product to finance plans with, and a bakery plan's content as the edit form sends it."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tandir.lending.models import LoanProduct
from tandir.orgs.models import Role, StaffUser
from tandir.plans import actions
from tandir.plans.models import BusinessPlan
from tandir.registry.models import Beneficiary
from tests.factories import World, make_user, register
from tests.lending_factories import product

D = Decimal

BAKERY: dict[str, Any] = {
    "idea": "A bakery selling lavash and matnakash to the village shops.",
    "business_type": "new business",
    "sector": "manufacturing",
    "location": "Gyumri, Shirak",
    "market": "Four shops and the Saturday market.",
    "competitors": "One bakery in the next village.",
    "skills": "Ten years baking at home; the small-business course.",
    "start": "2026-03-01",
    "own_contribution": "500000",
    "household_expenses": "200000",
    "household_income": "50000",
    "existing_debt_payments": "0",
    "season_profile": "even",
    "season": ["100"] * 12,
    "startup_costs": [
        {"kind": "equipment", "description": "Tonir oven", "amount": "1200000"},
        {"kind": "stock", "description": "Flour", "amount": "300000"},
    ],
    "revenue": [{"name": "Lavash", "unit_price": "300", "quantity": "3000"}],
    "costs": [
        {"name": "Flour", "amount": "350000", "seasonal": True},
        {"name": "Rent", "amount": "100000", "seasonal": False},
    ],
}


def bakery(**changes: Any) -> dict[str, Any]:
    content = copy.deepcopy(BAKERY)
    content.update(changes)
    return content


@dataclass
class Plans:
    world: World
    advisor: StaffUser
    advisor_b: StaffUser
    other_advisor: StaffUser
    appraiser: StaffUser
    product: LoanProduct
    person: Beneficiary


def build_plans(world: World) -> Plans:
    return Plans(
        world=world,
        advisor=make_user(world.org, Role.BUSINESS_ADVISOR, [world.branch_a], "advisor_a"),
        advisor_b=make_user(world.org, Role.BUSINESS_ADVISOR, [world.branch_b], "advisor_b"),
        other_advisor=make_user(
            world.other_org, Role.BUSINESS_ADVISOR, [world.other_branch], "advisor_y"
        ),
        appraiser=make_user(world.org, Role.LOAN_APPRAISER, [world.branch_a], "appraiser_a"),
        product=product(
            world,
            "start-amd",
            "declining",
            currency="AMD",
            amount_min=D(100000),
            amount_max=D(5000000),
            term_min=6,
            term_max=36,
            rate_min=D(18),
            rate_max=D(24),
            round_to=D(1),
        ),
        person=register(world),
    )


def plan_of(plans: Plans, content: dict[str, Any] | None = None, **kwargs: Any) -> BusinessPlan:
    return actions.create_plan(
        plans.advisor, plans.person, title="Lavash bakery", content=content or bakery(), **kwargs
    )


def ready_plan(plans: Plans, content: dict[str, Any] | None = None) -> BusinessPlan:
    plan = plan_of(plans, content)
    actions.submit_for_review(plans.advisor, plan)
    return actions.review_plan(plans.advisor, plan, accept=True)
