"""The close-of-business page: last runs, the schedule, the next planned run, "run now".

Views parse, authorise (a role without the right gets the 403 page; another organisation is a
404 through `queries.access_organization`), call one action and render. Times show in the
organisation's own time zone.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tandir.core.errors import TandirError
from tandir.jobs import actions, queries
from tandir.jobs.forms import ScheduleForm
from tandir.jobs.models import ACTIVE, CloseSchedule
from tandir.orgs.models import Organization
from tandir.orgs.roles import is_platform_operator


def _organization(request: HttpRequest) -> Organization:
    return queries.access_organization(request.user, request.GET.get("organization"))


def _back(organization: Organization, request: HttpRequest) -> HttpResponse:
    url = reverse("jobs:runs")
    if is_platform_operator(request.user):
        url += f"?organization={organization.pk}"
    return redirect(url)


def _schedule_of(organization: Organization) -> CloseSchedule | None:
    return queries.schedule_of(organization)


@login_required
def runs(request: HttpRequest) -> HttpResponse:
    if is_platform_operator(request.user) and "organization" not in request.GET:
        return render(
            request,
            "jobs/organizations.html",
            {"organizations": Organization.objects.order_by("name")},
        )
    organization = _organization(request)
    schedule = _schedule_of(organization)
    form = _schedule_form(organization, schedule)
    return _page(request, organization, schedule, form)


def _schedule_form(
    organization: Organization, schedule: CloseSchedule | None, data: Any = None
) -> ScheduleForm:
    initial: dict[str, Any] = {
        "enabled": True,
        "run_at": "01:30",
        "time_zone": queries.time_zone_of(organization, schedule),
    }
    if schedule is not None:
        initial.update(enabled=schedule.enabled, run_at=schedule.run_at, run_as=schedule.run_as_id)
    return ScheduleForm(data, initial=initial, organization=organization)


def _page(
    request: HttpRequest,
    organization: Organization,
    schedule: CloseSchedule | None,
    form: ScheduleForm,
) -> HttpResponse:
    zone = queries.time_zone_of(organization, schedule)
    last_runs = list(
        queries.runs_in_scope(request.user)
        .filter(organization=organization)
        .select_related("run_as")[: queries.LAST_RUNS]
    )
    context = {
        "organization": organization,
        "schedule": schedule,
        "next_run": queries.next_run(schedule) if schedule is not None else None,
        "runs": last_runs,
        "active": any(run.status in ACTIVE for run in last_runs),
        "form": form,
        "time_zone": zone,
        "operator": is_platform_operator(request.user),
    }
    with timezone.override(ZoneInfo(zone)):
        return render(request, "jobs/runs.html", context)


@login_required
@require_POST
def run_now(request: HttpRequest) -> HttpResponse:
    organization = _organization(request)
    try:
        actions.run_now(request.user, organization)  # type: ignore[arg-type]
    except TandirError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Close of business is queued: the worker starts it within a minute.")
        )
    return _back(organization, request)


@login_required
@require_POST
def set_schedule(request: HttpRequest) -> HttpResponse:
    organization = _organization(request)
    schedule = _schedule_of(organization)
    form = _schedule_form(organization, schedule, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.set_schedule(
                request.user,  # type: ignore[arg-type]
                organization,
                run_at=data["run_at"],
                time_zone=data["time_zone"],
                run_as=data["run_as"],
                enabled=data["enabled"],
            )
        except TandirError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The schedule is saved."))
            return _back(organization, request)
    return _page(request, organization, schedule, form)
