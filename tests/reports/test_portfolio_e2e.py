"""The M&E officer in Chromium: the portfolio-quality page of a closed date, broken down by
branch, then the loans behind PAR30 and one loan's page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import artifacts_dir, browser_page
from tests.e2e.test_registration_flow import log_in
from tests.factories import World
from tests.reports.portfolio_factories import AS_OF, build_book, close_through

# The browser fixtures, here rather than in a conftest the other report tests share.
__all__ = ["artifacts_dir", "browser_page"]

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shot(page: Page, folder: Path, name: str) -> None:
    path = folder / f"portfolio-{name}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=path, full_page=True)
    assert path.is_file() and path.stat().st_size > 0


def test_the_m_and_e_officer_reads_par_and_opens_the_loans_behind_it(
    world: World, browser_page: Page, artifacts_dir: Path
) -> None:
    book = build_book(world)
    close_through(book.lending, AS_OF)
    page = browser_page
    log_in(page, world.me_officer.username)
    page.goto("/reports/portfolio/")
    expect(page.locator("h1")).to_have_text("Portfolio quality")
    page.fill("#id_as_of", "2026-01-15")
    page.fill("#id_date_from", "2026-01-01")
    page.select_option("#id_dimension", "branch")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#portfolio-source")).to_contain_text("Read from the daily snapshots")
    par30 = page.locator("#USD-par_30")
    expect(par30).to_contain_text("Portfolio at risk, 30 days")
    expect(par30).to_contain_text("plus all renegotiated loans")
    expect(page.locator("#USD-written_off_in_period")).to_contain_text("$1,000.00")
    expect(page.locator("#portfolio-breakdown")).to_contain_text("Branch A")
    shot(page, artifacts_dir, "page")
    page.get_by_role("link", name="Loans behind PAR30").click()
    expect(page.locator("h1")).to_contain_text("Loans behind PAR30")
    rows = page.locator("#at-risk-loans tbody tr")
    expect(rows).to_have_count(2)
    shot(page, artifacts_dir, "at-risk")
    page.get_by_role("link", name=book.late.reference).click()
    expect(page).to_have_url(re.compile(rf"/loans/{book.late.pk}/$"))
