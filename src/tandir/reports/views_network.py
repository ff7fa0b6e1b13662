"""Network pages: the analyst's view of the members side by side (from `NetworkFigure` only),
its XLSX export, and a member's page to publish its figures or stop sharing them.

Views parse, authorise (a missing right is the 403 page; a network that is not the user's is
a 404), call `tandir.reports.network` or one action, and render.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

import xlsxwriter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.core.errors import NotAllowed, NotFound, TandirError
from tandir.core.formatting import date as format_date
from tandir.orgs.models import Organization
from tandir.orgs.roles import Right, has_right
from tandir.reports import actions
from tandir.reports.charts import line_chart
from tandir.reports.models import NetworkFigure, NetworkShare
from tandir.reports.network import (
    DEFINITIONS,
    DIMENSION_LABELS,
    LABELS,
    analyst_network,
    category_labels,
    export_rows,
    network_view,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _network(request: HttpRequest) -> Organization:
    network_id = request.GET.get("network")
    try:
        return analyst_network(
            request.user, int(network_id) if network_id and network_id.isdigit() else None
        )
    except NotAllowed as error:
        raise PermissionDenied(error.message) from error
    except NotFound as error:
        raise Http404(error.message) from error


@login_required
def network(request: HttpRequest) -> HttpResponse:
    found = _network(request)
    view = network_view(
        found,
        as_of=_day(request.GET.get("as_of")),
        dimension=request.GET.get("dimension", ""),
    )
    labels = [format_date(d, "short") for d in view.dates]
    charts = [
        (
            trend,
            line_chart(
                labels,
                dict(trend.series.items()),
                percent=trend.indicator in ("par30",),
            ),
        )
        for trend in view.trends
    ]
    return render(
        request,
        "reports/network.html",
        {
            "view": view,
            "charts": charts,
            "dimensions": DIMENSION_LABELS,
        },
    )


@login_required
def network_export(request: HttpRequest) -> HttpResponse:
    found = _network(request)
    as_of = _day(request.GET.get("as_of"))
    out = io.BytesIO()
    book: Any = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = book.add_worksheet(_("Network figures")[:31])
    head = book.add_format({"bold": True, "bg_color": "#dfe7ef", "border": 1, "text_wrap": True})
    day_format = book.add_format({"num_format": "yyyy-mm-dd"})
    amount = book.add_format({"num_format": "#,##0.00"})
    whole = book.add_format({"num_format": "#,##0"})
    columns = [
        _("Member"),
        _("Date"),
        _("Indicator"),
        _("Disaggregation"),
        _("Category"),
        _("Currency"),
        _("Value"),
        _("People behind it"),
        _("Suppressed"),
    ]
    for column, name in enumerate(columns):
        sheet.write_string(0, column, name, head)
    names = category_labels()
    for n, row in enumerate(export_rows(found, as_of), start=1):
        sheet.write_string(n, 0, row["organization__name"])
        sheet.write_datetime(
            n, 1, datetime.datetime.combine(row["as_of"], datetime.time()), day_format
        )
        sheet.write_string(n, 2, str(LABELS.get(row["indicator"], row["indicator"])))
        sheet.write_string(n, 3, str(DIMENSION_LABELS.get(row["dimension"], row["dimension"])))
        category = row["category"]
        sheet.write_string(n, 4, names.get((row["dimension"], category), category))
        sheet.write_string(n, 5, row["currency"])
        if row["suppressed"]:
            sheet.write_string(n, 6, _("suppressed"))
        elif row["value"] is not None:
            sheet.write_number(n, 6, float(row["value"]), amount)
        if row["people"] is not None:
            sheet.write_number(n, 7, row["people"], whole)
        sheet.write_string(n, 8, _("yes") if row["suppressed"] else "")
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 12)
    sheet.set_column(2, 4, 24)
    sheet.set_column(6, 7, 16)
    sheet.freeze_panes(1, 0)
    notes = book.add_worksheet(_("Definitions")[:31])
    notes.write_string(0, 0, _("Indicator"), head)
    notes.write_string(0, 1, _("Definition"), head)
    for n, (code, label) in enumerate(LABELS.items(), start=1):
        notes.write_string(n, 0, str(label))
        notes.write_string(n, 1, str(DEFINITIONS[code]))
    notes.write_string(
        len(LABELS) + 2,
        0,
        _(
            "A figure resting on fewer than 5 people is suppressed, and so is a second one "
            "wherever the first could be recovered by subtraction."
        ),
    )
    notes.set_column(0, 0, 30)
    notes.set_column(1, 1, 90)
    book.close()
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="network-figures.xlsx"'
    return response


# --- A member's sharing --------------------------------------------------------------------------


@login_required
def sharing(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not has_right(user, Right.SHARE_WITH_NETWORK) or user.organization is None:
        raise PermissionDenied(_("Your role does not allow this."))
    organization = user.organization
    networks = list(user.organization.networks.order_by("name"))
    if request.method == "POST":
        try:
            if request.POST.get("do") == "publish":
                as_of = _day(request.POST.get("as_of"))
                if as_of is None:
                    raise TandirError(_("Give the date of the figures."))
                written = actions.publish_network_figures(user, organization, as_of=as_of)
                messages.success(
                    request,
                    _("%(count)s figures published for %(date)s.")
                    % {"count": written, "date": as_of.isoformat()},
                )
            else:
                chosen = next(
                    (n for n in networks if str(n.pk) == request.POST.get("network")), None
                )
                if chosen is None:
                    raise Http404
                actions.set_network_sharing(
                    user,
                    organization,
                    chosen,
                    excluded=request.POST.get("do") == "exclude",
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("Sharing changed."))
        except TandirError as error:
            messages.error(request, error.message)
        return redirect("reports:network_sharing")
    shares = {s.network_id: s for s in NetworkShare.objects.filter(organization=organization)}
    latest = dict(
        NetworkFigure.objects.filter(organization=organization)
        .values("network_id")
        .annotate(day=Max("as_of"))
        .values_list("network_id", "day")
    )
    rows = [(n, shares.get(n.pk), latest.get(n.pk)) for n in networks]
    return render(
        request,
        "reports/network_sharing.html",
        {"rows": rows, "today": timezone.localdate(), "organization": organization},
    )
