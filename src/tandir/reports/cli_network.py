"""`tandir report network --network CODE --as-of DATE [--organization NAME] [--as USERNAME]`:
publish the members' anonymised figures of a date to a network.

Without `--organization`, every member of the network that shares with it publishes (which
takes the platform operator, the default `--as`); with it, that member only, as a user of the
member holding SHARE_WITH_NETWORK (or the operator).
"""

from __future__ import annotations

import datetime
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils.translation import gettext as _

from tandir.core.audit import channel
from tandir.core.errors import TandirError
from tandir.orgs.models import Organization, OrganizationKind, StaffUser
from tandir.reports.actions import publish_network_figures

HELP = "publish the members' anonymised figures of a date to a network"


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--network", required=True, help="the network's short name or name")
    parser.add_argument("--as-of", dest="as_of", required=True, help="YYYY-MM-DD")
    parser.add_argument(
        "--organization", help="one member's short name or name (default: every member)"
    )
    parser.add_argument(
        "--as", dest="username", help="the user publishing (default: the platform operator)"
    )


def _one(kind: str | None, name: str) -> Organization:
    found = Organization.objects.filter(Q(short_name__iexact=name) | Q(name__iexact=name))
    if kind:
        found = found.filter(kind=kind)
    matches = list(found[:2])
    if len(matches) != 1:
        raise CommandError(_("No single organisation is called %(name)s.") % {"name": name})
    return matches[0]


def _user(username: str | None) -> StaffUser:
    users = StaffUser.objects.filter(is_active=True)
    user = (
        users.filter(username=username).first()
        if username
        else users.filter(is_superuser=True, organization=None).order_by("pk").first()
    )
    if user is None:
        raise CommandError(
            _("No active user %(name)s.") % {"name": username}
            if username
            else _("No platform administrator to run as: give --as USERNAME.")
        )
    return user


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    try:
        as_of = datetime.date.fromisoformat(options["as_of"])
    except ValueError:
        raise CommandError(
            _("--as-of: not a date (YYYY-MM-DD): %(value)s") % {"value": options["as_of"]}
        ) from None
    network = _one(OrganizationKind.NETWORK, options["network"])
    user = _user(options.get("username"))
    if options.get("organization"):
        members = [_one(None, options["organization"])]
        if not members[0].networks.filter(pk=network.pk).exists():
            raise CommandError(
                _("%(member)s is not a member of %(network)s.")
                % {"member": members[0], "network": network}
            )
    else:
        members = list(Organization.objects.filter(networks=network).order_by("name"))
    total = 0
    for member in members:
        try:
            with channel("cli"):
                written = publish_network_figures(user, member, as_of=as_of, network=network)
        except TandirError as refused:
            raise CommandError(f"{member}: {refused.message}") from refused
        total += written
        command.stdout.write(
            _("%(member)s: %(count)d figures published for %(date)s.")
            % {"member": member, "count": written, "date": as_of.isoformat()}
        )
    command.stdout.write(_("%(count)d figures in all.") % {"count": total})
