"""A business plan in Chromium: the advisor starts a plan from the advisor's view, fills in the
business, its start-up costs, sales and costs, sees the cash flow with its chart, submits it,
reviews it as ready for appraisal and sends it; the loan application shows the plan's figures
and the appraisal form starts from them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tandir.lending.models import Loan, LoanStatus
from tandir.plans.models import BusinessPlan, PlanStatus
from tandir.registry.actions import change_status
from tandir.registry.models import Status
from tests.e2e.test_registration_flow import log_in
from tests.factories import World
from tests.plans.factories import Plans, build_plans

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PLAN_URL = re.compile(r"/plans/(\d+)/$")
LOAN_URL = re.compile(r"/loans/(\d+)/$")


@pytest.fixture
def plans(world: World) -> Plans:
    built = build_plans(world)
    # The participant finished the course: the advisor's view lists them to start a plan.
    change_status(world.admin, built.person, Status.TRAINED)
    return built


def shot(page: Page, folder: Path, name: str) -> None:
    path = folder / f"plan-flow-{name}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=path, full_page=True)
    assert path.is_file() and path.stat().st_size > 0


def test_an_advisor_builds_a_plan_and_sends_it_to_appraisal(
    plans: Plans, browser_page: Page, artifacts_dir: Path
) -> None:
    page = browser_page
    person = plans.person
    log_in(page, plans.advisor.username)

    page.goto("/plans/")
    expect(page.locator("#participants")).to_contain_text(person.full_name)
    page.click(f"a[href='/plans/new/{person.pk}/']")
    page.fill("#id_title", "Lavash bakery")
    page.fill("#id_idea", "A bakery selling lavash to the village shops.")
    page.select_option("#id_sector", "manufacturing")
    page.fill("#id_location", "Gyumri")
    page.fill("#id_start", "2026-03-01")
    page.select_option("#id_startup-0-kind", "equipment")
    page.fill("#id_startup-0-description", "Tonir oven")
    page.fill("#id_startup-0-amount", "1200000")
    page.select_option("#id_startup-1-kind", "stock")
    page.fill("#id_startup-1-description", "Flour")
    page.fill("#id_startup-1-amount", "300000")
    page.fill("#id_own_contribution", "500000")
    page.fill("#id_revenue-0-name", "Lavash")
    page.fill("#id_revenue-0-unit_price", "300")
    page.fill("#id_revenue-0-quantity", "-3000")  # a typing mistake first
    page.fill("#id_costs-0-name", "Flour")
    page.fill("#id_costs-0-amount", "350000")
    page.check("#id_costs-0-seasonal")
    page.fill("#id_costs-1-name", "Rent")
    page.fill("#id_costs-1-amount", "100000")
    # A third cost line, added in place (htmx), and then not needed after all: left empty.
    page.click("#monthly-costs button.add-line")
    expect(page.locator("#id_costs-2-name")).to_be_visible()
    expect(page.locator("#id_costs-TOTAL_FORMS")).to_have_value("3")
    page.fill("#id_household_expenses", "200000")
    page.fill("#id_household_income", "50000")
    page.click("button[name=save]")
    expect(page.locator(".form-errors")).to_contain_text(
        "Sales line 1, quantity: cannot be negative."
    )
    shot(page, artifacts_dir, "1-refused")
    assert BusinessPlan.objects.count() == 0

    page.fill("#id_revenue-0-quantity", "3000")
    page.click("button[name=save]")
    expect(page).to_have_url(PLAN_URL)
    expect(page.locator("#loan")).to_contain_text("AMD 1,000,000")
    expect(page.locator("#loan")).to_contain_text("AMD 300,000")
    expect(page.locator("svg.cash-chart rect.income")).to_have_count(12)
    shot(page, artifacts_dir, "2-plan")

    page.click("text=Submit for review")
    expect(page.locator("h1")).to_contain_text("Under advisor review")
    page.select_option("#id_decision", "accept")
    page.click("text=Record the review")
    expect(page.locator("h1")).to_contain_text("Ready for appraisal")
    shot(page, artifacts_dir, "3-ready")

    page.click("button[name=send]")
    expect(page).to_have_url(LOAN_URL)
    block = page.locator("#business-plan")
    expect(block).to_contain_text("AMD 900,000")
    expect(block).to_contain_text("AMD 300,000")
    expect(page.locator("h1")).to_contain_text("Submitted")
    shot(page, artifacts_dir, "4-application")

    loan = Loan.objects.get()
    plan = BusinessPlan.objects.get()
    assert loan.status == LoanStatus.SUBMITTED
    assert loan.business_plan_id == plan.pk
    assert loan.amount == 1000000
    assert plan.status == PlanStatus.READY and plan.loan_id == loan.pk

    # The appraiser's form starts from the plan's monthly figures.
    page.context.clear_cookies()
    log_in(page, plans.appraiser.username)
    page.goto(f"/loans/{loan.pk}/appraise/")
    expect(page.locator("#id_business_income")).to_have_value("900000.00")
    expect(page.locator("#id_household_expenses")).to_have_value("200000")
    shot(page, artifacts_dir, "5-appraisal")
