"""Test data of events: partner institutions, a manager in the other organisation, participants,
and events a few days around a fixed today."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from tandir.events import actions
from tandir.events.models import Event, EventKind
from tandir.orgs.models import Organization, Role, StaffUser
from tandir.registry.models import Beneficiary
from tandir.training.models import PartnerInstitution
from tests.factories import World, make_user, register

TODAY = datetime.date(2026, 6, 15)


@dataclass
class Events:
    world: World
    network: Organization
    partner: PartnerInstitution
    other_partner: PartnerInstitution
    other_manager: StaffUser  # a branch manager of the other organisation
    network_manager: StaffUser  # an administrator of the network
    anahit: Beneficiary  # branch A
    gor: Beneficiary  # branch B
    stranger: Beneficiary  # of the other organisation


def person(world: World, n: int, officer: StaffUser | None = None, **extra: object) -> Beneficiary:
    return register(
        world,
        officer,
        phone=f"+3749940{n:04d}",
        national_id=f"AME{n:06d}",
        first_name=f"Person{n}",
        last_name=f"Family{n}",
        **extra,
    )


def build_events(world: World) -> Events:
    network = Organization.objects.get(name="Network")
    other_manager = make_user(
        world.other_org, Role.BRANCH_MANAGER, [world.other_branch], "other_manager"
    )
    stranger = register(
        world,
        make_user(world.other_org, Role.INTAKE_OFFICER, [world.other_branch], "other_intake2"),
        first_name="Farid",
        last_name="Stranger",
        phone="+37499111111",
        national_id="AMX000001",
        branch=world.other_branch.pk,
        projects=[],
    )
    return Events(
        world=world,
        network=network,
        partner=PartnerInstitution.objects.create(
            organization=world.org, name="National Institute of Small Business"
        ),
        other_partner=PartnerInstitution.objects.create(
            organization=world.other_org, name="Other Chamber"
        ),
        other_manager=other_manager,
        network_manager=make_user(network, Role.ADMINISTRATOR, [], "network_admin"),
        anahit=person(world, 1),
        gor=person(world, 2, world.admin, branch=world.branch_b.pk),
        stranger=stranger,
    )


@pytest.fixture
def events(world: World) -> Events:
    return build_events(world)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> datetime.date:
    monkeypatch.setattr(actions, "_today", lambda: TODAY)
    return TODAY


def make_event(
    user: StaffUser,
    *,
    kind: str = EventKind.CONFERENCE,
    starts_on: datetime.date = TODAY,
    days: int = 2,
    title: str = "Microfinance forum",
) -> Event:
    return actions.create_event(
        user,
        kind=kind,
        title=title,
        starts_on=starts_on,
        ends_on=starts_on + datetime.timedelta(days=days - 1),
        place="Yerevan, Congress Hotel",
    )
