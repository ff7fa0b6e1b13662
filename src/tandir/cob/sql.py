"""The SQL of close of business, one statement per step over a range of loans, for PostgreSQL
and SQLite alike.

Only text is built here; `tandir.cob.actions` runs it. Parameters are named: `org`, `day`
(the business date), `lo`/`hi` (the loan id range of a chunk), `user` and `stamp` (who posts,
and the moment that marks the chunk's journal entries so their lines can find them).

SQLite keeps decimals as floating point, where 0.1 + 0.2 is not 0.3; so on SQLite every amount
is read as an integer number of thousandths (the columns have three decimals) and written back
divided by 1,000, and every sum and comparison is exact. PostgreSQL's NUMERIC is exact as it is.
Rounding follows the lending actions: a penalty is rounded to the currency's unit half to even
(`Decimal.quantize`), an Islamic compensation share half up.
"""

from __future__ import annotations

from dataclasses import dataclass

from tandir.cob.models import BUCKET_COLUMNS
from tandir.engine import Method
from tandir.engine.money import minor_unit
from tandir.lending.models import INSTALLMENT_COMPONENTS

DISBURSED = "('active', 'overpaid', 'closed', 'written_off')"
# PAR's thresholds: more than 1, 30 and 90 days past due (`tandir.reports.definitions`).
PAR_DAYS = (1, 30, 90)
ISLAMIC_METHODS = [m.value for m in Method if m.is_islamic]
ISLAMIC = "(" + ", ".join(f"'{m}'" for m in ISLAMIC_METHODS) + ")"
MURABAHA = Method.MURABAHA.value
# The same as the partial index `installment_unpaid`, so that `unpaid` is its condition.
COMPONENTS = INSTALLMENT_COMPONENTS


# PostgreSQL's JIT compiles a statement costed past `jit_above_cost`. For the full arrears
# statement over a chunk of 50,000 loans at 1M, LLVM's optimisation and inlining took 5.3 s of
# the statement's 7.2 s; plain compilation then paid a little (2.0 s without JIT, 1.4 s with
# it, at 100,000 loans). But a daily date recomputes a few thousand loans a chunk, where
# compiling cost 250 ms a statement, more than the work: so JIT is off. Run in each chunk's
# transaction, so the session's settings are untouched after it.
JIT_SETTINGS = ("SET LOCAL jit = off",)


@dataclass(frozen=True)
class Dialect:
    postgresql: bool
    currencies: tuple[str, ...]

    @property
    def day(self) -> str:
        return self.date("day")

    def date(self, name: str) -> str:
        """The named date parameter, as a date."""
        return f"CAST(%({name})s AS date)" if self.postgresql else f"%({name})s"

    def num(self, column: str) -> str:
        """An amount column as the exact number the SQL computes with."""
        if self.postgresql:
            return column
        return f"CAST(ROUND(({column}) * 1000) AS INTEGER)"

    def out(self, expression: str) -> str:
        """A computed amount as the value to store."""
        return expression if self.postgresql else f"(({expression}) / 1000.0)"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.postgresql else f"MAX({a}, {b})"

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.postgresql else f"MIN({a}, {b})"

    def days_since(self, column: str) -> str:
        """Days from a date column to the business date."""
        if self.postgresql:
            return f"({self.day} - {column})"
        return f"CAST(julianday({self.day}) - julianday({column}) AS INTEGER)"

    def add_days(self, column: str, days: str) -> str:
        """The date `days` days after a date column."""
        if self.postgresql:
            return f"({column} + ({days}))"
        return f"date({column}, '+' || ({days}) || ' days')"

    def days_before(self, days: str) -> str:
        """The date `days` days before the business date."""
        if self.postgresql:
            return f"({self.day} - ({days}))"
        return f"date({self.day}, '-' || ({days}) || ' days')"

    def units(self, currency: str) -> str:
        """10 to the currency's number of decimals: minor units per unit."""
        cases = " ".join(f"WHEN '{c}' THEN {10 ** minor_unit(c)}" for c in self.currencies)
        return f"(CASE {currency} {cases} ELSE 100 END)" if cases else "100"

    def bit(self, column: str) -> str:
        return (
            f"(CAST(1 AS BIGINT) << CAST({column} AS INTEGER))"
            if self.postgresql
            else f"(1 << {column})"
        )


@dataclass(frozen=True)
class Selection:
    """The loans a statement works on: a chunk's range of ids (`%(lo)s` to `%(hi)s`), a list
    of ids (snapshots refreshed after a correction), or the loans of `cob_dirty_work` (those of
    a chunk whose state can have changed since the date before). `on` writes it as a WHERE
    clause on any table with the loan's id, so each table is read by its own index (the
    installments by theirs) rather than joined to the loans first."""

    ids: tuple[int, ...] | None = None
    dirty: bool = False

    def on(self, alias: str, column: str = "loan_id") -> str:
        if self.dirty:
            return (
                f"{alias}.organization_id = %(org)s AND {alias}.{column} IN "
                "(SELECT loan_id FROM cob_dirty_work)"
            )
        if self.ids is None:
            return (
                f"{alias}.organization_id = %(org)s AND {alias}.{column} BETWEEN %(lo)s AND %(hi)s"
            )
        listed = ", ".join(str(int(i)) for i in self.ids) or "NULL"
        return f"{alias}.organization_id = %(org)s AND {alias}.{column} IN ({listed})"

    @property
    def loans(self) -> str:
        return self.on("l", "id")

    @property
    def installments(self) -> str:
        return self.on("i")


