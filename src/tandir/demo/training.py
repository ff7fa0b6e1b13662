"""Demo training: the five modules, courses and cohorts in each programme, with attendance,
completion and certificates for the participants the registry moved through training.

The registry has already written each person's dated status history (in training, trained and
later). Training follows it rather than moving anyone again: people are grouped into cohorts by
branch and by when they started training, each cohort is a five-day intensive course (one
session per module) starting once its last member is enrolled, and whoever the registry made
trained completed on that day, with a certificate. People still "in training" are in a cohort
that is running, or, where it ended long ago, did not complete or dropped out with a reason.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from tandir.orgs.models import BranchDistrict, StaffUser
from tandir.registry.models import Beneficiary, Status, StatusChange
from tandir.training import actions
from tandir.training.models import (
    Attendance,
    Certificate,
    Cohort,
    CohortStatus,
    CohortTrainer,
    Course,
    CourseModule,
    InstitutionKind,
    Level,
    Mark,
    Module,
    Participant,
    ParticipantStatus,
    PartnerInstitution,
    Session,
    Venue,
    VenueKind,
)

if TYPE_CHECKING:
    from tandir.demo.loader import Programme

# People who started training within this many days of each other share a cohort.
WINDOW_DAYS = 14
COHORT_SIZE = 20
INSTITUTES = {
    "am": "National Centre for Small Business Development",
    "az": "SME Development Agency training institute",
    "pk": "Institute of Small Enterprise Training",
}
DROP_REASONS = [
    "Found seasonal work abroad",
    "Caring for a family member",
    "Moved to another district",
    "Could not travel to the centre",
]


@dataclass
class _Trainee:
    person: Beneficiary
    started: datetime.date
    trained: datetime.date | None


def load_training(
    rng: random.Random, programmes: Sequence[Programme], *, as_of: datetime.date
) -> None:
    for programme in programmes:
        _load_programme(rng, programme, as_of)


def _load_programme(rng: random.Random, programme: Programme, as_of: datetime.date) -> None:
    organization = programme.organization
    staff = programme.staff
    prefix = programme.prefix
    admin = staff[f"{prefix}.admin"]
    trainer = staff[f"{prefix}.trainer"]
    modules = actions.seed_curriculum(admin, organization)
    course = Course.objects.get(organization=organization, code="small-business")
    improve = Course.objects.create(
        organization=organization,
        code="improve-your-business",
        title="Improve Your Business",
        level=Level.IYB,
        prerequisite=course,
        min_attendance=Decimal(75),
        pass_score=Decimal(60),
    )
    CourseModule.objects.bulk_create(
        [
            CourseModule(organization=organization, course=improve, module=m, position=i)
            for i, m in enumerate(
                [m for m in modules if m.code in {"accounting-taxation", "marketing"}], start=1
            )
        ]
    )
    institute = PartnerInstitution.objects.create(
        organization=organization,
        name=INSTITUTES.get(prefix, "National training institute"),
        kind=InstitutionKind.NATIONAL_INSTITUTE,
    )
    venues: dict[int, Venue] = {}
    for branch, spec in programme.branches:
        district_id = (
            BranchDistrict.objects.filter(branch=branch)
            .order_by("pk")
            .values_list("district_id", flat=True)
            .first()
        )
        if district_id is None:
            continue
        venues[branch.pk] = Venue.objects.create(
            organization=organization,
            name=f"{spec.name} SMB development centre",
            kind=VenueKind.SMB_CENTRE,
            district_id=district_id,
            capacity=COHORT_SIZE + 5,
        )

    trainees = _trainees(organization.pk)
    by_branch: dict[int, list[_Trainee]] = defaultdict(list)
    for trainee in trainees:
        by_branch[trainee.person.branch_id].append(trainee)
    number = 0
    for branch, _spec in programme.branches:
        venue = venues.get(branch.pk)
        if venue is None:
            continue
        for group in _cohorts(sorted(by_branch[branch.pk], key=lambda t: (t.started, t.person.pk))):
            number += 1
            _load_cohort(
                rng,
                group,
                code=f"{prefix.upper()}-{branch.code}-{number:02d}",
                course=course,
                venue=venue,
                institute=institute,
                trainer=trainer,
                modules=modules,
                as_of=as_of,
            )


def _trainees(organization_id: int) -> list[_Trainee]:
    started: dict[int, datetime.date] = {}
    trained: dict[int, datetime.date] = {}
    for person_id, to_status, day in StatusChange.objects.filter(
        organization_id=organization_id, to_status__in=[Status.IN_TRAINING, Status.TRAINED]
    ).values_list("beneficiary_id", "to_status", "changed_on"):
        (started if to_status == Status.IN_TRAINING else trained)[person_id] = day
    people = Beneficiary.objects.in_bulk(list(started))
    return [
        _Trainee(people[pk], day, trained.get(pk))
        for pk, day in started.items()
        if pk in people and people[pk].merged_into_id is None
    ]


def _cohorts(trainees: list[_Trainee]) -> list[list[_Trainee]]:
    groups: list[list[_Trainee]] = []
    for trainee in trainees:
        current = groups[-1] if groups else None
        if (
            current is None
            or len(current) >= COHORT_SIZE
            or (trainee.started - current[0].started).days > WINDOW_DAYS
        ):
            groups.append([trainee])
        else:
            current.append(trainee)
    return groups


def _weekdays_from(day: datetime.date, count: int) -> list[datetime.date]:
    days: list[datetime.date] = []
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def _load_cohort(
    rng: random.Random,
    group: list[_Trainee],
    *,
    code: str,
    course: Course,
    venue: Venue,
    institute: PartnerInstitution,
    trainer: StaffUser,
    modules: list[Module],
    as_of: datetime.date,
) -> None:
    organization_id = venue.organization_id
    starts_on = max(t.started for t in group)
    days = _weekdays_from(starts_on, len(modules))
    ends_on = days[-1]
    finished = ends_on <= as_of
    cohort = Cohort.objects.create(
        organization_id=organization_id,
        code=code,
        course=course,
        venue=venue,
        branch_id=group[0].person.branch_id,
        institution=institute,
        starts_on=days[0],
        ends_on=ends_on,
        capacity=venue.capacity,
    )
    CohortTrainer.objects.bulk_create(
        [CohortTrainer(organization_id=organization_id, cohort=cohort, staffuser=trainer)]
    )
    sessions = Session.objects.bulk_create(
        [
            Session(organization_id=organization_id, cohort=cohort, held_on=day, module=module)
            for day, module in zip(days, modules, strict=True)
        ]
    )
    participants = []
    outcomes: list[tuple[_Trainee, str]] = []
    outcome: str
    for trainee in group:
        if trainee.trained is not None:
            outcome = ParticipantStatus.COMPLETED
        elif not finished or (as_of - ends_on).days < 7:
            outcome = ParticipantStatus.ENROLLED
        else:
            outcome = rng.choice([ParticipantStatus.NOT_COMPLETED, ParticipantStatus.DROPPED])
        outcomes.append((trainee, outcome))
        dropped = outcome == ParticipantStatus.DROPPED
        participants.append(
            Participant(
                organization_id=organization_id,
                cohort=cohort,
                beneficiary=trainee.person,
                status=outcome,
                applied_on=trainee.started,
                enrolled_on=trainee.started,
                completed_on=trainee.trained,
                dropped_on=days[min(2, len(days) - 1)] if dropped else None,
                drop_reason=rng.choice(DROP_REASONS) if dropped else "",
            )
        )
    Participant.objects.bulk_create(participants)
    marks: list[Attendance] = []
    for participant, (_trainee, outcome) in zip(participants, outcomes, strict=True):
        held = [s for s in sessions if s.held_on <= as_of]
        if outcome == ParticipantStatus.DROPPED:
            held = held[:2]
        chosen = _marks(rng, len(held), outcome)
        marks += [
            Attendance(
                organization_id=organization_id,
                session=session,
                participant=participant,
                mark=mark,
                recorded_by=trainer,
            )
            for session, mark in zip(held, chosen, strict=True)
        ]
    Attendance.objects.bulk_create(marks)
    Certificate.objects.bulk_create(
        [
            Certificate(
                organization_id=organization_id,
                participant=participant,
                code=_code(rng),
                issued_on=participant.completed_on or ends_on,
                issued_by=trainer,
            )
            for participant in participants
            if participant.status == ParticipantStatus.COMPLETED
        ]
    )
    if finished and all(o != ParticipantStatus.ENROLLED for _t, o in outcomes):
        cohort.status = CohortStatus.COMPLETED
        cohort.completed_on = max(
            [t.trained for t, _o in outcomes if t.trained is not None], default=ends_on
        )
        cohort.save(update_fields=["status", "completed_on"])


def _marks(rng: random.Random, count: int, outcome: str) -> list[str]:
    marks: list[str]
    """Realistic marks: who completed came to at least four of five sessions."""
    if outcome == ParticipantStatus.COMPLETED:
        marks = [str(Mark.PRESENT)] * count
        if count and rng.random() < 0.3:
            marks[rng.randrange(count)] = rng.choice([Mark.EXCUSED, Mark.ABSENT])
        return marks
    if outcome == ParticipantStatus.NOT_COMPLETED:
        marks = [str(rng.choice([Mark.PRESENT, Mark.ABSENT])) for _i in range(count)]
        # Two sessions missed at least: below the course's 80%.
        return [str(Mark.ABSENT) if i < 2 else mark for i, mark in enumerate(marks)]
    if outcome == ParticipantStatus.DROPPED:
        return [str(Mark.PRESENT)] + [str(Mark.ABSENT)] * (count - 1) if count else []
    usual = [str(Mark.PRESENT)] * 8 + [str(Mark.ABSENT), str(Mark.EXCUSED)]
    return [rng.choice(usual) for _i in range(count)]


def _code(rng: random.Random) -> str:
    # Drawn from the demo's seeded generator so the demo loads the same every time; real
    # certificates get theirs from `secrets` (`actions.new_code`).
    return "".join(rng.choice(actions.CODE_ALPHABET) for _i in range(actions.CODE_LENGTH))
