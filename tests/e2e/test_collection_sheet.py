"""A loan officer at a group meeting, on a 390-pixel phone: prepares the meeting's sheet, enters
only the two exceptions (an absent member, a part payment) and posts the sheet; everyone else
has paid as due. Screenshots of the sheet before and after posting go to test-artifacts/."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tandir.lending.models import CollectionLine, CollectionSheet, Installment, Repayment
from tests.e2e.test_phone_screens import PHONE_WIDTH, overflow
from tests.e2e.test_registration_flow import log_in
from tests.factories import World
from tests.lending.test_group_pages import FIRST_DUE, group_with_loans
from tests.lending_factories import build_lending

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]


def test_an_officer_posts_a_meeting_sheet_by_exception_on_a_phone(
    world: World, browser_page: Page, artifacts_dir: Path
) -> None:
    lending = build_lending(world)
    group, loans = group_with_loans(lending, 3)
    page = browser_page
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    log_in(page, lending.officer.username)

    # The day's list first: every loan of the group is late, grouped by the group once chosen.
    page.goto("/loans/day/")
    page.select_option("#id_by", "group")
    expect(page).to_have_url(re.compile(r"by=group"))
    expect(page.get_by_role("heading", name="Lori women")).to_be_visible()
    page.screenshot(path=artifacts_dir / "phone-my-collections.png", full_page=True)
    assert overflow(page) <= 0, "my collections are wider than the phone"

    page.goto(f"/loans/day/groups/{group.pk}/")
    expect(page.locator("#on-hold")).to_be_visible()
    page.screenshot(path=artifacts_dir / "phone-group.png", full_page=True)
    assert overflow(page) <= 0, "the group page is wider than the phone"
    page.fill("#id_meeting_date", FIRST_DUE.isoformat())
    page.get_by_role("button", name="Prepare the sheet").click()
    expect(page).to_have_url(re.compile(r"/loans/day/sheets/\d+/$"))
    # htmx (a deferred script) listens for changes only once the page has loaded.
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.htmx !== undefined")
    sheet = CollectionSheet.objects.get(group=group)

    lines = {line.loan_id: line for line in CollectionLine.objects.filter(sheet=sheet)}
    absent, partial = lines[loans[1].pk], lines[loans[2].pk]
    due = Installment.objects.get(loan=loans[0], number=1).total.quantize(Decimal("0.01"))
    expect(page.locator(f"#paid-{lines[loans[0].pk].pk}")).to_have_value(str(due))
    # Choosing absence empties the member's amount; the part payment is typed over the due.
    page.select_option(f"#attendance-{absent.pk}", "absent")
    expect(page.locator(f"#paid-{absent.pk}")).to_have_value("0", timeout=15_000)
    page.fill(f"#paid-{partial.pk}", "50")
    page.press(f"#paid-{partial.pk}", "Tab")
    expect(page.locator(f"#line-{partial.pk}")).to_have_class(re.compile("exception"))
    page.screenshot(path=artifacts_dir / "phone-sheet-entered.png", full_page=True)
    assert overflow(page) <= 0, "the sheet is wider than the phone"

    page.locator("#post-sheet").click()
    expect(page.get_by_text("The sheet is posted.")).to_be_visible()
    page.screenshot(path=artifacts_dir / "phone-sheet-posted.png", full_page=True)
    assert overflow(page) <= 0, "the posted sheet is wider than the phone"

    paid = {r.loan_id: r.amount for r in Repayment.objects.filter(loan__in=loans)}
    assert paid == {loans[0].pk: due, loans[2].pk: Decimal("50.00")}
    attendance = {
        line.loan_id: line.attendance for line in CollectionLine.objects.filter(sheet=sheet)
    }
    assert attendance == {loans[0].pk: "present", loans[1].pk: "absent", loans[2].pk: "present"}
