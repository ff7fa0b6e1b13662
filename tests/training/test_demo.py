"""The demo's training: cohorts in every programme that follow the registry's status history,
realistic attendance, certificates for exactly the people the registry made trained."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.db.models import Count, Q

from tandir.demo.loader import DemoSummary, load_demo
from tandir.registry.models import Status, StatusChange
from tandir.training.models import (
    Attendance,
    Certificate,
    Cohort,
    Module,
    Participant,
    ParticipantStatus,
)
from tandir.training.queries import attendance_share

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: object) -> Iterator[DemoSummary]:
    # Only the stages training follows are loaded: the later apps' demos have their own tests,
    # and a problem in one of them should not hide what this module checks.
    with pytest.MonkeyPatch.context() as patch:
        for later in ("load_plans", "load_associations", "load_events"):
            patch.setattr(f"tandir.demo.loader.{later}", lambda *args, **kwargs: None)
        with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
            yield load_demo()
            transaction.set_rollback(True)


def test_every_demo_programme_has_the_curriculum_and_cohorts(demo: DemoSummary) -> None:
    for prefix in ("AM", "AZ", "PK"):
        cohorts = Cohort.objects.filter(code__startswith=f"{prefix}-")
        assert cohorts.count() >= 2, prefix
        organization_id = cohorts.first().organization_id  # type: ignore[union-attr]
        assert Module.objects.filter(organization_id=organization_id).count() == 5
        assert cohorts.filter(status="completed").exists()
        assert Attendance.objects.filter(organization_id=organization_id).count() > 0


def test_certificates_go_to_exactly_the_people_the_registry_made_trained(
    demo: DemoSummary,
) -> None:
    trained = set(
        StatusChange.objects.filter(to_status=Status.TRAINED).values_list(
            "beneficiary_id", flat=True
        )
    )
    certified = set(Certificate.objects.values_list("participant__beneficiary_id", flat=True))
    assert certified == trained
    started = set(
        StatusChange.objects.filter(to_status=Status.IN_TRAINING).values_list(
            "beneficiary_id", flat=True
        )
    )
    assert set(Participant.objects.values_list("beneficiary_id", flat=True)) <= started
    # Nobody was moved again: one "trained" change per trained person.
    assert StatusChange.objects.filter(to_status=Status.TRAINED).count() == len(trained)


def test_who_completed_met_the_attendance_rule_and_who_did_not_did_not(
    demo: DemoSummary,
) -> None:
    rows = Participant.objects.annotate(
        present=Count("attendance", filter=Q(attendance__mark="present"), distinct=True),
        sessions=Count("cohort__sessions", distinct=True),
    ).select_related("cohort__course")
    outcomes = set()
    for p in rows:
        share = attendance_share(p.present, p.sessions)
        outcomes.add(p.status)
        if p.status == ParticipantStatus.COMPLETED:
            assert share >= p.cohort.course.min_attendance, p.pk
            assert p.completed_on is not None and p.completed_on >= p.cohort.ends_on
        if p.status == ParticipantStatus.NOT_COMPLETED:
            assert share < p.cohort.course.min_attendance, p.pk
        if p.status == ParticipantStatus.DROPPED:
            assert p.drop_reason
    assert {"completed", "enrolled"} <= outcomes
