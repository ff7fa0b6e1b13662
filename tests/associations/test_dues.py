"""Dues arithmetic without the database: the periods a member owes and how far behind they are."""

from __future__ import annotations

import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tandir.associations.dues import (
    period_index,
    period_start,
    periods_behind,
    periods_owed,
    standing,
)

D = Decimal
days = st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2030, 12, 31))
periods = st.sampled_from(["monthly", "quarterly", "yearly"])


def test_a_member_who_joined_mid_month_owes_that_month_and_each_one_begun_since() -> None:
    owed = periods_owed(
        joined_on=datetime.date(2026, 1, 20),
        left_on=None,
        dues_since=datetime.date(2026, 1, 1),
        as_of=datetime.date(2026, 3, 1),
        period="monthly",
    )
    assert owed == 3  # January, February and March (begun on the 1st)


def test_quarters_and_years_are_calendar_periods() -> None:
    since = datetime.date(2025, 11, 5)
    quarterly = periods_owed(
        joined_on=datetime.date(2025, 12, 31), left_on=None, dues_since=since,
        as_of=datetime.date(2026, 4, 1), period="quarterly",
    )  # fmt: skip
    yearly = periods_owed(
        joined_on=datetime.date(2025, 12, 31), left_on=None, dues_since=since,
        as_of=datetime.date(2026, 4, 1), period="yearly",
    )  # fmt: skip
    assert (quarterly, yearly) == (3, 2)  # Q4 2025, Q1 and Q2 2026; 2025 and 2026


def test_nothing_is_owed_after_leaving_or_before_dues_began() -> None:
    assert (
        periods_owed(
            joined_on=datetime.date(2026, 1, 1),
            left_on=datetime.date(2026, 2, 10),
            dues_since=datetime.date(2026, 1, 1),
            as_of=datetime.date(2026, 12, 1),
            period="monthly",
        )
        == 2
    )
    assert (
        periods_owed(
            joined_on=datetime.date(2026, 1, 1),
            left_on=datetime.date(2026, 2, 10),
            dues_since=datetime.date(2026, 3, 1),
            as_of=datetime.date(2026, 12, 1),
            period="monthly",
        )
        == 0
    )


def test_a_part_paid_period_counts_as_one_behind() -> None:
    found = standing(amount=D("1500"), periods=3, paid=D("2000"))
    assert (found.owed, found.behind, found.ahead) == (D("4500"), D("2500"), D(0))
    assert periods_behind(found, D("1500")) == 2
    paid_ahead = standing(amount=D("1500"), periods=1, paid=D("3000"))
    assert (paid_ahead.behind, paid_ahead.ahead, paid_ahead.is_behind) == (D(0), D(1500), False)
    assert periods_behind(paid_ahead, D("1500")) == 0


@given(days, periods)
def test_a_day_falls_in_the_period_that_starts_on_or_before_it(
    day: datetime.date, period: str
) -> None:
    start = period_start(day, period)
    assert start <= day
    assert period_index(start, period) == period_index(day, period)
    assert start.day == 1


@given(days, days, days, periods, st.integers(min_value=1, max_value=400))
def test_periods_owed_grow_one_at_a_time_and_never_go_negative(
    joined: datetime.date, since: datetime.date, as_of: datetime.date, period: str, step: int
) -> None:
    owed = periods_owed(
        joined_on=joined, left_on=None, dues_since=since, as_of=as_of, period=period
    )
    later = periods_owed(
        joined_on=joined,
        left_on=None,
        dues_since=since,
        as_of=as_of + datetime.timedelta(days=step),
        period=period,
    )
    assert owed >= 0
    assert later >= owed
    # A year holds exactly 12 months, 4 quarters or 1 year.
    per_year = {"monthly": 12, "quarterly": 4, "yearly": 1}[period]
    assert later - owed <= per_year * (step // 365 + 1)


@given(
    st.integers(min_value=0, max_value=60),
    st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2),
    st.decimals(min_value=D("0"), max_value=D("10000000"), places=2),
)
def test_behind_plus_paid_covers_what_is_owed_exactly(
    count: int, amount: Decimal, paid: Decimal
) -> None:
    found = standing(amount=amount, periods=count, paid=paid)
    assert found.owed == amount * count
    assert found.paid + found.behind - found.ahead == found.owed
    behind = periods_behind(found, amount)
    assert (behind - 1) * amount < found.behind <= behind * amount or behind == 0
    assert behind <= count
