"""Reads of training that pages, the import and the documents share, each through one
permission-checked lookup per model.

A cohort is reached by the managers of its branch (MANAGE_TRAINING, within their branches) and
by the trainers assigned to it (TEACH); nobody else. Out of scope is a 404, never a 403.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from tandir.orgs.access import scope
from tandir.orgs.roles import Right, has_right, is_platform_operator
from tandir.training.models import (
    HOLDS_PLACE,
    Attendance,
    Certificate,
    Cohort,
    CohortStatus,
    CohortTrainer,
    Course,
    CourseModule,
    Mark,
    Module,
    Participant,
    ParticipantStatus,
    PartnerInstitution,
    Session,
    Venue,
)

HUNDRED = Decimal(100)
# A participant who missed this many sessions (absent, not excused) is an attendance gap.
GAP_ABSENCES = 2


def cohorts_in_scope(user: Any) -> QuerySet[Cohort]:
    """Cohorts of the user's branches (managers) and cohorts the user teaches (trainers)."""
    manages = has_right(user, Right.MANAGE_TRAINING)
    teaches = has_right(user, Right.TEACH)
    if not (manages or teaches):
        return Cohort.objects.none()
    managed = scope(user, Cohort.objects.all()) if manages else Cohort.objects.none()
    if is_platform_operator(user) or not teaches or user.organization_id is None:
        return managed
    taught = CohortTrainer.objects.filter(
        staffuser_id=user.pk, organization_id=user.organization_id
    ).values("cohort_id")
    return Cohort.objects.filter(Q(pk__in=managed.values("pk")) | Q(pk__in=taught))


