"""Importing beneficiaries from a CSV or XLSX file: all or nothing.

Every line is validated first, with the same form as the registration page. If any line is bad,
every bad line is reported (line number, column, reason) and nothing is written. Otherwise the
whole file is written in one transaction with bulk inserts.

A line for a person already registered (same phone or national ID *and* same name and birth
date) is skipped, so importing the same file twice creates nobody twice. A phone or ID held by a
different person is an error. A similar name in the same district is created and flagged as a
possible duplicate for a manager to review.

A file is read defensively, because whoever makes it need not be whoever imports it: its size,
the unpacked size of an XLSX's parts, the length of a cell, the number of columns and the number
of problems reported are bounded (settings `TANDIR_IMPORT_*`), and a file that cannot be read
is one error that names the problem, never a traceback. Formula cells are refused rather than
read as the value a spreadsheet last cached for them.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import shutil
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._reader import (
    CELL_TAG,
    DATA_TAG,
    FORMULA_TAG,
    ROW_TAG,
    WorkSheetParser,
)
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from tandir.core.errors import TandirError
from tandir.core.models import TargetGroup
from tandir.orgs.models import District
from tandir.orgs.roles import Right, has_right
from tandir.registry.actions import ImportedPerson, register_imported
from tandir.registry.duplicates import keys_for, possibly_same_person
from tandir.registry.forms import BeneficiaryForm, KnownChoices
from tandir.registry.models import (
    AliasKind,
    Beneficiary,
    BeneficiaryAlias,
)
from tandir.registry.queries import beneficiaries_in_scope

COLUMNS = [
    "first_name", "patronymic", "last_name", "sex", "date_of_birth", "phone", "id_document",
    "national_id", "branch", "district", "locality", "target_groups", "education",
    "economic_activity", "heard_via", "heard_via_detail", "projects", "household_members",
    "household_dependants", "household_head_sex", "household_income",
    "household_income_currency", "consent_surveys", "consent_sharing",
]  # fmt: skip
REQUIRED_COLUMNS = {"first_name", "last_name", "sex", "date_of_birth", "branch", "district",
                    "household_members", "household_head_sex"}  # fmt: skip
YES = {"1", "yes", "y", "true", "x", "да", "այո", "bəli", "evet", "ہاں"}
CHUNK = 500
# A spreadsheet reads a cell starting with one of these as a formula. CSV exports put a single
# quote before such a value (the OWASP advice); the import takes that quote off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Fixed bounds of a file's shape, far above any real import (23 columns, a few cell parts).
MAX_COLUMNS = 100
MAX_XLSX_PARTS = 1000
MAX_XML_ELEMENTS_PER_CELL = 1000
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx


@dataclass(frozen=True)
class LineError:
    line: int  # 0: the file as a whole
    column: str
    reason: str

    def __str__(self) -> str:
        if not self.line:
            return self.reason
        if self.column == "-":
            return _("line %(line)s: %(reason)s") % {"line": self.line, "reason": self.reason}
        return _("line %(line)s, column %(column)s: %(reason)s") % {
            "line": self.line,
            "column": self.column,
            "reason": self.reason,
        }


def stopped_after(count: int) -> LineError:
    """The entry that ends a list of problems cut at TANDIR_IMPORT_MAX_ERRORS."""
    return LineError(
        0,
        "-",
        _(
            "Stopped after %(count)s problems (TANDIR_IMPORT_MAX_ERRORS); correct "
            "these and import the file again to see the rest."
        )
        % {"count": count},
    )


class BadFile(TandirError):
    """The file cannot be imported as a whole; the message names the problem in one sentence."""

    code = "bad_file"

    def __init__(self, message: str, *, line: int = 0) -> None:
        super().__init__(message, line=line)
        self.line = line

    def with_line(self, line: int) -> BadFile:
        self.line = line
        return self

    def as_error(self) -> LineError:
        return LineError(self.line, "-", self.message)


@dataclass
class ImportResult:
    lines: int = 0
    created: int = 0
    already_registered: int = 0
    flagged: int = 0
    errors: list[LineError] = field(default_factory=list)
    # Columns of the file that are not import columns (an export's `id`, a note): not read.
    ignored_columns: list[str] = field(default_factory=list)
    # More problems than TANDIR_IMPORT_MAX_ERRORS: the list was cut there (its last entry says so).
    stopped: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    line: int
    data: dict[str, Any]
    keys: Any = None
    already_registered: bool = False
    possible_duplicate_of: Beneficiary | None = None


@dataclass(frozen=True)
class FileLine:
    """One non-empty line of the file: its number, its import columns, problems in reading it."""

    number: int
    values: dict[str, str]
    problems: tuple[LineError, ...] = ()


@dataclass
class Table:
    header: list[str]
    lines: Iterator[FileLine]


Progress = Callable[[int], None]


def _megabytes(size: int) -> str:
    return _("%(size)s MB") % {"size": f"{size / 2**20:.1f}"}


def read_table(path: Path) -> Table:
    """Header and non-empty lines of a CSV (UTF-8, comma or semicolon) or XLSX file.

    Raises `BadFile` for a file that cannot be imported, before or while its lines are read.
    """
    limit = settings.TANDIR_IMPORT_MAX_BYTES
    try:
        size = path.stat().st_size
        if size > limit:
            raise BadFile(
                _(
                    "The file is %(size)s, more than the %(limit)s an import may be "
                    "(TANDIR_IMPORT_MAX_BYTES); split it into smaller files."
                )
                % {"size": _megabytes(size), "limit": _megabytes(limit)}
            )
        with path.open("rb") as f:
            data = f.read(size)
            changed = len(data) != size or f.read(1)
    except OSError as error:
        raise BadFile(
            _("The file cannot be read: %(reason)s") % {"reason": error.strerror}
        ) from error
    if changed:
        raise BadFile(_("The file changed while it was read; import it again."))
    if not data.strip():
        raise BadFile(_("The file is empty."))
    if path.suffix.lower() == ".xlsx":
        return _xlsx_table(data)
    return _csv_table(data)


def count_lines(path: Path) -> int | None:
    """How many non-empty lines the file has, for a progress bar; None if it cannot be read."""
    try:
        return sum(1 for _line in read_table(path).lines)
    except BadFile:
        return None


def _header(cells: list[str], line: int) -> list[str]:
    header = [c.strip().lower() for c in cells]
    while header and not header[-1]:
        header.pop()
    if len(header) > MAX_COLUMNS:
        raise BadFile(
            _("The first line names %(count)s columns; an import file has at most %(limit)s.")
            % {"count": len(header), "limit": MAX_COLUMNS},
            line=line,
        )
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise BadFile(
                _("The column %(name)s appears twice in the first line.") % {"name": name},
                line=line,
            )
        seen.add(name)
    return header


def _file_line(
    number: int, header: list[str], cells: list[str], problems: list[LineError]
) -> FileLine | None:
    """The import columns of one line, each cell trimmed and bounded; None for an empty line."""
    limit = settings.TANDIR_IMPORT_MAX_CELL_CHARS
    values: dict[str, str] = {}
    empty = not problems
    for column, cell in zip(header, cells, strict=False):
        if cell.startswith("'") and cell[1:2] and cell[1] in FORMULA_STARTS:
            cell = cell[1:]  # a CSV export's guard against formulas (FORMULA_STARTS)
        cell = cell.strip()
        if not cell:
            continue
        empty = False
        if column not in COLUMNS or any(p.column == column for p in problems):
            continue
        if len(cell) > limit:
            problems.append(
                LineError(
                    number,
                    column,
                    _("longer than %(limit)s characters (TANDIR_IMPORT_MAX_CELL_CHARS)")
                    % {"limit": limit},
                )
            )
            continue
        values[column] = cell
    if empty:
        return None
    return FileLine(number, values, tuple(problems))


def _csv_table(data: bytes) -> Table:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise BadFile(_("The file is UTF-16 text; save it as “CSV UTF-8” and import it again."))
    if b"\0" in data:
        raise BadFile(
            _(
                "The file holds NUL bytes, so it is not CSV text (perhaps UTF-16, or a "
                "spreadsheet under a .csv name); save it as “CSV UTF-8” and import it again."
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadFile(
            _(
                "The file is not UTF-8 text (line %(line)s is not; perhaps it is Windows-1251 "
                "or another code page); save it as “CSV UTF-8” and import it again."
            )
            % {"line": data[: error.start].count(b"\n") + 1}
        ) from error
    # The header names only known columns, so the separator it uses most is the file's.
    first = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def problem(error: csv.Error) -> BadFile:
        if "field larger than field limit" in str(error):
            reason = _("a cell is longer than %(limit)s characters (TANDIR_IMPORT_MAX_CELL_CHARS)")
            reason %= {"limit": settings.TANDIR_IMPORT_MAX_CELL_CHARS}
        else:
            reason = _("cannot be read as CSV (%(reason)s)") % {"reason": error}
        return BadFile(reason, line=reader.line_num)

    try:
        cells = next((c for c in reader if any(v.strip() for v in c)), [])
    except csv.Error as error:
        raise problem(error) from error
    header = _header(cells, reader.line_num)

    def csv_lines() -> Iterator[FileLine]:
        try:
            for cells in reader:
                line = _file_line(reader.line_num, header, cells, [])
                if line:
                    yield line
        except csv.Error as error:
            raise problem(error) from error

    return Table(header, csv_lines())


def _xlsx_table(data: bytes) -> Table:
    if data.startswith(OLE_SIGNATURE):
        raise BadFile(
            _(
                "The file is an old Excel (.xls) workbook or a password-protected one; save "
                "it as .xlsx without a password, or as “CSV UTF-8”, and import it again."
            )
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise BadFile(
            _(
                "The file is not an XLSX workbook (it is not a zip archive); save it as .xlsx "
                "or as “CSV UTF-8” and import it again."
            )
        ) from error
    _check_parts(parts)
    repacked = _repacked(data)
    try:
        book = _open_workbook(repacked)
        sheets = book.worksheets
    except BadFile:
        raise
    except Exception as error:  # openpyxl raises anything from KeyError to ParseError
        raise _unreadable(error) from error
    if not sheets:
        raise BadFile(_("The workbook has no sheet."))
    sheet = _Sheet(book, sheets[0])
    rows = sheet.rows()
    header: list[str] = []
    for number, cells in rows:
        texts, _special = sheet.texts(cells)
        if any(texts):
            header = _header(texts, number)
            break
    if not header:
        raise BadFile(_("The first sheet of the workbook is empty."))
    sheet.width = len(header)

    def xlsx_lines() -> Iterator[FileLine]:
        for number, cells in rows:
            texts, special = sheet.texts(cells)
            problems = [
                LineError(number, header[index], reason)
                for index, reason in special.items()
                if header[index] in COLUMNS
            ]
            line = _file_line(number, header, texts, problems)
            if line:
                yield line

    return Table(header, xlsx_lines())


def _unreadable(error: Exception) -> BadFile:
    return BadFile(
        _(
            "The workbook cannot be read (%(reason)s); open it, save it again as .xlsx or as "
            "“CSV UTF-8”, and import it again."
        )
        % {"reason": type(error).__name__}
    )


def _check_parts(parts: list[zipfile.ZipInfo]) -> None:
    """Refuse a workbook from its zip directory alone, before any part is unpacked.

    The directory's sizes can understate; `_repacked` then reads a part no further than its
    stated size, so what the directory says here bounds what reading the workbook costs.
    """
    if len(parts) > MAX_XLSX_PARTS:
        raise BadFile(
            _("The workbook has %(count)s parts; an XLSX file has at most %(limit)s.")
            % {"count": len(parts), "limit": MAX_XLSX_PARTS}
        )
    names: set[str] = set()
    for part in parts:
        if part.filename in names:
            raise BadFile(
                _("The workbook holds its part %(part)s twice.") % {"part": part.filename}
            )
        names.add(part.filename)
        if part.flag_bits & 0x1:
            raise BadFile(_("The workbook is encrypted; save it without a password."))
        if part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BadFile(
                _("The workbook's part %(part)s is packed in a way XLSX files never are.")
                % {"part": part.filename}
            )
    total = sum(p.file_size for p in parts)
    limit = settings.TANDIR_IMPORT_MAX_UNCOMPRESSED_BYTES
    if total > limit:
        largest = max(parts, key=lambda p: p.file_size)
        raise BadFile(
            _(
                "The workbook unpacks to %(size)s, more than the %(limit)s an import may read "
                "(TANDIR_IMPORT_MAX_UNCOMPRESSED_BYTES); its largest part, %(part)s, is "
                "%(part_size)s."
            )
            % {
                "size": _megabytes(total),
                "limit": _megabytes(limit),
                "part": largest.filename,
                "part_size": _megabytes(largest.file_size),
            }
        )


def _repacked(data: bytes) -> bytes:
    """The workbook packed again from what its parts really unpack to, read in small chunks.

    A part's directory entry can understate its size. Read in chunks, zipfile stops at the
    stated size (and the part then fails its CRC check), but `ZipFile.read()`, which openpyxl
    uses for most parts, first inflates all of the part's compressed data at once: 10 MB of it
    can be 10 GB. openpyxl therefore reads this copy, whose directory is true.
    """
    out = io.BytesIO()
    try:
        with (
            zipfile.ZipFile(io.BytesIO(data)) as source,
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as copy,
        ):
            for part in source.infolist():
                if part.is_dir():
                    continue
                with source.open(part) as reader, copy.open(part.filename, "w") as writer:
                    shutil.copyfileobj(reader, writer, 2**16)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise _unreadable(error) from error
    return out.getvalue()


class _WorkbookReader(ExcelReader):
    """openpyxl's reader, with the shared strings read by `_shared_strings`."""

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        self.shared_strings = []
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = _shared_strings(source)


