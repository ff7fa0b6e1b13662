"""Bank statements (`value_date, loan_ref, amount, bank_ref`): checked in full, posted all or
nothing, once per bank reference, by the page's functions and by `tandir import repayments`."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tandir.ledger.models import JournalEntry
from tandir.lending import actions
from tandir.lending.bank_statements import check_statement, import_statement
from tandir.lending.models import (
    BankStatement,
    BankStatementLine,
    Installment,
    Loan,
    LoanStatus,
    Repayment,
)
from tests.factories import register
from tests.lending_factories import Lending, disbursed_loan

D = Decimal
HEADER = "value_date,loan_ref,amount,bank_ref"


def statement(tmp_path: Path, *lines: str, name: str = "statement.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def first_due(loan: Loan) -> Installment:
    return Installment.objects.filter(loan=loan).order_by("number").first()  # type: ignore[return-value]


def due_amount(row: Installment) -> Decimal:
    return row.principal + row.charge + row.fees + row.savings


@pytest.fixture
def two_loans(lending: Lending) -> tuple[Loan, Loan]:
    other = register(
        lending.world, first_name="Lusine", phone="+374 91 654321", national_id="AM7654321"
    )
    return (
        disbursed_loan(lending, lending.declining),
        disbursed_loan(lending, lending.flat, person=other, amount="600", term=6),
    )


def written() -> tuple[int, int, int]:
    return Repayment.objects.count(), JournalEntry.objects.count(), BankStatement.objects.count()


def test_a_statement_posts_each_line_and_is_kept_for_reconciliation(
    lending: Lending, two_loans: tuple[Loan, Loan], tmp_path: Path
) -> None:
    declining, flat = two_loans
    row = first_due(declining)
    path = statement(
        tmp_path,
        f"{row.due_date},{declining.reference},94.56,PB-0001",
        f"2025-12-20,{flat.reference},50.00,PB-0002",
    )

    result = import_statement(lending.officer, path)

    assert result.errors == []
    assert (result.matched, result.unmatched, result.duplicates, result.posted) == (2, 0, 0, 2)
    paid = Repayment.objects.get(reference="bank:PB-0001")
    assert (paid.loan_id, paid.amount, paid.value_date) == (declining.pk, D("94.56"), row.due_date)
    assert (paid.source, paid.bank_reference) == ("bank_file", "PB-0001")
    declining.refresh_from_db()
    assert declining.principal_outstanding == D("925.44")
    kept = BankStatement.objects.get()
    assert (kept.file_name, kept.lines, kept.matched, kept.duplicates) == ("statement.csv", 2, 2, 0)
    assert list(
        BankStatementLine.objects.filter(statement=kept).values_list(
            "line", "outcome", "bank_reference", "repayment__receipt_number"
        )
    ) == [
        (2, "matched", "PB-0001", paid.receipt_number),
        (3, "matched", "PB-0002", Repayment.objects.get(reference="bank:PB-0002").receipt_number),
    ]


def test_the_same_bank_file_twice_posts_once(
    lending: Lending, two_loans: tuple[Loan, Loan], tmp_path: Path
) -> None:
    declining, flat = two_loans
    path = statement(
        tmp_path,
        f"2025-12-15,{declining.reference},94.56,PB-0001",
        f"2025-12-20,{flat.reference},50.00,PB-0002",
    )
    import_statement(lending.officer, path)
    repayments, entries, _statements = written()

    again = import_statement(lending.officer, path)

    assert again.errors == []
    assert (again.matched, again.duplicates, again.posted) == (0, 2, 0)
    assert written()[:2] == (repayments, entries)
    assert again.statement is not None
    assert (again.statement.matched, again.statement.duplicates) == (0, 2)


def test_every_bad_line_is_reported_with_its_column_and_nothing_is_written(
    lending: Lending, two_loans: tuple[Loan, Loan], tmp_path: Path
) -> None:
    declining, flat = two_loans
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    path = statement(
        tmp_path,
        f"2025-12-15,{declining.reference},94.56,PB-0001",  # good
        "2025-12-15,L-NOPE,10.00,PB-0002",
        f"15.12.2025,{declining.reference},10.00,PB-0003",
        f"{tomorrow},{declining.reference},10.00,PB-0004",
        f"2025-12-16,{flat.reference},10.00,PB-0001",
        f"2025-12-16,{flat.reference},10.005,PB-0005",
        f"2025-12-16,{flat.reference},1 000,PB-0006",
        f"2025-12-16,{flat.reference},-5,PB-0007",
        f"2025-11-01,{flat.reference},5.00,PB-0008",
        ",,,",  # an empty line is no line
        f"2025-12-16,{flat.reference},,",
    )
    before = written()

    result = import_statement(lending.officer, path)

    assert [(e.line, e.column) for e in result.errors] == [
        (3, "loan_ref"),
        (4, "value_date"),
        (5, "value_date"),
        (6, "bank_ref"),
        (7, "amount"),
        (8, "amount"),
        (9, "amount"),
        (10, "value_date"),
        (12, "amount"),
        (12, "bank_ref"),
    ]
    reasons = [e.reason for e in result.errors]
    assert reasons[0] == "no loan with the reference L-NOPE"
    assert reasons[1] == "not a date (YYYY-MM-DD): 15.12.2025"
    assert reasons[2] == "a repayment cannot be dated in the future"
    assert reasons[3] == "the bank reference PB-0001 is also on line 2"
    assert reasons[4] == "has more decimals than USD allows"
    assert reasons[5] == "not an amount (write 1234.56): 1 000"
    assert reasons[6] == "not an amount (write 1234.56): -5"
    assert reasons[7] == "before the loan's current schedule began (2025-11-15)"
    assert str(result.errors[0]) == "line 3, column loan_ref: no loan with the reference L-NOPE"
    assert result.unmatched == 1
    assert written() == before


def test_a_payment_into_a_closed_loan_is_refused_and_nothing_is_written(
    lending: Lending, two_loans: tuple[Loan, Loan], tmp_path: Path
) -> None:
    declining, flat = two_loans
    for row in Installment.objects.filter(loan=flat).order_by("number"):
        actions.record_repayment(
            lending.officer, flat, amount=due_amount(row), value_date=row.due_date,
            reference=f"counter-{row.number}",
        )  # fmt: skip
    flat.refresh_from_db()
    assert flat.status == LoanStatus.CLOSED
    path = statement(
        tmp_path,
        f"2025-12-15,{declining.reference},94.56,PB-0001",
        f"2026-06-20,{flat.reference},10.00,PB-0002",
    )
    before = written()

    result = import_statement(lending.officer, path)

    assert [str(e) for e in result.errors] == [
        f"line 3, column loan_ref: the loan {flat.reference} is closed: nothing is owed"
    ]
    assert written() == before


def test_a_loan_of_another_branch_reads_as_unknown(
    lending: Lending, two_loans: tuple[Loan, Loan], tmp_path: Path
) -> None:
    declining, _flat = two_loans
    path = statement(tmp_path, f"2025-12-15,{declining.reference},94.56,PB-0001")
    before = written()

    result = import_statement(lending.world.loan_officer_b, path)

    assert [str(e) for e in result.errors] == [
        f"line 2, column loan_ref: no loan with the reference {declining.reference}"
    ]
    assert result.unmatched == 1
    assert written() == before


def test_a_bank_reference_imported_before_for_another_payment_is_refused(
    lending: Lending, two_loans: tuple[Loan, Loan], tmp_path: Path
) -> None:
    declining, _flat = two_loans
    import_statement(
        lending.officer, statement(tmp_path, f"2025-12-15,{declining.reference},94.56,PB-1")
    )
    before = written()

    result = import_statement(
        lending.officer,
        statement(tmp_path, f"2025-12-15,{declining.reference},90.00,PB-1", name="second.csv"),
    )

    assert [(e.line, e.column) for e in result.errors] == [(2, "bank_ref")]
    assert "imported before for another payment" in result.errors[0].reason
    assert written() == before


def test_a_refusal_while_posting_undoes_every_line_of_the_statement(
    lending: Lending, tmp_path: Path
) -> None:
    loan = disbursed_loan(lending, lending.qard, rate="0", amount="300", term=3)
    owed = sum((due_amount(row) for row in Installment.objects.filter(loan=loan)), start=D(0))
    # The first line closes the loan; the second, later, has nothing left to pay.
    path = statement(
        tmp_path,
        f"2025-12-01,{loan.reference},{owed},PB-1",
        f"2025-12-02,{loan.reference},5.00,PB-2",
    )
    before = written()

    result = import_statement(lending.officer, path)

    assert [str(e) for e in result.errors] == ["line 3: The loan is closed: nothing is owed."]
    assert written() == before
    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACTIVE


def test_an_xlsx_statement_with_date_and_number_cells_posts_like_a_csv(
    lending: Lending, two_loans: tuple[Loan, Loan], tmp_path: Path
) -> None:
    declining, flat = two_loans
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["value_date", "loan_ref", "amount", "bank_ref", "note"])
    sheet.append([datetime.date(2025, 12, 15), declining.reference, 94.56, "PB-0001", "first"])
    sheet.append(["2025-12-20", flat.reference, "50", 1234])
    path = tmp_path / "statement.xlsx"
    book.save(path)

    result = import_statement(lending.officer, path)

    assert result.errors == []
    assert result.ignored_columns == ["note"]
    assert sorted(Repayment.objects.values_list("reference", "amount")) == [
        ("bank:1234", D("50.00")),
        ("bank:PB-0001", D("94.56")),
    ]


def test_a_formula_cell_is_an_error_of_its_line(
    lending: Lending, two_loans: tuple[Loan, Loan], tmp_path: Path
) -> None:
    declining, _flat = two_loans
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["value_date", "loan_ref", "amount", "bank_ref"])
    sheet.append(["2025-12-15", declining.reference, "=90+4.56", "PB-0001"])
    path = tmp_path / "statement.xlsx"
    book.save(path)

    result = check_statement(lending.officer, path)

    assert [str(e) for e in result.errors] == [
        "line 2, column amount: a formula; type the value itself"
    ]


def test_a_role_that_does_not_collect_imports_nothing(
    lending: Lending, two_loans: tuple[Loan, Loan], tmp_path: Path
) -> None:
    declining, _flat = two_loans
    path = statement(tmp_path, f"2025-12-15,{declining.reference},94.56,PB-0001")
    before = written()

    result = import_statement(lending.world.me_officer, path)

    assert [str(e) for e in result.errors] == ["Your role does not allow recording payments."]
    assert written() == before


def test_the_action_refuses_a_role_that_does_not_collect(
    lending: Lending, two_loans: tuple[Loan, Loan]
) -> None:
    declining, _flat = two_loans
    payment = actions.StatementPayment(
        line=2, loan_id=declining.pk, value_date=datetime.date(2025, 12, 15),
        amount=D("94.56"), currency="USD", bank_reference="PB-0001",
    )  # fmt: skip
    with pytest.raises(actions.NotAllowed):
        actions.import_bank_statement(
            lending.world.me_officer, [payment], file_name="s.csv", sha256="0" * 64
        )
    assert written()[0] == 0


def test_a_file_without_a_required_column_is_one_error(lending: Lending, tmp_path: Path) -> None:
    path = tmp_path / "statement.csv"
    path.write_text("value_date;loan_ref;amount\n2025-12-15;L1;5\n", encoding="utf-8")

    result = import_statement(lending.officer, path)

    assert [(e.line, e.column, e.reason) for e in result.errors] == [
        (1, "bank_ref", "required column missing")
    ]


def test_a_statement_with_no_payment_lines_is_refused(lending: Lending, tmp_path: Path) -> None:
    result = import_statement(lending.officer, statement(tmp_path, ",,,"))

    assert [str(e) for e in result.errors] == ["The statement has no payment lines."]
    assert written() == (0, JournalEntry.objects.count(), 0)


def test_import_repayments_posts_the_statement_and_says_how_many(
    lending: Lending,
    two_loans: tuple[Loan, Loan],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    declining, flat = two_loans
    path = statement(
        tmp_path,
        f"2025-12-15,{declining.reference},94.56,PB-0001",
        f"2025-12-20,{flat.reference},50.00,PB-0002",
    )

    call_command("import_repayments", str(path), "--as", lending.officer.username)
    call_command("import_repayments", str(path), "--as", lending.officer.username)

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("2 payments posted, 0 already imported before")
    assert out[1].startswith("0 payments posted, 2 already imported before")
    assert Repayment.objects.count() == 2


def test_import_repayments_lists_every_bad_line_on_stderr_and_exits_nonzero(
    lending: Lending,
    two_loans: tuple[Loan, Loan],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    declining, _flat = two_loans
    path = statement(
        tmp_path,
        f"2025-12-15,{declining.reference},94.56,PB-0001",
        "2025-12-15,L-NOPE,10.00,PB-0002",
        f"2025-13-01,{declining.reference},10.00,PB-0003",
    )
    before = written()

    with pytest.raises(CommandError, match=r"2 problems in statement\.csv; nothing was imported"):
        call_command("import_repayments", str(path), "--as", lending.officer.username)

    assert capsys.readouterr().err.splitlines() == [
        "line 3, column loan_ref: no loan with the reference L-NOPE",
        "line 4, column value_date: not a date (YYYY-MM-DD): 2025-13-01",
    ]
    assert written() == before


def test_import_repayments_refuses_an_unknown_user_and_a_missing_file(
    lending: Lending, tmp_path: Path
) -> None:
    path = statement(tmp_path, "2025-12-15,L1,5,PB-1")
    with pytest.raises(CommandError, match="No active user nobody"):
        call_command("import_repayments", str(path), "--as", "nobody")
    with pytest.raises(CommandError, match=r"give an existing \.csv or \.xlsx file"):
        call_command("import_repayments", str(tmp_path / "missing.csv"), "--as", "loan_a")
