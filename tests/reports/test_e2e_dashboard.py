"""In Chromium: the M&E officer opens the dashboard and finds its charts drawn (SVG lines, bars
and funnel steps of non-zero size, nothing requested outside the server); the network analyst
opens the network's page with the members side by side and their trend."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tandir.impact import actions as impact_actions
from tandir.reports.actions import publish_network_figures
from tests.e2e.conftest import artifacts_dir, browser_page
from tests.e2e.test_registration_flow import log_in
from tests.factories import World
from tests.reports.test_network_helpers import (
    DECEMBER_END,
    JANUARY_END,
    NOVEMBER_END,
    build_portfolio,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
__all__ = ["artifacts_dir", "browser_page"]

FOLLOW_UP = {
    "household_income_monthly": "210000",
    "business_operating": "yes",
    "business_revenue_monthly": 300000,
    "business_profit_monthly": "5000",
    "paid_employees": "1",
    "family_workers": 2,
    "quality_of_life": "4",
    "satisfaction": 5,
    "complaint": "",
}


def shot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"reports-{name}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=path, full_page=True)
    assert path.is_file() and path.stat().st_size > 0
    return path


def sizes(page: Page, selector: str, attribute: str) -> list[float]:
    return [float(v) for v in page.eval_on_selector_all(
        selector, f"els => els.map(e => e.getBBox().{attribute})"
    )]  # fmt: skip


def test_the_m_e_officer_finds_the_dashboard_s_charts_drawn(
    world: World, browser_page: Page, artifacts_dir: Path
) -> None:
    portfolio = build_portfolio(world)
    _baseline, _six, twelve = impact_actions.seed_instruments(world.me_officer, world.org)
    for n, who in enumerate(portfolio.women[:5]):
        impact_actions.record_response(
            world.me_officer,
            instrument=twelve,
            beneficiary=who,
            taken_on=datetime.date(2026, 11, 20),
            answers={
                **FOLLOW_UP,
                "income_change": "better" if n < 4 else "same",
                "quality_of_life_change": "better",
            },
        )
    page = browser_page
    log_in(page, world.me_officer.username)
    page.goto("/reports/dashboard/")
    expect(page.locator("h1")).to_have_text("Dashboard")
    # The portfolio line over its three closed month-ends, PAR30 rising to 100%.
    expect(page.locator("#portfolio-trend svg polyline.trend")).to_have_count(2)
    assert all(w > 0 for w in sizes(page, "#portfolio-trend svg polyline.trend", "width"))
    expect(page.locator("#portfolio-trend svg circle.point")).to_have_count(6)
    # November's disbursements, one sector: one bar of non-zero height.
    bars = sizes(page, "#disbursements svg rect.bar-shape", "height")
    assert len(bars) == 1 and bars[0] > 0
    steps = sizes(page, "#funnel svg rect.funnel-step", "width")
    assert len(steps) == 2 and steps[0] > steps[1] > 0  # registered, then the loans
    assert all(h > 0 for h in sizes(page, "#shares svg rect.bar-shape", "height"))
    expect(page.locator("#income-better")).to_have_text("80%")
    expect(page.locator("#life-better")).to_have_text("100%")
    expect(page.locator("#impact-due")).to_have_text("8")
    assert all(h > 0 for h in sizes(page, "#impact svg rect.bar-shape", "height"))
    shot(page, artifacts_dir, "dashboard-me")


def test_the_network_analyst_sees_the_members_side_by_side(
    world: World, browser_page: Page, artifacts_dir: Path
) -> None:
    portfolio = build_portfolio(world)
    for day in (NOVEMBER_END, DECEMBER_END, JANUARY_END):
        publish_network_figures(world.me_officer, world.org, as_of=day)
    publish_network_figures(portfolio.other_me, world.other_org, as_of=JANUARY_END)
    page = browser_page
    log_in(page, world.analyst.username)
    page.goto("/reports/dashboard/")  # an analyst's dashboard is the network's page
    expect(page.locator("h1")).to_have_text("Network")
    expect(page.locator("#network-figures th.member")).to_have_text(["Org X", "Org Y"])
    expect(page.locator("#trends svg polyline.trend")).to_have_count(2)
    assert all(w > 0 for w in sizes(page, "#trends svg polyline.trend", "width"))
    shot(page, artifacts_dir, "network")
    page.select_option("select[name=dimension]", "sex")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#network-figures")).to_contain_text("suppressed")
    shot(page, artifacts_dir, "network-by-sex")
