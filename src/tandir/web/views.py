"""The home page: the counts and charts that matter to each role.

Every role that works with people sees its scope's counts, with tiles chosen for its daily work
(an intake officer what they registered, a loan officer the borrowers and the day's collections,
an M&E officer consent and outreach). A network analyst sees aggregates of the network's members
only.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.lending.queries import officer_day
from tandir.orgs.models import Role
from tandir.orgs.roles import Right, has_right
from tandir.registry import queries
from tandir.registry.models import Status

# Which tiles each role sees first; every role also sees the participant count.
ROLE_TILES: dict[str, list[str]] = {
    Role.ADMINISTRATOR: ["women", "this_month", "possible_duplicates"],
    Role.BRANCH_MANAGER: ["women", "this_month", "possible_duplicates", "borrowers"],
    Role.INTAKE_OFFICER: ["mine_this_month", "this_month", "women"],
    Role.TRAINER: ["in_training", "trained"],
    Role.BUSINESS_ADVISOR: ["trained", "planning"],
    Role.LOAN_APPRAISER: ["planning", "borrowers"],
    Role.LOAN_OFFICER: ["borrowers", "planning"],
    Role.ME_OFFICER: ["women", "consent_surveys", "consent_withdrawn"],
}
CHARTS_FOR_ROLE = {
    Role.ME_OFFICER: ["target_groups", "heard_via"],
    Role.ADMINISTRATOR: ["target_groups"],
    Role.BRANCH_MANAGER: ["target_groups"],
    Role.INTAKE_OFFICER: ["heard_via"],
}


def _tiles(user: Any, summary: queries.RegistrySummary) -> list[dict[str, Any]]:
    people = reverse("registry:list")
    catalogue = {
        "women": (_("Women"), summary.women, f"{people}?sex=female"),
        "this_month": (_("Registered this month"), summary.this_month, people),
        "mine_this_month": (_("Registered by you this month"), summary.mine_this_month, people),
        "possible_duplicates": (_("Possible duplicates to review"), summary.possible_duplicates,
                                f"{people}?duplicates=on"),
        "in_training": (_("In training"), summary.status_count(Status.IN_TRAINING),
                        f"{people}?status={Status.IN_TRAINING}"),
        "trained": (_("Trained"), summary.status_count(Status.TRAINED),
                    f"{people}?status={Status.TRAINED}"),
        "planning": (_("Preparing a business plan"), summary.status_count(Status.PLANNING),
                     f"{people}?status={Status.PLANNING}"),
        "borrowers": (_("Borrowers"), summary.status_count(Status.BORROWER),
                      f"{people}?status={Status.BORROWER}"),
        "consent_surveys": (_("Agreed to follow-up surveys"), summary.consent_surveys, None),
        "consent_withdrawn": (_("Consent withdrawn"), summary.consent_withdrawn, None),
    }  # fmt: skip
    keys = ["total", *ROLE_TILES.get(user.role, ["women", "this_month"])]
    catalogue["total"] = (_("Participants"), summary.total, people)
    return [
        {"label": label, "value": value, "url": url}
        for label, value, url in (catalogue[key] for key in keys)
    ]


def _today() -> Any:
    return timezone.localdate()


def _collections(user: Any) -> list[dict[str, Any]]:
    """A loan officer's day in three tiles: due today, late, and promises to pay gone by."""
    day = officer_day(user, _today())
    url = reverse("lending:my_day")
    return [
        {"label": _("Due today"), "value": day.due_today_count, "url": url},
        {"label": _("Late loans"), "value": day.overdue_count, "url": url},
        {
            "label": _("Promises to pay passed"),
            "value": len(day.promises_passed),
            "url": f"{url}#promises-passed",
        },
    ]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    context: dict[str, Any] = {"tiles": [], "charts": [], "network_rows": [], "collections": []}
    if user.role == Role.LOAN_OFFICER and has_right(user, Right.FOLLOW_UP):
        context["collections"] = _collections(user)
    if has_right(user, Right.SEE_RECORDS):
        summary = queries.registry_summary(user)
        context["tiles"] = _tiles(user, summary)
        charts = {
            "target_groups": (_("Participants by target group"), summary.by_target_group),
            "heard_via": (_("How participants heard of the programme"), summary.by_heard_via),
        }
        context["charts"] = [
            {"title": _("Participants by stage"), "rows": summary.by_status},
            *(
                {"title": charts[key][0], "rows": charts[key][1]}
                for key in CHARTS_FOR_ROLE.get(user.role, [])
            ),
        ]
        context["scope_label"] = (
            user.organization.name if user.organization_id else _("All organisations")
        )
        if not has_right(user, Right.SEE_WHOLE_ORGANIZATION):
            names = ", ".join(b.name for b in user.branches.all())
            context["scope_label"] += f" · {names}"
    elif user.organization_id:
        context["network_rows"] = queries.network_aggregates(user)
        context["scope_label"] = user.organization.name
    return render(request, "web/home.html", context)
