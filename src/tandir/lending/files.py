"""Disbursement instructions as files a partner bank can process: CSV and XLSX.

One line per loan of a `Disbursement`: the loan reference, the client's name and ID document,
the amount the bank pays out, its currency and the bank branch where the client collects it.
The amount is what the client receives, as the loan engine computes it and as the disbursement
entry draws it from the fund: the amount financed less upfront fees deducted and compulsory
savings withheld (for a Murabaha, the cost of the asset).

The column names are the same in every language (a bank's system reads them). Amounts are
written as text with the currency's decimals, in XLSX too, so no floating-point number ever holds
them; no cell is something a spreadsheet would run (CSV cells starting with `=`, `+`, `-`, `@`
get a leading quote, as the registry's exports do).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from tandir.core.money import money
from tandir.engine import build_schedule
from tandir.lending.models import Disbursement, Loan
from tandir.lending.queries import loans_in_scope
from tandir.lending.terms import loan_terms
from tandir.orgs.access import scope
from tandir.orgs.roles import Right, has_right
from tandir.registry.exports import csv_cell
from tandir.registry.queries import log_views

COLUMNS = [
    "loan_ref", "client_name", "id_document", "id_number", "amount", "currency",
    "bank_branch_code", "bank_branch",
]  # fmt: skip
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class InstructionLine:
    """One payment the bank is asked to make."""

    loan_id: int
    loan_ref: str
    client_name: str
    id_document: str
    id_number: str
    amount: Decimal
    currency: str
    bank_branch_code: str
    bank_branch: str

    def cells(self) -> list[str]:
        return [
            self.loan_ref,
            self.client_name,
            self.id_document,
            self.id_number,
            amount_text(self.amount, self.currency),
            self.currency,
            self.bank_branch_code,
            self.bank_branch,
        ]


def amount_text(amount: Decimal, currency: str) -> str:
    """An amount as a bank file writes it: digits, a point, the currency's decimals."""
    return str(money(amount, currency).amount)


def access_disbursement(user: Any, disbursement_id: Any) -> Disbursement:
    """A disbursement whose every loan the user may reach; 404 otherwise.

    A bank file is complete or not given: a user who may not see one of its loans gets no file
    (rather than a file that silently leaves a client out). It names clients and their ID
    numbers, so only those who send instructions or confirm them (rights `disburse`,
    `confirm_disbursement`) get it.
    """
    if not has_right(user, Right.SEE_RECORDS) or not (
        has_right(user, Right.DISBURSE) or has_right(user, Right.CONFIRM_DISBURSEMENT)
    ):
        raise Http404("No disbursement found.")
    try:
        disbursement = (
            scope(user, Disbursement.objects.all(), branch_field=None)
            .select_related("bank")
            .get(pk=int(disbursement_id))
        )
    except (Disbursement.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No disbursement found.") from exc
    loans = Loan.objects.filter(disbursement=disbursement)
    if loans.exclude(pk__in=loans_in_scope(user).values("pk")).exists():
        raise Http404("No disbursement found.")
    return disbursement


def instruction_lines(user: Any, disbursement: Disbursement) -> list[InstructionLine]:
    """The disbursement's loans as payments, by loan reference.

    The file carries names and ID numbers: a person of a protected group in it is a protected
    record read, so it goes to the access log (channel "export"), as the registry's exports do.
    """
    loans = (
        Loan.objects.filter(disbursement=disbursement)
        .select_related("beneficiary", "bank_branch", "product_version")
        .order_by("reference")
    )
    lines = []
    for loan in loans:
        day = loan.disbursed_on or disbursement.instructed_on
        schedule = build_schedule(loan_terms(loan, disbursed=day))
        person = loan.beneficiary
        branch = loan.bank_branch
        lines.append(
            InstructionLine(
                loan_id=loan.pk,
                loan_ref=loan.reference,
                client_name=person.full_name,
                id_document=person.id_document,
                id_number=person.national_id or "",
                amount=schedule.amount_received,
                currency=loan.currency,
                bank_branch_code=branch.code if branch else "",
                bank_branch=branch.name if branch else "",
            )
        )
    protected = (
        loans.filter(beneficiary__target_groups__is_protected=True)
        .order_by()
        .values_list("beneficiary_id", flat=True)
        .distinct()
    )
    if user.organization_id:
        log_views(user, ((user.organization_id, pk) for pk in protected), "export")
    return lines


def totals(lines: list[InstructionLine]) -> dict[str, Decimal]:
    """What the bank pays out in all, per currency."""
    summed: dict[str, Decimal] = {}
    for line in lines:
        summed[line.currency] = summed.get(line.currency, Decimal(0)) + line.amount
    return dict(sorted(summed.items()))


def instruction_csv(lines: list[InstructionLine]) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so that Excel reads the clients' names as UTF-8
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(COLUMNS)
    writer.writerows([csv_cell(cell) for cell in line.cells()] for line in lines)
    return buffer.getvalue()


def instruction_xlsx(lines: list[InstructionLine], disbursement: Disbursement) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            # Text stays text: no formula, link or number is made of a name or an amount.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = book.add_worksheet((_("Disbursement") + f" {disbursement.pk}")[:31])
    bold = book.add_format({"bold": True})
    right = book.add_format({"align": "right"})
    for column, name in enumerate(COLUMNS):
        sheet.write_string(0, column, name, bold)
    amount_column = COLUMNS.index("amount")
    for number, line in enumerate(lines, start=1):
        for column, value in enumerate(line.cells()):
            if value:
                style = right if column == amount_column else None
                sheet.write_string(number, column, value, style)
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 28)
    sheet.set_column(2, 7, 14)
    book.close()
    return out.getvalue()


def file_name(disbursement: Disbursement, file_format: str) -> str:
    return f"disbursement-{disbursement.pk}-{disbursement.instructed_on.isoformat()}.{file_format}"


def instruction_response(user: Any, disbursement: Disbursement, file_format: str) -> HttpResponse:
    """The instruction file as a download, in the format asked for ("csv" or "xlsx")."""
    lines = instruction_lines(user, disbursement)
    if file_format == "csv":
        response = HttpResponse(instruction_csv(lines), content_type="text/csv; charset=utf-8")
    elif file_format == "xlsx":
        response = HttpResponse(instruction_xlsx(lines, disbursement), content_type=XLSX_TYPE)
    else:
        raise Http404("No such format.")
    response["Content-Disposition"] = (
        f'attachment; filename="{file_name(disbursement, file_format)}"'
    )
    return response
