"""`tandir import repayments FILE --as USERNAME`: a partner bank's statement, all or nothing.

The same checks as the statement page: every bad line on stderr (line, column, reason) and a
nonzero exit with nothing written; a line imported before posts nothing (docs/lending-cli.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from tandir.core.audit import channel
from tandir.lending.bank_statements import (
    check_statement,
    count_statement_lines,
    post_statement,
)
from tandir.orgs.models import StaffUser

# Enough of the names of ignored columns to recognise a misspelt one, not a screenful.
SHOWN_IGNORED_COLUMNS = 10
# Below this many lines a progress bar would only flicker.
PROGRESS_FROM = 200


class Command(BaseCommand):
    help = (
        "Post a partner bank's statement (CSV or XLSX: value_date, loan_ref, amount, bank_ref). "
        "Nothing is written if any line is bad; a bank reference imported before posts nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--as", dest="username", required=True, help="the officer recording the payments"
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
        total = count_statement_lines(path)  # None if unreadable: the check says why
        quiet = options["no_progress"] or (total or 0) < PROGRESS_FROM
        out = self.stderr._out
        with channel("import"):
            with tqdm(
                total=total, desc=_("Checking"), unit=_("line"), disable=quiet, file=out
            ) as bar:
                result = check_statement(officer, path, progress=bar.update)
            new = result.matched if not result.errors else 0
            with tqdm(
                total=new, desc=_("Posting"), unit=_("payment"), disable=quiet or not new, file=out
            ) as bar:
                post_statement(officer, path, result, posting=bar.update)
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
        statement = result.statement
        assert statement is not None
        self.stdout.write(
            _(
                "%(posted)s payments posted, %(duplicates)s already imported before (nothing "
                "posted for them); statement %(id)s."
            )
            % {"posted": statement.matched, "duplicates": statement.duplicates, "id": statement.pk}
        )
