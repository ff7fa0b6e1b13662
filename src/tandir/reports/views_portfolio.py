"""The portfolio-quality page: every indicator with its numerator, denominator and definition,
the source it was read from, a breakdown, the loans behind PAR30 and an XLSX of the table.

Branch managers see their branches; roles that see the whole organisation see all of it. The
loans behind PAR are listed only for roles that see records, each linked to its loan's page.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from tandir.cob.models import CobRun, RunStatus
from tandir.core import formatting
from tandir.core.models import TargetGroup
from tandir.lending.models import Loan
from tandir.orgs.access import scope
from tandir.orgs.roles import Right, has_right, is_platform_operator
from tandir.reports.definitions import definition
from tandir.reports.portfolio import (
    CurrencyReport,
    GroupRow,
    PortfolioReport,
    Ratio,
    loans_at_risk,
    portfolio_report,
)
from tandir.reports.portfolio_forms import PortfolioForm

CENT = Decimal("0.01")


# A figure as a number for a workbook: its kind (how it is formatted) and its value.
Number = tuple[str, Decimal | int | None]
NO_NUMBER: Number = ("", None)


@dataclass(frozen=True)
class Line:
    """One indicator as the page prints it, and as numbers for the workbook (value, numerator,
    denominator: kinds "money", "count", "percent" or "decimal")."""

    code: str
    label: str | Promise
    value: str
    numerator: str
    denominator: str
    text: str | Promise
    numbers: tuple[Number, Number, Number] = (NO_NUMBER, NO_NUMBER, NO_NUMBER)


def _require(request: HttpRequest, *rights: Right) -> None:
    for right in rights:
        if not has_right(request.user, right):
            raise PermissionDenied(_("Your role does not allow this."))


def _branches(user: Any) -> list[int] | None:
    """The branches whose loans the user's report counts; None for the whole organisation."""
    if is_platform_operator(user) or has_right(user, Right.SEE_WHOLE_ORGANIZATION):
        return None
    return list(user.branches.values_list("pk", flat=True))


def _percent(ratio: Ratio) -> str:
    percent = ratio.percent
    return "—" if percent is None else f"{formatting.number(percent.quantize(CENT))} %"


def _ratio_line(code: str, ratio: Ratio, numerator: str, denominator: str) -> Line:
    d = definition(code)
    numbers = (
        ("percent", ratio.value),
        ("money", ratio.numerator),
        ("money", ratio.denominator),
    )
    return Line(code, d.label, _percent(ratio), numerator, denominator, d.text, numbers)


def lines(report: CurrencyReport, currency: str) -> list[Line]:
    """The indicators of one currency, in the order the page and the XLSX show them."""
    f = report.figures

    def money(amount: Decimal) -> str:
        return formatting.money(amount.quantize(CENT), currency)

    def plain(code: str, value: str, number: Number) -> Line:
        d = definition(code)
        return Line(code, d.label, value, "", "", d.text, (number, NO_NUMBER, NO_NUMBER))

    glp = money(f.gross_loan_portfolio)
    rows = [
        plain("gross_loan_portfolio", glp, ("money", f.gross_loan_portfolio)),
        plain("active_loans", formatting.number(f.active_loans), ("count", f.active_loans)),
        plain(
            "active_borrowers", formatting.number(f.active_borrowers), ("count", f.active_borrowers)
        ),
    ]
    for n, ratio in f.par.items():
        rows.append(_ratio_line(f"par_{n}", ratio, money(ratio.numerator), glp))
    written = report.rates.written_off_in_period
    rows += [
        # Beside PAR, never hidden: written-off loans have left PAR and GLP.
        plain("written_off_in_period", money(written), ("money", written)),
        _ratio_line(
            "write_off_ratio", report.write_off_ratio, money(written), money(report.average_glp)
        ),
        _ratio_line(
            "on_time_repayment_rate",
            report.rates.on_time,
            money(report.rates.on_time.numerator),
            money(report.rates.on_time.denominator),
        ),
        _ratio_line(
            "cumulative_repayment_rate",
            report.rates.cumulative,
            money(report.rates.cumulative.numerator),
            money(report.rates.cumulative.denominator),
        ),
    ]
    for code, ratio in (
        ("average_balance_per_borrower", f.average_balance_per_borrower),
        ("average_balance_per_loan", f.average_balance_per_loan),
    ):
        value = "—" if ratio.value is None else money(ratio.value)
        d = definition(code)
        numbers = (
            ("money", ratio.value),
            ("money", f.gross_loan_portfolio),
            ("count", int(ratio.denominator)),
        )
        rows.append(
            Line(
                code,
                d.label,
                value,
                glp,
                formatting.number(int(ratio.denominator)),
                d.text,
                numbers,
            )
        )
    ratio = f.borrowers_per_officer
    d = definition("borrowers_per_officer")
    rows.append(
        Line(
            "borrowers_per_officer",
            d.label,
            "—" if ratio.value is None else formatting.number(ratio.value.quantize(Decimal("0.1"))),
            formatting.number(f.active_borrowers),
            formatting.number(f.officers),
            d.text,
            (
                ("decimal", ratio.value),
                ("count", f.active_borrowers),
                ("count", f.officers),
            ),
        )
    )
    return rows


