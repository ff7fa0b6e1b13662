"""The loan cycle in Chromium, each step by the person who does it: a loan officer applies for
a registered participant, an appraiser appraises, a credit committee member approves (four
eyes), the officer instructs the bank, the accountant confirms the payout, and a repayment at
the counter shows on the loan's schedule."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tandir.lending.models import Loan, LoanStatus
from tests.e2e.test_registration_flow import log_in
from tests.factories import World
from tests.lending_factories import Lending, build_lending

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOAN_URL = re.compile(r"/loans/(\d+)/(\?paid=\d+)?$")


@pytest.fixture
def lending(world: World) -> Iterator[Lending]:
    from tandir.ledger.queries import unbalanced_entries
    from tandir.lending.queries import ledger_mismatches

    built = build_lending(world)
    yield built
    assert unbalanced_entries() == []
    assert ledger_mismatches(world.org.pk) == []


def as_user(page: Page, username: str) -> None:
    page.context.clear_cookies()
    log_in(page, username)


def shot(page: Page, folder: Path, name: str) -> None:
    path = folder / f"loan-flow-{name}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=path, full_page=True)
    assert path.is_file() and path.stat().st_size > 0


def cell(page: Page, number: int, css: str) -> Any:
    return page.locator(f"#schedule table.schedule tbody tr[data-number='{number}'] td.{css}")


def test_a_loan_from_application_to_a_repayment_at_the_counter(
    lending: Lending, browser_page: Page, artifacts_dir: Path
) -> None:
    page = browser_page
    person = lending.person

    # The loan officer applies from the person's page.
    as_user(page, lending.officer.username)
    page.goto(f"/beneficiaries/{person.pk}/")
    page.click("text=Apply for a loan")
    page.select_option("#id_product", str(lending.declining.pk))
    page.fill("#id_amount", "1000")
    page.fill("#id_term", "12")
    page.fill("#id_rate", "24")
    page.fill("#id_purpose", "Sewing machine")
    page.select_option("#id_sector", "crafts")
    page.fill("#id_guarantor-0-name", "Armen Petrosyan")
    page.fill("#id_guarantor-0-relationship", "brother")
    shot(page, artifacts_dir, "1-application")
    page.click("button[name=apply]")
    expect(page).to_have_url(LOAN_URL)
    loan_path = page.url.split(page.url.split("/loans/")[0])[1]
    expect(page.locator("h1")).to_contain_text("Submitted")
    expect(page.locator("#price")).to_contain_text("APR")

    # The appraiser appraises; the approve button is not theirs.
    as_user(page, lending.appraiser.username)
    page.goto(loan_path)
    expect(page.locator(".loan-actions")).not_to_contain_text("Approve")
    page.click(".loan-actions >> text=Appraise")
    page.fill("#id_business_income", "1200")
    page.fill("#id_business_expenses", "300")
    page.fill("#id_household_income", "100")
    page.fill("#id_household_expenses", "350")
    page.fill("#id_site_visit_notes", "Workshop at home, two machines, orders for a month.")
    page.select_option("#id_recommendation", "approve")
    shot(page, artifacts_dir, "2-appraisal")
    page.click("button[type=submit].primary")
    expect(page.locator("#appraisal")).to_contain_text("within capacity")

    # A second person, of the credit committee, approves.
    as_user(page, lending.committee.username)
    page.goto(loan_path)
    page.click(".loan-actions >> text=Approve")
    page.select_option("#id_fund", str(lending.fund.pk))
    page.select_option("#id_bank_branch", str(lending.bank_branch.pk))
    shot(page, artifacts_dir, "3-approval")
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_contain_text("Approved")

    # The officer instructs the bank; the accountant confirms the bank paid out.
    as_user(page, lending.officer.username)
    page.goto(loan_path)
    page.click("text=Instruct the bank")
    expect(page.locator(".messages")).to_contain_text("The bank is instructed")
    as_user(page, lending.accountant.username)
    page.goto(loan_path)
    page.click("text=Confirm disbursement")
    paid_out = timezone.localdate() - datetime.timedelta(days=35)
    page.fill("#id_bank_reference", "PB-2026-001")
    page.fill("#id_on", paid_out.isoformat())
    shot(page, artifacts_dir, "4-disbursement")
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_contain_text("Active")
    # 1,000 at 24% a year over 12 months: 94.56 a month; the first is late already.
    expect(cell(page, 1, "unpaid-amount")).to_have_text("$94.56")
    expect(page.locator("#arrears")).not_to_contain_text("current")

    # A repayment at the counter pays the first installment; the page links its receipt.
    as_user(page, lending.officer.username)
    page.goto(loan_path)
    page.click("text=Take a repayment")
    page.fill("#id_amount", "94.56")
    page.fill("#id_bank_reference", "cash book 17")
    shot(page, artifacts_dir, "5-repayment")
    page.click("button[type=submit].primary")
    expect(page).to_have_url(LOAN_URL)
    expect(page.locator(".receipt")).to_contain_text("Receipt R")
    expect(cell(page, 1, "paid-amount")).to_have_text("$94.56")
    expect(cell(page, 1, "unpaid-amount")).to_have_text("$0.00")
    expect(cell(page, 2, "paid-amount")).to_have_text("$0.00")
    expect(page.locator("#arrears")).to_contain_text("$925.44")
    expect(page.locator("#arrears")).to_contain_text("current")
    expect(page.locator("#transactions")).to_contain_text("$94.56")
    expect(page.locator("#allocation")).to_contain_text("#1")
    shot(page, artifacts_dir, "6-repaid")
    page.goto("/loans/")
    expect(page.locator("table.results")).to_contain_text("Anahit Petrosyan")
    expect(page.locator("table.results")).to_contain_text("$925.44")
    shot(page, artifacts_dir, "7-loans")

    loan = Loan.objects.get()
    assert loan.status == LoanStatus.ACTIVE
    assert str(loan.principal_outstanding.normalize()) == "925.44"
    assert loan.created_by_id == lending.officer.pk and loan.approved_by_id == lending.committee.pk
