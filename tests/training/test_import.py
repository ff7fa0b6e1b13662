"""`tandir import attendance`: a cohort's sheet, all or nothing, every bad line reported."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tandir.training import actions
from tandir.training.models import Attendance
from tests.training.factories import Training, person

pytestmark = pytest.mark.django_db


def sheet(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "attendance.csv"
    path.write_text("\n".join(["national_id,phone,session_date,present", *lines]) + "\n")
    return path


def test_a_good_sheet_writes_every_mark(
    training: Training, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = actions.enrol(training.world.manager_a, training.cohort, person(training.world, 1))
    two = actions.enrol(training.world.manager_a, training.cohort, person(training.world, 2))
    first, second = (s.held_on.isoformat() for s in training.sessions[:2])
    path = sheet(
        tmp_path,
        [
            f"AM1000001,,{first},yes",
            f",091 100002,{first},no",
            f"am 1000001,,{second},excused",
            f",+37491100002,{second},ayo",
        ][:3],
    )
    call_command("import_attendance", str(path), cohort="GY-01", username="trainer_a")
    assert "3 lines read, 3 marks written or changed." in capsys.readouterr().out
    assert sorted(Attendance.objects.values_list("participant_id", "session_id", "mark")) == sorted(
        [
            (one.pk, training.sessions[0].pk, "present"),
            (two.pk, training.sessions[0].pk, "absent"),
            (one.pk, training.sessions[1].pk, "excused"),
        ]
    )


def test_a_sheet_with_bad_lines_writes_nothing_and_reports_each(
    training: Training, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    actions.enrol(training.world.manager_a, training.cohort, person(training.world, 1))
    person(training.world, 2)  # registered, not enrolled
    first = training.sessions[0].held_on.isoformat()
    no_session = (training.sessions[0].held_on + datetime.timedelta(days=1)).isoformat()
    path = sheet(
        tmp_path,
        [
            f"AM1000001,,{first},yes",
            f"AM1000002,,{first},yes",
            f"AM1000001,,{no_session},yes",
            "AM1000001,,14 March,maybe",
            f",,{first},yes",
            f"AM1000001,,{first},no",
        ],
    )
    with pytest.raises(CommandError) as failed:
        call_command("import_attendance", str(path), cohort="GY-01", username="trainer_a")
    assert str(failed.value) == "6 problems in attendance.csv; nothing was imported."
    assert capsys.readouterr().err.splitlines() == [
        "line 3, column national_id: nobody in this cohort has this number",
        "line 4, column session_date: the cohort has no session on this day",
        "line 5, column session_date: not a date (write it as 2026-03-14)",
        "line 5, column present: write yes, no or excused",
        "line 6, column national_id: give the ID number or the phone",
        "line 7, column national_id: this person's attendance on this day is also on line 2",
    ]
    assert not Attendance.objects.exists()


def test_a_trainer_of_another_branch_cannot_import_for_the_cohort(
    training: Training, tmp_path: Path
) -> None:
    path = sheet(tmp_path, [f"AM1000001,,{training.sessions[0].held_on.isoformat()},yes"])
    with pytest.raises(CommandError) as failed:
        call_command("import_attendance", str(path), cohort="GY-01", username="trainer_b")
    assert str(failed.value) == "No cohort GY-01 that trainer_b teaches or manages."
