"""The import against hostile or broken files: bounded before parsing, one clear error each.

The files are made here, small: the limits are lowered for a test instead of the files grown.
`shared_strings_bomb` and `junk_lines` also make the full-size attacks measured in
docs/benchmarks.md.
"""

from __future__ import annotations

import codecs
import datetime
import io
import tracemalloc
import zipfile
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from pytest_django.fixtures import Settings

from tandir.registry import imports
from tandir.registry.imports import COLUMNS, ImportResult, import_beneficiaries
from tandir.registry.models import Beneficiary
from tests.factories import World
from tests.integration.test_import import good_line, write_csv

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"


# --- Files made by hand -------------------------------------------------------------------------


def cell(column: int, row: int, value: str) -> str:
    """An inline-string cell: the sheet's XML needs no shared strings part."""
    return (
        f'<c r="{get_column_letter(column)}{row}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    )


def row_xml(number: int, values: list[str], *, first_column: int = 1) -> str:
    cells = "".join(cell(first_column + i, number, v) for i, v in enumerate(values) if v)
    return f'<row r="{number}">{cells}</row>'


def sheet_rows(lines: list[dict[str, str]], start: int = 2) -> str:
    return row_xml(1, COLUMNS) + "".join(
        row_xml(start + n, [line[c] for c in COLUMNS]) for n, line in enumerate(lines)
    )


def workbook_parts(sheet_data: str, *, shared_strings: bytes | None = None) -> dict[str, bytes]:
    """The parts of a minimal workbook with one sheet."""
    overrides = [
        ("/xl/workbook.xml", f"{TYPES}.sheet.main+xml"),
        ("/xl/worksheets/sheet1.xml", f"{TYPES}.worksheet+xml"),
    ]
    relations = [("rId1", "worksheet", "worksheets/sheet1.xml")]
    if shared_strings is not None:
        overrides.append(("/xl/sharedStrings.xml", f"{TYPES}.sharedStrings+xml"))
        relations.append(("rId2", "sharedStrings", "sharedStrings.xml"))
    content_types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
        '.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
        + "</Types>"
    )
    parts = {
        "[Content_Types].xml": content_types.encode(),
        "_rels/.rels": (
            f'<Relationships xmlns="{PACKAGE_REL}"><Relationship Id="rId1" Type="{REL}/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<workbook xmlns="{NS}" xmlns:r="{REL}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PACKAGE_REL}">'
            + "".join(
                f'<Relationship Id="{i}" Type="{REL}/{kind}" Target="{target}"/>'
                for i, kind, target in relations
            )
            + "</Relationships>"
        ).encode(),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{NS}"><sheetData>{sheet_data}</sheetData></worksheet>'
        ).encode(),
    }
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings
    return parts


