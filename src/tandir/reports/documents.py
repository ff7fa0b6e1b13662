"""The donor report as a file: XLSX (XlsxWriter, formatted headers, number formats and a
definitions column) and PDF (WeasyPrint, on the lending documents' base template with the Noto
fonts, right to left for Urdu).

Both are written from a computed `DonorReport` in the active language; nothing here reads the
database beyond what the report holds.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tandir.core import formatting
from tandir.lending.documents import write_pdf
from tandir.reports.donor import DonorReport
from tandir.reports.programme import Figure

HUNDRED = Decimal(100)


def figure_text(figure: Figure) -> str:
    """A figure as the reader's language writes it (page and PDF)."""
    value = figure.value
    if value is None:
        return "—"
    if figure.kind == "percent":
        return formatting.number(Decimal(value).quantize(Decimal("0.01"))) + "\u00a0%"
    if figure.kind == "money":
        return formatting.money(Decimal(value), figure.currency, exact=True)
    return formatting.number(value)


def figure_basis(figure: Figure) -> str:
    """What a figure rests on: "12 of 15", "due 20, answered 15"."""
    parts = []
    if figure.kind == "percent" and figure.denominator is not None:
        parts.append(
            _("%(numerator)s of %(denominator)s")
            % {
                "numerator": formatting.number(_whole(figure.numerator)),
                "denominator": formatting.number(_whole(figure.denominator)),
            }
        )
    if figure.kind == "number" and figure.answered is not None:
        parts.append(
            _("%(after)s at follow-up − %(before)s at baseline, %(people)s people")
            % {
                "after": formatting.number(_whole(figure.numerator)),
                "before": formatting.number(_whole(figure.denominator)),
                "people": formatting.number(figure.answered),
            }
        )
    if figure.due is not None:
        parts.append(_("due %(due)s") % {"due": formatting.number(figure.due)})
    return "; ".join(parts)


def _whole(value: Any) -> Any:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return value


def _title(report: DonorReport) -> str:
    return _("Donor report: %(project)s, %(start)s – %(end)s") % {
        "project": report.project.name,
        "start": formatting.date(report.date_from),
        "end": formatting.date(report.date_to),
    }


# --- XLSX -------------------------------------------------------------------------------------


