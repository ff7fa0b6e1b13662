"""The dashboard: sections by role, scope by branch, figures worked out by hand from the small
portfolio of `test_network_helpers`, charts drawn, and query counts pinned."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tandir.impact import actions as impact_actions
from tandir.orgs.models import Role
from tandir.reports.charts import bar_chart, funnel, line_chart
from tandir.reports.dashboards import dashboard, month_starts, trend_dates
from tests.factories import PASSWORD, World, make_user
from tests.reports.test_network_helpers import (
    DECEMBER_END,
    JANUARY_END,
    NOVEMBER_END,
    Portfolio,
    build_portfolio,
)

D = Decimal
TODAY = datetime.date(2026, 1, 31)


@pytest.fixture
def portfolio(world: World) -> Portfolio:
    return build_portfolio(world)


def logged_in(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


# --- Pure parts -----------------------------------------------------------------------------


def test_the_trend_reads_twelve_month_ends_and_the_last_closed_date() -> None:
    dates = trend_dates(datetime.date(2026, 3, 10))
    assert dates[0] == datetime.date(2025, 3, 31)
    assert dates[-2:] == [datetime.date(2026, 2, 28), datetime.date(2026, 3, 10)]
    assert len(dates) == 13
    # A month-end closed is the last point once, after the twelve before its month.
    assert trend_dates(JANUARY_END)[-2:] == [DECEMBER_END, JANUARY_END]
    assert month_starts(datetime.date(2026, 1, 31))[:2] == [
        datetime.date(2025, 2, 1),
        datetime.date(2025, 3, 1),
    ]
    assert len(month_starts(datetime.date(2026, 1, 31))) == 12
    # A close lagging behind: the year up to it, and the months since.
    lagging = month_starts(datetime.date(2026, 12, 2), since=JANUARY_END)
    assert (lagging[0], lagging[-1], len(lagging)) == (
        datetime.date(2025, 2, 1),
        datetime.date(2026, 12, 1),
        23,
    )


def test_charts_place_their_shapes_in_proportion() -> None:
    line = line_chart(["a", "b", "c"], {"x": [D(50), None, D(100)]})
    (drawn,) = line.lines
    assert [p.label for p in drawn.points] == ["50", "100"]  # the gap is left out
    assert drawn.points[0].y > drawn.points[1].y  # higher value, higher on the page
    base = line.axes.base
    assert base - drawn.points[0].y == pytest.approx((base - drawn.points[1].y) / 2, abs=0.2)
    stacked = bar_chart(["m"], {"s1": [D(1)], "s2": [D(3)]}, stacked=True)
    low, high = stacked.columns[0].bars
    assert high.height == pytest.approx(3 * low.height, abs=0.2)
    assert high.y + high.height == pytest.approx(low.y, abs=0.1)  # stacked on top
    steps = funnel([("registered", 10), ("trained", 5), ("loan", 0)]).steps
    assert [s.share for s in steps] == ["100%", "50%", "0%"]
    assert steps[1].width == pytest.approx(steps[0].width / 2, abs=0.1)
    assert not funnel([("registered", 0)]).drawn


# --- The figures ----------------------------------------------------------------------------


def test_the_m_e_officer_s_dashboard_worked_out_by_hand(portfolio: Portfolio) -> None:
    board = dashboard(portfolio.world.me_officer, TODAY)
    assert board.branch_ids is None and board.last_closed == JANUARY_END
    assert board.sections == ["portfolio", "disbursements", "funnel", "impact"]
    (usd,) = board.trends
    points = {p.day: p for p in usd.points if p.gross_loan_portfolio is not None}
    # Nothing repaid: 9,000 outstanding on each date; 16 days late on 31 December, 47 on
    # 31 January, so PAR30 goes from 0 to the whole portfolio.
    assert list(points) == [NOVEMBER_END, DECEMBER_END, JANUARY_END]
    assert {p.gross_loan_portfolio for p in points.values()} == {D("9000.00")}
    assert [points[d].par30 for d in (NOVEMBER_END, DECEMBER_END, JANUARY_END)] == [
        D("0.00"),
        D("0.00"),
        D("100.00"),
    ]
    (disbursed,) = board.disbursements
    assert (disbursed.currency, disbursed.total, disbursed.loans) == ("USD", D("9000"), 8)
    assert disbursed.sectors == ["crafts"]
    assert board.funnel is not None
    steps = [(str(label), n, women, youth) for label, n, women, youth in board.funnel.steps]
    assert steps == [
        ("Registered", 9, 7, 0),
        ("Completed training", 0, 0, 0),
        ("Business plan", 0, 0, 0),
        ("Loan disbursed", 8, 6, 0),
    ]
    assert board.impact is not None and board.impact.instrument is None


def test_impact_results_count_the_due_and_the_answers(portfolio: Portfolio) -> None:
    world = portfolio.world
    _baseline, _six, twelve = impact_actions.seed_instruments(world.me_officer, world.org)
    answers: dict[str, object] = {
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
    for n, who in enumerate(portfolio.women[:5]):
        impact_actions.record_response(
            world.me_officer,
            instrument=twelve,
            beneficiary=who,
            taken_on=datetime.date(2026, 11, 20),
            answers={
                **answers,
                "income_change": "better" if n < 4 else "same",
                "quality_of_life_change": "better" if n < 3 else "worse",
            },
        )
    board = dashboard(world.me_officer, datetime.date(2026, 11, 30))
    impact = board.impact
    assert impact is not None and impact.coverage is not None
    # Eight borrowers reach 12 months after their loan on 15 November 2026; five answered.
    assert (impact.coverage.due, impact.coverage.answered) == (8, 5)
    assert (impact.income_better, impact.income_answered) == (4, 5)
    assert impact.income_better_percent == D("80.00")
    assert impact.life_better_percent == D("60.00")


def test_a_branch_manager_sees_only_their_branches(portfolio: Portfolio) -> None:
    world = portfolio.world
    mine = dashboard(world.manager_a, TODAY)
    assert mine.branch_ids == [world.branch_a.pk] and mine.branch_names == ["Branch A"]
    assert mine.trends[0].points[-1].gross_loan_portfolio == D("9000.00")
    manager_b = make_user(world.org, Role.BRANCH_MANAGER, [world.branch_b], "manager_b")
    theirs = dashboard(manager_b, TODAY)
    assert theirs.trends == [] and theirs.disbursements == []
    assert theirs.funnel is not None and theirs.funnel.steps[0][1] == 0


def test_the_credit_committee_sees_the_portfolio_not_the_programme(portfolio: Portfolio) -> None:
    committee = portfolio.lending.committee
    board = dashboard(committee, TODAY)
    assert board.sections == ["portfolio", "disbursements"]
    assert board.funnel is None and board.impact is None and board.trends


# --- The page -------------------------------------------------------------------------------


def test_the_page_draws_its_charts_with_pinned_queries(
    portfolio: Portfolio, django_assert_num_queries: Any
) -> None:
    client = logged_in(portfolio.world.me_officer)
    client.get(reverse("reports:dashboard"))
    # Session, user and organisation, the last closed date, the trend, the disbursements, the
    # funnel (one count per step: four), the 12-month follow-up (none here: with one, its
    # coverage and answers add two).
    with django_assert_num_queries(11):
        response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    for section in ("portfolio-trend", "disbursements", "funnel", "impact"):
        assert f'id="{section}"' in page
    heights = [float(h) for h in re.findall(r'class="bar-shape"[^>]*height="([\d.]+)"', page)]
    assert heights and all(h > 0 for h in heights)
    assert re.search(r'<polyline class="trend" points="[\d., ]+"', page)
    assert 'class="funnel-step"' in page
    assert "<script" not in page.split("<main", 1)[1]  # the charts need no script


def test_who_gets_which_dashboard(portfolio: Portfolio) -> None:
    world = portfolio.world
    url = reverse("reports:dashboard")
    assert logged_in(world.loan_officer_a).get(url).status_code == 403
    assert logged_in(world.intake_a).get(url).status_code == 403
    response = logged_in(world.analyst).get(url)
    assert response.status_code == 302 and response["Location"] == reverse("reports:network")
    committee = logged_in(portfolio.lending.committee).get(url).content.decode()
    assert 'id="portfolio-trend"' in committee and 'id="funnel"' not in committee
    manager = logged_in(world.manager_a).get(url).content.decode()
    assert "Branch A" in manager and 'id="funnel"' in manager
    assert Client().get(url).status_code == 302  # to the login page
