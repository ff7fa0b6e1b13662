"""Event pages: the events home (events, overdue activities), an event with its registrations
and attendance, a roadshow's investor pipeline, investors, and cooperation agreements.

Views parse, authorise (a missing right is the 403 page; a record outside scope a 404 through
the `access_*` lookups of `tandir.events.queries`), call one action and render. Attendance and
registration answer htmx requests with the fragment they replace and work without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tandir.core.errors import TandirError
from tandir.events import actions, queries
from tandir.events.forms import (
    ActivityForm,
    ActivityStatusForm,
    AgreementForm,
    EventForm,
    InvestorForm,
    MeetingForm,
    OutcomeForm,
    OutsideParticipantForm,
    ProjectForm,
    StaffRegistrationForm,
)
from tandir.events.models import OPEN_ACTIVITY, Event, Outcome
from tandir.orgs.roles import Right, has_right
from tandir.registry.queries import beneficiaries_in_scope, search_beneficiaries


def _require(request: HttpRequest) -> None:
    if not has_right(request.user, Right.MANAGE_EVENTS):
        raise PermissionDenied(_("Your role does not allow this."))


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that htmx follows as a whole page."""
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _user(request: HttpRequest) -> Any:
    return request.user


def _today() -> Any:
    return timezone.localdate()


# --- Events -----------------------------------------------------------------------------------


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    today = _today()
    upcoming, past = queries.event_list(request.user, today)
    overdue = list(queries.overdue_activities(today, user=request.user)[:20])
    return render(
        request,
        "events/list.html",
        {"upcoming": upcoming, "past": past, "overdue": overdue, "today": today},
    )


def _event_form_data(form: EventForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "starts_on": data["starts_on"],
        "ends_on": data["ends_on"],
        "place": data["place"],
        "online_link": data["online_link"],
        "description": data["description"],
        "partners": data["partners"],
    }