def unpaid(d: Dialect) -> str:
    """An installment `i` not fully paid today: the condition of the partial index
    `installment_unpaid`, written as it is so PostgreSQL uses that index."""
    return (
        "(" + " OR ".join(f"{d.num(f'i.{c}_paid')} < {d.num(f'i.{c}')}" for c in COMPONENTS) + ")"
    )


def _open_installments(d: Dialect, selection: Selection, columns: str, where: str = "") -> str:
    """The current-schedule installments of the loans in `loans` that could owe something on
    the date, with `later` joined as `lt`: those unpaid today, and those paid in full today
    that were paid (in part) after the date. An installment paid in full today with nothing
    applied after the date owed nothing on it either, so it is never read: in a book of
    monthly loans about half the installments."""
    return f"""SELECT {columns}
  FROM lending_installment i
  JOIN loans lo ON lo.id = i.loan_id AND i.version = lo.schedule_version
  LEFT JOIN later lt ON lt.loan_id = i.loan_id AND lt.number = i.number
  WHERE {selection.installments} AND {unpaid(d)}{where}
  UNION ALL
  SELECT {columns}
  FROM later lt
  JOIN lending_installment i ON i.loan_id = lt.loan_id AND i.number = lt.number
  JOIN loans lo ON lo.id = i.loan_id AND i.version = lo.schedule_version
  WHERE NOT {unpaid(d)}{where}"""


def _later(d: Dialect) -> str:
    """What was applied after the business date to each installment of the loans in `loans`:
    an installment's paid columns less these are what was paid by the date."""
    sums = ",\n    ".join(
        f"SUM(CASE WHEN al.component = '{c}' THEN {d.num('al.amount')} ELSE 0 END) AS {c}"
        for c in COMPONENTS
    )
    return f"""later AS (
  SELECT a.loan_id, al.number,
    {sums}
  FROM loans lo
  JOIN lending_application a ON a.loan_id = lo.id
  JOIN lending_applicationline al ON al.application_id = a.id
  WHERE a.is_active = TRUE AND a.applied_on > {d.day}
    AND (lo.schedule_from IS NULL OR a.applied_on >= lo.schedule_from)
  GROUP BY a.loan_id, al.number
)"""


def _paid(d: Dialect, component: str) -> str:
    return f"({d.num(f'i.{component}_paid')} - COALESCE(lt.{component}, 0))"


def state(d: Dialect, selection: Selection) -> str:
    """The CTEs ending in `final`: each loan paid out by the date (and not closed or written
    off by it: a loan closed on or before the date owes nothing on it),
    in its state on the date, by `tandir.engine.arrears` and `tandir.lending.portfolio`:
    credit held, what is owed, outstanding and overdue principal and charge, days past due.

    Only installments due before the date and not fully paid go through the window (running
    sums by installment number, for the credit held applied oldest first); a paid one adds
    nothing to the sums. Schedules fall due in installment order, so "before the first
    installment not yet due" is "due before the date", and the first late installment is the
    one with the earliest due date."""
    owed = {c: d.num(f"i.{c}") for c in ("principal", "charge", "fees", "savings")}
    owed["penalty"] = (
        f"(CASE WHEN i.penalty_charged_on IS NULL OR i.penalty_charged_on <= {d.day} "
        f"THEN {d.num('i.penalty')} ELSE 0 END)"
    )
    left = ",\n    ".join(
        f"{d.greatest(f'{owed[c]} - {_paid(d, c)}', '0')} AS {c}" for c in COMPONENTS
    )
    credit_left = d.num("a.credit")
    credit_used = f"CASE WHEN a.from_credit = TRUE THEN {d.num('a.amount')} ELSE 0 END"
    return f"""WITH loans AS (
  SELECT l.id, l.schedule_version, l.schedule_from, {d.num("l.credit_held")} AS credit_held,
    v.arrears_days AS grace, {d.num("v.arrears_tolerance")} AS tolerance
  FROM lending_loan l
  JOIN lending_productversion v ON v.id = l.product_version_id
  WHERE {selection.loans} AND l.status IN {DISBURSED} AND l.disbursed_on <= {d.day}
    AND NOT (l.status IN ('closed', 'overpaid', 'written_off') AND l.closed_on IS NOT NULL
      AND l.closed_on <= {d.day})
),
{_later(d)},
later_credit AS (
  SELECT a.loan_id, SUM({credit_left}) - SUM({credit_used}) AS credit
  FROM loans lo JOIN lending_application a ON a.loan_id = lo.id
  WHERE a.is_active = TRUE AND a.applied_on > {d.day}
  GROUP BY a.loan_id
),
refunds_after AS (
  SELECT e.loan_id, SUM({d.num("jl.debit")}) AS refunded
  FROM ledger_journalentry e
  JOIN ledger_journalline jl ON jl.entry_id = e.id
  JOIN ledger_account ac ON ac.id = jl.account_id
  WHERE e.organization_id = %(org)s AND e.kind = 'refund' AND e.entry_date > {d.day}
    AND ac.role = 'overpayment' AND e.loan_id IN (SELECT id FROM loans)
  GROUP BY e.loan_id
),
credit AS (
  SELECT lo.id AS loan_id, lo.grace, lo.tolerance,
    {d.greatest("lo.credit_held - COALESCE(lc.credit, 0) + COALESCE(r.refunded, 0)", "0")}
      AS credit
  FROM loans lo
  LEFT JOIN later_credit lc ON lc.loan_id = lo.id
  LEFT JOIN refunds_after r ON r.loan_id = lo.id
),
inst AS NOT MATERIALIZED (
  {_open_installments(d, selection, f"i.loan_id, i.number, i.due_date, {left}")}
),
past AS (
  SELECT inst.*,
    principal + charge + fees + savings + penalty AS unpaid,
    SUM(principal + charge + fees + savings + penalty) OVER w AS cum,
    SUM(penalty + fees + charge + principal) OVER w AS cum4
  FROM inst
  WHERE due_date < {d.day} AND principal + charge + fees + savings + penalty > 0
  WINDOW w AS (PARTITION BY loan_id ORDER BY number ROWS BETWEEN UNBOUNDED PRECEDING
    AND CURRENT ROW)
),
per_row AS (
  SELECT o.loan_id, o.due_date, c.tolerance,
    {d.greatest(d.least("o.cum - c.credit", "o.unpaid"), "0")} AS left_after_credit,
    {d.greatest(d.least("o.cum4 - o.principal - c.credit", "o.charge"), "0")} AS charge_overdue,
    {d.greatest(d.least("o.cum4 - c.credit", "o.principal"), "0")} AS principal_overdue
  FROM past o JOIN credit c ON c.loan_id = o.loan_id
),
overdue AS (
  SELECT loan_id, SUM(principal_overdue) AS principal, SUM(charge_overdue) AS charge,
    MIN(CASE WHEN left_after_credit > tolerance THEN due_date END) AS late_due
  FROM per_row GROUP BY loan_id
),
owing AS (
  SELECT loan_id, SUM(principal + charge + fees + savings + penalty) AS owed,
    SUM(principal) AS outstanding
  FROM inst GROUP BY loan_id
),
totals AS (
  SELECT c.loan_id, c.credit, c.grace,
    COALESCE(ow.owed, 0) AS owed, COALESCE(ow.outstanding, 0) AS outstanding,
    COALESCE(od.principal, 0) AS overdue_principal, COALESCE(od.charge, 0) AS overdue_charge,
    od.late_due
  FROM credit c
  LEFT JOIN owing ow ON ow.loan_id = c.loan_id
  LEFT JOIN overdue od ON od.loan_id = c.loan_id
),
final AS (
  SELECT t.*,
    CASE WHEN t.late_due IS NULL THEN 0
      ELSE {d.greatest(f"{d.days_since('t.late_due')} - t.grace", "0")} END AS dpd,
    CASE WHEN t.late_due IS NOT NULL THEN {d.add_days("t.late_due", "t.grace")} END
      AS past_due_from
  FROM totals t
)
"""


