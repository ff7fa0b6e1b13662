"""The loan officer's day: what falls due today and what is late, by locality or by group, the
arrears notes with their promises to pay, the loans whose promise has passed, and the summary on
the home page."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tandir.lending import actions, officer_views
from tandir.lending.models import FollowUp, Installment, Loan, SolidarityGroup
from tandir.lending.queries import officer_day
from tandir.registry.models import Beneficiary
from tests.factories import PASSWORD, register
from tests.lending_factories import DISBURSED, Lending

D = Decimal


def client_for(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def loan_for(
    lending: Lending,
    borrower: Beneficiary,
    *,
    on: datetime.date = DISBURSED,
    group: SolidarityGroup | None = None,
) -> Loan:
    loan = actions.apply_for_loan(
        lending.officer, borrower, lending.declining, amount=D(600), term=6, rate=D(24),
        purpose="Stock", sector="trade", group=group, on=on - datetime.timedelta(days=14),
    )  # fmt: skip
    actions.appraise(
        lending.appraiser, loan, business_income=D(900), business_expenses=D(300),
        household_expenses=D(350),
    )  # fmt: skip
    actions.approve(
        lending.committee, loan, fund=lending.fund, bank_branch=lending.bank_branch,
        on=on - datetime.timedelta(days=7),
    )  # fmt: skip
    actions.instruct_disbursement(lending.officer, lending.bank, [loan], on=on)
    return actions.confirm_disbursement(lending.accountant, loan, bank_reference="PB", on=on)


def borrower(lending: Lending, n: int) -> Beneficiary:
    return register(
        lending.world,
        phone=f"+3749940{n:04d}",
        national_id=f"AMD{n:06d}",
        first_name=f"Borrower{n}",
        last_name=f"Family{n}",
    )


def unpaid(loan: Loan, **due: Any) -> Decimal:
    rows = Installment.objects.filter(loan=loan, version=loan.schedule_version, **due)
    return sum((row.unpaid for row in rows), D(0))


def first_due(loan: Loan) -> datetime.date:
    return Installment.objects.get(loan=loan, version=loan.schedule_version, number=1).due_date


@pytest.fixture
def day_loans(lending: Lending, monkeypatch: pytest.MonkeyPatch) -> dict[str, Loan]:
    """A loan falling due "today", a late loan in a group, and a late one of another officer.

    "Today" of the pages is the first due date of the newest loan, two months after the others.
    """
    group = actions.create_group(lending.officer, lending.world.branch_a, name="Lori women")
    late_person = borrower(lending, 1)
    actions.join_group(lending.officer, group, late_person)
    other_officer = lending.world.manager_a
    others = actions.apply_for_loan(
        other_officer, borrower(lending, 2), lending.declining, amount=D(600), term=6,
        rate=D(24), purpose="Stock", sector="trade", on=DISBURSED - datetime.timedelta(days=14),
    )  # fmt: skip
    actions.appraise(
        lending.appraiser, others, business_income=D(900), business_expenses=D(300),
        household_expenses=D(350),
    )  # fmt: skip
    actions.approve(lending.committee, others, fund=lending.fund, bank_branch=lending.bank_branch)
    actions.instruct_disbursement(other_officer, lending.bank, [others], on=DISBURSED)
    actions.confirm_disbursement(lending.accountant, others, bank_reference="PB", on=DISBURSED)
    loans = {
        "due_today": loan_for(lending, lending.person, on=DISBURSED + datetime.timedelta(days=65)),
        "late": loan_for(lending, late_person, group=group),
        "others": others,
    }
    today = first_due(loans["due_today"])
    monkeypatch.setattr(officer_views, "_today", lambda: today)
    return loans


def test_my_collections_lists_what_falls_due_today_and_what_is_late(
    lending: Lending, day_loans: dict[str, Loan]
) -> None:
    today = officer_views._today()
    page = client_for(lending.officer).get("/loans/day/")
    assert page.status_code == 200
    day = page.context["day"]
    rows = {row.loan.reference: row for row in day.collections}
    assert set(rows) == {day_loans["due_today"].reference, day_loans["late"].reference}
    due_today = rows[day_loans["due_today"].reference]
    assert (due_today.due_today, due_today.overdue) == (
        unpaid(day_loans["due_today"], due_date=today),
        D(0),
    )
    late = rows[day_loans["late"].reference]
    assert late.overdue == unpaid(day_loans["late"], due_date__lt=today)
    assert late.days_past_due == (today - first_due(day_loans["late"])).days
    assert (day.due_today_count, day.overdue_count) == (1, 1)
    html = page.content.decode()
    assert day_loans["others"].reference not in html
    # A branch manager may see every officer's loans of the branch.
    everyone = client_for(lending.world.manager_a).get("/loans/day/?everyone=1")
    assert day_loans["others"].reference in everyone.content.decode()


def test_my_collections_are_grouped_by_locality_or_by_solidarity_group(
    lending: Lending, day_loans: dict[str, Loan]
) -> None:
    client = client_for(lending.officer)
    by_locality = client.get("/loans/day/").context["day"]
    # Neither borrower gave a locality: their district stands in for it.
    assert [place for place, _rows in by_locality.places] == ["Gyumri"]
    by_group = client.get("/loans/day/?by=group").context["day"]
    places = {place: [r.loan.pk for r in rows] for place, rows in by_group.places}
    assert places == {
        "Lori women": [day_loans["late"].pk],
        "Not in a group": [day_loans["due_today"].pk],
    }


def test_a_promise_to_pay_is_listed_until_its_day_then_the_loan_shows_the_promise_passed(
    lending: Lending, day_loans: dict[str, Loan], monkeypatch: pytest.MonkeyPatch
) -> None:
    today = timezone.localdate()
    late = day_loans["late"]
    client = client_for(lending.officer)
    response = client.post(
        f"/loans/day/loans/{late.pk}/follow-up/",
        {
            "note": "Harvest sold next week",
            "promised_on": today.isoformat(),
            "promised_amount": "50",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/loans/day/"
    note = FollowUp.objects.get(loan=late)
    assert (note.promised_on, note.promised_amount, note.by) == (today, D(50), lending.officer)
    day = client.get("/loans/day/").context["day"]
    assert [row.loan.pk for row in day.promises_coming] == [late.pk]
    assert day.promises_passed == []
    tomorrow = today + datetime.timedelta(days=1)
    monkeypatch.setattr(officer_views, "_today", lambda: tomorrow)
    page = client.get("/loans/day/")
    passed = page.context["day"].promises_passed
    assert [row.loan.pk for row in passed] == [late.pk]
    assert passed[0].note == "Harvest sold next week"
    assert 'id="promises-passed"' in page.content.decode()


def test_a_promise_paid_in_full_is_no_longer_a_promise_passed(
    lending: Lending, day_loans: dict[str, Loan]
) -> None:
    today = timezone.localdate()
    late = day_loans["late"]
    actions.follow_up(lending.officer, late, note="Will pay", promised_on=today)
    actions.record_repayment(
        lending.officer, late, amount=unpaid(late, due_date__lte=today), value_date=today,
        reference="caught-up",
    )  # fmt: skip
    day = officer_day(lending.officer, today + datetime.timedelta(days=1))
    assert late.pk not in [row.loan.pk for row in day.promises_passed]


def test_a_follow_up_without_a_note_or_with_a_past_promise_writes_nothing(
    lending: Lending, day_loans: dict[str, Loan]
) -> None:
    late = day_loans["late"]
    client = client_for(lending.officer)
    empty = client.post(f"/loans/day/loans/{late.pk}/follow-up/", {"note": ""})
    assert "note" in empty.context["form"].errors
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    past = client.post(
        f"/loans/day/loans/{late.pk}/follow-up/",
        {"note": "Promised", "promised_on": yesterday.isoformat()},
    )
    assert "A promise to pay is for a date to come." in past.content.decode()
    no_date = client.post(
        f"/loans/day/loans/{late.pk}/follow-up/", {"note": "Promised", "promised_amount": "10"}
    )
    assert "promised_on" in no_date.context["form"].errors
    assert not FollowUp.objects.exists()


def test_a_loan_of_another_branch_cannot_be_followed_up(
    lending: Lending, day_loans: dict[str, Loan]
) -> None:
    other = client_for(lending.world.loan_officer_b)
    late = day_loans["late"]
    assert other.get(f"/loans/day/loans/{late.pk}/follow-up/").status_code == 404
    assert other.post(f"/loans/day/loans/{late.pk}/follow-up/", {"note": "x"}).status_code == 404
    assert late.reference not in other.get("/loans/day/").content.decode()
    assert not FollowUp.objects.exists()


def test_a_trainer_has_no_collections_page(lending: Lending) -> None:
    from tandir.orgs.models import Role
    from tests.factories import make_user

    trainer = make_user(lending.world.org, Role.TRAINER, [lending.world.branch_a], "trainer")
    assert client_for(trainer).get("/loans/day/").status_code == 403


def test_the_home_page_summarises_a_loan_officers_day(
    lending: Lending, day_loans: dict[str, Loan], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tandir.web import views

    monkeypatch.setattr(views, "_today", officer_views._today)
    page = client_for(lending.officer).get("/")
    tiles = {tile["label"]: tile["value"] for tile in page.context["collections"]}
    assert tiles == {"Due today": 1, "Late loans": 1, "Promises to pay passed": 0}
    assert 'href="/loans/day/"' in page.content.decode()
    # Other roles' home pages are unchanged.
    assert client_for(lending.world.intake_a).get("/").context["collections"] == []


def test_my_collections_make_a_fixed_number_of_queries(
    lending: Lending, day_loans: dict[str, Loan], django_assert_num_queries: Any
) -> None:
    client = client_for(lending.officer)
    client.get("/loans/day/")
    for n in range(3, 7):
        person = borrower(lending, n)
        loan = loan_for(lending, person)
        actions.follow_up(lending.officer, loan, note=f"Visited {n}")
    # Session, user, then the officer's loans with their dues and last notes in one query.
    with django_assert_num_queries(3):
        page = client.get("/loans/day/?by=group")
    assert len(page.context["day"].collections) == 6
