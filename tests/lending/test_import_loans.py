"""`tandir import loans`: an existing portfolio brought in whole or not at all, each loan with the
schedule `tandir schedule` prints for the same values, its opening entry against suspense."""

from __future__ import annotations

import datetime
import io
import json
from contextlib import redirect_stdout
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from tandir.ledger.charts import Role
from tandir.ledger.models import JournalEntry, JournalLine
from tandir.ledger.queries import balance
from tandir.lending import actions
from tandir.lending.models import Installment, Loan, LoanEvent, LoanProduct, LoanStatus
from tandir.registry.models import Beneficiary, Status, StatusChange
from tandir.schedule_cli import main as schedule_main
from tests.factories import register
from tests.lending_factories import Lending

D = Decimal
HEADER = (
    "loan_ref,beneficiary,branch,officer,method,amount,currency,rate,markup,service_fee,term,"
    "frequency,disbursed_on,first_due,grace_principal,grace_interest,day_count,round_to,"
    "rounding,upfront_fee,savings,allocation,sector,purpose"
)
COLUMNS = HEADER.split(",")


def line(**cells: str) -> str:
    values = {"beneficiary": "AM1234567", "branch": "A", "disbursed_on": "2025-10-15"} | cells
    return ",".join(values.get(column, "") for column in COLUMNS)


