"""`tandir schedule`: the command-line contract of docs/schedule-cli.md."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from tandir.schedule_cli import main

FLAT = [
    "--amount", "1000", "--currency", "USD", "--method", "flat", "--rate", "24",
    "--term", "12", "--frequency", "monthly", "--disbursed", "2026-01-15",
]  # fmt: skip


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main([*argv, "--json"]) == 0
    document: dict[str, object] = json.loads(capsys.readouterr().out)
    return document


def test_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(FLAT, capsys)
    assert {
        "installments",
        "totals",
        "amount_financed",
        "amount_received",
        "apr_percent",
        "eir_percent",
    } <= document.keys()
    installments = document["installments"]
    assert isinstance(installments, list)
    assert set(installments[0]) == {
        "number", "due_date", "principal", "charge", "fees", "total", "balance",
    }  # fmt: skip
    assert set(document["totals"]) == {"principal", "charge", "fees", "total"}  # type: ignore[arg-type]


def test_json_amounts_are_decimal_strings_and_dates_iso(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = run_json(FLAT, capsys)
    last = document["installments"][-1]  # type: ignore[index]
    assert last == {
        "number": 12,
        "due_date": "2027-01-15",
        "principal": "83.37",
        "charge": "20.00",
        "fees": "0.00",
        "total": "103.37",
        "balance": "0.00",
    }
    assert document["totals"] == {  # type: ignore[comparison-overlap]
        "principal": "1000.00",
        "charge": "240.00",
        "fees": "0.00",
        "total": "1240.00",
    }
    assert (document["apr_percent"], document["eir_percent"]) == ("41.70", "50.67")
    assert document["amount_financed"] == "1000.00"


def test_upfront_fee_and_savings_reproduce_the_reference_apr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = run_json([*FLAT, "--upfront-fee", "2%", "--savings", "10%"], capsys)
    assert document["amount_received"] == "880.00"
    assert (document["apr_percent"], document["eir_percent"]) == ("54.84", "70.95")


def test_fixed_upfront_fee_is_an_amount(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json([*FLAT, "--upfront-fee", "20"], capsys)
    assert document["amount_received"] == "980.00"
    assert document["apr_percent"] == "45.84"


def test_murabaha_and_qard_hasan_from_the_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    common = ["--amount", "1200", "--currency", "USD", "--term", "6", "--disbursed", "2026-01-15"]
    murabaha = run_json([*common, "--method", "murabaha", "--markup", "15"], capsys)
    assert murabaha["totals"]["total"] == "1380.00"  # type: ignore[index]
    qard = run_json([*common, "--method", "qard-hasan", "--service-fee", "5"], capsys)
    assert qard["totals"]["charge"] == "0.00"  # type: ignore[index]
    assert qard["amount_received"] == "1195.00"
    assert Decimal(str(qard["apr_percent"])) > 0


def test_table_shows_the_installments_totals_apr_and_eir(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(FLAT) == 0
    out = capsys.readouterr().out
    assert re.search(r"^12\s+2027-01-15\s+83\.37\s+20\.00\s+0\.00\s+103\.37\s+0\.00$", out, re.M)
    assert re.search(r"Total\s+1,000\.00\s+240\.00\s+0\.00\s+1,240\.00", out)
    assert "APR 41.70%   EIR 50.67%" in out


def test_round_to_and_day_count_options_are_applied(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "--amount", "500000", "--currency", "AMD", "--method", "declining", "--rate", "24",
        "--term", "12", "--disbursed", "2026-01-15", "--round-to", "10",
        "--day-count", "actual/365",
    ]  # fmt: skip
    document = run_json(argv, capsys)
    rows = document["installments"]
    assert all(Decimal(row["principal"]) % 10 == 0 for row in rows[:-1])  # type: ignore[index,union-attr]


@pytest.mark.parametrize(
    ("change", "argument"),
    [
        (["--amount", "-1000"], "--amount"),
        (["--amount", "abc"], "--amount"),
        (["--term", "0"], "--term"),
        (["--method", "islamic"], "--method"),
        (["--disbursed", "2026-02-30"], "--disbursed"),
        (["--first-due", "someday"], "--first-due"),
        (["--first-due", "2026-01-01"], "--first-due"),
        (["--currency", "XYZ"], "--currency"),
        (["--frequency", "daily"], "--frequency"),
        (["--upfront-fee", "-2%"], "--upfront-fee"),
        (["--grace-principal", "12"], "--grace-principal"),
        (["--round-to", "0.001"], "--round-to"),
        (["--day-count", "actual/366"], "--day-count"),
        (["--markup", "15"], "--markup"),
        (["--service-fee", "5"], "--service-fee"),
        (["--rate", "NaN"], "--rate"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_naming_the_argument(
    change: list[str], argument: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = list(FLAT)
    option = change[0]
    if option in argv:
        argv[argv.index(option) + 1] = change[1]
    else:
        argv += change
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert argument in lines[0]
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    ("argv", "argument"),
    [
        (["--method", "qard-hasan", "--rate", "5"], "--rate"),
        (["--method", "qard-hasan", "--rate", "0"], "--rate"),
        (["--method", "murabaha", "--rate", "5", "--markup", "10"], "--rate"),
        (["--method", "murabaha"], "--markup"),
        (["--method", "declining"], "--rate"),
        (["--method", "qard-hasan", "--upfront-fee", "2%"], "--upfront-fee"),
        (["--method", "flat", "--rate", "24", "--day-count", "30/360"], "--day-count"),
    ],
)
def test_method_specific_mistakes_exit_2(
    argv: list[str], argument: str, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--amount", "1000", "--currency", "USD", "--term", "12", "--disbursed", "2026-01-15"]
    assert main([*common, *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert argument in err


def test_missing_required_arguments_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--currency", "USD"]) == 2
    err = capsys.readouterr().err
    assert "--amount" in err and "--term" in err and len(err.strip().splitlines()) == 1


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "--amount" in capsys.readouterr().out