def donor_xlsx(report: DonorReport) -> bytes:
    """The report as a workbook: the headline sheet (indicator, value, basis, definition), the
    amounts by currency and one sheet per disaggregation."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    header = book.add_format(
        {"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True, "valign": "top"}
    )
    count = book.add_format({"num_format": "#,##0"})
    share = book.add_format({"num_format": "0.00%"})
    amount = book.add_format({"num_format": "#,##0.00"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})

    sheet = book.add_worksheet(_("Headline")[:31])
    sheet.write(0, 0, _title(report), bold)
    sheet.write(1, 0, _("Reporting currency"))
    sheet.write(1, 1, report.currency)
    columns = [
        _("Indicator"),
        _("Value"),
        _("Unit"),
        _("Numerator"),
        _("Denominator"),
        _("Due"),
        _("Answered"),
        _("Definition"),
    ]
    row = 3
    for col, text in enumerate(columns):
        sheet.write(row, col, text, header)
    for figure in report.headline:
        row += 1
        sheet.write(row, 0, str(figure.label), wrap)
        value = figure.value
        if value is None:
            sheet.write_blank(row, 1, None)
        elif figure.kind == "percent":
            sheet.write_number(row, 1, float(Decimal(value) / HUNDRED), share)
        elif figure.kind == "money":
            sheet.write_number(row, 1, float(value), amount)
        else:
            sheet.write_number(row, 1, float(value), count)
        unit = {"percent": "%", "money": figure.currency}.get(figure.kind, "")
        sheet.write(row, 2, unit)
        for col, part in ((3, figure.numerator), (4, figure.denominator)):
            if part is not None:
                fmt = amount if isinstance(part, Decimal) and part != int(part) else count
                sheet.write_number(row, col, float(part), fmt)
        for col, part in ((5, figure.due), (6, figure.answered)):
            if part is not None:
                sheet.write_number(row, col, part, count)
        sheet.write(row, 7, str(figure.definition), wrap)
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 6, 14)
    sheet.set_column(7, 7, 80)
    sheet.freeze_panes(4, 1)

    amounts = book.add_worksheet(_("Amounts")[:31])
    for col, text in enumerate([_("Currency"), _("Loans"), _("Amount disbursed")]):
        amounts.write(0, col, text, header)
    line = 0
    for line, (currency, (loans, total)) in enumerate(report.disbursed.items(), start=1):
        amounts.write(line, 0, currency)
        amounts.write_number(line, 1, loans, count)
        amounts.write_number(line, 2, float(total), amount)
    line += 2
    amounts.write(line, 0, _("Converted to %(currency)s") % {"currency": report.currency}, bold)
    amounts.write_number(line, 2, float(report.converted.amount), amount)
    line += 2
    amounts.write(line, 0, _("Exchange rates used"), header)
    amounts.write(line, 1, _("Date"), header)
    amounts.write(line, 2, _("Rate"), header)
    rate_format = book.add_format({"num_format": "0.00000000"})
    for currency, rates in report.converted.rates.items():
        for day, rate in rates:
            line += 1
            amounts.write(line, 0, f"{currency} → {report.currency}")
            amounts.write(line, 1, day.isoformat())
            amounts.write_number(line, 2, float(rate), rate_format)
    amounts.set_column(0, 0, 26)
    amounts.set_column(1, 2, 18)

    for _dimension, label, rows in report.disaggregations:
        part = book.add_worksheet(str(label)[:31])
        currencies = sorted({cur for r in rows for cur in r["amounts"]})
        titles = [
            str(label),
            _("Registered"),
            _("Completed training"),
            _("Borrowers"),
            _("Loans disbursed"),
            *[_("Amount disbursed, %(currency)s") % {"currency": cur} for cur in currencies],
        ]
        for col, text in enumerate(titles):
            part.write(0, col, text, header)
        for line, item in enumerate(rows, start=1):
            part.write(line, 0, item["category"])
            for col, key in enumerate(["registered", "completed_training", "borrowers", "loans"]):
                if item[key] is not None:
                    part.write_number(line, col + 1, item[key], count)
            for col, cur in enumerate(currencies, start=5):
                if cur in item["amounts"]:
                    part.write_number(line, col, float(item["amounts"][cur]), amount)
        part.set_column(0, 0, 28)
        part.set_column(1, 4 + len(currencies), 16)
    book.close()
    return out.getvalue()


# --- PDF --------------------------------------------------------------------------------------


def donor_html(report: DonorReport) -> str:
    rows = [
        {
            "label": figure.label,
            "value": figure_text(figure),
            "basis": figure_basis(figure),
            "definition": figure.definition,
        }
        for figure in report.headline
    ]
    disbursed = [
        {"currency": cur, "loans": formatting.number(n), "amount": formatting.money(total, cur)}
        for cur, (n, total) in report.disbursed.items()
    ]
    rates = [
        {"pair": f"{cur} → {report.currency}", "date": formatting.date(day), "rate": str(rate)}
        for cur, days in report.converted.rates.items()
        for day, rate in days
    ]
    parts = [
        {
            "label": label,
            "rows": [
                {
                    "category": item["category"],
                    "registered": formatting.number(item["registered"]),
                    "completed": formatting.number(item["completed_training"]),
                    "borrowers": formatting.number(item["borrowers"]),
                    "loans": "" if item["loans"] is None else formatting.number(item["loans"]),
                    "amounts": ", ".join(
                        formatting.money(total, cur) for cur, total in item["amounts"].items()
                    ),
                }
                for item in items
            ],
        }
        for _dimension, label, items in report.disaggregations
    ]
    return render_to_string(
        "reports/donor_pdf.html",
        {
            "title": _title(report),
            "report": report,
            "rows": rows,
            "disbursed": disbursed,
            "converted": formatting.money(report.converted.amount, report.currency, exact=True),
            "rates": rates,
            "parts": parts,
            "organization": report.project.organization.name,
            "branch": _("all branches")
            if report.whole_organization
            else _("the branches you work in"),
            "language": translation.get_language(),
            "direction": "rtl" if translation.get_language_bidi() else "ltr",
            "printed_on": formatting.date(timezone.localdate(), "long"),
        },
    )


def donor_pdf(report: DonorReport) -> bytes:
    return write_pdf(donor_html(report))