def bucket(dpd: str) -> str:
    """The ageing bucket of a number of days past due, as `tandir.engine.arrears` names it."""
    return f"""CASE WHEN {dpd} = 0 THEN 'current' WHEN {dpd} <= 30 THEN '1-30'
    WHEN {dpd} <= 60 THEN '31-60' WHEN {dpd} <= 90 THEN '61-90'
    WHEN {dpd} <= 180 THEN '91-180' WHEN {dpd} <= 365 THEN '181-365' ELSE '>365' END"""


def delete_arrears(selection: Selection) -> str:
    return (
        "DELETE FROM cob_loanarrears WHERE loan_id IN "
        f"(SELECT l.id FROM lending_loan l WHERE {selection.loans})"
    )


def insert_arrears(d: Dialect, selection: Selection) -> str:
    """Each loan owing something on the date: its arrears state (a loan paid off has none)."""
    return (
        state(d, selection)
        + f"""
INSERT INTO cob_loanarrears (loan_id, organization_id, business_date, days_past_due, bucket,
  status, in_arrears_since, past_due_from, outstanding_principal, overdue_principal,
  overdue_charge, credit)
SELECT f.loan_id, %(org)s, %(day)s, f.dpd, {bucket("f.dpd")},
  CASE WHEN f.dpd > 0 THEN 'in_arrears' ELSE 'current' END,
  CASE WHEN f.dpd > 0 THEN {d.days_before("f.dpd - 1")} END, f.past_due_from,
  {d.out("f.outstanding")}, {d.out("f.overdue_principal")}, {d.out("f.overdue_charge")},
  {d.out("f.credit")}
FROM final f
WHERE f.owed > 0
"""
    )


# --- Arrears of a date from the date before ---------------------------------------------------
#
# Between two business dates a loan's state changes only if an installment fell due, money was
# applied or posted on the new date, a penalty was charged on it, or the loan itself changed
# (disbursed, rescheduled, written off, reopened: each leaves a row in its change history).
# Back-dated payments are the corrections step's (it recomputes those loans first). Those
# loans are recomputed in full; every other loan keeps its amounts, and only its days past due
# move on, counted from `past_due_from`.

DIRTY_WORK = "CREATE TEMPORARY TABLE IF NOT EXISTS cob_dirty_work (loan_id BIGINT NOT NULL)"


def dirty_loans(d: Dialect) -> str:
    """The loans of a chunk whose state can have changed since the date before (closed by a
    run that started at `%(started)s`): into `cob_dirty_work`. Each part reads an index by
    organisation and date."""
    chunk = "organization_id = %(org)s AND {} BETWEEN %(lo)s AND %(hi)s"
    return f"""INSERT INTO cob_dirty_work (loan_id)
SELECT loan_id FROM lending_installment
  WHERE {chunk.format("loan_id")} AND due_date = {d.days_before("1")}
UNION
SELECT loan_id FROM lending_installment
  WHERE {chunk.format("loan_id")} AND penalty_charged_on = {d.day}
UNION
SELECT loan_id FROM lending_application
  WHERE {chunk.format("loan_id")} AND applied_on >= {d.day}
UNION
SELECT loan_id FROM ledger_journalentry
  WHERE {chunk.format("loan_id")} AND entry_date >= {d.day}
UNION
SELECT id FROM lending_historicalloan
  WHERE {chunk.format("id")} AND history_date >= %(started)s"""


