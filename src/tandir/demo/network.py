"""The demo network's view: each member of the demo network publishes its anonymised figures for
a few past month-ends and for its last closed business date, as its M&E officer would.

Run after close of business (the demo closes the last 31 days only): the last closed date and
the month-end inside that month read the snapshots; the earlier month-ends are recomputed from
the records by the portfolio report, which says so.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from tandir.cob.actions import last_closed
from tandir.orgs.models import Organization, OrganizationKind, StaffUser
from tandir.orgs.roles import Right, has_right
from tandir.reports.actions import publish_network_figures

NETWORK_NAME = "South Caucasus Microfinance Network"


def month_ends_before(day: datetime.date, count: int) -> list[datetime.date]:
    """The last days of the `count` months before `day`'s month, oldest first."""
    ends = []
    end = day.replace(day=1) - datetime.timedelta(days=1)
    for _i in range(count):
        ends.append(end)
        end = end.replace(day=1) - datetime.timedelta(days=1)
    return sorted(ends)


def _publisher(organization: Organization) -> StaffUser | None:
    for user in StaffUser.objects.filter(organization=organization, is_active=True).order_by(
        "role", "pk"
    ):
        if has_right(user, Right.SHARE_WITH_NETWORK):
            return user
    return None


def load_network(*, network_name: str = NETWORK_NAME, months: int = 3) -> int:
    """Publish every member's figures of the `months` month-ends before its last closed date,
    and of that date, to the demo network. Returns the number of figures written."""
    network = Organization.objects.filter(name=network_name, kind=OrganizationKind.NETWORK).first()
    if network is None:
        return 0
    written = 0
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    for member in Organization.objects.filter(networks=network).order_by("name"):
        user = _publisher(member)
        if user is None:
            continue
        closed = last_closed(member) or yesterday
        for day in [*month_ends_before(closed, months), closed]:
            written += publish_network_figures(user, member, as_of=day, network=network)
    return written
