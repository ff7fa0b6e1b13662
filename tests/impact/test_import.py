"""Importing submissions (CSV, XLSX, KoboToolbox JSON), the command, and the XLSForm export
through pyxform."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from pyxform.xls2xform import convert

from tandir.impact import actions
from tandir.impact.imports import import_responses
from tandir.impact.models import Answer, InstrumentVersion, Response, ResponseSource
from tandir.impact.xlsform import xlsform
from tandir.registry.actions import withdraw_consent
from tests.factories import register
from tests.impact.factories import Impact, person

HEADER = (
    "beneficiary,date,household_income_monthly,income_change,business_operating,"
    "quality_of_life,quality_of_life_change,paid_employees,extra_notes\n"
)


def _csv(*lines: str) -> bytes:
    return (HEADER + "".join(line + "\n" for line in lines)).encode()


def _run(impact: Impact, content: bytes, filename: str, instrument=None, user=None):
    return import_responses(
        user or impact.world.me_officer,
        instrument=instrument or impact.follow_up_6,
        content=content,
        filename=filename,
    )


@pytest.fixture
def people(impact: Impact):
    world = impact.world
    return [person(world, n) for n in range(1, 4)]


def test_a_good_csv_is_imported_in_one_go(impact: Impact, people, django_assert_max_num_queries):
    content = _csv(
        "AN 2000001,2026-06-01,210000,better,yes,4,better,2,ok",
        "+374 93 200002,01.06.2026,190000,same,yes,3,same,0,",
        "093200003,2026-06-02,150000,worse,no,2,worse,,",
    )
    with django_assert_max_num_queries(25):
        result = _run(impact, content, "round.csv")
    assert result.ok, result.errors
    assert (result.lines, result.written, result.skipped) == (3, 3, 0)
    assert result.ignored_columns == ["extra_notes"]
    responses = Response.objects.filter(instrument=impact.follow_up_6).order_by("beneficiary_id")
    assert [r.beneficiary_id for r in responses] == [p.pk for p in people]
    assert {r.source for r in responses} == {ResponseSource.IMPORT}
    first = {a.code: a for a in Answer.objects.filter(response=responses[0])}
    assert first["household_income_monthly"].number == Decimal(210000)
    assert first["income_change"].text == "better"
    assert first["paid_employees"].number == 2
    assert "paid_employees" not in {
        a.code for a in Answer.objects.filter(response=responses[2])
    }  # blank: not stored
    # Imported again: nothing doubled (same person, same date).
    again = _run(impact, content, "round.csv")
    assert again.ok and (again.written, again.skipped) == (0, 3)
    assert Response.objects.count() == 3


def test_every_bad_row_is_reported_and_nothing_written(impact: Impact, people) -> None:
    world = impact.world
    stranger = register(
        world, officer=world.other_intake, branch=world.other_branch.pk,
        phone="+374 94 999999", national_id="ZZ999", projects=[],
    )  # fmt: skip
    assert stranger.pk
    no_surveys = person(world, 9, surveys=False)
    withdraw_consent(world.me_officer, people[2], reason="No more calls")
    content = _csv(
        "AN2000001,2026-06-01,210000,better,yes,4,better,2,",  # good
        "ZZ999,2026-06-01,210000,better,yes,4,better,2,",  # another organisation's
        "AN2000001,2026-06-03,210000,better,yes,4,better,2,",  # the same person again
        ",2026-06-01,1,better,yes,4,better,2,",  # nobody named
        "AN2000002,2099-01-01,12.345,more,maybe,9,better,-1,",  # five bad cells
        f"{no_surveys.national_id},2026-06-01,1000,better,yes,4,better,0,",  # no consent
        "AN2000003,2026-06-01,1000,better,yes,4,better,0,",  # consent withdrawn
        "AN2000002,yesterday,1000,better,yes,4,better,0,",  # not a date; twice
    )
    result = _run(impact, content, "bad.csv")
    found = {(e.line, e.column) for e in result.errors}
    assert found == {
        (3, "beneficiary"),
        (4, "beneficiary"),
        (5, "beneficiary"),
        (6, "date"),
        (6, "household_income_monthly"),
        (6, "income_change"),
        (6, "business_operating"),
        (6, "quality_of_life"),
        (6, "paid_employees"),
        (7, "beneficiary"),
        (8, "beneficiary"),
        (9, "date"),
        (9, "beneficiary"),
    }
    reasons = {(e.line, e.column): e.reason for e in result.errors}
    assert reasons[(3, "beneficiary")] == "nobody you serve has this number"
    assert "also on line 2" in reasons[(4, "beneficiary")]
    assert "no consent to follow-up surveys" in reasons[(7, "beneficiary")]
    assert "no consent in force" in reasons[(8, "beneficiary")]
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_a_missing_required_column_is_one_error(impact: Impact, people) -> None:
    result = _run(impact, b"national_id,date\nAN2000001,2026-06-01\n", "x.csv")
    assert [(e.line, e.column) for e in result.errors] == [(1, "-")]
    assert "beneficiary" in result.errors[0].reason


def test_an_xlsx_sheet_with_group_paths(impact: Impact, people) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["beneficiary", "date", "g/household_income_monthly", "g/income_change",
         "g/business_operating", "g/quality_of_life", "g/quality_of_life_change", "_uuid"]
    )  # fmt: skip
    import datetime

    sheet.append(
        ["AN2000001", datetime.date(2026, 6, 1), 200000, "better", "yes", 5, "better", "u-1"]
    )
    sheet.append(["AN2000002", datetime.date(2026, 6, 2), 180000.5, "same", "no", 3, "same", "u-2"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = _run(impact, buffer.getvalue(), "kobo.xlsx")
    assert result.ok, result.errors
    assert result.written == 2
    response = Response.objects.get(reference="u-2")
    assert response.answers.get(code="household_income_monthly").number == Decimal("180000.5")
    # Errors name the column as the file wrote it.
    sheet.append(["AN2000003", datetime.date(2026, 6, 2), 1, "up", "no", 3, "same", "u-3"])
    buffer = io.BytesIO()
    book.save(buffer)
    bad = _run(impact, buffer.getvalue(), "kobo.xlsx")
    assert [(e.line, e.column) for e in bad.errors] == [(4, "g/income_change")]


def _kobo(*submissions: dict) -> bytes:
    return json.dumps(list(submissions)).encode()


def _submission(uuid: str, who: str, **answers) -> dict:
    return {
        "_id": 1,
        "_uuid": uuid,
        "_submission_time": "2026-06-01T10:00:00",
        "formhub/uuid": "abc",
        "start": "2026-06-01T09:50:00.000+04:00",
        "meta/instanceID": f"uuid:{uuid}",
        "beneficiary": who,
        "date": "2026-06-01",
        "outcomes/household_income_monthly": 205000,
        "outcomes/income_change": "better",
        "outcomes/business_operating": "yes",
        "outcomes/quality_of_life": "4",
        "outcomes/quality_of_life_change": "better",
        **answers,
    }


def test_a_kobo_json_export_is_imported_once(impact: Impact, people) -> None:
    content = _kobo(
        _submission("k-1", "AN2000001"),
        _submission("k-2", "+37493200002", **{"outcomes/paid_employees": 3}),
    )
    result = _run(impact, content, "export.json")
    assert result.ok, result.errors
    assert result.written == 2 and result.ignored_columns == []
    kept = Response.objects.get(reference="k-2")
    assert kept.source == ResponseSource.KOBO
    assert kept.answers.get(code="paid_employees").number == 3
    # The next export holds the same two and a new one: only the new one is written.
    later = _kobo(
        _submission("k-1", "AN2000001"),
        _submission("k-2", "+37493200002"),
        _submission("k-3", "AN2000003"),
    )
    again = _run(impact, later, "export.json")
    assert again.ok and (again.written, again.skipped) == (1, 2)
    assert Response.objects.count() == 3


def test_bad_kobo_submissions_are_reported_by_position_and_key(impact: Impact, people) -> None:
    content = _kobo(
        _submission("k-1", "AN2000001"),
        _submission("k-2", "AN2000002", **{"outcomes/quality_of_life": "7"}),
        {
            "_uuid": "k-3",
            "beneficiary": "AN2000003",
            "date": "2026-06-01",
        },  # required answers left out, as Kobo leaves out unanswered ones
    )
    result = _run(impact, content, "export.json")
    assert {(e.line, e.column) for e in result.errors} == {
        (2, "outcomes/quality_of_life"),
        (3, "household_income_monthly"),
        (3, "income_change"),
        (3, "business_operating"),
        (3, "quality_of_life"),
        (3, "quality_of_life_change"),
    }
    assert not Response.objects.exists()
    assert _run(impact, b"{not json", "export.json").errors[0].column == "-"


def test_a_role_without_the_right_imports_nothing(impact: Impact, people) -> None:
    content = _csv("AN2000001,2026-06-01,210000,better,yes,4,better,2,")
    result = _run(impact, content, "a.csv", user=impact.world.loan_officer_a)
    assert not result.ok and not Response.objects.exists()


def test_the_command_imports_and_reports(impact: Impact, people, tmp_path: Path, capsys) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(_csv("AN2000001,2026-06-01,210000,better,yes,4,better,2,"))
    call_command("import_responses", str(good), "--instrument", "follow-up-6", "--as", "me")
    assert "1 responses written" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv("AN2000002,2026-06-01,210000,better,yes,9,better,2,"))
    with pytest.raises(CommandError, match="1 problems"):
        call_command("import_responses", str(bad), "--instrument", "follow-up-6", "--as", "me")
    assert "line 2, column quality_of_life" in capsys.readouterr().err
    with pytest.raises(CommandError, match="No instrument"):
        call_command("import_responses", str(good), "--instrument", "nope", "--as", "me")


# --- XLSForm ----------------------------------------------------------------------------------


def test_the_xlsform_converts_with_pyxform(impact: Impact) -> None:
    version = InstrumentVersion.objects.get(instrument=impact.follow_up_12, number=1)
    content = xlsform(version)
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["survey", "choices", "settings"]
    survey = list(book["survey"].iter_rows(values_only=True))
    assert survey[0][:4] == ("type", "name", "label", "required")
    assert [row[1] for row in survey[1:3]] == ["beneficiary", "date"]
    types = {row[1]: row[0] for row in survey[1:]}
    assert types["household_income_monthly"] == "decimal"
    assert types["paid_employees"] == "integer"
    assert types["income_change"] == "select_one income_change"
    assert types["complaint"] == "text"
    # The instrument's name is seeded in the organisation's language (Armenian here).
    assert list(book["settings"].iter_rows(values_only=True))[1] == (
        "follow-up-12",
        "1",
        impact.follow_up_12.name,
    )
    result = convert(xlsform=content, file_type=".xlsx", pretty_print=True)
    xform = result.xform
    assert 'id="follow-up-12"' in xform and 'version="1"' in xform
    assert 'nodeset="/data/quality_of_life"' in xform
    assert 'constraint=". &gt;= 1 and . &lt;= 5"' in xform
    assert 'type="int"' in xform and 'type="decimal"' in xform
    assert '<instance id="income_change">' in xform and "<name>better</name>" in xform
    assert '<select1 ref="/data/income_change">' in xform
    assert 'nodeset="/data/household_income_monthly" type="decimal" required="true()"' in xform


def test_an_added_question_reaches_the_xlsform(impact: Impact) -> None:
    officer = impact.world.me_officer
    draft = actions.new_version(officer, impact.baseline)
    actions.add_question(
        officer, draft, code="savings_monthly", type="money", label="Savings", min_value="0",
        max_value="1000000",
    )  # fmt: skip
    xform = convert(xlsform=xlsform(draft), file_type=".xlsx").xform
    assert 'version="2"' in xform
    assert "savings_monthly" in xform and ". &lt;= 1000000" in xform
