"""The scheduler's actions: the schedule, "run now", and the periodic look that queues close
of business once per organisation and business date, each in its own time zone."""

from __future__ import annotations

import datetime

import pytest
from django_q.models import OrmQ

from tandir.core.errors import Conflict, NotAllowed, NotFound
from tandir.jobs import actions
from tandir.jobs.models import CloseSchedule, JobRun, RunStatus, Trigger
from tandir.orgs.models import Country, Organization, OrganizationKind, StaffUser
from tests.factories import World
from tests.jobs.factories import accountant

UTC = datetime.UTC


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def schedule_for(
    world: World,
    organization: Organization | None = None,
    *,
    zone: str = "Asia/Yerevan",
    at: datetime.time = datetime.time(1, 30),
) -> CloseSchedule:
    organization = organization or world.org
    staff = accountant(world, organization)
    return actions.set_schedule(staff, organization, run_at=at, time_zone=zone, run_as=staff)


def test_an_accountant_sets_the_schedule_and_it_keeps_who_changed_it(world: World) -> None:
    staff = accountant(world)
    schedule = actions.set_schedule(
        staff, world.org, run_at=datetime.time(2, 15, 40), time_zone="Asia/Yerevan", run_as=staff
    )
    assert (schedule.run_at, schedule.time_zone, schedule.run_as, schedule.enabled) == (
        datetime.time(2, 15),
        "Asia/Yerevan",
        staff,
        True,
    )
    # Setting it again changes the one schedule of the organisation.
    actions.set_schedule(
        world.admin,
        world.org,
        run_at=datetime.time(3, 0),
        time_zone="Asia/Baku",
        run_as=staff,
        enabled=False,
    )
    assert CloseSchedule.objects.count() == 1
    schedule.refresh_from_db()
    assert (schedule.run_at, schedule.time_zone, schedule.enabled) == (
        datetime.time(3, 0),
        "Asia/Baku",
        False,
    )
    assert schedule.history.first().history_user == world.admin


@pytest.mark.parametrize("who", ["loan_officer_a", "manager_a", "me_officer"])
def test_a_role_without_the_right_cannot_set_the_schedule(world: World, who: str) -> None:
    staff = accountant(world)
    with pytest.raises(NotAllowed):
        actions.set_schedule(
            getattr(world, who), world.org, run_at=datetime.time(1), time_zone="UTC", run_as=staff
        )
    assert not CloseSchedule.objects.exists()


def test_another_organisations_schedule_is_out_of_reach(world: World) -> None:
    other = accountant(world, world.other_org)
    with pytest.raises(NotFound):
        actions.set_schedule(
            accountant(world),
            world.other_org,
            run_at=datetime.time(1),
            time_zone="UTC",
            run_as=other,
        )
    assert not CloseSchedule.objects.exists()


@pytest.mark.parametrize(
    ("run_as", "zone", "code"),
    [
        ("loan_officer_a", "Asia/Yerevan", "run_as_without_right"),
        ("other_accountant", "Asia/Yerevan", "run_as_outside"),
        ("accountant", "Mars/Olympus_Mons", "unknown_time_zone"),
    ],
)
def test_a_schedule_that_could_not_run_is_refused(
    world: World, run_as: str, zone: str, code: str
) -> None:
    staff = accountant(world)
    people: dict[str, StaffUser] = {
        "loan_officer_a": world.loan_officer_a,
        "other_accountant": accountant(world, world.other_org),
        "accountant": staff,
    }
    with pytest.raises(actions.ScheduleRefused) as refusal:
        actions.set_schedule(
            staff, world.org, run_at=datetime.time(1), time_zone=zone, run_as=people[run_as]
        )
    assert refusal.value.code == code
    assert not CloseSchedule.objects.exists()


def test_run_now_queues_close_of_business_through_the_local_yesterday(world: World) -> None:
    staff = accountant(world)
    run = actions.run_now(staff, world.org)
    assert (run.status, run.trigger, run.run_as, run.organization) == (
        RunStatus.QUEUED,
        Trigger.MANUAL,
        staff,
        world.org,
    )
    # No schedule yet: the zone is Armenia's, the organisation's country.
    from django.utils import timezone

    from tandir.jobs.planning import local_yesterday

    assert run.through == local_yesterday(timezone.now(), "Asia/Yerevan")
    assert OrmQ.objects.count() == 1
    assert OrmQ.objects.get().task["args"] == (run.pk,)


def test_run_now_twice_is_refused_while_the_first_waits(world: World) -> None:
    staff = accountant(world)
    actions.run_now(staff, world.org)
    with pytest.raises(Conflict) as refusal:
        actions.run_now(world.admin, world.org)
    assert refusal.value.code == "already_running"
    assert JobRun.objects.count() == 1
    assert OrmQ.objects.count() == 1


