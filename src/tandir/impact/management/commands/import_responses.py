"""`tandir import responses FILE --instrument CODE --as USERNAME`: survey submissions from a
CSV, XLSX or KoboToolbox JSON export, all or nothing, with every bad row reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tandir.core.audit import channel
from tandir.core.errors import TandirError
from tandir.impact.imports import import_responses
from tandir.impact.queries import instruments_in_scope
from tandir.orgs.models import StaffUser


class Command(BaseCommand):
    help = (
        "Import survey responses from a CSV, XLSX or KoboToolbox JSON export (beneficiary, "
        "date, then one column per question code). Nothing is written if any row is bad."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--instrument", required=True, help="the instrument's code")
        parser.add_argument(
            "--as", dest="username", required=True, help="the officer recording the answers"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file() or path.suffix.lower() not in {".csv", ".xlsx", ".json"}:
            raise CommandError(
                _("%(file)s: give an existing .csv, .xlsx or .json file") % {"file": path}
            )
        try:
            officer = StaffUser.objects.get(username=options["username"], is_active=True)
        except StaffUser.DoesNotExist as exc:
            raise CommandError(
                _("No active user %(name)s") % {"name": options["username"]}
            ) from exc
        instrument = (
            instruments_in_scope(officer)
            .filter(code=options["instrument"])
            .select_related("organization__country")
            .first()
        )
        if instrument is None:
            raise CommandError(
                _("No instrument %(code)s that %(name)s may record answers to.")
                % {"code": options["instrument"], "name": officer.username}
            )
        try:
            with channel("import"):
                result = import_responses(
                    officer, instrument=instrument, content=path.read_bytes(), filename=path.name
                )
        except TandirError as error:
            raise CommandError(
                _("%(file)s: %(problem)s Nothing was imported.")
                % {"file": path.name, "problem": error.message}
            ) from error
        if result.ignored_columns:
            self.stderr.write(
                _("Columns not imported: %(names)s")
                % {"names": ", ".join(result.ignored_columns[:10])}
            )
        errors = result.errors
        if len(errors) == 1 and errors[0].column == "-":
            raise CommandError(
                _("%(file)s: %(problem)s Nothing was imported.")
                % {"file": path.name, "problem": errors[0]}
            )
        if errors:
            for line_error in errors:
                self.stderr.write(str(line_error))
            raise CommandError(
                _("%(bad)s problems in %(file)s; nothing was imported.")
                % {"bad": len(errors) - int(result.stopped), "file": path.name}
            )
        self.stdout.write(
            _("%(lines)s rows read, %(written)s responses written, %(skipped)s already imported.")
            % {"lines": result.lines, "written": result.written, "skipped": result.skipped}
        )
