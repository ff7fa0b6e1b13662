"""The ledger keeps its promises: balanced entries, append-only journal, reversals that point
back, a trial balance that adds up."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from tandir.ledger import actions as ledger
from tandir.ledger.actions import Unbalanced, credit, debit
from tandir.ledger.charts import Role
from tandir.ledger.models import JournalEntry, JournalLine
from tandir.ledger.queries import trial_balance, unbalanced_entries
from tests.lending_factories import Lending

D = Decimal
DAY = datetime.date(2026, 3, 1)


def test_an_unbalanced_entry_is_refused_and_nothing_is_written(lending: Lending) -> None:
    before = JournalEntry.objects.count()
    with pytest.raises(Unbalanced):
        ledger.post(
            lending.accountant,
            organization_id=lending.world.org.pk,
            entry_date=DAY,
            kind="funding",
            lines=[
                debit(Role.CASH_AT_BANK, D("10.00"), "USD"),
                credit(Role.DONOR_FUNDS, D("9.99"), "USD"),
            ],
        )
    assert JournalEntry.objects.count() == before


def test_an_amount_finer_than_the_currency_is_refused(lending: Lending) -> None:
    with pytest.raises(ValueError):
        ledger.post(
            lending.accountant,
            organization_id=lending.world.org.pk,
            entry_date=DAY,
            kind="funding",
            lines=[
                debit(Role.CASH_AT_BANK, D("0.005"), "USD"),
                credit(Role.DONOR_FUNDS, D("0.005"), "USD"),
            ],
        )


def test_a_reversal_is_a_new_entry_pointing_at_the_one_it_reverses(lending: Lending) -> None:
    entry = ledger.post(
        lending.accountant,
        organization_id=lending.world.org.pk,
        entry_date=DAY,
        kind="funding",
        lines=[
            debit(Role.CASH_AT_BANK, D("10.00"), "USD"),
            credit(Role.DONOR_FUNDS, D("10.00"), "USD"),
        ],
    )
    assert entry is not None
    reversal = ledger.reverse_entry(lending.accountant, entry, entry_date=DAY)
    assert reversal.reverses_id == entry.pk
    assert {(line.debit, line.credit) for line in reversal.lines.all()} == {
        (D("0"), D("10.00")),
        (D("10.00"), D("0")),
    }
    with pytest.raises(ledger.TandirError):
        ledger.reverse_entry(lending.accountant, entry, entry_date=DAY)


def test_a_journal_line_cannot_be_changed_in_the_database(lending: Lending) -> None:
    line = JournalLine.objects.first()
    assert line is not None
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalLine.objects.filter(pk=line.pk).update(debit=D("1.00"))


@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_an_unbalanced_entry_at_commit(world: object) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the deferred balance trigger is PostgreSQL's")
    from tests.lending_factories import build_lending

    lending = build_lending(world)  # type: ignore[arg-type]
    account = lending.fund.account
    with pytest.raises(DatabaseError), transaction.atomic():
        entry = JournalEntry.objects.create(
            organization_id=lending.world.org.pk,
            entry_date=DAY,
            kind="funding",
            created_by=lending.accountant,
        )
        JournalLine.objects.create(
            organization_id=lending.world.org.pk,
            entry=entry,
            account=account,
            currency="USD",
            debit=D("5.00"),
            entry_date=DAY,
        )
    assert unbalanced_entries() == []


def test_the_trial_balance_adds_up_to_zero(lending: Lending) -> None:
    rows = trial_balance(lending.world.org.pk, DAY)
    assert rows
    assert sum((row.balance for row in rows), D(0)) == 0
    fund = next(row for row in rows if row.account == lending.fund.account)
    assert fund.balance == D("100000")
