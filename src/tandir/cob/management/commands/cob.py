"""`tandir cob --date DATE | --through DATE [--organization NAME] [--as USERNAME]`: close of
business for one business date, or every date not closed yet through a date, in order."""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils.translation import gettext as _
from tqdm import tqdm

from tandir.cob.actions import close_business, close_day
from tandir.core.audit import channel
from tandir.core.errors import TandirError
from tandir.lending.models import Loan
from tandir.orgs.models import Organization, StaffUser


def _date(option: str, text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("%(option)s: not a date (YYYY-MM-DD): %(value)s") % {"option": option, "value": text}
        ) from None


def _organizations(name: str | None) -> list[Organization]:
    if not name:
        lending = Loan.objects.filter(disbursed_on__isnull=False).values("organization_id")
        return list(Organization.objects.filter(pk__in=lending).order_by("pk"))
    found = list(Organization.objects.filter(Q(short_name__iexact=name) | Q(name__iexact=name))[:2])
    if len(found) != 1:
        raise CommandError(
            _("No single organisation is called %(name)s.") % {"name": name}
            if found
            else _("No organisation %(name)s.") % {"name": name}
        )
    return found


def _runner(username: str | None) -> StaffUser:
    """The person the runs are recorded as: `--as`, or the platform's first superuser."""
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


class Command(BaseCommand):
    help = _(
        "Close business dates: penalties, days past due and arrears, accruals and the daily "
        "portfolio snapshot, for every lending organisation or one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        when = parser.add_mutually_exclusive_group(required=True)
        when.add_argument("--date", help=_("close this one date (YYYY-MM-DD)"))
        when.add_argument("--through", help=_("close every date not closed yet through this one"))
        parser.add_argument("--organization", help=_("the organisation's short name or name"))
        parser.add_argument("--as", dest="username", help=_("the user the runs are recorded as"))
        parser.add_argument("--no-progress", action="store_true", help=_("no progress bar"))

    def handle(self, *args: Any, **options: Any) -> None:
        officer = _runner(options["username"])
        for organization in _organizations(options["organization"]):
            started = time.monotonic()
            try:
                with channel("cli"):
                    if options["date"]:
                        runs = [
                            close_day(officer, organization, on=_date("--date", options["date"]))
                        ]
                    else:
                        runs = self._through(officer, organization, options)
            except TandirError as refused:
                raise CommandError(f"{organization}: {refused.message}") from refused
            self.stdout.write(
                _("%(organization)s: %(days)d business dates closed in %(seconds).1f s.")
                % {
                    "organization": organization,
                    "days": len(runs),
                    "seconds": time.monotonic() - started,
                }
            )

    def _through(
        self, officer: StaffUser, organization: Organization, options: dict[str, Any]
    ) -> list[Any]:
        through = _date("--through", options["through"])
        with tqdm(
            desc=str(organization),
            unit=_("day"),
            disable=options["no_progress"],
            file=self.stderr._out,
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            return close_business(officer, organization, through=through, progress=progress)
