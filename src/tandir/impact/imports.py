"""Survey submissions from a sheet (CSV, XLSX) or a KoboToolbox JSON export, all or nothing.

Columns: `beneficiary` (the person's national ID or phone, normalised as the registry does),
`date` (of the interview), then one per question code of the instrument's published version;
KoboToolbox's `_uuid`, when present, is kept as the response's reference. Column names may carry
the group path a form put them in (`group_x/income_change`): the last part is the code.

Every row is checked before anything is written, and every bad row is reported with its line
(a submission's position in a JSON export), column and reason. Only when no row is bad are the
responses written, set-based, by `actions.record_checked_responses`.

Importing the same file twice writes nothing twice: a submission whose `_uuid` was imported
before, or a person who already answered this instrument on the same date, is skipped.
"""

from __future__ import annotations

import datetime
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.impact import actions
from tandir.impact.answers import check_answers, parse_date
from tandir.impact.models import Instrument, Question, Response, ResponseSource
from tandir.impact.queries import consent_refusal, published_version
from tandir.lending.tables import BadFile, LineError, read_lines, stopped_after
from tandir.orgs.models import StaffUser
from tandir.orgs.roles import Right, has_right
from tandir.registry.identity import NotAPhone, normalise_id_number, parse_phone
from tandir.registry.models import Consent, IdDocument
from tandir.registry.queries import beneficiaries_in_scope

REFERENCE = "_uuid"
FIXED = ("beneficiary", "date", REFERENCE)
# KoboToolbox's own keys in a JSON export, never questions: not reported as ignored.
KOBO_META = {
    "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
    "_submitted_by", "_tags", "_attachments", "_geolocation", "_xform_id_string", "__version__",
    "_version_", "formhub/uuid", "meta/instanceid", "meta/instanceID", "meta/rootUuid",
    "start", "end", "today", "deviceid", "_index", "_parent_index", "_parent_table_name",
}  # fmt: skip


