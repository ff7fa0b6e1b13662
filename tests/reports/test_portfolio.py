"""Portfolio quality on small hand-built portfolios, each answer worked out from the definition
(docs/decisions.md, "Portfolio indicators"), from both sources: the snapshots of a closed date
and the records recomputed."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandir.lending.models import Loan
from tandir.reports.portfolio import month_ends, portfolio_report, repayment_rates
from tests.cob.factories import pay, someone
from tests.factories import World
from tests.lending_factories import build_lending, disbursed_loan
from tests.reports.portfolio_factories import (
    AS_OF,
    PERIOD_FROM,
    Book,
    build_book,
    close_through,
    outstanding,
)

D = Decimal


@pytest.fixture
def book(world: World) -> Book:
    return build_book(world)


def _check_book(book: Book, source: str) -> None:
    report = portfolio_report(
        book.world.org, as_of=AS_OF, date_from=PERIOD_FROM, group_by=["branch", "month"]
    )
    assert report.source == source
    usd = report.by_currency["USD"]
    figures = usd.figures
    rescheduled = outstanding(book.rescheduled)
    # Late: nothing paid, its whole 1,000 at risk. Current: 1,000 − 74.56. Written off: out.
    glp = D("1000") + D("925.44") + rescheduled
    assert figures.gross_loan_portfolio == glp
    assert (figures.active_loans, figures.active_borrowers, figures.officers) == (3, 3, 1)
    # 31 days late: the whole principal in PAR1 and PAR30, not in PAR90; the rescheduled
    # current loan counts in all three; the written-off loan in none.
    assert figures.par[30].numerator == D("1000") + rescheduled
    assert figures.par[1].numerator == D("1000") + rescheduled
    assert figures.par[90].numerator == rescheduled
    assert figures.par[30].denominator == glp
    assert figures.par[30].percent == (D("1000") + rescheduled) * 100 / glp
    buckets = {b.bucket: (b.loans, b.balance) for b in figures.buckets}
    assert buckets["current"] == (2, D("925.44") + rescheduled)
    assert buckets["31-60"] == (1, D("1000"))
    assert sum(loans for loans, _ in buckets.values()) == 3
    # Written off on 5 January, inside the period: 1,000 of principal, beside PAR.
    assert usd.rates.written_off_in_period == D("1000")
    assert figures.borrowers_per_officer.percent == D(300)
    assert figures.average_balance_per_loan.value == glp / 3
    branch_rows = report.groups["branch"]
    assert [(r.label, r.figures.gross_loan_portfolio) for r in branch_rows] == [("Branch A", glp)]
    assert report.groups["month"][-1].as_of == AS_OF
    assert report.groups["month"][-1].figures.gross_loan_portfolio == glp


def test_par_buckets_and_write_offs_from_the_records(book: Book) -> None:
    _check_book(book, "records")


DIMENSIONS = ["sector", "sex", "product", "officer", "district", "target_group"]


def test_the_snapshots_of_a_closed_date_give_what_the_records_give(book: Book) -> None:
    org = book.world.org
    from_records = portfolio_report(org, as_of=AS_OF, date_from=PERIOD_FROM, group_by=DIMENSIONS)
    close_through(book.lending, AS_OF)
    _check_book(book, "snapshot")
    from_snapshots = portfolio_report(org, as_of=AS_OF, date_from=PERIOD_FROM, group_by=DIMENSIONS)
    assert from_records.source == "records" and from_snapshots.source == "snapshot"
    assert {**from_records.as_json(), "source": ""} == {**from_snapshots.as_json(), "source": ""}
    for dimension in DIMENSIONS:
        assert [(r.key, r.figures) for r in from_records.groups[dimension]] == [
            (r.key, r.figures) for r in from_snapshots.groups[dimension]
        ]
    # The late borrower's two groups, each with its whole 1,000 at risk; nobody else in them.
    groups = {r.label: r.figures for r in from_snapshots.groups["target_group"]}
    assert set(groups) == {"Refugee", "Victim of trafficking"}
    assert groups["Refugee"].par[30].numerator == groups["Refugee"].gross_loan_portfolio == 1000
    districts = [(r.label, r.figures.active_loans) for r in from_snapshots.groups["district"]]
    assert districts == [("Gyumri", 3)]
    # A project's loans, as the donor report passes them: the late one alone.
    late_only = Loan.objects.filter(pk=book.late.pk)
    narrowed = portfolio_report(org, as_of=AS_OF, date_from=PERIOD_FROM, loans=late_only)
    figures = narrowed.by_currency["USD"].figures
    assert (figures.gross_loan_portfolio, figures.par[30].percent) == (D(1000), D(100))
    assert narrowed.by_currency["USD"].rates.written_off_in_period == 0
    other_branch = portfolio_report(
        org, as_of=AS_OF, date_from=PERIOD_FROM, branch_ids=[book.world.branch_b.pk]
    )
    assert "USD" not in other_branch.by_currency


def test_on_time_and_cumulative_rates_with_a_late_payment_and_a_prepayment(world: World) -> None:
    lending = build_lending(world)
    # Flat, 1,000 at 12% over 12 months: 83.33 of principal and 10.00 of interest a month.
    late = disbursed_loan(lending, lending.flat, rate="12", person=someone(world, 1))
    pay(lending, late, "93.33", datetime.date(2025, 12, 15), "late-1")  # on time
    pay(lending, late, "93.33", datetime.date(2026, 1, 25), "late-2")  # ten days late
    early = disbursed_loan(lending, lending.flat, rate="12", person=someone(world, 2))
    # Three installments at once on 15 December: the third (due 15 February) is ahead of
    # the schedule and counts nowhere yet.
    pay(lending, early, "279.99", datetime.date(2025, 12, 15), "early-1")
    loans = Loan.objects.filter(organization=world.org)
    rates = repayment_rates(loans, date_from=PERIOD_FROM, as_of=datetime.date(2026, 2, 14))
    usd = rates.by_currency["USD"]
    # Fell due in January: the 15 January installment of each loan, 93.33 each; paid on or
    # before that day: only the prepaid one's.
    assert (usd.on_time.numerator, usd.on_time.denominator) == (D("93.33"), D("186.66"))
    assert usd.on_time.percent == D(50)
    # Due by 14 February: two installments of each loan; all of it collected by then.
    assert (usd.cumulative.numerator, usd.cumulative.denominator) == (D("373.32"), D("373.32"))
    assert usd.cumulative.percent == D(100)
    assert usd.written_off_in_period == 0
    # Before the late payment, the cumulative rate misses its 93.33.
    before = repayment_rates(loans, date_from=PERIOD_FROM, as_of=datetime.date(2026, 1, 20))
    cumulative = before.by_currency["USD"].cumulative
    assert (cumulative.numerator, cumulative.denominator) == (D("279.99"), D("373.32"))


def test_a_written_off_loan_stays_in_the_rates_up_to_its_write_off(book: Book) -> None:
    rates = repayment_rates(
        Loan.objects.filter(pk=book.written_off.pk), date_from=PERIOD_FROM, as_of=AS_OF
    )
    usd = rates.by_currency["USD"]
    # Its 15 December installment (94.56) fell due before the write-off and was never paid;
    # the 15 January one came after the write-off on 5 January.
    assert (usd.cumulative.numerator, usd.cumulative.denominator) == (D(0), D("94.56"))
    assert (usd.on_time.numerator, usd.on_time.denominator) == (D(0), D(0))
    assert usd.on_time.percent is None
    assert (usd.written_off_in_period, usd.written_off_to_date) == (D(1000), D(1000))
    later = repayment_rates(
        Loan.objects.filter(pk=book.written_off.pk),
        date_from=datetime.date(2026, 2, 1),
        as_of=datetime.date(2026, 2, 28),
    )
    assert later.by_currency["USD"].written_off_in_period == 0
    assert later.by_currency["USD"].written_off_to_date == D(1000)


def test_a_rescheduled_loan_counts_its_schedule_in_force_and_no_amount_twice(
    world: World,
) -> None:
    from tandir.lending import actions
    from tandir.lending.models import ChangeKind
    from tests.reports.portfolio_factories import schedule

    lending = build_lending(world)
    loan = disbursed_loan(lending, lending.declining)
    pay(lending, loan, "94.56", datetime.date(2025, 12, 15), "r1")  # on time
    change = actions.request_change(
        lending.officer, loan, kind=ChangeKind.RESCHEDULE, reason="Harvest failed",
        terms={"term": 18},
    )  # fmt: skip
    actions.decide_change(lending.committee, change, approve=True, on=datetime.date(2026, 2, 1))
    loan.refresh_from_db()
    selected = Loan.objects.filter(pk=loan.pk)
    # Before the rescheduling the first schedule was in force: two installments of 94.56 due
    # by 20 January, the first paid.
    before = repayment_rates(selected, date_from=PERIOD_FROM, as_of=datetime.date(2026, 1, 20))
    cumulative = before.by_currency["USD"].cumulative
    assert (cumulative.numerator, cumulative.denominator) == (D("94.56"), D("189.12"))
    first = schedule(loan)[0]
    assert first.due_date == datetime.date(2026, 3, 1)
    pay(lending, loan, str(first.total), first.due_date, "r2")
    owed = first.principal + first.charge
    after = repayment_rates(
        selected, date_from=datetime.date(2026, 2, 1), as_of=datetime.date(2026, 3, 1)
    ).by_currency["USD"]
    # The new schedule in full; of the replaced one, what was paid on it (94.56): its unpaid
    # January installment was carried into the new schedule and is not due twice.
    assert (after.cumulative.numerator, after.cumulative.denominator) == (
        D("94.56") + owed,
        D("94.56") + owed,
    )
    assert (after.on_time.numerator, after.on_time.denominator) == (owed, owed)


@given(
    start=st.dates(datetime.date(2020, 1, 1), datetime.date(2030, 12, 31)),
    days=st.integers(0, 800),
)
def test_the_monthly_series_has_every_month_end_once_and_ends_on_the_date(
    start: datetime.date, days: int
) -> None:
    as_of = start + datetime.timedelta(days=days)
    ends = month_ends(start, as_of)
    assert ends[-1] == as_of and ends == sorted(set(ends))
    assert all(start <= day <= as_of for day in ends)
    for day in ends[:-1]:
        assert (day + datetime.timedelta(days=1)).day == 1  # the last day of its month
    months = (as_of.year - start.year) * 12 + as_of.month - start.month
    assert len(ends) == months + 1


def test_the_whole_organisation_on_closed_dates_reads_only_the_days_rows(book: Book) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    close_through(book.lending, AS_OF)
    org = book.world.org
    with CaptureQueriesContext(connection) as queries:
        report = portfolio_report(org, as_of=AS_OF, date_from=PERIOD_FROM)
    # The runs of the date, of the day before the period and of the period; the two days'
    # rows; the period's flows; the write-offs.
    assert len(queries) == 7
    statements = " ".join(q["sql"] for q in queries.captured_queries)
    assert "cob_loansnapshot" not in statements and "lending_installment" not in statements
    narrowed = portfolio_report(
        org, as_of=AS_OF, date_from=PERIOD_FROM, branch_ids=[book.world.branch_a.pk]
    )
    assert report.source == narrowed.source == "snapshot"
    assert report.as_json()["by_currency"] == narrowed.as_json()["by_currency"]
