"""The portfolio-quality page: figures with their definitions, the source, the breakdown, the
loans behind PAR30 for roles that see records, the XLSX; rights and branch scope."""

from __future__ import annotations

import io
from decimal import Decimal as D
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tandir.orgs.models import Role, StaffUser
from tests.factories import World, make_user
from tests.reports.portfolio_factories import (
    AS_OF,
    Book,
    build_book,
    close_through,
    outstanding,
)

PAGE = reverse("reports:portfolio")
QUERY = {"as_of": "2026-01-15", "date_from": "2026-01-01"}


@pytest.fixture
def book(world: World) -> Book:
    return build_book(world)


def login(user: StaffUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode()).replace("\u00a0", " ").replace("\u202f", " ")


def section(text: str, marker: str) -> str:
    return text.split(marker, 1)[1].split("</tr>", 1)[0]


def test_the_m_and_e_officer_sees_every_figure_with_its_definition_and_source(
    book: Book, django_assert_num_queries: Any
) -> None:
    close_through(book.lending, AS_OF)
    client = login(book.world.me_officer)
    client.get(PAGE, QUERY)  # the session and the translations are loaded once
    # Session and user; the date's run, the day before's run; the two snapshot sums; the
    # three repayment-rate queries (due, paid late, written off); the branch breakdown: its
    # run, its sums, its labels.
    with django_assert_num_queries(13):
        response = client.get(PAGE, {**QUERY, "dimension": "branch"})
    text = text_of(response)
    assert "Read from the daily snapshots" in text
    par30 = section(text, 'id="USD-par_30"')
    assert "Portfolio at risk, 30 days" in par30
    assert "plus all renegotiated loans" in par30  # the definition beside the figure
    written_off = section(text, 'id="USD-written_off_in_period"')
    assert "$1,000.00" in written_off
    # The written-off loan is not in the portfolio: 1,000 + 925.44 + the rescheduled loan.
    glp = D("1925.44") + outstanding(book.rescheduled)
    assert f"${glp:,.2f}" in section(text, 'id="USD-gross_loan_portfolio"')
    assert 'id="portfolio-breakdown"' in text and "Branch A" in text
    assert 'id="portfolio-at-risk"' in text


def test_a_date_not_closed_says_it_was_recomputed(book: Book) -> None:
    text = text_of(login(book.world.me_officer).get(PAGE, QUERY))
    assert "is not closed: every loan was recomputed" in text
    assert 'id="USD-gross_loan_portfolio"' in text


def test_a_branch_manager_sees_only_the_loans_of_their_branches(book: Book) -> None:
    close_through(book.lending, AS_OF)
    manager_b = make_user(book.world.org, Role.BRANCH_MANAGER, [book.world.branch_b], "mgr_b")
    text = text_of(login(manager_b).get(PAGE, QUERY))
    assert 'id="USD-gross_loan_portfolio"' not in text  # branch B lends nothing
    text = text_of(login(book.world.manager_a).get(PAGE, QUERY))
    assert 'id="USD-gross_loan_portfolio"' in text
    listed = text_of(login(manager_b).get(reverse("reports:portfolio_at_risk"), QUERY))
    assert book.late.reference not in listed


def test_the_loans_behind_par30_link_to_their_pages(
    book: Book, django_assert_num_queries: Any
) -> None:
    close_through(book.lending, AS_OF)
    client = login(book.lending.committee)
    client.get(reverse("reports:portfolio_at_risk"), QUERY)
    # Session, user and organisation; the date's run; the day's snapshots at risk with their
    # loans and branches.
    with django_assert_num_queries(5):
        response = client.get(reverse("reports:portfolio_at_risk"), QUERY)
    text = text_of(response)
    assert reverse("lending:detail", args=[book.late.pk]) in text
    assert reverse("lending:detail", args=[book.rescheduled.pk]) in text  # renegotiated
    assert book.current.reference not in text and book.written_off.reference not in text
    assert "Read from the daily snapshots" in text


def test_roles_without_the_right_are_refused(book: Book) -> None:
    for user in (book.world.loan_officer_a, book.world.intake_a, book.world.analyst):
        assert login(user).get(PAGE, QUERY).status_code == 403
        assert login(user).get(reverse("reports:portfolio_at_risk"), QUERY).status_code == 403


def test_a_future_date_is_refused_by_the_form(book: Book) -> None:
    text = text_of(login(book.world.me_officer).get(PAGE, {"as_of": "2099-01-01"}))
    assert "A report is of a date that has come." in text


def test_the_xlsx_holds_the_page_table(book: Book) -> None:
    response = login(book.world.me_officer).get(
        reverse("reports:portfolio_xlsx"), {**QUERY, "dimension": "sector"}
    )
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["Indicators"]
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert rows[2][:3] == ("Currency", "Indicator", "Value")
    labels = [row[1] for row in rows[3:]]
    assert "Portfolio at risk, 30 days" in labels and "Written off in the period" in labels
    breakdown = [tuple(c.value for c in row) for row in workbook["Breakdown"].iter_rows()]
    assert breakdown[1][0] == "Crafts"


def test_the_xlsx_holds_numbers_with_number_formats(book: Book) -> None:
    response = login(book.world.me_officer).get(reverse("reports:portfolio_xlsx"), QUERY)
    sheet = load_workbook(io.BytesIO(response.content))["Indicators"]
    by_label = {row[1].value: row for row in sheet.iter_rows(min_row=4)}
    glp = by_label["Gross loan portfolio"][2]
    assert isinstance(glp.value, float) and glp.value > 0 and glp.number_format == "#,##0.00"
    loans = by_label["Active loans"][2]
    assert isinstance(loans.value, int) and loans.number_format == "#,##0"
    par30 = by_label["Portfolio at risk, 30 days"]
    assert par30[2].number_format == "0.00%" and 0 < par30[2].value < 1
    # The ratio is its numerator over its denominator, the cells as the page shows them.
    assert par30[2].value == pytest.approx(par30[3].value / par30[4].value)
    assert par30[4].value == glp.value


def test_protected_target_groups_are_shown_only_to_roles_that_see_them(book: Book) -> None:
    query = {**QUERY, "dimension": "target_group"}
    text = text_of(login(book.world.me_officer).get(PAGE, query))
    assert "Refugee" in text and "Victim of trafficking" in text
    text = text_of(login(book.lending.committee).get(PAGE, query))
    assert "Refugee" in text and "Victim of trafficking" not in text
