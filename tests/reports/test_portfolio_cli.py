"""`tandir report portfolio`: the JSON contract of docs/reports-cli.md and its refusals."""

from __future__ import annotations

import io
import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import CommandError, call_command

from tests.factories import World
from tests.reports.portfolio_factories import (
    AS_OF,
    Book,
    build_book,
    close_through,
    outstanding,
    schedule,
)

D = Decimal


@pytest.fixture
def book(world: World) -> Book:
    return build_book(world)


def report(*args: str) -> str:
    out = io.StringIO()
    call_command("report", "portfolio", *args, stdout=out)
    return out.getvalue()


def text(value: Decimal) -> str:
    return str(value.quantize(D("0.01"), rounding=ROUND_HALF_UP))


def test_the_json_has_the_documented_shape_and_figures(book: Book) -> None:
    close_through(book.lending, AS_OF)
    data = json.loads(
        report("--as-of", "2026-01-15", "--from", "2026-01-01", "--organization", "org x", "--json")
    )
    assert set(data) == {"as_of", "from", "organization", "source", "by_currency"}
    assert (data["as_of"], data["from"], data["organization"], data["source"]) == (
        "2026-01-15",
        "2026-01-01",
        "Org X",
        "snapshot",
    )
    assert list(data["by_currency"]) == ["USD"]
    usd = data["by_currency"]["USD"]
    assert set(usd) == {
        "gross_loan_portfolio",
        "active_loans",
        "active_borrowers",
        "par",
        "buckets",
        "written_off_in_period",
        "write_off_ratio_percent",
        "on_time_repayment_rate_percent",
        "cumulative_repayment_rate_percent",
    }
    rescheduled = outstanding(book.rescheduled)
    glp = D("1925.44") + rescheduled
    assert usd["gross_loan_portfolio"] == text(glp)
    assert (usd["active_loans"], usd["active_borrowers"]) == (3, 3)
    assert usd["par"]["30"] == {
        "numerator": text(1000 + rescheduled),
        "ratio_percent": text((1000 + rescheduled) * 100 / glp),
    }
    assert set(usd["par"]) == {"1", "30", "90"}
    assert [b["bucket"] for b in usd["buckets"]] == [
        "current", "1-30", "31-60", "61-90", "91-180", "181-365", ">365",
    ]  # fmt: skip
    assert usd["buckets"][2] == {"bucket": "31-60", "loans": 1, "balance": "1000.00"}
    assert usd["written_off_in_period"] == "1000.00"
    # Average GLP: 31 December (all four loans: 1,000 + 925.44 + 1,000 + 1,000) and 15 January.
    average = (D("3925.44") + glp) / 2
    assert usd["write_off_ratio_percent"] == text(1000 * 100 / average)
    # Due 1-15 January: the late and the current loans' second installments (94.56 each),
    # the rescheduled loan's first new one (paid on its day); the written-off loan's came after
    # its write-off.
    first = schedule(book.rescheduled)[0]
    paid = first.principal + first.charge
    assert usd["on_time_repayment_rate_percent"] == text(paid * 100 / (D("189.12") + paid))
    # Due by 15 January: two installments each of the late and current loans, one of the
    # written-off loan (15 December), the rescheduled loan's first; collected: 94.56 and it.
    due = D("189.12") * 2 + D("94.56") + paid
    assert usd["cumulative_repayment_rate_percent"] == text((D("94.56") + paid) * 100 / due)


def test_a_date_not_closed_is_recomputed_and_the_table_says_so(book: Book) -> None:
    data = json.loads(report("--as-of", "2026-01-15", "--json"))
    assert data["source"] == "records"
    assert data["from"] == "2026-01-01"
    printed = report("--as-of", "2026-01-15", "--organization", "Org X")
    assert "recomputed from records" in printed
    assert "Portfolio at risk, 30 days" in printed


def test_bad_dates_and_unknown_organisations_are_refused_clearly(book: Book) -> None:
    with pytest.raises(CommandError, match="--as-of: not a date"):
        report("--as-of", "15/01/2026")
    with pytest.raises(CommandError, match="--from: not a date"):
        report("--as-of", "2026-01-15", "--from", "yesterday")
    with pytest.raises(CommandError, match="must not be after"):
        report("--as-of", "2026-01-15", "--from", "2026-02-01")
    with pytest.raises(CommandError, match="No organisation Nowhere"):
        report("--as-of", "2026-01-15", "--organization", "Nowhere")
