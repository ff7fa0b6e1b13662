"""The beneficiary import: all or nothing, every bad line reported, no one created twice."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook
from pytest_django.fixtures import Settings

from tandir.registry.imports import COLUMNS, import_beneficiaries
from tandir.registry.models import Beneficiary
from tests.factories import World, register

FIRST = ["Anahit", "Gohar", "Armen", "Tigran", "Lusine", "Narek", "Mariam", "Davit", "Sona", "Hayk"]
LAST = ["Sargsyan", "Hakobyan", "Grigoryan", "Harutyunyan", "Vardanyan", "Karapetyan", "Mkrtchyan",
        "Gevorgyan", "Avetisyan", "Khachatryan"]  # fmt: skip


def good_line(n: int) -> dict[str, str]:
    return {
        "first_name": FIRST[n % 10],
        "patronymic": "",
        "last_name": LAST[(n // 10) % 10],
        "sex": "female" if n % 3 else "male",
        "date_of_birth": f"19{70 + n % 30}-0{1 + n % 9}-1{n % 10}",
        "phone": f"+3749{n:07d}",
        "id_document": "",
        "national_id": f"AN{n:07d}",
        "branch": "A",
        "district": "Gyumri",
        "locality": "",
        "target_groups": "refugee;youth" if n % 4 == 0 else "low_income",
        "education": "secondary",
        "economic_activity": "none",
        "heard_via": "event",
        "heard_via_detail": "",
        "projects": "SR1",
        "household_members": str(2 + n % 5),
        "household_dependants": "1",
        "household_head_sex": "female",
        "household_income": "90000",
        "household_income_currency": "AMD",
        "consent_surveys": "yes",
        "consent_sharing": "no",
    }


def write_csv(path: Path, lines: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(lines)
    return path


def test_a_clean_file_creates_everyone(world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", [good_line(n) for n in range(100)])
    result = import_beneficiaries(world.intake_a, path)
    assert result.errors == []
    assert result.created == 100
    assert Beneficiary.objects.count() == 100
    person = Beneficiary.objects.get(national_id="AN0000004")
    # Youth is derived from the age, so the file's "youth" is not stored.
    assert sorted(person.target_groups.values_list("code", flat=True)) == ["refugee"]
    assert person.enrolments.get().project == world.project
    assert person.consents.get().follow_up_surveys is True
    assert person.history.get().to_status == "registered"


def test_three_bad_lines_are_all_reported_and_nothing_is_created(
    world: World, tmp_path: Path
) -> None:
    lines = [good_line(n) for n in range(100)]
    lines[9]["date_of_birth"] = "31/02/1990"
    lines[41]["branch"] = "NOPE"
    lines[76]["sex"] = "unknown"
    path = write_csv(tmp_path / "people.csv", lines)
    result = import_beneficiaries(world.intake_a, path)
    assert [(e.line, e.column) for e in result.errors] == [
        (11, "date_of_birth"),
        (43, "branch"),
        (78, "sex"),
    ]
    assert "NOPE" in result.errors[1].reason
    assert Beneficiary.objects.count() == 0


def test_re_importing_the_same_file_creates_no_duplicates(world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", [good_line(n) for n in range(20)])
    assert import_beneficiaries(world.intake_a, path).created == 20
    again = import_beneficiaries(world.intake_a, path)
    assert again.errors == []
    assert (again.created, again.already_registered) == (0, 20)
    assert Beneficiary.objects.count() == 20


def test_a_phone_of_another_person_or_repeated_in_the_file_is_an_error(
    world: World, tmp_path: Path
) -> None:
    register(world, phone="+37490000003", national_id="")
    lines = [good_line(n) for n in range(5)]
    lines[4]["phone"] = lines[1]["phone"]
    path = write_csv(tmp_path / "people.csv", lines)
    result = import_beneficiaries(world.intake_a, path)
    assert [(e.line, e.column) for e in result.errors] == [(5, "phone"), (6, "phone")]
    assert Beneficiary.objects.count() == 1


def test_a_similar_name_in_the_district_is_created_and_flagged(
    world: World, tmp_path: Path
) -> None:
    existing = register(world, phone="", national_id="")
    line = good_line(1) | {
        "first_name": "Анаит",
        "last_name": "Петросян",
        "date_of_birth": "1990-04-12",
    }
    path = write_csv(tmp_path / "people.csv", [line])
    result = import_beneficiaries(world.intake_a, path)
    assert (result.created, result.flagged) == (1, 1)
    assert Beneficiary.objects.get(last_name="Петросян").possible_duplicate_of == existing


def test_xlsx_import_through_the_command(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(COLUMNS)
    for n in range(3):
        sheet.append([good_line(n)[c] for c in COLUMNS])
    path = tmp_path / "people.xlsx"
    book.save(path)
    written = load_workbook(path).active
    assert written is not None and written.max_row == 4
    call_command("import_beneficiaries", str(path), "--as", "intake_a")
    assert "3 created" in capsys.readouterr().out
    assert Beneficiary.objects.count() == 3


def test_the_command_reports_bad_lines_and_fails(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [good_line(n) for n in range(3)]
    lines[2]["household_members"] = "zero"
    path = write_csv(tmp_path / "people.csv", lines)
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_beneficiaries", str(path), "--as", "intake_a")
    assert "line 4, column household_members" in capsys.readouterr().err
    assert Beneficiary.objects.count() == 0


def test_a_loan_officer_may_not_import(world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", [good_line(1)])
    result = import_beneficiaries(world.loan_officer_a, path)
    assert result.errors and Beneficiary.objects.count() == 0


def test_import_queries_do_not_grow_with_lines(world: World, tmp_path: Path) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(count: int, name: str) -> int:
        lines = [good_line(n) | {"first_name": f"P{n}{name}"} for n in range(count)]
        path = write_csv(tmp_path / f"{name}.csv", lines)
        with CaptureQueriesContext(connection) as captured:
            assert import_beneficiaries(world.intake_a, path).created == count
        return len(captured.captured_queries)

    small = queries_for(10, "a")
    Beneficiary.objects.all().delete()  # the same phones again, into an empty registry
    large = queries_for(200, "b")
    # Twenty times the lines: only the bulk inserts, and their change-history rows, split into
    # more batches (SQLite limits the parameters of one statement to 999); a query per line
    # would add 190.
    assert large - small < 190 // 4


def test_a_phone_held_outside_the_officers_branches_does_not_say_whose(
    world: World, tmp_path: Path
) -> None:
    elsewhere = register(
        world, world.admin, branch=world.branch_b.pk, phone="+37490000003", national_id=""
    )
    path = write_csv(tmp_path / "people.csv", [good_line(3) | {"first_name": "Zara"}])
    result = import_beneficiaries(world.intake_a, path)
    [error] = result.errors
    assert (error.line, error.column) == (2, "phone")
    assert error.reason == (
        "this phone number is already registered in the organisation; ask your manager"
    )
    assert str(elsewhere.pk) not in str(error) and elsewhere.last_name not in str(error)
    assert Beneficiary.objects.count() == 1


def test_an_id_held_outside_the_officers_branches_does_not_say_whose(
    world: World, tmp_path: Path
) -> None:
    register(world, world.admin, branch=world.branch_b.pk, phone="", national_id="AN0000003")
    path = write_csv(tmp_path / "people.csv", [good_line(3) | {"first_name": "Zara"}])
    [error] = import_beneficiaries(world.intake_a, path).errors
    assert (error.column, error.reason) == (
        "national_id",
        "this ID is already registered in the organisation; ask your manager",
    )


def test_an_id_number_is_compared_within_its_kind_of_document(world: World, tmp_path: Path) -> None:
    register(world, phone="", id_document="passport", national_id="AN0000003")
    lines = [good_line(3), good_line(4) | {"id_document": "passport", "national_id": "AN0000003"}]
    result = import_beneficiaries(world.intake_a, write_csv(tmp_path / "people.csv", lines))
    assert [(e.line, e.column) for e in result.errors] == [(3, "national_id")]
    lines[1]["national_id"] = "AN0000004"
    result = import_beneficiaries(world.intake_a, write_csv(tmp_path / "people.csv", lines))
    assert (result.errors, result.created) == ([], 2)
    assert Beneficiary.objects.get(phone=lines[0]["phone"]).id_document == "national_id"


def test_a_phone_held_in_the_officers_own_branch_names_the_record(
    world: World, tmp_path: Path
) -> None:
    holder = register(world, phone="+37490000003", national_id="")
    path = write_csv(tmp_path / "people.csv", [good_line(3)])
    [error] = import_beneficiaries(world.intake_a, path).errors
    assert error.reason == f"already registered to another person (record {holder.pk})"


def test_a_bad_file_is_one_line_from_the_command(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(",".join(COLUMNS).encode() + "\nАнаит,Петросян\n".encode("cp1251"))
    with pytest.raises(CommandError) as raised:
        call_command("import_beneficiaries", str(path), "--as", "intake_a")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("people.csv: The file is not UTF-8 text")
    assert message.endswith("Nothing was imported.")
    assert "Traceback" not in capsys.readouterr().err
    assert Beneficiary.objects.count() == 0


def test_the_command_says_it_stopped_after_the_most_errors(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: Settings
) -> None:
    settings.TANDIR_IMPORT_MAX_ERRORS = 5
    path = tmp_path / "junk.csv"
    path.write_text(",".join(COLUMNS) + "\n" + "x\n" * 50, encoding="utf-8")
    with pytest.raises(
        CommandError, match=r"At least 5 problems in junk\.csv; nothing was imported"
    ):
        call_command("import_beneficiaries", str(path), "--as", "intake_a")
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 6
    assert err[-1].startswith("Stopped after 5 problems (TANDIR_IMPORT_MAX_ERRORS)")


def test_the_command_names_the_columns_it_did_not_import(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [good_line(n) | {"id": str(n), "note": "called twice"} for n in range(2)]
    path = tmp_path / "people.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["id", *COLUMNS, "note"])
        writer.writeheader()
        writer.writerows(lines)
    call_command("import_beneficiaries", str(path), "--as", "intake_a")
    captured = capsys.readouterr()
    assert "2 created" in captured.out
    assert "Columns not imported: id, note" in captured.err
