"""When close of business is due, in each organisation's own time zone (no database)."""

from __future__ import annotations

import datetime

import pytest

from tandir.jobs.planning import (
    default_time_zone,
    due_through,
    local_moment,
    next_look,
    next_run,
)

UTC = datetime.UTC
HALF_PAST_ONE = datetime.time(1, 30)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_each_country_of_the_demo_gets_its_own_zone_by_default() -> None:
    assert default_time_zone("AM") == "Asia/Yerevan"
    assert default_time_zone("AZ") == "Asia/Baku"
    assert default_time_zone("PK") == "Asia/Karachi"
    # A country with several zones leaves the choice to the administrator.
    assert default_time_zone("US") == "UTC"
    assert default_time_zone(None, "Asia/Baku") == "Asia/Baku"


def test_karachi_is_due_an_hour_before_baku_and_yerevan() -> None:
    # 20:45 UTC is 01:45 in Karachi (UTC+5) but 00:45 in Baku and Yerevan (UTC+4).
    now = utc(2026, 12, 1, 20, 45)
    assert due_through(now, HALF_PAST_ONE, "Asia/Karachi") == datetime.date(2026, 12, 1)
    assert due_through(now, HALF_PAST_ONE, "Asia/Baku") == datetime.date(2026, 11, 30)
    assert due_through(now, HALF_PAST_ONE, "Asia/Yerevan") == datetime.date(2026, 11, 30)
    # An hour later all three may close 1 December.
    later = utc(2026, 12, 1, 21, 45)
    for zone in ("Asia/Karachi", "Asia/Baku", "Asia/Yerevan"):
        assert due_through(later, HALF_PAST_ONE, zone) == datetime.date(2026, 12, 1)


def test_the_local_hour_itself_counts_as_passed() -> None:
    assert due_through(utc(2026, 12, 1, 20, 30), HALF_PAST_ONE, "Asia/Karachi") == (
        datetime.date(2026, 12, 1)
    )
    assert due_through(utc(2026, 12, 1, 20, 29, 59), HALF_PAST_ONE, "Asia/Karachi") == (
        datetime.date(2026, 11, 30)
    )


def test_a_spring_forward_gap_delays_the_run_to_the_gap_end_and_skips_no_date() -> None:
    # New York, 8 March 2026: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist that night.
    zone, at = "America/New_York", datetime.time(2, 30)
    assert local_moment(datetime.date(2026, 3, 8), at, zone) == utc(2026, 3, 8, 7, 0)
    assert due_through(utc(2026, 3, 8, 6, 59), at, zone) == datetime.date(2026, 3, 6)
    assert due_through(utc(2026, 3, 8, 7, 0), at, zone) == datetime.date(2026, 3, 7)
    # The next night it is 02:30 EDT again.
    assert local_moment(datetime.date(2026, 3, 9), at, zone) == utc(2026, 3, 9, 6, 30)


def test_a_repeated_autumn_hour_is_due_at_its_first_pass() -> None:
    # Berlin, 25 October 2026: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    zone, at = "Europe/Berlin", datetime.time(2, 30)
    first = local_moment(datetime.date(2026, 10, 25), at, zone)
    assert first == utc(2026, 10, 25, 0, 30)
    assert due_through(first, at, zone) == datetime.date(2026, 10, 24)
    # At the second 02:30 (01:30 UTC) the due date is the same: nothing new to queue.
    assert due_through(utc(2026, 10, 25, 1, 30), at, zone) == datetime.date(2026, 10, 24)
    assert due_through(utc(2026, 10, 25, 0, 29), at, zone) == datetime.date(2026, 10, 23)


@pytest.mark.parametrize(
    ("now", "look"),
    [
        (utc(2026, 12, 1, 20, 0), utc(2026, 12, 1, 20, 0)),
        (utc(2026, 12, 1, 20, 0, 1), utc(2026, 12, 1, 20, 15)),
        (utc(2026, 12, 1, 23, 50), utc(2026, 12, 2, 0, 0)),
    ],
)
def test_the_scheduler_looks_on_the_quarter_hour(
    now: datetime.datetime, look: datetime.datetime
) -> None:
    assert next_look(now, 15) == look


def test_the_next_run_is_the_next_look_when_a_date_is_due() -> None:
    now = utc(2026, 12, 1, 20, 40)  # 01:40 in Karachi
    at, through = next_run(
        now, HALF_PAST_ONE, "Asia/Karachi", datetime.date(2026, 11, 30), every_minutes=15
    )
    assert (at, through) == (utc(2026, 12, 1, 20, 45), datetime.date(2026, 12, 1))


def test_the_next_run_after_a_closed_night_is_tomorrow_at_the_local_hour() -> None:
    now = utc(2026, 12, 1, 21, 0)  # 02:00 on 2 December in Karachi, 1 December closed
    at, through = next_run(
        now, HALF_PAST_ONE, "Asia/Karachi", datetime.date(2026, 12, 1), every_minutes=15
    )
    # 01:30 on 3 December in Karachi is 20:30 UTC on 2 December.
    assert (at, through) == (utc(2026, 12, 2, 20, 30), datetime.date(2026, 12, 2))
    # Baku's 01:30 is an hour later in UTC.
    at, _ = next_run(now, HALF_PAST_ONE, "Asia/Baku", datetime.date(2026, 12, 1), every_minutes=15)
    assert at == utc(2026, 12, 2, 21, 30)


def test_a_schedule_that_never_ran_runs_at_the_next_look() -> None:
    now = utc(2026, 12, 1, 10, 7)
    at, through = next_run(now, HALF_PAST_ONE, "Asia/Yerevan", None, every_minutes=15)
    assert (at, through) == (utc(2026, 12, 1, 10, 15), datetime.date(2026, 11, 30))
