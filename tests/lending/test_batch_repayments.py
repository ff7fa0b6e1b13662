"""Payments posted as one batch end exactly as the same payments posted one by one on the
general path: the same allocations, installments, balances and journal, to the cent."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandir.ledger.models import JournalLine
from tandir.lending import actions
from tandir.lending.models import Application, Installment, Loan, LoanProduct, Repayment
from tests.lending_factories import DISBURSED, Lending, disbursed_loan

D = Decimal

# One loan's payments: days after disbursement and amounts; some back-dated after others.
payments_of_a_loan = st.lists(
    st.tuples(st.integers(1, 400), st.integers(1, 400).map(lambda cents: D(cents) / 4)),
    min_size=1,
    max_size=5,
)


def outcome(loan: Loan) -> dict[str, Any]:
    loan.refresh_from_db()
    rows = [
        (r.number, r.principal_paid, r.charge_paid, r.fees_paid, r.penalty_paid, r.recognised)
        for r in Installment.objects.filter(loan=loan, version=loan.schedule_version).order_by(
            "number"
        )
    ]
    applications = [
        (a.applied_on, a.from_credit, a.amount, a.credit, tuple(
            (line.number, line.component, line.amount) for line in a.lines.order_by("id")
        ))
        for a in Application.objects.filter(loan=loan, is_active=True).order_by("applied_on", "id")
    ]  # fmt: skip
    journal: dict[str, Decimal] = defaultdict(Decimal)
    for row in (
        JournalLine.objects.filter(entry__loan_id=loan.pk)
        .values("account__role")
        .annotate(net=Sum("debit") - Sum("credit"))
    ):
        journal[row["account__role"]] = D(row["net"]).quantize(D("0.01"))
    return {
        "status": loan.status,
        "outstanding": loan.principal_outstanding,
        "credit": loan.credit_held,
        "rows": rows,
        "applications": applications,
        "journal": {role: net for role, net in journal.items() if net},
    }


def post_both(
    lending: Lending, product: LoanProduct, plans: list[list[tuple[int, D]]], rate: str = "24"
) -> None:
    def loan() -> Loan:
        return disbursed_loan(lending, product, rate=rate)

    pairs = [(loan(), loan()) for _plan in plans]
    batch = []
    for n, ((one, other), plan) in enumerate(zip(pairs, plans, strict=True)):
        for k, (days, amount) in enumerate(plan):
            day = DISBURSED + datetime.timedelta(days=days)
            batch.append(actions.PaymentIn(one.pk, amount, day, f"b{one.pk}-{n}-{k}"))
            actions._record_one(
                lending.officer,
                other,
                amount=amount,
                value_date=day,
                reference=f"s{other.pk}-{n}-{k}",
                source="counter",
                bank_reference="",
            )
    actions.record_repayments(lending.officer, batch)
    for one, other in pairs:
        assert outcome(one) == outcome(other)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions, "_today", lambda: DISBURSED + datetime.timedelta(days=400))


@pytest.mark.parametrize("kind", ["declining", "flat", "qard", "murabaha"])
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=st.lists(payments_of_a_loan, min_size=1, max_size=3))
def test_a_batch_posts_what_the_payments_one_by_one_post(
    lending: Lending, today: None, kind: str, plans: list[list[tuple[int, D]]]
) -> None:
    post_both(lending, getattr(lending, kind), plans, rate="0" if kind == "qard" else "24")


def test_a_batch_with_a_back_dated_payment_re_allocates_like_one_by_one(
    lending: Lending, today: None
) -> None:
    post_both(lending, lending.declining, [[(60, D("200")), (20, D("50"))], [(30, D("94.56"))]])


def test_a_batch_repeating_a_reference_posts_it_once(lending: Lending, today: None) -> None:
    loan = disbursed_loan(lending, lending.declining)
    day = DISBURSED + datetime.timedelta(days=30)
    same = actions.PaymentIn(loan.pk, D("50"), day, "twice")
    first, second = actions.record_repayments(lending.officer, [same, same])
    assert first.pk == second.pk
    assert Repayment.objects.filter(loan=loan).count() == 1


def test_a_batch_for_forty_loans_makes_about_the_queries_of_one_for_two(
    lending: Lending, today: None, django_assert_max_num_queries: Any
) -> None:
    loans = [disbursed_loan(lending, lending.declining) for _ in range(40)]
    day = DISBURSED + datetime.timedelta(days=30)

    def payments(some: list[Loan], tag: str) -> list[actions.PaymentIn]:
        return [actions.PaymentIn(loan.pk, D("94.56"), day, f"{tag}{loan.pk}") for loan in some]

    with django_assert_max_num_queries(20) as two:
        actions.record_repayments(lending.officer, payments(loans[:2], "a"))
    # SQLite takes at most 999 parameters a statement, so a large INSERT is cut in a few.
    with django_assert_max_num_queries(len(two.captured_queries) + 3):
        actions.record_repayments(lending.officer, payments(loans[2:], "b"))
