"""Portfolio quality by the SEEP/CGAP definitions (`tandir.reports.definitions`), as of any date,
per currency, with every figure's numerator and denominator.

Two sources, and the report says which it used: the daily snapshots of close of business when
the date was closed (one GROUP BY over the (organization, business_date) index), else every loan
recomputed from its schedule and payments by `tandir.lending.portfolio.portfolio_as_of`. The
repayment rates always read the schedules and the allocations of payments (set-based SQL).

SQLite keeps decimals as floating point, so the SQL here sums amounts as integer thousandths
(the columns have three decimals), as close of business does (`tandir.cob.sql.Dialect`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from tandir.cob import sql as cob_sql
from tandir.cob.actions import FLOWS
from tandir.cob.models import BUCKET_COLUMNS, CobRun, RunStatus
from tandir.cob.sql import DISBURSED, Dialect
from tandir.engine.arrears import AgeingBucket
from tandir.lending.models import Loan, LoanStatus
from tandir.lending.portfolio import portfolio_as_of
from tandir.orgs.models import Organization

ZERO = Decimal(0)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
PAR_DAYS = cob_sql.PAR_DAYS  # more than 1, 30 and 90 days past due
BUCKETS = [bucket.value for bucket in AgeingBucket]
# The dimensions a report can be broken down by ("month" is the monthly series).
DIMENSIONS = ("branch", "officer", "product", "sector", "sex", "target_group", "district", "month")


# --- Figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """A figure as its numerator over its denominator; no percentage when nothing is under it."""

    numerator: Decimal
    denominator: Decimal

    @property
    def value(self) -> Decimal | None:
        return None if not self.denominator else Decimal(self.numerator) / self.denominator

    @property
    def percent(self) -> Decimal | None:
        value = self.value
        return None if value is None else value * HUNDRED


@dataclass(frozen=True)
class CurrencyRates:
    on_time: Ratio
    cumulative: Ratio
    # Shown beside the rates, never hidden: written-off loans make a rate look better.
    written_off_in_period: Decimal
    written_off_to_date: Decimal


@dataclass(frozen=True)
class RepaymentRates:
    date_from: datetime.date
    as_of: datetime.date
    by_currency: dict[str, CurrencyRates]


@dataclass(frozen=True)
class Bucket:
    bucket: str
    loans: int
    balance: Decimal
    share: Ratio  # of the gross loan portfolio


@dataclass
class Figures:
    """The stock indicators of one cell (a currency, or a currency within a category)."""

    currency: str
    gross_loan_portfolio: Decimal = ZERO
    active_loans: int = 0
    active_borrowers: int = 0
    officers: int = 0
    par_numerators: dict[int, Decimal] = field(
        default_factory=lambda: dict.fromkeys(PAR_DAYS, ZERO)
    )
    bucket_loans: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    bucket_balances: dict[str, Decimal] = field(
        default_factory=lambda: dict.fromkeys(BUCKETS, ZERO)
    )

    @property
    def par(self) -> dict[int, Ratio]:
        return {n: Ratio(self.par_numerators[n], self.gross_loan_portfolio) for n in PAR_DAYS}

    @property
    def buckets(self) -> list[Bucket]:
        return [
            Bucket(
                name,
                self.bucket_loans[name],
                self.bucket_balances[name],
                Ratio(self.bucket_balances[name], self.gross_loan_portfolio),
            )
            for name in BUCKETS
        ]

    @property
    def average_balance_per_borrower(self) -> Ratio:
        return Ratio(self.gross_loan_portfolio, Decimal(self.active_borrowers))

    @property
    def average_balance_per_loan(self) -> Ratio:
        return Ratio(self.gross_loan_portfolio, Decimal(self.active_loans))

    @property
    def borrowers_per_officer(self) -> Ratio:
        return Ratio(Decimal(self.active_borrowers), Decimal(self.officers))


@dataclass
class CurrencyReport:
    """One currency of the organisation: the stock on the date and the flows of the period."""

    figures: Figures
    rates: CurrencyRates
    average_glp: Decimal  # mean of the portfolio the day before the period and on its last day

    @property
    def write_off_ratio(self) -> Ratio:
        return Ratio(self.rates.written_off_in_period, self.average_glp)


@dataclass(frozen=True)
class GroupRow:
    """One category of a disaggregation, in one currency. `source` matters for the monthly
    series, whose points can come from different sources."""

    dimension: str
    key: str
    label: str
    figures: Figures
    source: str
    as_of: datetime.date


@dataclass
class PortfolioReport:
    organization: Organization
    as_of: datetime.date
    date_from: datetime.date
    source: str  # "snapshot" or "records"
    by_currency: dict[str, CurrencyReport]
    groups: dict[str, list[GroupRow]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The contract of `tandir report portfolio --json` (docs/reports-cli.md)."""
        return {
            "as_of": self.as_of.isoformat(),
            "from": self.date_from.isoformat(),
            "organization": self.organization.name,
            "source": self.source,
            "by_currency": {
                currency: _currency_json(report)
                for currency, report in sorted(self.by_currency.items())
            },
        }


