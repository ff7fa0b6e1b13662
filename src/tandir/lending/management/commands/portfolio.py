"""`tandir portfolio --as-of DATE [--organization NAME] [--json]`: every loan's state on a date.

Counts only the money received by that date; the JSON shape and the buckets are a contract
(docs/lending-cli.md).
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils.translation import gettext as _

from tandir.engine import minor_unit
from tandir.lending.portfolio import Portfolio, portfolio_as_of
from tandir.orgs.models import Organization


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("--as-of: not a date (YYYY-MM-DD): %(value)s") % {"value": text}
        ) from None


def _amount(value: Decimal, currency: str) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-minor_unit(currency))):,}"


class Command(BaseCommand):
    help = (
        "Every loan's state as of a date, counting only repayments with a value date on or "
        "before it: outstanding and overdue amounts, days past due, ageing bucket."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", required=True, help="YYYY-MM-DD")
        parser.add_argument(
            "--organization",
            help="the organisation's short name or name (default: every organisation)",
        )
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _date(options["as_of"])
        organization_id = None
        if options["organization"]:
            name = options["organization"]
            found = list(
                Organization.objects.filter(Q(short_name__iexact=name) | Q(name__iexact=name))[:2]
            )
            if len(found) != 1:
                raise CommandError(
                    _("No single organisation is called %(name)s.") % {"name": name}
                    if found
                    else _("No organisation %(name)s.") % {"name": name}
                )
            organization_id = found[0].pk
        portfolio = portfolio_as_of(as_of, organization_id=organization_id)
        if options["json"]:
            self.stdout.write(json.dumps(portfolio.as_json(), indent=2, ensure_ascii=False))
        else:
            self._table(portfolio)

    def _table(self, portfolio: Portfolio) -> None:
        headers = [
            _("Loan"),
            _("Status"),
            _("Currency"),
            _("Outstanding"),
            _("Overdue principal"),
            _("Overdue charge"),
            _("DPD"),
            _("Bucket"),
            _("Renegotiated"),
        ]
        rows = [
            [
                p.loan_ref,
                p.status,
                p.currency,
                _amount(p.outstanding_principal, p.currency),
                _amount(p.overdue_principal, p.currency),
                _amount(p.overdue_charge, p.currency),
                str(p.days_past_due),
                p.bucket,
                _("yes") if p.renegotiated else "",
            ]
            for p in portfolio.loans
        ]
        right = {3, 4, 5, 6}  # amounts and days line up on the right
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

        def show(cells: list[str]) -> str:
            return "  ".join(
                c.rjust(widths[i]) if i in right else c.ljust(widths[i])
                for i, c in enumerate(cells)
            ).rstrip()

        self.stdout.write(
            _("Portfolio as of %(day)s: %(count)s loans")
            % {"day": portfolio.as_of.isoformat(), "count": len(rows)}
        )
        self.stdout.write("")
        self.stdout.write(show(headers))
        self.stdout.write(show(["-" * w for w in widths]))
        for row in rows:
            self.stdout.write(show(row))
        self.stdout.write("")
        for currency, total in sorted(portfolio.totals.items()):
            self.stdout.write(
                _(
                    "%(currency)s: %(loans)s active loans, outstanding principal %(outstanding)s, "
                    "overdue principal %(overdue)s"
                )
                % {
                    "currency": currency,
                    "loans": total.loans,
                    "outstanding": _amount(total.outstanding_principal, currency),
                    "overdue": _amount(total.overdue_principal, currency),
                }
            )
