"""Read schedules written as printed tables, so tests look like what a credit officer sees."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tandir.engine import Schedule

Row = tuple[int, date, Decimal, Decimal, Decimal, Decimal]


def parse_schedule(text: str) -> list[Row]:
    """Rows of `no  due date  principal  charge  total  balance`; the heading line is skipped."""
    rows: list[Row] = []
    for line in text.strip().splitlines()[1:]:
        number, due, principal, charge, total, balance = line.split()
        rows.append(
            (
                int(number),
                date.fromisoformat(due),
                Decimal(principal.replace(",", "")),
                Decimal(charge.replace(",", "")),
                Decimal(total.replace(",", "")),
                Decimal(balance.replace(",", "")),
            )
        )
    return rows


def schedule_rows(schedule: Schedule) -> list[Row]:
    return [
        (row.number, row.due_date, row.principal, row.charge, row.total, row.balance)
        for row in schedule.installments
    ]
