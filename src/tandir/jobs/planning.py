"""When a close of business is due: pure date and time-zone arithmetic, no database.

An organisation closes its business day at a local time of day (01:30, say) in its own time
zone. From that moment its yesterday may be closed; before it, only the day before yesterday.
Wall-clock times are compared in the organisation's zone, so a daylight-saving change moves
the instant but never skips or repeats a business date: in a spring-forward gap the run comes
at the first instant after the gap, and in a repeated autumn hour the first pass queues the
date and the second finds it queued.
"""

from __future__ import annotations

import datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.core import get_global

ONE_DAY = datetime.timedelta(days=1)


@cache
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    if name not in time_zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def country_time_zones(country_code: str) -> list[str]:
    """The IANA zones of a country (CLDR's list), those this machine knows."""
    zones = get_global("territory_zones").get((country_code or "").upper(), [])
    return [zone for zone in zones if is_time_zone(zone)]


def default_time_zone(country_code: str | None, fallback: str = "UTC") -> str:
    """A country's time zone when it has only one (Armenia, Azerbaijan, Pakistan); otherwise
    the fallback, for the administrator to choose among the country's zones."""
    zones = country_time_zones(country_code or "")
    return zones[0] if len(zones) == 1 else fallback


def due_through(now: datetime.datetime, run_at: datetime.time, time_zone: str) -> datetime.date:
    """The last business date that may be closed at `now` (an aware moment)."""
    local = now.astimezone(ZoneInfo(time_zone))
    passed = local.replace(tzinfo=None).time() >= run_at
    return local.date() - (ONE_DAY if passed else 2 * ONE_DAY)


def local_yesterday(now: datetime.datetime, time_zone: str) -> datetime.date:
    """The day before today where the organisation is."""
    return now.astimezone(ZoneInfo(time_zone)).date() - ONE_DAY


def local_moment(day: datetime.date, run_at: datetime.time, time_zone: str) -> datetime.datetime:
    """The first instant at which the wall clock of the zone reads `run_at` or later on `day`,
    in UTC. For a wall time in a spring-forward gap that is the end of the gap."""
    zone = ZoneInfo(time_zone)
    moment = datetime.datetime.combine(day, run_at, tzinfo=zone).astimezone(datetime.UTC)
    minute = datetime.timedelta(minutes=1)

    def passed(instant: datetime.datetime) -> bool:
        wall = instant.astimezone(zone).replace(tzinfo=None)
        return wall >= datetime.datetime.combine(day, run_at)

    # In a gap, zoneinfo reads the wall time with the offset before the change, which lands
    # after the gap's end by as much as the wall time lies inside the gap: walk back to it.
    while passed(moment - minute):
        moment -= minute
    return moment


def next_look(now: datetime.datetime, every_minutes: int) -> datetime.datetime:
    """The scheduler looks at whole multiples of `every_minutes` after the hour (UTC)."""
    start = now.astimezone(datetime.UTC).replace(second=0, microsecond=0)
    minutes = start.minute % every_minutes
    look = start - datetime.timedelta(minutes=minutes)
    if look < now:
        look += datetime.timedelta(minutes=every_minutes)
    return look


def next_run(
    now: datetime.datetime,
    run_at: datetime.time,
    time_zone: str,
    done_through: datetime.date | None,
    *,
    every_minutes: int,
) -> tuple[datetime.datetime, datetime.date]:
    """When the scheduler will next queue a close of business, and through which date.

    `done_through` is the last date closed or already queued. If a date is due now, the next
    look of the scheduler queues it; otherwise the first moment the next date falls due.
    """
    due = due_through(now, run_at, time_zone)
    if done_through is None or due > done_through:
        return next_look(now, every_minutes), due
    # Date d may be closed from run_at on the day after it.
    target = done_through + ONE_DAY
    moment = local_moment(target + ONE_DAY, run_at, time_zone)
    return next_look(max(moment, now), every_minutes), target