def amount_text(amount: Decimal) -> str:
    return str(Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP))


def percent_text(ratio: Ratio) -> str | None:
    percent = ratio.percent
    return None if percent is None else amount_text(percent)


def _currency_json(report: CurrencyReport) -> dict[str, Any]:
    figures = report.figures
    return {
        "gross_loan_portfolio": amount_text(figures.gross_loan_portfolio),
        "active_loans": figures.active_loans,
        "active_borrowers": figures.active_borrowers,
        "par": {
            str(n): {
                "numerator": amount_text(ratio.numerator),
                "ratio_percent": percent_text(ratio),
            }
            for n, ratio in figures.par.items()
        },
        "buckets": [
            {"bucket": b.bucket, "loans": b.loans, "balance": amount_text(b.balance)}
            for b in figures.buckets
        ],
        "written_off_in_period": amount_text(report.rates.written_off_in_period),
        "write_off_ratio_percent": percent_text(report.write_off_ratio),
        "on_time_repayment_rate_percent": percent_text(report.rates.on_time),
        "cumulative_repayment_rate_percent": percent_text(report.rates.cumulative),
    }


# --- SQL helpers -----------------------------------------------------------------------------


def _dialect() -> Dialect:
    return Dialect(connection.vendor == "postgresql", ())


def _amount(value: Any, d: Dialect) -> Decimal:
    """A summed amount read back: thousandths on SQLite, the exact NUMERIC on PostgreSQL."""
    if value is None:
        return ZERO
    if d.postgresql:
        return Decimal(value)
    return Decimal(int(value)) / 1000


def _loan_ids_sql(loans: QuerySet[Loan]) -> tuple[str, tuple[Any, ...]]:
    sql, params = loans.order_by().values("pk").query.sql_with_params()
    return sql, tuple(params)


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return list(cursor.fetchall())


def _day(d: Dialect) -> str:
    return "CAST(%s AS date)" if d.postgresql else "%s"


# --- Repayment rates -------------------------------------------------------------------------


