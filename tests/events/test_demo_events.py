"""What the demo's events loader leaves: the network's past conference with its members' staff
and borrowers, a roadshow with two investors and three projects, and a memorandum whose action
plan has one activity overdue at the end of the demo's history."""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import transaction

from tandir.demo.loader import HISTORY_ENDS, NETWORK_NAME, DemoSummary, load_demo
from tandir.events.models import (
    Activity,
    Agreement,
    Event,
    EventKind,
    Investor,
    InvestorInterest,
    InvestorMeeting,
    PitchedProject,
    Registration,
)
from tandir.events.queries import overdue_activities
from tandir.orgs.models import StaffUser


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: object) -> Iterator[DemoSummary]:
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        from django.apps import apps

        from tandir.core.models import TargetGroup

        if not TargetGroup.objects.exists():  # a database made without the migrations
            importlib.import_module("tandir.core.migrations.0003_target_groups").seed(apps, None)
        yield load_demo()
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_the_network_holds_a_past_conference_its_members_attended(demo: DemoSummary) -> None:
    conference = Event.objects.get(kind=EventKind.CONFERENCE)
    assert conference.organization.name == NETWORK_NAME
    assert conference.ends_on < HISTORY_ENDS
    assert conference.starts_on == datetime.date(2025, 10, 16)
    by_org: dict[str, list[Registration]] = {}
    for registration in Registration.objects.filter(event=conference).select_related(
        "organization", "beneficiary"
    ):
        by_org.setdefault(registration.organization.short_name, []).append(registration)
        if registration.beneficiary is not None:
            assert registration.beneficiary.organization_id == registration.organization_id
    assert sorted(by_org) == ["Arev", "Kür"]  # Roshni is not a member of the network
    for short_name, registrations in by_org.items():
        kinds = sorted(r.kind for r in registrations)
        expected = ["beneficiary"] * 3 + ["staff"] * 2
        if short_name == "Arev":
            expected = sorted([*expected, "outside"])
        assert kinds == expected
    staff_and_people = [r for rows in by_org.values() for r in rows if r.kind != "outside"]
    assert sum(r.attended for r in staff_and_people) == len(staff_and_people) - 2


@pytest.mark.django_db
def test_the_roadshow_has_two_investors_and_three_projects(demo: DemoSummary) -> None:
    roadshow = Event.objects.get(kind=EventKind.ROADSHOW)
    assert roadshow.organization.short_name == "Arev"
    assert Investor.objects.filter(organization=roadshow.organization).count() == 2
    projects = PitchedProject.objects.filter(event=roadshow)
    assert projects.count() == 3
    assert {p.currency for p in projects} == {"AMD"}
    assert InvestorMeeting.objects.filter(interest__project__event=roadshow).count() == 6
    invested = InvestorInterest.objects.get(outcome="invested")
    assert (invested.invested_amount, invested.invested_currency) == (Decimal("2500000"), "AMD")
    assert sorted(InvestorInterest.objects.values_list("outcome", flat=True)) == [
        "declined", "interested", "interested", "invested", "met", "term_sheet",
    ]  # fmt: skip


@pytest.mark.django_db
def test_the_agreements_action_plan_has_one_activity_overdue(demo: DemoSummary) -> None:
    agreement = Agreement.objects.get()
    assert agreement.partner.organization_id == agreement.organization_id
    assert Activity.objects.filter(agreement=agreement).count() == 4
    manager = StaffUser.objects.get(username="am.manager")
    overdue = list(overdue_activities(HISTORY_ENDS, user=manager))
    assert [a.description for a in overdue] == [
        "Review the curriculum with the participants' feedback"
    ]
    assert Activity.objects.get(status="done").done_on == datetime.date(2025, 6, 20)
