"""Every write of training. Each action is atomic and checks the right and the scope itself.

MANAGE_TRAINING covers the curriculum, venues, cohorts, sessions and enrolment; TEACH covers
attendance, assessment, completion and drop-outs, in the cohorts the trainer is assigned to (or,
for a manager, of their branches). Status moves of the registry (in training, trained) go
through `tandir.registry.actions.change_status`, so the pipeline's dated history stays whole.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from tandir.core.errors import Conflict, NotAllowed, NotFound, TandirError
from tandir.core.formatting import number
from tandir.core.models import TargetGroup
from tandir.orgs.models import Branch, District, Organization, Project, StaffUser
from tandir.orgs.roles import Right, has_right, is_platform_operator
from tandir.registry.actions import change_status
from tandir.registry.models import Beneficiary, Consent, Enrolment, Status
from tandir.registry.queries import beneficiaries_in_scope
from tandir.training.locks import lock_attendance, lock_cohort, lock_participants
from tandir.training.models import (
    HOLDS_PLACE,
    Attendance,
    Certificate,
    Cohort,
    CohortStatus,
    Course,
    CourseModule,
    Level,
    Mark,
    Material,
    Module,
    Participant,
    ParticipantStatus,
    PartnerInstitution,
    Session,
    Venue,
)
from tandir.training.queries import attendance_share

ZERO = Decimal(0)
MATERIAL_MAX_BYTES = 10 * 2**20
# Materials are checked by their first bytes, not by the name they were sent with.
MATERIAL_TYPES = {
    "application/pdf": b"%PDF",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
    # Word, PowerPoint and Excel files (.docx, .pptx, .xlsx) are ZIP packages.
    "application/zip": b"PK\x03\x04",
}
MATERIAL_EXTENSIONS = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "application/zip": "zip",
}
# Certificate codes: no 0/O or 1/I/L, so a code read aloud or typed from paper is not mistaken.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12

# The five modules of the seed programme's course, seeded per organisation and then editable.
STANDARD_MODULES: list[tuple[str, str, str, Decimal]] = [
    (
        "management",
        gettext_noop("Business management"),
        gettext_noop("Run a small business day to day: organise work, stock and time."),
        Decimal(8),
    ),
    (
        "types-of-business",
        gettext_noop("Types of business"),
        gettext_noop("Choose a form for the business: sole trader, partnership, cooperative."),
        Decimal(4),
    ),
    (
        "accounting-taxation",
        gettext_noop("Accounting and taxation"),
        gettext_noop("Keep simple books, separate household and business money, pay taxes."),
        Decimal(8),
    ),
    (
        "marketing",
        gettext_noop("Marketing"),
        gettext_noop("Know the customers and competitors; price, promote and sell."),
        Decimal(6),
    ),
    (
        "business-planning",
        gettext_noop("Business planning"),
        gettext_noop("Write a business plan with costs, sales and a cash-flow projection."),
        Decimal(8),
    ),
]
COUNTRY_LANGUAGES = {"AM": "hy", "AZ": "az", "PK": "ur", "TR": "tr", "RU": "ru"}


class TrainingRefused(TandirError):
    """A rule of training was broken; nothing was changed."""

    code = "training_refused"


def _require(officer: StaffUser, right: Right) -> None:
    if not has_right(officer, right):
        raise NotAllowed(_("Your role does not allow this."))


def _refuse(message: str, code: str, **details: Any) -> TrainingRefused:
    return TrainingRefused(message, code=code, **details)


def _stamp(officer: StaffUser, *records: Model) -> None:
    """Name the officer as the author of the change history these saves will write."""
    for record in records:
        record._history_user = officer  # type: ignore[attr-defined]


def _organization_of(officer: StaffUser) -> int:
    if officer.organization_id is None:
        raise NotAllowed(_("Training is run by an organisation; sign in as one of its staff."))
    return officer.organization_id


def _same_organization(officer: StaffUser, *records: Any) -> None:
    organization_id = _organization_of(officer)
    for record in records:
        if record is not None and record.organization_id != organization_id:
            raise NotFound(_("No such record."))


def _today() -> datetime.date:
    return timezone.localdate()


def _history_channel() -> dict[str, str]:
    from tandir.core.audit import current_channel

    return {"history_channel": current_channel()}


# --- Curriculum -------------------------------------------------------------------------------


def _default_language(organization: Organization) -> str:
    country = organization.country.code if organization.country_id else ""  # type: ignore[union-attr]
    return COUNTRY_LANGUAGES.get(country, "en")


@transaction.atomic
def seed_curriculum(administrator: StaffUser, organization: Organization) -> list[Module]:
    """The five standard modules and a course of them, for an organisation that has none yet.

    Seeded in the organisation's language, then edited like any module. Seeding twice adds
    nothing: modules that already exist (by code) are kept as they are.
    """
    _require(administrator, Right.MANAGE_TRAINING)
    if not is_platform_operator(administrator) and (
        administrator.organization_id != organization.pk
    ):
        raise NotFound(_("No such organisation."))
    language = _default_language(organization)
    existing = {m.code: m for m in Module.objects.filter(organization=organization)}
    modules = []
    for code, title, objectives, hours in STANDARD_MODULES:
        module = existing.get(code)
        if module is None:
            with _translated(language):
                module = Module(
                    organization=organization,
                    code=code,
                    title=_(title),
                    objectives=_(objectives),
                    hours=hours,
                    language=language,
                )
            _stamp(administrator, module)
            module.save()
        modules.append(module)
    if not Course.objects.filter(organization=organization, code="small-business").exists():
        with _translated(language):
            title = _("Small business management")
        course = Course(
            organization=organization,
            code="small-business",
            title=title,
            level=Level.SYB,
            min_attendance=Decimal(80),
        )
        _stamp(administrator, course)
        course.save()
        _set_modules(course, modules)
    return modules


class _translated:
    """Within the block, gettext answers in `language` (seeded titles in the programme's)."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __enter__(self) -> None:
        from django.utils import translation

        self.previous = translation.get_language()
        translation.activate(self.language)

    def __exit__(self, *exc: object) -> None:
        from django.utils import translation

        translation.activate(self.previous or "en")


def _module_values(data: Mapping[str, Any]) -> dict[str, Any]:
    from django.conf import settings

    title = str(data.get("title") or "").strip()
    if not title:
        raise _refuse(_("Give the module a title."), "title_required")
    hours = data.get("hours")
    if hours is None or Decimal(hours) <= ZERO:
        raise _refuse(_("A module takes some hours: give a number above zero."), "hours")
    language = str(data.get("language") or "")
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise _refuse(_("Choose the language the module is taught in."), "language")
    return {
        "title": title[:200],
        "objectives": str(data.get("objectives") or "").strip(),
        "hours": Decimal(hours),
        "language": language,
    }


@transaction.atomic
def create_module(manager: StaffUser, *, code: str, **data: Any) -> Module:
    _require(manager, Right.MANAGE_TRAINING)
    organization_id = _organization_of(manager)
    code = code.strip().lower()
    if not code:
        raise _refuse(_("Give the module a short code."), "code_required")
    if Module.objects.filter(organization_id=organization_id, code=code).exists():
        raise _refuse(_("A module with this code already exists."), "code_taken")
    module = Module(organization_id=organization_id, code=code, **_module_values(data))
    _stamp(manager, module)
    module.save()
    return module


@transaction.atomic
def update_module(manager: StaffUser, module: Module, **data: Any) -> Module:
    _require(manager, Right.MANAGE_TRAINING)
    _same_organization(manager, module)
    for name, value in _module_values(data).items():
        setattr(module, name, value)
    _stamp(manager, module)
    module.save(update_fields=["title", "objectives", "hours", "language"])
    return module


@transaction.atomic
def attach_material(manager: StaffUser, module: Module, *, name: str, content: bytes) -> Material:
    """A file the module is taught with: PDF, image or an Office file, at most 10 MB."""
    _require(manager, Right.MANAGE_TRAINING)
    _same_organization(manager, module)
    if not content:
        raise _refuse(_("The file is empty."), "empty_file")
    if len(content) > MATERIAL_MAX_BYTES:
        raise _refuse(_("A material may be at most 10 MB."), "file_too_large")
    content_type = next(
        (kind for kind, magic in MATERIAL_TYPES.items() if content.startswith(magic)), None
    )
    if content_type is None:
        raise _refuse(
            _("Send a PDF, a picture (JPEG, PNG) or a Word, PowerPoint or Excel file."),
            "file_type",
        )
    material = Material(
        organization_id=module.organization_id,
        module=module,
        name=(name or "").strip()[:200] or module.title,
        size=len(content),
        content_type=content_type,
        uploaded_by=manager,
    )
    extension = MATERIAL_EXTENSIONS[content_type]
    original = (name or "").rsplit(".", 1)
    # Keep .docx, .pptx or .xlsx so the file opens in the right program.
    if (
        content_type == "application/zip"
        and len(original) == 2
        and original[1].lower() in {"docx", "pptx", "xlsx"}
    ):
        extension = original[1].lower()
    material.file.save(f"module-{module.pk}.{extension}", ContentFile(content), save=False)
    material.save()
    return material


def _set_modules(course: Course, modules: Sequence[Module]) -> None:
    CourseModule.objects.filter(course=course).delete()
    CourseModule.objects.bulk_create(
        [
            CourseModule(
                organization_id=course.organization_id, course=course, module=m, position=i
            )
            for i, m in enumerate(modules, start=1)
        ]
    )


def _prerequisite_chain_ok(course: Course | None, prerequisite: Course | None) -> bool:
    seen = set()
    while prerequisite is not None:
        if course is not None and prerequisite.pk == course.pk:
            return False
        if prerequisite.pk in seen:
            return False
        seen.add(prerequisite.pk)
        prerequisite = prerequisite.prerequisite
    return True


def _course_values(officer: StaffUser, data: Mapping[str, Any], course: Course | None) -> Any:
    title = str(data.get("title") or "").strip()
    if not title:
        raise _refuse(_("Give the course a title."), "title_required")
    modules = list(data.get("modules") or [])
    if not modules:
        raise _refuse(_("A course has at least one module."), "no_modules")
    if len({m.pk for m in modules}) != len(modules):
        raise _refuse(_("A module appears twice in the course."), "module_twice")
    prerequisite = data.get("prerequisite")
    _same_organization(officer, prerequisite, *modules)
    if not _prerequisite_chain_ok(course, prerequisite):
        raise _refuse(_("A course cannot require itself, even through other courses."), "cycle")
    minimum = Decimal(data.get("min_attendance", 80))
    if not ZERO <= minimum <= 100:
        raise _refuse(_("The minimum attendance is a percentage from 0 to 100."), "min_attendance")
    pass_score = data.get("pass_score")
    if pass_score is not None and not ZERO <= Decimal(pass_score) <= 100:
        raise _refuse(_("The pass mark is a score from 0 to 100."), "pass_score")
    level = data.get("level") or Level.OTHER
    if level not in Level.values:
        raise _refuse(_("Choose a level."), "level")
    values = {
        "title": title[:200],
        "level": level,
        "prerequisite": prerequisite,
        "min_attendance": minimum,
        "pass_score": None if pass_score is None else Decimal(pass_score),
    }
    return values, modules


@transaction.atomic
def create_course(manager: StaffUser, *, code: str, **data: Any) -> Course:
    """A course of `modules` in their order, with its completion rule and prerequisite."""
    _require(manager, Right.MANAGE_TRAINING)
    organization_id = _organization_of(manager)
    code = code.strip().lower()
    if not code:
        raise _refuse(_("Give the course a short code."), "code_required")
    if Course.objects.filter(organization_id=organization_id, code=code).exists():
        raise _refuse(_("A course with this code already exists."), "code_taken")
    values, modules = _course_values(manager, data, None)
    course = Course(organization_id=organization_id, code=code, **values)
    _stamp(manager, course)
    course.save()
    _set_modules(course, modules)
    return course


@transaction.atomic
def update_course(manager: StaffUser, course: Course, **data: Any) -> Course:
    _require(manager, Right.MANAGE_TRAINING)
    _same_organization(manager, course)
    values, modules = _course_values(manager, data, course)
    for name, value in values.items():
        setattr(course, name, value)
    _stamp(manager, course)
    course.save()
    _set_modules(course, modules)
    return course


# --- Venues and partner institutions ----------------------------------------------------------


@transaction.atomic
def create_venue(
    manager: StaffUser,
    *,
    name: str,
    district: District,
    capacity: int,
    kind: str = "smb_centre",
    address: str = "",
) -> Venue:
    _require(manager, Right.MANAGE_TRAINING)
    organization_id = _organization_of(manager)
    name = name.strip()
    if not name:
        raise _refuse(_("Give the venue a name."), "name_required")
    if capacity is None or capacity < 1:
        raise _refuse(_("A venue has at least one seat."), "capacity")
    if Venue.objects.filter(organization_id=organization_id, name=name).exists():
        raise _refuse(_("A venue with this name already exists."), "name_taken")
    venue = Venue(
        organization_id=organization_id,
        name=name[:200],
        kind=kind,
        district=district,
        capacity=capacity,
        address=address.strip()[:300],
    )
    _stamp(manager, venue)
    venue.save()
    return venue


@transaction.atomic
def create_institution(
    manager: StaffUser, *, name: str, kind: str = "other", contact: str = ""
) -> PartnerInstitution:
    _require(manager, Right.MANAGE_TRAINING)
    organization_id = _organization_of(manager)
    name = name.strip()
    if not name:
        raise _refuse(_("Give the institution a name."), "name_required")
    if PartnerInstitution.objects.filter(organization_id=organization_id, name=name).exists():
        raise _refuse(_("An institution with this name already exists."), "name_taken")
    institution = PartnerInstitution(
        organization_id=organization_id, name=name[:200], kind=kind, contact=contact[:200]
    )
    _stamp(manager, institution)
    institution.save()
    return institution


# --- Cohorts and sessions ---------------------------------------------------------------------


def _manages_branch(officer: StaffUser, branch: Branch) -> bool:
    if is_platform_operator(officer) or has_right(officer, Right.SEE_WHOLE_ORGANIZATION):
        return True
    return officer.branches.filter(pk=branch.pk).exists()


@transaction.atomic
def create_cohort(
    manager: StaffUser,
    *,
    code: str,
    course: Course,
    venue: Venue,
    branch: Branch,
    starts_on: datetime.date,
    ends_on: datetime.date,
    trainers: Sequence[StaffUser],
    capacity: int | None = None,
    institution: PartnerInstitution | None = None,
    project: Project | None = None,
    target_group: TargetGroup | None = None,
) -> Cohort:
    """A course run at a venue for one of the manager's branches, by trainers who teach."""
    _require(manager, Right.MANAGE_TRAINING)
    organization_id = _organization_of(manager)
    _same_organization(manager, course, venue, branch, institution, project, *trainers)
    if not _manages_branch(manager, branch):
        raise NotFound(_("No such branch."))
    code = code.strip()
    if not code:
        raise _refuse(_("Give the cohort a short code."), "code_required")
    if Cohort.objects.filter(organization_id=organization_id, code=code).exists():
        raise _refuse(_("A cohort with this code already exists."), "code_taken")
    if ends_on < starts_on:
        raise _refuse(_("The last day comes before the first day."), "dates")
    if not trainers:
        raise _refuse(_("Name at least one trainer."), "no_trainer")
    for trainer in trainers:
        if not has_right(trainer, Right.TEACH):
            raise _refuse(
                _("%(name)s's role does not teach.")
                % {"name": trainer.get_full_name() or trainer.username},
                "not_a_trainer",
            )
    places = capacity if capacity is not None else venue.capacity
    if places < 1:
        raise _refuse(_("A cohort has at least one place."), "capacity")
    if places > venue.capacity:
        raise _refuse(
            _("The venue has %(seats)s seats; the cohort cannot have more places.")
            % {"seats": venue.capacity},
            "over_venue_capacity",
        )
    cohort = Cohort(
        organization_id=organization_id,
        code=code[:40],
        course=course,
        venue=venue,
        branch=branch,
        starts_on=starts_on,
        ends_on=ends_on,
        capacity=places,
        institution=institution,
        project=project,
        target_group=target_group,
    )
    _stamp(manager, cohort)
    cohort.save()
    cohort.trainers.set(trainers)
    return cohort


@transaction.atomic
def add_session(
    manager: StaffUser,
    cohort: Cohort,
    *,
    held_on: datetime.date,
    module: Module | None = None,
    topic: str = "",
) -> Session:
    """A day of the course, within the cohort's dates, on one of the course's modules."""
    _require(manager, Right.MANAGE_TRAINING)
    locked = lock_cohort(manager, cohort.pk)
    if locked.status != CohortStatus.OPEN:
        raise Conflict(_("The cohort is completed."), code="cohort_completed")
    if not locked.starts_on <= held_on <= locked.ends_on:
        raise _refuse(_("The session must fall within the cohort's dates."), "outside_cohort_dates")
    if (
        module is not None
        and not CourseModule.objects.filter(course_id=locked.course_id, module=module).exists()
    ):
        raise _refuse(_("The module is not part of this cohort's course."), "module_not_in_course")
    if Session.objects.filter(cohort=locked, held_on=held_on).exists():
        raise _refuse(_("The cohort already has a session on this day."), "session_exists")
    session = Session(
        organization_id=locked.organization_id,
        cohort=locked,
        held_on=held_on,
        module=module,
        topic=topic.strip()[:200],
    )
    _stamp(manager, session)
    session.save()
    return session


# --- Enrolment --------------------------------------------------------------------------------


ENROLLABLE = {Status.REGISTERED, Status.IN_TRAINING, Status.TRAINED, Status.PLANNING,
              Status.BORROWER}  # fmt: skip


def _eligibility_problem(cohort: Cohort, person: Beneficiary) -> TrainingRefused | None:
    if person.merged_into_id is not None:
        return _refuse(_("This record was merged into another one."), "merged")
    if person.status not in ENROLLABLE:
        return _refuse(
            _("Only registered participants can be enrolled; this person is “%(status)s”.")
            % {"status": person.get_status_display()},
            "status",
        )
    consent = Consent.objects.filter(beneficiary=person, withdrawn_on__isnull=True).first()
    if consent is None or not consent.programme_use:
        return _refuse(
            _("The person has not consented to take part in the programme."), "no_consent"
        )
    if (
        cohort.project_id
        and not Enrolment.objects.filter(beneficiary=person, project_id=cohort.project_id).exists()
    ):
        return _refuse(_("The person is not enrolled in this cohort's project."), "project")
    if (
        cohort.target_group_id
        and not person.target_groups.filter(pk=cohort.target_group_id).exists()
    ):
        return _refuse(_("The person is not in this cohort's target group."), "target_group")
    prerequisite = cohort.course.prerequisite
    if (
        prerequisite is not None
        and not Participant.objects.filter(
            beneficiary=person,
            cohort__course=prerequisite,
            status=ParticipantStatus.COMPLETED,
        ).exists()
    ):
        return _refuse(
            _("The course requires completing “%(course)s” first.") % {"course": prerequisite},
            "prerequisite",
        )
    busy = (
        Participant.objects.filter(
            beneficiary=person,
            status__in=(ParticipantStatus.ENROLLED, ParticipantStatus.WAITING),
            cohort__status=CohortStatus.OPEN,
        )
        .exclude(cohort=cohort)
        .select_related("cohort")
        .first()
    )
    if busy is not None:
        return _refuse(
            _("The person is already in cohort %(code)s.") % {"code": busy.cohort.code},
            "in_other_cohort",
        )
    return None


def _places_taken(cohort: Cohort) -> int:
    return Participant.objects.filter(cohort=cohort, status__in=HOLDS_PLACE).count()


def _start_training(officer: StaffUser, person: Beneficiary, on: datetime.date, note: str) -> None:
    # Only a registered person moves to "in training"; someone already trained who takes the
    # next level keeps their later status, so the pipeline never goes backwards.
    if person.status == Status.REGISTERED:
        change_status(officer, person, Status.IN_TRAINING, note=note, on=on)


@transaction.atomic
def enrol(
    manager: StaffUser,
    cohort: Cohort,
    beneficiary: Beneficiary,
    *,
    on: datetime.date | None = None,
) -> Participant:
    """Enrol an eligible person; when the cohort is full they join its waiting list."""
    _require(manager, Right.MANAGE_TRAINING)
    locked = lock_cohort(manager, cohort.pk)
    if beneficiary.organization_id != locked.organization_id:
        raise _refuse(
            _("This person is registered with another organisation."), "other_organization"
        )
    person = beneficiaries_in_scope(manager).filter(pk=beneficiary.pk).first()
    if person is None:
        raise NotFound(_("No such participant."))
    if locked.status != CohortStatus.OPEN:
        raise Conflict(_("The cohort is completed."), code="cohort_completed")
    day = on or _today()
    if day > locked.ends_on:
        raise _refuse(_("The cohort has ended."), "cohort_ended")
    if Participant.objects.filter(cohort=locked, beneficiary=person).exists():
        raise _refuse(_("The person is already in this cohort."), "already_enrolled")
    problem = _eligibility_problem(locked, person)
    if problem is not None:
        raise problem
    full = _places_taken(locked) >= locked.capacity
    participant = Participant(
        organization_id=locked.organization_id,
        cohort=locked,
        beneficiary=person,
        status=ParticipantStatus.WAITING if full else ParticipantStatus.ENROLLED,
        applied_on=day,
        enrolled_on=None if full else day,
    )
    _stamp(manager, participant)
    participant.save()
    if not full:
        _start_training(manager, person, day, _("Cohort %(code)s") % {"code": locked.code})
    return participant


def _promote_from_waiting_list(officer: StaffUser, cohort: Cohort, day: datetime.date) -> None:
    if _places_taken(cohort) >= cohort.capacity:
        return
    waiting = (
        Participant.objects.filter(cohort=cohort, status=ParticipantStatus.WAITING)
        .select_related("beneficiary")
        .order_by("applied_on", "pk")
        .first()
    )
    if waiting is None:
        return
    waiting.status = ParticipantStatus.ENROLLED
    waiting.enrolled_on = day
    _stamp(officer, waiting)
    waiting.save(update_fields=["status", "enrolled_on"])
    _start_training(officer, waiting.beneficiary, day, _("Cohort %(code)s") % {"code": cohort.code})


# --- Teaching: attendance, assessment, completion, drop-outs -----------------------------------


def _teachable(officer: StaffUser, cohort_id: int) -> Cohort:
    _require(officer, Right.TEACH)
    locked = lock_cohort(officer, cohort_id)
    if locked.status != CohortStatus.OPEN:
        raise Conflict(_("The cohort is completed."), code="cohort_completed")
    return locked


@dataclass
class AttendanceResult:
    created: int = 0
    changed: int = 0
    unchanged: int = 0


@transaction.atomic
def record_attendance(
    officer: StaffUser, session: Session, marks: Mapping[int, str]
) -> AttendanceResult:
    """Marks for a session, by participant id: one tap or the whole list at once.

    Every participant must hold a place in the session's cohort: a mark for anyone else
    (another cohort, the waiting list, a drop-out) refuses the whole list.
    """
    cohort = _teachable(officer, session.cohort_id)
    if session.held_on > _today():
        raise _refuse(_("Attendance is taken on the day of the session, not before."), "future")
    for mark in marks.values():
        if mark not in Mark.values:
            raise _refuse(_("Mark each participant present, absent or excused."), "mark")
    participants = {p.pk: p for p in lock_participants(cohort, marks.keys())}
    outsiders = [pk for pk in marks if pk not in participants]
    not_holding = [pk for pk, p in participants.items() if p.status not in HOLDS_PLACE]
    if outsiders or not_holding:
        raise _refuse(
            _("Attendance can only be taken for participants enrolled in the cohort."),
            "not_enrolled",
            participants=sorted(outsiders + not_holding),
        )
    existing = {a.participant_id: a for a in lock_attendance(session.pk)}
    result = AttendanceResult()
    new: list[Attendance] = []
    changed: list[Attendance] = []
    now = timezone.now()
    for pk, mark in sorted(marks.items()):
        row = existing.get(pk)
        if row is None:
            new.append(
                Attendance(
                    organization_id=cohort.organization_id,
                    session=session,
                    participant_id=pk,
                    mark=mark,
                    recorded_by=officer,
                    recorded_at=now,
                )
            )
        elif row.mark != mark:
            row.mark = mark
            row.recorded_by = officer
            row.recorded_at = now
            changed.append(row)
        else:
            result.unchanged += 1
    if new:
        bulk_create_with_history(
            new, Attendance, default_user=officer, batch_size=500,
            custom_historical_attrs=_history_channel(),
        )  # fmt: skip
    if changed:
        bulk_update_with_history(
            changed, Attendance, ["mark", "recorded_by", "recorded_at"], default_user=officer,
            batch_size=500, custom_historical_attrs=_history_channel(),
        )  # fmt: skip
    result.created = len(new)
    result.changed = len(changed)
    return result


@transaction.atomic
def record_attendance_sheet(
    officer: StaffUser, cohort: Cohort, marks: Mapping[int, Mapping[int, str]]
) -> int:
    """Marks of several sessions of one cohort at once (an imported sheet): all or none.

    Returns how many marks were written or changed."""
    locked = _teachable(officer, cohort.pk)
    sessions = {s.pk: s for s in Session.objects.filter(cohort=locked, pk__in=list(marks))}
    if len(sessions) != len(marks):
        raise NotFound(_("No such session."))
    written = 0
    for session_id in sorted(marks):
        result = record_attendance(officer, sessions[session_id], marks[session_id])
        written += result.created + result.changed
    return written


@transaction.atomic
def record_score(officer: StaffUser, participant: Participant, score: Decimal) -> Participant:
    """The final assessment's score, out of 100."""
    cohort = _teachable(officer, participant.cohort_id)
    locked = lock_participants(cohort, [participant.pk])[0]
    if locked.status not in HOLDS_PLACE:
        raise _refuse(_("Only an enrolled participant is assessed."), "not_enrolled")
    if score is None or not ZERO <= Decimal(score) <= 100:
        raise _refuse(_("The score is a number from 0 to 100."), "score")
    locked.score = Decimal(score)
    _stamp(officer, locked)
    locked.save(update_fields=["score"])
    participant.score = locked.score
    return locked


def _attended(cohort: Cohort, participant_ids: Iterable[int]) -> tuple[int, dict[int, int]]:
    from django.db.models import Count

    sessions = Session.objects.filter(cohort=cohort).count()
    present = dict(
        Attendance.objects.filter(
            session__cohort=cohort, participant_id__in=list(participant_ids), mark=Mark.PRESENT
        )
        .values("participant_id")
        .annotate(n=Count("pk"))
        .values_list("participant_id", "n")
    )
    return sessions, present


def completion_problems(course: Course, share: Decimal, score: Decimal | None) -> list[str]:
    """Why the course's rule is not met (an empty list when it is)."""
    problems = []
    if share < course.min_attendance:
        problems.append(
            _("attended %(share)s%% of the sessions; the course asks for %(minimum)s%%")
            % {"share": number(share), "minimum": number(course.min_attendance)}
        )
    if course.pass_score is not None:
        if score is None:
            problems.append(_("no assessment score is recorded"))
        elif score < course.pass_score:
            problems.append(
                _("scored %(score)s; the pass mark is %(pass)s")
                % {"score": number(score), "pass": number(course.pass_score)}
            )
    return problems


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def _complete(
    officer: StaffUser, cohort: Cohort, participant: Participant, day: datetime.date
) -> Certificate:
    participant.status = ParticipantStatus.COMPLETED
    participant.completed_on = day
    _stamp(officer, participant)
    participant.save(update_fields=["status", "completed_on"])
    certificate = Certificate(
        organization_id=cohort.organization_id,
        participant=participant,
        code=new_code(),
        issued_on=day,
        issued_by=officer,
    )
    _stamp(officer, certificate)
    certificate.save()
    person = participant.beneficiary
    if person.status == Status.IN_TRAINING:
        change_status(
            officer,
            person,
            Status.TRAINED,
            note=_("Completed %(course)s (%(code)s)")
            % {"course": cohort.course.title, "code": cohort.code},
            on=day,
        )
    return certificate


@transaction.atomic
def complete_participant(
    officer: StaffUser, participant: Participant, *, on: datetime.date | None = None
) -> Certificate:
    """Completion of one participant who meets the course's rule: the certificate is issued
    and the person's status moves to trained."""
    cohort = _teachable(officer, participant.cohort_id)
    locked = lock_participants(cohort, [participant.pk])[0]
    if locked.status != ParticipantStatus.ENROLLED:
        raise _refuse(_("Only an enrolled participant can complete."), "not_enrolled")
    day = on or _today()
    if day < cohort.starts_on:
        raise _refuse(_("The cohort has not started yet."), "not_started")
    sessions, present = _attended(cohort, [locked.pk])
    problems = completion_problems(
        cohort.course, attendance_share(present.get(locked.pk, 0), sessions), locked.score
    )
    if problems:
        raise _refuse(
            _("The course's rule is not met: %(problems)s.") % {"problems": "; ".join(problems)},
            "rule_not_met",
            problems=problems,
        )
    locked.beneficiary = Beneficiary.objects.get(pk=locked.beneficiary_id)
    certificate = _complete(officer, cohort, locked, day)
    participant.status = locked.status
    return certificate


@dataclass
class CohortResult:
    completed: list[Participant] = field(default_factory=list)
    not_completed: list[Participant] = field(default_factory=list)


@transaction.atomic
def complete_cohort(
    officer: StaffUser, cohort: Cohort, *, on: datetime.date | None = None
) -> CohortResult:
    """Close the cohort: who meets the rule completes (certificate, status trained), who does
    not is recorded as not completed; the waiting list is closed."""
    locked = _teachable(officer, cohort.pk)
    day = on or _today()
    if day < locked.ends_on and Session.objects.filter(cohort=locked, held_on__gt=day).exists():
        raise _refuse(_("The cohort still has sessions to come."), "sessions_to_come")
    participants = lock_participants(locked)
    enrolled = [p for p in participants if p.status == ParticipantStatus.ENROLLED]
    sessions, present = _attended(locked, [p.pk for p in enrolled])
    people = Beneficiary.objects.in_bulk([p.beneficiary_id for p in enrolled])
    result = CohortResult()
    for participant in enrolled:
        participant.beneficiary = people[participant.beneficiary_id]
        share = attendance_share(present.get(participant.pk, 0), sessions)
        if completion_problems(locked.course, share, participant.score):
            participant.status = ParticipantStatus.NOT_COMPLETED
            _stamp(officer, participant)
            participant.save(update_fields=["status"])
            result.not_completed.append(participant)
        else:
            _complete(officer, locked, participant, day)
            result.completed.append(participant)
    for participant in participants:
        if participant.status == ParticipantStatus.WAITING:
            participant.status = ParticipantStatus.DROPPED
            participant.dropped_on = day
            participant.drop_reason = _("The cohort closed before a place came free.")
            _stamp(officer, participant)
            participant.save(update_fields=["status", "dropped_on", "drop_reason"])
    locked.status = CohortStatus.COMPLETED
    locked.completed_on = day
    _stamp(officer, locked)
    locked.save(update_fields=["status", "completed_on"])
    cohort.status = locked.status
    return result


@transaction.atomic
def drop_out(
    officer: StaffUser,
    participant: Participant,
    *,
    reason: str,
    on: datetime.date | None = None,
) -> Participant:
    """A participant leaves the cohort, with the reason; the first on the waiting list gets
    the place."""
    cohort = _teachable(officer, participant.cohort_id)
    locked = lock_participants(cohort, [participant.pk])[0]
    reason = (reason or "").strip()
    if not reason:
        raise _refuse(_("Say why the participant leaves."), "reason_required")
    if locked.status not in (ParticipantStatus.ENROLLED, ParticipantStatus.WAITING):
        raise _refuse(_("Only a participant still in the cohort can drop out."), "not_enrolled")
    day = on or _today()
    held_place = locked.status == ParticipantStatus.ENROLLED
    locked.status = ParticipantStatus.DROPPED
    locked.dropped_on = day
    locked.drop_reason = reason[:300]
    _stamp(officer, locked)
    locked.save(update_fields=["status", "dropped_on", "drop_reason"])
    participant.status = locked.status
    if held_place:
        _promote_from_waiting_list(officer, cohort, day)
    return locked
