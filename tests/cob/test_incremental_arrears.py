"""Property: close of business recomputes only the loans whose state can have changed since
the date before (`tandir.cob.sql.dirty_loans`) and moves the others' days past due on; after
every date, each loan's arrears state equals the one a full recomputation gives, whatever
happened between the dates (payments on the day, back-dated and reversed payments,
reschedulings, write-offs, penalties charged)."""

from __future__ import annotations

import contextlib
import datetime
import itertools
from decimal import Decimal
from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandir.cob import actions as cob
from tandir.cob import sql
from tandir.cob.models import LoanArrears
from tandir.core.errors import TandirError
from tandir.lending import actions
from tandir.lending.models import ChangeKind, Loan, Repayment
from tests.cob.factories import pay, penalty_product, someone
from tests.lending_factories import DISBURSED, Lending, disbursed_loan

D = Decimal
ONE_DAY = datetime.timedelta(days=1)
DAYS = 50
counter = itertools.count()

events = st.lists(
    st.tuples(
        st.integers(1, DAYS),
        st.sampled_from(["pay", "pay", "back-dated", "reverse", "reschedule", "write-off"]),
        st.integers(0, 1),
        st.integers(1, 400),
    ),
    max_size=8,
)
loans = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["declining", "flat", "murabaha"]),
        "grace": st.integers(0, 5),
        "tolerance": st.sampled_from([D(0), D(5)]),
    }
)


class Undo(Exception):
    """Rolls the full recomputation back."""


def arrears_rows(organization_id: int) -> list[tuple[Any, ...]]:
    return list(
        LoanArrears.objects.filter(organization_id=organization_id)
        .order_by("loan_id")
        .values_list(
            "loan_id",
            "days_past_due",
            "bucket",
            "status",
            "in_arrears_since",
            "past_due_from",
            "outstanding_principal",
            "overdue_principal",
            "overdue_charge",
            "credit",
        )
    )


def fully_recomputed(organization_id: int, day: datetime.date) -> list[tuple[Any, ...]]:
    """Every loan's arrears state on `day` computed from scratch, then rolled back."""
    ids = tuple(Loan.objects.filter(organization_id=organization_id).values_list("pk", flat=True))
    selection = sql.Selection(ids)
    params = {"org": organization_id, "day": day.isoformat()}
    found: list[tuple[Any, ...]] = []
    with contextlib.suppress(Undo), transaction.atomic():
        cob._execute(sql.delete_arrears(selection), params)
        cob._execute(sql.insert_arrears(cob._dialect(organization_id), selection), params)
        found = arrears_rows(organization_id)
        raise Undo
    return found


def happen(lending: Lending, loan: Loan, day: datetime.date, kind: str, amount: int) -> None:
    """One thing done to a loan on `day`, before that date is closed."""
    n = next(counter)
    loan.refresh_from_db()
    if kind == "pay":
        pay(lending, loan, str(amount), day, f"i{n}")
    elif kind == "back-dated":
        pay(lending, loan, str(amount), max(DISBURSED, day - 10 * ONE_DAY), f"i{n}")
    elif kind == "reverse":
        last = Repayment.objects.filter(loan=loan, reversed_at=None).order_by("-id").first()
        if last is not None:
            actions.reverse_repayment(lending.accountant, last, reason="Entered twice")
    else:
        change = actions.request_change(
            lending.officer,
            loan,
            kind=ChangeKind.RESCHEDULE if kind == "reschedule" else ChangeKind.WRITE_OFF,
            reason="Harvest failed",
            terms={"term": 8} if kind == "reschedule" else None,
        )
        actions.decide_change(lending.committee, change, approve=True, on=day)


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(terms=st.lists(loans, min_size=2, max_size=2), history=events)
def test_each_date_equals_a_full_recomputation(
    lending: Lending, terms: list[dict[str, Any]], history: list[tuple[int, str, int, int]]
) -> None:
    org = lending.world.org.pk
    with contextlib.suppress(Undo), transaction.atomic():
        n = next(counter)
        book = [
            disbursed_loan(
                lending,
                penalty_product(
                    lending,
                    f"inc{n}-{k}",
                    t["method"],
                    arrears_days=t["grace"],
                    arrears_tolerance=t["tolerance"],
                ),
                amount="600",
                term=4,
                rate="20",
                person=someone(lending.world, 500 + 2 * n + k),
            )
            for k, t in enumerate(terms)
        ]
        recomputed = []
        for offset in range(DAYS + 1):
            day = DISBURSED + offset * ONE_DAY
            for when, kind, which, amount in history:
                if when == offset:
                    with contextlib.suppress(TandirError):  # closed, or refused
                        happen(lending, book[which], day, kind, amount)
            run = cob.close_day(lending.accountant, lending.world.org, on=day)
            recomputed.append(run.counts[cob.RECOMPUTED])
            assert arrears_rows(org) == fully_recomputed(org, day), day
        # The first date recomputed every loan (how few the later dates recompute is
        # `test_close_of_business`'s: here a reversal dated today marks its loan every day).
        assert recomputed[0] == len(book)
        raise Undo
