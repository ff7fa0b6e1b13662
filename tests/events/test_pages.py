"""The event pages: the events home with counts and overdue activities (its queries pinned), an
event with registration and attendance (htmx), the roadshow's pipeline, investors, agreements;
a role without the right gets the 403 page, another organisation's record is a 404."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from tandir.events import actions
from tandir.events.models import (
    Activity,
    Agreement,
    Event,
    EventKind,
    Investor,
    InvestorInterest,
    Party,
    PitchedProject,
    Registration,
)
from tandir.orgs.models import StaffUser
from tests.events.factories import Events, make_event, person
from tests.factories import PASSWORD

DAY = datetime.timedelta(days=1)


def client_for(user: StaffUser) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def real_today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()


def test_a_role_without_the_right_gets_the_403_page_in_its_language(events: Events) -> None:
    intake = events.world.intake_a
    intake.preferred_language = "hy"
    intake.save()
    client = client_for(intake)
    for url in ["/events/", "/events/agreements/", "/events/investors/", "/events/new/"]:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="hy")
        assert response.status_code == 403
        assert "403.html" in [t.name for t in response.templates]


def test_the_events_home_lists_upcoming_first_with_counts_in_fixed_queries(
    events: Events, real_today: datetime.date, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    manager = events.world.me_officer
    past = make_event(manager, title="Last year's fair", starts_on=real_today - 300 * DAY)
    later = make_event(manager, title="Autumn forum", starts_on=real_today + 60 * DAY)
    soon = make_event(manager, title="Summer conference", starts_on=real_today + 5 * DAY)
    for n in range(3):
        actions.register_beneficiary(manager, past, person(events.world, 10 + n))
    Registration.objects.filter(event=past).update(attended=True)
    actions.register_outside_participant(manager, soon, name="Guest", phone="+374 10 000000")
    signed = actions.sign_agreement(
        manager, events.partner, title="MoU", signed_on=real_today - 100 * DAY
    )
    actions.plan_activity(
        manager, signed, description="Joint trade fair", responsible_party=Party.JOINT,
        due_on=real_today - 3 * DAY,
    )  # fmt: skip
    client = client_for(manager)
    client.get("/events/")
    # session + user + events with counts + overdue activities
    with django_assert_num_queries(4):
        response = client.get("/events/")
    assert response.status_code == 200
    text = response.content.decode()
    assert (
        text.index("Summer conference")
        < text.index("Autumn forum")
        < text.index("Last year&#x27;s fair")
    )
    assert 'id="overdue-activities"' in text and "Joint trade fair" in text
    upcoming, past_events = response.context["upcoming"], response.context["past"]
    assert [(e.title, e.registered, e.attended) for e in upcoming] == [
        ("Summer conference", 1, 0),
        ("Autumn forum", 0, 0),
    ]
    assert [(e.title, e.registered, e.attended) for e in past_events] == [
        ("Last year's fair", 3, 3)
    ]
    # More events cost no more queries.
    for n in range(4):
        make_event(manager, title=f"Extra {n}", starts_on=real_today + n * DAY)
    with django_assert_num_queries(4):
        assert client.get("/events/").status_code == 200
    assert later.pk


def test_another_organisations_event_is_a_404_and_a_networks_event_is_shown(
    events: Events,
) -> None:
    theirs = make_event(events.other_manager, title="Their own fair")
    conference = Event.objects.create(
        organization=events.network, kind=EventKind.CONFERENCE, title="Network conference",
        starts_on=datetime.date(2025, 5, 20), ends_on=datetime.date(2025, 5, 21), place="Tbilisi",
    )  # fmt: skip
    client = client_for(events.world.manager_a)
    assert client.get(f"/events/{theirs.pk}/").status_code == 404
    assert client.get(f"/events/{theirs.pk}/edit/").status_code == 404
    listed = client.get("/events/").content.decode()
    assert "Network conference" in listed and "Their own fair" not in listed
    assert client.get(f"/events/{conference.pk}/").status_code == 200
    # Only the holder changes the event.
    assert client.get(f"/events/{conference.pk}/edit/").status_code == 404


def test_creating_an_event_through_the_page(events: Events) -> None:
    client = client_for(events.world.manager_a)
    bad = client.post(
        "/events/new/",
        {"kind": "forum", "title": "Forum", "starts_on": "2026-09-10", "ends_on": "2026-09-09",
         "place": "Gyumri"},
    )  # fmt: skip
    assert bad.status_code == 200
    assert "cannot come before its first day" in bad.content.decode()
    assert not Event.objects.exists()
    good = client.post(
        "/events/new/",
        {"kind": "forum", "title": "Forum", "starts_on": "2026-09-10", "ends_on": "2026-09-11",
         "place": "Gyumri", "partners": [events.partner.pk]},
    )  # fmt: skip
    event = Event.objects.get()
    assert good.status_code == 302 and good["Location"] == f"/events/{event.pk}/"
    assert list(event.partners.all()) == [events.partner]


def test_registering_and_taking_attendance_on_the_event_page(
    events: Events, real_today: datetime.date
) -> None:
    manager = events.world.manager_a
    event = make_event(manager, starts_on=real_today)
    client = client_for(manager)
    found = client.get(
        f"/events/{event.pk}/participants/", {"q": "Person1"}, HTTP_HX_REQUEST="true"
    )
    assert events.anahit.full_name in found.content.decode()
    assert (
        events.stranger.full_name
        not in client.get(f"/events/{event.pk}/participants/", {"q": "Farid"}).content.decode()
    )
    response = client.post(
        f"/events/{event.pk}/register/", {"kind": "beneficiary", "beneficiary": events.anahit.pk}
    )
    assert response.status_code == 302
    registration = Registration.objects.get()
    # A participant of another organisation: a clear message, nothing written.
    refused = client.post(
        f"/events/{event.pk}/register/", {"kind": "beneficiary", "beneficiary": events.stranger.pk}
    )
    assert refused.status_code == 400
    assert "not a participant of your organisation" in refused.content.decode()
    assert Registration.objects.count() == 1
    toggled = client.post(
        f"/events/{event.pk}/registrations/{registration.pk}/attendance/",
        {"attended": "yes"},
        HTTP_HX_REQUEST="true",
    )
    assert toggled.status_code == 200
    assert 'aria-pressed="true"' in toggled.content.decode()
    assert toggled.content.decode().startswith(f'<tr id="registration-{registration.pk}"')
    registration.refresh_from_db()
    assert registration.attended is True
    page = client.get(f"/events/{event.pk}/")
    assert page.context["counts"] == {"registered": 1, "attended": 1}


def test_attendance_for_a_registration_of_another_event_says_so(
    events: Events, real_today: datetime.date
) -> None:
    manager = events.world.manager_a
    event = make_event(manager, starts_on=real_today)
    other = make_event(manager, starts_on=real_today, title="Other")
    registration = actions.register_beneficiary(manager, other, events.anahit)
    response = client_for(manager).post(
        f"/events/{event.pk}/registrations/{registration.pk}/attendance/",
        {"attended": "yes"},
        HTTP_HX_REQUEST="true",
    )
    assert "not registered for this event" in response.content.decode()
    registration.refresh_from_db()
    assert registration.attended is False


def test_outside_participants_details_are_seen_only_by_their_organisation(
    events: Events,
) -> None:
    conference = Event.objects.create(
        organization=events.network, kind=EventKind.CONFERENCE, title="Network conference",
        starts_on=datetime.date(2025, 5, 20), ends_on=datetime.date(2025, 5, 21), place="Tbilisi",
    )  # fmt: skip
    actions.register_outside_participant(
        events.world.manager_a, conference, name="Ruzanna Guest", email="ruzanna@example.org"
    )
    ours = client_for(events.world.manager_a).get(f"/events/{conference.pk}/").content.decode()
    theirs = client_for(events.other_manager).get(f"/events/{conference.pk}/")
    assert "ruzanna@example.org" in ours
    text = theirs.content.decode()
    assert "Ruzanna" not in text and "ruzanna@example.org" not in text
    assert theirs.context["others"] == 1


def test_the_pipeline_page_shows_projects_investors_and_totals(
    events: Events, real_today: datetime.date, django_assert_max_num_queries: Any
) -> None:
    manager = events.world.me_officer
    show = make_event(manager, kind=EventKind.ROADSHOW, starts_on=real_today - 5 * DAY)
    project = actions.present_project(
        manager, show, events.anahit, title="Cold storage", amount_sought="4000000", currency="AMD"
    )
    angels = actions.add_investor(manager, name="Ararat Angels", kind="angel")
    actions.record_meeting(manager, project, angels, met_on=real_today - 4 * DAY, notes="Visit")
    actions.record_outcome(manager, project, angels, outcome="invested", invested_amount="1500000")
    client = client_for(manager)
    with django_assert_max_num_queries(10) as first:
        response = client.get(f"/events/{show.pk}/pipeline/")
    # More projects, investors and meetings cost no more queries.
    second = actions.present_project(
        manager, show, person(events.world, 30), title="Bakery", amount_sought="900000",
        currency="AMD",
    )  # fmt: skip
    for name in ("Silk Road Fund", "Diaspora Circle"):
        other = actions.add_investor(manager, name=name, kind="fund")
        actions.record_meeting(manager, second, other, met_on=real_today - DAY)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(f"/events/{show.pk}/pipeline/").status_code == 200
    text = response.content.decode()
    assert "Cold storage" in text and "Ararat Angels" in text
    assert "4,000,000" in text and "1,500,000" in text
    # A negative amount sought: a clear message, nothing written.
    bad = client.post(
        f"/events/{show.pk}/pipeline/projects/",
        {"beneficiary": events.anahit.pk, "title": "Minus", "amount_sought": "-5",
         "currency": "AMD"},
    )  # fmt: skip
    assert bad.status_code == 400 and "must be more than zero" in bad.content.decode()
    assert PitchedProject.objects.count() == 2
    # A pipeline exists only for roadshows.
    assert client.get(f"/events/{make_event(manager).pk}/pipeline/").status_code == 404


def test_recording_a_meeting_and_an_outcome_through_the_page(
    events: Events, real_today: datetime.date
) -> None:
    manager = events.world.me_officer
    show = make_event(manager, kind=EventKind.ROADSHOW, starts_on=real_today - 5 * DAY)
    project = actions.present_project(
        manager, show, events.anahit, title="Cold storage", amount_sought="4000000", currency="AMD"
    )
    client = client_for(manager)
    client.post("/events/investors/", {"name": "Silk Road Fund", "kind": "fund"})
    fund = Investor.objects.get()
    client.post(
        f"/events/projects/{project.pk}/meetings/",
        {"investor": fund.pk, "met_on": (real_today - DAY).isoformat(), "notes": "Good"},
    )
    client.post(
        f"/events/projects/{project.pk}/outcome/",
        {"investor": fund.pk, "outcome": "declined", "invested_amount": "10"},
    )
    interest = InvestorInterest.objects.get()
    assert interest.outcome == "met"  # the declined-with-an-amount post was refused
    client.post(
        f"/events/projects/{project.pk}/outcome/", {"investor": fund.pk, "outcome": "declined"}
    )
    interest.refresh_from_db()
    assert interest.outcome == "declined"
    # Another organisation's project is not there for them.
    other = client_for(events.other_manager)
    assert (
        other.post(
            f"/events/projects/{project.pk}/outcome/",
            {"investor": fund.pk, "outcome": "interested"},
        ).status_code
        == 404
    )


def test_agreements_list_and_detail_highlight_overdue_activities(
    events: Events, real_today: datetime.date
) -> None:
    manager = events.world.manager_a
    client = client_for(manager)
    response = client.post(
        "/events/agreements/",
        {"partner": events.partner.pk, "title": "MoU on training",
         "signed_on": (real_today - 60 * DAY).isoformat()},
    )  # fmt: skip
    signed = Agreement.objects.get()
    assert response.status_code == 302
    url = f"/events/agreements/{signed.pk}/"
    # Due before the agreement was signed: refused with a message, nothing written.
    bad = client.post(
        url,
        {"description": "Too early", "responsible_party": "partner",
         "due_on": (real_today - 61 * DAY).isoformat()},
    )  # fmt: skip
    assert bad.status_code == 400
    assert "cannot be due before the agreement was signed" in bad.content.decode()
    assert not Activity.objects.exists()
    client.post(
        url,
        {"description": "Train the trainers", "responsible_party": "partner",
         "due_on": (real_today - 2 * DAY).isoformat()},
    )  # fmt: skip
    client.post(
        url,
        {"description": "Joint fair", "responsible_party": "joint",
         "due_on": (real_today + 30 * DAY).isoformat()},
    )  # fmt: skip
    late, ahead = Activity.objects.order_by("due_on")
    page = client.get(url)
    assert [a.pk for a in page.context["overdue"]] == [late.pk]
    text = page.content.decode()
    assert f'<tr id="activity-{late.pk}" class="overdue">' in text
    assert f'<tr id="activity-{ahead.pk}">' in text
    listing = client.get("/events/agreements/")
    assert [(a.open_count, a.overdue_count) for a in listing.context["agreements"]] == [(2, 1)]
    client.post(
        f"/events/activities/{late.pk}/status/",
        {"status": "done", "done_on": real_today.isoformat()},
    )
    late.refresh_from_db()
    assert (late.status, late.done_on) == ("done", real_today)
    assert client_for(events.other_manager).get(url).status_code == 404


def test_the_admin_shows_events_and_agreements_read_only(events: Events) -> None:
    signed = actions.sign_agreement(
        events.world.admin, events.partner, title="MoU", signed_on=datetime.date(2026, 1, 5)
    )
    make_event(events.world.admin)
    make_event(events.other_manager, title="Not ours")
    events.world.admin.is_staff = True
    events.world.admin.save(update_fields=["is_staff"])
    client = client_for(events.world.admin)
    listing = client.get("/admin/events/event/")
    assert listing.status_code == 200
    assert "Microfinance forum" in listing.content.decode()
    assert "Not ours" not in listing.content.decode()
    assert client.get(f"/admin/events/agreement/{signed.pk}/change/").status_code == 200
    assert client.get("/admin/events/event/add/").status_code == 403