def age_arrears(d: Dialect) -> str:
    """The days past due, bucket and status on the date of a chunk's loans not recomputed,
    from the date their days count from."""
    dpd = d.days_since("past_due_from")
    since = d.add_days("past_due_from", "1")
    return f"""UPDATE cob_loanarrears SET business_date = %(day)s, days_past_due = {dpd},
  bucket = {bucket(dpd)}, status = 'in_arrears', in_arrears_since = {since}
WHERE organization_id = %(org)s AND loan_id BETWEEN %(lo)s AND %(hi)s
  AND past_due_from < {d.day}
  AND loan_id NOT IN (SELECT loan_id FROM cob_dirty_work)"""


def delete_snapshots(selection: Selection) -> str:
    return (
        "DELETE FROM cob_loansnapshot WHERE business_date = %(day)s AND loan_id IN "
        f"(SELECT l.id FROM lending_loan l WHERE {selection.loans})"
    )


def insert_snapshots(d: Dialect, selection: Selection) -> str:
    """The day's snapshot of the loans of the selection, from their arrears state."""
    return f"""INSERT INTO cob_loansnapshot (organization_id, loan_id, beneficiary_id,
  business_date, branch_id, officer_id, product_version_id, product_id, sector, currency,
  borrower_sex, target_groups, outstanding_principal, overdue_principal, overdue_charge,
  days_past_due, bucket, renegotiated, status)
SELECT l.organization_id, l.id, l.beneficiary_id, %(day)s, l.branch_id, l.officer_id,
  l.product_version_id, v.product_id, l.sector, l.currency, b.sex,
  COALESCE((
    SELECT SUM({d.bit("t.targetgroup_id")}) FROM registry_beneficiarytargetgroup t
    WHERE t.beneficiary_id = l.beneficiary_id
  ), 0),
  a.outstanding_principal, a.overdue_principal, a.overdue_charge, a.days_past_due, a.bucket,
  l.renegotiated, a.status
FROM cob_loanarrears a
JOIN lending_loan l ON l.id = a.loan_id
JOIN lending_productversion v ON v.id = l.product_version_id
JOIN registry_beneficiary b ON b.id = l.beneficiary_id
WHERE {selection.on("a")} AND {selection.loans}
"""


DELETE_ROLLUP = (
    "DELETE FROM cob_portfolioday WHERE organization_id = %(org)s AND business_date = %(day)s"
)


def insert_rollup(d: Dialect) -> str:
    """The day's `PortfolioDay` rows: its snapshots summed per branch and currency, in one
    pass (borrowers and officers are counted after, by `COUNT_ONCE`)."""
    balance = d.num("outstanding_principal")

    def at_risk(days: int) -> str:
        return d.out(
            f"SUM(CASE WHEN days_past_due > {days} OR renegotiated = TRUE "
            f"THEN {balance} ELSE 0 END)"
        )

    def in_bucket(bucket: str, value: str) -> str:
        return f"SUM(CASE WHEN bucket = '{bucket}' THEN {value} ELSE 0 END)"

    bucket_columns = ", ".join(f"{loans}, {amount}" for loans, amount in BUCKET_COLUMNS.values())
    buckets = ",\n  ".join(
        f"{in_bucket(bucket, '1')}, {d.out(in_bucket(bucket, balance))}"
        for bucket in BUCKET_COLUMNS
    )
    return f"""INSERT INTO cob_portfolioday (organization_id, business_date, branch_id, currency,
  loans, loans_in_arrears, gross_loan_portfolio, overdue_principal, par1, par30, par90,
  borrowers, officers, {bucket_columns})
SELECT organization_id, business_date, branch_id, currency, COUNT(*),
  SUM(CASE WHEN days_past_due > 0 THEN 1 ELSE 0 END),
  {d.out(f"SUM({balance})")},
  {d.out(f"SUM({d.num('overdue_principal')})")},
  {at_risk(PAR_DAYS[0])}, {at_risk(PAR_DAYS[1])}, {at_risk(PAR_DAYS[2])}, 0, 0,
  {buckets}
FROM cob_loansnapshot
WHERE organization_id = %(org)s AND business_date = %(day)s
GROUP BY organization_id, business_date, branch_id, currency"""


# Each borrower (officer) counted once in the organisation: in the lowest-numbered branch where
# they hold an active loan of the currency, so that the branches' rows add up to the distinct
# count. Plain aggregates (no join back to the snapshots): a date's snapshots were written a
# moment before, and PostgreSQL may not have their statistics yet.
COUNT_ONCE = [
    f"""UPDATE cob_portfolioday SET {column} = f.n
FROM (
  SELECT g.branch_id, g.currency, COUNT(*) AS n FROM (
    SELECT MIN(s.branch_id) AS branch_id, s.currency
    FROM cob_loansnapshot s
    WHERE s.organization_id = %(org)s AND s.business_date = %(day)s {where}
    GROUP BY {who}, s.currency
  ) g
  GROUP BY g.branch_id, g.currency
) f
WHERE cob_portfolioday.organization_id = %(org)s AND cob_portfolioday.business_date = %(day)s
  AND cob_portfolioday.branch_id = f.branch_id AND cob_portfolioday.currency = f.currency"""
    for column, where, who in (
        # A snapshot written before the borrower was kept finds it through its loan.
        (
            "borrowers",
            "",
            "COALESCE(s.beneficiary_id, "
            "(SELECT l.beneficiary_id FROM lending_loan l WHERE l.id = s.loan_id))",
        ),
        ("officers", "AND s.officer_id IS NOT NULL", "s.officer_id"),
    )
]


