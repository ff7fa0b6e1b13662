"""Benchmark of close of business on a database filled by `tandir synth --loans N`.

Run: TANDIR_DATABASE_URL=postgres://tandir:tandir@127.0.0.1:54400/tandir_synth \\
         .venv/bin/python bench/bench_cob.py [--organization NAME] [--date YYYY-MM-DD]
         [--chunk 50000] [--no-explain]

Closes one business date for the organisation (the day after the last one closed; on a
database never closed, `--date`, e.g. the day after synth's `as_of`) through the real action
(`tandir.cob.actions.close_day`), and prints the wall-clock time of each step as the run
recorded it. On PostgreSQL it then prints `EXPLAIN (ANALYZE, BUFFERS)` of the statements of the
slowest steps over the first chunk, run inside a transaction that is rolled back (ANALYZE
executes them). Each figure is one run on a shared machine: the load average is printed beside.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandir.settings")


class Rollback(Exception):
    pass


def main() -> int:
    import django

    django.setup()
    from django.db import connection, transaction

    from tandir.cob import actions as cob
    from tandir.cob import sql
    from tandir.lending.models import Loan
    from tandir.orgs.models import Organization, StaffUser

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organization")
    parser.add_argument("--date", type=datetime.date.fromisoformat)
    parser.add_argument("--chunk", type=int, default=cob.CHUNK)
    parser.add_argument("--no-explain", action="store_true")
    options = parser.parse_args()
    cob.CHUNK = options.chunk
    lending = Loan.objects.filter(disbursed_on__isnull=False).values("organization_id")
    organizations = Organization.objects.filter(pk__in=lending)
    if options.organization:
        organizations = organizations.filter(short_name__iexact=options.organization)
    organization = organizations.order_by("pk").first()
    if organization is None:
        print("no organisation with loans: run `tandir synth --loans N` first")
        return 1
    officer = StaffUser.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if officer is None:
        officer = StaffUser.objects.filter(organization=organization, role="administrator").first()
    assert officer is not None, "no administrator to run as"
    last = cob.last_closed(organization)
    day = last + datetime.timedelta(days=1) if last else options.date
    if day is None:
        print("nothing closed yet: give --date (the day after the synthetic portfolio's as_of)")
        return 1
    loans = Loan.objects.filter(organization=organization, status="active").count()
    print(f"{connection.vendor}, {organization}: {loans:,} active loans, business date {day}")
    print(f"load average before: {os.getloadavg()}")
    started = time.monotonic()
    run = cob.close_day(officer, organization, on=day)
    total = time.monotonic() - started
    for step, seconds in run.timings.items():
        print(f"  {step:<12} {seconds:8.2f} s   {run.counts.get(step, '')}")
    print(f"  {'total':<12} {total:8.2f} s")
    print(f"load average after: {os.getloadavg()}")
    if options.no_explain or connection.vendor != "postgresql":
        return 0
    dialect = cob._dialect(organization.pk)
    params = cob._params(run, officer, lo=1, hi=cob._chunk_end(organization.pk, 1) or 1)
    selection = sql.Selection()
    statements = {
        "penalty candidates": [sql.PENALTY_WORK, sql.penalty_candidates(dialect, selection)],
        "arrears": [sql.delete_arrears(selection), sql.insert_arrears(dialect, selection)],
        "accrual candidates": [sql.ACCRUAL_WORK, sql.accrual_candidates(dialect, selection)],
        "snapshot": [sql.delete_snapshots(selection), sql.insert_snapshots(dialect, selection)],
    }
    for name, parts in statements.items():
        print(f"\n-- EXPLAIN (ANALYZE, BUFFERS) {name}, first chunk")
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                for statement in parts[:-1]:
                    cursor.execute(statement, params)
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + parts[-1], params)
                for (line,) in cursor.fetchall():
                    print(line)
                raise Rollback
        except Rollback:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
