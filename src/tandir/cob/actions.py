"""Every write of close of business: closing business dates, one after another, for a whole
organisation at once, and recomputing snapshots after a back-dated payment.

A business date runs its steps in order (`tandir.cob.models.STEPS`): snapshots of loans a
back-dated payment changed, penalties, days past due and arrears, accruals, the snapshot and
its sums per branch (`PortfolioDay`). Each step is set-based SQL (`tandir.cob.sql`) over chunks
of `CHUNK` loans by id; a chunk's work and the run's pointer commit together, so a run killed
at any moment resumes after its last chunk and ends as an uninterrupted run would. Unlike the
other actions, a run is therefore not one transaction: each chunk is.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.cob import sql
from tandir.cob.locks import lock_chunk, lock_loan_ids, organization_lock
from tandir.cob.models import STEPS, CobRun, LoanSnapshot, RunStatus, Step
from tandir.core.errors import NotAllowed, TandirError
from tandir.ledger.actions import accounts_by_role
from tandir.lending.actions import charge_penalties
from tandir.lending.models import Loan, LoanStatus, PenaltyKind, ProductVersion, Repayment
from tandir.orgs.models import Organization, StaffUser
from tandir.orgs.roles import Right, has_right, is_platform_operator

CHUNK = 50_000
# The run's count of loans the arrears step recomputed; a run that has it kept `past_due_from`.
RECOMPUTED = "arrears_recomputed"
# The run's mark that its `PortfolioDay` rows hold the repayment-rate flows and the counts of
# borrowers and buckets (dates closed before those columns existed have none).
FLOWS = "portfolio_flows"
ONE_DAY = datetime.timedelta(days=1)
# Tests set this to stop a run after a chunk, as a kill would.
after_chunk: Callable[[CobRun], None] | None = None


class CobRefused(TandirError):
    """Close of business cannot run as asked; nothing was changed."""

    code = "cob_refused"


def _check(officer: StaffUser, organization: Organization) -> None:
    if not has_right(officer, Right.RUN_CLOSE_OF_BUSINESS):
        raise NotAllowed(_("Your role does not allow this."))
    if not is_platform_operator(officer) and officer.organization_id != organization.pk:
        raise NotAllowed(_("This belongs to another organisation."))


def last_closed(organization: Organization) -> datetime.date | None:
    """The last business date closed for the organisation."""
    found: datetime.date | None = CobRun.objects.filter(
        organization=organization, status=RunStatus.FINISHED
    ).aggregate(day=Max("business_date"))["day"]
    return found


def first_business_date(organization: Organization) -> datetime.date | None:
    """The first date close of business runs for: the organisation's first disbursement."""
    found: datetime.date | None = Loan.objects.filter(
        organization=organization, disbursed_on__isnull=False
    ).aggregate(day=Min("disbursed_on"))["day"]
    return found


def close_business(
    officer: StaffUser,
    organization: Organization,
    *,
    through: datetime.date,
    progress: Callable[[int, int], None] | None = None,
) -> list[CobRun]:
    """Close every business date not closed yet, in order, through `through`: from the day
    after the last one closed (or the first disbursement). A date closed already is left as it
    is. `progress(done, total)` is called after each date. Returns the runs it finished."""
    _check(officer, organization)
    if through > timezone.localdate():
        raise CobRefused(_("A business date in the future cannot be closed."), code="future_date")
    runs = []
    with organization_lock(organization.pk):
        last = last_closed(organization)
        start = last + ONE_DAY if last else first_business_date(organization)
        if start is None or start > through:
            return []
        days = [start + ONE_DAY * n for n in range((through - start).days + 1)]
        for done, day in enumerate(days, start=1):
            runs.append(_run(officer, organization, day))
            if progress is not None:
                progress(done, len(days))
    return runs


def close_day(officer: StaffUser, organization: Organization, *, on: datetime.date) -> CobRun:
    """Close one business date. The date before it must be closed, unless none ever was; a
    date closed already is returned as it is."""
    _check(officer, organization)
    if on > timezone.localdate():
        raise CobRefused(_("A business date in the future cannot be closed."), code="future_date")
    with organization_lock(organization.pk):
        done = CobRun.objects.filter(
            organization=organization, business_date=on, status=RunStatus.FINISHED
        ).first()
        if done is not None:
            return done
        last = last_closed(organization)
        if last is not None and on != last + ONE_DAY:
            raise CobRefused(
                _("Close %(day)s first: business dates are closed in order, none skipped.")
                % {"day": last + ONE_DAY},
                code="previous_day_open",
            )
        return _run(officer, organization, on)


