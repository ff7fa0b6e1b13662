"""Repayments posted while close of business runs, on PostgreSQL: none is lost or counted
twice. Each payment either commits before its loan's chunk is read (and the day's snapshot
counts it) or waits for the chunk to commit (and the next run's corrections step recomputes
the snapshot). SQLite has one writer at a time, so this runs on PostgreSQL only."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from tandir.cob import actions as cob
from tandir.cob.models import CobRun
from tandir.ledger.queries import unbalanced_entries
from tandir.lending.models import Installment, Repayment
from tandir.lending.queries import ledger_mismatches
from tests.cob.factories import pay, penalty_product, portfolio_rows, snapshot_rows, someone
from tests.factories import World
from tests.lending_factories import DISBURSED, Lending, build_lending, disbursed_loan

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and advisory locks between two sessions need PostgreSQL",
    ),
]

D = Decimal
FIRST_DUE = datetime.date(2025, 12, 15)


def test_repayments_during_close_of_business_are_neither_lost_nor_counted_twice(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    lending: Lending = build_lending(world)
    rule = penalty_product(lending, "late")
    loans = [disbursed_loan(lending, rule, person=someone(world, n)) for n in range(8)]
    day = datetime.date(2025, 12, 31)
    cob.close_business(lending.accountant, world.org, through=day - datetime.timedelta(days=1))
    monkeypatch.setattr(cob, "CHUNK", 2)
    started = threading.Event()
    failures: list[BaseException] = []

    def payments() -> None:
        try:
            started.wait(timeout=60)
            for n, loan in enumerate(loans):
                # Dated on the day being closed: a payment the run may or may not see.
                pay(lending, loan, "50", day, f"DURING-{n}")
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    def chunk_done(run: CobRun) -> None:
        started.set()

    monkeypatch.setattr(cob, "after_chunk", chunk_done)
    thread = threading.Thread(target=payments)
    thread.start()
    cob.close_business(lending.accountant, world.org, through=day)
    thread.join(timeout=120)
    assert not thread.is_alive() and not failures, failures
    # The next date's run recomputes what the payments changed of the closed one.
    cob.close_business(lending.accountant, world.org, through=day + datetime.timedelta(days=1))
    assert Repayment.objects.filter(reference__startswith="DURING-").count() == 8
    paid = (
        sum(Installment.objects.values_list("principal_paid", flat=True), D(0))
        + sum(Installment.objects.values_list("charge_paid", flat=True), D(0))
        + sum(Installment.objects.values_list("penalty_paid", flat=True), D(0))
    )
    assert paid == D(8 * 50)
    closed = [DISBURSED + datetime.timedelta(days=n) for n in range((day - DISBURSED).days + 2)]
    assert snapshot_rows(world.org.pk) == portfolio_rows(world.org.pk, closed)
    # One penalty per overdue installment, however the payments and the run interleaved.
    assert Installment.objects.filter(penalty_charged_on__isnull=False).count() == 8
    assert unbalanced_entries() == []
    assert ledger_mismatches(world.org.pk) == []
