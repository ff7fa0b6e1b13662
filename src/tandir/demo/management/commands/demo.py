"""`tandir demo`: migrate, load the demo programme into an empty database, print the logins."""

from __future__ import annotations

import time
from itertools import groupby
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from tandir.demo.loader import DEMO_PASSWORD, HISTORY_ENDS, DemoLogin, demo_logins, load_demo
from tandir.orgs.models import Organization, Role
from tandir.web.management.commands.serve import add_server_arguments, run_server, site_url


class Command(BaseCommand):
    help = _(
        "Create or update the database, load the demo programme if it has no organisations yet, "
        "and print the demo logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--serve", action="store_true", help=_("then serve Tandir"))
        add_server_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        self._compile_translations()
        call_command("migrate", verbosity=0, interactive=False)
        loaded = False
        if Organization.objects.exists():
            self.stdout.write(
                _("The database already has organisations, so the demo was not loaded again.")
            )
        else:
            self.stdout.write(_("Loading the demo programme…"))
            started = time.monotonic()
            summary = load_demo()
            loaded = True
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Loaded in %(seconds).1f s: %(organizations)d organisations, "
                        "%(branches)d branches, %(projects)d projects, %(staff)d staff accounts, "
                        "%(beneficiaries)d participants (%(duplicates)d flagged as possible "
                        "duplicates to review)."
                    )
                    % {
                        "seconds": time.monotonic() - started,
                        "organizations": summary.organizations,
                        "branches": summary.branches,
                        "projects": summary.projects,
                        "staff": summary.staff,
                        "beneficiaries": summary.beneficiaries,
                        "duplicates": summary.possible_duplicates,
                    }
                )
            )
            self.stdout.write(
                _(
                    "Lending up to %(day)s: %(loans)d loans, %(repayments)d repayments, "
                    "%(sheets)d collection sheets; arrears are as of that day."
                )
                % {
                    "day": HISTORY_ENDS.isoformat(),
                    "loans": summary.lending.loans,
                    "repayments": summary.lending.repayments,
                    "sheets": summary.lending.collection_sheets,
                }
            )
            if summary.reports is not None:
                self.stdout.write(summary.reports.line)
        self._close_business()
        if loaded:
            # The network's figures rest on the snapshots close of business has just taken.
            from tandir.demo.network import load_network

            self.stdout.write(
                _("Published %(count)d anonymised figures to the demo network.")
                % {"count": load_network()}
            )
        url = site_url(options["addr"], options["port"])
        self._print_logins(demo_logins(), url)
        if options["serve"]:
            self.stdout.write("")
            run_server(self.stdout, options["addr"], options["port"])
        else:
            self.stdout.write(_("Start the server with: tandir serve"))

    def _close_business(self) -> None:
        """Close business through yesterday for every lending organisation, catching up the
        days since the demo last started. The first time, close of business opens a month
        back (a month of daily snapshots to report on), not on the first disbursement: one
        day at a time since 2025 would make the first start take minutes."""
        import datetime

        from django.utils import timezone

        from tandir.cob.actions import close_business, close_day, first_business_date, last_closed
        from tandir.lending.models import Loan
        from tandir.orgs.models import StaffUser

        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        lending = Loan.objects.filter(disbursed_on__isnull=False).values("organization_id")
        for organization in Organization.objects.filter(pk__in=lending).order_by("pk"):
            runner = (
                StaffUser.objects.filter(
                    organization=organization,
                    is_active=True,
                    role__in=[Role.ACCOUNTANT, Role.ADMINISTRATOR],
                )
                .order_by("role", "pk")
                .first()
            )
            if runner is None:
                continue
            started = time.monotonic()
            opened = []
            first = first_business_date(organization)
            if last_closed(organization) is None and first is not None:
                opening = max(first, yesterday - datetime.timedelta(days=30))
                opened = [close_day(runner, organization, on=opening)]
            runs = opened + close_business(runner, organization, through=yesterday)
            if runs:
                self.stdout.write(
                    _("Close of business for %(organization)s: %(days)d days through %(day)s "
                      "in %(seconds).1f s.")
                    % {
                        "organization": organization,
                        "days": len(runs),
                        "day": yesterday.isoformat(),
                        "seconds": time.monotonic() - started,
                    }
                )  # fmt: skip

    def _print_logins(self, logins: list[DemoLogin], url: str) -> None:
        write = self.stdout.write
        if not logins:
            write(_("This database has no demo accounts. Create an administrator with: %(command)s")
                  % {"command": "tandir createadmin"})  # fmt: skip
            return
        header = (_("Username"), _("Role"), _("Scope"))
        rows = [
            (login.username, str(Role(login.role).label), self._works_in(login)) for login in logins
        ]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(2)]

        def line(cells: tuple[str, str, str]) -> str:
            return f"  {cells[0]:<{widths[0]}}  {cells[1]:<{widths[1]}}  {cells[2]}".rstrip()

        write("")
        write(self.style.MIGRATE_HEADING(_("Demo logins")))
        write(_("Password for every account: %(password)s") % {"password": DEMO_PASSWORD})
        write("")
        write(line(header))
        for organization, group in groupby(
            zip(logins, rows, strict=True), key=lambda pair: pair[0].organization
        ):
            write(self.style.MIGRATE_LABEL(f" {organization}"))
            for _login, row in group:
                write(line(row))
        write("")
        write(_("Open %(url)s and sign in with one of these accounts.") % {"url": f"{url}/"})
        write(
            _("Administrators can also use the Django admin at %(url)s.") % {"url": f"{url}/admin/"}
        )

    @staticmethod
    def _works_in(login: DemoLogin) -> str:
        if login.role == Role.NETWORK_ANALYST:
            return _("network aggregates only")
        if not login.branches:
            return _("all branches")
        return ", ".join(login.branches)

    def _compile_translations(self) -> None:
        # The catalogues ship as .po files; compile them so the language switcher translates.
        from tandir.core.translations import compile_catalogues

        try:
            compile_catalogues()
        except OSError as exc:  # a read-only install: the pages stay in English
            self.stderr.write(_("Could not compile the translations: %(error)s") % {"error": exc})
