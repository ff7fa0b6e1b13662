"""Importing beneficiaries from a CSV or XLSX file: all or nothing.

Every line is validated first, with the same form as the registration page. If any line is bad,
every bad line is reported (line number, column, reason) and nothing is written. Otherwise the
whole file is written in one transaction with bulk inserts.

A line for a person already registered (same phone or national ID *and* same name and birth
date) is skipped, so importing the same file twice creates nobody twice. A phone or ID held by a
different person is an error. A similar name in the same district is created and flagged as a
possible duplicate for a manager to review.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from tandir.core.models import TargetGroup
from tandir.orgs.models import District
from tandir.orgs.roles import Right, has_right
from tandir.registry.actions import household_from, new_beneficiary
from tandir.registry.duplicates import keys_for, possibly_same_person
from tandir.registry.forms import BeneficiaryForm, KnownChoices
from tandir.registry.models import (
    Beneficiary,
    Consent,
    Enrolment,
    Household,
    Status,
    StatusChange,
)

COLUMNS = [
    "first_name", "patronymic", "last_name", "sex", "date_of_birth", "phone", "national_id",
    "branch", "district", "locality", "target_groups", "education", "economic_activity",
    "heard_via", "heard_via_detail", "projects", "household_members", "household_dependants",
    "household_head_sex", "household_income", "household_income_currency", "consent_surveys",
    "consent_sharing",
]  # fmt: skip
REQUIRED_COLUMNS = {"first_name", "last_name", "sex", "date_of_birth", "branch", "district",
                    "household_members", "household_head_sex"}  # fmt: skip
YES = {"1", "yes", "y", "true", "x", "да", "այո", "bəli", "evet", "ہاں"}
CHUNK = 500


@dataclass(frozen=True)
class LineError:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return _("line %(line)s, column %(column)s: %(reason)s") % {
            "line": self.line,
            "column": self.column,
            "reason": self.reason,
        }


@dataclass
class ImportResult:
    lines: int = 0
    created: int = 0
    already_registered: int = 0
    flagged: int = 0
    errors: list[LineError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    line: int
    data: dict[str, Any]
    keys: Any = None
    already_registered: bool = False
    possible_duplicate_of: Beneficiary | None = None


Progress = Callable[[int], None]


def read_table(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Header and (line number, values) of a CSV (UTF-8, comma or semicolon) or XLSX file."""
    if path.suffix.lower() == ".xlsx":
        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(c or "").strip().lower() for c in next(rows, ())]

        def xlsx_lines() -> Iterator[tuple[int, dict[str, str]]]:
            for number, values in enumerate(rows, start=2):
                cells = ["" if v is None else _cell_text(v) for v in values]
                if any(cells):
                    yield number, dict(zip(header, cells, strict=False))

        return header, xlsx_lines()
    text = path.read_text(encoding="utf-8-sig")
    dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    reader = csv.reader(io.StringIO(text), dialect)
    header = [c.strip().lower() for c in next(reader, [])]

    def csv_lines() -> Iterator[tuple[int, dict[str, str]]]:
        for values in reader:
            if any(v.strip() for v in values):
                yield reader.line_num, dict(zip(header, (v.strip() for v in values), strict=False))

    return header, csv_lines()


