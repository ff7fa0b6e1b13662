"""Test data of impact monitoring: the seeded instruments of the world's organisation and
people to survey, with or without consent to follow-ups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tandir.impact import actions
from tandir.impact.models import Instrument
from tandir.registry.models import Beneficiary
from tests.factories import World, register


@dataclass
class Impact:
    world: World
    baseline: Instrument
    follow_up_6: Instrument
    follow_up_12: Instrument


def build_impact(world: World) -> Impact:
    baseline, six, twelve = actions.seed_instruments(world.me_officer, world.org)
    return Impact(world=world, baseline=baseline, follow_up_6=six, follow_up_12=twelve)


def person(
    world: World, n: int, *, surveys: bool = True, officer: Any = None, **overrides: Any
) -> Beneficiary:
    """A registered person of branch A with consent to programme use (and to follow-up surveys
    unless `surveys` is False), each `n` with its own phone and ID number."""
    data: dict[str, Any] = {
        "first_name": f"Gayane{n}",
        "last_name": f"Sargsyan{n}",
        "phone": f"+374 93 {200000 + n}",
        "national_id": f"AN{2000000 + n}",
        "consent_surveys": "on" if surveys else "",
    }
    data.update(overrides)
    return register(world, officer=officer, **data)


BASELINE_ANSWERS: dict[str, object] = {
    "household_income_monthly": "150000",
    "business_operating": "yes",
    "business_revenue_monthly": 300000,
    "business_profit_monthly": "-5000.50",
    "paid_employees": "1",
    "family_workers": 2,
    "quality_of_life": "3",
}

FOLLOW_UP_ANSWERS: dict[str, object] = {
    **BASELINE_ANSWERS,
    "household_income_monthly": "210000",
    "income_change": "better",
    "quality_of_life": "4",
    "quality_of_life_change": "better",
    "satisfaction": 5,
    "complaint": "",
}
