"""Payments arriving at the same moment on PostgreSQL: every payment posts exactly once, none
loses another's update, and the books balance.

Each thread is its own API client with its own database connection, as requests on a server's
worker threads are. SQLite has one writer at a time (its own test is
tests/integration/test_sqlite_concurrency.py), so these run on PostgreSQL only.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections, transaction

from tandir.api.idempotency import lock_id
from tandir.api.models import IdempotencyKey
from tandir.ledger.models import EntryKind, JournalEntry
from tandir.ledger.queries import unbalanced_entries
from tandir.lending.models import Application, Installment, Loan, Repayment
from tandir.lending.queries import installments_of, ledger_mismatches
from tandir.lending.terms import history_of, product_of
from tests.api.conftest import ApiClient, token_for
from tests.lending import conftest as lending_conftest
from tests.lending_factories import Lending, disbursed_loan

lending = lending_conftest.lending

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and advisory locks under concurrent requests need PostgreSQL "
        "(SQLite has one writer at a time; see tests/integration/test_sqlite_concurrency.py)",
    ),
]

D = Decimal
THREADS = 20
# Threads 14 to 19 send again the request of threads 0 to 5: same user, key and body.
DISTINCT = 14
ROUNDS_OF_409 = 200


def in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """`work(n)` for n in 0..count-1, each in its own thread, all started at the same moment;
    each thread closes its own database connection when done."""
    results: list[Any] = [None] * count
    failures: list[BaseException] = []
    start = threading.Barrier(count)

    def run(n: int) -> None:
        try:
            start.wait()
            results[n] = work(n)
        except BaseException as exc:  # reported in the test's thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    if failures:
        raise failures[0]
    return results


def paid_until_answered(client: ApiClient, path: str, body: Any, key: str) -> tuple[int, Any]:
    """Send the payment; while its key is being worked on (409), send it again, as a client's
    retry does. The final answer, and how many 409s came first."""
    in_progress = 0
    for _ in range(ROUNDS_OF_409):
        response = client.post(path, body, headers={"Idempotency-Key": key})
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "idempotency_key_in_progress"
            in_progress += 1
            time.sleep(0.01)
            continue
        return response.status_code, (response.json(), in_progress)
    raise AssertionError(f"key {key} still in progress after {ROUNDS_OF_409} tries")


def test_twenty_concurrent_payments_into_three_loans_post_each_once_with_no_lost_update(
    lending: Lending, openapi: dict[str, Any]
) -> None:
    loans = [disbursed_loan(lending, lending.declining) for _ in range(3)]
    # Two users of branch A pay; keys are each user's own.
    payers = [lending.officer, lending.world.manager_a]
    tokens = [token_for(user) for user in payers]

    def request_of(n: int) -> tuple[int, str, dict[str, Any], str]:
        first = n if n < DISTINCT else n - DISTINCT
        loan = loans[first % len(loans)]
        body = {
            "amount": {"amount": f"{20 + first}.{first:02d}", "currency": "USD"},
            # Different days, so some arrive back-dated and re-allocate later ones.
            "value_date": (
                datetime.date(2025, 12, 1) + datetime.timedelta(days=first % 9)
            ).isoformat(),
        }
        return first % len(payers), f"loans/{loan.pk}/repayments", body, f"pay-{first}"

    def pay(n: int) -> tuple[int, Any]:
        payer, path, body, key = request_of(n)
        client = ApiClient(openapi, tokens[payer])
        return paid_until_answered(client, path, body, key)

    started = time.monotonic()
    answers = in_threads(THREADS, pay)
    seconds = time.monotonic() - started
    retries = sum(tries for _, (_body, tries) in answers)
    print(f"{THREADS} concurrent payments in {seconds:.2f} s; {retries} answers of 409 first")

    assert [status for status, _ in answers] == [201] * THREADS
    bodies = [body for _, (body, _tries) in answers]
    for repeat in range(DISTINCT, THREADS):
        assert bodies[repeat] == bodies[repeat - DISTINCT], "a repeat got another answer"
    assert len({body["id"] for body in bodies}) == DISTINCT
    assert Repayment.objects.count() == DISTINCT
    assert IdempotencyKey.objects.count() == DISTINCT
    for n in range(DISTINCT):
        _payer, _path, body, key = request_of(n)
        repayment = Repayment.objects.get(reference__endswith=f":{key}")
        assert repayment.amount == D(body["amount"]["amount"])

    for loan in loans:
        loan.refresh_from_db()
        repayments = list(Repayment.objects.filter(loan=loan))
        repaid = sum((r.amount for r in repayments), D(0))
        applied = sum(
            (a.amount for a in Application.objects.filter(loan=loan, is_active=True)), D(0)
        )
        rows = installments_of(loan)
        paid = sum((row.paid for row in rows), D(0))
        assert repaid == applied == paid + loan.credit_held, loan.reference
        assert loan.principal_outstanding == sum(r.principal - r.principal_paid for r in rows)
        # As if the same payments had come one after the other: nothing lost.
        replayed = history_of(loan, rows, repayments, product_of(loan)).state
        assert [unpaid_of(row) for row in rows] == [
            (due.principal, due.charge, due.fees, due.penalty) for due in replayed.installments
        ]
        assert JournalEntry.objects.filter(
            loan_id=loan.pk, kind=EntryKind.REPAYMENT
        ).count() >= len(repayments)
    assert unbalanced_entries() == []
    assert ledger_mismatches(lending.world.org.pk) == []


def unpaid_of(row: Installment) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return (
        row.principal - row.principal_paid,
        row.charge - row.charge_paid,
        row.fees - row.fees_paid,
        row.penalty - row.penalty_paid,
    )


@pytest.fixture
def key_held_elsewhere(lending: Lending) -> Iterator[Callable[[str], None]]:
    """`hold(key)`: another request (a thread with its own connection) is working on the
    officer's key until the test ends."""
    started = threading.Event()
    release = threading.Event()
    threads: list[threading.Thread] = []

    def work(key: str) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id(lending.officer, key)])
                started.set()
                release.wait(timeout=60)
        finally:
            connections.close_all()

    def hold(key: str) -> None:
        thread = threading.Thread(target=work, args=(key,))
        thread.start()
        threads.append(thread)
        assert started.wait(timeout=30)

    yield hold
    release.set()
    for thread in threads:
        thread.join(timeout=60)


def test_a_repeat_while_the_first_request_is_still_working_gets_409_and_writes_nothing(
    lending: Lending, openapi: dict[str, Any], key_held_elsewhere: Any
) -> None:
    loan: Loan = disbursed_loan(lending, lending.declining)
    client = ApiClient(openapi, token_for(lending.officer))
    body = {"amount": {"amount": "100", "currency": "USD"}, "value_date": "2025-12-20"}
    key_held_elsewhere("busy-key")
    response = client.post(
        f"loans/{loan.pk}/repayments", body, headers={"Idempotency-Key": "busy-key"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_progress"
    assert Repayment.objects.count() == 0
    assert IdempotencyKey.objects.count() == 0
    # Another key is not held up.
    other = client.post(
        f"loans/{loan.pk}/repayments", body, headers={"Idempotency-Key": "free-key"}
    )
    assert other.status_code == 201