def repayment_rates(
    loans: QuerySet[Loan], *, date_from: datetime.date, as_of: datetime.date
) -> RepaymentRates:
    """On-time and cumulative repayment rates of the loans, per currency, with the principal
    written off shown beside (docs/decisions.md, "Repayment rates").

    On time: principal and charge allocated on or before the installment's due date, of the
    installments due in [date_from, as_of], over their principal and charge. Cumulative:
    principal and charge allocated by `as_of` to installments due by `as_of`, over their
    principal and charge. Only the schedule in force counts in full; the installments of the
    schedule a rescheduling replaced count at what was paid on them (their unpaid rest was
    carried into the new schedule, where it falls due again). A written-off loan stays in with
    the installments due up to its write-off date.

    Three queries, whatever the number of loans, each summing straight into one row per
    currency (no grouping by installment): what fell due, what was paid on it, what was
    written off.
    """
    d = _dialect()
    ids_sql, ids_params = _loan_ids_sql(loans)
    day = _day(d)
    selected = f"""(
  SELECT l.id, l.currency, l.schedule_version AS cur, l.schedule_from AS sfrom, l.status,
    l.closed_on
  FROM lending_loan l
  WHERE l.id IN ({ids_sql}) AND l.disbursed_on <= {day} AND l.status IN {DISBURSED}
)"""
    selection = f"WITH sel AS {selected}"
    # The schedule in force on the date: the current one from the day it began, else the one
    # it replaced. A written-off loan's installments count up to its write-off.
    in_force = cob_sql.in_force(day)
    replaced = cob_sql.replaced(day)
    kept = cob_sql.KEPT
    owed = cob_sql.owed(d)
    paid_cols = cob_sql.paid(d)
    # What fell due, and what the installments' paid columns hold (every allocation, of any
    # date): one pass over the installments due by the date.
    due_sql = f"""{selection}
SELECT s.currency,
  SUM(CASE WHEN {in_force} AND i.due_date >= {day} THEN {owed} ELSE 0 END),
  SUM(CASE WHEN {in_force} THEN {owed} ELSE 0 END),
  SUM(CASE WHEN i.due_date >= {day} THEN {paid_cols} ELSE 0 END),
  SUM({paid_cols}),
  SUM(CASE WHEN {replaced} AND i.due_date >= {day} THEN {paid_cols} ELSE 0 END),
  SUM(CASE WHEN {replaced} THEN {paid_cols} ELSE 0 END)
FROM sel s
JOIN lending_installment i ON i.loan_id = s.id
WHERE i.due_date <= {day} AND ({in_force} OR {replaced}) AND {kept}
GROUP BY s.currency"""
    due_params = (
        *ids_params, as_of,  # sel
        as_of, as_of, date_from,  # owed in the period
        as_of, as_of,  # owed
        date_from,  # paid in the period
        as_of, date_from,  # replaced in the period
        as_of,  # replaced
        as_of, as_of, as_of, as_of,  # where
    )  # fmt: skip
    # Less what the paid columns hold that was not paid by the date (for the cumulative rate)
    # or not by the due date (on time): only allocations dated after the period began, each
    # matched to its schedule version by its date. A line carries its installment's due date,
    # so the million lines of a national project's life are summed without a join to the
    # installments. The loans are materialised: inlined, the planner checked every
    # application of the book against the project instead of reading the project's own.
    lines = f"""lines AS (
  SELECT s.currency, s.cur, s.sfrom, s.status, s.closed_on, a.applied_on,
    {d.num("al.amount")} AS amount, al.due_on AS due_date,
    CASE WHEN s.sfrom IS NULL OR a.applied_on >= s.sfrom THEN s.cur ELSE s.cur - 1 END
      AS version
  FROM sel s
  JOIN lending_application a ON a.loan_id = s.id
  JOIN lending_applicationline al ON al.application_id = a.id
  WHERE a.is_active = TRUE AND a.applied_on > {day}
    AND al.component IN ('principal', 'charge')
)"""
    counted = f"({cob_sql.in_force(day, 's')} OR {cob_sql.replaced(day, 's')})"
    late_sql = f"""WITH sel AS MATERIALIZED {selected},
{lines}
SELECT s.currency,
  SUM(CASE WHEN s.applied_on > {day} THEN s.amount ELSE 0 END),
  SUM(CASE WHEN s.due_date >= {day} AND s.applied_on > s.due_date THEN s.amount ELSE 0 END)
FROM lines s
WHERE s.due_date <= {day} AND {counted} AND {cob_sql.kept("s")}
GROUP BY s.currency"""
    late_params = (
        *ids_params, as_of,  # sel
        date_from,  # lines
        as_of, date_from,  # select
        as_of, as_of, as_of, as_of,  # where
    )  # fmt: skip
    due = {c: [_amount(v, d) for v in values] for c, *values in _fetch(due_sql, due_params)}
    late = {c: [_amount(v, d) for v in values] for c, *values in _fetch(late_sql, late_params)}
    written = _written_off(loans, date_from, as_of)
    by_currency = {}
    for currency in sorted(set(due) | set(written)):
        owed_period, owed_total, paid_period, paid_total, replaced_period, replaced_total = due.get(
            currency, [ZERO] * 6
        )
        after_as_of, after_due = late.get(currency, [ZERO, ZERO])
        in_period, to_date = written.get(currency, (ZERO, ZERO))
        by_currency[currency] = CurrencyRates(
            # A replaced schedule's installments are due at what was paid on them.
            on_time=Ratio(paid_period - after_due, owed_period + replaced_period),
            cumulative=Ratio(paid_total - after_as_of, owed_total + replaced_total),
            written_off_in_period=in_period,
            written_off_to_date=to_date,
        )
    return RepaymentRates(date_from, as_of, by_currency)