def _open_workbook(data: bytes) -> Any:
    reader = _WorkbookReader(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    reader.read()
    return reader.wb


def _shared_strings(source: Any) -> list[str]:
    """The workbook's shared strings, each the text of its runs (phonetic guides left out).

    Read with expat's callbacks, so no element tree is built at all: openpyxl's own reader
    builds an object per string and keeps every emptied element (the 50 MB of short strings
    the default limit allows took it half a minute and 300 MB).
    """
    strings: list[str] = []
    chunks: list[str] = []
    depth = phonetic = 0
    in_text = False

    def start(name: str, _attributes: Any) -> None:
        nonlocal depth, phonetic, in_text
        depth += 1
        if name == _PHONETIC:
            phonetic += 1
        elif name == _TEXT and not phonetic:
            in_text = True

    def end(name: str) -> None:
        nonlocal depth, phonetic, in_text
        depth -= 1
        if name == _TEXT:
            in_text = False
        elif name == _PHONETIC:
            phonetic -= 1
        elif name == _STRING_ITEM and depth == 1:
            strings.append("".join(chunks))
            chunks.clear()

    def text(data: str) -> None:
        if in_text:
            chunks.append(data)

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.ParseFile(source)
    return strings


_STRING_ITEM, _PHONETIC, _TEXT = (f"{SHEET_MAIN_NS} {tag}" for tag in ("si", "rPh", "t"))
# OOXML writes characters XML cannot hold as _xHHHH_ (a carriage return is _x000D_) and a
# literal "_x" as _x005F_x.
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescaped(text: str) -> str:
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m[1], 16)), text) if "_x" in text else text


