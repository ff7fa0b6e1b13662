"""The attendance sheet uploaded from the cohort page, and the course edit page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tandir.orgs.models import StaffUser
from tandir.training import actions
from tandir.training.models import Attendance, Course
from tests.training.factories import Training, person

pytestmark = pytest.mark.django_db


def client_for(user: StaffUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(training: Training, user: StaffUser, lines: list[str], name: str = "sheet.csv") -> Any:
    content = "\n".join(["national_id,phone,session_date,present", *lines]) + "\n"
    return client_for(user).post(
        reverse("training:attendance_upload", args=[training.cohort.pk]),
        {"file": SimpleUploadedFile(name, content.encode(), content_type="text/csv")},
    )


def test_a_good_sheet_uploaded_by_the_trainer_writes_every_mark(training: Training) -> None:
    one = actions.enrol(training.world.manager_a, training.cohort, person(training.world, 1))
    first = training.sessions[0].held_on.isoformat()
    page = client_for(training.trainer_a).get(reverse("training:cohort", args=[training.cohort.pk]))
    assert reverse("training:attendance_upload", args=[training.cohort.pk]) in page.content.decode()
    answer = upload(training, training.trainer_a, [f"AM1000001,,{first},yes"])
    assert answer.status_code == 302
    assert list(Attendance.objects.values_list("participant_id", "mark")) == [(one.pk, "present")]


def test_a_sheet_with_a_bad_line_lists_it_and_writes_nothing(training: Training) -> None:
    actions.enrol(training.world.manager_a, training.cohort, person(training.world, 1))
    first, second = (s.held_on.isoformat() for s in training.sessions[:2])
    answer = upload(
        training, training.trainer_a, [f"AM1000001,,{first},yes", f"AM1000001,,{second},maybe"]
    )
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "1 problem; nothing was imported." in text
    assert "<td>3</td><td>present</td><td>write yes, no or excused</td>" in text
    assert not Attendance.objects.exists()


def test_only_csv_and_xlsx_are_taken(training: Training) -> None:
    answer = upload(training, training.trainer_a, [], name="sheet.pdf")
    assert "Send a .csv or .xlsx file." in answer.content.decode()


def test_a_trainer_of_another_branch_does_not_reach_the_upload(training: Training) -> None:
    answer = client_for(training.trainer_b).get(
        reverse("training:attendance_upload", args=[training.cohort.pk])
    )
    assert answer.status_code == 404


def test_the_course_edit_page_changes_the_rule_and_keeps_the_module_order(
    training: Training,
) -> None:
    course = training.course
    before = [part.module_id for part in course.parts.order_by("position")]
    extra = actions.create_module(
        training.world.manager_a, code="export", title="Export markets", hours=4, language="en"
    )
    client = client_for(training.world.manager_a)
    url = reverse("training:course_edit", args=[course.pk])
    assert client.get(url).status_code == 200
    answer = client.post(
        url,
        {
            "title": "Small business, revised",
            "level": course.level,
            "modules": [*before, extra.pk],
            "min_attendance": "75",
            "pass_score": "",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    course = Course.objects.get(pk=course.pk)
    assert (course.title, course.min_attendance) == ("Small business, revised", 75)
    assert [part.module_id for part in course.parts.order_by("position")] == [*before, extra.pk]


def test_a_trainer_cannot_edit_a_course(training: Training) -> None:
    answer = client_for(training.trainer_a).get(
        reverse("training:course_edit", args=[training.course.pk])
    )
    assert answer.status_code == 403
