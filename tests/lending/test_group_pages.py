"""Centres, solidarity groups and collection sheets through the web pages: a group's members and
loans with its joint-liability hold, a meeting's sheet made before the meeting and posted by
exception, all or nothing, and every page scoped and with a pinned number of queries."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from tandir.lending import actions
from tandir.lending.models import (
    Centre,
    CollectionLine,
    CollectionSheet,
    GroupMembership,
    Installment,
    Loan,
    Repayment,
    RepaymentSource,
    SolidarityGroup,
)
from tandir.orgs.models import StaffUser
from tandir.registry.models import Beneficiary
from tests.factories import PASSWORD, register
from tests.lending_factories import DISBURSED, Lending

D = Decimal
FIRST_DUE = datetime.date(2025, 12, 15)


def client_for(user: StaffUser) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def person(lending: Lending, n: int) -> Beneficiary:
    return register(
        lending.world,
        phone=f"+3749930{n:04d}",
        national_id=f"AMG{n:06d}",
        first_name=f"Member{n}",
        last_name=f"Lastname{n}",
    )


def group_loan(lending: Lending, borrower: Beneficiary, group: SolidarityGroup) -> Loan:
    """A 6-month declining loan of 600 USD in the group, disbursed on DISBURSED."""
    loan = actions.apply_for_loan(
        lending.officer, borrower, lending.declining, amount=D(600), term=6, rate=D(24),
        purpose="Stock", sector="trade", group=group, on=DISBURSED - datetime.timedelta(days=14),
    )  # fmt: skip
    actions.appraise(
        lending.appraiser, loan, business_income=D(900), business_expenses=D(300),
        household_expenses=D(350),
    )  # fmt: skip
    actions.approve(
        lending.committee, loan, fund=lending.fund, bank_branch=lending.bank_branch,
        on=DISBURSED - datetime.timedelta(days=7),
    )  # fmt: skip
    actions.instruct_disbursement(lending.officer, lending.bank, [loan], on=DISBURSED)
    return actions.confirm_disbursement(lending.accountant, loan, bank_reference="PB", on=DISBURSED)


def group_with_loans(lending: Lending, size: int) -> tuple[SolidarityGroup, list[Loan]]:
    world = lending.world
    centre = actions.create_centre(
        lending.officer, world.branch_a, name="Azatan", meeting_day=0, meeting_place="School"
    )
    group = actions.create_group(lending.officer, world.branch_a, name="Lori women", centre=centre)
    loans = []
    for n in range(size):
        borrower = lending.person if n == 0 else person(lending, n)
        actions.join_group(lending.officer, group, borrower, is_leader=n == 0)
        loans.append(group_loan(lending, borrower, group))
    return group, loans


def first_installment(loan: Loan) -> Installment:
    return Installment.objects.get(loan=loan, version=loan.schedule_version, number=1)


def prepare(lending: Lending, group: SolidarityGroup, day: datetime.date) -> CollectionSheet:
    response = client_for(lending.officer).post(
        "/loans/day/sheets/new/", {"group": group.pk, "meeting_date": day.isoformat()}
    )
    assert response.status_code == 302, response
    sheet = CollectionSheet.objects.get(group=group, meeting_date=day)
    assert response["Location"] == f"/loans/day/sheets/{sheet.pk}/"
    return sheet


def line_of(sheet: CollectionSheet, loan: Loan) -> CollectionLine:
    return CollectionLine.objects.get(sheet=sheet, loan=loan)


def test_an_officer_creates_a_centre_and_a_group_and_adds_and_removes_a_member(
    lending: Lending,
) -> None:
    world = lending.world
    client = client_for(lending.officer)
    created = client.post(
        "/loans/day/centres/",
        {
            "branch": world.branch_a.pk,
            "name": "Azatan",
            "meeting_day": "2",
            "meeting_place": "School hall",
        },
    )
    centre = Centre.objects.get(name="Azatan")
    assert created["Location"] == f"/loans/day/centres/{centre.pk}/"
    assert (centre.meeting_day, centre.meeting_place) == (2, "School hall")
    client.post(
        "/loans/day/groups/new/",
        {"branch": world.branch_a.pk, "centre": centre.pk, "name": "Lori women"},
    )
    group = SolidarityGroup.objects.get(name="Lori women")
    assert group.centre == centre and group.meeting_day is None
    found = client.get(
        f"/loans/day/groups/{group.pk}/members/", {"q": "Petrosyan"}, HTTP_HX_REQUEST="true"
    )
    assert lending.person.full_name in found.content.decode()
    assert "<html" not in found.content.decode()
    client.post(
        f"/loans/day/groups/{group.pk}/members/add/",
        {"beneficiary": lending.person.pk, "is_leader": "on"},
    )
    membership = GroupMembership.objects.get(group=group, beneficiary=lending.person)
    assert membership.is_leader and membership.left_on is None
    page = client.get(f"/loans/day/groups/{group.pk}/").content.decode()
    assert lending.person.full_name in page and "In good standing" in page
    client.post(f"/loans/day/groups/{group.pk}/members/{membership.pk}/leave/")
    membership.refresh_from_db()
    assert membership.left_on is not None


def test_a_centre_posted_without_a_name_is_a_field_error_and_writes_nothing(
    lending: Lending,
) -> None:
    page = client_for(lending.officer).post(
        "/loans/day/centres/", {"branch": lending.world.branch_a.pk, "meeting_day": "2"}
    )
    assert page.status_code == 200
    assert "name" in page.context["form"].errors
    assert not Centre.objects.exists()


def test_the_group_page_shows_each_members_loans_and_the_hold_of_a_late_member(
    lending: Lending,
) -> None:
    group, loans = group_with_loans(lending, 2)
    page = client_for(lending.officer).get(f"/loans/day/groups/{group.pk}/")
    html = page.content.decode()
    # Disbursed in 2025 and never paid: both loans are late, so the group is on hold.
    assert page.context["on_hold"] is True
    assert 'id="on-hold"' in html
    for loan in loans:
        assert loan.reference in html
    rows = page.context["rows"]
    assert [row["membership"].is_leader for row in rows] == [True, False]
    assert rows[0]["loans"][0].overdue == D("600") + sum(
        (i.charge for i in Installment.objects.filter(loan=loans[0])), D(0)
    )


def test_a_sheet_posted_with_two_exceptions_pays_everyone_else_as_due(lending: Lending) -> None:
    group, loans = group_with_loans(lending, 3)
    sheet = prepare(lending, group, FIRST_DUE)
    due = first_installment(loans[0]).total.quantize(D("0.01"))
    page = client_for(lending.officer).get(f"/loans/day/sheets/{sheet.pk}/")
    assert [row["due_total"] for row in page.context["rows"]] == [due, due, due]
    html = page.content.decode()
    assert f'value="{due}"' in html  # paid as due, written in already
    absent, partial = line_of(sheet, loans[1]), line_of(sheet, loans[2])
    # Only the two exceptions are sent: an absent member who paid nothing, and a part payment.
    response = client_for(lending.officer).post(
        f"/loans/day/sheets/{sheet.pk}/",
        {
            f"attendance-{absent.pk}": "absent",
            f"paid-{absent.pk}": "0",
            f"attendance-{partial.pk}": "late",
            f"paid-{partial.pk}": "50",
        },
    )
    assert response.status_code == 302
    paid = {
        r.loan_id: (r.amount, r.source, r.value_date)
        for r in Repayment.objects.filter(loan__in=loans)
    }
    assert paid == {
        loans[0].pk: (due, RepaymentSource.COLLECTION_SHEET, FIRST_DUE),
        loans[2].pk: (D("50.00"), RepaymentSource.COLLECTION_SHEET, FIRST_DUE),
    }
    lines = {line.loan_id: line for line in CollectionLine.objects.filter(sheet=sheet)}
    assert [(lines[loan.pk].attendance, lines[loan.pk].paid) for loan in loans] == [
        ("present", due),
        ("absent", D(0)),
        ("late", D(50)),
    ]
    assert lines[loans[0].pk].repayment is not None
    assert first_installment(loans[0]).unpaid == 0
    assert first_installment(loans[1]).unpaid == due
    posted = client_for(lending.officer).get(f"/loans/day/sheets/{sheet.pk}/")
    assert posted.context["is_open"] is False
    assert "Post the sheet" not in posted.content.decode()


def test_a_sheet_with_bad_lines_reports_each_of_them_and_posts_nothing(lending: Lending) -> None:
    group, loans = group_with_loans(lending, 3)
    sheet = prepare(lending, group, FIRST_DUE)
    first, second = line_of(sheet, loans[1]), line_of(sheet, loans[2])
    page = client_for(lending.officer).post(
        f"/loans/day/sheets/{sheet.pk}/",
        {f"paid-{first.pk}": "-5", f"paid-{second.pk}": "ten", f"attendance-{second.pk}": "x"},
    )
    assert page.status_code == 200
    problems = {row["line"].pk: row["problems"] for row in page.context["rows"]}
    assert problems[first.pk] == ["The amount paid cannot be negative."]
    assert problems[second.pk] == ["Choose the attendance.", "Write the amount paid as a number."]
    assert not Repayment.objects.exists()
    assert not CollectionLine.objects.filter(sheet=sheet).exclude(attendance="").exists()
    # The typed values stay, so the officer corrects only the bad lines.
    assert 'value="ten"' in page.content.decode()


def test_a_line_redrawn_for_an_absence_empties_its_amount_and_writes_nothing(
    lending: Lending,
) -> None:
    group, loans = group_with_loans(lending, 1)
    sheet = prepare(lending, group, FIRST_DUE)
    line = line_of(sheet, loans[0])
    url = f"/loans/day/sheets/{sheet.pk}/lines/{line.pk}/"
    client = client_for(lending.officer)
    absent = client.get(
        url,
        {f"attendance-{line.pk}": "absent", f"paid-{line.pk}": "107.12"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER=f"attendance-{line.pk}",
    )
    assert absent.context["row"]["paid"] == "0" and absent.context["row"]["exception"]
    assert "<html" not in absent.content.decode()
    typed = client.get(
        url,
        {f"attendance-{line.pk}": "present", f"paid-{line.pk}": "1.234"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER=f"paid-{line.pk}",
    )
    assert typed.context["row"]["problems"] == ["USD has no amounts this fine."]
    assert not Repayment.objects.exists()
    line.refresh_from_db()
    assert line.attendance == ""


def test_one_sheet_is_all_or_nothing_when_a_payment_is_refused(lending: Lending) -> None:
    group, loans = group_with_loans(lending, 2)
    sheet = prepare(lending, group, FIRST_DUE)
    # The second member pays her whole loan off at the counter before the meeting.
    closed = loans[1]
    for row in Installment.objects.filter(loan=closed).order_by("number"):
        actions.record_repayment(
            lending.officer, closed, amount=row.total, value_date=row.due_date,
            reference=f"counter-{row.number}",
        )  # fmt: skip
    closed_line = line_of(sheet, closed)
    response = client_for(lending.officer).post(
        f"/loans/day/sheets/{sheet.pk}/", {f"paid-{closed_line.pk}": "10"}
    )
    assert response.status_code == 200
    assert "The loan is closed: nothing is owed." in response.content.decode()
    # The first member's payment, which came before the refused one, was not kept either.
    assert not Repayment.objects.filter(loan=loans[0]).exists()
    assert not CollectionLine.objects.filter(sheet=sheet).exclude(attendance="").exists()


def test_a_posted_sheet_cannot_be_posted_again(lending: Lending) -> None:
    group, loans = group_with_loans(lending, 1)
    sheet = prepare(lending, group, FIRST_DUE)
    client = client_for(lending.officer)
    client.post(f"/loans/day/sheets/{sheet.pk}/", {})
    again = client.post(f"/loans/day/sheets/{sheet.pk}/", {})
    assert "already posted" in again.content.decode()
    assert Repayment.objects.filter(loan=loans[0]).count() == 1
    with pytest.raises(actions.Conflict):
        actions.post_prepared_sheet(lending.officer, sheet, [])


def test_a_sheet_made_before_its_meeting_cannot_be_posted_until_the_day(lending: Lending) -> None:
    from django.utils import timezone

    group, _loans = group_with_loans(lending, 1)
    coming = timezone.localdate() + datetime.timedelta(days=3)
    sheet = prepare(lending, group, coming)
    page = client_for(lending.officer).get(f"/loans/day/sheets/{sheet.pk}/")
    assert page.context["can_post"] is False
    assert "The sheet can be posted on the day of the meeting." in page.content.decode()
    refused = client_for(lending.officer).post(f"/loans/day/sheets/{sheet.pk}/", {})
    assert "A sheet is posted on the day of its meeting or after it." in refused.content.decode()
    assert not Repayment.objects.exists()


def test_the_sheet_links_its_printable_pdf_when_the_pdf_page_exists(lending: Lending) -> None:
    from django.urls import NoReverseMatch, reverse

    group, _loans = group_with_loans(lending, 1)
    sheet = prepare(lending, group, FIRST_DUE)
    html = client_for(lending.officer).get(f"/loans/day/sheets/{sheet.pk}/").content.decode()
    try:
        url = reverse("lending:sheet_pdf", kwargs={"pk": sheet.pk})
    except NoReverseMatch:
        assert 'id="sheet-pdf"' not in html
    else:
        assert f'href="{url}"' in html


def test_a_centres_sheet_has_every_member_of_its_groups_and_one_without_a_loan(
    lending: Lending,
) -> None:
    group, loans = group_with_loans(lending, 2)
    assert group.centre is not None
    second = actions.create_group(
        lending.officer, lending.world.branch_a, name="Shirak bakers", centre=group.centre
    )
    newcomer = person(lending, 9)
    actions.join_group(lending.officer, second, newcomer)
    response = client_for(lending.officer).post(
        "/loans/day/sheets/new/", {"centre": group.centre.pk, "meeting_date": "2025-12-15"}
    )
    sheet = CollectionSheet.objects.get(centre=group.centre)
    assert response["Location"] == f"/loans/day/sheets/{sheet.pk}/"
    lines = {line.beneficiary_id: line for line in CollectionLine.objects.filter(sheet=sheet)}
    assert set(lines) == {loans[0].beneficiary_id, loans[1].beneficiary_id, newcomer.pk}
    assert lines[newcomer.pk].loan is None and lines[newcomer.pk].due == 0
    page = client_for(lending.officer).get(f"/loans/day/sheets/{sheet.pk}/")
    assert [row["line"].group_name for row in page.context["rows"]] == [
        "Lori women", "Lori women", "Shirak bakers",
    ]  # fmt: skip
    client_for(lending.officer).post(
        f"/loans/day/sheets/{sheet.pk}/", {f"attendance-{lines[newcomer.pk].pk}": "late"}
    )
    assert CollectionLine.objects.get(pk=lines[newcomer.pk].pk).attendance == "late"
    assert Repayment.objects.filter(loan__in=loans).count() == 2


def test_a_meeting_has_one_sheet(lending: Lending) -> None:
    group, _loans = group_with_loans(lending, 1)
    prepare(lending, group, FIRST_DUE)
    again = client_for(lending.officer).post(
        "/loans/day/sheets/new/", {"group": group.pk, "meeting_date": FIRST_DUE.isoformat()}
    )
    assert again.status_code == 302
    assert CollectionSheet.objects.filter(group=group).count() == 1


def test_groups_centres_and_sheets_of_another_branch_are_404(lending: Lending) -> None:
    group, _loans = group_with_loans(lending, 1)
    assert group.centre is not None
    sheet = prepare(lending, group, FIRST_DUE)
    other = client_for(lending.world.loan_officer_b)
    for path in (
        f"/loans/day/groups/{group.pk}/",
        f"/loans/day/centres/{group.centre.pk}/",
        f"/loans/day/sheets/{sheet.pk}/",
        f"/loans/day/groups/{group.pk}/members/?q=Petrosyan",
    ):
        assert other.get(path).status_code == 404, path
    assert other.post(f"/loans/day/sheets/{sheet.pk}/", {}).status_code == 404
    assert (
        other.post(
            "/loans/day/sheets/new/", {"group": group.pk, "meeting_date": "2025-12-22"}
        ).status_code
        == 404
    )
    assert (
        other.post(
            f"/loans/day/groups/{group.pk}/members/add/", {"beneficiary": lending.person.pk}
        ).status_code
        == 404
    )
    assert not Repayment.objects.exists()
    lists = [other.get("/loans/day/groups/"), other.get("/loans/day/centres/")]
    assert all(group.name not in page.content.decode() for page in lists)


def test_an_accountant_may_not_create_a_group(lending: Lending) -> None:
    response = client_for(lending.accountant).post(
        "/loans/day/groups/new/", {"branch": lending.world.branch_a.pk, "name": "G"}
    )
    assert response.status_code == 403
    assert not SolidarityGroup.objects.exists()


def _queries(client: Client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["group", "centre", "sheet", "groups", "centres"])
def test_group_centre_and_sheet_pages_make_a_fixed_number_of_queries(
    lending: Lending, page: str, django_assert_num_queries: Any
) -> None:
    group, _loans = group_with_loans(lending, 2)
    assert group.centre is not None
    sheet = prepare(lending, group, FIRST_DUE)
    paths = {
        "group": f"/loans/day/groups/{group.pk}/",
        "centre": f"/loans/day/centres/{group.centre.pk}/",
        "sheet": f"/loans/day/sheets/{sheet.pk}/",
        "groups": "/loans/day/groups/",
        "centres": "/loans/day/centres/",
    }
    client = client_for(lending.officer)
    client.get(paths[page])  # the first request of a session fills caches
    small = _queries(client, paths[page])
    for n in range(2, 6):
        borrower = person(lending, n)
        actions.join_group(lending.officer, group, borrower)
        group_loan(lending, borrower, group)
    # The sheet's lines were made before the new members joined; a new sheet has them all.
    if page == "sheet":
        paths["sheet"] = f"/loans/day/sheets/{prepare(lending, group, DISBURSED).pk}/"
    # Session and user, then: the group, its members, their loans, the hold, its sheets; the
    # centre, its groups, its sheets; the sheet, its lines, their dues; the list (and the
    # centre form's branches, listed once to choose one and once to draw the choice).
    expected = {"group": 7, "centre": 5, "sheet": 5, "groups": 3, "centres": 5}
    with django_assert_num_queries(expected[page]):
        assert client.get(paths[page]).status_code == 200
    assert small == expected[page]
