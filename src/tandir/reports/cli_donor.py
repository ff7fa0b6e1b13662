"""`tandir report donor --project CODE --from DATE --to DATE [--currency USD] --format
json|xlsx|pdf [--output FILE]`: a project's donor report on standard output or in a file.

Reads the whole organisation of the project (the command line acts for no person). A project
code used by two organisations needs `--organization`. A progress bar goes to standard error
when it is a terminal or `--progress` asks for it, so the JSON on standard output stays clean.
"""

from __future__ import annotations

import datetime
import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tandir.core.errors import TandirError
from tandir.engine.money import MINOR_UNITS
from tandir.orgs.models import Project

HELP = "donor report of a project for a period"


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--project", required=True, help="the project's code")
    parser.add_argument("--organization", help="the organisation's short name or id")
    parser.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD")
    parser.add_argument("--currency", help="reporting currency (default: the project's)")
    parser.add_argument("--format", required=True, choices=["json", "xlsx", "pdf"])
    parser.add_argument("--output", help="file to write (xlsx and pdf need one)")
    parser.add_argument("--language", default="en", help="language of xlsx and pdf")
    parser.add_argument("--progress", action="store_true", help="show the progress bar")


def _date(text: str, name: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--{name}: {text!r} is not a date (YYYY-MM-DD)") from None


def _project(code: str, organization: str | None) -> Project:
    projects = Project.objects.filter(code=code).select_related("organization")
    if organization:
        if organization.isdigit():
            projects = projects.filter(organization_id=int(organization))
        else:
            projects = projects.filter(organization__short_name=organization) | projects.filter(
                organization__name=organization
            )
    found = list(projects[:2])
    if not found:
        raise CommandError(f"no project {code!r}")
    if len(found) > 1:
        raise CommandError(f"two organisations have a project {code!r}: give --organization")
    return found[0]


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    from django.utils import translation

    from tandir.reports import documents
    from tandir.reports.donor import STEPS, donor_report

    date_from = _date(options["date_from"], "from")
    date_to = _date(options["date_to"], "to")
    if date_to < date_from:
        raise CommandError("--to is before --from")
    currency = (options.get("currency") or "").upper() or None
    if currency is not None and currency not in MINOR_UNITS:
        raise CommandError(f"--currency: unknown currency {currency!r}")
    fmt = options["format"]
    output = options.get("output")
    if fmt != "json" and not output:
        raise CommandError(f"--format {fmt} needs --output FILE")
    project = _project(options["project"], options.get("organization"))

    bar: Any = None
    if options.get("progress") or sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=STEPS, desc="donor report", file=sys.stderr, leave=False)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.update(done - bar.n)

    try:
        with translation.override(options.get("language") or "en"):
            report = donor_report(project, date_from, date_to, currency=currency, progress=progress)
            if fmt == "json":
                text = json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n"
                if output:
                    Path(output).write_text(text, encoding="utf-8")
                else:
                    command.stdout.write(text, ending="")
                return
            data = documents.donor_xlsx(report) if fmt == "xlsx" else documents.donor_pdf(report)
    except TandirError as error:
        raise CommandError(error.message) from None
    finally:
        if bar is not None:
            bar.close()
    Path(output or "").write_bytes(data)
    command.stderr.write(f"wrote {output} ({len(data)} bytes)")
