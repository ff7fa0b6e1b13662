"""Property: on any loan and payment history, the SQL days past due, bucket and overdue
amounts of close of business equal the loan engine's (`tandir.engine.arrears`, as
`tandir.lending.portfolio` applies it to the state on the date)."""

from __future__ import annotations

import contextlib
import datetime
import itertools
from decimal import Decimal
from typing import Any

from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandir.cob import actions as cob
from tandir.cob import sql
from tandir.cob.models import LoanArrears
from tandir.core.errors import TandirError
from tandir.engine.arrears import ageing_bucket
from tandir.lending.portfolio import portfolio_as_of
from tests.cob.factories import pay, someone
from tests.lending_factories import DISBURSED, Lending, disbursed_loan, product

D = Decimal
counter = itertools.count()

histories = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["declining", "flat", "murabaha"]),
        "grace": st.integers(0, 5),
        "tolerance": st.sampled_from([D(0), D("0.5"), D(5)]),
        "term": st.integers(3, 6),
        "payments": st.lists(
            st.tuples(st.integers(0, 200), st.integers(1, 400)), min_size=0, max_size=5
        ),
        "as_of": st.integers(0, 260),
    }
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories)
def test_sql_arrears_equal_the_engine(lending: Lending, history: dict[str, Any]) -> None:
    n = next(counter)
    rule = product(
        lending.world,
        f"prop{n}",
        history["method"],
        arrears_days=history["grace"],
        arrears_tolerance=history["tolerance"],
    )
    loan = disbursed_loan(
        lending,
        rule,
        amount="600",
        term=history["term"],
        rate="20",
        person=someone(lending.world, 100 + n),
    )
    for k, (offset, amount) in enumerate(sorted(history["payments"])):
        with contextlib.suppress(TandirError):  # paid off already: the loan is closed
            pay(lending, loan, str(amount), DISBURSED + datetime.timedelta(days=offset), f"{n}-{k}")
    as_of = DISBURSED + datetime.timedelta(days=history["as_of"])
    selection = sql.Selection((loan.pk,))
    params = {"org": loan.organization_id, "day": connection.ops.adapt_datefield_value(as_of)}
    dialect = cob._dialect(loan.organization_id)
    cob._execute(sql.delete_arrears(selection), params)
    cob._execute(sql.insert_arrears(dialect, selection), params)
    (engine,) = [
        p
        for p in portfolio_as_of(as_of, organization_id=loan.organization_id).loans
        if p.loan_ref == loan.reference
    ]
    found = LoanArrears.objects.filter(loan=loan).first()
    if engine.status != "active":
        assert found is None
        return
    assert found is not None
    assert (found.days_past_due, found.bucket) == (
        engine.days_past_due,
        ageing_bucket(engine.days_past_due),
    )
    assert (
        found.outstanding_principal,
        found.overdue_principal,
        found.overdue_charge,
    ) == (engine.outstanding_principal, engine.overdue_principal, engine.overdue_charge)
