"""Disbursement instructions for a partner bank: a CSV and an XLSX with client, ID, amount and
bank branch per loan, as the bank processes them; complete or not given."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.http import Http404

from tandir.core.models import TargetGroup
from tandir.lending import actions, files
from tandir.lending.models import Disbursement, Loan, LoanProduct
from tandir.orgs.models import Role
from tandir.registry.models import Beneficiary
from tests.factories import make_user, register
from tests.lending_factories import Lending

D = Decimal
ON = datetime.date(2025, 11, 15)


def approved(
    lending: Lending, product: LoanProduct, person: Beneficiary, amount: str, rate: str
) -> Loan:
    loan = actions.apply_for_loan(
        lending.officer, person, product, amount=D(amount), term=12, rate=D(rate),
        purpose="Sewing machine", sector="crafts", on=ON - datetime.timedelta(days=14),
    )  # fmt: skip
    actions.appraise(
        lending.appraiser, loan, business_income=D("1200"), business_expenses=D("300"),
        household_income=D("100"), household_expenses=D("350"),
    )  # fmt: skip
    return actions.approve(
        lending.committee, loan, fund=lending.fund, bank_branch=lending.bank_branch,
        on=ON - datetime.timedelta(days=7),
    )  # fmt: skip


@pytest.fixture
def disbursement(lending: Lending) -> Disbursement:
    other = register(
        lending.world, first_name="Lusine", phone="+374 91 654321", national_id="=AM7654321"
    )
    loans = [
        approved(lending, lending.declining, lending.person, "1000", "24"),
        approved(lending, lending.qard, other, "500", "0"),
    ]
    return actions.instruct_disbursement(lending.officer, lending.bank, loans, on=ON)


def test_the_instruction_has_one_payment_per_loan_with_what_the_client_receives(
    lending: Lending, disbursement: Disbursement
) -> None:
    lines = files.instruction_lines(lending.officer, disbursement)

    assert [(line.client_name, line.amount, line.currency) for line in lines] == [
        ("Anahit Petrosyan", D("1000.00"), "USD"),
        # The Qard Hasan product's fee of 10 is deducted when the loan is paid out.
        ("Lusine Petrosyan", D("490.00"), "USD"),
    ]
    assert {(line.bank_branch_code, line.bank_branch) for line in lines} == {("PB-GY", "Gyumri")}
    assert files.totals(lines) == {"USD": D("1490.00")}


def test_the_csv_reads_back_with_every_column_and_no_cell_a_spreadsheet_would_run(
    lending: Lending, disbursement: Disbursement
) -> None:
    lines = files.instruction_lines(lending.officer, disbursement)
    text = files.instruction_csv(lines)

    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(rows[0]) == files.COLUMNS
    assert [(r["loan_ref"], r["client_name"], r["id_number"], r["amount"]) for r in rows] == [
        (lines[0].loan_ref, "Anahit Petrosyan", "AM1234567", "1000.00"),
        (lines[1].loan_ref, "Lusine Petrosyan", "'=AM7654321", "490.00"),
    ]
    assert {(r["currency"], r["bank_branch_code"], r["bank_branch"]) for r in rows} == {
        ("USD", "PB-GY", "Gyumri")
    }


def test_the_xlsx_opens_in_openpyxl_with_amounts_as_exact_text(
    lending: Lending, disbursement: Disbursement
) -> None:
    lines = files.instruction_lines(lending.officer, disbursement)
    book = openpyxl.load_workbook(io.BytesIO(files.instruction_xlsx(lines, disbursement)))
    sheet = book.worksheets[0]

    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == files.COLUMNS
    assert [row[1:6] for row in rows[1:]] == [
        ("Anahit Petrosyan", lines[0].id_document, "AM1234567", "1000.00", "USD"),
        ("Lusine Petrosyan", lines[1].id_document, "=AM7654321", "490.00", "USD"),
    ]
    # Text, never a formula or a float.
    assert {sheet.cell(row=3, column=3 + 1).data_type, sheet.cell(row=2, column=5).data_type} == {
        "s"
    }
    assert sheet.title == f"Disbursement {disbursement.pk}"


def test_the_file_name_says_which_disbursement_and_when(
    lending: Lending, disbursement: Disbursement
) -> None:
    assert (
        files.file_name(disbursement, "xlsx") == f"disbursement-{disbursement.pk}-2025-11-15.xlsx"
    )


def test_a_file_with_a_loan_outside_the_users_branches_is_not_given(
    lending: Lending, disbursement: Disbursement
) -> None:
    officer_b = make_user(lending.world.org, Role.LOAN_OFFICER, [lending.world.branch_b], "b2")
    with pytest.raises(Http404):
        files.access_disbursement(officer_b, disbursement.pk)
    assert files.access_disbursement(lending.officer, disbursement.pk) == disbursement


def test_a_role_that_neither_disburses_nor_confirms_gets_no_file(
    lending: Lending, disbursement: Disbursement
) -> None:
    with pytest.raises(Http404):
        files.access_disbursement(lending.world.me_officer, disbursement.pk)
    assert files.access_disbursement(lending.accountant, disbursement.pk) == disbursement


def test_a_person_of_a_protected_group_in_the_file_is_logged_as_seen(
    lending: Lending, disbursement: Disbursement
) -> None:
    from tandir.core.audit import AccessLog

    protected = TargetGroup.objects.filter(is_protected=True).first()
    assert protected is not None
    lending.person.target_groups.add(protected)

    files.instruction_lines(lending.officer, disbursement)

    assert list(AccessLog.objects.values_list("record_id", "channel", "user_id")) == [
        (lending.person.pk, "export", lending.officer.pk)
    ]