def refresh_snapshots(
    officer: StaffUser, organization: Organization, loan_ids: list[int], *, from_date: datetime.date
) -> int:
    """Recompute the snapshots (and arrears state) of some loans for every closed business
    date from `from_date` on: after a back-dated payment or a reversal. Penalties and accruals
    posted on those dates stand. Returns the number of dates recomputed."""
    _check(officer, organization)
    with organization_lock(organization.pk):
        return _refresh(organization, _dialect(organization.pk), dict.fromkeys(loan_ids, from_date))


# --- One business date ------------------------------------------------------------------------


def _dialect(organization_id: int) -> sql.Dialect:
    currencies = ProductVersion.objects.filter(organization_id=organization_id).values_list(
        "currency", flat=True
    )
    return sql.Dialect(connection.vendor == "postgresql", tuple(sorted(set(currencies))))


def _run(officer: StaffUser, organization: Organization, day: datetime.date) -> CobRun:
    run = CobRun.objects.filter(organization=organization, business_date=day).first()
    if run is None:
        run = CobRun.objects.create(
            organization=organization, business_date=day, started_at=timezone.now(), run_by=officer
        )
    elif run.status == RunStatus.FINISHED:
        return run
    else:  # a run that failed or was killed resumes where it stopped
        run.status = RunStatus.RUNNING
        run.error = ""
        run.run_by = officer
        run.save(update_fields=["status", "error", "run_by"])
    dialect = _dialect(organization.pk)
    try:
        _check_chart(organization)
        while run.step != Step.DONE:
            started = time.monotonic()
            STEP_WORK[Step(run.step)](officer, run, dialect)
            run.timings[run.step] = round(
                run.timings.get(run.step, 0) + time.monotonic() - started, 3
            )
            run.step = STEPS[STEPS.index(Step(run.step)) + 1]
            run.pointer = 0
            run.save(update_fields=["step", "pointer", "timings", "counts"])
    except Exception as exc:
        CobRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error=str(exc)[:4000])
        raise
    run.status = RunStatus.FINISHED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    return run


def _check_chart(organization: Organization) -> None:
    """The chart has every account close of business may post to (checked once, up front,
    where `tandir.ledger.actions.post` would check each entry)."""
    if not Loan.objects.filter(organization=organization, status=LoanStatus.ACTIVE).exists():
        return
    have = set(accounts_by_role(organization.pk))
    needed = {"penalty_receivable", "fee_receivable", "fee_income"}
    versions = ProductVersion.objects.filter(organization=organization)
    if versions.filter(accounting_basis="accrual").exclude(method__in=sql.ISLAMIC_METHODS).exists():
        needed |= {"interest_receivable", "interest_income", "penalty_income"}
    if versions.filter(method__in=sql.ISLAMIC_METHODS).exists():
        needed |= {"charity_payable", "compensation_income", "deferred_profit", "profit_income"}
    missing = sorted(needed - have)
    if missing:
        raise CobRefused(
            _("The chart of accounts has no account for: %(roles)s.")
            % {"roles": ", ".join(missing)},
            code="account_missing",
        )


def _params(run: CobRun, officer: StaffUser, **more: Any) -> dict[str, Any]:
    ops = connection.ops
    return {
        "org": run.organization_id,
        "day": ops.adapt_datefield_value(run.business_date),
        "user": officer.pk,
        "stamp": ops.adapt_datetimefield_value(timezone.now()),
        **more,
    }


