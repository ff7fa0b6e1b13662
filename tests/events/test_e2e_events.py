"""In real Chromium on a phone-sized screen: a branch manager creates an event, registers a
participant found by name, marks her attended with the htmx toggle, and sees an agreement's
overdue activity highlighted on the events home and the agreement's page."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tandir.events import actions
from tandir.events.models import Event, Party, Registration
from tests.e2e.test_registration_flow import log_in
from tests.events.factories import Events

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_a_manager_registers_a_participant_and_takes_attendance_on_a_phone(
    events: Events,
    browser_page: Page,
    artifacts_dir: Path,
) -> None:
    today = timezone.localdate()
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, events.world.manager_a.username)
    page.goto("/events/new/")
    page.select_option("#id_kind", "forum")
    page.fill("#id_title", "Women entrepreneurs' forum")
    page.fill("#id_starts_on", today.isoformat())
    page.fill("#id_ends_on", today.isoformat())
    page.fill("#id_place", "Gyumri, Culture House")
    page.locator("form.card [type=submit]").click()
    expect(page.locator("h1")).to_have_text("Women entrepreneurs' forum")
    event = Event.objects.get()

    # htmx is loaded with `defer`: the search works once the page has finished loading.
    page.wait_for_load_state("load")
    page.fill("#participant-search", "Person1")
    result = page.locator("#participant-results li", has_text=events.anahit.full_name)
    expect(result).to_be_visible(timeout=15_000)
    result.get_by_role("button", name="Register").click()
    expect(page.locator(".message.success")).to_contain_text("is registered")
    registration = Registration.objects.get(event=event)
    row = page.locator(f"#registration-{registration.pk}")
    page.wait_for_load_state("load")
    row.get_by_role("button", name="Not yet").click()
    expect(row.get_by_role("button", name="Attended")).to_have_attribute(
        "aria-pressed", "true", timeout=15_000
    )
    expect(page.locator("#count-attended")).to_have_text("1")
    registration.refresh_from_db()
    assert registration.attended is True
    page.screenshot(path=artifacts_dir / "events-phone-attendance.png", full_page=True)
    assert overflow(page) <= 0

    signed = actions.sign_agreement(
        events.world.manager_a,
        events.partner,
        title="Memorandum on trainers",
        signed_on=today - datetime.timedelta(days=90),
    )
    late = actions.plan_activity(
        events.world.manager_a, signed, description="Train ten trainers",
        responsible_party=Party.PARTNER, due_on=today - datetime.timedelta(days=5),
    )  # fmt: skip
    page.goto("/events/")
    expect(page.locator("#overdue-activities")).to_contain_text("Train ten trainers")
    page.screenshot(path=artifacts_dir / "events-phone-home.png", full_page=True)
    assert overflow(page) <= 0
    page.locator("#overdue-activities a", has_text="Train ten trainers").click()
    expect(page.locator(f"#activity-{late.pk}")).to_have_class("overdue")
    page.screenshot(path=artifacts_dir / "events-phone-agreement.png", full_page=True)


def test_the_roadshow_pipeline_on_a_phone(
    events: Events, browser_page: Page, artifacts_dir: Path
) -> None:
    today = timezone.localdate()
    manager = events.world.me_officer
    day = datetime.timedelta(days=1)
    show = actions.create_event(
        manager, kind="roadshow", title="Investor roadshow", starts_on=today - 3 * day,
        ends_on=today - 2 * day, place="Yerevan",
    )  # fmt: skip
    project = actions.present_project(
        manager, show, events.anahit, title="Cold storage", amount_sought="6500000", currency="AMD"
    )
    angels = actions.add_investor(manager, name="Ararat Business Angels", kind="angel")
    actions.record_meeting(
        manager, project, angels, met_on=today - datetime.timedelta(days=3), notes="Liked it",
        follow_up="Send the cash-flow table", follow_up_on=today - datetime.timedelta(days=1),
    )  # fmt: skip
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, manager.username)
    page.goto(f"/events/{show.pk}/pipeline/")
    expect(page.locator(f"#project-{project.pk}")).to_contain_text("Ararat Business Angels")
    page.locator(f"#project-{project.pk} summary", has_text="Record an outcome").click()
    page.select_option(f"#outcome-{project.pk}", "invested")
    page.fill(f"#invested-{project.pk}", "2500000")
    page.locator(f"#project-{project.pk} form", has_text="outcome").get_by_role(
        "button", name="Record the outcome"
    ).click()
    expect(page.locator("#invested")).to_contain_text("2,500,000")
    page.screenshot(path=artifacts_dir / "events-phone-pipeline.png", full_page=True)
    assert overflow(page) <= 0