def csv_file(tmp_path: Path, *lines: str, name: str = "portfolio.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def import_file(lending: Lending, path: Path) -> str:
    out = io.StringIO()
    call_command("import_loans", str(path), "--as", lending.world.admin.username, stdout=out)
    return out.getvalue()


# Values of a line, and the `tandir schedule` options that say the same.
SCHEDULES = [
    pytest.param(
        {
            "method": "flat",
            "amount": "1000",
            "currency": "USD",
            "rate": "24",
            "term": "12",
            "upfront_fee": "2%",
            "savings": "10%",
        },
        [
            "--method",
            "flat",
            "--amount",
            "1000",
            "--currency",
            "USD",
            "--rate",
            "24",
            "--term",
            "12",
            "--upfront-fee",
            "2%",
            "--savings",
            "10%",
        ],
        id="flat-with-fee-and-savings",
    ),
    pytest.param(
        {
            "method": "declining",
            "amount": "250000",
            "currency": "AMD",
            "rate": "18",
            "term": "18",
            "round_to": "10",
            "grace_principal": "2",
            "first_due": "2025-11-20",
        },
        [
            "--method",
            "declining",
            "--amount",
            "250000",
            "--currency",
            "AMD",
            "--rate",
            "18",
            "--term",
            "18",
            "--round-to",
            "10",
            "--grace-principal",
            "2",
            "--first-due",
            "2025-11-20",
        ],
        id="declining-rounded-with-grace",
    ),
    pytest.param(
        {
            "method": "equal-principal",
            "amount": "5000",
            "currency": "AZN",
            "rate": "20",
            "term": "10",
            "frequency": "fourweekly",
            "day_count": "actual/365",
            "rounding": "half-even",
            "grace_interest": "1",
        },
        [
            "--method",
            "equal-principal",
            "--amount",
            "5000",
            "--currency",
            "AZN",
            "--rate",
            "20",
            "--term",
            "10",
            "--frequency",
            "fourweekly",
            "--day-count",
            "actual/365",
            "--rounding",
            "half-even",
            "--grace-interest",
            "1",
        ],
        id="equal-principal-actual-days",
    ),
    pytest.param(
        {
            "method": "qard-hasan",
            "amount": "10000",
            "currency": "PKR",
            "service_fee": "500",
            "term": "4",
            "frequency": "fourweekly",
        },
        [
            "--method",
            "qard-hasan",
            "--amount",
            "10000",
            "--currency",
            "PKR",
            "--service-fee",
            "500",
            "--term",
            "4",
            "--frequency",
            "fourweekly",
        ],
        id="qard-hasan",
    ),
    pytest.param(
        {
            "method": "murabaha",
            "amount": "1200",
            "currency": "USD",
            "markup": "15",
            "term": "6",
            "frequency": "weekly",
        },
        [
            "--method",
            "murabaha",
            "--amount",
            "1200",
            "--currency",
            "USD",
            "--markup",
            "15",
            "--term",
            "6",
            "--frequency",
            "weekly",
        ],
        id="murabaha",
    ),
]


def printed_schedule(options: list[str]) -> list[tuple[int, str, Decimal, Decimal, Decimal]]:
    out = io.StringIO()
    with redirect_stdout(out):
        assert schedule_main([*options, "--disbursed", "2025-10-15", "--json"]) == 0
    return [
        (row["number"], row["due_date"], D(row["principal"]), D(row["charge"]), D(row["fees"]))
        for row in json.loads(out.getvalue())["installments"]
    ]


@pytest.mark.parametrize(("cells", "options"), SCHEDULES)
def test_each_imported_loan_has_the_schedule_tandir_schedule_prints_for_the_same_values(
    lending: Lending, tmp_path: Path, cells: dict[str, str], options: list[str]
) -> None:
    import_file(lending, csv_file(tmp_path, line(loan_ref="OLD-1", **cells)))
    loan = Loan.objects.get(reference="OLD-1")
    stored = [
        (r.number, r.due_date.isoformat(), r.principal, r.charge, r.fees)
        for r in Installment.objects.filter(loan=loan).order_by("number")
    ]
    assert stored == printed_schedule(options)
    assert loan.status == LoanStatus.ACTIVE
    assert loan.disbursed_on == loan.schedule_from == datetime.date(2025, 10, 15)
    # The stored loan rebuilds the same schedule through the path every later action takes.
    from tandir.engine import build_schedule
    from tandir.lending.terms import loan_terms

    rebuilt = build_schedule(loan_terms(loan)).installments
    assert [(r.number, r.principal, r.charge) for r in rebuilt] == [
        (n, p, c) for n, _day, p, c, _fees in stored
    ]


def test_empty_optional_cells_take_the_defaults_of_tandir_schedule(
    lending: Lending, tmp_path: Path
) -> None:
    import_file(
        lending,
        csv_file(
            tmp_path,
            line(
                loan_ref="D-1",
                method="declining",
                amount="1000",
                currency="USD",
                rate="24",
                term="3",
            ),
        ),
    )
    loan = Loan.objects.select_related("product_version").get(reference="D-1")
    version = loan.product_version
    assert (loan.frequency, loan.grace_principal, loan.grace_interest) == ("monthly", 0, 0)
    assert (version.day_count, version.rounding_mode, version.round_to) == (
        "periodic",
        "half-up",
        None,
    )
    assert version.allocation == "penalties-fees-charge-principal"
    assert (version.fees, version.savings) == ([], None)
    assert (loan.sector, loan.purpose, loan.officer_id) == ("other", "", None)
    assert not version.product.is_active  # never offered for new loans


def test_an_imported_loan_opens_against_suspense_and_its_person_becomes_a_borrower(
    lending: Lending, tmp_path: Path
) -> None:
    output = import_file(
        lending,
        csv_file(
            tmp_path,
            line(
                loan_ref="F-1",
                method="flat",
                amount="1000",
                currency="USD",
                rate="24",
                term="12",
                upfront_fee="2%",
                savings="10%",
                officer="loan_a",
                sector="crafts",
                purpose="Sewing machine",
            ),
            line(
                loan_ref="M-1",
                beneficiary="+374 91 123456",
                method="murabaha",
                amount="1200",
                currency="USD",
                markup="15",
                term="6",
            ),
        ),
    )
    assert "2 loans imported" in output
    flat = Loan.objects.get(reference="F-1")
    assert (flat.officer, flat.sector, flat.purpose) == (
        lending.officer,
        "crafts",
        "Sewing machine",
    )
    entry = JournalEntry.objects.get(loan_id=flat.pk)
    lines = {
        (line.account.role, line.debit, line.credit)
        for line in JournalLine.objects.filter(entry=entry).select_related("account")
    }
    # The fee was income of the old books; the savings the client left are still owed to her.
    assert lines == {
        (Role.LOAN_PORTFOLIO, D("1000"), D(0)),
        (Role.CLIENT_SAVINGS, D(0), D("100")),
        (Role.SUSPENSE, D(0), D("900")),
    }
    # Murabaha: the sale price is the receivable, the markup deferred profit.
    assert balance(lending.world.org.pk, Role.MURABAHA_RECEIVABLE, "USD") == D("1380")
    assert balance(lending.world.org.pk, Role.DEFERRED_PROFIT, "USD") == D("180")
    assert balance(lending.world.org.pk, Role.SUSPENSE, "USD") == D("-2100")
    person = Beneficiary.objects.get(pk=lending.person.pk)
    assert person.status == Status.BORROWER
    change = StatusChange.objects.get(beneficiary=person, to_status=Status.BORROWER)
    assert change.changed_on == datetime.date(2025, 10, 15)
    assert person.changes.first().history_channel == "import"
    assert LoanEvent.objects.filter(action="import", to_status=LoanStatus.ACTIVE).count() == 2
    assert Loan.history.filter(reference="F-1").get().history_channel == "import"


def test_an_imported_loan_takes_repayments_like_a_disbursed_one(
    lending: Lending, tmp_path: Path
) -> None:
    import_file(
        lending,
        csv_file(
            tmp_path,
            line(
                loan_ref="D-1",
                method="declining",
                amount="1000",
                currency="USD",
                rate="24",
                term="12",
            ),
        ),
    )
    loan = Loan.objects.get(reference="D-1")
    actions.record_repayment(
        lending.officer,
        loan,
        amount=D("94.56"),
        value_date=datetime.date(2025, 11, 15),
        reference="old-1",
    )
    loan.refresh_from_db()
    assert loan.principal_outstanding == D("925.44")
    assert balance(lending.world.org.pk, Role.LOAN_PORTFOLIO, "USD") == D("925.44")


def test_every_bad_line_is_reported_with_its_column_and_nothing_is_written(
    lending: Lending, tmp_path: Path
) -> None:
    register(lending.world, phone="+374 91 000001", national_id="AM7654321", first_name="Lilit")
    path = csv_file(
        tmp_path,
        line(loan_ref="OK-1", method="flat", amount="1000", currency="USD", rate="24", term="12"),
        line(loan_ref="B-2", method="islamic", amount="1000", currency="USD", term="12"),
        line(
            loan_ref="B-3",
            method="flat",
            amount="10.005",
            currency="USD",
            rate="24",
            term="12",
            disbursed_on="15/10/2025",
        ),
        line(loan_ref="OK-1", method="flat", amount="1000", currency="USD", rate="24", term="3"),
        line(
            loan_ref="B-5",
            beneficiary="AM0000000",
            branch="Z",
            method="declining",
            amount="1000",
            currency="USD",
            term="12",
        ),
        line(
            loan_ref="B-6",
            method="flat",
            amount="1000",
            currency="USD",
            rate="24",
            markup="10",
            term="12",
            officer="nobody",
            allocation="newest-first",
        ),
        line(
            loan_ref="B-7",
            method="qard-hasan",
            amount="1000",
            currency="PKR",
            rate="0",
            term="0",
            upfront_fee="2%",
        ),
        line(
            loan_ref="B-8",
            method="flat",
            amount="1000",
            currency="USD",
            rate="24",
            term="12",
            disbursed_on="2999-01-01",
        ),
    )
    with pytest.raises(CommandError, match=r"problems in portfolio\.csv; nothing was imported"):
        call_command("import_loans", str(path), "--as", "admin", stderr=io.StringIO())
    result = actions.import_portfolio(lending.world.admin, path)
    # In the file's order: by line, then by column.
    reported = [(e.line, e.column) for e in result.errors]
    assert reported == [
        (3, "method"),
        (4, "amount"),
        (4, "disbursed_on"),
        (5, "loan_ref"),
        (6, "beneficiary"),
        (6, "branch"),
        (6, "rate"),
        (7, "officer"),
        (7, "markup"),
        (7, "allocation"),
        (8, "rate"),
        (8, "term"),
        (8, "upfront_fee"),
        (9, "disbursed_on"),
    ]
    by_place = {(e.line, e.column): e.reason for e in result.errors}
    assert by_place[5, "loan_ref"] == "same as line 2"
    assert by_place[4, "amount"] == "has more decimals than USD allows"
    assert not Loan.objects.exists()
    assert not Installment.objects.exists()
    assert not JournalEntry.objects.filter(kind="disbursement").exists()
    assert not LoanProduct.objects.filter(code__startswith="import-").exists()
    assert Beneficiary.objects.get(pk=lending.person.pk).status != Status.BORROWER


def test_a_loan_reference_the_organisation_already_has_is_refused(
    lending: Lending, tmp_path: Path
) -> None:
    first = line(loan_ref="R-1", method="flat", amount="1000", currency="USD", rate="24", term="3")
    import_file(lending, csv_file(tmp_path, first))
    again = csv_file(
        tmp_path,
        line(loan_ref="R-2", method="flat", amount="500", currency="USD", rate="24", term="3"),
        first,
        name="again.csv",
    )
    result = actions.import_portfolio(lending.world.admin, again)
    assert [(e.line, e.column, e.reason) for e in result.errors] == [
        (3, "loan_ref", "the organisation already has a loan R-1")
    ]
    assert list(Loan.objects.values_list("reference", flat=True)) == ["R-1"]


def test_the_person_is_found_by_phone_or_id_as_registered_however_it_is_typed(
    lending: Lending, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path,
        line(
            loan_ref="P-1",
            beneficiary="091 123456",
            method="flat",
            amount="1000",
            currency="USD",
            rate="24",
            term="3",
        ),
        line(
            loan_ref="P-2",
            beneficiary="am-123 4567",
            method="flat",
            amount="1000",
            currency="USD",
            rate="24",
            term="3",
        ),
    )
    import_file(lending, path)
    assert set(Loan.objects.values_list("beneficiary_id", flat=True)) == {lending.person.pk}


def test_people_of_another_organisation_and_without_consent_are_refused(
    lending: Lending, tmp_path: Path
) -> None:
    from tandir.registry.models import Consent

    world = lending.world
    stranger = register(
        world,
        world.other_intake,
        branch=world.other_branch.pk,
        phone="+374 91 999999",
        national_id="AM9999999",
        projects=[],
    )
    withdrawn = register(world, phone="+374 91 000002", national_id="AM2222222", first_name="Ani")
    Consent.objects.filter(beneficiary=withdrawn).update(withdrawn_on=datetime.date(2025, 1, 1))
    result = actions.import_portfolio(
        world.admin,
        csv_file(
            tmp_path,
            line(
                loan_ref="S-1",
                beneficiary=stranger.national_id,
                method="flat",
                amount="1000",
                currency="USD",
                rate="24",
                term="3",
            ),
            line(
                loan_ref="S-2",
                beneficiary="AM2222222",
                method="flat",
                amount="1000",
                currency="USD",
                rate="24",
                term="3",
            ),
        ),
    )
    assert [(e.line, e.column, e.reason) for e in result.errors] == [
        (2, "beneficiary", "no participant with this national ID or phone in your branches"),
        (3, "beneficiary", "the person's consent to use in the programme is not in force"),
    ]
    assert not Loan.objects.exists()


def test_a_role_without_the_right_to_import_loans_writes_nothing(
    lending: Lending, tmp_path: Path
) -> None:
    from tandir.core.errors import NotAllowed

    path = csv_file(
        tmp_path,
        line(loan_ref="X-1", method="flat", amount="1000", currency="USD", rate="24", term="3"),
    )
    with pytest.raises(NotAllowed):
        actions.import_portfolio(lending.world.manager_a, path)
    with pytest.raises(CommandError, match="does not allow"):
        call_command("import_loans", str(path), "--as", "loan_a")
    assert not Loan.objects.exists()


def test_a_missing_column_is_one_error_for_the_file(lending: Lending, tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("loan_ref,amount\nA-1,1000\n", encoding="utf-8")
    result = actions.import_portfolio(lending.world.admin, path)
    assert [(e.line, e.column) for e in result.errors] == [
        (1, "beneficiary, branch, currency, disbursed_on, method, term")
    ]


def test_an_xlsx_portfolio_imports_like_a_csv_one(lending: Lending, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(COLUMNS)
    row = dict.fromkeys(COLUMNS, None) | {
        "loan_ref": "X-1",
        "beneficiary": "AM1234567",
        "branch": "A",
        "method": "declining",
        "amount": 1000,
        "currency": "USD",
        "rate": 24,
        "term": 3,
        "disbursed_on": datetime.date(2025, 10, 15),
    }
    sheet.append([row[c] for c in COLUMNS])
    path = tmp_path / "portfolio.xlsx"
    book.save(path)
    import_file(lending, path)
    loan = Loan.objects.get(reference="X-1")
    assert (loan.amount, loan.disbursed_on) == (D("1000"), datetime.date(2025, 10, 15))
