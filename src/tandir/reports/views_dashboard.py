"""The dashboard: one page, its sections chosen by the user's rights (`tandir.reports.dashboards`).

A network analyst, who sees no member's records, is sent to the network's page instead.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.orgs.roles import Right, has_right
from tandir.reports.dashboards import dashboard as build_dashboard


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_right(user, Right.SEE_REPORTS):
        if has_right(user, Right.SEE_NETWORK):
            return redirect("reports:network")
        raise PermissionDenied(_("Your role does not allow this."))
    if getattr(user, "organization", None) is None:
        raise Http404(_("The dashboard is an organisation's."))
    board = build_dashboard(user, timezone.localdate())
    return render(request, "reports/dashboard.html", {"board": board})
