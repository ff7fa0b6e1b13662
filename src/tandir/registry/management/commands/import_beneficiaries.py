"""`tandir import beneficiaries FILE`: all-or-nothing import with a report of every bad line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from tandir.core.audit import channel
from tandir.orgs.models import StaffUser
from tandir.registry.imports import count_lines, import_beneficiaries

# Enough of the names of ignored columns to recognise a misspelt one, not a screenful.
SHOWN_IGNORED_COLUMNS = 10


class Command(BaseCommand):
    help = "Import beneficiaries from a CSV or XLSX file. Nothing is written if any line is bad."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--as", dest="username", required=True, help="the officer registering them"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file() or path.suffix.lower() not in {".csv", ".xlsx"}:
            raise CommandError(_("%(file)s: give an existing .csv or .xlsx file") % {"file": path})
        try:
            officer = StaffUser.objects.get(username=options["username"], is_active=True)
        except StaffUser.DoesNotExist as exc:
            raise CommandError(
                _("No active user %(name)s") % {"name": options["username"]}
            ) from exc
        total = count_lines(path)  # None for a file that cannot be read: the import says why
        with (
            tqdm(
                total=total,
                desc=_("Checking"),
                unit=_("line"),
                disable=options["no_progress"] or (total or 0) < 200,
                file=self.stderr._out,
            ) as bar,
            channel("import"),
        ):
            result = import_beneficiaries(officer, path, progress=bar.update)
        if result.ignored_columns:
            shown = result.ignored_columns[:SHOWN_IGNORED_COLUMNS]
            more = len(result.ignored_columns) - len(shown)
            names = ", ".join(shown) + (_(" and %(count)s more") % {"count": more} if more else "")
            self.stderr.write(_("Columns not imported: %(names)s") % {"names": names})
        errors = result.errors
        if len(errors) == 1 and errors[0].column == "-":
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
        self.stdout.write(
            _(
                "%(created)s created, %(flagged)s flagged as possible duplicates, "
                "%(already)s already registered (skipped)."
            )
            % {
                "created": result.created,
                "flagged": result.flagged,
                "already": result.already_registered,
            }
        )