# --- Repayment-rate flows ---------------------------------------------------------------------
#
# The repayment rates (`tandir.reports.portfolio.repayment_rates`) as of a date read every
# installment that fell due by then: 10 s at a million loans. Close of business keeps their
# figures per day instead, in `PortfolioDay`: what fell due on the day and what was paid on it
# by then (summed over a period, the on-time rate), and the cumulative rate's figures as of
# the day, carried from the day before with the day's flows added. A loan whose rescheduling
# takes effect on the day changes which schedule counts for its past installments: its share
# of the cumulative figures is recomputed as of the day and as of the day before, and the
# difference added.
#
# Expressions over a loan `s` (from `_loans_sql`) and its installment `i`, for a date given
# as SQL (`day`), shared with the report's direct computation.


def in_force(day: str, i: str = "i") -> str:
    """The installment `i` (or an allocation line carrying its version) belongs to the schedule
    in force on the date: the current one from the day it began, else the one it replaced."""
    return (
        f"(({i}.version = s.cur AND (s.sfrom IS NULL OR s.sfrom <= {day})) "
        f"OR ({i}.version = s.cur - 1 AND s.sfrom > {day}))"
    )


def replaced(day: str, i: str = "i") -> str:
    """The installment belongs to a schedule a rescheduling replaced by the date: it counts at
    what was paid on it (its unpaid rest was carried into the new schedule)."""
    return f"({i}.version = s.cur - 1 AND s.sfrom <= {day})"


def kept(i: str = "i") -> str:
    """A written-off loan's installments count up to its write-off."""
    return f"(s.status <> 'written_off' OR s.closed_on IS NULL OR {i}.due_date <= s.closed_on)"


KEPT = kept()


def owed(d: Dialect) -> str:
    """What the repayment rates count of an installment `i`: principal and charge."""
    return f"({d.num('i.principal')} + {d.num('i.charge')})"


def paid(d: Dialect) -> str:
    """What the installment's paid columns hold of it: every active allocation, of any date."""
    return f"({d.num('i.principal_paid')} + {d.num('i.charge_paid')})"


def _loans_sql(day: str, where: str) -> str:
    return f"""SELECT l.id, l.branch_id, l.currency, l.schedule_version AS cur,
    l.schedule_from AS sfrom, l.status, l.closed_on
  FROM lending_loan l
  WHERE l.organization_id = %(org)s AND l.disbursed_on <= {day} AND l.status IN {DISBURSED}
    {where}"""


def _cumulative_rows(d: Dialect, day: str, loans: str, sign: str) -> str:
    """Rows (branch, currency, 0, 0, fell due, collected) that sum to the cumulative rate's
    figures as of `day` of the loans `loans` (a CTE of `_loans_sql`), times `sign`."""
    counted = f"({in_force(day)} OR {replaced(day)}) AND {KEPT}"
    negated = "-1" if sign == "1" else "1"
    return f"""SELECT s.branch_id, s.currency, 0 AS due, 0 AS on_time,
    {sign} * CASE WHEN {in_force(day)} THEN {owed(d)} ELSE {paid(d)} END AS due_to_date,
    {sign} * {paid(d)} AS collected
  FROM {loans} s JOIN lending_installment i ON i.loan_id = s.id
  WHERE i.due_date <= {day} AND {counted}
  UNION ALL
  SELECT s.branch_id, s.currency, 0, 0, 0, {negated} * {d.num("al.amount")}
  FROM {loans} s
  JOIN lending_application a ON a.loan_id = s.id
  JOIN lending_applicationline al ON al.application_id = a.id
  JOIN lending_installment i ON i.loan_id = s.id AND i.number = al.number
    AND i.version = CASE WHEN s.sfrom IS NULL OR a.applied_on >= s.sfrom
      THEN s.cur ELSE s.cur - 1 END
  WHERE a.is_active = TRUE AND a.applied_on > {day} AND al.component IN ('principal', 'charge')
    AND i.due_date <= {day} AND {counted}"""


