"""Benchmark of the portfolio report (`tandir.reports.portfolio.portfolio_report`) for an
organisation as of a past, closed date, on a database filled by `tandir synth --loans N`.

Run: TANDIR_DATABASE_URL=postgres://tandir:tandir@127.0.0.1:54400/tandir_synth \\
         .venv/bin/python bench/bench_reports.py [--organization NAME] [--as-of YYYY-MM-DD]
         [--runs 5] [--records] [--no-explain]

The date must have been closed (`bench/bench_cob.py` closes the day after synth's `as_of`);
without `--as-of` the last closed date is used. Prints the best and median wall-clock time of
`runs` reports from the snapshots (the target: 1 s at 1,000,000 loans), the time of each part
(the stock on the date and on the day before the period, the repayment rates), and on
PostgreSQL `EXPLAIN (ANALYZE, BUFFERS)` of the snapshot GROUP BY and the repayment-rate query.
`--records` also times the same date recomputed from the records (the path a date that was never
closed takes). Each figure is one run on a shared machine: the load average is printed beside.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandir.settings")


ONE_DAY = datetime.timedelta(days=1)


def _timed(work: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main() -> int:
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Max

    from tandir.cob.models import CobRun, RunStatus
    from tandir.lending.models import Loan
    from tandir.orgs.models import Organization
    from tandir.reports import portfolio

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organization")
    parser.add_argument("--as-of", dest="as_of", type=datetime.date.fromisoformat)
    parser.add_argument("--from", dest="date_from", type=datetime.date.fromisoformat)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--records", action="store_true")
    parser.add_argument("--no-explain", action="store_true")
    options = parser.parse_args()
    lending = Loan.objects.filter(disbursed_on__isnull=False).values("organization_id")
    organizations = Organization.objects.filter(pk__in=lending)
    if options.organization:
        organizations = organizations.filter(short_name__iexact=options.organization)
    organization = organizations.order_by("pk").first()
    if organization is None:
        print("no organisation with loans: run `tandir synth --loans N` first")
        return 1
    as_of = (
        options.as_of
        or CobRun.objects.filter(organization=organization, status=RunStatus.FINISHED).aggregate(
            day=Max("business_date")
        )["day"]
    )
    if as_of is None or not portfolio.is_closed(organization, as_of):
        print("the date is not closed: run bench/bench_cob.py first (or give a closed --as-of)")
        return 1
    # The report reads the stock on the day before the period too (the write-off ratio's
    # average portfolio); on the first day of a month the period is that day alone. A
    # portfolio closed only for its last few days (synth's) has no snapshot of the day before
    # the month, which would be recomputed from the records: the period then starts the day
    # after the first date closed.
    date_from = options.date_from or portfolio.default_from(as_of)
    before = as_of if date_from == as_of else date_from - datetime.timedelta(days=1)
    if options.date_from is None and not portfolio.is_closed(organization, before):
        first = CobRun.objects.filter(organization=organization, status=RunStatus.FINISHED)
        date_from = min(first.order_by("business_date")[0].business_date + ONE_DAY, as_of)
        before = as_of if date_from == as_of else date_from - ONE_DAY
    loans = Loan.objects.filter(organization=organization).count()
    print(f"{connection.vendor}, {organization}: {loans:,} loans, as of {as_of}, from {date_from}")
    print(f"load average before: {os.getloadavg()}")
    times = []
    report = None
    for _ in range(options.runs):
        seconds, report = _timed(
            lambda: portfolio.portfolio_report(organization, as_of=as_of, date_from=date_from)
        )
        times.append(seconds)
    assert report is not None
    print(
        f"  portfolio report (source {report.source}): best {min(times):.3f} s, "
        f"median {statistics.median(times):.3f} s over {len(times)} runs"
    )
    parts = {
        "stock on the date": lambda: portfolio.stock(organization, as_of),
        f"stock on {before}": lambda: portfolio.stock(organization, before),
        "repayment rates": lambda: portfolio.repayment_rates(
            Loan.objects.filter(organization=organization), date_from=date_from, as_of=as_of
        ),
        "branch breakdown": lambda: portfolio.stock(organization, as_of, dimension="branch"),
    }
    for name, work in parts.items():
        seconds, _result = _timed(work)
        print(f"    {name:<24} {seconds:8.3f} s")
    for currency, cur in sorted(report.by_currency.items()):
        f = cur.figures
        print(
            f"  {currency}: GLP {f.gross_loan_portfolio:,.2f}, {f.active_loans:,} loans, "
            f"PAR30 {portfolio.percent_text(f.par[30])} %, "
            f"on time {portfolio.percent_text(cur.rates.on_time)} %, "
            f"cumulative {portfolio.percent_text(cur.rates.cumulative)} %"
        )
    if options.records:
        seconds, _result = _timed(
            lambda: portfolio._from_records(organization, as_of, None, None, None)
        )
        print(f"  the same date recomputed from the records: {seconds:.1f} s")
    print(f"load average after: {os.getloadavg()}")
    if options.no_explain or connection.vendor != "postgresql":
        return 0
    captured: list[tuple[str, list[Any]]] = []
    original = portfolio._fetch

    def capture(sql: str, params: Any) -> list[tuple[Any, ...]]:
        captured.append((sql, list(params)))
        return original(sql, params)

    portfolio._fetch = capture
    try:
        portfolio.stock(organization, as_of)
        portfolio.repayment_rates(
            Loan.objects.filter(organization=organization), date_from=date_from, as_of=as_of
        )
    finally:
        portfolio._fetch = original
    for name, (sql, params) in zip(
        ("snapshot GROUP BY", "repayment rates"), captured, strict=False
    ):
        print(f"\n-- EXPLAIN (ANALYZE, BUFFERS) {name}")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            for (line,) in cursor.fetchall():
                print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
