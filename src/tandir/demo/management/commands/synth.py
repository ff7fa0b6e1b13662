"""`tandir synth --loans N [--organization CODE] [--seed N] [--as-of DATE]`: a synthetic national
loan portfolio for benchmarks (`tandir.demo.synth`)."""

from __future__ import annotations

import datetime
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tandir.demo.synth import SynthRefused, build_synthetic_portfolio


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("--as-of: not a date (YYYY-MM-DD): %(value)s") % {"value": text}
        ) from None


class Command(BaseCommand):
    help = _(
        "Build a synthetic national loan portfolio for benchmarks: participants with households, "
        "branches and loan officers, loans of every method with repayment histories."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loans", type=int, required=True, help=_("how many loans"))
        parser.add_argument(
            "--organization",
            default="synth",
            help=_("the organisation's short name: used if it exists, made if not"),
        )
        parser.add_argument("--seed", type=int, default=1, help=_("the same seed, the same loans"))
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help=_("the business day the history ends (YYYY-MM-DD; default yesterday)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _date(options["as_of"]) if options["as_of"] else None
        interactive = sys.stderr.isatty()

        def progress(what: str, done: int, total: int) -> None:
            if interactive:
                sys.stderr.write(f"\r{done:,} / {total:,} {_('loans')}")
                sys.stderr.flush()

        try:
            report = build_synthetic_portfolio(
                options["loans"],
                organization=options["organization"],
                seed=options["seed"],
                as_of=as_of,
                progress=progress,
            )
        except SynthRefused as exc:
            raise CommandError(str(exc)) from exc
        if interactive:
            sys.stderr.write("\n")
        total = sum(report.seconds.values())
        self.stdout.write(
            _("Built %(loans)s loans as of %(day)s in %(seconds).1f s.")
            % {
                "loans": f"{options['loans']:,}",
                "day": report.as_of.isoformat(),
                "seconds": total,
            }
        )
        for status, count in sorted(report.statuses.items()):
            self.stdout.write(f"  {status}: {count:,}")
        for table, count in sorted(report.rows.items()):
            self.stdout.write(f"  {table}: {count:,}")
        for phase, seconds in report.seconds.items():
            self.stdout.write(f"  {phase}: {seconds:.1f} s")
