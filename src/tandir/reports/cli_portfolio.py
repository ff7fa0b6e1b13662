"""`tandir report portfolio --as-of DATE [--from DATE] [--organization CODE] [--json]`: portfolio
quality of one organisation on a date, per currency (contract in docs/reports-cli.md)."""

from __future__ import annotations

import datetime
import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils.translation import gettext as _

from tandir.lending.models import Loan
from tandir.orgs.models import Organization
from tandir.reports.definitions import definition
from tandir.reports.portfolio import PortfolioReport, amount_text, percent_text, portfolio_report

HELP = "portfolio quality of an organisation on a date (PAR, ageing, write-offs, repayment)"


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--as-of", dest="as_of", required=True, help="YYYY-MM-DD")
    parser.add_argument(
        "--from",
        dest="date_from",
        help="first day of the period, YYYY-MM-DD (default: the first day of the month)",
    )
    parser.add_argument(
        "--organization",
        help="the organisation's short name or name (needed when several organisations lend)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _date(option: str, text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("%(option)s: not a date (YYYY-MM-DD): %(value)s") % {"option": option, "value": text}
        ) from None


def find_organization(name: str | None) -> Organization:
    """The organisation named (short name or name, any case), or the only one that lends."""
    if name:
        found = list(
            Organization.objects.filter(Q(short_name__iexact=name) | Q(name__iexact=name))[:2]
        )
        if not found:
            raise CommandError(_("No organisation %(name)s.") % {"name": name})
        if len(found) > 1:
            raise CommandError(_("No single organisation is called %(name)s.") % {"name": name})
        return found[0]
    lending = list(
        Organization.objects.filter(
            pk__in=Loan.objects.filter(disbursed_on__isnull=False).values("organization_id")
        ).order_by("name")[:2]
    )
    if not lending:
        raise CommandError(_("No organisation has disbursed a loan yet."))
    if len(lending) > 1:
        raise CommandError(_("Several organisations lend: name one with --organization."))
    return lending[0]


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    as_of = _date("--as-of", options["as_of"])
    date_from = _date("--from", options["date_from"]) if options.get("date_from") else None
    if date_from is not None and date_from > as_of:
        raise CommandError(_("--from must not be after --as-of."))
    organization = find_organization(options.get("organization"))
    report = portfolio_report(organization, as_of=as_of, date_from=date_from)
    if options.get("json"):
        command.stdout.write(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        _table(command, report)


def _table(command: BaseCommand, report: PortfolioReport) -> None:
    write = command.stdout.write
    source = _("daily snapshots") if report.source == "snapshot" else _("recomputed from records")
    write(
        _("%(organization)s, portfolio as of %(day)s (period from %(start)s; source: %(source)s)")
        % {
            "organization": report.organization.name,
            "day": report.as_of.isoformat(),
            "start": report.date_from.isoformat(),
            "source": source,
        }
    )
    for currency, cur in sorted(report.by_currency.items()):
        figures = cur.figures
        write("")
        write(currency)
        lines = [
            ("gross_loan_portfolio", amount_text(figures.gross_loan_portfolio)),
            ("active_loans", str(figures.active_loans)),
            ("active_borrowers", str(figures.active_borrowers)),
            *[
                (f"par_{n}", f"{amount_text(r.numerator)}  {percent_text(r) or '—'} %")
                for n, r in figures.par.items()
            ],
            ("written_off_in_period", amount_text(cur.rates.written_off_in_period)),
            ("write_off_ratio", f"{percent_text(cur.write_off_ratio) or '—'} %"),
            ("on_time_repayment_rate", f"{percent_text(cur.rates.on_time) or '—'} %"),
            ("cumulative_repayment_rate", f"{percent_text(cur.rates.cumulative) or '—'} %"),
        ]
        width = max(len(str(definition(code).label)) for code, _v in lines)
        for code, value in lines:
            write(f"  {str(definition(code).label).ljust(width)}  {value}")
        write(f"  {definition('buckets').label}")
        for bucket in figures.buckets:
            write(
                f"    {bucket.bucket.ljust(8)} {str(bucket.loans).rjust(7)}  "
                f"{amount_text(bucket.balance).rjust(16)}  {percent_text(bucket.share) or '—'} %"
            )
