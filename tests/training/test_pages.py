"""Training pages: the trainer's view, the attendance page (htmx taps, the whole list, its
query count), forms that refuse bad input, the 403 and 404 answers, and the public check."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tandir.orgs.models import StaffUser
from tandir.training import actions
from tandir.training.models import Attendance, Module, Participant, Session
from tests.training.factories import Training, person

pytestmark = pytest.mark.django_db


def client_for(user: StaffUser, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def attendance_url(training: Training, session: Session) -> str:
    return reverse("training:attendance", kwargs={"pk": training.cohort.pk, "session": session.pk})


def enrol_people(training: Training, count: int) -> list[Participant]:
    return [
        actions.enrol(training.world.manager_a, training.cohort, person(training.world, n))
        for n in range(1, count + 1)
    ]


def test_the_trainers_view_shows_my_cohort_todays_session_and_the_gaps(
    training: Training,
) -> None:
    one, two = enrol_people(training, 2)
    for session in training.sessions[:2]:
        actions.record_attendance(
            training.trainer_a, session, {one.pk: "absent", two.pk: "present"}
        )
    page = client_for(training.trainer_a).get(reverse("training:home"))
    assert page.status_code == 200
    view = page.context["view"]
    assert [c.code for c in view.cohorts] == ["GY-01"]
    assert [s.pk for s in view.today] == [training.sessions[2].pk]
    assert [(g.participant.pk, g.absences) for g in view.gaps] == [(one.pk, 2)]
    assert "missed 2 sessions" in page.content.decode()
    # A trainer of another branch has no cohort there.
    other = client_for(training.trainer_b).get(reverse("training:home"))
    assert other.context["view"].cohorts == []


def test_the_attendance_page_makes_a_fixed_number_of_queries(
    training: Training, django_assert_num_queries: Any
) -> None:
    client = client_for(training.trainer_a)
    url = attendance_url(training, training.sessions[2])
    enrol_people(training, 3)
    client.get(url)
    # Session, user, the cohort (scope checked in its query), the session, the marks, the
    # participants with their names, and the cohort's sessions for the day picker.
    with django_assert_num_queries(7):
        page = client.get(url)
    assert len(page.context["sheet"].rows) == 3
    more = 7  # the cohort has ten places
    for n in range(4, 4 + more):
        actions.enrol(training.world.manager_a, training.cohort, person(training.world, n))
    with django_assert_num_queries(7):
        page = client.get(url)
    assert len(page.context["sheet"].rows) == 3 + more


def test_a_tap_marks_one_participant_and_answers_with_their_row(training: Training) -> None:
    _one, two = enrol_people(training, 2)
    client = client_for(training.trainer_a)
    answer = client.post(
        attendance_url(training, training.sessions[2]),
        {f"mark-{two.pk}": "present"},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert f'id="row-{two.pk}"' in html and "marked-present" in html
    assert "<html" not in html
    # The counts above the list follow each tap (an out-of-band swap).
    assert 'id="counts"' in html and 'hx-swap-oob="true"' in html
    assert "1 present" in html and "1 not marked" in html
    assert list(Attendance.objects.values_list("participant_id", "mark")) == [(two.pk, "present")]


def test_everyone_not_marked_is_marked_present_at_once(training: Training) -> None:
    one, two, three = enrol_people(training, 3)
    actions.record_attendance(training.trainer_a, training.sessions[2], {one.pk: "absent"})
    answer = client_for(training.trainer_a).post(
        attendance_url(training, training.sessions[2]), {"rest": "present"}
    )
    assert answer.status_code == 302
    assert dict(Attendance.objects.values_list("participant_id", "mark")) == {
        one.pk: "absent",
        two.pk: "present",
        three.pk: "present",
    }


def test_a_mark_for_someone_not_enrolled_is_refused_on_the_page(training: Training) -> None:
    (one,) = enrol_people(training, 1)
    actions.drop_out(training.trainer_a, one, reason="Moved away")
    answer = client_for(training.trainer_a).post(
        attendance_url(training, training.sessions[2]), {f"mark-{one.pk}": "present"}
    )
    assert answer.status_code == 200
    assert (
        "Attendance can only be taken for participants enrolled in the cohort."
        in answer.content.decode()
    )
    assert not Attendance.objects.exists()


def test_a_trainer_of_another_branch_gets_404_and_a_role_without_the_right_403(
    training: Training,
) -> None:
    url = attendance_url(training, training.sessions[0])
    assert client_for(training.trainer_b).get(url).status_code == 404
    assert client_for(training.trainer_b).post(url, {"mark-1": "present"}).status_code == 404
    refused = client_for(training.world.intake_a, "hy").get(url)
    assert refused.status_code == 403
    assert "Թույլատրված չէ" in refused.content.decode()  # "Not allowed", in Armenian
    assert (
        client_for(training.world.loan_officer_a).get(reverse("training:home")).status_code == 403
    )
    assert not Attendance.objects.exists()


def test_the_session_form_refuses_a_day_outside_the_cohort(training: Training) -> None:
    day = training.cohort.ends_on + datetime.timedelta(days=1)
    answer = client_for(training.world.manager_a).post(
        reverse("training:session_new", kwargs={"pk": training.cohort.pk}),
        {"held_on": day.isoformat(), "module": "", "topic": ""},
    )
    assert answer.status_code == 200
    assert "The session must fall within the cohort&#x27;s dates." in answer.content.decode()
    assert Session.objects.filter(cohort=training.cohort).count() == 3


def test_a_manager_enrols_from_the_cohort_page_and_a_trainer_cannot(training: Training) -> None:
    someone = person(training.world, 1)
    url = reverse("training:enrol", kwargs={"pk": training.cohort.pk})
    assert client_for(training.trainer_a).post(url, {"person": someone.pk}).status_code == 403
    answer = client_for(training.world.manager_a).post(url, {"person": someone.pk}, follow=True)
    assert "Anahit1 Petrosyan1 enrolled." in answer.content.decode()
    assert Participant.objects.get().beneficiary_id == someone.pk


def test_the_cohort_page_lists_participants_and_finds_people_to_enrol(training: Training) -> None:
    enrol_people(training, 1)
    person(training.world, 2)
    page = client_for(training.world.manager_a).get(
        reverse("training:cohort", kwargs={"pk": training.cohort.pk}), {"q": "Petrosyan"}
    )
    assert page.status_code == 200
    assert [line.participant.beneficiary.first_name for line in page.context["lines"]] == [
        "Anahit1"
    ]
    assert [p.first_name for p in page.context["found"]] == ["Anahit2"]


def test_curriculum_and_venue_pages_answer(training: Training) -> None:
    client = client_for(training.world.manager_a)
    curriculum = client.get(reverse("training:curriculum"))
    assert curriculum.status_code == 200
    # The seeded modules are in the organisation's language (Armenian here), as stored.
    html = curriculum.content.decode()
    titles = Module.objects.filter(organization=training.course.organization)
    assert titles.count() >= 5
    assert all(title in html for title in titles.values_list("title", flat=True))
    venues = client.get(reverse("training:venues"))
    assert "Gyumri SMB centre" in venues.content.decode()
    created = client.post(
        reverse("training:venues"),
        {"form": "institution", "inst-name": "National Institute", "inst-kind": "institute"},
    )
    assert created.status_code == 302


# --- The public check -------------------------------------------------------------------------


def completed(training: Training) -> Participant:
    (one,) = enrol_people(training, 1)
    for session in training.sessions:
        actions.record_attendance(training.trainer_a, session, {one.pk: "present"})
    actions.complete_participant(training.trainer_a, one)
    return Participant.objects.select_related("certificate").get(pk=one.pk)


def test_the_public_page_verifies_a_real_code_showing_only_initials_course_and_date(
    training: Training,
) -> None:
    participant = completed(training)
    code = participant.certificate.code
    page = Client().get(
        reverse("training:verify", kwargs={"code": participant.certificate.shown_code})
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "This certificate is genuine." in html
    assert '<span id="initials">A. P.</span>' in html
    course_title = participant.cohort.course.title
    assert course_title in html
    assert "Anahit1" not in html and "Petrosyan1" not in html
    assert participant.beneficiary.phone not in html
    # Typed in lower case with spaces, through the form.
    typed = Client().get(reverse("training:verify_form"), {"code": code.lower()})
    assert typed.status_code == 302
    assert typed["Location"] == reverse("training:verify", kwargs={"code": code})


def test_the_public_page_refuses_a_forged_code_and_reveals_nothing(training: Training) -> None:
    participant = completed(training)
    course_title = participant.cohort.course.title
    real = participant.certificate.code
    forged = real[:-1] + ("A" if real[-1] != "A" else "B")
    for code in (forged, "ABC", "<script>"):
        page = Client().get(reverse("training:verify", kwargs={"code": code}))
        assert page.status_code == 404
        html = page.content.decode()
        assert "No certificate has this code." in html
        assert "A. P." not in html and course_title not in html
