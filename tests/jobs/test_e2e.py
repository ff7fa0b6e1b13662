"""The close-of-business page in Chromium: an accountant sets the nightly schedule, runs close
of business now, and sees the worker's outcome; a failure shows its message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tandir.jobs.management.commands.worker import run_burst
from tandir.jobs.models import CloseSchedule, JobRun, RunStatus
from tests.e2e.test_registration_flow import log_in
from tests.factories import World
from tests.jobs.factories import FAILING_JOB, accountant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shot(page: Page, folder: Path, name: str) -> None:
    path = folder / f"jobs-{name}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=path, full_page=True)
    assert path.is_file() and path.stat().st_size > 0


def test_an_accountant_schedules_and_runs_close_of_business(
    world: World,
    browser_page: Page,
    artifacts_dir: Path,
    settings: Any,
) -> None:
    page = browser_page
    staff = accountant(world)
    log_in(page, staff.username)
    page.get_by_role("link", name="Close of business").click()
    expect(page.get_by_role("heading", name="Close of business", exact=True)).to_be_visible()
    expect(page.get_by_text("No schedule yet")).to_be_visible()

    page.fill("#id_run_at", "01:30")
    page.select_option("#id_time_zone", "Asia/Yerevan")
    page.select_option("#id_run_as", str(staff.pk))
    page.get_by_role("button", name="Save the schedule").click()
    expect(page.get_by_text("The schedule is saved.")).to_be_visible()
    expect(page.locator("#schedule")).to_contain_text("at 01:30 (Asia/Yerevan)")
    assert CloseSchedule.objects.get().run_as == staff

    page.get_by_role("button", name="Run now").click()
    expect(page.get_by_text("Close of business is queued")).to_be_visible()
    expect(page.locator("#runs")).to_contain_text("Waiting")
    expect(page.get_by_role("button", name="Run now")).to_be_disabled()
    shot(page, artifacts_dir, "queued")

    assert run_burst() == 1
    # The table refreshes itself while a run waits (htmx): no reload needed.
    expect(page.locator("#runs")).to_contain_text("Finished", timeout=15_000)
    assert JobRun.objects.get().status == RunStatus.FINISHED
    # The schedule's card came along: the button is free again and the date is closed.
    expect(page.get_by_role("button", name="Run now")).to_be_enabled()
    expect(page.locator("#schedule")).not_to_contain_text("A run is waiting or running.")
    shot(page, artifacts_dir, "finished")

    settings.TANDIR_JOBS_CLOSE_BUSINESS = FAILING_JOB
    settings.TANDIR_JOBS_RETRY_DELAYS = [600]
    page.reload()
    page.get_by_role("button", name="Run now").click()
    run_burst()
    page.reload()
    expect(page.locator("#runs")).to_contain_text("RuntimeError: the database went away")
    expect(page.locator("#runs")).to_contain_text("Failed")
    expect(page.locator("#runs")).to_contain_text("attempt 2")
    shot(page, artifacts_dir, "failed")
