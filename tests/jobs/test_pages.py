"""The close-of-business page: who may see it, what it shows, and its two buttons."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tandir.jobs import actions
from tandir.jobs.models import CloseSchedule, JobRun, RunStatus, Trigger
from tandir.orgs.models import StaffUser
from tests.factories import PASSWORD, World
from tests.jobs.factories import accountant


def client_for(user: StaffUser) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def finished_and_failed_runs(world: World, staff: StaffUser) -> None:
    started = timezone.now() - datetime.timedelta(hours=3)
    common: dict[str, Any] = {"organization": world.org, "job": "close_of_business"}
    JobRun.objects.create(
        **common,
        through=datetime.date(2026, 11, 29),
        first_date=datetime.date(2026, 11, 27),
        trigger=Trigger.SCHEDULE,
        status=RunStatus.FINISHED,
        run_as=staff,
        planned_for=started,
        started_at=started,
        finished_at=started + datetime.timedelta(seconds=95),
        days_done=3,
        days_total=3,
    )
    JobRun.objects.create(
        **common,
        through=datetime.date(2026, 11, 30),
        trigger=Trigger.RETRY,
        attempt=2,
        status=RunStatus.FAILED,
        run_as=staff,
        planned_for=started,
        started_at=started,
        finished_at=started + datetime.timedelta(seconds=12),
        step="penalties",
        error="RuntimeError: the database went away",
    )


def test_an_accountant_sees_the_runs_the_schedule_and_the_next_run(
    world: World, django_assert_num_queries: Any
) -> None:
    staff = accountant(world)
    actions.set_schedule(
        staff, world.org, run_at=datetime.time(1, 30), time_zone="Asia/Yerevan", run_as=staff
    )
    finished_and_failed_runs(world, staff)
    client = client_for(staff)
    client.get("/jobs/")  # the session's first request settles its own rows
    # session, user, organisation, schedule, runs, run-as choices of the form.
    with django_assert_num_queries(6):
        page = client.get("/jobs/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Nov 27, 2026 – Nov 29, 2026" in text
    assert "95 seconds" in text
    assert "3 of 3" in text
    assert "RuntimeError: the database went away" in text
    assert "Penalties on overdue installments" in text
    assert "attempt 2" in text
    assert "at 01:30 (Asia/Yerevan)" in text
    assert "closing business through" in text
    assert page.context["next_run"] is not None
    # Another organisation's runs never show.
    assert all(run.organization_id == world.org.pk for run in page.context["runs"])


def test_more_runs_cost_no_more_queries(world: World, django_assert_num_queries: Any) -> None:
    staff = accountant(world)
    for _ in range(5):
        finished_and_failed_runs(world, staff)
    client = client_for(staff)
    client.get("/jobs/")
    with django_assert_num_queries(6):  # as many as with two runs
        page = client.get("/jobs/")
    assert len(page.context["runs"]) == 10


@pytest.mark.parametrize("who", ["loan_officer_a", "manager_a", "intake_a", "me_officer"])
def test_roles_without_the_right_get_the_not_allowed_page(world: World, who: str) -> None:
    client = client_for(getattr(world, who))
    page = client.get("/jobs/")
    assert page.status_code == 403
    assert "Not allowed" in page.content.decode()
    assert client.post("/jobs/run-now/").status_code == 403
    assert not JobRun.objects.exists()


def test_another_organisation_is_not_found(world: World) -> None:
    staff = accountant(world)
    client = client_for(staff)
    assert client.get(f"/jobs/?organization={world.other_org.pk}").status_code == 404
    assert client.post(f"/jobs/run-now/?organization={world.other_org.pk}").status_code == 404
    assert not JobRun.objects.exists()


def test_run_now_queues_a_run_and_a_second_press_says_one_is_waiting(world: World) -> None:
    client = client_for(accountant(world))
    assert client.get("/jobs/run-now/").status_code == 405
    first = client.post("/jobs/run-now/", follow=True)
    assert "Close of business is queued" in first.content.decode()
    assert JobRun.objects.get().status == RunStatus.QUEUED
    assert first.context["active"] is True
    second = client.post("/jobs/run-now/", follow=True)
    assert "already waiting or running" in second.content.decode()
    assert JobRun.objects.count() == 1


def test_the_schedule_form_sets_the_schedule(world: World) -> None:
    staff = accountant(world)
    client = client_for(world.admin)
    page = client.get("/jobs/")
    # Armenia has one zone: it is the default.
    assert page.context["form"].initial["time_zone"] == "Asia/Yerevan"
    response = client.post(
        "/jobs/schedule/",
        {"enabled": "on", "run_at": "02:15", "time_zone": "Asia/Yerevan", "run_as": staff.pk},
    )
    assert response.status_code == 302
    schedule = CloseSchedule.objects.get()
    assert (schedule.run_at, schedule.run_as, schedule.enabled) == (
        datetime.time(2, 15),
        staff,
        True,
    )


def test_a_bad_schedule_is_shown_again_and_nothing_is_saved(world: World) -> None:
    client = client_for(world.admin)
    response = client.post(
        "/jobs/schedule/",
        {
            "enabled": "on",
            "run_at": "25:99",
            "time_zone": "Nowhere/At_All",
            "run_as": world.loan_officer_a.pk,
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"run_at", "time_zone", "run_as"} <= set(errors)
    assert not CloseSchedule.objects.exists()


def test_the_menu_leads_to_the_page(world: World) -> None:
    page = client_for(accountant(world)).get("/")
    assert 'href="/jobs/"' in page.content.decode()


def test_the_platform_operator_chooses_the_organisation(world: World) -> None:
    operator = StaffUser.objects.create_superuser(username="operator", password=PASSWORD)
    client = client_for(operator)
    chooser = client.get("/jobs/")
    assert chooser.status_code == 200
    assert f"/jobs/?organization={world.other_org.pk}" in chooser.content.decode()
    page = client.get(f"/jobs/?organization={world.other_org.pk}")
    assert page.status_code == 200
    assert page.context["organization"] == world.other_org
    response = client.post(f"/jobs/run-now/?organization={world.other_org.pk}")
    assert response["Location"] == f"/jobs/?organization={world.other_org.pk}"
    assert JobRun.objects.get().organization == world.other_org