def _rates_from_days(
    organization: Organization, *, date_from: datetime.date, as_of: datetime.date
) -> RepaymentRates:
    """The organisation's repayment rates from the flows close of business kept per day in
    `PortfolioDay` (`tandir.cob.sql.upsert_flows`): every date of the period closed with them.
    The same figures `repayment_rates` computes from the schedules, except for a loan whose
    rescheduling took effect within the period: here its installments that fell due before
    count as they stood on their due date (docs/decisions.md, "Repayment rates")."""
    d = _dialect()
    day = _day(d)
    sql = f"""
SELECT p.currency, SUM({d.num("p.fell_due")}), SUM({d.num("p.paid_on_time")}),
  SUM(CASE WHEN p.business_date = {day} THEN {d.num("p.fell_due_to_date")} ELSE 0 END),
  SUM(CASE WHEN p.business_date = {day} THEN {d.num("p.collected_to_date")} ELSE 0 END)
FROM cob_portfolioday p
WHERE p.organization_id = %s AND p.business_date BETWEEN {day} AND {day}
GROUP BY p.currency"""
    flows = {
        currency: [_amount(v, d) for v in values]
        for currency, *values in _fetch(sql, (as_of, as_of, organization.pk, date_from, as_of))
    }
    written = _written_off(Loan.objects.filter(organization=organization), date_from, as_of)
    by_currency = {}
    for currency in sorted(set(flows) | set(written)):
        fell_due, on_time, due_to_date, collected = flows.get(currency, [ZERO] * 4)
        in_period, to_date = written.get(currency, (ZERO, ZERO))
        by_currency[currency] = CurrencyRates(
            on_time=Ratio(on_time, fell_due),
            cumulative=Ratio(collected, due_to_date),
            written_off_in_period=in_period,
            written_off_to_date=to_date,
        )
    return RepaymentRates(date_from, as_of, by_currency)


def _written_off(
    loans: QuerySet[Loan], date_from: datetime.date, as_of: datetime.date
) -> dict[str, tuple[Decimal, Decimal]]:
    """Principal written off per currency: in [date_from, as_of], and by as_of."""
    d = _dialect()
    ids_sql, ids_params = _loan_ids_sql(loans)
    day = _day(d)
    principal = d.num("l.written_off_principal")
    sql = f"""
SELECT l.currency,
  SUM(CASE WHEN l.closed_on >= {day} THEN {principal} ELSE 0 END), SUM({principal})
FROM lending_loan l
WHERE l.id IN ({ids_sql}) AND l.status = 'written_off' AND l.closed_on <= {day}
GROUP BY l.currency
"""
    return {
        currency: (_amount(in_period, d), _amount(to_date, d))
        for currency, in_period, to_date in _fetch(sql, (date_from, *ids_params, as_of))
    }


# --- The report ------------------------------------------------------------------------------


def is_closed(organization: Organization, day: datetime.date) -> bool:
    """True when close of business finished the date: its snapshots are the record of it."""
    return bool(_closed_runs(organization, day, day))


def default_from(as_of: datetime.date) -> datetime.date:
    """The period when none is given: the calendar month of the date."""
    return as_of.replace(day=1)


def _selection(
    organization: Organization, branch_ids: Iterable[int] | None, loans: QuerySet[Loan] | None
) -> QuerySet[Loan]:
    selected = Loan.objects.filter(organization=organization)
    if branch_ids is not None:
        selected = selected.filter(branch_id__in=list(branch_ids))
    if loans is not None:
        selected = selected.filter(pk__in=loans.order_by().values("pk"))
    return selected