def _cell_text(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _Lookups:
    """Codes and names in the file resolved to rows the officer may use, loaded once."""

    def __init__(self, officer: Any, known: KnownChoices) -> None:
        def by_code(field: str) -> dict[str, Any]:
            return {row.code.lower(): row for row in known.rows[field].values()}

        self.branches = by_code("branch")
        self.projects = by_code("projects")
        self.groups = by_code("target_groups")
        country = getattr(officer.organization, "country_id", None)
        self.districts: dict[str, list[District]] = {}
        for district in known.rows["district"].values():
            if country and district.region.country_id != country:
                continue
            for name in {
                district.name,
                district.name_local,
                f"{district.region.name}/{district.name}",
            }:
                if name:
                    self.districts.setdefault(name.lower(), []).append(district)
        self.localities = {
            (loc.district_id, loc.name.lower()): loc for loc in known.rows["locality"].values()
        }


def _form_data(
    values: dict[str, str], lookups: _Lookups, errors: list[LineError], line: int
) -> dict[str, Any]:
    data: dict[str, Any] = {name: values.get(name, "") for name in COLUMNS}

    def bad(column: str, reason: str) -> None:
        errors.append(LineError(line, column, reason))

    branch = lookups.branches.get(data["branch"].lower())
    if data["branch"] and not branch:
        bad("branch", _("unknown branch code %(code)s") % {"code": data["branch"]})
    data["branch"] = branch.pk if branch else ""
    districts = lookups.districts.get(data["district"].lower(), [])
    if data["district"] and len(districts) != 1:
        reason = (
            _("%(name)s is in several regions; write Region/District")
            if districts
            else _("unknown district %(name)s")
        )
        bad("district", reason % {"name": data["district"]})
    district = districts[0] if len(districts) == 1 else None
    data["district"] = district.pk if district else ""
    locality = lookups.localities.get((district.pk, data["locality"].lower())) if district else None
    if data["locality"] and district and not locality:
        bad("locality", _("unknown locality %(name)s") % {"name": data["locality"]})
    data["locality"] = locality.pk if locality else ""
    for column, table in (("target_groups", lookups.groups), ("projects", lookups.projects)):
        codes = [c.strip().lower() for c in data[column].replace(",", ";").split(";") if c.strip()]
        if column == "target_groups":
            codes = [c for c in codes if c not in TargetGroup.DERIVED_CODES]  # youth: from age
        unknown = [c for c in codes if c not in table]
        if unknown:
            bad(column, _("unknown codes: %(codes)s") % {"codes": ", ".join(unknown)})
        data[column] = [table[c].pk for c in codes if c in table]
    data["consent_programme"] = "on"
    for column in ("consent_surveys", "consent_sharing"):
        data[column] = "on" if data[column].strip().lower() in YES else ""
    for column in ("education", "economic_activity", "heard_via", "household_dependants"):
        if not data[column]:
            data.pop(column)
    data.setdefault("household_dependants", "0")
    data.setdefault("education", "secondary")
    data.setdefault("economic_activity", "none")
    data.setdefault("heard_via", "other")
    return data


def validate_file(
    officer: Any, path: Path, progress: Progress | None = None
) -> tuple[ImportResult, list[_Row]]:
    """Check every line; return the errors of all bad lines, or the rows ready to write."""
    result = ImportResult()
    header, lines = read_table(path)
    missing = sorted(REQUIRED_COLUMNS - set(header))
    if missing:
        result.errors.append(LineError(1, ", ".join(missing), _("required column missing")))
        return result, []
    known = KnownChoices(officer)
    lookups = _Lookups(officer, known)
    rows: list[_Row] = []
    for line, values in lines:
        result.lines += 1
        line_errors: list[LineError] = []
        data = _form_data(values, lookups, line_errors, line)
        form = BeneficiaryForm(data, user=officer, known=known)
        if not form.is_valid():
            for column, messages in form.errors.items():
                if column in {
                    "branch",
                    "district",
                    "locality",
                    "target_groups",
                    "projects",
                } and any(e.column == column for e in line_errors):
                    continue  # already reported in the file's own words
                for message in messages:
                    line_errors.append(
                        LineError(line, column if column != "__all__" else "-", str(message))
                    )
        result.errors.extend(
            sorted(
                line_errors, key=lambda e: COLUMNS.index(e.column) if e.column in COLUMNS else 99
            )
        )
        if not line_errors:
            row = _Row(line, form.cleaned_data)
            d = row.data
            row.keys = keys_for(d["first_name"], d.get("patronymic") or "", d["last_name"])
            rows.append(row)
        if progress:
            progress(1)
    _check_duplicates(officer, rows, result)
    return result, rows


def _check_duplicates(officer: Any, rows: list[_Row], result: ImportResult) -> None:
    """Against the file itself and the registry, in a few queries for the whole file."""
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        for column in ("phone", "national_id"):
            value = row.data.get(column)
            if not value:
                continue
            if (column, value) in seen:
                result.errors.append(
                    LineError(
                        row.line, column, _("same as line %(line)s") % {"line": seen[column, value]}
                    )
                )
            else:
                seen[column, value] = row.line
    org = officer.organization_id
    phones = [r.data["phone"] for r in rows if r.data.get("phone")]
    ids = [r.data["national_id"] for r in rows if r.data.get("national_id")]
    holders: dict[tuple[str, str], Beneficiary] = {}
    for start in range(0, max(len(phones), len(ids)), CHUNK):
        for b in Beneficiary.objects.filter(
            Q(phone__in=phones[start : start + CHUNK])
            | Q(national_id__in=ids[start : start + CHUNK]),
            organization_id=org,
            merged_into=None,
        ):
            if b.phone:
                holders["phone", b.phone] = b
            if b.national_id:
                holders["national_id", b.national_id] = b
    remaining = []
    for row in rows:
        held = [
            (c, holders[c, row.data[c]])
            for c in ("national_id", "phone")
            if (c, row.data.get(c)) in holders
        ]
        if not held:
            remaining.append(row)
            continue
        same_person = all(
            h.name_key == row.keys.full_key and h.date_of_birth == row.data["date_of_birth"]
            for _c, h in held
        )
        if same_person:
            row.already_registered = True
            result.already_registered += 1
        else:
            column, holder = held[0]
            result.errors.append(
                LineError(
                    row.line,
                    column,
                    _("already registered to another person (record %(id)s)") % {"id": holder.pk},
                )
            )
    # Possible duplicates (see `possibly_same_person`): people of the same district sharing a
    # line's surname key or birth date, fetched as plain values once per distinct key, so each
    # line is compared only with the few people it could be.
    Candidate = tuple[int, str, datetime.date]  # id, name key, birth date
    by_surname: dict[tuple[int, str], list[Candidate]] = defaultdict(list)
    by_birth: dict[tuple[int, datetime.date], list[Candidate]] = defaultdict(list)
    districts = {r.data["district"].pk for r in remaining}
    for column, wanted, filed in (
        ("last_name_key", sorted({r.keys.last_name_key for r in remaining}), by_surname),
        ("date_of_birth", sorted({r.data["date_of_birth"] for r in remaining}), by_birth),
    ):
        for start in range(0, len(wanted), CHUNK):
            found = Beneficiary.objects.filter(
                organization_id=org,
                district_id__in=districts,
                merged_into=None,
                **{f"{column}__in": wanted[start : start + CHUNK]},
            ).values_list("id", "district_id", "name_key", "date_of_birth", column)
            for pk, district, key, born, value in found:
                filed[district, value].append((pk, key, born))
    for row in remaining:
        district, born = row.data["district"].pk, row.data["date_of_birth"]
        pool = [
            *by_surname.get((district, row.keys.last_name_key), ()),
            *by_birth.get((district, born), ()),
        ]
        match = next(
            (pk for pk, key, their_birth in pool
             if possibly_same_person(key, their_birth, row.keys.full_key, born)),
            None,
        )  # fmt: skip
        if match:
            row.possible_duplicate_of = Beneficiary(pk=match)
            result.flagged += 1
    result.errors.sort(key=lambda e: e.line)


def import_beneficiaries(
    officer: Any,
    path: Path,
    *,
    today: datetime.date | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate the whole file, then write all of it or nothing."""
    if not has_right(officer, Right.IMPORT):
        return ImportResult(errors=[LineError(0, "-", _("Your role does not allow imports."))])
    result, rows = validate_file(officer, path, progress)
    if result.errors:
        return result
    new_rows = [r for r in rows if not r.already_registered]
    _write(officer, new_rows, today or timezone.localdate())
    result.created = len(new_rows)
    return result


@transaction.atomic
def _write(officer: Any, rows: list[_Row], today: datetime.date) -> None:
    org = officer.organization_id
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        households = Household.objects.bulk_create(household_from(r.data, org) for r in chunk)
        people = []
        for r, household in zip(chunk, households, strict=True):
            person = new_beneficiary(officer, r.data, today)
            person.household = household
            person.possible_duplicate_of = r.possible_duplicate_of
            people.append(person)
        Beneficiary.objects.bulk_create(people)
        groups_through = Beneficiary.target_groups.through
        groups_through.objects.bulk_create(
            groups_through(beneficiary_id=p.pk, targetgroup_id=g.pk)
            for r, p in zip(chunk, people, strict=True)
            for g in r.data.get("target_groups") or []
        )
        Enrolment.objects.bulk_create(
            Enrolment(organization_id=org, beneficiary=p, project=project, enrolled_on=today)
            for r, p in zip(chunk, people, strict=True)
            for project in r.data.get("projects") or []
        )
        Consent.objects.bulk_create(
            Consent(
                organization_id=org,
                beneficiary=p,
                given_on=today,
                follow_up_surveys=bool(r.data.get("consent_surveys")),
                network_sharing=bool(r.data.get("consent_sharing")),
                recorded_by=officer,
            )
            for r, p in zip(chunk, people, strict=True)
        )
        StatusChange.objects.bulk_create(
            StatusChange(
                organization_id=org,
                beneficiary=p,
                from_status="",
                to_status=Status.REGISTERED,
                changed_on=today,
                changed_by=officer,
                note=_("Imported"),
            )
            for p in people
        )