def _last_closed(organization_id: int) -> datetime.date | None:
    found: datetime.date | None = CobRun.objects.filter(
        organization_id=organization_id, status=RunStatus.FINISHED
    ).aggregate(day=Max("business_date"))["day"]
    return found


def _parse(request: HttpRequest) -> PortfolioForm:
    _require(request, Right.SEE_REPORTS)
    user: Any = request.user
    if user.organization_id is None:
        raise Http404(_("The portfolio report is an organisation's."))
    today = timezone.localdate()
    data = request.GET.copy()
    if not data.get("as_of"):
        data["as_of"] = (_last_closed(user.organization_id) or today).isoformat()
    return PortfolioForm(data, today=today)


def _build(request: HttpRequest) -> tuple[PortfolioForm, PortfolioReport | None]:
    form = _parse(request)
    if not form.is_valid():
        return form, None
    user: Any = request.user
    dimension = form.cleaned_data["dimension"]
    report = portfolio_report(
        user.organization,
        as_of=form.cleaned_data["as_of"],
        date_from=form.cleaned_data["date_from"],
        branch_ids=_branches(user),
        group_by=[dimension] if dimension else None,
    )
    if dimension == "target_group" and not has_right(user, Right.SEE_PROTECTED):
        hidden = {
            str(pk)
            for pk in TargetGroup.objects.filter(is_protected=True).values_list("pk", flat=True)
        }
        report.groups[dimension] = [r for r in report.groups[dimension] if r.key not in hidden]
    return form, report


def _bucket_rows(report: CurrencyReport, currency: str) -> list[tuple[str, str, str, str]]:
    return [
        (
            b.bucket,
            formatting.number(b.loans),
            formatting.money(b.balance.quantize(CENT), currency),
            _percent(b.share),
        )
        for b in report.figures.buckets
    ]


def _group_cells(row: GroupRow) -> list[str]:
    f = row.figures
    return [
        str(row.label),
        row.figures.currency,
        formatting.money(f.gross_loan_portfolio.quantize(CENT), f.currency),
        formatting.number(f.active_loans),
        formatting.number(f.active_borrowers),
        _percent(f.par[30]),
        _percent(f.par[90]),
        _("snapshot") if row.source == "snapshot" else _("records"),
    ]


def _group_headers() -> list[str]:
    return [
        _("Category"),
        _("Currency"),
        str(definition("gross_loan_portfolio").label),
        str(definition("active_loans").label),
        str(definition("active_borrowers").label),
        str(definition("par_30").label),
        str(definition("par_90").label),
        _("Source"),
    ]


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    form, report = _build(request)
    currencies = []
    dimension = ""
    rows: list[list[str]] = []
    if report is not None:
        currencies = [
            (currency, lines(cur, currency), _bucket_rows(cur, currency))
            for currency, cur in sorted(report.by_currency.items())
        ]
        dimension = form.cleaned_data["dimension"]
        rows = [_group_cells(row) for row in report.groups.get(dimension, [])]
    query = request.GET.urlencode()
    return render(
        request,
        "reports/portfolio.html",
        {
            "form": form,
            "report": report,
            "currencies": currencies,
            "dimension": dimension,
            "group_headers": _group_headers(),
            "group_rows": rows,
            "source_text": definition("source").text,
            "can_see_loans": has_right(request.user, Right.SEE_RECORDS),
            "query": query,
        },
    )


