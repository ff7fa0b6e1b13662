"""The M&E officer in Chromium: chooses a project and a period, reads the donor report with the
definitions under its figures, asks for the XLSX, and watches the run's progress page (htmx)
turn into a download once the worker has made it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tandir.jobs.management.commands.worker import run_burst
from tandir.reports.models import ReportRun, ReportStatus
from tests.e2e.conftest import artifacts_dir, browser_page  # noqa: F401 - fixtures
from tests.e2e.test_registration_flow import log_in
from tests.factories import World
from tests.reports.donor_factories import build_project

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shot(page: Page, folder: Path, name: str) -> None:
    path = folder / f"donor-{name}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=path, full_page=True)
    assert path.is_file() and path.stat().st_size > 0


def test_the_me_officer_reads_the_donor_report_and_downloads_it_after_the_worker(
    world: World,
    browser_page: Page,  # noqa: F811
    artifacts_dir: Path,  # noqa: F811
) -> None:
    project = build_project(world)
    start, end = project.period
    page = browser_page
    log_in(page, world.me_officer.username)
    page.goto("/reports/donor/")
    page.select_option("#id_project", str(world.project.pk))
    page.fill("#id_date_from", start.isoformat())
    page.fill("#id_date_to", end.isoformat())
    page.get_by_role("button", name="Show the report").click()
    expect(page.locator("#figure-completed_training")).to_contain_text("2")
    expect(page.locator("#figure-completed_training .definition")).to_contain_text(
        "training place was completed"
    )
    expect(page.locator("#figure-cumulative_repayment_rate")).to_contain_text("50")
    shot(page, artifacts_dir, "report")

    page.get_by_role("button", name="Download XLSX").click()
    expect(page.locator("#run")).to_have_attribute("data-status", "queued")
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.htmx !== undefined")
    shot(page, artifacts_dir, "queued")
    assert run_burst() == 1
    # The page polls itself (htmx) and shows the download without a reload.
    expect(page.locator("#run-download")).to_be_visible(timeout=15_000)
    expect(page.locator("#run-progress")).to_have_attribute("value", "100")
    shot(page, artifacts_dir, "finished")
    assert ReportRun.objects.get().status == ReportStatus.FINISHED
    with page.expect_download() as download:
        page.locator("#run-download").click()
    assert download.value.suggested_filename.endswith(".xlsx")
