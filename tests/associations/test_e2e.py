"""An advisor in Chromium: creates an association formed with the programme, adds two members
through the search (htmx), records a meeting with attendance and minutes, and sees the
programme's support page with its chart."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tandir.associations.models import Association, Meeting, MeetingAttendance
from tests.associations.factories import Associations, build
from tests.e2e.test_registration_flow import log_in
from tests.factories import World

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shot(page: Page, folder: Path, name: str) -> None:
    path = folder / f"associations-{name}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=path, full_page=True)
    assert path.is_file() and path.stat().st_size > 0


def test_an_advisor_forms_an_association_and_records_its_first_meeting(
    world: World, browser_page: Page, artifacts_dir: Path
) -> None:
    data: Associations = build(world, people=2)
    page = browser_page
    log_in(page, data.advisor.username)
    page.get_by_role("link", name="Associations").first.click()
    expect(page.locator("h1")).to_have_text("Associations and clusters")
    page.get_by_role("link", name="New association").click()
    page.fill("#id_name", "Gyumri women traders")
    page.select_option("#id_sector", "trade")
    page.select_option("#id_district", str(world.district_a.pk))
    page.fill("#id_founded_on", "2026-03-01")
    page.check("#id_formed_with_programme")
    page.get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(r"/associations/\d+/$"))
    association = Association.objects.get()

    for person in data.people:
        page.get_by_role("link", name="Add a member").click()
        # htmx is loaded with `defer`: typing before it runs would send no search on a busy CI.
        page.wait_for_load_state("load")
        page.wait_for_function("() => window.htmx !== undefined")
        page.fill("#member-search", person.first_name)
        row = page.locator("#member-results tr", has_text=person.full_name)
        expect(row).to_be_visible(timeout=15_000)  # the search waits for typing to pause
        row.locator("input[name=joined_on]").fill("2026-03-01")
        row.get_by_role("button", name="Add").click()
        expect(page.locator("#members")).to_contain_text(person.full_name)
    expect(page.locator("#member-count")).to_have_text("2")

    page.get_by_role("link", name="Record a meeting").click()
    page.fill("#id_held_on", "2026-03-05")
    page.fill("#id_place", "Community hall")
    page.get_by_label(data.people[0].full_name).check()
    page.fill("#id_minutes", "Founding meeting: statutes adopted.")
    page.get_by_role("button", name="Record the meeting").click()
    expect(page.locator("#minutes")).to_contain_text("statutes adopted")
    meeting = Meeting.objects.get()
    assert meeting.held_on == datetime.date(2026, 3, 5)
    assert MeetingAttendance.objects.filter(meeting=meeting).count() == 1

    page.get_by_role("link", name="Gyumri women traders").click()
    shot(page, artifacts_dir, "detail")
    page.get_by_role("link", name="The programme's support").click()
    expect(page.locator("#formed-count")).to_have_text("1")
    expect(page.locator("#over-time svg polyline")).to_have_count(1)
    shot(page, artifacts_dir, "support")
    assert association.formed_with_programme