@login_required
def event_create(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = EventForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            event = actions.create_event(
                _user(request), kind=form.cleaned_data["kind"], **_event_form_data(form)
            )
        except TandirError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Event created."))
            return _go(request, reverse("events:detail", kwargs={"pk": event.pk}))
    return render(request, "events/event_form.html", {"form": form, "event": None})


@login_required
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    event = queries.access_event(request.user, pk)
    if event.organization_id != _user(request).organization_id:
        raise Http404("No event found.")
    initial = {
        "kind": event.kind,
        "title": event.title,
        "starts_on": event.starts_on,
        "ends_on": event.ends_on,
        "place": event.place,
        "online_link": event.online_link,
        "description": event.description,
        "partners": list(event.partners.all()),
    }
    form = EventForm(request.POST or None, user=request.user, initial=initial)
    form.fields["kind"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            actions.change_event(_user(request), event, **_event_form_data(form))
        except TandirError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Event saved."))
            return _go(request, reverse("events:detail", kwargs={"pk": event.pk}))
    return render(request, "events/event_form.html", {"form": form, "event": event})


def _detail_context(request: HttpRequest, event: Event, **extra: Any) -> dict[str, Any]:
    registrations = list(queries.registrations_of(request.user, event))
    counts = queries.event_counts(event)
    mine = len(registrations)
    context = {
        "event": event,
        "registrations": registrations,
        "counts": counts,
        "others": counts["registered"] - mine,
        "attended_mine": sum(1 for r in registrations if r.attended),
        "started": event.has_started(_today()),
        "is_holder": event.organization_id == _user(request).organization_id,
        "partners": list(event.partners.all()),
        "staff_form": StaffRegistrationForm(user=request.user),
        "outside_form": OutsideParticipantForm(),
    }
    context.update(extra)
    return context


@login_required
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    event = queries.access_event(request.user, pk)
    return render(request, "events/detail.html", _detail_context(request, event))


@login_required
def participant_search(request: HttpRequest, pk: int) -> HttpResponse:
    """Participants of the user's organisation matching the search, to register or to present a
    project (an htmx fragment)."""
    _require(request)
    event = queries.access_event(request.user, pk)
    purpose = "project" if request.GET.get("for") == "project" else "registration"
    text = request.GET.get("q", "").strip()
    found: list[Any] = []
    if len(text) >= 2:
        found = list(
            search_beneficiaries(request.user, text=text).order_by("last_name", "first_name")[:10]
        )
    return render(
        request,
        "events/_participant_search.html",
        {"event": event, "found": found, "text": text, "purpose": purpose},
    )


@login_required
@require_POST
def register(request: HttpRequest, pk: int) -> HttpResponse:
    """Register a participant, a staff member or an outside participant (by the `kind` posted)."""
    _require(request)
    event = queries.access_event(request.user, pk)
    kind = request.POST.get("kind")
    outside_form = OutsideParticipantForm(request.POST if kind == "outside" else None)
    staff_form = StaffRegistrationForm(request.POST if kind == "staff" else None, user=request.user)
    try:
        if kind == "beneficiary":
            person = (
                beneficiaries_in_scope(request.user)
                .filter(pk=_int(request.POST.get("beneficiary")))
                .first()
            )
            if person is None:
                raise actions.EventRefused(
                    _("This person is not a participant of your organisation."),
                    code="other_organisation",
                )
            registration = actions.register_beneficiary(_user(request), event, person)
        elif kind == "staff":
            if not staff_form.is_valid():
                raise actions.EventRefused(_("Please choose a staff member."), code="missing")
            registration = actions.register_staff(
                _user(request), event, staff_form.cleaned_data["staff"]
            )
        elif kind == "outside":
            if not outside_form.is_valid():
                raise actions.EventRefused(
                    _("Please correct the outside participant's details."), code="invalid"
                )
            registration = actions.register_outside_participant(
                _user(request), event, **outside_form.cleaned_data
            )
        else:
            raise Http404("Unknown kind of registration.")
    except TandirError as error:
        messages.error(request, error.message)
        context = _detail_context(request, event)
        if kind == "outside":
            context["outside_form"] = outside_form
        return render(request, "events/detail.html", context, status=400)
    messages.success(request, _("%(name)s is registered.") % {"name": registration.display_name})
    return _go(request, reverse("events:detail", kwargs={"pk": event.pk}))


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@login_required
@require_POST
def attendance(request: HttpRequest, pk: int, registration: int) -> HttpResponse:
    """Mark one registered person as attended or not; htmx swaps the row."""
    _require(request)
    event = queries.access_event(request.user, pk)
    found = queries.registrations_in_scope(request.user).filter(pk=registration).first()
    if found is None:
        raise Http404("No registration found.")
    try:
        row = actions.record_attendance(
            _user(request), event, found, attended=request.POST.get("attended") == "yes"
        )
    except TandirError as error:
        if _is_htmx(request):
            return render(
                request,
                "events/_registration_row.html",
                # htmx swaps only a successful answer: the row comes back with the reason.
                {"event": event, "registration": found, "error": error.message, "started": True},
            )
        messages.error(request, error.message)
        return redirect(reverse("events:detail", kwargs={"pk": event.pk}))
    if _is_htmx(request):
        row = queries.access_registration(request.user, event, row.pk)
        return render(
            request,
            "events/_registration_row.html",
            # The event's counts change with the row; htmx swaps them in out of band.
            {
                "event": event,
                "registration": row,
                "started": True,
                "oob_counts": queries.event_counts(event),
            },
        )
    return redirect(reverse("events:detail", kwargs={"pk": event.pk}) + "#registrations")


@login_required
@require_POST
def unregister(request: HttpRequest, pk: int, registration: int) -> HttpResponse:
    _require(request)
    event = queries.access_event(request.user, pk)
    found = queries.access_registration(request.user, event, registration)
    try:
        actions.cancel_registration(_user(request), found)
    except TandirError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The registration is cancelled."))
    return _go(request, reverse("events:detail", kwargs={"pk": event.pk}))


# --- Investor pipeline ------------------------------------------------------------------------


def _roadshow(request: HttpRequest, pk: int) -> Event:
    event = queries.access_event(request.user, pk)
    if not event.is_roadshow:
        raise Http404("Not a roadshow.")
    return event


def _pipeline_context(request: HttpRequest, event: Event, **extra: Any) -> dict[str, Any]:
    projects = queries.pipeline_of(request.user, event)
    sought: dict[str, Any] = {}
    invested: dict[str, Any] = {}
    for project in projects:
        sought[project.currency] = sought.get(project.currency, 0) + project.amount_sought
        for interest in project.interests.all():
            if interest.invested_amount is not None:
                currency = interest.invested_currency
                invested[currency] = invested.get(currency, 0) + interest.invested_amount
    context = {
        "event": event,
        "projects": projects,
        "investors": list(queries.investors_in_scope(request.user).order_by("name")),
        "sought": sorted(sought.items()),
        "invested": sorted(invested.items()),
        "project_form": ProjectForm(initial={"currency": event.organization.currency}),
        "today": _today(),
        "outcome_choices": [c for c in Outcome.choices if c[0] != Outcome.MET],
    }
    context.update(extra)
    return context


@login_required
def pipeline(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    event = _roadshow(request, pk)
    return render(request, "events/pipeline.html", _pipeline_context(request, event))


@login_required
@require_POST
def project_create(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    event = _roadshow(request, pk)
    form = ProjectForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        person = beneficiaries_in_scope(request.user).filter(pk=data["beneficiary"]).first()
        try:
            if person is None:
                raise actions.EventRefused(
                    _("This person is not a participant of your organisation."),
                    code="other_organisation",
                )
            actions.present_project(
                _user(request),
                event,
                person,
                title=data["title"],
                amount_sought=data["amount_sought"],
                currency=data["currency"],
                summary=data["summary"],
            )
        except TandirError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Project added to the pipeline."))
            return _go(request, reverse("events:pipeline", kwargs={"pk": event.pk}))
    return render(
        request,
        "events/pipeline.html",
        _pipeline_context(request, event, project_form=form),
        status=400,
    )


@login_required
@require_POST
def project_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    project = queries.access_project(request.user, pk)
    form = MeetingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give the investor and the day of the meeting."))
    else:
        data = form.cleaned_data
        investor = queries.access_investor(request.user, data["investor"])
        try:
            actions.record_meeting(
                _user(request),
                project,
                investor,
                met_on=data["met_on"],
                notes=data["notes"],
                follow_up=data["follow_up"],
                follow_up_on=data["follow_up_on"],
            )
        except TandirError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Meeting recorded."))
    url = reverse("events:pipeline", kwargs={"pk": project.event_id})
    return _go(request, f"{url}#project-{project.pk}")


@login_required
@require_POST
def project_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    project = queries.access_project(request.user, pk)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose the investor and the outcome."))
    else:
        data = form.cleaned_data
        investor = queries.access_investor(request.user, data["investor"])
        try:
            actions.record_outcome(
                _user(request),
                project,
                investor,
                outcome=data["outcome"],
                invested_amount=data["invested_amount"],
            )
        except TandirError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Outcome recorded."))
    url = reverse("events:pipeline", kwargs={"pk": project.event_id})
    return _go(request, f"{url}#project-{project.pk}")


@login_required
def investor_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = InvestorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.add_investor(_user(request), **form.cleaned_data)
        except TandirError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Investor added."))
            return _go(request, reverse("events:investors"))
    investors = (
        queries.investors_in_scope(request.user)
        .annotate(
            projects=Count("interests"),
            investments=Count("interests", filter=Q(interests__outcome="invested")),
        )
        .order_by("name")
    )
    return render(request, "events/investors.html", {"investors": investors, "form": form})


# --- Cooperation agreements -------------------------------------------------------------------


@login_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    today = _today()
    form = AgreementForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = actions.sign_agreement(_user(request), **form.cleaned_data)
        except TandirError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Agreement recorded."))
            return _go(request, reverse("events:agreement", kwargs={"pk": agreement.pk}))
    agreements = (
        queries.agreements_in_scope(request.user)
        .select_related("partner")
        .annotate(
            open_count=Count("activities", filter=Q(activities__status__in=OPEN_ACTIVITY)),
            overdue_count=Count(
                "activities",
                filter=Q(activities__status__in=OPEN_ACTIVITY, activities__due_on__lt=today),
            ),
        )
        .order_by("-signed_on", "pk")
    )
    return render(
        request,
        "events/agreements.html",
        {"agreements": agreements, "form": form, "today": today},
    )


def _agreement_context(request: HttpRequest, agreement: Any, **extra: Any) -> dict[str, Any]:
    today = _today()
    activities = list(agreement.activities.order_by("due_on", "pk"))
    context = {
        "agreement": agreement,
        "activities": activities,
        "overdue": [a for a in activities if a.is_overdue(today)],
        "today": today,
        "in_force": agreement.in_force(today),
        "form": ActivityForm(),
        "status_form": ActivityStatusForm(),
    }
    context.update(extra)
    return context


@login_required
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    agreement = queries.access_agreement(request.user, pk)
    form = ActivityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.plan_activity(_user(request), agreement, **form.cleaned_data)
        except TandirError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Activity added to the action plan."))
            return _go(request, reverse("events:agreement", kwargs={"pk": agreement.pk}))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "events/agreement.html",
        _agreement_context(request, agreement, form=form),
        status=status,
    )


@login_required
@require_POST
def activity_status(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    activity = queries.access_activity(request.user, pk)
    form = ActivityStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose a status."))
    else:
        try:
            actions.set_activity_status(
                _user(request),
                activity,
                form.cleaned_data["status"],
                on=form.cleaned_data["done_on"],
            )
        except TandirError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Activity updated."))
    return _go(request, reverse("events:agreement", kwargs={"pk": activity.agreement_id}))
