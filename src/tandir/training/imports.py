"""A cohort's attendance from a sheet (CSV or XLSX), all or nothing.

Columns: `national_id` or `phone` (which participant), `session_date` (which session) and
`present` (yes/no, or "excused"). The file is read by the registry's hardened reader (through
`tandir.lending.tables`); every line is checked before anything is written, and every bad line is
reported with its line number, column and reason. Only when no line is bad are the marks
written, in one transaction, by `actions.record_attendance_sheet`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.lending.tables import BadFile, LineError, read_lines, stopped_after
from tandir.orgs.models import StaffUser
from tandir.orgs.roles import Right, has_right
from tandir.registry.identity import normalise_id_number, phone_digits
from tandir.registry.imports import YES
from tandir.training import actions
from tandir.training.models import HOLDS_PLACE, Cohort, Mark, Participant, Session
from tandir.training.queries import cohorts_in_scope

COLUMNS = ["national_id", "phone", "session_date", "present"]
NO = {"0", "no", "n", "false", "-", "нет", "ոչ", "xeyr", "hayır", "نہیں"}
EXCUSED = {"excused", "e", "уважительная", "հարգելի", "üzrlü", "mazeretli", "رخصت"}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y")
# A phone is matched on its last digits; fewer than this could name two people.
PHONE_DIGITS = 7


@dataclass
class AttendanceImport:
    lines: int = 0
    written: int = 0
    errors: list[LineError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    stopped: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def find_cohort(officer: StaffUser, code: str) -> Cohort | None:
    return cohorts_in_scope(officer).filter(code=code).select_related("course").first()


def _date(text: str) -> datetime.date | None:
    text = text.strip()[:10] if len(text) >= 10 and text[4:5] == "-" else text.strip()
    for pattern in DATE_FORMATS:
        try:
            # A calendar day, not a moment: no time zone is involved.
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007
        except ValueError:
            continue
    return None


def _mark(text: str) -> str | None:
    value = text.strip().lower()
    if value in YES:
        return Mark.PRESENT
    if value in NO:
        return Mark.ABSENT
    if value in EXCUSED:
        return Mark.EXCUSED
    return None


class _People:
    """The cohort's participants, found by ID number or by the last digits of their phone."""

    def __init__(self, cohort: Cohort) -> None:
        self.participants = list(
            Participant.objects.filter(cohort=cohort).select_related("beneficiary")
        )

    def by_id(self, text: str) -> list[Participant]:
        found = []
        for p in self.participants:
            person = p.beneficiary
            if person.national_id and person.national_id == normalise_id_number(
                text, person.id_document
            ):
                found.append(p)
        return found

    def by_phone(self, text: str) -> list[Participant]:
        digits = phone_digits(text)
        if len(digits) < PHONE_DIGITS:
            return []
        tail = digits[-8:]
        return [
            p
            for p in self.participants
            if p.beneficiary.phone and phone_digits(p.beneficiary.phone).endswith(tail)
        ]


def check_and_import(officer: StaffUser, cohort: Cohort, path: Path) -> AttendanceImport:
    """Check every line; write all marks if none is bad, nothing otherwise."""
    result = AttendanceImport()
    if not has_right(officer, Right.TEACH):
        result.errors.append(LineError(0, "-", _("Your role does not allow taking attendance.")))
        return result
    max_errors = settings.TANDIR_IMPORT_MAX_ERRORS
    today = timezone.localdate()
    sessions = {s.held_on: s for s in Session.objects.filter(cohort=cohort)}
    people = _People(cohort)
    marks: dict[int, dict[int, str]] = {}
    seen: dict[tuple[int, int], int] = {}
    try:
        table = read_lines(path, COLUMNS)
        missing = [c for c in ("session_date", "present") if c not in table.header]
        if "national_id" not in table.header and "phone" not in table.header:
            missing.append(_("national_id or phone"))
        if missing:
            result.errors.append(LineError(1, ", ".join(missing), _("required column missing")))
            return result
        result.ignored_columns = [c for c in table.header if c and c not in COLUMNS]
        for line in table.lines:
            result.lines += 1
            problems = list(line.problems)
            values = line.values
            number = line.number
            participant = None
            if values.get("national_id"):
                found = people.by_id(values["national_id"])
                column = "national_id"
            elif values.get("phone"):
                found = people.by_phone(values["phone"])
                column = "phone"
            else:
                found, column = [], "national_id"
                problems.append(LineError(number, column, _("give the ID number or the phone")))
            if values.get(column):
                if not found:
                    problems.append(
                        LineError(number, column, _("nobody in this cohort has this number"))
                    )
                elif len(found) > 1:
                    problems.append(
                        LineError(number, column, _("more than one participant has this number"))
                    )
                elif found[0].status not in HOLDS_PLACE:
                    problems.append(
                        LineError(
                            number,
                            column,
                            _("%(name)s is not enrolled (%(status)s)")
                            % {
                                "name": found[0].beneficiary.full_name,
                                "status": found[0].get_status_display(),
                            },
                        )
                    )
                else:
                    participant = found[0]
            day = _date(values.get("session_date", ""))
            session = None
            if day is None:
                problems.append(
                    LineError(number, "session_date", _("not a date (write it as 2026-03-14)"))
                )
            elif day not in sessions:
                problems.append(
                    LineError(number, "session_date", _("the cohort has no session on this day"))
                )
            elif day > today:
                problems.append(
                    LineError(number, "session_date", _("the session is still to come"))
                )
            else:
                session = sessions[day]
            mark = _mark(values.get("present", ""))
            if mark is None:
                problems.append(LineError(number, "present", _("write yes, no or excused")))
            if participant and session:
                key = (session.pk, participant.pk)
                first = seen.setdefault(key, number)
                if first != number:
                    problems.append(
                        LineError(
                            number,
                            column,
                            _("this person's attendance on this day is also on line %(line)s")
                            % {"line": first},
                        )
                    )
            if problems:
                result.errors.extend(problems)
                if len(result.errors) >= max_errors:
                    result.stopped = True
                    break
            elif participant and session and mark:
                marks.setdefault(session.pk, {})[participant.pk] = mark
    except BadFile as problem:
        result.errors = [problem.as_error()]
        return result
    if result.stopped:
        del result.errors[max_errors:]
        result.errors.append(stopped_after(max_errors))
    if not result.lines and not result.errors:
        result.errors.append(LineError(0, "-", _("The sheet has no attendance lines.")))
    if result.errors:
        return result
    result.written = actions.record_attendance_sheet(officer, cohort, marks)
    return result
