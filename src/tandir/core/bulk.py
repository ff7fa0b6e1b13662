"""Set-based writes for the actions that write many rows at once (a portfolio import, a bank
statement, close of business): one COPY per table and one UPDATE per chunk on PostgreSQL, the
ORM's bulk methods elsewhere. The actions decide what to write and check it; this module only
moves the rows, as fast as the database takes them.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.models import JSONField
from django.utils import timezone

# Rows per UPDATE ... FROM (VALUES ...): large enough that the statement overhead vanishes,
# small enough that the statement text stays a few hundred kilobytes.
UPDATE_CHUNK = 2000
# Fewer rows than this are inserted with INSERT, more with COPY.
COPY_FROM = 50
# After a COPY of this many rows the table's statistics are taken at once (PostgreSQL): the
# planner otherwise plans the next reports on a table it believes nearly empty until autovacuum
# comes by (a repayment-rate query took 10.7 s on freshly imported tables, 0.2 s after ANALYZE).
ANALYZE_FROM = 10_000


def insert_rows(model: Any, rows: Sequence[dict[str, Any]], *, ids: bool = False) -> list[int]:
    """Insert rows (column values by attribute name; the others take the field's default) in
    one statement per table: COPY on PostgreSQL, with the ids drawn from the table's sequence
    first when the caller needs them, and bulk_create elsewhere. Returns the ids if asked."""
    from psycopg.types.json import Jsonb

    if not rows:
        return []
    if connection.vendor != "postgresql":
        known = {f.attname for f in model._meta.concrete_fields}
        made = model.objects.bulk_create(
            [model(**{k: v for k, v in row.items() if k in known}) for row in rows],
            batch_size=2000,
        )
        return [record.pk for record in made] if ids else []
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    # What Django would write for a value not given: the field's default ("" for text).
    defaults: dict[str, Any] = {}
    for f in fields:
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        defaults[f.attname] = now if auto else f.get_default()
    names = [f.attname for f in fields]
    json = [index for index, f in enumerate(fields) if isinstance(f, JSONField)]
    columns = [f.column for f in fields]
    pks = reserve_ids(model, len(rows)) if ids else []
    if ids:
        columns.insert(0, model._meta.pk.column)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        raw: Any = cursor.cursor
        with raw.copy(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN"
        ) as copy:
            pairs = [(name, defaults[name]) for name in names]
            for index, row in enumerate(rows):
                values = [row.get(name, default) for name, default in pairs]
                for position in json:
                    if values[position] is not None:
                        values[position] = Jsonb(values[position])
                copy.write_row([pks[index], *values] if ids else values)
    _analyse_after(model, len(rows))
    return pks


def insert_records(model: Any, records: Sequence[Any]) -> None:
    """Insert model instances as they are: COPY on PostgreSQL, with their ids when every one
    has its id (from `reserve_ids`; otherwise none of them learns it), bulk_create elsewhere
    (which sets the ids). Afterwards each instance counts as saved."""
    if not records:
        return
    with_ids = all(record.pk is not None for record in records)
    # A COPY costs a round trip to open and one to close: for a few rows (one payment at the
    # counter) a plain INSERT is the cheaper statement.
    if (
        connection.vendor != "postgresql"
        or len(records) < COPY_FROM
        or not (with_ids or all(record.pk is None for record in records))
    ):
        model.objects.bulk_create(records, batch_size=2000)
        return
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if with_ids or not f.primary_key]
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for record in records:
                if getattr(record, f.attname) is None:
                    setattr(record, f.attname, now)
    quote = connection.ops.quote_name
    quoted = ", ".join(quote(f.column) for f in fields)
    names = [f.attname for f in fields]
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw: Any = cursor.cursor
        with raw.copy(f"COPY {quote(model._meta.db_table)} ({quoted}) FROM STDIN") as copy:
            for record in records:
                copy.write_row([getattr(record, name) for name in names])
    _analyse_after(model, len(records))
    for record in records:
        record._state.adding = False
        record._state.db = connection.alias


# Rows written per table inside `analyse_once`, or None outside it.
_written: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar(
    "bulk_written", default=None
)


@contextmanager
def analyse_once() -> Iterator[None]:
    """Inside this block the tables that large COPYs fill are analysed once, when it ends, and
    not after each COPY: an import writing 150,000 installments in five chunks paid five
    ANALYZEs of about 160 ms each (ANALYZE samples the same 30,000 rows however many were
    added), a third of its write. Counts add up over the block, so chunks each below
    `ANALYZE_FROM` still get their table analysed."""
    written: dict[str, int] = {}
    token = _written.set(written)
    try:
        yield
    finally:
        _written.reset(token)
    for table, count in written.items():
        _analyse(table, count)


def _analyse_after(model: Any, count: int) -> None:
    """ANALYZE the table after a large COPY (PostgreSQL takes it inside the transaction)."""
    written = _written.get()
    if written is None:
        _analyse(model._meta.db_table, count)
    else:
        written[model._meta.db_table] = written.get(model._meta.db_table, 0) + count


def _analyse(table: str, count: int) -> None:
    if count >= ANALYZE_FROM and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def reserve_ids(model: Any, count: int) -> list[int]:
    """`count` ids from the table's sequence (PostgreSQL), for rows that must know their id
    before they are written (a receipt number made from it). Empty elsewhere."""
    if connection.vendor != "postgresql" or count == 0:
        return []
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, count],
        )
        return [value for (value,) in cursor.fetchall()]


def update_rows(model: Any, fields: list[str], records: Iterable[Any]) -> None:
    """Some columns of many rows, by id. On PostgreSQL one `UPDATE ... FROM (VALUES ...)` per
    chunk of rows; elsewhere one prepared UPDATE run for every row. Either is cheaper than
    `bulk_update`'s CASE per column, whose SQL grows with the rows and is built anew."""
    rows = list(records)
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    pk_column = meta.pk.column

    def values(row: Any) -> list[Any]:
        return [
            column.get_db_prep_save(getattr(row, column.attname), connection) for column in columns
        ]

    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            sql = (
                f"UPDATE {quote(meta.db_table)} SET "
                + ", ".join(f"{quote(column.column)} = %s" for column in columns)
                + f" WHERE {quote(pk_column)} = %s"
            )
            cursor.executemany(sql, [[*values(row), row.pk] for row in rows])
            return
        # Each value cast to its column's type, or PostgreSQL guesses text for the VALUES list.
        casts = [column.db_type(connection) for column in columns]
        placeholder = "(%s, " + ", ".join(f"%s::{cast}" for cast in casts) + ")"
        names = ", ".join(quote(f"v{index}") for index in range(len(columns)))
        assignments = ", ".join(
            f"{quote(column.column)} = v.{quote(f'v{index}')}"
            for index, column in enumerate(columns)
        )
        for start in range(0, len(rows), UPDATE_CHUNK):
            chunk = rows[start : start + UPDATE_CHUNK]
            params: list[Any] = []
            for row in chunk:
                params.append(row.pk)
                params.extend(values(row))
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "
                f"FROM (VALUES {', '.join([placeholder] * len(chunk))}) AS v(id, {names}) "
                f"WHERE t.{quote(pk_column)} = v.id",
                params,
            )
