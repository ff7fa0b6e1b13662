"""Property: the figures close of business keeps per branch and day (`PortfolioDay`) give the
portfolio report what its direct computations give, whatever happened between the dates
(payments on the day, back-dated and reversed payments, a rescheduling, write-offs): the stock
equals the day's snapshots summed, the cumulative repayment rate equals the one computed from
the schedules, and so does the on-time rate of any period in which no rescheduling took
effect (docs/decisions.md, "Repayment rates")."""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandir.cob import actions as cob
from tandir.core.errors import TandirError
from tandir.lending.models import Loan
from tandir.reports import portfolio
from tests.cob.factories import penalty_product, someone
from tests.cob.test_incremental_arrears import Undo, counter, happen
from tests.lending_factories import DISBURSED, Lending, disbursed_loan

D = Decimal
ONE_DAY = datetime.timedelta(days=1)
DAYS = 66  # two due dates of the monthly loans, 15 December and 15 January

events = st.lists(
    st.tuples(
        st.integers(1, DAYS),
        st.sampled_from(["pay", "pay", "pay", "back-dated", "reverse", "reschedule", "write-off"]),
        st.integers(0, 1),
        st.integers(1, 400),
    ),
    max_size=10,
)
periods = st.lists(st.tuples(st.integers(0, DAYS), st.integers(0, DAYS)), min_size=3, max_size=3)


def _rates(rates: portfolio.RepaymentRates) -> dict[str, Any]:
    return {
        currency: (
            (r.on_time.numerator, r.on_time.denominator),
            (r.cumulative.numerator, r.cumulative.denominator),
            r.written_off_in_period,
            r.written_off_to_date,
        )
        for currency, r in rates.by_currency.items()
        # A currency with nothing due nor written off yet: the flows have a row for it, the
        # schedules none.
        if r.on_time.denominator or r.cumulative.denominator or r.written_off_to_date
    }


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    methods=st.lists(st.sampled_from(["declining", "flat", "murabaha"]), min_size=2, max_size=2),
    history=events,
    asked=periods,
)
def test_the_days_figures_equal_the_direct_computations(
    lending: Lending,
    methods: list[str],
    history: list[tuple[int, str, int, int]],
    asked: list[tuple[int, int]],
) -> None:
    org = lending.world.org
    with contextlib.suppress(Undo), transaction.atomic():
        n = next(counter)
        book = [
            disbursed_loan(
                lending,
                penalty_product(lending, f"flow{n}-{k}", method),
                amount="600",
                term=4,
                rate="20",
                person=someone(lending.world, 700 + 2 * n + k),
            )
            for k, method in enumerate(methods)
        ]
        for offset in range(DAYS + 1):
            day = DISBURSED + offset * ONE_DAY
            for when, kind, which, amount in history:
                if when != offset:
                    continue
                book[which].refresh_from_db()
                if kind == "reschedule" and book[which].schedule_version > 1:
                    continue  # once: see the module's docstring of what twice would change
                with contextlib.suppress(TandirError):  # closed, or refused
                    happen(lending, book[which], day, kind, amount)
            cob.close_day(lending.accountant, org, on=day)
        for offset in range(DAYS + 1):
            day = DISBURSED + offset * ONE_DAY
            _, from_days = portfolio.stock(org, day)
            from_snapshots = portfolio._from_snapshots(org, day, None, None, None)
            assert from_days == from_snapshots, day
        moved = {
            day
            for day in Loan.objects.filter(organization=org).values_list("schedule_from", flat=True)
            if day is not None
        }
        loans = Loan.objects.filter(organization=org)
        for a, b in [*asked, (0, DAYS)]:
            date_from, as_of = sorted((DISBURSED + a * ONE_DAY, DISBURSED + b * ONE_DAY))
            kept = portfolio._rates_from_days(org, date_from=date_from, as_of=as_of)
            direct = portfolio.repayment_rates(loans, date_from=date_from, as_of=as_of)
            if any(date_from < day <= as_of for day in moved):
                # Only the on-time rate differs, and only by the rescheduled loan's share.
                kept_cumulative = {c: r[1:] for c, r in _rates(kept).items()}
                assert kept_cumulative == {c: r[1:] for c, r in _rates(direct).items()}
            else:
                assert _rates(kept) == _rates(direct), (date_from, as_of)
        raise Undo
