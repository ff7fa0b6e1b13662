"""`tandir import beneficiaries FILE`: all-or-nothing import with a report of every bad line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from tandir.orgs.models import StaffUser
from tandir.registry.imports import import_beneficiaries, read_table


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
        if not path.exists() or path.suffix.lower() not in {".csv", ".xlsx"}:
            raise CommandError(_("%(file)s: give an existing .csv or .xlsx file") % {"file": path})
        try:
            officer = StaffUser.objects.get(username=options["username"], is_active=True)
        except StaffUser.DoesNotExist as exc:
            raise CommandError(
                _("No active user %(name)s") % {"name": options["username"]}
            ) from exc
        total = sum(1 for _line in read_table(path)[1])
        with tqdm(
            total=total,
            desc=_("Checking"),
            unit=_("line"),
            disable=options["no_progress"] or total < 200,
            file=self.stderr._out,
        ) as bar:
            result = import_beneficiaries(officer, path, progress=bar.update)
        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("%(bad)s problems in %(file)s; nothing was imported.")
                % {"bad": len(result.errors), "file": path.name}
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
