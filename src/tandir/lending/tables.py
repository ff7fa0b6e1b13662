"""Lines of a CSV or XLSX file with lending's columns, read by the registry's hardened reader.

`tandir.registry.imports` reads an import file defensively: its size, an XLSX's unpacked size and
parts, the length of a cell, the number of columns, formula and error cells, encodings and broken
workbooks, each refused with one sentence. Its `read_table` keeps only the registry's own
columns, so this module runs the same pieces with the columns of a bank statement or of a loan
portfolio: every limit and every message is the registry's.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Collection, Iterator
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from tandir.registry.imports import (
    FORMULA_STARTS,
    OLE_SIGNATURE,
    BadFile,
    FileLine,
    LineError,
    Table,
    _check_parts,
    _header,
    _megabytes,
    _open_workbook,
    _repacked,
    _Sheet,
    _unreadable,
    stopped_after,
)

__all__ = [
    "BadFile",
    "FileLine",
    "LineError",
    "Table",
    "count_lines",
    "read_lines",
    "stopped_after",
]


def read_lines(path: Path, columns: Collection[str]) -> Table:
    """Header and non-empty lines of a CSV (UTF-8; comma, semicolon or tab) or XLSX file, each
    line with the cells of `columns`. Raises `BadFile` for a file that cannot be read."""
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
    wanted = frozenset(columns)
    if path.suffix.lower() == ".xlsx":
        return _xlsx_table(data, wanted)
    return _csv_table(data, wanted)


def count_lines(path: Path, columns: Collection[str]) -> int | None:
    """How many non-empty lines the file has, for a progress bar; None if it cannot be read."""
    try:
        return sum(1 for _line in read_lines(path, columns).lines)
    except BadFile:
        return None


def _file_line(
    number: int,
    header: list[str],
    cells: list[str],
    problems: list[LineError],
    columns: frozenset[str],
) -> FileLine | None:
    """The registry's `_file_line` with other columns: cells trimmed and bounded."""
    limit = settings.TANDIR_IMPORT_MAX_CELL_CHARS
    values: dict[str, str] = {}
    empty = not problems
    for column, cell in zip(header, cells, strict=False):
        if cell.startswith("'") and cell[1:2] and cell[1] in FORMULA_STARTS:
            cell = cell[1:]  # a CSV export's guard against formulas
        cell = cell.strip()
        if not cell:
            continue
        empty = False
        if column not in columns or any(p.column == column for p in problems):
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


def _csv_table(data: bytes, columns: frozenset[str]) -> Table:
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
                line = _file_line(reader.line_num, header, cells, [], columns)
                if line:
                    yield line
        except csv.Error as error:
            raise problem(error) from error

    return Table(header, csv_lines())


def _xlsx_table(data: bytes, columns: frozenset[str]) -> Table:
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
                if header[index] in columns
            ]
            line = _file_line(number, header, texts, problems, columns)
            if line:
                yield line

    return Table(header, xlsx_lines())
