"""Locks of close of business, in one place.

Lock order (so that close of business and repayments neither deadlock nor lose each other's
work): one close of business per organisation at a time (a PostgreSQL advisory lock on the
organisation, held for the whole run); then, per chunk of the steps that update installments
(penalties, accruals), the chunk's loan rows in id order, the order
`tandir.lending.locks.lock_loans` uses, and only then their installments. A repayment locks
its loan first, so it either commits before the chunk reads the loan (and is counted by it)
or waits until the chunk commits (and is dated after the business date, or is a back-dated
payment the next run's corrections step recomputes). SQLite has one writer at a time: there
the database itself serialises them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# The first key of the two-key advisory lock: "close of business", then the organisation.
ADVISORY_KEY = 0x0C0B


@contextmanager
def organization_lock(organization_id: int) -> Iterator[None]:
    """Hold the organisation's close-of-business lock (waiting for a run already going)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [ADVISORY_KEY, organization_id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_KEY, organization_id])


def lock_chunk(organization_id: int, low: int, size: int, *, lock: bool = True) -> int | None:
    """Lock the organisation's next `size` loans from id `low` on, in id order, and return the
    last one's id (None when no loan is left); callers are in a transaction. One statement
    both finds the chunk and locks it. SQLite only finds it, and so does `lock=False`: the
    steps that write only close of business's own tables (the arrears state, the snapshots)
    need no loan locked. Their statements read the installments and payments as one MVCC
    snapshot, and a payment committed after it is dated after the business date or is
    recomputed by the next run's corrections step, as when it waits for a locked chunk."""
    lock_rows = lock and connection.vendor == "postgresql"
    lock_clause = " FOR UPDATE" if lock_rows else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM lending_loan WHERE organization_id = %s AND id >= %s "
            f"ORDER BY id LIMIT %s{lock_clause}",
            [organization_id, low, size],
        )
        ids = cursor.fetchall()
    return ids[-1][0] if ids else None


def lock_loan_ids(organization_id: int, ids: list[int]) -> None:
    """Lock some loans of the organisation, in id order; callers are in a transaction."""
    if connection.vendor != "postgresql" or not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM lending_loan WHERE organization_id = %s AND id = ANY(%s) "
            "ORDER BY id FOR UPDATE",
            [organization_id, sorted(ids)],
        )