def _execute(statement: str, params: dict[str, Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return max(cursor.rowcount, 0)


def _count(table: str) -> int:
    """The rows of a work table just filled, which is then analysed: autovacuum never
    analyses temporary tables, and without statistics PostgreSQL plans the journal lines'
    join as if the table held a few rows (a nested loop that re-ran the per-loan totals for
    every entry: minutes for a chunk with 30,000 penalties)."""
    # Not the INSERT's rowcount: SQLite's driver reports none for a statement that starts
    # with WITH.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        row = cursor.fetchone()
        found = int(row[0]) if row else 0
        if found and connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {table}")
    return found


def _post(dialect: sql.Dialect, line_work: str, params: dict[str, Any]) -> None:
    """A step's journal postings: its lines into the work table (`line_work`), one entry per
    loan and kind with ids drawn up front, then the entries and their lines."""
    for statement in (sql.LINE_WORK, sql.ENTRY_WORK):
        _execute(statement, {})
    _execute("DELETE FROM cob_line_work", {})
    _execute("DELETE FROM cob_entry_work", {})
    _execute(line_work, params)
    if not _count("cob_line_work"):
        return
    _execute(sql.entry_ids(dialect), params)
    _count("cob_entry_work")
    _execute(sql.ENTRIES, params)
    _execute(sql.lines(dialect), params)


def _tune() -> None:
    """The planner settings of close of business, for the transaction it is in."""
    if connection.vendor == "postgresql":
        for statement in sql.JIT_SETTINGS:
            _execute(statement, {})


def _chunks(
    officer: StaffUser,
    run: CobRun,
    work: Callable[[dict[str, Any]], int],
    *,
    lock: bool = True,
) -> None:
    """Run `work` over the organisation's loans, a chunk at a time from the run's pointer;
    each chunk commits with the pointer moved past it. `lock=False` for a step that writes
    only close of business's own tables (`locks.lock_chunk`)."""
    while True:
        with transaction.atomic():
            high = lock_chunk(run.organization_id, run.pointer + 1, CHUNK, lock=lock)
            if high is None:
                return
            _tune()
            done = work(_params(run, officer, lo=run.pointer + 1, hi=high))
            run.pointer = high
            run.counts[run.step] = run.counts.get(run.step, 0) + done
            run.save(update_fields=["pointer", "counts"])
        if after_chunk is not None:
            after_chunk(run)


def _corrections(officer: StaffUser, run: CobRun, dialect: sql.Dialect) -> None:
    """Loans whose payments changed since the last run for a date it had closed: their
    snapshots from that date on are recomputed."""
    previous = (
        CobRun.objects.filter(
            organization_id=run.organization_id,
            status=RunStatus.FINISHED,
            business_date__lt=run.business_date,
        )
        .order_by("-business_date")
        .first()
    )
    if previous is None:
        return
    changed = dict(
        Repayment.objects.filter(
            Q(created_at__gte=previous.started_at) | Q(reversed_at__gte=previous.started_at),
            organization_id=run.organization_id,
            value_date__lte=previous.business_date,
        )
        .values_list("loan_id")
        .annotate(day=Min("value_date"))
        .values_list("loan_id", "day")
    )
    if changed:
        _refresh(run.organization, dialect, changed)
        run.counts[Step.CORRECTIONS] = len(changed)


def _refresh(
    organization: Organization, dialect: sql.Dialect, changed: dict[int, datetime.date]
) -> int:
    if not changed:
        return 0
    runs = list(
        CobRun.objects.filter(
            organization=organization,
            status=RunStatus.FINISHED,
            business_date__gte=min(changed.values()),
        ).order_by("business_date")
    )
    ops = connection.ops
    for run in runs:
        day = run.business_date
        ids = sorted(pk for pk, since in changed.items() if since <= day)
        selection = sql.Selection(tuple(ids))
        params = {"org": organization.pk, "day": ops.adapt_datefield_value(day)}
        with transaction.atomic():
            lock_loan_ids(organization.pk, ids)
            _tune()
            _execute(sql.delete_arrears(selection), params)
            _execute(sql.insert_arrears(dialect, selection), params)
            _execute(sql.delete_snapshots(selection), params)
            _execute(sql.insert_snapshots(dialect, selection), params)
            _write_rollup(organization.pk, dialect, day)
            if FLOWS not in run.counts:  # a date closed before the flows were kept
                run.counts[FLOWS] = 1
                run.save(update_fields=["counts"])
    return len(runs)


def _penalties(officer: StaffUser, run: CobRun, dialect: sql.Dialect) -> None:
    selection = sql.Selection()

    def work(params: dict[str, Any]) -> int:
        _execute(sql.PENALTY_WORK, {})
        _execute("DELETE FROM cob_penalty_work", {})
        _execute(sql.penalty_candidates(dialect, selection), params)
        charged = _count("cob_penalty_work")
        if charged:
            _execute(sql.charge_penalties(dialect), params)
            _post(dialect, sql.penalty_lines(dialect), params)
        # A loan holding credit: the new charge takes the credit, which is the loan engine's
        # allocation, so lending charges it (rare: credit is held only ahead of a due date).
        holding = Loan.objects.filter(
            organization_id=run.organization_id,
            pk__range=(params["lo"], params["hi"]),
            status=LoanStatus.ACTIVE,
            credit_held__gt=0,
            disbursed_on__lte=run.business_date,
        ).exclude(product_version__penalty_kind=PenaltyKind.NONE)
        for loan in holding.order_by("pk"):
            if charge_penalties(officer, loan, as_of=run.business_date):
                charged += 1
        return charged

    _chunks(officer, run, work)


def date_before(run: CobRun) -> CobRun | None:
    """The run that closed the date before `run`'s, if its arrears rows keep `past_due_from`:
    then `run` recomputes only the loans whose state can have changed since."""
    before = CobRun.objects.filter(
        organization_id=run.organization_id,
        business_date=run.business_date - ONE_DAY,
        status=RunStatus.FINISHED,
    ).first()
    return before if before is not None and RECOMPUTED in before.counts else None


def _arrears(officer: StaffUser, run: CobRun, dialect: sql.Dialect) -> None:
    """Each loan's state on the date. A loan whose state can have changed since the date before
    is recomputed; the others only move their days past due on. Every loan is recomputed on the
    first date, and after a date closed by a run that kept no `past_due_from`."""
    before = date_before(run)
    incremental = before is not None
    selection = sql.Selection(dirty=incremental)
    started = connection.ops.adapt_datetimefield_value(before.started_at) if before else None

    def work(params: dict[str, Any]) -> int:
        recomputed = 0
        if incremental:
            _execute(sql.DIRTY_WORK, {})
            _execute("DELETE FROM cob_dirty_work", {})
            _execute(sql.dirty_loans(dialect), {**params, "started": started})
            recomputed = _count("cob_dirty_work")
        _execute(sql.delete_arrears(selection), params)
        _execute(sql.insert_arrears(dialect, selection), params)
        if incremental:
            _execute(sql.age_arrears(dialect), params)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*), SUM(CASE WHEN status = 'in_arrears' THEN 1 ELSE 0 END) "
                "FROM cob_loanarrears WHERE organization_id = %s AND loan_id BETWEEN %s AND %s",
                [params["org"], params["lo"], params["hi"]],
            )
            loans, late = cursor.fetchone() or (0, 0)
        if not incremental:
            recomputed = int(loans)
        run.counts[RECOMPUTED] = run.counts.get(RECOMPUTED, 0) + recomputed
        return int(late or 0)

    # Locking every loan of a million-loan book took 1 to 2 s a step, for nothing to guard.
    _chunks(officer, run, work, lock=False)


