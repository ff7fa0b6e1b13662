"""Reads of events that pages, actions and commands share: one permission-checked lookup per
model, answering 404 outside the user's scope.

Every page of events needs the right to manage events (the menu shows it only to them); the
lookups narrow by organisation: a user sees the events of their organisation and of the
networks it belongs to, and the registrations, projects, investors and agreements of their own
organisation only.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from tandir.events.models import (
    OPEN_ACTIVITY,
    Activity,
    Agreement,
    Event,
    Investor,
    InvestorInterest,
    PitchedProject,
    Registration,
)
from tandir.orgs.access import scope
from tandir.orgs.models import NetworkMembership
from tandir.orgs.roles import Right, has_right, is_platform_operator


def _may(user: Any) -> bool:
    return has_right(user, Right.MANAGE_EVENTS)


def events_in_scope(user: Any) -> QuerySet[Event]:
    """Events of the user's organisation and of the networks it is a member of."""
    if not _may(user):
        return Event.objects.none()
    if is_platform_operator(user):
        return Event.objects.all()
    if user.organization_id is None:
        return Event.objects.none()
    networks = NetworkMembership.objects.filter(organization_id=user.organization_id).values(
        "network_id"
    )
    return Event.objects.filter(
        Q(organization_id=user.organization_id) | Q(organization_id__in=networks)
    )


def access_event(user: Any, event_id: Any) -> Event:
    try:
        return events_in_scope(user).select_related("organization").get(pk=int(event_id))
    except (Event.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No event found.") from exc


def registrations_in_scope(user: Any) -> QuerySet[Registration]:
    """Registrations of the user's own organisation; people of branches the user does not serve
    are left out unless the role sees the whole organisation."""
    if not _may(user):
        return Registration.objects.none()
    registrations = scope(user, Registration.objects.all(), branch_field=None)
    if is_platform_operator(user) or has_right(user, Right.SEE_WHOLE_ORGANIZATION):
        return registrations
    return registrations.filter(
        Q(beneficiary__isnull=True) | Q(beneficiary__branch__in=user.branches.values("pk"))
    )


def registrations_of(user: Any, event: Event) -> QuerySet[Registration]:
    return (
        registrations_in_scope(user)
        .filter(event=event)
        .select_related("beneficiary__branch", "staff")
        .order_by("kind", "beneficiary__last_name", "staff__last_name", "name", "pk")
    )


def access_registration(user: Any, event: Event, registration_id: Any) -> Registration:
    try:
        return registrations_of(user, event).get(pk=int(registration_id))
    except (Registration.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No registration found.") from exc


def event_counts(event: Event) -> dict[str, int]:
    """How many people are registered and attended, every organisation's together."""
    return Registration.objects.filter(event=event).aggregate(
        registered=Count("pk"), attended=Count("pk", filter=Q(attended=True))
    )


def event_list(user: Any, today: datetime.date) -> tuple[list[Event], list[Event]]:
    """Upcoming and current events (soonest first), then past ones (latest first), each with
    its counts of registrations and attendance, in one query."""
    events: list[Event] = list(
        events_in_scope(user)
        .select_related("organization")
        .annotate(
            registered=Count("registrations"),
            attended=Count("registrations", filter=Q(registrations__attended=True)),
        )
        .order_by("starts_on", "pk")
    )
    upcoming = [e for e in events if e.ends_on >= today]
    past = sorted((e for e in events if e.ends_on < today), key=lambda e: e.starts_on, reverse=True)
    return upcoming, past


def investors_in_scope(user: Any) -> QuerySet[Investor]:
    if not _may(user):
        return Investor.objects.none()
    return scope(user, Investor.objects.all(), branch_field=None)


def access_investor(user: Any, investor_id: Any) -> Investor:
    try:
        return investors_in_scope(user).get(pk=int(investor_id))
    except (Investor.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No investor found.") from exc


def projects_in_scope(user: Any) -> QuerySet[PitchedProject]:
    if not _may(user):
        return PitchedProject.objects.none()
    return scope(user, PitchedProject.objects.all(), branch_field=None)


def access_project(user: Any, project_id: Any) -> PitchedProject:
    try:
        return (
            projects_in_scope(user).select_related("event", "beneficiary").get(pk=int(project_id))
        )
    except (PitchedProject.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No project found.") from exc


def pipeline_of(user: Any, event: Event) -> list[PitchedProject]:
    """The roadshow's projects of the user's organisation, each with its investors' interests
    and their meetings, in three queries however many there are. Each interest carries its
    latest meeting as `last_meeting` (whose follow-up is the next step)."""
    projects = list(
        projects_in_scope(user)
        .filter(event=event)
        .select_related("beneficiary")
        .prefetch_related(
            _interests(InvestorInterest.objects.select_related("investor")),
        )
        .order_by("title", "pk")
    )
    for project in projects:
        for interest in project.interests.all():
            meetings = list(interest.meetings.all())
            interest.last_meeting = meetings[-1] if meetings else None  # type: ignore[attr-defined]
    return projects


def _interests(queryset: QuerySet[InvestorInterest]) -> Any:
    from django.db.models import Prefetch

    return Prefetch(
        "interests",
        queryset=queryset.prefetch_related("meetings").order_by("investor__name"),
    )


def agreements_in_scope(user: Any) -> QuerySet[Agreement]:
    if not _may(user):
        return Agreement.objects.none()
    return scope(user, Agreement.objects.all(), branch_field=None)


def access_agreement(user: Any, agreement_id: Any) -> Agreement:
    try:
        return agreements_in_scope(user).select_related("partner").get(pk=int(agreement_id))
    except (Agreement.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No agreement found.") from exc


def activities_in_scope(user: Any) -> QuerySet[Activity]:
    if not _may(user):
        return Activity.objects.none()
    return scope(user, Activity.objects.all(), branch_field=None)


def access_activity(user: Any, activity_id: Any) -> Activity:
    try:
        return activities_in_scope(user).select_related("agreement").get(pk=int(activity_id))
    except (Activity.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No activity found.") from exc


def overdue_activities(
    today: datetime.date, *, user: Any = None, organization_id: int | None = None
) -> QuerySet[Activity]:
    """Open activities of action plans whose due date has passed, oldest first: those the user
    may see, or (for the reminders command) those of one organisation or of every one."""
    activities = Activity.objects.all() if user is None else activities_in_scope(user)
    if organization_id is not None:
        activities = activities.filter(organization_id=organization_id)
    return (
        activities.filter(status__in=OPEN_ACTIVITY, due_on__lt=today)
        .select_related("agreement__partner")
        .order_by("due_on", "pk")
    )
