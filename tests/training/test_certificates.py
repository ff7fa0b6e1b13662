"""Certificates as real PDFs, read back with pypdf: one in Armenian, one in Urdu (right to left,
Nastaliq), with the programme's currency sign and the code the public page checks."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from tandir.training import actions, documents
from tandir.training.models import Certificate, Participant
from tests.training.factories import Training, person

pytestmark = pytest.mark.django_db


def text_of(reader: PdfReader) -> str:
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\u00a0\u202f]", " ", text)


def fonts_of(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():  # type: ignore[index]
            names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return names


def certified(training: Training, **names: str) -> Participant:
    participant = actions.enrol(
        training.world.manager_a, training.cohort, person(training.world, 1, **names)
    )
    for session in training.sessions:
        actions.record_attendance(training.trainer_a, session, {participant.pk: "present"})
    actions.complete_participant(training.trainer_a, participant)
    return Participant.objects.get(pk=participant.pk)


def pdf(training: Training, participant: Participant, **query: str) -> PdfReader:
    client = Client()
    client.force_login(training.trainer_a)
    answer = client.get(reverse("training:certificate", kwargs={"pk": participant.pk}), query)
    assert answer.status_code == 200, answer.content[:300]
    assert answer["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(answer.content))


def test_an_armenian_participants_certificate_is_in_armenian_with_the_dram_sign(
    training: Training,
) -> None:
    training.course.title = "Փոքր բիզնեսի կառավարում"
    training.course.save()
    participant = certified(training, first_name="Անահիտ", last_name="Պետրոսյան")
    certificate = Certificate.objects.get(participant=participant)
    assert documents.certificate_language(participant) == "hy"  # Org X is in Armenia
    reader = pdf(training, participant)
    text = text_of(reader)
    assert "Անահիտ Պետրոսյան" in text
    assert "Փոքր բիզնեսի կառավարում" in text
    assert "֏ (AMD)" in text
    assert certificate.shown_code in text
    assert f"/training/verify/{certificate.code}/" in text
    assert any("Armenian" in name for name in fonts_of(reader))


# A code beginning with digits is the case a right-to-left page reorders ("6428-TTWS-TZ4R"
# printed as "TTWS-TZ4R-6428") unless the code is set left to right.
@pytest.mark.parametrize("code", ["6428TTWSTZ4R", "TTWS6428TZ4R"])
def test_an_urdu_certificate_is_right_to_left_in_nastaliq(training: Training, code: str) -> None:
    participant = certified(training)
    Certificate.objects.filter(participant=participant).update(code=code)
    certificate = Certificate.objects.get(participant=participant)
    reader = pdf(training, participant, lang="ur")
    text = text_of(reader)
    # pypdf reads Nastaliq's joined letters back only approximately: the Urdu words are checked
    # in the laid-out page, the PDF for its Latin parts and its font.
    assert certificate.shown_code in text
    assert "Anahit1 Petrosyan1" in text
    assert any("Nastaliq" in name for name in fonts_of(reader))
    html = documents.certificate_html(certificate, "ur", "http://testserver/v/")
    assert '<html lang="ur" dir="rtl">' in html


def test_the_manat_sign_is_printed_for_an_azerbaijani_programme(training: Training) -> None:
    participant = certified(training)
    organization = training.world.org
    organization.currency = "AZN"
    organization.save()
    certificate = Certificate.objects.select_related("participant__cohort__organization").get(
        participant=participant
    )
    text = text_of(PdfReader(io.BytesIO(documents.certificate_pdf(certificate, "az", "http://x/"))))
    assert "₼ (AZN)" in text


def test_no_certificate_before_completion_and_none_outside_scope(training: Training) -> None:
    participant = actions.enrol(
        training.world.manager_a, training.cohort, person(training.world, 1)
    )
    client = Client()
    client.force_login(training.trainer_a)
    url = reverse("training:certificate", kwargs={"pk": participant.pk})
    assert client.get(url).status_code == 404
    for session in training.sessions:
        actions.record_attendance(training.trainer_a, session, {participant.pk: "present"})
    actions.complete_participant(training.trainer_a, participant)
    outsider = Client()
    outsider.force_login(training.trainer_b)
    assert outsider.get(url).status_code == 404
    assert client.get(url, {"lang": "xx"}).status_code == 400
