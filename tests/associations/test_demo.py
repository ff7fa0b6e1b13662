"""The demo's associations, loaded by `load_associations` for a small programme built from the
test world: associations and a cluster with members, officers, meetings with attendance and
minutes, dues and activities, the same on every load with the same seed."""

from __future__ import annotations

import datetime
import random
from typing import Any

import pytest
from django.db import transaction

from tandir.associations.models import (
    Association,
    DuesPayment,
    Meeting,
    MeetingAttendance,
    Membership,
    OfficeTerm,
    SupportActivity,
)
from tandir.associations.queries import association_page
from tandir.demo.associations import load_associations
from tandir.demo.loader import BranchSpec, Programme
from tandir.orgs.models import Role
from tandir.registry.models import Beneficiary, Status
from tests.associations.factories import person
from tests.factories import World, make_user

AS_OF = datetime.date(2026, 10, 31)


def _programme(world: World) -> Programme:
    advisor = make_user(world.org, Role.BUSINESS_ADVISOR, [world.branch_a, world.branch_b], "adv")
    for n in range(24):
        branch = world.branch_a if n % 2 else world.branch_b
        person(world, 200 + n, branch=branch.pk, officer=world.admin)
    Beneficiary.objects.update(status=Status.TRAINED)  # the registry's pipeline, shortened
    spec = BranchSpec("A", "A", (), 1.0)
    return Programme(
        organization=world.org,
        branches=[(world.branch_a, spec), (world.branch_b, spec)],
        staff={"am.advisor": advisor},
        prefix="am",
        project=world.project,
        stage_weights=(1, 1, 1, 1, 1),
    )


def _fingerprint() -> list[Any]:
    return [
        list(Association.objects.order_by("pk").values_list("name", "kind", "dues_amount")),
        list(
            Membership.objects.order_by("pk").values_list("beneficiary_id", "joined_on", "left_on")
        ),
        list(OfficeTerm.objects.order_by("pk").values_list("office", "starts_on", "ends_on")),
        list(Meeting.objects.order_by("pk").values_list("held_on", "minutes")),
        MeetingAttendance.objects.count(),
        list(DuesPayment.objects.order_by("pk").values_list("amount", "paid_on")),
        list(SupportActivity.objects.order_by("pk").values_list("kind", "held_on", "participants")),
    ]


def test_the_demo_associations_are_full_and_the_same_on_every_load(world: World) -> None:
    programme = _programme(world)
    prints = []
    for _ in range(2):
        with transaction.atomic():
            load_associations(random.Random(2026), [programme], as_of=AS_OF)
            prints.append(_fingerprint())
            kinds = sorted(Association.objects.values_list("kind", flat=True))
            assert kinds == ["association", "association", "cluster"]
            assert Association.objects.filter(formed_with_programme=True).count() == 3
            for association in Association.objects.all():
                page = association_page(association, AS_OF)
                assert len(page.members) >= 3, association.name
                assert {t.office for t in page.current_terms} >= {"chair", "secretary"}
                assert Meeting.objects.filter(association=association).count() >= 5
                assert SupportActivity.objects.filter(association=association).exists()
                assert all(m.minutes for m in page.meetings)
                if association.has_dues:
                    assert DuesPayment.objects.filter(association=association).exists()
            # A few members are behind with their dues, most are not.
            traders = Association.objects.get(name="Gyumri Women Traders' Association")
            assert traders.dues_amount is not None
            rows = association_page(traders, AS_OF).members
            behind = sum(1 for r in rows if r.standing and r.standing.is_behind)
            assert 0 < behind < len(rows)
            # The first chair handed over after a year.
            chairs = OfficeTerm.objects.filter(association=traders, office="chair")
            assert chairs.count() == 2
            transaction.set_rollback(True)
    assert prints[0] == prints[1]
    assert prints[0][0]


@pytest.mark.parametrize("prefix", ["pk"])
def test_an_organisation_without_associations_in_the_demo_gets_none(
    world: World, prefix: str
) -> None:
    programme = _programme(world)
    programme.prefix = prefix
    load_associations(random.Random(1), [programme], as_of=AS_OF)
    assert not Association.objects.exists()
