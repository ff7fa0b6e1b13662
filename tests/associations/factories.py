"""Test data for associations: an advisor and a manager in branch A, a manager in branch B,
participants of branch A, one of branch B and one of the other organisation."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.test import Client

from tandir.associations import actions
from tandir.associations.models import Association, Membership
from tandir.orgs.models import Role, StaffUser
from tandir.registry.models import Beneficiary
from tests.factories import PASSWORD, World, make_user, register

FOUNDED = datetime.date(2026, 1, 10)


@dataclass
class Associations:
    world: World
    advisor: StaffUser
    manager_b: StaffUser
    trainer: StaffUser
    people: list[Beneficiary]  # branch A
    person_b: Beneficiary
    outsider: Beneficiary  # the other organisation

    @property
    def manager(self) -> StaffUser:
        return self.world.manager_a


def person(world: World, n: int, **overrides: Any) -> Beneficiary:
    return register(
        world,
        **{
            "phone": f"+3749940{n:04d}",
            "national_id": f"AMS{n:06d}",
            "first_name": f"Member{n}",
            "last_name": f"Surname{n}",
            **overrides,
        },
    )


def build(world: World, people: int = 4) -> Associations:
    return Associations(
        world=world,
        advisor=make_user(world.org, Role.BUSINESS_ADVISOR, [world.branch_a], "advisor_a"),
        manager_b=make_user(world.org, Role.BRANCH_MANAGER, [world.branch_b], "manager_b"),
        trainer=make_user(world.org, Role.TRAINER, [world.branch_a], "trainer_a"),
        people=[person(world, n) for n in range(people)],
        person_b=person(world, 90, branch=world.branch_b.pk, officer=world.admin),
        outsider=register(
            world,
            world.other_intake,
            phone="+37499409999",
            national_id="AMS999999",
            first_name="Outside",
            last_name="Person",
            branch=world.other_branch.pk,
            projects=[],
        ),
    )


def association(data: Associations, **overrides: Any) -> Association:
    fields: dict[str, Any] = {
        "name": "Gyumri women traders",
        "founded_on": FOUNDED,
        "sector": "trade",
        "district": data.world.district_a,
        "formed_with_programme": True,
    }
    fields.update(overrides)
    return actions.create_association(data.advisor, data.world.branch_a, **fields)


def with_members(
    data: Associations, count: int = 3, *, joined_on: datetime.date = FOUNDED
) -> tuple[Association, list[Membership]]:
    made = association(data)
    members = [
        actions.add_member(data.advisor, made, p, joined_on=joined_on) for p in data.people[:count]
    ]
    return made, members


def client_for(user: StaffUser) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client