@dataclass
class ResponsesImport:
    lines: int = 0
    written: int = 0
    skipped: int = 0  # already imported
    errors: list[LineError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    stopped: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    number: int
    values: dict[str, str]  # by code, group paths removed
    columns: dict[str, str]  # code -> the column name as the file wrote it
    problems: list[LineError]


def _code(column: str) -> str:
    return column.rsplit("/", 1)[-1].strip().lower()


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _json_rows(content: bytes, codes: set[str], ignored: set[str]) -> Iterator[_Row]:
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BadFile(_("The file is not JSON text: %(reason)s") % {"reason": error}) from error
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        data = data["results"]  # the KoboToolbox API's page of submissions
    if not isinstance(data, list):
        raise BadFile(_("A KoboToolbox JSON export is a list of submissions."))
    for number, submission in enumerate(data, start=1):
        if not isinstance(submission, dict):
            yield _Row(number, {}, {}, [LineError(number, "-", _("not a submission"))])
            continue
        values: dict[str, str] = {}
        columns: dict[str, str] = {}
        for key, value in submission.items():
            code = _code(str(key))
            if code not in codes:
                if str(key) not in KOBO_META and code not in KOBO_META:
                    ignored.add(str(key))
                continue
            text = _json_text(value).strip()
            if text:
                values[code] = text
                columns[code] = str(key)
        yield _Row(number, values, columns, [])


def _sheet_rows(path: Path, codes: set[str], ignored: set[str]) -> Iterator[_Row]:
    header = read_lines(path, ()).header
    wanted = {column: _code(column) for column in header if column and _code(column) in codes}
    ignored.update(column for column in header if column and column not in wanted)
    missing = [c for c in ("beneficiary", "date") if c not in wanted.values()]
    if missing:
        raise BadFile(
            _("required column missing: %(names)s") % {"names": ", ".join(missing)}, line=1
        )
    for line in read_lines(path, wanted).lines:
        values = {wanted[column]: value for column, value in line.values.items()}
        columns = {wanted[column]: column for column in line.values}
        yield _Row(line.number, values, columns, list(line.problems))


class _People:
    """The people the rows name, found in the officer's scope in two queries: by ID number
    (normalised for each kind of document) and by phone (in E.164, the branch country's)."""

    def __init__(self, officer: StaffUser, texts: Iterable[str], region: str | None) -> None:
        self.region = region
        keys: dict[str, set[str]] = {}
        phones: dict[str, str] = {}
        for text in set(texts):
            keys[text] = {
                key for kind in IdDocument.values if (key := normalise_id_number(text, kind))
            }
            try:
                phone = parse_phone(text, region)
            except NotAPhone:
                phone = ""
            if phone:
                phones[text] = phone
        self.keys, self.phones = keys, phones
        people = beneficiaries_in_scope(officer).filter(merged_into__isnull=True)
        all_keys = set().union(*keys.values()) if keys else set()
        fields = ("pk", "branch_id", "national_id", "phone", "first_name", "last_name")
        self.by_id: dict[str, list[dict[str, Any]]] = {}
        for row in people.filter(national_id__in=all_keys).values(*fields):
            self.by_id.setdefault(row["national_id"], []).append(row)
        self.by_phone: dict[str, dict[str, Any]] = {
            row["phone"]: row
            for row in people.filter(phone__in=set(phones.values())).values(*fields)
        }

    def find(self, text: str) -> list[dict[str, Any]]:
        found = {
            row["pk"]: row for key in self.keys.get(text, ()) for row in self.by_id.get(key, [])
        }
        phone = self.phones.get(text)
        if phone and phone in self.by_phone:
            row = self.by_phone[phone]
            found[row["pk"]] = row
        return list(found.values())


def _region(instrument: Instrument) -> str | None:
    country = instrument.organization.country
    return country.code if country else None


def import_responses(
    user: StaffUser, *, instrument: Instrument, content: bytes, filename: str
) -> ResponsesImport:
    """Check every row; write all responses if none is bad, nothing otherwise."""
    result = ResponsesImport()
    if not has_right(user, Right.RECORD_RESPONSES):
        result.errors.append(LineError(0, "-", _("Your role does not allow recording answers.")))
        return result
    if instrument.organization_id != user.organization_id:
        result.errors.append(LineError(0, "-", _("No such instrument.")))
        return result
    version = published_version(instrument)
    if version is None:
        result.errors.append(LineError(0, "-", _("The instrument has no published version yet.")))
        return result
    if len(content) > settings.TANDIR_IMPORT_MAX_BYTES:
        result.errors.append(
            LineError(0, "-", _("The file is larger than an import may be; split it."))
        )
        return result
    questions = list(version.questions.order_by("position"))
    codes = {q.code for q in questions} | set(FIXED)
    suffix = Path(filename).suffix.lower()
    ignored: set[str] = set()
    try:
        if suffix == ".json":
            source = ResponseSource.KOBO
            rows = list(_json_rows(content, codes, ignored))
        elif suffix in {".csv", ".xlsx"}:
            source = ResponseSource.IMPORT
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"upload{suffix}"
                path.write_bytes(content)
                rows = list(_sheet_rows(path, codes, ignored))
        else:
            raise BadFile(_("Give a .csv, .xlsx or KoboToolbox .json file."))
    except BadFile as problem:
        result.errors = [problem.as_error()]
        return result
    result.ignored_columns = sorted(ignored)
    _check_rows(user, instrument, questions, rows, result, source)
    return result


def _check_rows(
    user: StaffUser,
    instrument: Instrument,
    questions: list[Question],
    rows: list[_Row],
    result: ResponsesImport,
    source: str,
) -> None:
    max_errors = settings.TANDIR_IMPORT_MAX_ERRORS
    today = timezone.localdate()
    currency = instrument.organization.currency
    people = _People(user, (r.values.get("beneficiary", "") for r in rows), _region(instrument))
    references = {r.values[REFERENCE] for r in rows if r.values.get(REFERENCE)}
    imported = set(
        Response.objects.filter(instrument=instrument, reference__in=references).values_list(
            "reference", flat=True
        )
    )
    checked: list[actions.CheckedResponse] = []
    candidates: list[tuple[_Row, dict[str, Any], datetime.date, Any]] = []
    seen: dict[int, int] = {}
    for row in rows:
        result.lines += 1
        problems = list(row.problems)
        values = row.values
        number = row.number
        reference = values.get(REFERENCE, "")
        if reference and reference in imported:
            result.skipped += 1
            continue
        column = row.columns.get("beneficiary", "beneficiary")
        person = None
        text = values.get("beneficiary", "")
        if not text:
            problems.append(LineError(number, column, _("give the national ID or the phone")))
        else:
            found = people.find(text)
            if not found:
                problems.append(LineError(number, column, _("nobody you serve has this number")))
            elif len(found) > 1:
                problems.append(
                    LineError(number, column, _("more than one person has this number"))
                )
            else:
                person = found[0]
                first = seen.setdefault(person["pk"], number)
                if first != number:
                    problems.append(
                        LineError(
                            number,
                            column,
                            _("this person's answers are also on line %(line)s") % {"line": first},
                        )
                    )
        date_column = row.columns.get("date", "date")
        day = parse_date(values.get("date", ""))
        if day is None:
            problems.append(
                LineError(number, date_column, _("not a date (write it as 2026-03-14)"))
            )
        elif day > today:
            problems.append(
                LineError(number, date_column, _("the interview date is in the future"))
            )
        answers = {k: v for k, v in values.items() if k not in FIXED}
        stored, errors = check_answers(questions, answers, currency)
        for code, reason in errors.items():
            problems.append(LineError(number, row.columns.get(code, code), reason))
        if problems:
            result.errors.extend(problems)
            if len(result.errors) >= max_errors:
                result.stopped = True
                break
        elif person is not None and day is not None:
            candidates.append((row, person, day, stored))
    if not result.stopped:
        _check_people(instrument, candidates, result, checked)
        result.stopped = len(result.errors) > max_errors
    if result.stopped:
        del result.errors[max_errors:]
        result.errors.append(stopped_after(max_errors))
    if not result.lines and not result.errors:
        result.errors.append(LineError(0, "-", _("The file has no submissions.")))
    if result.errors or not checked:
        return
    version = published_version(instrument)
    assert version is not None
    result.written = actions.record_checked_responses(
        user,
        instrument=instrument,
        version=version,
        rows=checked,
        source=source,
    )


def _check_people(
    instrument: Instrument,
    candidates: list[tuple[_Row, dict[str, Any], datetime.date, Any]],
    result: ResponsesImport,
    checked: list[actions.CheckedResponse],
) -> None:
    """Consent and earlier answers of the rows' people, in two queries for the whole file."""
    ids = [person["pk"] for _row, person, _day, _stored in candidates]
    consents = {
        c.beneficiary_id: c
        for c in Consent.objects.filter(beneficiary_id__in=ids, withdrawn_on__isnull=True)
    }
    answered = dict(
        Response.objects.filter(instrument=instrument, beneficiary_id__in=ids).values_list(
            "beneficiary_id", "taken_on"
        )
    )
    for row, person, day, stored in candidates:
        column = row.columns.get("beneficiary", "beneficiary")
        name = f"{person['first_name']} {person['last_name']}"
        if person["pk"] in answered:
            if answered[person["pk"]] == day:
                result.skipped += 1  # imported before
                continue
            result.errors.append(
                LineError(
                    row.number,
                    column,
                    _("%(name)s already answered this instrument on %(date)s")
                    % {"name": name, "date": answered[person["pk"]].isoformat()},
                )
            )
            continue
        refusal = consent_refusal(instrument, consents.get(person["pk"]))
        if refusal:
            result.errors.append(
                LineError(
                    row.number,
                    column,
                    _("%(name)s: %(reason)s") % {"name": name, "reason": refusal},
                )
            )
            continue
        checked.append(
            actions.CheckedResponse(
                beneficiary_id=person["pk"],
                branch_id=person["branch_id"],
                taken_on=day,
                values=stored,
                reference=row.values.get(REFERENCE, ""),
            )
        )
