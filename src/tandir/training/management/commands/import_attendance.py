"""`tandir import attendance FILE --cohort CODE --as USERNAME`: a cohort's attendance sheet,
all or nothing, with every bad line reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tandir.core.audit import channel
from tandir.core.errors import TandirError
from tandir.orgs.models import StaffUser
from tandir.training.imports import check_and_import, find_cohort


class Command(BaseCommand):
    help = (
        "Import a cohort's attendance from a CSV or XLSX file (national_id or phone, "
        "session_date, present). Nothing is written if any line is bad."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--cohort", required=True, help="the cohort's code")
        parser.add_argument(
            "--as", dest="username", required=True, help="the trainer taking attendance"
        )

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
        cohort = find_cohort(officer, options["cohort"])
        if cohort is None:
            raise CommandError(
                _("No cohort %(code)s that %(name)s teaches or manages.")
                % {"code": options["cohort"], "name": officer.username}
            )
        try:
            with channel("import"):
                result = check_and_import(officer, cohort, path)
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
            _("%(lines)s lines read, %(written)s marks written or changed.")
            % {"lines": result.lines, "written": result.written}
        )
