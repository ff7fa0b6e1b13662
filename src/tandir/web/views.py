"""The home page: counts that matter to each role, and network aggregates for analysts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from tandir.orgs.roles import Right, has_right
from tandir.registry import queries


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    context: dict[str, Any] = {"tiles": [], "status_counts": [], "network_rows": []}
    if has_right(user, Right.SEE_RECORDS):
        summary = queries.registry_summary(user)
        list_url = reverse("registry:list")
        context["tiles"] = [
            {"label": _("Participants"), "value": summary.total, "url": list_url},
            {"label": _("Women"), "value": summary.women, "url": f"{list_url}?sex=female"},
            {"label": _("Registered this month"), "value": summary.this_month, "url": list_url},
            {"label": _("Possible duplicates to review"), "value": summary.possible_duplicates,
             "url": f"{list_url}?duplicates=1"},
        ]  # fmt: skip
        context["status_counts"] = summary.by_status
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
