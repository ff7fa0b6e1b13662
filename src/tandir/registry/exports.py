"""Beneficiary exports (XLSX, CSV) for staff, scoped like every page.

Exports for a network never come from here: these carry names and phones, so they serve only
the organisation's own staff; protected categories appear only for roles that may see them, and
each exported protected record writes an access log row.

Rows are read as plain values in chunks, with each chunk's target groups in one query, and
choice labels translated once, not once a row: a branch of 40,000 people exports in seconds.
XLSX is written by XlsxWriter in constant-memory mode.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import xlsxwriter
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from tandir.core.models import TargetGroup
from tandir.orgs.roles import Right, has_right
from tandir.registry.models import Beneficiary, Sex, Status
from tandir.registry.queries import log_views

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 5000
COLUMNS = (
    "pk", "first_name", "patronymic", "last_name", "name_latin", "sex", "date_of_birth",
    "phone", "national_id", "branch__name", "district__name", "status", "registered_on",
)  # fmt: skip


def header() -> list[str]:
    return [
        _("ID"), _("First name"), _("Patronymic"), _("Last name"), _("Name in Latin"),
        _("Sex"), _("Date of birth"), _("Phone"), _("National ID"), _("Branch"), _("District"),
        _("Target groups"), _("Status"), _("Registered on"),
    ]  # fmt: skip


def rows(user: Any, people: QuerySet[Beneficiary]) -> Iterator[list[Any]]:
    """Export rows in the order of `header()`; logs access to protected records at the end."""
    see_protected = has_right(user, Right.SEE_PROTECTED)
    groups = {g.pk: (str(g), g.is_protected) for g in TargetGroup.objects.all()}
    sexes: dict[str, str] = {value: str(label) for value, label in Sex.choices}
    statuses: dict[str, str] = {value: str(label) for value, label in Status.choices}
    through = Beneficiary.target_groups.through.objects
    protected_seen: list[int] = []
    last_pk = 0
    ordered = people.order_by("pk").values_list(*COLUMNS)
    while True:
        # Keyset pagination: each chunk starts after the last key, so deep chunks stay cheap.
        chunk = list(ordered.filter(pk__gt=last_pk)[:CHUNK])
        if not chunk:
            break
        last_pk = chunk[-1][0]
        person_groups: dict[int, list[int]] = defaultdict(list)
        for person_id, group_id in through.filter(
            beneficiary_id__in=[row[0] for row in chunk]
        ).values_list("beneficiary_id", "targetgroup_id"):
            if see_protected or not groups[group_id][1]:
                person_groups[person_id].append(group_id)
        for values in chunk:
            pk = values[0]
            names = [groups[g][0] for g in person_groups.get(pk, ())]
            if any(groups[g][1] for g in person_groups.get(pk, ())):
                protected_seen.append(pk)
            # values: pk, first, patronymic, last, latin, sex, born, phone, ID, branch, district,
            # status, registered on (COLUMNS); the export puts target groups before status.
            yield [
                *values[:5], sexes[values[5]], values[6], values[7], values[8] or "",
                values[9], values[10], ", ".join(names), statuses[values[11]], values[12],
            ]  # fmt: skip
    if protected_seen and user.organization_id:
        log_views(user, ((user.organization_id, pk) for pk in protected_seen), "export")


def _xlsx(user: Any, people: QuerySet[Beneficiary]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": True})
    sheet = book.add_worksheet(_("Beneficiaries")[:31])
    bold = book.add_format({"bold": True})
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, header(), bold)
    for number, row in enumerate(rows(user, people), start=1):
        sheet.write_row(number, 0, row[:6])
        sheet.write_datetime(number, 6, row[6], dates)
        sheet.write_row(number, 7, row[7:13])
        sheet.write_datetime(number, 13, row[13], dates)
    sheet.set_column(1, 4, 18)
    book.close()
    return out.getvalue()


def beneficiaries_response(
    user: Any, people: QuerySet[Beneficiary], file_format: str, filename: str = "beneficiaries"
) -> HttpResponse:
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header())
        writer.writerows(rows(user, people))
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    elif file_format == "xlsx":
        response = HttpResponse(_xlsx(user, people), content_type=XLSX_TYPE)
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    return response
