"""Training in Chromium on a phone-sized screen: a trainer takes the day's attendance with a
tap per participant, records a participant's completion, downloads the certificate, and the
certificate's code verifies on the public page without logging in."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect
from pypdf import PdfReader

from tandir.training import actions
from tandir.training.models import Attendance, Certificate
from tests.e2e.test_registration_flow import log_in
from tests.factories import World
from tests.training.factories import build_training, person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE: ViewportSize = {"width": 390, "height": 844}


def overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_a_trainer_takes_attendance_on_a_phone_and_the_certificate_verifies(
    world: World, browser_page: Page, artifacts_dir: Path
) -> None:
    training = build_training(world)
    manager = world.manager_a
    anahit = actions.enrol(manager, training.cohort, person(world, 1))
    gor = actions.enrol(
        manager,
        training.cohort,
        person(world, 2, first_name="Gor", last_name="Sargsyan", sex="male"),
    )
    for session in training.sessions[:2]:
        actions.record_attendance(
            training.trainer_a, session, {anahit.pk: "present", gor.pk: "absent"}
        )
    page = browser_page
    page.set_viewport_size(PHONE)
    log_in(page, training.trainer_a.username)

    # The trainer's view: today's session, and Gor's two missed sessions.
    page.goto("/training/")
    expect(page.locator("#gaps")).to_contain_text("Gor Sargsyan")
    page.screenshot(path=artifacts_dir / "training-phone-home.png", full_page=True)
    assert overflow(page) <= 0
    page.locator("#today a", has_text="Take attendance").click()
    expect(page.locator("h1")).to_contain_text("Attendance · GY-01")

    # A tap per participant, each saved at once.
    row = page.locator(f"#row-{anahit.pk}")
    row.get_by_role("button", name="Present").click()
    expect(page.locator(f"#row-{anahit.pk}")).to_have_class("att-row marked-present")
    page.locator(f"#row-{gor.pk}").get_by_role("button", name="Excused").click()
    expect(page.locator(f"#row-{gor.pk}")).to_have_class("att-row marked-excused")
    expect(page.locator(f"#row-{gor.pk}").get_by_role("button", name="Excused")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#counts")).to_contain_text("1 present")
    expect(page.locator("#counts")).to_contain_text("1 excused")
    expect(page.locator("#counts")).to_contain_text("0 not marked")
    page.screenshot(path=artifacts_dir / "training-phone-attendance.png", full_page=True)
    assert overflow(page) <= 0
    today = training.sessions[2]
    assert dict(Attendance.objects.filter(session=today).values_list("participant_id", "mark")) == {
        anahit.pk: "present",
        gor.pk: "excused",
    }

    # Anahit attended all three sessions: she completes and gets her certificate.
    page.goto(f"/training/participants/{anahit.pk}/")
    page.locator("#complete").click()
    expect(page.locator(".messages")).to_contain_text("Completed: the certificate is ready.")
    code = page.locator("#certificate-code").inner_text()
    certificate = Certificate.objects.get(participant=anahit)
    assert code == certificate.shown_code
    page.screenshot(path=artifacts_dir / "training-phone-certificate.png", full_page=True)
    answer = page.request.get(page.locator("#certificate-pdf").get_attribute("href") or "")
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.body())).pages)
    assert "Anahit1 Petrosyan1" in text
    assert code in text
    assert "֏ (AMD)" in text

    # Anyone may check the code, without logging in, and sees only initials, course and date.
    page.context.clear_cookies()
    page.goto("/training/verify/")
    page.fill("#id_code", code.lower().replace("-", " "))
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#verified")).to_contain_text("This certificate is genuine.")
    expect(page.locator("#initials")).to_have_text("A. P.")
    expect(page.locator("#course")).to_have_text(certificate.participant.cohort.course.title)
    assert "Petrosyan1" not in page.content()
    page.screenshot(path=artifacts_dir / "training-phone-verified.png", full_page=True)
    assert overflow(page) <= 0

    page.goto("/training/verify/AAAA-BBBB-CCCC/")
    expect(page.locator("#not-found")).to_contain_text("No certificate has this code.")
    page.screenshot(path=artifacts_dir / "training-phone-forged.png", full_page=True)
