"""Test data of the scheduler: accountants to run close of business as, and jobs of our own
that stand in for tandir.cob's `close_business` (same signature, same right checked)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tandir.core.errors import NotAllowed
from tandir.orgs.models import Organization, Role, StaffUser
from tandir.orgs.roles import Right, has_right
from tests.factories import World, make_user

FAKE_JOB = "tests.jobs.factories.close_business"
FAILING_JOB = "tests.jobs.factories.failing_close_business"
REFUSING_JOB = "tests.jobs.factories.refusing_close_business"

# The business days each organisation has closed with the stand-in job, in the order closed.
CLOSED: dict[int, list[datetime.date]] = {}
CALLS: list[dict[str, Any]] = []
FIRST_DAY = datetime.date(2026, 11, 25)


@dataclass(frozen=True)
class ClosedDay:
    """What close of business returns for each date (tandir.cob's CobRun has these too)."""

    organization_id: int
    business_date: datetime.date
    status: str = "finished"


def accountant(world: World, organization: Organization | None = None) -> StaffUser:
    organization = organization or world.org
    return make_user(organization, Role.ACCOUNTANT, [], f"accountant-{organization.pk}")


def reset() -> None:
    CLOSED.clear()
    CALLS.clear()


def close_business(
    officer: StaffUser,
    organization: Organization,
    *,
    through: datetime.date,
    progress: Callable[[int, int], None] | None = None,
) -> list[ClosedDay]:
    """Close every missing day from the last closed one (or FIRST_DAY) through `through`, in
    order, like close of business does; a finished day is not closed again."""
    CALLS.append({"officer": officer.username, "organization": organization.pk, "through": through})
    if not has_right(officer, Right.RUN_CLOSE_OF_BUSINESS):
        raise NotAllowed("Your role does not allow this.")
    closed = CLOSED.setdefault(organization.pk, [])
    day = closed[-1] + datetime.timedelta(days=1) if closed else FIRST_DAY
    days = []
    while day <= through:
        days.append(day)
        day += datetime.timedelta(days=1)
    for number, day in enumerate(days, start=1):
        closed.append(day)
        if progress is not None:
            progress(number, len(days))
    return [ClosedDay(organization.pk, day) for day in days]


def failing_close_business(
    officer: StaffUser,
    organization: Organization,
    *,
    through: datetime.date,
    progress: Callable[[int, int], None] | None = None,
) -> list[ClosedDay]:
    CALLS.append({"officer": officer.username, "organization": organization.pk, "through": through})
    raise RuntimeError("the database went away")


def refusing_close_business(
    officer: StaffUser,
    organization: Organization,
    *,
    through: datetime.date,
    progress: Callable[[int, int], None] | None = None,
) -> list[ClosedDay]:
    CALLS.append({"officer": officer.username, "organization": organization.pk, "through": through})
    raise NotAllowed("Your role does not allow this.")
