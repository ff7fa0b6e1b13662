"""An intake officer logs in, registers two people, finds them by search and switches to Urdu.

One person is written in Latin letters, the other in Armenian script and found by the Latin
spelling of her surname, as an officer typing on a Latin keyboard would look for her.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, World

pytestmark = [
    pytest.mark.e2e,
    # The live server reads committed data (tests/conftest.py restores the seeded rows).
    pytest.mark.django_db(transaction=True),
]

DETAIL_URL = re.compile(r"/beneficiaries/(\d+)/$")


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form:has(#id_password) [type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def choose(page: Page, name: str, values: list[str]) -> None:
    """Pick options of a multiple choice, whether it is drawn as a list box or as check boxes."""
    field = page.locator(f"[name={name}]")
    if field.first.evaluate("e => e.tagName") == "SELECT":
        field.select_option(values)
    else:
        for value in values:
            page.locator(f"[name={name}][value='{value}']").check()


def register(page: Page, world: World, **person: Any) -> str:
    """Fill and send the registration form; return the detail page's URL."""
    page.goto("/beneficiaries/new/")
    page.fill("#id_first_name", person["first_name"])
    page.fill("#id_last_name", person["last_name"])
    page.fill("#id_patronymic", person.get("patronymic", ""))
    page.select_option("#id_sex", person["sex"])
    page.fill("#id_date_of_birth", person["date_of_birth"])
    page.fill("#id_phone", person["phone"])
    page.fill("#id_national_id", person.get("national_id", ""))
    page.select_option("#id_education", person.get("education", "secondary"))
    page.select_option("#id_economic_activity", person.get("economic_activity", "casual"))
    page.select_option("#id_branch", str(world.branch_a.pk))
    # Choosing the branch reloads the districts it serves; wait for them before choosing one.
    expect(page.locator(f"#id_district option[value='{person['district'].pk}']")).to_have_count(1)
    page.wait_for_load_state("networkidle")
    page.select_option("#id_district", str(person["district"].pk))
    page.fill("#id_household_members", str(person["household_members"]))
    page.fill("#id_household_dependants", str(person["household_dependants"]))
    page.select_option("#id_household_head_sex", person["household_head_sex"])
    choose(page, "projects", [str(world.project.pk)])
    page.select_option("#id_heard_via", person.get("heard_via", "event"))
    page.check("#id_consent_programme")
    page.click("button[type=submit][name=register]")
    expect(page).to_have_url(DETAIL_URL)
    heading = page.locator("h1")
    expect(heading).to_contain_text(person["first_name"])
    expect(heading).to_contain_text(person["last_name"])
    return page.url


def search(page: Page, text: str) -> None:
    page.goto("/beneficiaries/")
    box = page.locator("input[name=q]")
    box.fill(text)
    box.press("Enter")
    expect(page.locator("table.results")).to_be_visible()


def switch_language(page: Page, code: str) -> None:
    """Use the switcher as a person would: pick the language, then press its button if the
    page does not already reload on the choice."""
    page.select_option("select#language-select", code)
    try:
        expect(page.locator(f"html[lang={code}]")).to_have_count(1, timeout=3_000)
    except AssertionError:
        page.click("#language-submit")


def test_officer_registers_finds_by_search_and_reads_urdu_right_to_left(
    world: World, browser_page: Page, artifacts_dir: Path
) -> None:
    page = browser_page
    log_in(page, world.intake_a.username)

    nargiz_url = register(
        page,
        world,
        first_name="Nargiz",
        last_name="Mammadova",
        patronymic="Ilham",
        sex="female",
        date_of_birth="1994-06-21",
        phone="+374 93 410203",
        national_id="AR0412345",
        district=world.district_a,
        household_members=5,
        household_dependants=2,
        household_head_sex="female",
    )
    gayane_url = register(
        page,
        world,
        first_name="Գայանե",
        last_name="Պետրոսյան",
        sex="female",
        date_of_birth="1987-11-03",
        phone="+374 77 556677",
        district=world.district_b,
        household_members=3,
        household_dependants=1,
        household_head_sex="male",
    )
    assert nargiz_url != gayane_url

    search(page, "Mammadova")
    results = page.locator("table.results")
    expect(results).to_contain_text("Nargiz")
    expect(results).not_to_contain_text("Պետրոսյան")

    # Typed in Latin letters, found in Armenian script.
    search(page, "Petrosyan")
    expect(results).to_contain_text("Պետրոսյան")
    expect(results).not_to_contain_text("Mammadova")

    switch_language(page, "ur")
    expect(page.locator("html")).to_have_attribute("lang", "ur")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"

    # Searching still works in Urdu, and the result page reads right to left too.
    search(page, "Petrosyan")
    expect(results).to_contain_text("Պետրոսյան")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")

    shot = artifacts_dir / "registration-urdu.png"
    shot.unlink(missing_ok=True)
    page.screenshot(path=shot, full_page=True)
    assert shot.is_file()
    assert shot.stat().st_size > 0