def portfolio_report(
    organization: Organization,
    *,
    as_of: datetime.date,
    date_from: datetime.date | None = None,
    branch_ids: Iterable[int] | None = None,
    loans: QuerySet[Loan] | None = None,
    group_by: Sequence[str] | str | None = None,
) -> PortfolioReport:
    """The organisation's portfolio quality on `as_of` per currency, the flows of the period
    [date_from, as_of] (the calendar month of `as_of` by default), and the breakdowns asked
    for by `group_by` (names from `DIMENSIONS`). `branch_ids` and `loans` narrow the loans: a
    branch manager's branches, a project's loans."""
    date_from = date_from or default_from(as_of)
    if date_from > as_of:
        raise ValueError("the period starts after it ends")
    branch_list = None if branch_ids is None else [int(b) for b in branch_ids]
    dimensions = [group_by] if isinstance(group_by, str) else list(group_by or [])
    for dimension in dimensions:
        if dimension not in DIMENSIONS:
            raise ValueError(f"unknown dimension {dimension!r}")
    selected = _selection(organization, branch_list, loans)
    source, totals = stock(organization, as_of, branch_list, loans)
    before = as_of if date_from == as_of else date_from - datetime.timedelta(days=1)
    _, opening = stock(organization, before, branch_list, loans)
    closed = _closed_runs(organization, date_from, as_of)
    whole = branch_list is None and loans is None
    if whole and len(closed) == (as_of - date_from).days + 1 and all(closed.values()):
        rates = _rates_from_days(organization, date_from=date_from, as_of=as_of)
    else:
        rates = repayment_rates(selected, date_from=date_from, as_of=as_of)
    by_currency = {}
    no_rates = CurrencyRates(Ratio(ZERO, ZERO), Ratio(ZERO, ZERO), ZERO, ZERO)
    for currency in sorted(set(totals[""]) | set(rates.by_currency) | set(opening[""])):
        figures = totals[""].get(currency) or Figures(currency)
        start = opening[""].get(currency) or Figures(currency)
        by_currency[currency] = CurrencyReport(
            figures=figures,
            rates=rates.by_currency.get(currency, no_rates),
            average_glp=(start.gross_loan_portfolio + figures.gross_loan_portfolio) / 2,
        )
    report = PortfolioReport(organization, as_of, date_from, source, by_currency)
    for dimension in dimensions:
        if dimension == "month":
            report.groups[dimension] = _monthly(organization, date_from, as_of, branch_list, loans)
        else:
            _, cells = stock(organization, as_of, branch_list, loans, dimension=dimension)
            labels = _labels(dimension, cells)
            report.groups[dimension] = [
                GroupRow(dimension, key, labels.get(key, key), figures, source, as_of)
                for key in sorted(cells, key=lambda k: (labels.get(k, k) or "").lower())
                for _currency, figures in sorted(cells[key].items())
            ]
    return report


def month_ends(date_from: datetime.date, as_of: datetime.date) -> list[datetime.date]:
    """The last day of every month of the period, the last one cut at `as_of`."""
    days = []
    day = date_from
    while True:
        following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        end = following - datetime.timedelta(days=1)
        if end >= as_of:
            days.append(as_of)
            return days
        days.append(end)
        day = following


def _monthly(
    organization: Organization,
    date_from: datetime.date,
    as_of: datetime.date,
    branch_ids: list[int] | None,
    loans: QuerySet[Loan] | None,
) -> list[GroupRow]:
    rows = []
    for day in month_ends(date_from, as_of):
        source, cells = stock(organization, day, branch_ids, loans)
        for _currency, figures in sorted(cells[""].items()):
            rows.append(GroupRow("month", day.isoformat(), day.isoformat(), figures, source, day))
    return rows


# --- The stock on a date, from either source -------------------------------------------------

Cells = dict[str, dict[str, Figures]]  # category key -> currency -> figures


def stock(
    organization: Organization,
    day: datetime.date,
    branch_ids: list[int] | None = None,
    loans: QuerySet[Loan] | None = None,
    *,
    dimension: str | None = None,
) -> tuple[str, Cells]:
    """The active portfolio on a date by category of `dimension` ("" for the whole), and the
    source it came from. The whole organisation on a date closed with its sums per branch
    (`PortfolioDay`) reads those few hundred rows instead of the day's snapshots."""
    closed = _closed_runs(organization, day, day)
    if not closed:
        return "records", _from_records(organization, day, branch_ids, loans, dimension)
    if dimension is None and branch_ids is None and loans is None and all(closed.values()):
        return "snapshot", _from_days(organization, day)
    return "snapshot", _from_snapshots(organization, day, branch_ids, loans, dimension)