def upsert_flows(d: Dialect, *, carried: bool) -> str:
    """The day's repayment-rate figures into its `PortfolioDay` rows (made by `insert_rollup`
    first; a branch with figures but no active loan gets a row of its own). `carried`: the day
    before was closed with these figures, so the cumulative ones carry on from it; otherwise
    they are computed whole as of the day (the first date, or the first after an upgrade)."""
    day = d.day
    before = d.date("before")
    owes, pays = owed(d), paid(d)
    counted = f"({in_force(day)} OR {replaced(day)}) AND {KEPT}"
    # A loan whose rescheduling takes effect on the day: its cumulative share is recomputed.
    moved = "(s.sfrom IS NOT NULL AND s.sfrom = " + day + ")"
    regular = f"CASE WHEN {moved} THEN 0 ELSE 1 END" if carried else "0"
    if carried:
        cumulative = f"""
  UNION ALL
  SELECT p.branch_id, p.currency, 0, 0, {d.num("p.fell_due_to_date")},
    {d.num("p.collected_to_date")}
  FROM cob_portfolioday p
  WHERE p.organization_id = %(org)s AND p.business_date = {before}
  UNION ALL
  {_cumulative_rows(d, day, "moved_today", "1")}
  UNION ALL
  {_cumulative_rows(d, before, "moved_before", "-1")}"""
        moved_ctes = f""",
moved_today AS ({_loans_sql(day, "AND l.schedule_from = " + day)}),
moved_before AS ({_loans_sql(before, "AND l.schedule_from = " + day)})"""
    else:
        cumulative = f"""
  UNION ALL
  {_cumulative_rows(d, day, "loans", "1")}"""
        moved_ctes = ""
    return f"""INSERT INTO cob_portfolioday (organization_id, business_date, branch_id, currency,
  loans, loans_in_arrears, gross_loan_portfolio, overdue_principal, par1, par30, par90,
  borrowers, officers, {", ".join(c for pair in BUCKET_COLUMNS.values() for c in pair)},
  fell_due, paid_on_time, fell_due_to_date, collected_to_date)
WITH loans AS NOT MATERIALIZED ({_loans_sql(day, "")}),
later AS MATERIALIZED (
  SELECT s.branch_id, s.currency, a.applied_on, al.number, {d.num("al.amount")} AS amount,
    s.id AS loan_id, s.cur, s.sfrom, s.status, s.closed_on,
    CASE WHEN s.sfrom IS NULL OR a.applied_on >= s.sfrom THEN s.cur ELSE s.cur - 1 END
      AS version
  FROM lending_application a
  JOIN loans s ON s.id = a.loan_id
  JOIN lending_applicationline al ON al.application_id = a.id
  WHERE a.organization_id = %(org)s AND a.is_active = TRUE AND a.applied_on >= {day}
    AND al.component IN ('principal', 'charge')
){moved_ctes}
SELECT %(org)s, {day}, f.branch_id, f.currency, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  {", ".join("0" for pair in BUCKET_COLUMNS.values() for c in pair)},
  {d.out("SUM(f.due)")}, {d.out("SUM(f.on_time)")}, {d.out("SUM(f.due_to_date)")},
  {d.out("SUM(f.collected)")}
FROM (
  SELECT s.branch_id, s.currency,
    CASE WHEN {in_force(day)} THEN {owes} ELSE {pays} END AS due, {pays} AS on_time,
    {regular} * CASE WHEN {in_force(day)} THEN {owes} ELSE {pays} END AS due_to_date,
    {regular} * {pays} AS collected
  FROM loans s JOIN lending_installment i ON i.loan_id = s.id
  WHERE i.organization_id = %(org)s AND i.due_date = {day} AND {counted}
  UNION ALL
  SELECT s.branch_id, s.currency, 0, -1 * s.amount, 0, -1 * {regular} * s.amount
  FROM later s JOIN lending_installment i
    ON i.loan_id = s.loan_id AND i.version = s.version AND i.number = s.number
  WHERE s.applied_on > {day} AND i.due_date = {day} AND {counted}
  UNION ALL
  SELECT s.branch_id, s.currency, 0, 0, 0, {regular} * s.amount
  FROM later s JOIN lending_installment i
    ON i.loan_id = s.loan_id AND i.version = s.version AND i.number = s.number
  WHERE s.applied_on = {day} AND i.due_date < {day} AND {counted}{cumulative}
) f
WHERE TRUE
GROUP BY f.branch_id, f.currency
ON CONFLICT (organization_id, business_date, branch_id, currency) DO UPDATE SET
  fell_due = excluded.fell_due, paid_on_time = excluded.paid_on_time,
  fell_due_to_date = excluded.fell_due_to_date, collected_to_date = excluded.collected_to_date"""


# A branch with active loans and no flow of the day (nor before): its figures are zero.
ZERO_FLOWS = """UPDATE cob_portfolioday SET fell_due = 0, paid_on_time = 0, fell_due_to_date = 0,
  collected_to_date = 0
WHERE organization_id = %(org)s AND business_date = %(day)s AND fell_due IS NULL"""


# --- Penalties ------------------------------------------------------------------------------

PENALTY_WORK = """CREATE TEMPORARY TABLE IF NOT EXISTS cob_penalty_work (
  installment_id BIGINT NOT NULL, loan_id BIGINT NOT NULL, amount NUMERIC(20, 3) NOT NULL)"""
ACCRUAL_WORK = """CREATE TEMPORARY TABLE IF NOT EXISTS cob_accrual_work (
  installment_id BIGINT NOT NULL, loan_id BIGINT NOT NULL, charge NUMERIC(20, 3) NOT NULL,
  fees NUMERIC(20, 3) NOT NULL)"""


def _half_even_penalty(d: Dialect) -> str:
    """The penalty of a candidate row `c`, rounded to the currency's unit half to even, as
    `Decimal.quantize` rounds it in `lending.actions.charge_penalties`."""
    if d.postgresql:
        x = (
            "(CASE WHEN c.penalty_kind = 'fixed' THEN c.value * c.units "
            "ELSE c.overdue * c.value * c.units / 100 END)"
        )
        return (
            f"(CASE WHEN {x} - FLOOR({x}) > 0.5 THEN FLOOR({x}) + 1 "
            f"WHEN {x} - FLOOR({x}) = 0.5 THEN FLOOR({x}) + MOD(FLOOR({x}), 2) "
            f"ELSE FLOOR({x}) END) / c.units"
        )
    n = (
        "(CASE WHEN c.penalty_kind = 'fixed' THEN c.value * c.units "
        "ELSE c.overdue * c.value * c.units END)"
    )
    den = "(CASE WHEN c.penalty_kind = 'fixed' THEN 1000 ELSE 100000000 END)"
    whole = f"({n} / {den})"
    rest = f"({n} %% {den})"
    rounded = (
        f"({whole} + CASE WHEN 2 * {rest} > {den} THEN 1 "
        f"WHEN 2 * {rest} = {den} THEN {whole} %% 2 ELSE 0 END)"
    )
    return f"({rounded} * 1000 / c.units)"


