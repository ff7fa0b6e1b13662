"""`tandir schedule`: the command-line contract of docs/schedule-cli.md."""

from __future__ import annotations

import contextlib
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandir.schedule_cli import main

FLAT = [
    "--amount", "1000", "--currency", "USD", "--method", "flat", "--rate", "24",
    "--term", "12", "--frequency", "monthly", "--disbursed", "2026-01-15",
]  # fmt: skip


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main([*argv, "--json"]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
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
    assert set(document["totals"]) == {"principal", "charge", "fees", "total"}


def test_json_amounts_are_decimal_strings_and_dates_iso(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = run_json(FLAT, capsys)
    last = document["installments"][-1]
    assert last == {
        "number": 12,
        "due_date": "2027-01-15",
        "principal": "83.37",
        "charge": "20.00",
        "fees": "0.00",
        "total": "103.37",
        "balance": "0.00",
    }
    assert document["totals"] == {
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
    assert murabaha["totals"]["total"] == "1380.00"
    qard = run_json([*common, "--method", "qard-hasan", "--service-fee", "5"], capsys)
    assert qard["totals"]["charge"] == "0.00"
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
    assert all(Decimal(row["principal"]) % 10 == 0 for row in rows[:-1])


def totals_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [row["total"] for row in run_json(argv, capsys)["installments"]]


DECLINING = [
    "--amount", "1000", "--currency", "USD", "--method", "declining", "--rate", "24",
    "--term", "6", "--disbursed", "2026-01-15",
]  # fmt: skip


def test_round_installment_to_and_installment_rounding_up(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The worked examples of test_conventions: EMI 178.5258 → 180 (multiples of 5), 179 (up).
    assert totals_of([*DECLINING, "--round-installment-to", "5"], capsys)[:2] == ["180.00"] * 2
    up = [*DECLINING, "--round-installment-to", "1", "--installment-rounding", "up"]
    assert totals_of(up, capsys)[-1] == "176.01"


def test_emi_adjust_and_emi_from_day_count(capsys: pytest.CaptureFixture[str]) -> None:
    adjust = [*DECLINING, "--amount", "5000", "--rate", "30", "--term", "12", "--emi-adjust"]
    assert totals_of(adjust, capsys)[0] == "487.43"
    day_count = [
        *DECLINING, "--term", "3", "--disbursed", "2026-01-01",
        "--day-count", "actual/365", "--emi-from", "day-count",
    ]  # fmt: skip
    assert totals_of(day_count, capsys) == ["346.57"] * 3


def test_grace_interest_styles(capsys: pytest.CaptureFixture[str]) -> None:
    grace = [*DECLINING, "--grace-interest", "2", "--grace-interest-style"]
    assert totals_of([*grace, "next"], capsys)[2] == "215.36"
    assert totals_of([*grace, "emi"], capsys)[:5] == ["178.53"] * 5


def test_actual_actual_day_count(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        *DECLINING, "--term", "4", "--disbursed", "2027-12-15",
        "--grace-principal", "3", "--day-count", "actual/actual",
    ]  # fmt: skip
    charges = [row["charge"] for row in run_json(argv, capsys)["installments"]]
    assert charges == ["20.36", "20.33", "19.02", "20.33"]


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
        (["--method", "flat", "--rate", "24", "--emi-adjust"], "--emi-adjust"),
        (["--method", "declining", "--rate", "24", "--emi-from", "day-count"], "--emi-from"),
        (
            [
                "--method",
                "flat",
                "--rate",
                "24",
                "--grace-interest",
                "1",
                "--grace-interest-style",
                "emi",
            ],
            "--grace-interest-style",
        ),
        (
            [
                "--method",
                "declining",
                "--rate",
                "24",
                "--round-to",
                "10",
                "--round-installment-to",
                "25",
            ],
            "--round-installment-to",
        ),
        (
            [
                "--method",
                "declining",
                "--rate",
                "60",
                "--term",
                "7",
                "--grace-interest",
                "6",
                "--grace-interest-style",
                "emi",
            ],
            "--grace-interest",
        ),
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


SEASONAL = [
    "--amount", "1000", "--currency", "USD", "--method", "declining", "--rate", "24",
    "--disbursed", "2026-03-15",
]  # fmt: skip


def custom_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "harvests.csv"
    path.write_text(text)
    return str(path)


def test_custom_schedule_from_a_csv_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The seasonal loan of test_custom_schedule: 60.00 twice, then 24.00 on the last 400.00.
    path = custom_file(tmp_path, HARVESTS_CSV)
    document = run_json([*SEASONAL, "--custom", path], capsys)
    assert document["custom_schedule"] is True
    assert [
        (row["due_date"], row["principal"], row["charge"]) for row in document["installments"]
    ] == [
        ("2026-06-15", "0.00", "60.00"),
        ("2026-09-15", "600.00", "60.00"),
        ("2026-12-15", "400.00", "24.00"),
    ]
    assert (document["apr_percent"], document["eir_percent"]) == ("23.38", "26.06")
    assert main([*SEASONAL, "--custom", path]) == 0
    assert "3 custom installments" in capsys.readouterr().out


HARVESTS_CSV = """due_date,principal
2026-06-15,interest-only
2026-09-15,600
2026-12-15,400
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            HARVESTS_CSV.replace("400", "300"),
            "argument --custom: principal sums to 900, not the amount 1000",
        ),
        (HARVESTS_CSV.replace("2026-09-15", "2026-13-15"), "line 3: not a date"),
        (
            HARVESTS_CSV.replace("600", "six hundred"),
            "line 3: principal must be an amount or interest-only",
        ),
        (
            HARVESTS_CSV.replace("2026-12-15", "2026-05-15"),
            "line 4: due date must be after the previous",
        ),
        (HARVESTS_CSV.replace("400", "400.001"), "line 4: has more decimals"),
        ("date,amount\n2026-06-15,1000\n", "the first line"),
        ("due_date,principal\n", "has no installments"),
    ],
)
def test_bad_custom_files_exit_2_naming_the_line(
    text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*SEASONAL, "--custom", custom_file(tmp_path, text)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "extra",
    [["--term", "3"], ["--first-due", "2026-04-15"], ["--grace-principal", "1"], ["--emi-adjust"]],
)
def test_options_a_custom_file_replaces_are_refused_with_it(
    extra: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*SEASONAL, "--custom", custom_file(tmp_path, HARVESTS_CSV), *extra]) == 2
    assert f"argument {extra[0]}: not with --custom" in capsys.readouterr().err


def test_a_missing_custom_file_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*SEASONAL, "--custom", "/nonexistent/harvests.csv"]) == 2
    err = capsys.readouterr().err
    assert "argument --custom: cannot read" in err and len(err.strip().splitlines()) == 1


def test_a_term_that_leaves_the_calendar_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    argv = list(FLAT)
    argv[argv.index("--term") + 1] = "100000"
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == (
        "tandir schedule: error: argument --term: the last due date would fall after 9999-12-31\n"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--upfront-fee", "100%"], "argument --upfront-fee: must be less than 100% of the amount"),
        (
            ["--upfront-fee", "1000"],
            "argument --upfront-fee: upfront fees of 1000.00 leave nothing",
        ),
        (["--savings", "100%"], "argument --savings: must be less than 100% of the amount"),
        (
            ["--upfront-fee", "40%", "--savings", "60%"],
            "argument --savings: savings of 600.00 withheld with upfront fees of 400.00 leave",
        ),
    ],
)
def test_fees_or_savings_that_leave_the_client_nothing_are_refused(
    change: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*FLAT, *change]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err


WILD_NUMBERS = st.sampled_from(
    ["0", "-1", "1e30", "1e-30", "NaN", "Infinity", "0.001", "99.999", "12345678901234567890123"]
)
WILD_WHOLES = st.sampled_from(["0", "-5", "1", "7", "100000", "1000000000", "10" * 10, "x"])
WILD_DATES = st.sampled_from(["0001-01-01", "9999-12-31", "9999-12-01", "2026-02-29", "2026-13-01"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "--amount",
                "--rate",
                "--term",
                "--disbursed",
                "--first-due",
                "--upfront-fee",
                "--savings",
                "--round-to",
                "--round-installment-to",
                "--grace-principal",
                "--grace-interest",
                "--frequency",
                "--method",
                "--markup",
            ]
        ),
        st.one_of(
            WILD_NUMBERS, WILD_WHOLES, WILD_DATES, st.sampled_from(["weekly", "flat", "50%"])
        ),
        max_size=4,
    )
)
def test_no_argument_ever_ends_in_a_traceback(changes: dict[str, str]) -> None:
    argv = list(FLAT)
    for option, value in changes.items():
        if option in argv:
            argv[argv.index(option) + 1] = value
        else:
            argv += [option, value]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    assert status in (0, 2)
    if status == 2:
        assert out.getvalue() == ""
        assert len(err.getvalue().strip().splitlines()) == 1
