"""The registry on a 390-pixel phone: the list, the form and a person's page fit the screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_registration_flow import log_in
from tests.factories import World, register

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

PHONE_WIDTH = 390


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the screen (0 when nothing scrolls sideways)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize("language", ["en", "ur"])
def test_list_form_and_person_fit_a_phone_screen(
    world: World, browser_page: Page, artifacts_dir: Path, language: str
) -> None:
    person = register(world, heard_via_detail="A neighbour told her about the programme")
    page = browser_page
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    log_in(page, world.manager_a.username)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])
    for name, path in [
        ("list", "/beneficiaries/"),
        ("form", "/beneficiaries/new/"),
        ("person", f"/beneficiaries/{person.pk}/"),
        ("home", "/"),
    ]:
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        shot = artifacts_dir / f"phone-{language}-{name}.png"
        page.screenshot(path=shot, full_page=True)
        assert overflow(page) <= 0, f"{path} is wider than a {PHONE_WIDTH}px screen"
