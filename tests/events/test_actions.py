"""Every write of events through its action: exact outcomes, refusals that leave no trace, the
right to manage events, and the organisation's scope (a network's event open to its members)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandir.core.errors import NotAllowed, NotFound
from tandir.events import actions, queries
from tandir.events.actions import EventRefused
from tandir.events.models import (
    Activity,
    ActivityStatus,
    Agreement,
    Event,
    EventKind,
    Investor,
    InvestorInterest,
    InvestorMeeting,
    Outcome,
    Party,
    PitchedProject,
    Registration,
)
from tests.events.factories import TODAY, Events, make_event

D = Decimal
DAY = datetime.timedelta(days=1)


def refused(code: str, call: object, *args: object, **kwargs: object) -> EventRefused:
    with pytest.raises(EventRefused) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.code == code, caught.value.message
    return caught.value


# --- Events and registrations ------------------------------------------------------------------


def test_an_event_is_created_in_the_users_organisation_with_its_partners(events: Events) -> None:
    event = actions.create_event(
        events.world.me_officer,
        kind=EventKind.TRADE_FAIR,
        title="  Spring trade fair ",
        starts_on=datetime.date(2026, 4, 3),
        ends_on=datetime.date(2026, 4, 5),
        place="Gyumri, central square",
        partners=[events.partner],
    )
    event.refresh_from_db()
    assert (event.organization_id, event.kind, event.title) == (
        events.world.org.pk,
        "trade_fair",
        "Spring trade fair",
    )
    assert (event.starts_on, event.ends_on) == (
        datetime.date(2026, 4, 3),
        datetime.date(2026, 4, 5),
    )
    assert list(event.partners.all()) == [events.partner]
    assert event.created_by == events.world.me_officer
    assert {h.history_user for h in event.history.all()} == {events.world.me_officer}


def test_an_online_event_needs_no_place(events: Events) -> None:
    event = actions.create_event(
        events.world.manager_a,
        kind=EventKind.FORUM,
        title="Online forum",
        starts_on=TODAY,
        ends_on=TODAY,
        online_link="https://meet.example.org/forum",
    )
    assert event.place == "" and event.online_link == "https://meet.example.org/forum"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"ends_on": TODAY - DAY}, "dates"),
        ({"place": "  "}, "no_place"),
        ({"kind": "picnic"}, "invalid_kind"),
        ({"title": " "}, "missing"),
    ],
)
def test_an_event_that_makes_no_sense_is_refused_and_not_written(
    events: Events, changes: dict[str, object], code: str
) -> None:
    fields: dict[str, object] = {
        "kind": EventKind.CONFERENCE,
        "title": "Conference",
        "starts_on": TODAY,
        "ends_on": TODAY,
        "place": "Yerevan",
    }
    fields.update(changes)
    refused(code, actions.create_event, events.world.manager_a, **fields)
    assert not Event.objects.exists()


def test_a_partner_of_another_organisation_cannot_organise_our_event(events: Events) -> None:
    refused(
        "other_organisation",
        actions.create_event,
        events.world.manager_a,
        kind=EventKind.FORUM,
        title="Forum",
        starts_on=TODAY,
        ends_on=TODAY,
        place="Yerevan",
        partners=[events.other_partner],
    )
    assert not Event.objects.exists()


@pytest.mark.parametrize("role", ["intake_a", "loan_officer_a", "analyst"])
def test_a_role_without_the_right_cannot_create_an_event(events: Events, role: str) -> None:
    with pytest.raises(NotAllowed):
        make_event(getattr(events.world, role))
    assert not Event.objects.exists()


def test_changing_an_event_keeps_its_kind_and_records_who(events: Events) -> None:
    event = make_event(events.world.manager_a)
    actions.change_event(
        events.world.me_officer,
        event,
        title="Forum, second edition",
        starts_on=TODAY + DAY,
        ends_on=TODAY + 2 * DAY,
        place="Gyumri",
        partners=[events.partner],
    )
    event.refresh_from_db()
    assert (event.title, event.starts_on, event.place, event.kind) == (
        "Forum, second edition",
        TODAY + DAY,
        "Gyumri",
        "conference",
    )
    assert event.history.first().history_user == events.world.me_officer


def test_another_organisation_cannot_change_our_event(events: Events) -> None:
    event = make_event(events.world.manager_a)
    with pytest.raises(NotFound):
        actions.change_event(
            events.other_manager, event, title="Taken", starts_on=TODAY, ends_on=TODAY, place="X"
        )
    event.refresh_from_db()
    assert event.title == "Microfinance forum"


def test_a_participant_of_the_organisation_is_registered(events: Events, today: object) -> None:
    event = make_event(events.world.manager_a)
    registration = actions.register_beneficiary(events.world.manager_a, event, events.anahit)
    registration.refresh_from_db()
    assert registration.organization_id == events.world.org.pk
    assert registration.kind == "beneficiary"
    assert registration.beneficiary == events.anahit
    assert registration.registered_on == TODAY
    assert registration.registered_by == events.world.manager_a
    assert registration.attended is False


def test_a_beneficiary_of_another_organisation_cannot_be_registered(events: Events) -> None:
    event = make_event(events.world.manager_a)
    error = refused(
        "other_organisation",
        actions.register_beneficiary,
        events.world.manager_a,
        event,
        events.stranger,
    )
    assert "Farid" not in error.message  # the refusal names nobody of another organisation
    assert not Registration.objects.exists()


def test_a_manager_registers_only_people_of_branches_they_serve(events: Events) -> None:
    event = make_event(events.world.manager_a)
    refused("other_branch", actions.register_beneficiary, events.world.manager_a, event, events.gor)
    # The M&E officer sees the whole organisation.
    actions.register_beneficiary(events.world.me_officer, event, events.gor)
    assert Registration.objects.filter(event=event).count() == 1


def test_a_person_is_registered_once(events: Events) -> None:
    event = make_event(events.world.manager_a)
    actions.register_beneficiary(events.world.manager_a, event, events.anahit)
    refused(
        "already_registered",
        actions.register_beneficiary,
        events.world.me_officer,
        event,
        events.anahit,
    )
    assert Registration.objects.filter(event=event).count() == 1


def test_another_organisations_event_is_not_there_for_us(events: Events) -> None:
    theirs = make_event(events.other_manager)
    with pytest.raises(NotFound):
        actions.register_beneficiary(events.world.manager_a, theirs, events.anahit)
    assert not Registration.objects.exists()


def test_members_register_their_own_people_for_the_networks_event(events: Events) -> None:
    conference = Event.objects.create(
        organization=events.network,
        kind=EventKind.CONFERENCE,
        title="Network conference",
        starts_on=TODAY,
        ends_on=TODAY + DAY,
        place="Tbilisi",
    )
    ours = actions.register_beneficiary(events.world.manager_a, conference, events.anahit)
    theirs = actions.register_staff(events.other_manager, conference, events.other_manager)
    assert ours.organization_id == events.world.org.pk
    assert theirs.organization_id == events.world.other_org.pk
    # Each member sees its own registrations; the counts are everyone's.
    assert list(queries.registrations_of(events.world.me_officer, conference)) == [ours]
    assert list(queries.registrations_of(events.other_manager, conference)) == [theirs]
    assert queries.event_counts(conference) == {"registered": 2, "attended": 0}


def test_staff_of_another_organisation_cannot_be_registered_by_us(events: Events) -> None:
    event = make_event(events.world.manager_a)
    refused(
        "other_organisation",
        actions.register_staff,
        events.world.manager_a,
        event,
        events.other_manager,
    )
    assert not Registration.objects.exists()


def test_an_outside_participant_needs_a_way_to_be_reached(events: Events) -> None:
    event = make_event(events.world.manager_a)
    refused(
        "no_contact",
        actions.register_outside_participant,
        events.world.manager_a,
        event,
        name="Guest Speaker",
    )
    assert not Registration.objects.exists()
    guest = actions.register_outside_participant(
        events.world.manager_a,
        event,
        name=" Guest Speaker ",
        affiliation="Chamber of Commerce",
        email="guest@example.org",
    )
    assert (guest.kind, guest.name, guest.affiliation, guest.email, guest.organization_id) == (
        "outside",
        "Guest Speaker",
        "Chamber of Commerce",
        "guest@example.org",
        events.world.org.pk,
    )


def test_attendance_is_marked_for_a_registered_person(events: Events, today: object) -> None:
    event = make_event(events.world.manager_a)
    registration = actions.register_beneficiary(events.world.manager_a, event, events.anahit)
    actions.record_attendance(events.world.me_officer, event, events.anahit, attended=True)
    registration.refresh_from_db()
    assert registration.attended is True
    assert registration.attendance_by == events.world.me_officer
    actions.record_attendance(events.world.me_officer, event, registration, attended=False)
    registration.refresh_from_db()
    assert registration.attended is False
    assert queries.event_counts(event) == {"registered": 1, "attended": 0}


def test_attendance_for_someone_not_registered_is_refused(events: Events, today: object) -> None:
    event = make_event(events.world.manager_a)
    elsewhere = make_event(events.world.manager_a, title="Another event")
    registration = actions.register_beneficiary(events.world.manager_a, elsewhere, events.anahit)
    refused(
        "not_registered",
        actions.record_attendance,
        events.world.manager_a,
        event,
        events.anahit,
        attended=True,
    )
    refused(
        "not_registered",
        actions.record_attendance,
        events.world.manager_a,
        event,
        registration,
        attended=True,
    )
    assert not Registration.objects.filter(attended=True).exists()


def test_attendance_waits_for_the_event_to_begin(events: Events, today: object) -> None:
    event = make_event(events.world.manager_a, starts_on=TODAY + DAY)
    registration = actions.register_beneficiary(events.world.manager_a, event, events.anahit)
    refused(
        "not_started",
        actions.record_attendance,
        events.world.manager_a,
        event,
        registration,
        attended=True,
    )
    registration.refresh_from_db()
    assert registration.attended is False


def test_another_organisation_cannot_mark_our_peoples_attendance(
    events: Events, today: object
) -> None:
    conference = Event.objects.create(
        organization=events.network,
        kind=EventKind.CONFERENCE,
        title="Network conference",
        starts_on=TODAY,
        ends_on=TODAY,
        place="Tbilisi",
    )
    ours = actions.register_beneficiary(events.world.manager_a, conference, events.anahit)
    refused(
        "not_registered",
        actions.record_attendance,
        events.other_manager,
        conference,
        ours,
        attended=True,
    )
    ours.refresh_from_db()
    assert ours.attended is False


def test_a_registration_is_cancelled_only_before_attending(events: Events, today: object) -> None:
    event = make_event(events.world.manager_a)
    first = actions.register_beneficiary(events.world.manager_a, event, events.anahit)
    second = actions.register_staff(events.world.manager_a, event, events.world.me_officer)
    actions.record_attendance(events.world.manager_a, event, first, attended=True)
    refused("attended", actions.cancel_registration, events.world.manager_a, first)
    actions.cancel_registration(events.world.manager_a, second)
    assert list(Registration.objects.values_list("pk", flat=True)) == [first.pk]
    with pytest.raises(NotFound):
        actions.cancel_registration(events.other_manager, first)


# --- Investor pipeline ---------------------------------------------------------------------------


def roadshow(events: Events) -> Event:
    return make_event(
        events.world.me_officer,
        kind=EventKind.ROADSHOW,
        title="Investor roadshow",
        starts_on=TODAY - 10 * DAY,
    )


def investor(events: Events, name: str = "Ararat Angels") -> Investor:
    return actions.add_investor(events.world.me_officer, name=name, kind="angel")


def test_a_project_is_presented_with_its_amount_in_a_currency(events: Events) -> None:
    project = actions.present_project(
        events.world.me_officer,
        roadshow(events),
        events.anahit,
        title="Greenhouse extension",
        amount_sought="2500000",
        currency="AMD",
    )
    project.refresh_from_db()
    assert (project.organization_id, project.beneficiary, project.title) == (
        events.world.org.pk,
        events.anahit,
        "Greenhouse extension",
    )
    assert (project.amount_sought, project.currency) == (D("2500000.00"), "AMD")


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("-100", "not_positive"),
        ("0", "not_positive"),
        ("10.555", "invalid_amount"),
        ("x", "invalid_amount"),
    ],
)
def test_an_amount_sought_that_makes_no_sense_is_refused(
    events: Events, amount: str, code: str
) -> None:
    show = roadshow(events)
    refused(
        code,
        actions.present_project,
        events.world.me_officer,
        show,
        events.anahit,
        title="Bakery",
        amount_sought=amount,
        currency="USD",
    )
    assert not PitchedProject.objects.exists()


def test_projects_are_presented_only_at_a_roadshow(events: Events) -> None:
    refused(
        "not_a_roadshow",
        actions.present_project,
        events.world.me_officer,
        make_event(events.world.me_officer),
        events.anahit,
        title="Bakery",
        amount_sought="100",
        currency="USD",
    )
    assert not PitchedProject.objects.exists()


def test_an_entrepreneur_of_another_organisation_cannot_present_here(events: Events) -> None:
    refused(
        "other_organisation",
        actions.present_project,
        events.world.me_officer,
        roadshow(events),
        events.stranger,
        title="Bakery",
        amount_sought="100",
        currency="USD",
    )
    assert not PitchedProject.objects.exists()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    amount=st.decimals(
        min_value=D("-1000000"), max_value=D("100000000"), places=3, allow_nan=False
    ),
    currency=st.sampled_from(["AMD", "AZN", "PKR", "USD", "JOD", "JPY"]),
)
def test_an_amount_sought_is_kept_exactly_or_refused(
    events: Events, amount: Decimal, currency: str
) -> None:
    from tandir.engine.money import quantum

    show = Event.objects.filter(kind=EventKind.ROADSHOW).first() or roadshow(events)
    fits = amount == amount.quantize(quantum(currency))
    try:
        with transaction.atomic():
            project = actions.present_project(
                events.world.me_officer,
                show,
                events.anahit,
                title="Shop",
                amount_sought=amount,
                currency=currency,
            )
            stored = PitchedProject.objects.get(pk=project.pk).amount_sought
            assert stored == amount and stored.quantize(quantum(currency)) == stored
            assert amount > 0 and fits
            transaction.set_rollback(True)
    except EventRefused as error:
        assert error.code in {"not_positive", "invalid_amount"}
        assert amount <= 0 or not fits
    assert not PitchedProject.objects.exists()


def test_an_investor_is_listed_once(events: Events) -> None:
    first = investor(events)
    assert (first.organization_id, first.kind) == (events.world.org.pk, "angel")
    refused("duplicate", investor, events, "ararat angels")
    refused("invalid_kind", actions.add_investor, events.world.me_officer, name="X", kind="uncle")
    assert Investor.objects.count() == 1


def test_meetings_and_outcomes_follow_one_investor_and_one_project(
    events: Events, today: object
) -> None:
    show = roadshow(events)
    project = actions.present_project(
        events.world.me_officer, show, events.anahit, title="Dairy", amount_sought="9000",
        currency="USD",
    )  # fmt: skip
    angels = investor(events)
    meeting = actions.record_meeting(
        events.world.manager_a, project, angels, met_on=TODAY - 9 * DAY, notes="Liked the plan",
        follow_up="Send the cash-flow table", follow_up_on=TODAY - 2 * DAY,
    )  # fmt: skip
    assert meeting.interest.outcome == Outcome.MET
    actions.record_outcome(events.world.manager_a, project, angels, outcome=Outcome.TERM_SHEET)
    interest = actions.record_outcome(
        events.world.manager_a, project, angels, outcome=Outcome.INVESTED, invested_amount="6000.50"
    )
    interest.refresh_from_db()
    assert InvestorInterest.objects.count() == 1
    assert (interest.outcome, interest.invested_amount, interest.invested_currency) == (
        "invested",
        D("6000.50"),
        "USD",
    )
    assert interest.decided_on == TODAY
    assert InvestorMeeting.objects.get().interest == interest


def test_a_meeting_before_the_roadshow_or_a_follow_up_before_the_meeting_is_refused(
    events: Events, today: object
) -> None:
    show = roadshow(events)
    project = actions.present_project(
        events.world.me_officer, show, events.anahit, title="Dairy", amount_sought="9000",
        currency="USD",
    )  # fmt: skip
    angels = investor(events)
    refused(
        "before_roadshow",
        actions.record_meeting,
        events.world.me_officer,
        project,
        angels,
        met_on=show.starts_on - DAY,
    )
    refused(
        "follow_up_before",
        actions.record_meeting,
        events.world.me_officer,
        project,
        angels,
        met_on=TODAY,
        follow_up_on=TODAY - DAY,
    )
    refused(
        "future",
        actions.record_meeting,
        events.world.me_officer,
        project,
        angels,
        met_on=TODAY + DAY,
    )
    assert not InvestorMeeting.objects.exists()
    assert not InvestorInterest.objects.exists()


@pytest.mark.parametrize(
    ("outcome", "amount", "code"),
    [
        ("invested", None, "missing"),
        ("invested", "-50", "not_positive"),
        ("invested", "0", "not_positive"),
        ("invested", "1.005", "invalid_amount"),
        ("declined", "100", "amount_without_investment"),
        ("maybe", None, "invalid_outcome"),
    ],
)
def test_an_outcome_that_makes_no_sense_is_refused(
    events: Events, today: object, outcome: str, amount: str | None, code: str
) -> None:
    project = actions.present_project(
        events.world.me_officer, roadshow(events), events.anahit, title="Dairy",
        amount_sought="9000", currency="USD",
    )  # fmt: skip
    refused(
        code,
        actions.record_outcome,
        events.world.me_officer,
        project,
        investor(events),
        outcome=outcome,
        invested_amount=amount,
    )
    assert not InvestorInterest.objects.exists()


def test_an_investor_of_another_organisation_is_refused_and_their_project_not_found(
    events: Events, today: object
) -> None:
    project = actions.present_project(
        events.world.me_officer, roadshow(events), events.anahit, title="Dairy",
        amount_sought="9000", currency="USD",
    )  # fmt: skip
    theirs = actions.add_investor(events.other_manager, name="Far Fund", kind="fund")
    refused(
        "other_organisation",
        actions.record_outcome,
        events.world.me_officer,
        project,
        theirs,
        outcome=Outcome.INTERESTED,
    )
    with pytest.raises(NotFound):
        actions.record_outcome(events.other_manager, project, theirs, outcome=Outcome.INTERESTED)
    with pytest.raises(NotAllowed):
        actions.record_outcome(
            events.world.intake_a, project, investor(events), outcome=Outcome.INTERESTED
        )
    assert not InvestorInterest.objects.exists()


# --- Cooperation agreements ----------------------------------------------------------------------


def agreement(events: Events, **changes: object) -> Agreement:
    fields: dict[str, object] = {
        "title": "Memorandum on entrepreneurship training",
        "signed_on": datetime.date(2026, 2, 1),
        "valid_until": datetime.date(2027, 1, 31),
        "reference": "MoU-2026-03",
    }
    fields.update(changes)
    return actions.sign_agreement(events.world.manager_a, events.partner, **fields)  # type: ignore[arg-type]


def test_an_agreement_is_signed_with_a_partner_of_the_organisation(events: Events) -> None:
    signed = agreement(events)
    signed.refresh_from_db()
    assert (signed.organization_id, signed.partner, signed.reference) == (
        events.world.org.pk,
        events.partner,
        "MoU-2026-03",
    )
    assert signed.in_force(TODAY) and not signed.in_force(datetime.date(2027, 2, 1))
    refused(
        "dates",
        actions.sign_agreement,
        events.world.manager_a,
        events.partner,
        title="Backwards",
        signed_on=TODAY,
        valid_until=TODAY - DAY,
    )
    refused(
        "other_organisation",
        actions.sign_agreement,
        events.world.manager_a,
        events.other_partner,
        title="Not ours",
        signed_on=TODAY,
    )
    assert Agreement.objects.count() == 1


def test_an_activity_is_planned_within_the_agreement(events: Events) -> None:
    signed = agreement(events)
    activity = actions.plan_activity(
        events.world.manager_a,
        signed,
        description="Train 20 trainers",
        responsible_party=Party.PARTNER,
        responsible_person="Dr. Hakobyan",
        due_on=datetime.date(2026, 5, 31),
    )
    activity.refresh_from_db()
    assert (activity.organization_id, activity.status, activity.done_on) == (
        events.world.org.pk,
        "planned",
        None,
    )
    assert (activity.responsible_party, activity.responsible_person) == ("partner", "Dr. Hakobyan")


@pytest.mark.parametrize(
    ("due_on", "code"),
    [
        (datetime.date(2026, 1, 31), "due_before_signing"),
        (datetime.date(2027, 2, 1), "due_after_end"),
    ],
)
def test_an_activity_due_outside_the_agreement_is_refused(
    events: Events, due_on: datetime.date, code: str
) -> None:
    signed = agreement(events)
    error = refused(
        code,
        actions.plan_activity,
        events.world.manager_a,
        signed,
        description="Joint fair",
        responsible_party=Party.JOINT,
        due_on=due_on,
    )
    assert "2026-02-01" in error.message or "2027-01-31" in error.message
    assert not Activity.objects.exists()


def test_an_activity_moves_through_its_statuses(events: Events, today: object) -> None:
    signed = agreement(events)
    activity = actions.plan_activity(
        events.world.manager_a, signed, description="Joint fair", responsible_party=Party.JOINT,
        due_on=datetime.date(2026, 6, 1),
    )  # fmt: skip
    assert [a.pk for a in queries.overdue_activities(TODAY, user=events.world.manager_a)] == [
        activity.pk
    ]
    actions.set_activity_status(events.world.manager_a, activity, ActivityStatus.IN_PROGRESS)
    assert queries.overdue_activities(TODAY, user=events.world.manager_a).count() == 1
    done = actions.set_activity_status(
        events.world.me_officer, activity, ActivityStatus.DONE, on=datetime.date(2026, 6, 10)
    )
    assert (done.status, done.done_on) == ("done", datetime.date(2026, 6, 10))
    assert not queries.overdue_activities(TODAY, user=events.world.manager_a).exists()
    refused(
        "done_before_signing",
        actions.set_activity_status,
        events.world.me_officer,
        activity,
        ActivityStatus.DONE,
        on=datetime.date(2026, 1, 1),
    )
    refused(
        "future",
        actions.set_activity_status,
        events.world.me_officer,
        activity,
        ActivityStatus.DONE,
        on=TODAY + DAY,
    )
    activity.refresh_from_db()
    assert activity.done_on == datetime.date(2026, 6, 10)
    back = actions.set_activity_status(events.world.me_officer, activity, ActivityStatus.PLANNED)
    assert (back.status, back.done_on) == ("planned", None)


def test_another_organisation_cannot_touch_our_agreement(events: Events, today: object) -> None:
    signed = agreement(events)
    with pytest.raises(NotFound):
        actions.plan_activity(
            events.other_manager, signed, description="X", responsible_party=Party.JOINT,
            due_on=TODAY,
        )  # fmt: skip
    with pytest.raises(NotAllowed):
        actions.plan_activity(
            events.world.intake_a, signed, description="X", responsible_party=Party.JOINT,
            due_on=TODAY,
        )  # fmt: skip
    assert not Activity.objects.exists()
    assert not queries.overdue_activities(TODAY, user=events.other_manager).exists()


def test_the_reminders_command_lists_overdue_activities_per_organisation(events: Events) -> None:
    import io

    from django.core.management import CommandError, call_command

    signed = agreement(events)
    actions.plan_activity(
        events.world.manager_a, signed, description="Train 20 trainers",
        responsible_party=Party.PARTNER, responsible_person="Dr. Hakobyan",
        due_on=datetime.date(2026, 5, 31),
    )  # fmt: skip
    actions.plan_activity(
        events.world.manager_a, signed, description="Joint fair", responsible_party=Party.JOINT,
        due_on=datetime.date(2026, 9, 1),
    )  # fmt: skip
    out = io.StringIO()
    call_command("events_reminders", "--as-of", "2026-06-15", stdout=out)
    assert out.getvalue().splitlines() == [
        "Org X",
        "  2026-05-31 · National Institute of Small Business · Memorandum on entrepreneurship "
        "training · Train 20 trainers · The partner (Dr. Hakobyan) · Planned",
        "1 activity overdue on 2026-06-15.",
    ]
    out = io.StringIO()
    call_command("events_reminders", "--as-of", "2026-05-01", "--organization", "Org X", stdout=out)
    assert out.getvalue().strip() == "No activity is overdue on 2026-05-01."
    with pytest.raises(CommandError):
        call_command("events_reminders", "--organization", "Nobody")