def penalty_candidates(d: Dialect, selection: Selection) -> str:
    """Installments overdue beyond the product's days and not charged yet, of active loans
    holding no credit, with their penalty: into `cob_penalty_work`."""
    overdue = " + ".join(
        f"({d.num(f'i.{c}')} - {_paid(d, c)})" for c in ("principal", "charge", "fees", "savings")
    )
    return f"""WITH loans AS (
  SELECT l.id, l.schedule_version, l.schedule_from, v.penalty_kind,
    {d.num("v.penalty_value")} AS value, v.penalty_after_days, {d.units("l.currency")} AS units
  FROM lending_loan l
  JOIN lending_productversion v ON v.id = l.product_version_id
  WHERE {selection.loans} AND l.status = 'active' AND l.disbursed_on <= {d.day}
    AND v.penalty_kind <> 'none' AND l.credit_held = 0
),
{_later(d)},
c AS (
  {
        _open_installments(
            d,
            selection,
            f"i.id, i.loan_id, lo.penalty_kind, lo.value, lo.units, {overdue} AS overdue",
            f" AND i.due_date < {d.day} AND i.penalty_charged_on IS NULL"
            f" AND {d.days_since('i.due_date')} > lo.penalty_after_days",
        )
    }
)
INSERT INTO cob_penalty_work (installment_id, loan_id, amount)
SELECT id, loan_id, amount FROM (
  SELECT c.id, c.loan_id, {_half_even_penalty(d)} AS amount FROM c WHERE c.overdue > 0
) charged
WHERE amount > 0
"""


def charge_penalties(d: Dialect) -> str:
    return f"""UPDATE lending_installment
SET penalty = {d.out(f"{d.num('penalty')} + w.amount")}, penalty_charged_on = %(day)s
FROM cob_penalty_work w WHERE lending_installment.id = w.installment_id"""


# --- Journal postings -------------------------------------------------------------------------
#
# A step's postings go through two work tables: its lines per loan (`cob_line_work`, the
# per-loan totals worked out once and unpivoted into one row per account role), then one entry
# per loan and kind with its id drawn up front (`cob_entry_work`). Entries and lines are then
# plain inserts from the work tables: nothing is joined back to the journal to find the entry
# just written (that join took 34 s for a chunk of 50,000 loans, and longer where the journal
# already held many entries per loan).

LINE_WORK = """CREATE TEMPORARY TABLE IF NOT EXISTS cob_line_work (
  loan_id BIGINT NOT NULL, kind VARCHAR(20) NOT NULL, role VARCHAR(40) NOT NULL,
  debit NUMERIC(20, 3) NOT NULL, credit NUMERIC(20, 3) NOT NULL)"""
ENTRY_WORK = """CREATE TEMPORARY TABLE IF NOT EXISTS cob_entry_work (
  entry_id BIGINT NOT NULL, loan_id BIGINT NOT NULL, kind VARCHAR(20) NOT NULL)"""


def _line_work(kind: str, parts: list[tuple[str, str, str, str]], source: str) -> str:
    """The lines of a step's postings into `cob_line_work`: per part (role, debit or credit,
    amount, condition) over the per-loan totals `t` of `source`, computed once."""
    selects = "\nUNION ALL\n".join(
        f"SELECT t.loan_id, {kind}, '{role}', "
        + (f"{amount}, 0" if side == "debit" else f"0, {amount}")
        + f" FROM t WHERE {condition} AND {amount} > 0"
        for role, side, amount, condition in parts
    )
    return f"""WITH t AS ({source})
INSERT INTO cob_line_work (loan_id, kind, role, debit, credit)
{selects}"""


def entry_ids(d: Dialect) -> str:
    """One entry per loan and kind of `cob_line_work`, with its journal entry id: drawn from
    the table's sequence on PostgreSQL; on SQLite, which has no sequence, numbered on from the
    largest id (the transaction holds SQLite's one write lock by then: nothing else can
    insert an entry in between)."""
    if d.postgresql:
        ident = "nextval(pg_get_serial_sequence('ledger_journalentry', 'id'))"
    else:
        ident = (
            "(SELECT COALESCE(MAX(id), 0) FROM ledger_journalentry)"
            " + ROW_NUMBER() OVER (ORDER BY k.loan_id, k.kind)"
        )
    return f"""INSERT INTO cob_entry_work (entry_id, loan_id, kind)
SELECT {ident}, k.loan_id, k.kind
FROM (SELECT DISTINCT loan_id, kind FROM cob_line_work) k"""


ENTRIES = """INSERT INTO ledger_journalentry (id, organization_id, branch_id, entry_date, kind,
  memo, loan_id, reverses_id, created_by_id, created_at)
SELECT w.entry_id, l.organization_id, l.branch_id, %(day)s, w.kind, SUBSTR(l.reference, 1, 300),
  l.id, NULL, %(user)s, %(stamp)s
FROM cob_entry_work w JOIN lending_loan l ON l.id = w.loan_id"""