def test_run_now_needs_the_right_and_the_organisation(world: World) -> None:
    with pytest.raises(NotAllowed):
        actions.run_now(world.loan_officer_a, world.org)
    with pytest.raises(NotFound):
        actions.run_now(accountant(world), world.other_org)
    assert not JobRun.objects.exists()
    assert not OrmQ.objects.exists()


def demo_like_organisations(world: World) -> dict[str, Organization]:
    """Three lenders in Yerevan, Baku and Karachi, each with its schedule at 01:30 local."""
    found = {}
    for code, name, zone in [
        ("AM", "Arev", "Asia/Yerevan"),
        ("AZ", "Kür", "Asia/Baku"),
        ("PK", "Roshni", "Asia/Karachi"),
    ]:
        country = Country.objects.get_or_create(code=code, defaults={"name": code})[0]
        organization = Organization.objects.create(
            name=name, kind=OrganizationKind.MFI, country=country
        )
        schedule_for(world, organization, zone=zone)
        found[zone] = organization
    return found


def test_the_look_queues_each_organisation_once_its_local_hour_has_passed(world: World) -> None:
    lenders = demo_like_organisations(world)
    # The night before was closed everywhere.
    CloseSchedule.objects.update(closed_through=datetime.date(2026, 11, 30))
    # 20:45 UTC: 01:45 in Karachi, 00:45 in Baku and Yerevan.
    queued = actions.plan_due_runs(utc(2026, 12, 1, 20, 45))
    assert [(r.organization, r.through) for r in queued] == [
        (lenders["Asia/Karachi"], datetime.date(2026, 12, 1))
    ]
    # Every look until then queues nothing new: the date is queued once.
    assert actions.plan_due_runs(utc(2026, 12, 1, 21, 0)) == []
    assert JobRun.objects.filter(organization=lenders["Asia/Karachi"]).count() == 1
    # 21:30 UTC is 01:30 in Baku and Yerevan.
    queued = actions.plan_due_runs(utc(2026, 12, 1, 21, 30))
    assert sorted((r.organization.name, r.through) for r in queued) == [
        ("Arev", datetime.date(2026, 12, 1)),
        ("Kür", datetime.date(2026, 12, 1)),
    ]
    assert {r.trigger for r in JobRun.objects.all()} == {Trigger.SCHEDULE}
    assert OrmQ.objects.count() == 3
    assert CloseSchedule.objects.filter(planned_through=datetime.date(2026, 12, 1)).count() == 3


def test_the_look_waits_while_a_run_of_the_organisation_is_waiting(world: World) -> None:
    schedule_for(world)
    actions.run_now(world.admin, world.org)
    assert actions.plan_due_runs(utc(2026, 12, 1, 22, 0)) == []
    CloseSchedule.objects.filter(organization=world.org).update(planned_through=None)
    JobRun.objects.update(status=RunStatus.FINISHED)
    assert len(actions.plan_due_runs(utc(2026, 12, 1, 22, 0))) == 1


def test_a_closed_date_or_a_switched_off_schedule_is_not_queued(world: World) -> None:
    schedule = schedule_for(world)
    CloseSchedule.objects.filter(pk=schedule.pk).update(closed_through=datetime.date(2026, 12, 1))
    assert actions.plan_due_runs(utc(2026, 12, 1, 22, 0)) == []
    CloseSchedule.objects.filter(pk=schedule.pk).update(closed_through=None, enabled=False)
    assert actions.plan_due_runs(utc(2026, 12, 1, 22, 0)) == []
    assert not JobRun.objects.exists()


def test_a_run_that_lost_its_worker_is_recorded_failed_and_retried(
    world: World, settings: object
) -> None:
    schedule_for(world)
    [run] = actions.plan_due_runs(utc(2026, 12, 1, 22, 0))
    JobRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, started_at=utc(2026, 12, 1, 22, 0)
    )
    from django.utils import timezone

    actions.plan_due_runs(timezone.now())
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error == "The worker stopped while this ran."
    retry = JobRun.objects.get(first_attempt=run)
    assert (retry.attempt, retry.trigger, retry.status) == (2, Trigger.RETRY, RunStatus.QUEUED)


def test_installing_the_periodic_look_twice_keeps_one(db: None) -> None:
    from django_q.models import Schedule

    first = actions.install_periodic_jobs()
    second = actions.install_periodic_jobs()
    assert first.pk == second.pk
    assert Schedule.objects.filter(name=actions.PLAN_SCHEDULE_NAME).count() == 1
    assert (first.func, first.schedule_type, first.minutes) == (
        "tandir.jobs.tasks.plan_close_of_business",
        Schedule.MINUTES,
        15,
    )
    assert first.next_run.minute % 15 == 0