def write_xlsx(
    path: Path, parts: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED
) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def shared_strings_bomb(path: Path, expanded_bytes: int) -> Path:
    """A workbook whose header is the import's columns and whose shared strings unpack to
    `expanded_bytes` (one string of "A"s, referenced by the first line): 1 GB packs into 1 MB.
    """
    parts = workbook_parts(
        row_xml(1, COLUMNS) + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>',
        shared_strings=b"",
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            if name != "xl/sharedStrings.xml":
                archive.writestr(name, data)
        info = zipfile.ZipInfo("xl/sharedStrings.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=expanded_bytes > 2**31 - 2**20) as part:
            part.write(f'<sst xmlns="{NS}"><si><t>'.encode())
            block = b"A" * 2**20
            left = expanded_bytes
            while left > 0:
                part.write(block[:left])
                left -= len(block)
            part.write(b"</t></si></sst>")
    return path


def junk_lines(path: Path, size: int) -> Path:
    """The import's header, then lines of one letter up to `size` bytes: about seven problems
    a line, so 200 KB of it once meant 700,000 problems and three minutes."""
    header = ",".join(COLUMNS) + "\n"
    path.write_text(header + "x\n" * ((size - len(header)) // 2), encoding="utf-8")
    return path


def patch_zip_entry(
    data: bytes,
    name: str,
    *,
    flag_bits: int | None = None,
    file_size: int | None = None,
    crc: int | None = None,
) -> bytes:
    """Rewrite what the zip's headers (local and central directory) declare about one part."""
    patched = bytearray(data)
    encoded = name.encode()
    # Offsets of: the flags, the CRC, the unpacked size, the name's length, the name.
    for signature, flags_at, crc_at, size_at, length_at, name_at in (
        (b"PK\x03\x04", 6, 14, 22, 26, 30),
        (b"PK\x01\x02", 8, 16, 24, 28, 46),
    ):
        at = patched.find(signature)
        while at != -1:
            length = int.from_bytes(patched[at + length_at : at + length_at + 2], "little")
            if patched[at + name_at : at + name_at + length] == encoded:
                if flag_bits is not None:
                    patched[at + flags_at : at + flags_at + 2] = flag_bits.to_bytes(2, "little")
                if file_size is not None:
                    patched[at + size_at : at + size_at + 4] = file_size.to_bytes(4, "little")
                if crc is not None:
                    patched[at + crc_at : at + crc_at + 4] = crc.to_bytes(4, "little")
            at = patched.find(signature, at + 4)
    return bytes(patched)


def only_error(result: ImportResult) -> str:
    """The one error of a refused file, as the command prints it; nothing was written."""
    assert len(result.errors) == 1, [str(e) for e in result.errors]
    assert Beneficiary.objects.count() == 0
    return str(result.errors[0])


# --- Limits -------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_unread(
    world: World, tmp_path: Path, settings: Settings
) -> None:
    path = write_csv(tmp_path / "people.csv", [good_line(n) for n in range(20)])
    settings.TANDIR_IMPORT_MAX_BYTES = path.stat().st_size - 1
    error = only_error(import_beneficiaries(world.intake_a, path))
    assert error.startswith("The file is ")
    assert "TANDIR_IMPORT_MAX_BYTES" in error


def test_a_shared_strings_bomb_is_refused_from_the_zip_directory_before_parsing(
    world: World, tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TANDIR_IMPORT_MAX_UNCOMPRESSED_BYTES = 2**20
    path = shared_strings_bomb(tmp_path / "bomb.xlsx", 2 * 2**20)
    assert path.stat().st_size < 10_000

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(imports, "_repacked", never)
    monkeypatch.setattr(imports, "_open_workbook", never)
    error = only_error(import_beneficiaries(world.intake_a, path))
    assert "TANDIR_IMPORT_MAX_UNCOMPRESSED_BYTES" in error
    assert "its largest part, xl/sharedStrings.xml, is 2.0 MB" in error


def test_a_part_that_unpacks_to_more_than_its_directory_says_is_read_no_further(
    world: World, tmp_path: Path
) -> None:
    # xl/workbook.xml is followed by 20 MB of spaces that its directory entry (size and CRC)
    # does not count: a reader that trusts the entry reads the workbook; one that inflates a
    # whole part at once (zipfile's read(), which openpyxl uses) holds the 20 MB in memory.
    parts = workbook_parts(sheet_rows([good_line(1)]))
    stated = parts["xl/workbook.xml"]
    path = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data + b" " * 20 * 2**20 if data is stated else data)
    path.write_bytes(
        patch_zip_entry(
            path.read_bytes(), "xl/workbook.xml", file_size=len(stated), crc=zlib.crc32(stated)
        )
    )
    tracemalloc.start()
    try:
        result = import_beneficiaries(world.intake_a, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (result.errors, result.created) == ([], 1)
    assert peak < 5 * 2**20


def test_a_part_that_fails_its_check_cannot_be_read(world: World, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "people.xlsx", workbook_parts(sheet_rows([good_line(1)])))
    path.write_bytes(patch_zip_entry(path.read_bytes(), "xl/worksheets/sheet1.xml", crc=1))
    assert only_error(import_beneficiaries(world.intake_a, path)) == (
        "The workbook cannot be read (BadZipFile); open it, save it again as .xlsx or as "
        "“CSV UTF-8”, and import it again."
    )


def test_reading_stops_after_the_most_errors_and_says_so(
    world: World, tmp_path: Path, settings: Settings
) -> None:
    settings.TANDIR_IMPORT_MAX_ERRORS = 20
    result = import_beneficiaries(world.intake_a, junk_lines(tmp_path / "junk.csv", 20_000))
    assert result.stopped
    assert len(result.errors) == 21
    assert str(result.errors[-1]) == (
        "Stopped after 20 problems (TANDIR_IMPORT_MAX_ERRORS); correct these and import the "
        "file again to see the rest."
    )
    assert result.lines < 10  # about 7 problems a line: the rest of the 10,000 was not read
    assert Beneficiary.objects.count() == 0


def test_the_default_limit_bounds_a_200_kb_file_of_junk(world: World, tmp_path: Path) -> None:
    result = import_beneficiaries(world.intake_a, junk_lines(tmp_path / "junk.csv", 200 * 1024))
    assert result.stopped and len(result.errors) == 101
    assert result.lines < 20


def test_problems_found_across_the_whole_file_are_cut_at_the_limit_too(
    world: World, tmp_path: Path, settings: Settings
) -> None:
    settings.TANDIR_IMPORT_MAX_ERRORS = 5
    lines = [good_line(n) | {"phone": "+37490000001"} for n in range(10)]
    result = import_beneficiaries(world.intake_a, write_csv(tmp_path / "people.csv", lines))
    assert [(e.line, e.column) for e in result.errors[:5]] == [(n, "phone") for n in range(3, 8)]
    assert result.stopped and len(result.errors) == 6


def test_a_cell_over_the_length_limit_is_an_error_of_its_line(
    world: World, tmp_path: Path, settings: Settings
) -> None:
    settings.TANDIR_IMPORT_MAX_CELL_CHARS = 50
    lines = [good_line(1), good_line(2) | {"heard_via_detail": "a neighbour told me " * 3}]
    result = import_beneficiaries(world.intake_a, write_csv(tmp_path / "people.csv", lines))
    assert [str(e) for e in result.errors] == [
        "line 3, column heard_via_detail: longer than 50 characters (TANDIR_IMPORT_MAX_CELL_CHARS)"
    ]
    assert Beneficiary.objects.count() == 0


def test_a_200_kb_cell_in_a_csv_is_one_error(world: World, tmp_path: Path) -> None:
    lines = [good_line(1), good_line(2) | {"last_name": "x" * 200_000}, good_line(3)]
    error = only_error(import_beneficiaries(world.intake_a, write_csv(tmp_path / "p.csv", lines)))
    assert error == ("line 3: a cell is longer than 1000 characters (TANDIR_IMPORT_MAX_CELL_CHARS)")


def test_a_200_kb_cell_in_a_workbook_is_an_error_of_its_line(world: World, tmp_path: Path) -> None:
    lines = [good_line(1) | {"last_name": "x" * 200_000}]
    path = write_xlsx(tmp_path / "people.xlsx", workbook_parts(sheet_rows(lines)))
    result = import_beneficiaries(world.intake_a, path)
    assert [str(e) for e in result.errors] == [
        "line 2, column last_name: longer than 1000 characters (TANDIR_IMPORT_MAX_CELL_CHARS)"
    ]


def test_more_columns_than_an_import_has_is_refused(world: World, tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    extra = [f"note_{n}" for n in range(imports.MAX_COLUMNS - len(COLUMNS) + 1)]
    path.write_text(",".join([*COLUMNS, *extra]) + "\n", encoding="utf-8")
    error = only_error(import_beneficiaries(world.intake_a, path))
    assert error == "line 1: The first line names 101 columns; an import file has at most 100."


def test_a_column_named_twice_is_refused(world: World, tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    line = good_line(1)
    path.write_text(
        ",".join([*COLUMNS, "phone"]) + "\n" + ",".join([*(line[c] for c in COLUMNS), "555"]),
        encoding="utf-8",
    )
    error = only_error(import_beneficiaries(world.intake_a, path))
    assert error == "line 1: The column phone appears twice in the first line."


def test_a_workbook_of_too_many_parts_is_refused(world: World, tmp_path: Path) -> None:
    parts = workbook_parts(sheet_rows([good_line(1)]))
    parts |= {f"customXml/item{n}.xml": b"<a/>" for n in range(imports.MAX_XLSX_PARTS)}
    error = only_error(import_beneficiaries(world.intake_a, write_xlsx(tmp_path / "p.xlsx", parts)))
    assert error == "The workbook has 1005 parts; an XLSX file has at most 1000."


def test_a_cell_of_too_many_xml_elements_is_refused(world: World, tmp_path: Path) -> None:
    runs = "<r><t>a</t></r>" * (imports.MAX_XML_ELEMENTS_PER_CELL // 2 + 1)
    rows = row_xml(1, COLUMNS) + f'<row r="2"><c r="A2" t="inlineStr"><is>{runs}</is></c></row>'
    error = only_error(
        import_beneficiaries(world.intake_a, write_xlsx(tmp_path / "p.xlsx", workbook_parts(rows)))
    )
    assert error == "line 2: A cell is made of more than 1000 XML elements."


def test_shared_strings_read_as_their_runs_without_phonetic_guides(
    world: World, tmp_path: Path
) -> None:
    line = [good_line(1)[c] for c in COLUMNS]
    cells = "".join(cell(i + 2, 2, v) for i, v in enumerate(line[1:]) if v)
    parts = workbook_parts(
        row_xml(1, COLUMNS) + f'<row r="2"><c r="A2" t="s"><v>0</v></c>{cells}</row>',
        shared_strings=(
            f'<sst xmlns="{NS}"><si><r><t>Ana</t></r><r><rPr><b/></rPr><t>hit</t></r>'
            "<rPh><t>アナヒト</t></rPh></si></sst>"
        ).encode(),
    )
    assert import_beneficiaries(world.intake_a, write_xlsx(tmp_path / "p.xlsx", parts)).created == 1
    assert Beneficiary.objects.get().first_name == "Anahit"


def test_characters_escaped_by_the_workbook_are_read_back(world: World, tmp_path: Path) -> None:
    lines = [good_line(1) | {"heard_via_detail": "stand_x000D_\n_x005F_x0041_ board"}]
    path = write_xlsx(tmp_path / "p.xlsx", workbook_parts(sheet_rows(lines)))
    assert import_beneficiaries(world.intake_a, path).created == 1
    assert Beneficiary.objects.get().heard_via_detail == "stand\r\n_x0041_ board"


def test_a_row_numbered_a_billion_is_one_line_not_a_billion(world: World, tmp_path: Path) -> None:
    # openpyxl's own reader would make up the 999,999,998 rows in between, one by one.
    rows = sheet_rows([good_line(1)], start=1_000_000_000)
    result = import_beneficiaries(
        world.intake_a, write_xlsx(tmp_path / "p.xlsx", workbook_parts(rows))
    )
    assert (result.errors, result.lines, result.created) == ([], 1, 1)


def test_cells_beyond_the_header_are_not_read(world: World, tmp_path: Path) -> None:
    far = cell(16_000, 2, "=2+2")
    rows = (
        row_xml(1, COLUMNS) + row_xml(2, [good_line(1)[c] for c in COLUMNS])[:-6] + far + "</row>"
    )
    result = import_beneficiaries(
        world.intake_a, write_xlsx(tmp_path / "p.xlsx", workbook_parts(rows))
    )
    assert (result.errors, result.created) == ([], 1)


# --- Files that are not what they say -----------------------------------------------------------


def test_a_cp1251_csv_names_its_encoding(world: World, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    text = ",".join(COLUMNS) + "\n" + ",".join((good_line(1) | {"first_name": "Анаит"}).values())
    path.write_bytes(text.encode("cp1251"))
    assert only_error(import_beneficiaries(world.intake_a, path)) == (
        "The file is not UTF-8 text (line 2 is not; perhaps it is Windows-1251 or another code "
        "page); save it as “CSV UTF-8” and import it again."
    )


def test_a_utf16_csv_names_its_encoding(world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", [good_line(1)])
    path.write_bytes(codecs.BOM_UTF16_LE + path.read_text(encoding="utf-8").encode("utf-16-le"))
    assert only_error(import_beneficiaries(world.intake_a, path)) == (
        "The file is UTF-16 text; save it as “CSV UTF-8” and import it again."
    )


def test_a_utf16_csv_without_a_byte_order_mark_is_not_text(world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", [good_line(1)])
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16-le"))
    assert only_error(import_beneficiaries(world.intake_a, path)).startswith(
        "The file holds NUL bytes, so it is not CSV text"
    )


@pytest.mark.parametrize("name", ["people.csv", "people.xlsx"])
@pytest.mark.parametrize("content", [b"", b" \r\n\r\n"])
def test_an_empty_file_says_it_is_empty(
    world: World, tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert only_error(import_beneficiaries(world.intake_a, path)) == "The file is empty."


def test_a_one_column_file_names_the_missing_columns(world: World, tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("first_name\nAnahit\nGohar\n", encoding="utf-8")
    assert only_error(import_beneficiaries(world.intake_a, path)) == (
        "line 1, column branch, date_of_birth, district, household_head_sex, household_members,"
        " last_name, sex: required column missing"
    )


def test_a_header_without_lines_creates_nobody(world: World, tmp_path: Path) -> None:
    result = import_beneficiaries(world.intake_a, write_csv(tmp_path / "people.csv", []))
    assert (result.errors, result.lines, result.created) == ([], 0, 0)


def test_a_csv_under_an_xlsx_name_is_not_a_workbook(world: World, tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    path.write_bytes(write_csv(tmp_path / "people.csv", [good_line(1)]).read_bytes())
    assert only_error(import_beneficiaries(world.intake_a, path)) == (
        "The file is not an XLSX workbook (it is not a zip archive); save it as .xlsx or as "
        "“CSV UTF-8” and import it again."
    )


def test_an_old_excel_file_is_named_as_such(world: World, tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    path.write_bytes(imports.OLE_SIGNATURE + bytes(504))
    assert only_error(import_beneficiaries(world.intake_a, path)).startswith(
        "The file is an old Excel (.xls) workbook or a password-protected one"
    )


def test_a_zip_that_is_not_a_workbook_cannot_be_read(world: World, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "people.xlsx", {"hello.txt": b"hello"})
    assert only_error(import_beneficiaries(world.intake_a, path)).startswith(
        "The workbook cannot be read (KeyError)"
    )


def test_a_sheet_of_broken_xml_cannot_be_read(world: World, tmp_path: Path) -> None:
    parts = workbook_parts(sheet_rows([good_line(1)]))
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"][:-40]
    error = only_error(import_beneficiaries(world.intake_a, write_xlsx(tmp_path / "p.xlsx", parts)))
    assert error.startswith("The workbook cannot be read (ParseError)")


ENTITIES = '<!ENTITY a0 "AAAAAAAAAA">' + "".join(
    f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 10)
)  # &a9; is 10 ** 10 letters: "billion laughs"


def test_an_entity_expansion_bomb_in_the_shared_strings_cannot_be_read(
    world: World, tmp_path: Path
) -> None:
    strings = (
        f'<?xml version="1.0"?><!DOCTYPE sst [{ENTITIES}]>'
        f'<sst xmlns="{NS}"><si><t>&a9;</t></si></sst>'
    )
    parts = workbook_parts(
        row_xml(1, COLUMNS) + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>',
        shared_strings=strings.encode(),
    )
    error = only_error(import_beneficiaries(world.intake_a, write_xlsx(tmp_path / "p.xlsx", parts)))
    assert error.startswith("The workbook cannot be read (ExpatError)")


def test_an_entity_expansion_bomb_in_the_sheet_cannot_be_read(world: World, tmp_path: Path) -> None:
    parts = workbook_parts(row_xml(1, COLUMNS) + row_xml(2, ["&a9;"]).replace("&amp;", "&"))
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = f"<!DOCTYPE worksheet [{ENTITIES}]>".encode() + sheet
    error = only_error(import_beneficiaries(world.intake_a, write_xlsx(tmp_path / "p.xlsx", parts)))
    # With defusedxml installed (it comes with pyxform) openpyxl refuses the DTD itself
    # (ValueError); without it our parser's own refusal of entities stops it (ParseError).
    assert error.startswith(
        ("The workbook cannot be read (ValueError)", "The workbook cannot be read (ParseError)")
    )


def test_an_encrypted_part_is_refused(world: World, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "people.xlsx", workbook_parts(sheet_rows([good_line(1)])))
    path.write_bytes(patch_zip_entry(path.read_bytes(), "xl/worksheets/sheet1.xml", flag_bits=1))
    assert only_error(import_beneficiaries(world.intake_a, path)) == (
        "The workbook is encrypted; save it without a password."
    )


def test_a_part_packed_as_no_workbook_is_is_refused(world: World, tmp_path: Path) -> None:
    parts = workbook_parts(sheet_rows([good_line(1)]))
    path = write_xlsx(tmp_path / "people.xlsx", parts, compression=zipfile.ZIP_BZIP2)
    assert only_error(import_beneficiaries(world.intake_a, path)) == (
        "The workbook's part [Content_Types].xml is packed in a way XLSX files never are."
    )


def test_a_workbook_with_an_empty_first_sheet_says_so(world: World, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "people.xlsx", workbook_parts(""))
    assert only_error(import_beneficiaries(world.intake_a, path)) == (
        "The first sheet of the workbook is empty."
    )


def test_a_handmade_workbook_imports(world: World, tmp_path: Path) -> None:
    # The files above are refused for what they hold, not for being made by hand.
    parts = workbook_parts(sheet_rows([good_line(n) for n in range(3)]))
    result = import_beneficiaries(world.intake_a, write_xlsx(tmp_path / "p.xlsx", parts))
    assert (result.errors, result.created) == ([], 3)


# --- Formulas -----------------------------------------------------------------------------------


def test_a_formula_is_an_error_not_its_cached_value(world: World, tmp_path: Path) -> None:
    line = [good_line(1)[c] for c in COLUMNS]
    formula = '<c r="A2" t="str"><f>HYPERLINK("http://x.example","Anahit")</f><v>Anahit</v></c>'
    rows = row_xml(1, COLUMNS) + row_xml(2, line[1:], first_column=2)[:-6] + formula + "</row>"
    result = import_beneficiaries(
        world.intake_a, write_xlsx(tmp_path / "p.xlsx", workbook_parts(rows))
    )
    assert [str(e) for e in result.errors] == [
        "line 2, column first_name: a formula; type the value itself"
    ]
    assert Beneficiary.objects.count() == 0


@pytest.mark.parametrize(
    "formula",
    [
        '<f t="shared" ref="Q2:Q3" si="0">B2</f><v>4</v>',
        '<f t="array" ref="Q2">SUM(B2:B3)</f><v>4</v>',
        "<f>1+3</f><v>4</v>",
    ],
)
def test_every_kind_of_formula_is_an_error(world: World, tmp_path: Path, formula: str) -> None:
    line = [good_line(1)[c] for c in COLUMNS]
    members = COLUMNS.index("household_members") + 1
    target = f'<c r="{get_column_letter(members)}2">{formula}</c>'
    cells = "".join(cell(i + 1, 2, v) for i, v in enumerate(line) if v and i + 1 != members)
    rows = row_xml(1, COLUMNS) + f'<row r="2">{cells}{target}</row>'
    result = import_beneficiaries(
        world.intake_a, write_xlsx(tmp_path / "p.xlsx", workbook_parts(rows))
    )
    assert [str(e) for e in result.errors] == [
        "line 2, column household_members: a formula; type the value itself"
    ]


def test_an_error_value_of_the_spreadsheet_is_an_error(world: World, tmp_path: Path) -> None:
    line = [good_line(1)[c] for c in COLUMNS]
    born = COLUMNS.index("date_of_birth") + 1
    cells = "".join(cell(i + 1, 2, v) for i, v in enumerate(line) if v and i + 1 != born)
    rows = row_xml(1, COLUMNS) + (
        f'<row r="2">{cells}<c r="{get_column_letter(born)}2" t="e"><v>#N/A</v></c></row>'
    )
    result = import_beneficiaries(
        world.intake_a, write_xlsx(tmp_path / "p.xlsx", workbook_parts(rows))
    )
    assert [str(e) for e in result.errors] == [
        "line 2, column date_of_birth: an error value (#N/A) of the spreadsheet"
    ]


def test_text_that_looks_like_a_formula_is_text(world: World, tmp_path: Path) -> None:
    lines = [good_line(1) | {"heard_via_detail": "=1+2 said the poster"}]
    path = write_xlsx(tmp_path / "p.xlsx", workbook_parts(sheet_rows(lines)))
    assert import_beneficiaries(world.intake_a, path).created == 1
    assert Beneficiary.objects.get().heard_via_detail == "=1+2 said the poster"


def test_a_csv_exports_guard_quote_is_taken_off(world: World, tmp_path: Path) -> None:
    lines = [good_line(1) | {"heard_via_detail": "'=1+2", "phone": "'+37490000001"}]
    assert import_beneficiaries(world.intake_a, write_csv(tmp_path / "p.csv", lines)).created == 1
    person = Beneficiary.objects.get()
    assert (person.heard_via_detail, person.phone) == ("=1+2", "+37490000001")


def test_a_workbook_from_a_spreadsheet_program_still_reads_numbers_and_dates(
    world: World, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(COLUMNS)
    values: list[object] = [good_line(1)[c] for c in COLUMNS]
    values[COLUMNS.index("date_of_birth")] = datetime.datetime(1971, 2, 11)  # noqa: DTZ001 (a spreadsheet's dates are naive)
    values[COLUMNS.index("household_members")] = 3
    values[COLUMNS.index("household_income")] = 90000.0
    sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    path = tmp_path / "people.xlsx"
    path.write_bytes(out.getvalue())
    assert import_beneficiaries(world.intake_a, path).created == 1
    person = Beneficiary.objects.get()
    assert person.date_of_birth == datetime.date(1971, 2, 11)
    assert person.household is not None and person.household.members_count == 3
