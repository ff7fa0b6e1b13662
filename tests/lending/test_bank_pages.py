"""The bank-file pages under /loans/bank/: statement upload (streamed with its progress), the
reconciliation page, and the disbursement instruction download, with their queries pinned."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client
from django.urls import reverse

from tandir.lending.models import BankStatement, Loan, Repayment
from tests.factories import register
from tests.lending_factories import Lending, disbursed_loan

D = Decimal
HEADER = "value_date,loan_ref,amount,bank_ref"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    # The first page after logging in records the session's activity: not the page's queries.
    client.get(reverse("home"))
    return client


def upload(client: Client, *lines: str, name: str = "statement.csv") -> str:
    """Post a statement and read the whole streamed page."""
    content = "\n".join([HEADER, *lines]).encode()
    response = client.post(
        reverse("lending:bank_statements"), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 200
    assert response.streaming
    return b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]


@pytest.fixture
def loans(lending: Lending) -> tuple[Loan, Loan]:
    other = register(
        lending.world, first_name="Lusine", phone="+374 91 654321", national_id="AM7654321"
    )
    return (
        disbursed_loan(lending, lending.declining),
        disbursed_loan(lending, lending.flat, person=other, amount="600", term=6),
    )


def test_the_upload_page_lists_the_statements_in_a_pinned_number_of_queries(
    lending: Lending, loans: tuple[Loan, Loan], django_assert_num_queries: Any
) -> None:
    client = client_for(lending.officer)
    first, second = loans
    upload(client, f"2025-12-15,{first.reference},94.56,PB-1")
    upload(client, f"2025-12-16,{second.reference},20.00,PB-2", name="second.csv")

    # session, user, the statements (one query, scoped with a subquery)
    with django_assert_num_queries(3):
        response = client.get(reverse("lending:bank_statements"))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in page
    assert "statement.csv" in page and "second.csv" in page


def test_a_statement_uploaded_is_posted_with_its_progress_and_a_link_to_its_reconciliation(
    lending: Lending, loans: tuple[Loan, Loan]
) -> None:
    first, second = loans

    page = upload(
        client_for(lending.officer),
        f"2025-12-15,{first.reference},94.56,PB-1",
        f"2025-12-16,{second.reference},20.00,PB-2",
    )

    statement = BankStatement.objects.get()
    assert "<progress" in page
    assert "2 payments posted." in page
    assert reverse("lending:bank_statement", args=[statement.pk]) in page
    assert page.rstrip().endswith("</html>")
    assert Repayment.objects.count() == 2


def test_a_bad_statement_shows_every_error_and_its_unmatched_lines_and_posts_nothing(
    lending: Lending, loans: tuple[Loan, Loan]
) -> None:
    first, _second = loans

    page = upload(
        client_for(lending.officer),
        f"2025-12-15,{first.reference},94.56,PB-1",
        "2025-12-15,L-NOPE,10.00,PB-2",
        f"2025-12-40,{first.reference},10.00,PB-3",
    )

    assert "Nothing was posted" in page
    assert "no loan with the reference L-NOPE" in page
    assert "not a date (YYYY-MM-DD): 2025-12-40" in page
    assert 'id="lines-unmatched"' in page and 'id="lines-matched"' in page
    assert "2 matched to a loan, 1 unmatched, 0 imported before." in page
    assert (Repayment.objects.count(), BankStatement.objects.count()) == (0, 0)


def test_checking_a_statement_takes_the_same_queries_for_two_lines_as_for_forty(
    lending: Lending, loans: tuple[Loan, Loan], django_assert_num_queries: Any
) -> None:
    first, _second = loans
    client = client_for(lending.officer)

    def bad_file(count: int) -> list[str]:
        # A future date on every line: all checked, nothing posted.
        return [f"2999-01-01,{first.reference},1.00,PB-{n}" for n in range(count)]

    # session, user, and per chunk of lines: the loans, the references imported before
    with django_assert_num_queries(4):
        upload(client, *bad_file(2))
    with django_assert_num_queries(4):
        upload(client, *bad_file(40))


def test_the_same_file_uploaded_twice_posts_once_and_reconciles_as_duplicates(
    lending: Lending, loans: tuple[Loan, Loan], django_assert_num_queries: Any
) -> None:
    first, second = loans
    client = client_for(lending.officer)
    lines = (f"2025-12-15,{first.reference},94.56,PB-1", f"2025-12-16,{second.reference},20,PB-2")
    upload(client, *lines)

    page = upload(client, *lines)

    assert "0 payments posted." in page
    assert "2 lines were imported before: nothing posted for them." in page
    assert Repayment.objects.count() == 2
    again = BankStatement.objects.order_by("pk").last()
    assert again is not None
    # session, user, the statement, the count of its lines, a page of them with loan and receipt
    with django_assert_num_queries(5):
        response = client.get(reverse("lending:bank_statement", args=[again.pk]))
    text = response.content.decode()
    assert text.count("Duplicate: imported before, nothing posted") == 2
    assert Repayment.objects.get(reference="bank:PB-1").receipt_number in text


def test_the_reconciliation_page_is_404_outside_the_users_branches(
    lending: Lending, loans: tuple[Loan, Loan]
) -> None:
    first, _second = loans
    upload(client_for(lending.officer), f"2025-12-15,{first.reference},94.56,PB-1")
    statement = BankStatement.objects.get()

    response = client_for(lending.world.loan_officer_b).get(
        reverse("lending:bank_statement", args=[statement.pk])
    )

    assert response.status_code == 404
    listing = client_for(lending.world.loan_officer_b).get(reverse("lending:bank_statements"))
    assert "statement.csv" not in listing.content.decode()


def test_a_role_that_does_not_collect_gets_403_on_the_statement_page(lending: Lending) -> None:
    response = client_for(lending.world.me_officer).get(reverse("lending:bank_statements"))
    assert response.status_code == 403


def test_a_file_that_is_not_csv_or_xlsx_is_refused_by_the_form(lending: Lending) -> None:
    response = client_for(lending.officer).post(
        reverse("lending:bank_statements"),
        {"file": SimpleUploadedFile("statement.pdf", b"%PDF-1.7")},
    )
    assert response.status_code == 200
    assert not response.streaming
    assert "Choose a .csv or .xlsx file." in response.content.decode()


def test_the_disbursement_instruction_downloads_as_csv_and_xlsx_in_pinned_queries(
    lending: Lending, loans: tuple[Loan, Loan], django_assert_num_queries: Any
) -> None:
    first, _second = loans
    assert first.disbursement_id is not None
    client = client_for(lending.officer)
    url = reverse("lending:disbursement_file", kwargs={"pk": first.disbursement_id, "fmt": "xlsx"})

    # session, user, the disbursement, the check of its loans' scope, the loans, the
    # protected people among them
    with django_assert_num_queries(6):
        response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="disbursement-')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [first.reference]
    csv_url = reverse(
        "lending:disbursement_file", kwargs={"pk": first.disbursement_id, "fmt": "csv"}
    )
    text = client.get(csv_url).content.decode("utf-8-sig")
    assert text.splitlines()[1].startswith(f'"{first.reference}","Anahit Petrosyan"')


def test_the_disbursement_instruction_is_404_outside_the_users_branches_and_for_other_formats(
    lending: Lending, loans: tuple[Loan, Loan]
) -> None:
    first, _second = loans
    pk = first.disbursement_id
    url = reverse("lending:disbursement_file", kwargs={"pk": pk, "fmt": "csv"})
    assert client_for(lending.world.loan_officer_b).get(url).status_code == 404
    pdf = reverse("lending:disbursement_file", kwargs={"pk": pk, "fmt": "pdf"})
    assert client_for(lending.officer).get(pdf).status_code == 404


def test_a_large_statement_streams_a_progress_bar_per_chunk_of_lines_checked(
    lending: Lending, loans: tuple[Loan, Loan], settings: Any
) -> None:
    settings.TANDIR_IMPORT_MAX_ERRORS = 10_000
    first, _second = loans
    lines = [f"2999-01-01,{first.reference},1.00,PB-{n}" for n in range(2500)]

    page = upload(client_for(lending.officer), *lines)

    assert [part.split('value="')[1].split('"')[0] for part in page.split("<progress")[1:]] == [
        "1000",
        "2000",
        "2500",
    ]
    assert 'max="2500"' in page
    assert "2500 problems in the file" in page
    assert Repayment.objects.count() == 0


def test_the_uploaded_file_is_removed_once_the_page_is_sent(
    lending: Lending, loans: tuple[Loan, Loan], tmp_path: Path, monkeypatch: Any
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    first, _second = loans
    client = client_for(lending.officer)
    content = f"{HEADER}\n2999-01-01,{first.reference},1.00,PB-1\n".encode()

    response = client.post(
        reverse("lending:bank_statements"), {"file": SimpleUploadedFile("s.csv", content)}
    )
    assert [p.name.startswith("statement-") for p in tmp_path.iterdir()] == [True]
    # The client went away before the first chunk. (Closing a response outside the test
    # client would also close the test's database connection, as the end of a request does.)
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)

    assert list(tmp_path.iterdir()) == []