def _closed_runs(
    organization: Organization, first: datetime.date, last: datetime.date
) -> dict[datetime.date, bool]:
    """The dates of [first, last] close of business finished, each with whether its
    `PortfolioDay` rows hold the borrowers, buckets and repayment-rate flows."""
    return {
        day: FLOWS in (counts or {})
        for day, counts in CobRun.objects.filter(
            organization=organization,
            status=RunStatus.FINISHED,
            business_date__range=(first, last),
        ).values_list("business_date", "counts")
    }


def _from_days(organization: Organization, day: datetime.date) -> Cells:
    """The organisation's stock on a closed date from its `PortfolioDay` rows: one row per
    branch and currency, each borrower and officer counted in one branch only."""
    d = _dialect()
    columns = [
        "loans", "borrowers", "officers", "gross_loan_portfolio", "par1", "par30", "par90",
        *(column for pair in BUCKET_COLUMNS.values() for column in pair),
    ]  # fmt: skip
    amounts = {"gross_loan_portfolio", "par1", "par30", "par90"} | {
        amount for _loans, amount in BUCKET_COLUMNS.values()
    }
    sums = ", ".join(f"SUM({d.num('p.' + c) if c in amounts else 'p.' + c})" for c in columns)
    sql = f"""
SELECT p.currency, {sums}
FROM cob_portfolioday p
WHERE p.organization_id = %s AND p.business_date = {_day(d)} AND p.loans > 0
GROUP BY p.currency"""
    cells: Cells = {"": {}}
    for currency, *row in _fetch(sql, (organization.pk, day)):
        value = dict(zip(columns, row, strict=True))
        figures = Figures(
            currency,
            gross_loan_portfolio=_amount(value["gross_loan_portfolio"], d),
            active_loans=int(value["loans"]),
            active_borrowers=int(value["borrowers"]),
            officers=int(value["officers"]),
        )
        for n in PAR_DAYS:
            figures.par_numerators[n] = _amount(value[f"par{n}"], d)
        for bucket, (loans, amount) in BUCKET_COLUMNS.items():
            figures.bucket_loans[bucket] = int(value[loans])
            figures.bucket_balances[bucket] = _amount(value[amount], d)
        cells[""][currency] = figures
    return cells


_SNAPSHOT_KEYS = {
    None: ("''", ""),
    "branch": ("s.branch_id", ""),
    "officer": ("s.officer_id", ""),
    "product": ("s.product_id", ""),
    "sector": ("s.sector", ""),
    "sex": ("s.borrower_sex", ""),
    "district": ("b.district_id", "JOIN registry_beneficiary b ON b.id = l.beneficiary_id"),
    "target_group": ("tg.id", "JOIN core_targetgroup tg ON ({mask} & {bit}) <> 0"),
}