def access_cohort(user: Any, cohort_id: Any) -> Cohort:
    """The one permission-checked way to reach a cohort; 404 outside the user's scope."""
    try:
        return (
            cohorts_in_scope(user)
            .select_related("course", "venue", "branch", "institution")
            .get(pk=int(cohort_id))
        )
    except (Cohort.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No cohort found.") from exc


def access_session(user: Any, cohort: Cohort, session_id: Any) -> Session:
    try:
        return Session.objects.select_related("module").get(cohort=cohort, pk=int(session_id))
    except (Session.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No session found.") from exc


def access_participant(user: Any, participant_id: Any) -> Participant:
    """A participant of a cohort in the user's scope; 404 otherwise."""
    try:
        return (
            Participant.objects.select_related(
                "beneficiary", "cohort__course", "cohort__branch", "cohort__venue"
            )
            .filter(cohort__in=cohorts_in_scope(user))
            .get(pk=int(participant_id))
        )
    except (Participant.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No participant found.") from exc


def organization_rows(user: Any, model: type[Any]) -> QuerySet[Any]:
    """Curriculum, venues and institutions: organisation-wide, for whoever runs training."""
    if not (has_right(user, Right.MANAGE_TRAINING) or has_right(user, Right.TEACH)):
        return model.objects.none()
    return scope(user, model.objects.all(), branch_field=None)


def modules_in_scope(user: Any) -> QuerySet[Module]:
    return organization_rows(user, Module)


def courses_in_scope(user: Any) -> QuerySet[Course]:
    return organization_rows(user, Course).prefetch_related(
        Prefetch("parts", queryset=CourseModule.objects.select_related("module"))
    )


def access_course(user: Any, course_id: Any) -> Course:
    """A course of the user's organisation; 404 otherwise."""
    try:
        return courses_in_scope(user).get(pk=int(course_id))
    except (Course.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No course found.") from exc


def venues_in_scope(user: Any) -> QuerySet[Venue]:
    return organization_rows(user, Venue).select_related("district")


def institutions_in_scope(user: Any) -> QuerySet[PartnerInstitution]:
    return organization_rows(user, PartnerInstitution)


def access_module(user: Any, module_id: Any) -> Module:
    try:
        return modules_in_scope(user).get(pk=int(module_id))
    except (Module.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No module found.") from exc


# --- Attendance -------------------------------------------------------------------------------


def attendance_share(present: int, sessions: int) -> Decimal:
    """Percent of the sessions attended; a cohort without sessions counts as fully attended."""
    if sessions <= 0:
        return HUNDRED
    return (Decimal(present) * HUNDRED / Decimal(sessions)).quantize(Decimal("0.01"))


@dataclass
class AttendanceRow:
    participant: Participant
    mark: str  # "" when not yet marked


@dataclass
class AttendanceSheet:
    cohort: Cohort
    session: Session
    sessions: list[Session]
    rows: list[AttendanceRow]
    counts: dict[str, int] = field(default_factory=dict)


def attendance_rows(session: Session, *, only: int | None = None) -> list[AttendanceRow]:
    """Everyone holding a place in the session's cohort (or just participant `only`), with
    their mark for it, in two queries."""
    marks_of = Attendance.objects.filter(session=session)
    holders = Participant.objects.filter(cohort_id=session.cohort_id, status__in=HOLDS_PLACE)
    if only is not None:
        marks_of = marks_of.filter(participant_id=only)
        holders = holders.filter(pk=only)
    marks = dict(marks_of.values_list("participant_id", "mark"))
    participants = holders.select_related("beneficiary").order_by(
        "beneficiary__last_name", "beneficiary__first_name", "pk"
    )
    return [AttendanceRow(p, marks.get(p.pk, "")) for p in participants]


def attendance_counts(session: Session) -> dict[str, int]:
    """How many are present, absent, excused and not yet marked, in one query."""
    holders = Participant.objects.filter(cohort_id=session.cohort_id, status__in=HOLDS_PLACE)
    counts = holders.aggregate(
        total=Count("pk", distinct=True),
        **{
            mark: Count(
                "attendance",
                filter=Q(attendance__session=session, attendance__mark=mark),
                distinct=True,
            )
            for mark in Mark.values
        },
    )
    counts["unmarked"] = counts.pop("total") - sum(counts[mark] for mark in Mark.values)
    return counts


def attendance_sheet(cohort: Cohort, session: Session) -> AttendanceSheet:
    rows = attendance_rows(session)
    counts = {mark: sum(1 for r in rows if r.mark == mark) for mark in Mark.values}
    counts["unmarked"] = sum(1 for r in rows if not r.mark)
    sessions = list(Session.objects.filter(cohort=cohort).order_by("held_on"))
    return AttendanceSheet(cohort, session, sessions, rows, counts)


@dataclass
class ParticipantLine:
    participant: Participant
    present: int
    absent: int
    excused: int
    share: Decimal
    certificate: Certificate | None


def participant_lines(cohort: Cohort) -> list[ParticipantLine]:
    """Each participant of the cohort with their attendance so far and share of sessions."""
    sessions = Session.objects.filter(cohort=cohort).count()
    participants = (
        Participant.objects.filter(cohort=cohort)
        .select_related("beneficiary", "certificate")
        .annotate(
            present=Count("attendance", filter=Q(attendance__mark=Mark.PRESENT)),
            absent=Count("attendance", filter=Q(attendance__mark=Mark.ABSENT)),
            excused=Count("attendance", filter=Q(attendance__mark=Mark.EXCUSED)),
        )
        .order_by("status", "beneficiary__last_name", "beneficiary__first_name", "pk")
    )
    lines = []
    for p in participants:
        present = p.present
        lines.append(
            ParticipantLine(
                participant=p,
                present=present,
                absent=p.absent,
                excused=p.excused,
                share=attendance_share(present, sessions),
                certificate=getattr(p, "certificate", None),
            )
        )
    return lines


# --- The trainer's view -----------------------------------------------------------------------


@dataclass
class Gap:
    participant: Participant
    absences: int


@dataclass
class TrainerView:
    cohorts: list[Any]  # annotated with places_taken and waiting
    today: list[Session]
    gaps: list[Gap]


def trainer_view(user: Any, today: datetime.date) -> TrainerView:
    """My open cohorts, today's sessions in them and the participants missing sessions."""
    cohorts = list(
        cohorts_in_scope(user)
        .filter(status=CohortStatus.OPEN)
        .select_related("course", "venue", "branch")
        .annotate(
            places_taken=Count("participants", filter=Q(participants__status__in=HOLDS_PLACE)),
            waiting=Count("participants", filter=Q(participants__status="waiting")),
        )
        .order_by("starts_on", "code")
    )
    ids = [c.pk for c in cohorts]
    today_sessions = list(
        Session.objects.filter(cohort_id__in=ids, held_on=today)
        .select_related("cohort__course", "cohort__venue", "module")
        .order_by("cohort__code")
    )
    gaps = [
        Gap(p, p.absences)
        for p in Participant.objects.filter(cohort_id__in=ids, status=ParticipantStatus.ENROLLED)
        .annotate(absences=Count("attendance", filter=Q(attendance__mark=Mark.ABSENT)))
        .filter(absences__gte=GAP_ABSENCES)
        .select_related("beneficiary", "cohort")
        .order_by("-absences", "cohort__code", "beneficiary__last_name")
    ]
    return TrainerView(cohorts, today_sessions, gaps)


# --- Certificates -----------------------------------------------------------------------------


def normalised_code(text: str) -> str:
    """A typed code as stored: without dashes or spaces, in capitals."""
    return "".join(c for c in (text or "").upper() if c.isalnum())[:20]


def certificate_by_code(code: str) -> Certificate | None:
    """The certificate with this code, for the public check; None for a forged one."""
    wanted = normalised_code(code)
    if len(wanted) < 10:
        return None
    return (
        Certificate.objects.select_related(
            "participant__beneficiary", "participant__cohort__course"
        )
        .filter(code=wanted)
        .first()
    )


def initials(first_name: str, last_name: str) -> str:
    """What the public page shows of a person: "A. P."."""
    return " ".join(f"{name.strip()[0]}." for name in (first_name, last_name) if name.strip())
