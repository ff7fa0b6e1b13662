"""Beneficiary exports (XLSX, CSV) for staff, scoped like every page.

Exports for a network never come from here: these carry names and phones, so they serve only
the organisation's own staff; protected categories appear only for roles that may see them, and
each exported protected record writes an access log row.

An export has the import's columns (`imports.COLUMNS`), in the import's words (codes, ISO dates,
branch codes, Region/District), after the record's `id`, which the import ignores: an export can
be corrected in a spreadsheet and imported again, into the same organisation (everyone is then
already registered) or another one.

A cell is never something a spreadsheet would run. XLSX cells are all written as text, so a
name such as `=HYPERLINK(...)` stays a name; in CSV, where every cell is text to the file but
not to the spreadsheet that opens it, a value starting with `=`, `+`, `-`, `@`, a tab or a
carriage return gets a leading single quote and every cell is quoted (the OWASP advice on CSV
injection). The import takes that quote off again.

Rows are read as plain values in chunks, with each chunk's target groups, projects and consent
in one query each, and nothing translated per row: a branch of 40,000 people exports in
seconds. XLSX is written by XlsxWriter in constant-memory mode.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from tandir.core.models import TargetGroup
from tandir.orgs.roles import Right, has_right
from tandir.registry.imports import COLUMNS as IMPORT_COLUMNS
from tandir.registry.imports import FORMULA_STARTS
from tandir.registry.models import Beneficiary, Consent, Enrolment
from tandir.registry.queries import log_views

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 5000
COLUMNS = ["id", *IMPORT_COLUMNS]
# What each row is read from; the rest of COLUMNS comes from the chunk's own queries.
FIELDS = {
    "id": "pk",
    "first_name": "first_name",
    "patronymic": "patronymic",
    "last_name": "last_name",
    "sex": "sex",
    "date_of_birth": "date_of_birth",
    "phone": "phone",
    "id_document": "id_document",
    "national_id": "national_id",
    "branch": "branch__code",
    "region": "district__region__name",
    "district": "district__name",
    "locality": "locality__name",
    "education": "education",
    "economic_activity": "economic_activity",
    "heard_via": "heard_via",
    "heard_via_detail": "heard_via_detail",
    "household_members": "household__members_count",
    "household_dependants": "household__dependants",
    "household_head_sex": "household__head_sex",
    "household_income": "household__monthly_income_amount",
    "household_income_currency": "household__monthly_income_currency",
}
_READ = list(FIELDS.values())
_AT = {name: _READ.index(path) for name, path in FIELDS.items()}


def header() -> list[str]:
    """The first row: column names as the import reads them, the same in every language."""
    return list(COLUMNS)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 120000, 1500.5: the same whatever the scale
    return str(value)


def rows(user: Any, people: QuerySet[Beneficiary]) -> Iterator[list[str]]:
    """Export rows in the order of `header()`; logs access to protected records at the end."""
    see_protected = has_right(user, Right.SEE_PROTECTED)
    groups = {g.pk: (g.code, g.is_protected) for g in TargetGroup.objects.all()}
    through = Beneficiary.target_groups.through.objects
    protected_seen: list[int] = []
    last_pk = 0
    ordered = people.order_by("pk").values_list(*_READ)
    while True:
        # Keyset pagination: each chunk starts after the last key, so deep chunks stay cheap.
        chunk = list(ordered.filter(pk__gt=last_pk)[:CHUNK])
        if not chunk:
            break
        ids = [row[0] for row in chunk]
        last_pk = ids[-1]
        person_groups: dict[int, list[str]] = defaultdict(list)
        for person_id, group_id in through.filter(beneficiary_id__in=ids).values_list(
            "beneficiary_id", "targetgroup_id"
        ):
            code, protected = groups[group_id]
            if protected and not see_protected:
                continue
            if protected:
                protected_seen.append(person_id)
            person_groups[person_id].append(code)
        projects: dict[int, list[str]] = defaultdict(list)
        for person_id, code in (
            Enrolment.objects.filter(beneficiary_id__in=ids)
            .order_by("project__code")
            .values_list("beneficiary_id", "project__code")
        ):
            projects[person_id].append(code)
        consents: dict[int, tuple[bool, bool]] = {}
        for person_id, surveys, sharing in (
            Consent.objects.filter(beneficiary_id__in=ids, withdrawn_on=None)
            .order_by("given_on", "pk")
            .values_list("beneficiary_id", "follow_up_surveys", "network_sharing")
        ):
            consents[person_id] = (surveys, sharing)  # the latest active consent wins
        for values in chunk:
            pk = values[0]
            surveys, sharing = consents.get(pk, (False, False))
            cells = {name: _text(values[at]) for name, at in _AT.items()}
            cells |= {
                # Region/District: the one spelling the import never finds ambiguous.
                "district": f"{cells['region']}/{cells['district']}",
                "target_groups": ";".join(sorted(person_groups.get(pk, ()))),
                "projects": ";".join(projects.get(pk, ())),
                "consent_surveys": "yes" if surveys else "no",
                "consent_sharing": "yes" if sharing else "no",
            }
            yield [cells[name] for name in COLUMNS]
    if protected_seen and user.organization_id:
        seen = dict.fromkeys(protected_seen)  # once a person, however many protected groups
        log_views(user, ((user.organization_id, pk) for pk in seen), "export")


def csv_cell(value: str) -> str:
    """A value a spreadsheet opening the CSV shows as text instead of running it."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv(user: Any, people: QuerySet[Beneficiary]) -> str:
    buffer = io.StringIO()
    # A byte-order mark, so Excel reads Armenian, Cyrillic and Urdu names as UTF-8; the import
    # reads it too (utf-8-sig).
    buffer.write("\ufeff")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(header())
    writer.writerows([csv_cell(cell) for cell in row] for row in rows(user, people))
    return buffer.getvalue()


def _xlsx(user: Any, people: QuerySet[Beneficiary]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "in_memory": True,
            # Text stays text: no formula, link or number is made of what a person typed.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = book.add_worksheet(_("Beneficiaries")[:31])
    bold = book.add_format({"bold": True})
    for column, name in enumerate(header()):
        sheet.write_string(0, column, name, bold)
    for number, row in enumerate(rows(user, people), start=1):
        for column, value in enumerate(row):
            if value:
                sheet.write_string(number, column, value)
    sheet.set_column(1, 3, 18)
    book.close()
    return out.getvalue()


def beneficiaries_response(
    user: Any, people: QuerySet[Beneficiary], file_format: str, filename: str = "beneficiaries"
) -> HttpResponse:
    if file_format == "csv":
        response = HttpResponse(_csv(user, people), content_type="text/csv; charset=utf-8")
    elif file_format == "xlsx":
        response = HttpResponse(_xlsx(user, people), content_type=XLSX_TYPE)
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    return response