@login_required
def at_risk(request: HttpRequest) -> HttpResponse:
    """The loans behind PAR30 on the date, each linked to its page."""
    _require(request, Right.SEE_REPORTS, Right.SEE_RECORDS)
    form = _parse(request)
    if not form.is_valid():
        raise Http404(_("Choose a valid date."))
    user: Any = request.user
    as_of = form.cleaned_data["as_of"]
    visible = scope(user, Loan.objects.all())
    source, loans = loans_at_risk(user.organization, as_of=as_of, days=30, loans=visible)
    totals: dict[str, Decimal] = {}
    for loan in loans:
        totals[loan.currency] = totals.get(loan.currency, Decimal(0)) + loan.outstanding_principal
    return render(
        request,
        "reports/portfolio_at_risk.html",
        {
            "as_of": as_of,
            "source": source,
            "loans": loans,
            "totals": sorted(totals.items()),
            "definition": definition("par_30"),
            "query": request.GET.urlencode(),
        },
    )


@login_required
def portfolio_xlsx(request: HttpRequest) -> HttpResponse:
    """The page's tables as a workbook: one sheet of indicators, one of the breakdown."""
    import xlsxwriter

    form, report = _build(request)
    if report is None:
        raise Http404(_("Choose a valid date."))
    out = io.BytesIO()
    book: Any = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    bold = book.add_format({"bold": True, "bottom": 1})
    formats = {
        "money": book.add_format({"num_format": "#,##0.00"}),
        "count": book.add_format({"num_format": "#,##0"}),
        "percent": book.add_format({"num_format": "0.00%"}),
        "decimal": book.add_format({"num_format": "#,##0.0"}),
    }
    sheet = book.add_worksheet(_("Indicators")[:31])
    sheet.write_row(0, 0, [_("Portfolio as of %(day)s") % {"day": report.as_of.isoformat()}])
    source = _("snapshot") if report.source == "snapshot" else _("records")
    sheet.write_row(1, 0, [_("Source"), source])
    headers = [
        _("Currency"),
        _("Indicator"),
        _("Value"),
        _("Numerator"),
        _("Denominator"),
        _("Definition"),
    ]
    sheet.write_row(2, 0, headers, bold)
    row = 3
    for currency, cur in sorted(report.by_currency.items()):
        for line in lines(cur, currency):
            sheet.write_row(row, 0, [currency, str(line.label)])
            # Numbers with number formats, so the sheet can be summed and charted; a figure
            # with nothing under it (no denominator) is left blank, as the page prints "—".
            for column, (kind, number) in enumerate(line.numbers, start=2):
                if number is not None and kind:
                    sheet.write_number(row, column, float(number), formats[kind])
            sheet.write(row, 5, str(line.text))
            row += 1
    sheet.set_column(1, 1, 40)
    sheet.set_column(2, 4, 16)
    sheet.set_column(5, 5, 80)
    dimension = form.cleaned_data["dimension"]
    if dimension:
        groups = book.add_worksheet(_("Breakdown")[:31])
        groups.write_row(0, 0, _group_headers(), bold)
        for n, group in enumerate(report.groups.get(dimension, []), start=1):
            f = group.figures
            groups.write_row(n, 0, [str(group.label), f.currency])
            groups.write_number(n, 2, float(f.gross_loan_portfolio), formats["money"])
            groups.write_number(n, 3, f.active_loans, formats["count"])
            groups.write_number(n, 4, f.active_borrowers, formats["count"])
            for column, ratio in ((5, f.par[30]), (6, f.par[90])):
                if ratio.value is not None:
                    groups.write_number(n, column, float(ratio.value), formats["percent"])
            groups.write(n, 7, _("snapshot") if group.source == "snapshot" else _("records"))
        groups.set_column(0, 0, 30)
        groups.set_column(2, 7, 18)
    book.close()
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"portfolio-{report.as_of.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