def _from_snapshots(
    organization: Organization,
    day: datetime.date,
    branch_ids: list[int] | None,
    loans: QuerySet[Loan] | None,
    dimension: str | None,
) -> Cells:
    """One GROUP BY over the day's range of the (organization, business_date) index."""
    d = _dialect()
    key, join = _SNAPSHOT_KEYS[dimension]
    join = join.format(mask="s.target_groups", bit=d.bit("tg.id"))
    balance = d.num("s.outstanding_principal")
    par = ",\n  ".join(
        f"SUM(CASE WHEN s.days_past_due > {n} OR s.renegotiated = TRUE THEN {balance} ELSE 0 END)"
        for n in PAR_DAYS
    )
    buckets = ",\n  ".join(
        f"SUM(CASE WHEN s.bucket = '{b}' THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN s.bucket = '{b}' THEN {balance} ELSE 0 END)"
        for b in BUCKETS
    )
    where = [f"s.organization_id = %s AND s.business_date = {_day(d)}"]
    params: list[Any] = [organization.pk, day]
    if branch_ids is not None:
        where.append(f"s.branch_id IN ({', '.join(str(int(b)) for b in branch_ids) or 'NULL'})")
    if loans is not None:
        ids_sql, ids_params = _loan_ids_sql(loans)
        where.append(f"s.loan_id IN ({ids_sql})")
        params.extend(ids_params)
    sql = f"""
SELECT {key} AS category, s.currency, COUNT(*), COUNT(DISTINCT l.beneficiary_id),
  COUNT(DISTINCT s.officer_id), SUM({balance}),
  {par},
  {buckets}
FROM cob_loansnapshot s
JOIN lending_loan l ON l.id = s.loan_id
{join}
WHERE {" AND ".join(where)}
GROUP BY {"" if dimension is None else key + ", "}s.currency
"""
    cells: Cells = {"": {}} if dimension is None else {}
    for row in _fetch(sql, params):
        category, currency, count, borrowers, officers, glp = row[:6]
        figures = Figures(
            currency,
            gross_loan_portfolio=_amount(glp, d),
            active_loans=int(count),
            active_borrowers=int(borrowers),
            officers=int(officers),
        )
        for n, value in zip(PAR_DAYS, row[6:9], strict=True):
            figures.par_numerators[n] = _amount(value, d)
        rest = row[9:]
        for i, name in enumerate(BUCKETS):
            figures.bucket_loans[name] = int(rest[2 * i] or 0)
            figures.bucket_balances[name] = _amount(rest[2 * i + 1], d)
        cells.setdefault("" if category is None else str(category), {})[currency] = figures
    return cells


def _from_records(
    organization: Organization,
    day: datetime.date,
    branch_ids: list[int] | None,
    loans: QuerySet[Loan] | None,
    dimension: str | None,
) -> Cells:
    """Every loan recomputed as of the date, summed by category (`portfolio_as_of`)."""
    positions = [
        p
        for p in portfolio_as_of(day, organization_id=organization.pk).loans
        if p.status == LoanStatus.ACTIVE
    ]
    selected = _selection(organization, branch_ids, loans).filter(
        reference__in=[p.loan_ref for p in positions]
    )
    facts = _loan_facts(selected, dimension)
    cells: Cells = {"": {}} if dimension is None else {}
    borrowers: dict[tuple[str, str], set[int]] = defaultdict(set)
    officers: dict[tuple[str, str], set[int]] = defaultdict(set)
    for position in positions:
        fact = facts.get(position.loan_ref)
        if fact is None:  # outside the selection
            continue
        beneficiary_id, officer_id, categories = fact
        for category in categories:
            figures = cells.setdefault(category, {}).setdefault(
                position.currency, Figures(position.currency)
            )
            figures.gross_loan_portfolio += position.outstanding_principal
            figures.active_loans += 1
            borrowers[category, position.currency].add(beneficiary_id)
            if officer_id is not None:
                officers[category, position.currency].add(officer_id)
            for n in PAR_DAYS:
                if position.days_past_due > n or position.renegotiated:
                    figures.par_numerators[n] += position.outstanding_principal
            figures.bucket_loans[position.bucket] += 1
            figures.bucket_balances[position.bucket] += position.outstanding_principal
    for category, by_currency in cells.items():
        for currency, figures in by_currency.items():
            figures.active_borrowers = len(borrowers[category, currency])
            figures.officers = len(officers[category, currency])
    return cells


_RECORD_KEYS = {
    "branch": "branch_id",
    "officer": "officer_id",
    "product": "product_version__product_id",
    "sector": "sector",
    "sex": "beneficiary__sex",
    "district": "beneficiary__district_id",
}


