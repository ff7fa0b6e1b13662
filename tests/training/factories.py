"""Test data of training: trainers of two branches, the seeded curriculum, a venue, a cohort
of branch A with three sessions (the last today), and people to enrol."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from tandir.orgs.models import Role, StaffUser
from tandir.registry.models import Beneficiary
from tandir.training import actions
from tandir.training.models import Cohort, Course, Session, Venue
from tests.factories import World, make_user, register


@dataclass
class Training:
    world: World
    trainer_a: StaffUser
    trainer_b: StaffUser
    course: Course
    venue: Venue
    cohort: Cohort
    sessions: list[Session]
    today: datetime.date


def person(world: World, n: int, **overrides: Any) -> Beneficiary:
    """A registered person of branch A, each `n` with its own phone and ID number."""
    data: dict[str, Any] = {
        "first_name": f"Anahit{n}",
        "last_name": f"Petrosyan{n}",
        "phone": f"+374 91 {100000 + n}",
        "national_id": f"AM{1000000 + n}",
    }
    data.update(overrides)
    return register(world, **data)


def build_training(world: World, *, capacity: int = 10) -> Training:
    trainer_a = make_user(world.org, Role.TRAINER, [world.branch_a], "trainer_a")
    trainer_b = make_user(world.org, Role.TRAINER, [world.branch_b], "trainer_b")
    trainer_a.first_name, trainer_a.last_name = "Narine", "Avetisyan"
    trainer_a.save()
    modules = actions.seed_curriculum(world.admin, world.org)
    course = Course.objects.get(organization=world.org, code="small-business")
    assert next(m.code for m in modules) == "management"
    venue = actions.create_venue(
        world.manager_a, name="Gyumri SMB centre", district=world.district_a, capacity=20
    )
    today = timezone.localdate()
    cohort = actions.create_cohort(
        world.manager_a,
        code="GY-01",
        course=course,
        venue=venue,
        branch=world.branch_a,
        starts_on=today - datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=5),
        trainers=[trainer_a],
        capacity=capacity,
    )
    sessions = [
        actions.add_session(world.manager_a, cohort, held_on=today - datetime.timedelta(days=d),
                            module=modules[i])
        for i, d in enumerate((7, 3, 0))
    ]  # fmt: skip
    return Training(world, trainer_a, trainer_b, course, venue, cohort, sessions, today)
