"""An M&E officer on a phone in Chromium: finds a borrower by name (htmx), opens the 6-month
follow-up, saves it with one answer missing, sees the error beside that field, corrects it and
saves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tandir.impact.models import Instrument, Response
from tests.e2e.test_registration_flow import log_in
from tests.factories import World
from tests.impact.factories import build_impact, person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE_WIDTH = 390


def shot(page: Page, folder: Path, name: str) -> None:
    path = folder / f"impact-{name}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=path, full_page=True)
    assert path.is_file() and path.stat().st_size > 0


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, width


def test_an_me_officer_enters_a_follow_up_on_a_phone(
    world: World, browser_page: Page, artifacts_dir: Path
) -> None:
    impact = build_impact(world)
    who = person(world, 1)
    page = browser_page
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    log_in(page, world.me_officer.username)
    page.goto("/impact/respond/")
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.htmx !== undefined")
    page.fill("#id_q", "Gayane1")
    found = page.locator("#found a", has_text=who.full_name)
    expect(found).to_be_visible(timeout=15_000)  # the search waits for typing to pause
    found.click()
    expect(page.locator("h1")).to_have_text(who.full_name)
    page.locator("#line-follow-up-6").get_by_role("link", name="Enter the answers").click()
    # Seeded in the organisation's language (Armenian): the page shows the instrument's name.
    expect(page.locator("h1")).to_have_text(
        Instrument.objects.get(organization=world.org, code="follow-up-6").name
    )
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.htmx !== undefined")
    _no_sideways_scroll(page)

    # Radios are picked by the stored choice name: the seeded labels are in the
    # organisation's language (Armenian here), whose catalogue has some of them.
    page.fill("#id_taken_on", "2026-06-01")
    page.fill("#id_household_income_monthly", "210000")
    page.check("#field-income_change input[value='better']")
    page.check("#field-business_operating input[value='yes']")
    page.fill("#id_paid_employees", "2")
    # Quality of life is left out; the change is given.
    page.check("#field-quality_of_life_change input[value='better']")
    page.check("#field-satisfaction input[value='5']")
    page.get_by_role("button", name="Save the answers").click()
    error = page.locator("#field-quality_of_life .field-error")
    expect(error).to_have_text("this question must be answered")
    expect(page.locator("#field-quality_of_life")).to_have_class(re.compile("has-error"))
    # What was typed is still there; htmx replaced only the form.
    expect(page.locator("#id_household_income_monthly")).to_have_value("210000")
    expect(page.locator("h1")).to_have_text(
        Instrument.objects.get(organization=world.org, code="follow-up-6").name
    )
    assert not Response.objects.exists()
    shot(page, artifacts_dir, "follow-up-error")

    page.check("#field-quality_of_life input[value='4']")
    page.get_by_role("button", name="Save the answers").click()
    expect(page).to_have_url(re.compile(rf"/impact/respond/{who.pk}/$"))
    expect(page.locator("#line-follow-up-6")).to_contain_text("Answered")
    _no_sideways_scroll(page)
    shot(page, artifacts_dir, "follow-up-saved")
    response = Response.objects.get()
    assert response.instrument == impact.follow_up_6
    answers = {a.code: (a.number, a.text) for a in response.answers.all()}
    assert answers["quality_of_life"][0] == 4
    assert answers["income_change"][1] == "better"
    assert answers["household_income_monthly"][0] == 210000
