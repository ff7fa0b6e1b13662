"""Close of business over a small portfolio: snapshots agree with `tandir portfolio`, penalties
and accruals post as the lending actions post them, dates run in order once."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from tandir.cob import actions as cob
from tandir.cob.models import CobRun, LoanArrears, LoanSnapshot, PortfolioDay, RunStatus
from tandir.cob.queries import ageing, par
from tandir.core.errors import NotAllowed
from tandir.ledger.models import JournalLine
from tandir.lending import actions as lending_actions
from tandir.lending.models import Installment
from tandir.lending.portfolio import portfolio_as_of
from tests.cob.factories import (
    D,
    book,
    pay,
    penalty_product,
    portfolio_rows,
    ranked_snapshots,
    rollup_rows,
    snapshot_rows,
    someone,
    summed_snapshots,
)
from tests.factories import World
from tests.lending_factories import DISBURSED, Lending, disbursed_loan

FIRST_DUE = datetime.date(2025, 12, 15)


def dates(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    return [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]


def test_snapshots_agree_with_the_portfolio_on_every_date(lending: Lending) -> None:
    late = disbursed_loan(lending, lending.declining)
    paid = disbursed_loan(lending, lending.flat, person=None)
    pay(lending, paid, "200", FIRST_DUE, "P-1")
    through = datetime.date(2026, 2, 20)
    runs = cob.close_business(lending.accountant, lending.world.org, through=through)
    assert [r.business_date for r in runs] == dates(DISBURSED, through)
    assert all(r.status == RunStatus.FINISHED for r in runs)
    assert snapshot_rows(lending.world.org.pk) == portfolio_rows(
        lending.world.org.pk, dates(DISBURSED, through)
    )
    assert rollup_rows(lending.world.org.pk) == summed_snapshots(lending.world.org.pk)
    assert len(rollup_rows(lending.world.org.pk)) == len(runs)  # one branch, one currency
    state = LoanArrears.objects.get(loan=late)
    assert (state.days_past_due, state.bucket, state.status) == (67, "61-90", "in_arrears")
    assert state.in_arrears_since == datetime.date(2025, 12, 16)


def test_a_date_recomputes_only_the_loans_something_happened_to(lending: Lending) -> None:
    late = disbursed_loan(lending, lending.declining)
    paid = disbursed_loan(lending, lending.declining, person=someone(lending.world, 1))
    org = lending.world.org
    runs = cob.close_business(lending.accountant, org, through=FIRST_DUE - datetime.timedelta(1))
    pay(lending, paid, "94.56", FIRST_DUE, "P-1")  # paid on the day it falls due
    through = datetime.date(2026, 1, 20)
    runs += cob.close_business(lending.accountant, org, through=through)
    recomputed = {run.business_date: run.counts[cob.RECOMPUTED] for run in runs}
    # The first date, every loan; the payment's date, the payer's; the day after each
    # installment falls due, both; no loan on any other date.
    busy = {
        DISBURSED: 2,
        FIRST_DUE: 1,
        FIRST_DUE + datetime.timedelta(days=1): 2,
        datetime.date(2026, 1, 16): 2,
    }
    assert recomputed == {day: busy.get(day, 0) for day in dates(DISBURSED, through)}
    # The late loan's days past due moved on every date all the same.
    assert LoanArrears.objects.get(loan=late).days_past_due == 36
    assert snapshot_rows(org.pk) == portfolio_rows(org.pk, dates(DISBURSED, through))


def test_a_penalty_is_charged_once_after_its_days_with_its_ledger_entry(lending: Lending) -> None:
    rule = penalty_product(lending, "late")
    loan = disbursed_loan(lending, rule)
    cob.close_business(
        lending.accountant, lending.world.org, through=FIRST_DUE + datetime.timedelta(days=3)
    )
    first = loan.installments.get(number=1)
    assert (first.penalty, first.penalty_charged_on) == (D(0), None)
    cob.close_business(
        lending.accountant, lending.world.org, through=FIRST_DUE + datetime.timedelta(days=10)
    )
    first.refresh_from_db()
    # 2 % of the 94.56 overdue, once, on the fourth day after the due date.
    assert (first.penalty, first.penalty_charged_on) == (D("1.890"), datetime.date(2025, 12, 19))
    lines = sorted(
        JournalLine.objects.filter(entry__loan_id=loan.pk, entry__kind="penalty").values_list(
            "account__role", "debit", "credit", "entry_date"
        )
    )
    assert lines == [
        ("penalty_income", D(0), D("1.890"), datetime.date(2025, 12, 19)),
        ("penalty_receivable", D("1.890"), D(0), datetime.date(2025, 12, 19)),
    ]


def test_cob_charges_what_the_lending_action_charges(lending: Lending, world: World) -> None:
    """The same loans, one charged by `charge_penalties` and `recognise_due` loan by loan,
    the other by close of business: the same installments and the same journal lines."""
    products = [
        penalty_product(lending, "pct"),
        penalty_product(lending, "fixed", penalty_kind="fixed", penalty_value=D("5.555")),
        penalty_product(lending, "cash", accounting_basis="cash"),
        penalty_product(
            lending, "mur", "murabaha", penalty_income_percent=D("12.5"), rate_max=D(30)
        ),
        penalty_product(lending, "qardp", "qard-hasan", rate_max=D(0)),
    ]
    by_hand = [
        disbursed_loan(lending, p, rate="0" if p.code == "qardp" else "20") for p in products
    ]
    by_cob = [disbursed_loan(lending, p, rate="0" if p.code == "qardp" else "20") for p in products]
    for loan in by_hand + by_cob:
        pay(lending, loan, "30", FIRST_DUE, f"{loan.reference}-1")
    day = datetime.date(2026, 1, 25)
    for loan in by_hand:
        for on in dates(DISBURSED, day):
            lending_actions.charge_penalties(lending.accountant, loan, as_of=on)
            lending_actions.recognise_due(lending.accountant, loan, through=on)
    hand_loans = {loan.pk for loan in by_hand}
    # Close of business on the others only: it works on every loan, so the hand-charged ones
    # must come out unchanged (they are charged and recognised already).
    cob.close_business(lending.accountant, world.org, through=day)

    def of(loan_ids: list[int]) -> list[tuple[object, ...]]:
        rows = Installment.objects.filter(loan_id__in=loan_ids).order_by("loan_id", "number")
        installments: list[tuple[object, ...]] = [
            (r.number, r.penalty, r.penalty_charged_on, r.recognised) for r in rows
        ]
        lines: list[tuple[object, ...]] = sorted(
            (line.entry.kind, line.account.role, line.debit, line.credit, line.entry_date)
            for line in JournalLine.objects.filter(entry__loan_id__in=loan_ids).select_related(
                "entry", "account"
            )
            if line.entry.kind in ("penalty", "accrual", "profit_release")
        )
        return installments + lines

    for hand, auto in zip(by_hand, by_cob, strict=True):
        assert of([hand.pk]) == of([auto.pk]), hand.product_version.product.code
    assert any(r[1] for r in of(sorted(hand_loans)) if len(r) == 4)  # penalties were charged


def test_a_finished_date_run_again_changes_nothing(lending: Lending, world: World) -> None:
    loan = disbursed_loan(lending, penalty_product(lending, "late"))
    through = datetime.date(2026, 1, 31)
    cob.close_business(lending.accountant, world.org, through=through)
    before = (book(world.org.pk), snapshot_rows(world.org.pk), CobRun.objects.count())
    assert cob.close_business(lending.accountant, world.org, through=through) == []
    again = cob.close_day(lending.accountant, world.org, on=datetime.date(2026, 1, 10))
    assert again.status == RunStatus.FINISHED
    assert (book(world.org.pk), snapshot_rows(world.org.pk), CobRun.objects.count()) == before
    assert loan.pk


def test_a_date_cannot_be_skipped(lending: Lending, world: World) -> None:
    disbursed_loan(lending, lending.declining)
    cob.close_day(lending.accountant, world.org, on=datetime.date(2026, 1, 1))
    with pytest.raises(cob.CobRefused) as refused:
        cob.close_day(lending.accountant, world.org, on=datetime.date(2026, 1, 3))
    assert refused.value.code == "previous_day_open"
    assert not CobRun.objects.filter(business_date=datetime.date(2026, 1, 3)).exists()
    cob.close_day(lending.accountant, world.org, on=datetime.date(2026, 1, 2))
    assert cob.last_closed(world.org) == datetime.date(2026, 1, 2)


def test_only_the_right_role_of_the_organisation_runs_it(lending: Lending, world: World) -> None:
    disbursed_loan(lending, lending.declining)
    day = datetime.date(2025, 12, 1)
    with pytest.raises(NotAllowed):
        cob.close_business(lending.officer, world.org, through=day)
    with pytest.raises(NotAllowed):
        cob.close_business(lending.accountant, world.other_org, through=day)
    with pytest.raises(cob.CobRefused):
        cob.close_business(lending.accountant, world.org, through=datetime.date(2100, 1, 1))
    assert not CobRun.objects.exists() and not LoanSnapshot.objects.exists()
    assert cob.close_business(world.admin, world.org, through=day)


KILLED_OR_NOT: dict[str, object] = {}


class Killed(BaseException):
    """Stands for kill -9: not an error the run could catch and record."""


@pytest.mark.parametrize("kill_at", ["penalties", "arrears", "snapshot", None])
def test_a_run_killed_after_a_chunk_resumes_to_the_state_of_an_uninterrupted_run(
    lending: Lending, world: World, monkeypatch: pytest.MonkeyPatch, kill_at: str | None
) -> None:
    rule = penalty_product(lending, "late")
    loans = [disbursed_loan(lending, rule, person=someone(world, n)) for n in range(5)]
    pay(lending, loans[0], "94.56", FIRST_DUE, "R-1")
    pay(lending, loans[1], "40", FIRST_DUE + datetime.timedelta(days=2), "R-2")
    through = datetime.date(2026, 1, 20)
    killed_on = datetime.date(2025, 12, 20)
    monkeypatch.setattr(cob, "CHUNK", 2)

    def kill(run: CobRun) -> None:
        if run.business_date == killed_on and run.step == kill_at:
            raise Killed

    monkeypatch.setattr(cob, "after_chunk", kill)
    if kill_at is not None:
        with pytest.raises(Killed):
            cob.close_business(lending.accountant, world.org, through=through)
        monkeypatch.setattr(cob, "after_chunk", None)
        stopped = CobRun.objects.get(business_date=killed_on)
        # As after kill -9: the run is left running, its step and pointer where it stopped.
        assert (stopped.status, stopped.step, stopped.pointer) == ("running", kill_at, loans[1].pk)
        assert cob.last_closed(world.org) == killed_on - datetime.timedelta(days=1)
    cob.close_business(lending.accountant, world.org, through=through)
    state = (book(world.org.pk), ranked_snapshots(world.org.pk))
    assert snapshot_rows(world.org.pk) == portfolio_rows(world.org.pk, dates(DISBURSED, through))
    assert LoanSnapshot.objects.filter(business_date=killed_on).count() == 5
    assert rollup_rows(world.org.pk) == summed_snapshots(world.org.pk)
    # Every variant, killed in any step or not, ends in the same books and snapshots.
    first = KILLED_OR_NOT.setdefault("state", state)
    assert state == first


def test_a_back_dated_payment_recomputes_the_later_snapshots(
    lending: Lending, world: World
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    cob.close_business(lending.accountant, world.org, through=datetime.date(2025, 12, 31))
    late = LoanSnapshot.objects.get(loan=loan, business_date=datetime.date(2025, 12, 31))
    assert late.days_past_due == 16
    pay(lending, loan, "94.56", datetime.date(2025, 12, 20), "LATE-ENTRY")
    cob.close_day(lending.accountant, world.org, on=datetime.date(2026, 1, 1))
    rows = dict(
        LoanSnapshot.objects.filter(loan=loan).values_list("business_date", "days_past_due")
    )
    assert rows[datetime.date(2025, 12, 19)] == 4
    assert rows[datetime.date(2025, 12, 20)] == 0
    assert rows[datetime.date(2025, 12, 31)] == 0
    assert rows[datetime.date(2026, 1, 1)] == 0
    assert snapshot_rows(world.org.pk) == portfolio_rows(
        world.org.pk, dates(DISBURSED, datetime.date(2026, 1, 1))
    )
    # The branch sums of the recomputed dates follow their snapshots.
    assert rollup_rows(world.org.pk) == summed_snapshots(world.org.pk)
    glp = PortfolioDay.objects.get(business_date=datetime.date(2025, 12, 31))
    assert (glp.loans, glp.loans_in_arrears, glp.par1) == (1, 0, D(0))


def test_par_and_ageing_read_from_snapshots_agree_with_the_portfolio(
    lending: Lending, world: World
) -> None:
    late = disbursed_loan(lending, lending.declining)
    good = disbursed_loan(lending, lending.declining, person=someone(world, 1), amount="500")
    pay(lending, good, "47.28", FIRST_DUE, "G-1")
    day = datetime.date(2026, 1, 20)
    cob.close_business(lending.accountant, world.org, through=day)
    assert par(world.org.pk, day, 30) == (D("1000.000"), D("1500.000") - D("37.280"))
    assert par(world.org.pk, day, 60) == (D(0), D("1462.720"))
    buckets = ageing(world.org.pk, day)
    assert buckets["31-60"] == (1, D("1000.000"))
    assert buckets["1-30"] == (1, D("462.720"))
    assert buckets["current"] == (0, D(0))
    portfolio = portfolio_as_of(day, organization_id=world.org.pk)
    assert sum(p.outstanding_principal for p in portfolio.loans) == par(world.org.pk, day)[1]
    assert late.pk


def test_the_command_closes_every_lending_organisation(lending: Lending, world: World) -> None:
    disbursed_loan(lending, lending.declining)
    out = io.StringIO()
    call_command(
        "cob", "--through", "2025-11-20", "--as", lending.accountant.username,
        "--no-progress", stdout=out,
    )  # fmt: skip
    assert "6 business dates closed" in out.getvalue()
    assert cob.last_closed(world.org) == datetime.date(2025, 11, 20)
    with pytest.raises(CommandError):
        call_command("cob", "--date", "2025-11-25", "--as", lending.accountant.username)