def lines(d: Dialect) -> str:
    return f"""INSERT INTO ledger_journalline (organization_id, entry_id, account_id, currency,
  debit, credit, entry_date, branch_id)
SELECT l.organization_id, w.entry_id, ac.id, l.currency, {d.out("x.debit")}, {d.out("x.credit")},
  %(day)s, l.branch_id
FROM cob_line_work x
JOIN cob_entry_work w ON w.loan_id = x.loan_id AND w.kind = x.kind
JOIN lending_loan l ON l.id = x.loan_id
JOIN ledger_account ac ON ac.organization_id = l.organization_id AND ac.role = x.role"""


def _penalty_totals(d: Dialect) -> str:
    share_pg = "FLOOR(w.total * w.pct * w.units / 100 + 0.5) / w.units"
    share_lite = "((w.total * w.pct * w.units + 5000000) / 10000000 * 1000 / w.units)"
    # The percentage in hundredths on SQLite, to stay in integers.
    percent = (
        "v.penalty_income_percent"
        if d.postgresql
        else "CAST(ROUND(v.penalty_income_percent * 100) AS INTEGER)"
    )
    return f"""SELECT w.*, CASE WHEN w.islamic = 1 THEN {share_pg if d.postgresql else share_lite}
  ELSE 0 END AS share FROM (
  SELECT p.loan_id, SUM(p.amount) AS total,
    CASE WHEN v.method IN {ISLAMIC} THEN 1 ELSE 0 END AS islamic,
    {percent} AS pct,
    {d.units("l.currency")} AS units
  FROM cob_penalty_work p
  JOIN lending_loan l ON l.id = p.loan_id
  JOIN lending_productversion v ON v.id = l.product_version_id
  WHERE v.accounting_basis = 'accrual'
  GROUP BY p.loan_id, v.method, v.penalty_income_percent, l.currency
) w"""


def penalty_lines(d: Dialect) -> str:
    """On the accrual basis a late charge is a receivable now (on the cash basis nothing is
    posted until it is paid): one entry per loan."""
    parts = [
        ("penalty_receivable", "debit", "t.total", "1 = 1"),
        ("penalty_income", "credit", "t.total", "t.islamic = 0"),
        ("charity_payable", "credit", "t.total - t.share", "t.islamic = 1"),
        ("compensation_income", "credit", "t.share", "t.islamic = 1"),
    ]
    return _line_work("'penalty'", parts, _penalty_totals(d))


# --- Accruals and Murabaha profit -------------------------------------------------------------


def accrual_candidates(d: Dialect, selection: Selection) -> str:
    """Installments fallen due by the date and not yet recognised, of loans whose charges are
    income when due (accrual basis, Murabaha profit as due): into `cob_accrual_work`. What is
    recognised is what `lending.actions._recognition` recognises: the whole markup of a
    Murabaha installment, the unpaid interest and fees of the others."""
    return f"""INSERT INTO cob_accrual_work (installment_id, loan_id, charge, fees)
SELECT i.id, i.loan_id,
  CASE WHEN v.method = '{MURABAHA}' THEN {d.num("i.charge")}
    ELSE {d.num("i.charge")} - {d.num("i.charge_paid")} END,
  {d.num("i.fees")} - {d.num("i.fees_paid")}
FROM lending_loan l
JOIN lending_productversion v ON v.id = l.product_version_id
JOIN lending_installment i ON i.loan_id = l.id AND i.version = l.schedule_version
WHERE {selection.loans} AND l.status IN ('active', 'overpaid') AND l.disbursed_on <= {d.day}
  AND (v.accounting_basis = 'accrual'
    OR (v.method = '{MURABAHA}' AND v.profit_recognition = 'as_due'))
  AND i.due_date <= {d.day} AND i.recognised = FALSE"""


RECOGNISE = """UPDATE lending_installment SET recognised = TRUE
WHERE id IN (SELECT installment_id FROM cob_accrual_work)"""


def _accrual_totals() -> str:
    return f"""SELECT w.*,
  CASE WHEN w.murabaha = 1 THEN 'profit_release' ELSE 'accrual' END AS kind,
  CASE WHEN w.murabaha = 1 AND w.as_due = 1 THEN w.charge ELSE 0 END AS profit,
  CASE WHEN w.murabaha = 0 AND w.accrual = 1 THEN w.charge ELSE 0 END AS interest,
  CASE WHEN w.accrual = 1 THEN w.fees ELSE 0 END AS fee
FROM (
  SELECT a.loan_id, SUM(a.charge) AS charge, SUM(a.fees) AS fees,
    CASE WHEN v.method = '{MURABAHA}' THEN 1 ELSE 0 END AS murabaha,
    CASE WHEN v.accounting_basis = 'accrual' THEN 1 ELSE 0 END AS accrual,
    CASE WHEN v.profit_recognition = 'as_due' THEN 1 ELSE 0 END AS as_due
  FROM cob_accrual_work a
  JOIN lending_loan l ON l.id = a.loan_id
  JOIN lending_productversion v ON v.id = l.product_version_id
  GROUP BY a.loan_id, v.method, v.accounting_basis, v.profit_recognition
) w"""


def accrual_lines() -> str:
    parts = [
        ("deferred_profit", "debit", "t.profit", "1 = 1"),
        ("profit_income", "credit", "t.profit", "1 = 1"),
        ("interest_receivable", "debit", "t.interest", "1 = 1"),
        ("interest_income", "credit", "t.interest", "1 = 1"),
        ("fee_receivable", "debit", "t.fee", "1 = 1"),
        ("fee_income", "credit", "t.fee", "1 = 1"),
    ]
    return _line_work("t.kind", parts, _accrual_totals())