def _loan_facts(
    selected: QuerySet[Loan], dimension: str | None
) -> dict[str, tuple[int, int | None, list[str]]]:
    """Each loan's borrower, officer and categories of the dimension, by reference."""
    if dimension == "target_group":
        groups: dict[int, list[str]] = defaultdict(list)
        from tandir.registry.models import BeneficiaryTargetGroup

        for beneficiary_id, group_id in BeneficiaryTargetGroup.objects.filter(
            beneficiary_id__in=selected.values("beneficiary_id")
        ).values_list("beneficiary_id", "targetgroup_id"):
            groups[beneficiary_id].append(str(group_id))
        return {
            ref: (beneficiary_id, officer_id, groups.get(beneficiary_id, []))
            for ref, beneficiary_id, officer_id in selected.values_list(
                "reference", "beneficiary_id", "officer_id"
            )
        }
    column = _RECORD_KEYS.get(dimension or "")
    if column is None:
        return {
            ref: (beneficiary_id, officer_id, [""])
            for ref, beneficiary_id, officer_id in selected.values_list(
                "reference", "beneficiary_id", "officer_id"
            )
        }
    return {
        ref: (beneficiary_id, officer_id, ["" if key is None else str(key)])
        for ref, beneficiary_id, officer_id, key in selected.values_list(
            "reference", "beneficiary_id", "officer_id", column
        )
    }


def _labels(dimension: str, cells: Cells) -> dict[str, str]:
    """What each category key is called (one query for the dimensions that are rows)."""
    from tandir.core.models import TargetGroup
    from tandir.lending.models import LoanProduct, Sector
    from tandir.orgs.models import Branch, District, StaffUser
    from tandir.registry.models import Sex

    keys = [k for k in cells if k]
    ids = [int(k) for k in keys if k.isdigit()]
    if dimension == "branch":
        return {
            str(pk): name
            for pk, name in Branch.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    if dimension == "product":
        return {
            str(pk): name
            for pk, name in LoanProduct.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    if dimension == "district":
        return {
            str(pk): name
            for pk, name in District.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    if dimension == "target_group":
        return {
            str(pk): name
            for pk, name in TargetGroup.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    if dimension == "officer":
        labels = {
            str(user.pk): user.get_full_name() or user.username
            for user in StaffUser.objects.filter(pk__in=ids).only(
                "username", "first_name", "last_name"
            )
        }
        labels[""] = "—"
        return labels
    if dimension == "sector":
        return {k: str(Sector(k).label) if k in Sector.values else k for k in keys}
    if dimension == "sex":
        return {k: str(Sex(k).label) if k in Sex.values else k for k in keys}
    return {}


# --- The loans behind PAR ----------------------------------------------------------------------


@dataclass(frozen=True)
class LoanAtRisk:
    loan_id: int
    reference: str
    branch: str
    currency: str
    outstanding_principal: Decimal
    days_past_due: int
    renegotiated: bool


def loans_at_risk(
    organization: Organization,
    *,
    as_of: datetime.date,
    days: int = 30,
    loans: QuerySet[Loan] | None = None,
) -> tuple[str, list[LoanAtRisk]]:
    """The loans PAR_days counts on the date (more than `days` past due, or renegotiated),
    most outstanding first, from the same source as the report. `loans` narrows them (the
    loans the reader may see)."""
    if is_closed(organization, as_of):
        from tandir.cob.models import LoanSnapshot

        rows = LoanSnapshot.objects.filter(organization=organization, business_date=as_of).filter(
            Q(days_past_due__gt=days) | Q(renegotiated=True)
        )
        if loans is not None:
            rows = rows.filter(loan_id__in=loans.order_by().values("pk"))
        found = [
            LoanAtRisk(pk, ref, branch, currency, amount, dpd, renegotiated)
            for pk, ref, branch, currency, amount, dpd, renegotiated in rows.order_by(
                "-outstanding_principal", "loan__reference"
            ).values_list(
                "loan_id",
                "loan__reference",
                "branch__name",
                "currency",
                "outstanding_principal",
                "days_past_due",
                "renegotiated",
            )
        ]
        return "snapshot", found
    positions = {
        p.loan_ref: p
        for p in portfolio_as_of(as_of, organization_id=organization.pk).loans
        if p.status == LoanStatus.ACTIVE and (p.days_past_due > days or p.renegotiated)
    }
    selected = _selection(organization, None, loans).filter(reference__in=list(positions))
    found = []
    for pk, ref, branch in selected.values_list("pk", "reference", "branch__name"):
        p = positions[ref]
        found.append(
            LoanAtRisk(
                pk, ref, branch, p.currency, p.outstanding_principal, p.days_past_due,
                p.renegotiated,
            )
        )  # fmt: skip
    found.sort(key=lambda row: (-row.outstanding_principal, row.reference))
    return "records", found