Cell = dict[str, Any]  # openpyxl's parsed cell: row, column, value, data_type, style_id


class _Sheet:
    """The rows of a worksheet, read in constant memory.

    openpyxl's own row iterator makes up every missing row (one cell in row 1,000,000,000 is a
    loop of that many rows) and pads every row to the widest; this reads only the rows in the
    file, keeps only the first `width` columns, and drops each XML element once read, so no
    shape of XML grows the memory it takes. Reading one cell (its type, a date, a shared
    string) is left to openpyxl.
    """

    def __init__(self, book: Any, sheet: Any) -> None:
        self.sheet = sheet
        self.width = MAX_COLUMNS + 1  # until the header is known
        self.parser = WorkSheetParser(
            None,
            sheet._shared_strings,
            data_only=False,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        try:
            yield from self._rows()
        except BadFile:
            raise
        except Exception as error:  # a malformed sheet fails inside openpyxl or the XML parser
            raise _unreadable(error).with_line(self.parser.row_counter) from error

    def _rows(self) -> Iterator[tuple[int, list[Cell]]]:
        parser = self.parser
        stack: list[Any] = []  # worksheet, sheetData, row, c, parts of a cell
        cells: list[Cell] = []
        parts = 0
        with self.sheet._get_source() as source:
            for event, element in iterparse(source, events=("start", "end")):
                if event == "start":
                    stack.append(element)
                    depth = len(stack)
                    if depth == 3 and element.tag == ROW_TAG and stack[1].tag == DATA_TAG:
                        parser.row_counter = _row_number(element.get("r"), parser.row_counter)
                        parser.col_counter = 0
                        cells = []
                    elif depth == 4:
                        parts = 0
                    elif depth > 4:
                        parts += 1
                        if parts > MAX_XML_ELEMENTS_PER_CELL:
                            raise BadFile(
                                _("A cell is made of more than %(limit)s XML elements.")
                                % {"limit": MAX_XML_ELEMENTS_PER_CELL},
                                line=parser.row_counter,
                            )
                    continue
                stack.pop()
                depth = len(stack)  # the parent's
                in_rows = depth >= 2 and stack[1].tag == DATA_TAG
                if in_rows and depth == 3 and element.tag == CELL_TAG:
                    cell = _parse_cell(parser, element)
                    if cell["column"] <= self.width:
                        cells.append(cell)
                elif in_rows and depth == 2 and element.tag == ROW_TAG:
                    yield parser.row_counter, cells
                if 1 <= depth <= 3:
                    stack[-1].remove(element)  # read: drop it, so the tree never grows

    def texts(self, cells: list[Cell]) -> tuple[list[str], dict[int, str]]:
        """A row's cells as text, and the problem of each formula or error cell by position."""
        texts = [""] * self.width
        special: dict[int, str] = {}
        for cell in cells:
            index = cell["column"] - 1
            if not 0 <= index < self.width:
                continue
            kind, value = cell["data_type"], cell["value"]
            if kind == "f":
                special[index] = _("a formula; type the value itself")
            elif kind == "e":
                special[index] = _("an error value (%(value)s) of the spreadsheet") % {
                    "value": value
                }
            elif isinstance(value, str):
                texts[index] = _unescaped(value).strip()
            elif value is not None:
                texts[index] = _cell_text(value)
        return texts, special


def _row_number(value: str | None, previous: int) -> int:
    if value is None:
        return previous + 1
    try:
        return int(value)
    except ValueError as error:
        raise BadFile(
            _("A row of the sheet is numbered %(value)s.") % {"value": value[:20]},
            line=previous + 1,
        ) from error


def _parse_cell(parser: Any, element: Any) -> Cell:
    formula = element.find(FORMULA_TAG)
    if formula is not None:
        element.remove(formula)  # neither evaluated nor translated: the cell is refused
    cell: Cell = parser.parse_cell(element)
    if formula is not None:
        cell["data_type"] = "f"
    return cell


def _cell_text(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _Lookups:
    """Codes and names in the file resolved to rows the officer may use, loaded once."""

    def __init__(self, officer: Any, known: KnownChoices) -> None:
        def by_code(field: str) -> dict[str, Any]:
            return {row.code.lower(): row for row in known.rows[field].values()}

        self.branches = by_code("branch")
        self.projects = by_code("projects")
        self.groups = by_code("target_groups")
        country = getattr(officer.organization, "country_id", None)
        self.districts: dict[str, list[District]] = {}
        for district in known.rows["district"].values():
            if country and district.region.country_id != country:
                continue
            for name in {
                district.name,
                district.name_local,
                f"{district.region.name}/{district.name}",
            }:
                if name:
                    self.districts.setdefault(name.lower(), []).append(district)
        self.localities = {
            (loc.district_id, loc.name.lower()): loc for loc in known.rows["locality"].values()
        }


def _form_data(
    values: dict[str, str], lookups: _Lookups, errors: list[LineError], line: int
) -> dict[str, Any]:
    data: dict[str, Any] = {name: values.get(name, "") for name in COLUMNS}

    def bad(column: str, reason: str) -> None:
        errors.append(LineError(line, column, reason))

    branch = lookups.branches.get(data["branch"].lower())
    if data["branch"] and not branch:
        bad("branch", _("unknown branch code %(code)s") % {"code": data["branch"]})
    data["branch"] = branch.pk if branch else ""
    districts = lookups.districts.get(data["district"].lower(), [])
    if data["district"] and len(districts) != 1:
        reason = (
            _("%(name)s is in several regions; write Region/District")
            if districts
            else _("unknown district %(name)s")
        )
        bad("district", reason % {"name": data["district"]})
    district = districts[0] if len(districts) == 1 else None
    data["district"] = district.pk if district else ""
    locality = lookups.localities.get((district.pk, data["locality"].lower())) if district else None
    if data["locality"] and district and not locality:
        bad("locality", _("unknown locality %(name)s") % {"name": data["locality"]})
    data["locality"] = locality.pk if locality else ""
    for column, table in (("target_groups", lookups.groups), ("projects", lookups.projects)):
        codes = [c.strip().lower() for c in data[column].replace(",", ";").split(";") if c.strip()]
        if column == "target_groups":
            codes = [c for c in codes if c not in TargetGroup.DERIVED_CODES]  # youth: from age
        unknown = [c for c in codes if c not in table]
        if unknown:
            bad(column, _("unknown codes: %(codes)s") % {"codes": ", ".join(unknown)})
        data[column] = [table[c].pk for c in codes if c in table]
    data["consent_programme"] = "on"
    for column in ("consent_surveys", "consent_sharing"):
        data[column] = "on" if data[column].strip().lower() in YES else ""
    data["household_dependants"] = data["household_dependants"] or "0"
    for column, default in _SKIPPED_ANSWERS.items():
        # An empty cell is an answer not given; only a form that insists gets its old default.
        if not data[column] and BeneficiaryForm.base_fields[column].required:
            data[column] = default
    return data


_SKIPPED_ANSWERS = {"education": "secondary", "economic_activity": "none", "heard_via": "other"}


def validate_file(
    officer: Any, path: Path, progress: Progress | None = None
) -> tuple[ImportResult, list[_Row]]:
    """Check every line; return the errors of all bad lines, or the rows ready to write.

    Stops after TANDIR_IMPORT_MAX_ERRORS problems, and says so in a last entry of the errors.
    """
    result = ImportResult()
    max_errors = settings.TANDIR_IMPORT_MAX_ERRORS
    rows: list[_Row] = []
    try:
        table = read_table(path)
        missing = sorted(REQUIRED_COLUMNS - set(table.header))
        if missing:
            result.errors.append(LineError(1, ", ".join(missing), _("required column missing")))
            return result, []
        result.ignored_columns = [c for c in table.header if c and c not in COLUMNS]
        known = KnownChoices(officer)
        lookups = _Lookups(officer, known)
        for line in table.lines:
            result.lines += 1
            line_errors = list(line.problems)
            data = _form_data(line.values, lookups, line_errors, line.number)
            form = BeneficiaryForm(data, user=officer, known=known)
            if not form.is_valid():
                reported = {e.column for e in line_errors}
                for column, messages in form.errors.items():
                    if column in reported:
                        continue  # already said in the file's own words
                    for message in messages:
                        line_errors.append(
                            LineError(
                                line.number, column if column != "__all__" else "-", str(message)
                            )
                        )
            result.errors.extend(
                sorted(
                    line_errors,
                    key=lambda e: COLUMNS.index(e.column) if e.column in COLUMNS else 99,
                )
            )
            if not line_errors:
                row = _Row(line.number, form.cleaned_data)
                d = row.data
                row.keys = keys_for(d["first_name"], d.get("patronymic") or "", d["last_name"])
                rows.append(row)
            if progress:
                progress(1)
            if len(result.errors) >= max_errors:
                result.stopped = True
                break
    except BadFile as problem:
        result.errors.append(problem.as_error())
        return result, []
    if not result.stopped:
        _check_duplicates(officer, rows, result)
    if len(result.errors) > max_errors:
        del result.errors[max_errors:]
        result.stopped = True
    if result.stopped:
        result.errors.append(stopped_after(max_errors))
    return result, rows


def _check_duplicates(officer: Any, rows: list[_Row], result: ImportResult) -> None:
    """Against the file itself and the registry, in a few queries for the whole file.

    An ID number is compared within its kind of document, as the registry's constraint does.
    """
    seen: dict[tuple[str, Any], int] = {}
    for row in rows:
        for column in ("phone", "national_id"):
            value = _identity(row.data, column)
            if not value:
                continue
            if (column, value) in seen:
                result.errors.append(
                    LineError(
                        row.line, column, _("same as line %(line)s") % {"line": seen[column, value]}
                    )
                )
            else:
                seen[column, value] = row.line
    org = officer.organization_id
    phones = [r.data["phone"] for r in rows if r.data.get("phone")]
    ids = [r.data["national_id"] for r in rows if r.data.get("national_id")]
    holders: dict[tuple[str, Any], Beneficiary] = {}
    for start in range(0, max(len(phones), len(ids)), CHUNK):
        for b in Beneficiary.objects.filter(
            Q(phone__in=phones[start : start + CHUNK])
            | Q(national_id__in=ids[start : start + CHUNK]),
            organization_id=org,
            merged_into=None,
        ):
            numbers = {"phone": b.phone, "id_document": b.id_document, "national_id": b.national_id}
            for column in ("phone", "national_id"):
                value = _identity(numbers, column)
                if value:
                    holders[column, value] = b
        # A phone kept as an alias when two records merged still belongs to the kept person.
        for alias in BeneficiaryAlias.objects.filter(
            organization_id=org,
            kind=AliasKind.PHONE,
            value__in=phones[start : start + CHUNK],
            beneficiary__merged_into=None,
        ).select_related("beneficiary"):
            holders.setdefault(("phone", alias.value), alias.beneficiary)
    remaining = []
    taken: list[tuple[_Row, str, Beneficiary]] = []
    for row in rows:
        held = [
            (c, holders[c, _identity(row.data, c)])
            for c in ("national_id", "phone")
            if (c, _identity(row.data, c)) in holders
        ]
        if not held:
            remaining.append(row)
            continue
        same_person = all(
            h.name_key == row.keys.full_key and h.date_of_birth == row.data["date_of_birth"]
            for _c, h in held
        )
        if same_person:
            row.already_registered = True
            result.already_registered += 1
        else:
            column, holder = held[0]
            taken.append((row, column, holder))
    _report_taken(officer, taken, result)
    # Possible duplicates (see `possibly_same_person`): people of the same district sharing a
    # line's surname key or birth date, fetched as plain values once per distinct key, so each
    # line is compared only with the few people it could be.
    Candidate = tuple[int, str, datetime.date]  # id, name key, birth date
    by_surname: dict[tuple[int, str], list[Candidate]] = defaultdict(list)
    by_birth: dict[tuple[int, datetime.date], list[Candidate]] = defaultdict(list)
    districts = {r.data["district"].pk for r in remaining}
    for column, wanted, filed in (
        ("last_name_key", sorted({r.keys.last_name_key for r in remaining}), by_surname),
        ("date_of_birth", sorted({r.data["date_of_birth"] for r in remaining}), by_birth),
    ):
        for start in range(0, len(wanted), CHUNK):
            found = Beneficiary.objects.filter(
                organization_id=org,
                district_id__in=districts,
                merged_into=None,
                **{f"{column}__in": wanted[start : start + CHUNK]},
            ).values_list("id", "district_id", "name_key", "date_of_birth", column)
            for pk, district, key, born, value in found:
                filed[district, value].append((pk, key, born))
    for row in remaining:
        district, born = row.data["district"].pk, row.data["date_of_birth"]
        pool = [
            *by_surname.get((district, row.keys.last_name_key), ()),
            *by_birth.get((district, born), ()),
        ]
        match = next(
            (pk for pk, key, their_birth in pool
             if possibly_same_person(key, their_birth, row.keys.full_key, born)),
            None,
        )  # fmt: skip
        if match:
            row.possible_duplicate_of = Beneficiary(pk=match)
            result.flagged += 1
    result.errors.sort(key=lambda e: e.line)


def _identity(values: dict[str, Any], column: str) -> Any:
    """What makes a phone or an ID number one person's: the number, and an ID's document kind."""
    value = values.get(column)
    if column == "national_id" and value:
        return (values.get("id_document") or "", value)
    return value


def _report_taken(
    officer: Any, taken: list[tuple[_Row, str, Beneficiary]], result: ImportResult
) -> None:
    """A phone or ID of the file held by another person: which record, only if in scope.

    Outside the officer's branches the line says only that the organisation has the number,
    so an import cannot be used to find out who holds a phone or an ID elsewhere.
    """
    holders = sorted({holder.pk for _row, _column, holder in taken})
    visible: set[int] = set()
    for start in range(0, len(holders), CHUNK):
        visible.update(
            beneficiaries_in_scope(officer)
            .filter(pk__in=holders[start : start + CHUNK])
            .values_list("pk", flat=True)
        )
    for row, column, holder in taken:
        if holder.pk in visible:
            reason = _("already registered to another person (record %(id)s)") % {"id": holder.pk}
        elif column == "phone":
            reason = _(
                "this phone number is already registered in the organisation; ask your manager"
            )
        else:
            reason = _("this ID is already registered in the organisation; ask your manager")
        result.errors.append(LineError(row.line, column, reason))


def import_beneficiaries(
    officer: Any,
    path: Path,
    *,
    today: datetime.date | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate the whole file, then write all of it or nothing."""
    if not has_right(officer, Right.IMPORT):
        return ImportResult(errors=[LineError(0, "-", _("Your role does not allow imports."))])
    result, rows = validate_file(officer, path, progress)
    if result.errors:
        return result
    new_rows = [
        ImportedPerson(r.data, r.possible_duplicate_of) for r in rows if not r.already_registered
    ]
    register_imported(officer, new_rows, today=today or timezone.localdate())
    result.created = len(new_rows)
    return result
