"""Training actions with exact outcomes: enrolment and the waiting list, sessions, attendance,
completion and certificates, drop-outs, and the rights and scope every one of them checks."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandir.core.errors import NotAllowed, NotFound, TandirError
from tandir.core.models import TargetGroup
from tandir.registry.models import Beneficiary, Consent, Status, StatusChange
from tandir.training import actions
from tandir.training.models import (
    Attendance,
    Certificate,
    Cohort,
    Course,
    CourseModule,
    Mark,
    Material,
    Module,
    Participant,
    ParticipantStatus,
    Session,
)
from tandir.training.queries import attendance_share
from tests.factories import register
from tests.training.factories import Training, person

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def statuses(beneficiary: Beneficiary) -> list[tuple[str, str]]:
    return list(
        StatusChange.objects.filter(beneficiary=beneficiary)
        .order_by("pk")
        .values_list("from_status", "to_status")
    )


def enrolled(training: Training, n: int) -> Participant:
    return actions.enrol(training.world.manager_a, training.cohort, person(training.world, n))


def mark_all(training: Training, participant: Participant, marks: list[str]) -> None:
    for session, mark in zip(training.sessions, marks, strict=True):
        actions.record_attendance(training.trainer_a, session, {participant.pk: mark})


# --- Curriculum -------------------------------------------------------------------------------


def test_seeding_gives_the_five_modules_and_a_course_and_twice_adds_nothing(
    training: Training,
) -> None:
    world = training.world
    codes = list(Module.objects.filter(organization=world.org).values_list("code", flat=True))
    assert sorted(codes) == sorted(
        ["management", "types-of-business", "accounting-taxation", "marketing",
         "business-planning"]
    )  # fmt: skip
    assert set(
        Module.objects.filter(organization=world.org).values_list("language", flat=True)
    ) == {"hy"}  # Org X is in Armenia
    parts = CourseModule.objects.filter(course=training.course).order_by("position")
    assert [p.module.code for p in parts][:2] == ["management", "types-of-business"]
    assert training.course.hours == Decimal(34)
    actions.seed_curriculum(world.admin, world.org)
    assert Module.objects.filter(organization=world.org).count() == 5
    assert Course.objects.filter(organization=world.org).count() == 1


def test_a_trainer_cannot_change_the_curriculum(training: Training) -> None:
    with pytest.raises(NotAllowed):
        actions.create_module(
            training.trainer_a, code="x", title="X", hours=Decimal(2), language="en"
        )
    assert not Module.objects.filter(code="x").exists()


def test_a_course_requires_the_previous_level_and_cannot_require_itself(
    training: Training,
) -> None:
    world = training.world
    module = Module.objects.get(organization=world.org, code="marketing")
    syb = actions.create_course(
        world.manager_a, code="syb", title="SYB", level="syb", modules=[module]
    )
    iyb = actions.create_course(
        world.manager_a, code="iyb", title="IYB", level="iyb", modules=[module], prerequisite=syb
    )
    with pytest.raises(TandirError) as refused:
        actions.update_course(
            world.manager_a, syb, title="SYB", level="syb", modules=[module], prerequisite=iyb
        )
    assert refused.value.code == "cycle"
    syb.refresh_from_db()
    assert syb.prerequisite is None


def test_materials_are_checked_by_their_first_bytes(training: Training) -> None:
    module = Module.objects.get(organization=training.world.org, code="marketing")
    manager = training.world.manager_a
    with pytest.raises(TandirError) as refused:
        actions.attach_material(manager, module, name="notes.pdf", content=b"MZ\x90 not a pdf")
    assert refused.value.code == "file_type"
    with pytest.raises(TandirError) as too_big:
        actions.attach_material(
            manager, module, name="big.pdf", content=b"%PDF" + b"0" * actions.MATERIAL_MAX_BYTES
        )
    assert too_big.value.code == "file_too_large"
    assert not Material.objects.exists()
    material = actions.attach_material(
        manager, module, name="handout.pdf", content=b"%PDF-1.4 handout"
    )
    assert (material.content_type, material.size, material.name) == (
        "application/pdf",
        16,
        "handout.pdf",
    )


# --- Cohorts and sessions ---------------------------------------------------------------------


def test_a_session_outside_the_cohorts_dates_is_refused_and_not_written(
    training: Training,
) -> None:
    cohort = training.cohort
    for day in (cohort.starts_on - DAY, cohort.ends_on + DAY):
        with pytest.raises(TandirError) as refused:
            actions.add_session(training.world.manager_a, cohort, held_on=day)
        assert refused.value.code == "outside_cohort_dates"
        assert refused.value.message == "The session must fall within the cohort's dates."
    assert Session.objects.filter(cohort=cohort).count() == 3


def test_a_session_on_a_module_of_another_course_is_refused(training: Training) -> None:
    world = training.world
    other = actions.create_module(
        world.manager_a, code="export", title="Export", hours=Decimal(2), language="hy"
    )
    with pytest.raises(TandirError) as refused:
        actions.add_session(
            world.manager_a, training.cohort, held_on=training.today + DAY, module=other
        )
    assert refused.value.code == "module_not_in_course"


def test_a_manager_of_branch_a_cannot_open_a_cohort_for_branch_b(training: Training) -> None:
    world = training.world
    with pytest.raises(NotFound):
        actions.create_cohort(
            world.manager_a,
            code="B-01",
            course=training.course,
            venue=training.venue,
            branch=world.branch_b,
            starts_on=training.today,
            ends_on=training.today,
            trainers=[training.trainer_b],
        )
    assert not Cohort.objects.filter(code="B-01").exists()


def test_a_cohort_cannot_have_more_places_than_the_venue_has_seats(training: Training) -> None:
    world = training.world
    with pytest.raises(TandirError) as refused:
        actions.create_cohort(
            world.manager_a,
            code="BIG",
            course=training.course,
            venue=training.venue,
            branch=world.branch_a,
            starts_on=training.today,
            ends_on=training.today,
            trainers=[training.trainer_a],
            capacity=21,
        )
    assert refused.value.code == "over_venue_capacity"


# --- Enrolment --------------------------------------------------------------------------------


def test_enrolling_moves_the_person_to_in_training(training: Training) -> None:
    someone = person(training.world, 1)
    participant = actions.enrol(training.world.manager_a, training.cohort, someone)
    assert participant.status == ParticipantStatus.ENROLLED
    assert participant.enrolled_on == training.today
    someone.refresh_from_db()
    assert someone.status == Status.IN_TRAINING
    assert statuses(someone)[-1] == (Status.REGISTERED, Status.IN_TRAINING)


def test_a_full_cohort_puts_people_on_the_waiting_list_and_a_drop_out_frees_a_place(
    world: object,
) -> None:
    from tests.training.factories import build_training

    training = build_training(world, capacity=1)  # type: ignore[arg-type]
    first = enrolled(training, 1)
    second = enrolled(training, 2)
    third = enrolled(training, 3)
    assert [first.status, second.status, third.status] == ["enrolled", "waiting", "waiting"]
    second.beneficiary.refresh_from_db()
    assert second.beneficiary.status == Status.REGISTERED  # no place, no training yet

    with pytest.raises(TandirError) as refused:
        actions.drop_out(training.trainer_a, first, reason="  ")
    assert refused.value.code == "reason_required"

    actions.drop_out(training.trainer_a, first, reason="Moved to Yerevan for work")
    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()
    assert (first.status, first.drop_reason) == ("dropped", "Moved to Yerevan for work")
    assert (second.status, second.enrolled_on) == ("enrolled", training.today)
    assert third.status == "waiting"
    assert second.beneficiary.status == Status.IN_TRAINING


def test_a_person_of_another_organisation_cannot_be_enrolled(training: Training) -> None:
    world = training.world
    stranger = register(
        world,
        officer=world.other_intake,
        branch=world.other_branch.pk,
        projects=[],
        phone="+374 93 999999",
        national_id="AM7777777",
    )
    with pytest.raises(TandirError) as refused:
        actions.enrol(world.manager_a, training.cohort, stranger)
    assert refused.value.code == "other_organization"
    assert refused.value.message == "This person is registered with another organisation."
    assert not Participant.objects.exists()


def test_eligibility_by_consent_project_target_group_and_prerequisite(training: Training) -> None:
    world = training.world
    manager = world.manager_a
    no_consent = person(world, 1)
    Consent.objects.filter(beneficiary=no_consent).update(programme_use=False)
    with pytest.raises(TandirError) as refused:
        actions.enrol(manager, training.cohort, no_consent)
    assert refused.value.code == "no_consent"

    training.cohort.project = world.project
    training.cohort.target_group = TargetGroup.objects.get(code="refugee")
    training.cohort.save()
    outside_project = person(world, 2, projects=[])
    with pytest.raises(TandirError) as refused:
        actions.enrol(manager, training.cohort, outside_project)
    assert refused.value.code == "project"
    not_refugee = person(world, 3)
    with pytest.raises(TandirError) as refused:
        actions.enrol(manager, training.cohort, not_refugee)
    assert refused.value.code == "target_group"

    module = Module.objects.get(organization=world.org, code="marketing")
    iyb = actions.create_course(
        manager, code="iyb", title="IYB", level="iyb", modules=[module],
        prerequisite=training.course,
    )  # fmt: skip
    next_cohort = actions.create_cohort(
        manager, code="IYB-1", course=iyb, venue=training.venue, branch=world.branch_a,
        starts_on=training.today, ends_on=training.today + DAY, trainers=[training.trainer_a],
    )  # fmt: skip
    with pytest.raises(TandirError) as refused:
        actions.enrol(manager, next_cohort, not_refugee)
    assert refused.value.code == "prerequisite"
    assert not Participant.objects.exists()


def test_a_trainer_cannot_enrol(training: Training) -> None:
    with pytest.raises(NotAllowed):
        actions.enrol(training.trainer_a, training.cohort, person(training.world, 1))


# --- Attendance -------------------------------------------------------------------------------


def test_the_trainer_marks_the_whole_list_then_changes_one_mark(training: Training) -> None:
    one, two = enrolled(training, 1), enrolled(training, 2)
    session = training.sessions[0]
    result = actions.record_attendance(
        training.trainer_a, session, {one.pk: Mark.PRESENT, two.pk: Mark.ABSENT}
    )
    assert (result.created, result.changed, result.unchanged) == (2, 0, 0)
    result = actions.record_attendance(
        training.trainer_a, session, {one.pk: Mark.PRESENT, two.pk: Mark.EXCUSED}
    )
    assert (result.created, result.changed, result.unchanged) == (0, 1, 1)
    assert dict(Attendance.objects.values_list("participant_id", "mark")) == {
        one.pk: "present",
        two.pk: "excused",
    }
    row = Attendance.objects.get(participant=two)
    assert row.recorded_by == training.trainer_a
    assert list(row.changes.order_by("history_id").values_list("mark", flat=True)) == [
        "absent",
        "excused",
    ]


def test_a_trainer_of_branch_b_cannot_take_attendance_for_a_cohort_of_branch_a(
    training: Training,
) -> None:
    one = enrolled(training, 1)
    with pytest.raises(NotFound):
        actions.record_attendance(training.trainer_b, training.sessions[0], {one.pk: "present"})
    with pytest.raises(NotAllowed):
        actions.record_attendance(
            training.world.intake_a, training.sessions[0], {one.pk: "present"}
        )
    assert not Attendance.objects.exists()


def test_attendance_for_someone_not_enrolled_refuses_the_whole_list(training: Training) -> None:
    one = enrolled(training, 1)
    waiting = Participant.objects.create(
        organization=training.world.org,
        cohort=training.cohort,
        beneficiary=person(training.world, 2),
        status=ParticipantStatus.WAITING,
        applied_on=training.today,
    )
    with pytest.raises(TandirError) as refused:
        actions.record_attendance(
            training.trainer_a,
            training.sessions[0],
            {one.pk: "present", waiting.pk: "present", 999999: "absent"},
        )
    assert refused.value.code == "not_enrolled"
    assert refused.value.details["participants"] == sorted([waiting.pk, 999999])
    assert not Attendance.objects.exists()


def test_attendance_for_a_session_still_to_come_is_refused(training: Training) -> None:
    one = enrolled(training, 1)
    later = actions.add_session(
        training.world.manager_a, training.cohort, held_on=training.today + DAY
    )
    with pytest.raises(TandirError) as refused:
        actions.record_attendance(training.trainer_a, later, {one.pk: "present"})
    assert refused.value.code == "future"


# --- Completion -------------------------------------------------------------------------------


def test_completing_issues_a_certificate_and_moves_the_person_to_trained(
    training: Training,
) -> None:
    one = enrolled(training, 1)
    mark_all(training, one, ["present", "present", "present"])
    certificate = actions.complete_participant(training.trainer_a, one)
    one.refresh_from_db()
    assert (one.status, one.completed_on) == ("completed", training.today)
    assert len(certificate.code) == 12
    assert set(certificate.code) <= set(actions.CODE_ALPHABET)
    assert (
        certificate.shown_code
        == f"{certificate.code[:4]}-{certificate.code[4:8]}-{certificate.code[8:]}"
    )
    assert statuses(one.beneficiary) == [
        ("", "registered"),
        ("registered", "in_training"),
        ("in_training", "trained"),
    ]


def test_completion_below_the_attendance_minimum_is_refused_with_the_reason(
    training: Training,
) -> None:
    one = enrolled(training, 1)
    mark_all(training, one, ["present", "absent", "present"])  # 66.67% < 80%
    with pytest.raises(TandirError) as refused:
        actions.complete_participant(training.trainer_a, one)
    assert refused.value.code == "rule_not_met"
    assert refused.value.details["problems"] == [
        "attended 66.67% of the sessions; the course asks for 80%"
    ]
    assert not Certificate.objects.exists()
    one.beneficiary.refresh_from_db()
    assert one.beneficiary.status == Status.IN_TRAINING


def test_a_course_with_an_assessment_needs_the_pass_mark(training: Training) -> None:
    Course.objects.filter(pk=training.course.pk).update(pass_score=Decimal(60))
    one = enrolled(training, 1)
    mark_all(training, one, ["present", "present", "excused"])
    Course.objects.filter(pk=training.course.pk).update(min_attendance=Decimal(60))
    with pytest.raises(TandirError) as refused:
        actions.complete_participant(training.trainer_a, one)
    assert refused.value.details["problems"] == ["no assessment score is recorded"]
    actions.record_score(training.trainer_a, one, Decimal("55.5"))
    with pytest.raises(TandirError) as refused:
        actions.complete_participant(training.trainer_a, one)
    assert refused.value.details["problems"] == ["scored 55.5; the pass mark is 60"]
    actions.record_score(training.trainer_a, one, Decimal(72))
    actions.complete_participant(training.trainer_a, one)
    assert Participant.objects.get(pk=one.pk).status == "completed"


def test_closing_the_cohort_completes_who_meets_the_rule_and_records_who_does_not(
    training: Training,
) -> None:
    good, poor = enrolled(training, 1), enrolled(training, 2)
    mark_all(training, good, ["present", "present", "present"])
    mark_all(training, poor, ["absent", "absent", "present"])
    result = actions.complete_cohort(training.trainer_a, training.cohort)
    assert [p.pk for p in result.completed] == [good.pk]
    assert [p.pk for p in result.not_completed] == [poor.pk]
    training.cohort.refresh_from_db()
    assert (training.cohort.status, training.cohort.completed_on) == ("completed", training.today)
    assert Certificate.objects.get().participant_id == good.pk
    assert Beneficiary.objects.get(pk=poor.beneficiary_id).status == Status.IN_TRAINING
    with pytest.raises(TandirError) as refused:
        actions.record_attendance(training.trainer_a, training.sessions[0], {good.pk: "absent"})
    assert refused.value.code == "cohort_completed"


def test_a_trainer_of_another_branch_cannot_complete_or_drop_out(training: Training) -> None:
    one = enrolled(training, 1)
    with pytest.raises(NotFound):
        actions.complete_participant(training.trainer_b, one)
    with pytest.raises(NotFound):
        actions.drop_out(training.trainer_b, one, reason="x")
    assert Participant.objects.get(pk=one.pk).status == "enrolled"


@given(
    sessions=st.integers(min_value=0, max_value=60),
    present=st.integers(min_value=0, max_value=60),
    minimum=st.decimals(min_value=0, max_value=100, places=2),
)
def test_the_attendance_rule_is_exact_to_the_hundredth(
    sessions: int, present: int, minimum: Decimal
) -> None:
    present = min(present, sessions)
    share = attendance_share(present, sessions)
    assert Decimal(0) <= share <= Decimal(100)
    assert share == share.quantize(Decimal("0.01"))
    if sessions == 0:
        assert share == 100
    else:
        exact = Decimal(present) * 100 / Decimal(sessions)
        assert abs(share - exact) <= Decimal("0.005")
        if present == sessions:
            assert share == 100
    assert (share >= minimum) == (not actions.completion_problems(
        Course(min_attendance=minimum), share, None))  # fmt: skip
