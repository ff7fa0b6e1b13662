"""`tandir import loans FILE --as USERNAME`: bring an existing loan portfolio, all or nothing.

Every bad line on stderr (line, column, reason) and a nonzero exit with nothing written;
otherwise every loan is active from its disbursement date with the schedule `tandir schedule`
prints for the same values (contract: docs/lending-cli.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from tandir.core.audit import channel
from tandir.core.errors import TandirError
from tandir.lending.actions import import_portfolio
from tandir.lending.portfolio_import import COLUMNS
from tandir.lending.tables import count_lines
from tandir.orgs.models import StaffUser

# Enough of the names of ignored columns to recognise a misspelt one, not a screenful.
SHOWN_IGNORED_COLUMNS = 10
# Below this many lines a progress bar would only flicker.
PROGRESS_FROM = 200


class Command(BaseCommand):
    help = (
        "Import an existing loan portfolio from a CSV or XLSX file (columns: docs/lending-cli.md). "
        "Nothing is written if any line is bad."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--as", dest="username", required=True, help="the administrator importing them"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file() or path.suffix.lower() not in {".csv", ".xlsx"}:
            raise CommandError(_("%(file)s: give an existing .csv or .xlsx file") % {"file": path})
        try:
            officer = StaffUser.objects.select_related("organization__country").get(
                username=options["username"], is_active=True
            )
        except StaffUser.DoesNotExist as exc:
            raise CommandError(
                _("No active user %(name)s") % {"name": options["username"]}
            ) from exc
        total = count_lines(path, COLUMNS)  # None if unreadable: the check says why
        quiet = options["no_progress"] or (total or 0) < PROGRESS_FROM
        with (
            tqdm(
                total=total,
                desc=_("Checking"),
                unit=_("line"),
                disable=quiet,
                file=self.stderr._out,
            ) as bar,
            channel("import"),
        ):
            try:
                result = import_portfolio(officer, path, progress=bar.update)
            except TandirError as refused:
                raise CommandError(
                    _("%(file)s: %(problem)s Nothing was imported.")
                    % {"file": path.name, "problem": refused.message}
                ) from refused
        if result.ignored_columns:
            shown = result.ignored_columns[:SHOWN_IGNORED_COLUMNS]
            more = len(result.ignored_columns) - len(shown)
            names = ", ".join(shown) + (_(" and %(count)s more") % {"count": more} if more else "")
            self.stderr.write(_("Columns not imported: %(names)s") % {"names": names})
        errors = result.errors
        if len(errors) == 1 and errors[0].line == 0:
            # The file as a whole (or the officer's right): one line that names the problem.
            raise CommandError(
                _("%(file)s: %(problem)s Nothing was imported.")
                % {"file": path.name, "problem": errors[0]}
            )
        if errors:
            for error in errors:
                self.stderr.write(str(error))
            counted = {"bad": len(errors) - int(result.stopped), "file": path.name}
            raise CommandError(
                _("At least %(bad)s problems in %(file)s; nothing was imported.") % counted
                if result.stopped
                else _("%(bad)s problems in %(file)s; nothing was imported.") % counted
            )
        self.stdout.write(_("%(count)s loans imported.") % {"count": result.imported})
