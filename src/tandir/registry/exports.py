"""Beneficiary exports (XLSX, CSV) for staff, scoped like every page.

Exports for a network never come from here: these carry names and phones, so they serve only
the organisation's own staff; protected categories appear only for roles that may see them, and
each exported protected record writes an access log row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from tandir.core.models import AccessLog
from tandir.orgs.roles import Right, has_right
from tandir.registry.models import Beneficiary

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def header() -> list[str]:
    return [
        _("ID"), _("First name"), _("Patronymic"), _("Last name"), _("Name in Latin"),
        _("Sex"), _("Date of birth"), _("Phone"), _("National ID"), _("Branch"), _("District"),
        _("Target groups"), _("Status"), _("Registered on"),
    ]  # fmt: skip


def rows(user: Any, people: QuerySet[Beneficiary]) -> Iterable[list[Any]]:
    see_protected = has_right(user, Right.SEE_PROTECTED)
    protected_seen: list[int] = []
    people = people.select_related("branch", "district").prefetch_related("target_groups")
    for person in people.iterator(chunk_size=2000):
        groups = [g for g in person.target_groups.all() if see_protected or not g.is_protected]
        if any(g.is_protected for g in groups):
            protected_seen.append(person.pk)
        yield [
            person.pk, person.first_name, person.patronymic, person.last_name, person.name_latin,
            person.get_sex_display(), person.date_of_birth, person.phone, person.national_id or "",
            person.branch.name, person.district.name, ", ".join(str(g) for g in groups),
            person.get_status_display(), person.registered_on,
        ]  # fmt: skip
    if protected_seen and user.organization_id:
        AccessLog.objects.bulk_create(
            AccessLog(
                organization_id=user.organization_id,
                user=user,
                record_type="beneficiary",
                record_id=pk,
                channel="export",
            )
            for pk in protected_seen
        )


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
        book = Workbook(write_only=True)
        sheet = book.create_sheet(_("Beneficiaries"))
        sheet.append(header())
        for row in rows(user, people):
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    return response