def _accruals(officer: StaffUser, run: CobRun, dialect: sql.Dialect) -> None:
    selection = sql.Selection()

    def work(params: dict[str, Any]) -> int:
        _execute(sql.ACCRUAL_WORK, {})
        _execute("DELETE FROM cob_accrual_work", {})
        _execute(sql.accrual_candidates(dialect, selection), params)
        due = _count("cob_accrual_work")
        if due:
            _execute(sql.RECOGNISE, params)
            _post(dialect, sql.accrual_lines(), params)
        return due

    _chunks(officer, run, work)


def _snapshot(officer: StaffUser, run: CobRun, dialect: sql.Dialect) -> None:
    selection = sql.Selection()

    def work(params: dict[str, Any]) -> int:
        return _execute(sql.insert_snapshots(dialect, selection), params)

    _chunks(officer, run, work, lock=False)


def _rollup(officer: StaffUser, run: CobRun, dialect: sql.Dialect) -> None:
    """The day's figures per branch, from its snapshots: one statement over the whole
    organisation (a GROUP BY of one day), replaced whole if the step runs again."""
    if dialect.postgresql:
        # The day's snapshots were written a moment ago; until autovacuum comes by, the planner
        # plans the rollup's GROUP BYs over them without their statistics.
        _execute(f"ANALYZE {LoanSnapshot._meta.db_table}", {})
    with transaction.atomic():
        run.counts[Step.ROLLUP] = _write_rollup(run.organization_id, dialect, run.business_date)
        run.counts[FLOWS] = 1


def _write_rollup(organization_id: int, dialect: sql.Dialect, day: datetime.date) -> int:
    """The date's `PortfolioDay` rows, replaced whole: the stock from its snapshots, and the
    repayment-rate flows carried on from the date before when it has them (`sql.upsert_flows`).
    Returns the number of rows with active loans."""
    ops = connection.ops
    params = {
        "org": organization_id,
        "day": ops.adapt_datefield_value(day),
        "before": ops.adapt_datefield_value(day - ONE_DAY),
    }
    carried = CobRun.objects.filter(
        organization_id=organization_id,
        business_date=day - ONE_DAY,
        status=RunStatus.FINISHED,
        counts__has_key=FLOWS,
    ).exists()
    _execute(sql.DELETE_ROLLUP, params)
    rows = _execute(sql.insert_rollup(dialect), params)
    for statement in sql.COUNT_ONCE:
        _execute(statement, params)
    _execute(sql.upsert_flows(dialect, carried=carried), params)
    _execute(sql.ZERO_FLOWS, params)
    return rows


def _nothing(officer: StaffUser, run: CobRun, dialect: sql.Dialect) -> None:
    return None


STEP_WORK: dict[Step, Callable[[StaffUser, CobRun, sql.Dialect], None]] = {
    Step.CORRECTIONS: _corrections,
    Step.PENALTIES: _penalties,
    Step.ARREARS: _arrears,
    Step.ACCRUALS: _accruals,
    Step.SNAPSHOT: _snapshot,
    Step.ROLLUP: _rollup,
    Step.DONE: _nothing,
}
