"""Benchmark of close of business on a database filled by `tandir synth --loans N`.

Run: TANDIR_DATABASE_URL=postgres://tandir:tandir@127.0.0.1:54400/tandir_synth \\
         .venv/bin/python bench/bench_cob.py [--organization NAME] [--date YYYY-MM-DD]
         [--chunk 50000] [--no-explain] [--no-write]

Closes one business date for the organisation (the day after the last one closed; on a
database never closed, `--date`, e.g. the day after synth's `as_of`) through the real action
(`tandir.cob.actions.close_day`), and prints the wall-clock time of each step as the run
recorded it. On PostgreSQL it then prints `EXPLAIN (ANALYZE, BUFFERS)` of the statements of the
slowest steps over the first chunk, run inside a transaction that is rolled back (ANALYZE
executes them). Each figure is one run on a shared machine: the load average is printed beside.

The figures (and the plans) also go into the close-of-business section of docs/benchmarks.md,
one part per portfolio size and kind of date (the first date ever closed, with the backlog of
penalties it charges, or a daily one), replacing only that part; `--no-write` only prints.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandir.settings")


ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "benchmarks.md"
START_MARK = "<!-- bench_cob:start -->"
END_MARK = "<!-- bench_cob:end -->"
HEADER = [
    "## Close of business (`bench/bench_cob.py`)",
    "",
    "One business date closed through the real action (`tandir.cob.actions.close_day`) on a",
    "database built by `bench/bench_synth.py --loans N --as-of D` (PostgreSQL 15 on this 2-core",
    "machine, shared_buffers 2GB, work_mem 64MB, fsync off). The first date after `D` charges",
    "the whole backlog of penalties synth's late borrowers have run up; the dates after it are",
    "what a nightly run does. Each part below is one run; `bench/README.md` says how to run it.",
]
# The statement whose plan shows where each step's time goes.
STEP_PLANS = {
    "penalties": "penalty candidates",
    "arrears": "arrears",
    "accruals": "accrual candidates",
    "snapshot": "snapshot",
}


class Rollback(Exception):
    pass


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_part(key: str, part: list[str]) -> None:
    """Replace this size and kind of date's part of the section; keep the others."""
    text = REPORT.read_text() if REPORT.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(START_MARK) + r".*?" + re.escape(END_MARK), re.S)
    match = pattern.search(text)
    sub = re.compile(r"<!-- bench_cob:([\w-]+):start -->.*?<!-- bench_cob:\1:end -->", re.S)
    parts = (
        {found.group(1): found.group(0) for found in sub.finditer(match.group(0))} if match else {}
    )
    parts[key] = "\n".join(
        [f"<!-- bench_cob:{key}:start -->", *part, f"<!-- bench_cob:{key}:end -->"]
    )
    ordered = sorted(parts, key=lambda k: (int(k.split("-")[0]), k.split("-")[1] != "first"))
    section = "\n".join([START_MARK, *HEADER, *(f"\n{parts[k]}" for k in ordered), "", END_MARK])
    if match:
        text = text[: match.start()] + section + text[match.end() :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    REPORT.write_text(text.rstrip("\n") + "\n")


def _explain(officer: Any, organization: Any, run: Any) -> dict[str, list[str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of the slow steps' statements over the first chunk, each
    inside a transaction that is rolled back."""
    from django.db import connection, transaction

    from tandir.cob import actions as cob
    from tandir.cob import sql
    from tandir.cob.locks import lock_chunk

    dialect = cob._dialect(organization.pk)
    params = cob._params(run, officer, lo=1, hi=lock_chunk(organization.pk, 1, cob.CHUNK) or 1)
    selection = sql.Selection()
    # The arrears as the run did them: every loan, or (a date after one closed) the loans
    # whose state can have changed, then the others' days past due moved on.
    arrears = [sql.delete_arrears(selection), sql.insert_arrears(dialect, selection)]
    aged: list[str] = []
    before = cob.date_before(run)
    if before is not None:
        params["started"] = connection.ops.adapt_datetimefield_value(before.started_at)
        dirty = sql.Selection(dirty=True)
        marked = [sql.DIRTY_WORK, "DELETE FROM cob_dirty_work", sql.dirty_loans(dialect)]
        arrears = [*marked, sql.delete_arrears(dirty), sql.insert_arrears(dialect, dirty)]
        aged = [*marked, sql.age_arrears(dialect)]
    statements = {
        "penalty candidates": [sql.PENALTY_WORK, sql.penalty_candidates(dialect, selection)],
        "arrears": arrears,
        "accrual candidates": [sql.ACCRUAL_WORK, sql.accrual_candidates(dialect, selection)],
        "snapshot": [sql.delete_snapshots(selection), sql.insert_snapshots(dialect, selection)],
    }
    if aged:
        statements["days past due moved on"] = aged
    plans = {}
    for name, parts in statements.items():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                for statement in [*sql.JIT_SETTINGS, *parts[:-1]]:
                    cursor.execute(statement, params)
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + parts[-1], params)
                plans[name] = [line for (line,) in cursor.fetchall()]
                raise Rollback
        except Rollback:
            pass
    return plans


def main() -> int:
    import django

    django.setup()
    from django.db import connection

    from tandir.cob import actions as cob
    from tandir.lending.models import Loan
    from tandir.orgs.models import Organization, StaffUser

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organization")
    parser.add_argument("--date", type=datetime.date.fromisoformat)
    parser.add_argument("--chunk", type=int, default=cob.CHUNK)
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only")
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
    first = last is None
    load_before = os.getloadavg()
    print(f"load average before: {load_before}")
    started = time.monotonic()
    run = cob.close_day(officer, organization, on=day)
    total = time.monotonic() - started
    for step, seconds in run.timings.items():
        print(f"  {step:<12} {seconds:8.2f} s   {run.counts.get(step, '')}")
    print(f"  {'total':<12} {total:8.2f} s")
    if cob.RECOMPUTED in run.counts:
        print(f"  loans recomputed by the arrears step: {run.counts[cob.RECOMPUTED]:,}")
    load_after = os.getloadavg()
    print(f"load average after: {load_after}")
    plans: dict[str, list[str]] = {}
    if not options.no_explain and connection.vendor == "postgresql":
        plans = _explain(officer, organization, run)
        for name, plan in plans.items():
            print(f"\n-- EXPLAIN (ANALYZE, BUFFERS) {name}, first chunk")
            print("\n".join(plan))
    if options.no_write:
        return 0
    size = round(loans, -3) if loans < 1_000_000 else round(loans, -4)
    kind = "first" if first else "daily"
    loads = ", ".join(f"{x:.1f}" for x in load_before)
    part = [
        f"### {size:,} active loans, {'the first date closed' if first else 'a daily date'}"
        f" ({day})",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} CPUs ({platform.machine()}),"
        f" {connection.vendor}, code at commit {_commit()}; {loans:,} active loans, chunks of"
        f" {cob.CHUNK:,} loans; load average {loads} before the run,"
        f" {load_after[0]:.1f} after.",
        "",
        "| Step | Seconds | Rows |",
        "|---|---:|---:|",
        *(
            f"| {step} | {seconds:.2f} | {run.counts.get(step, '')} |"
            for step, seconds in run.timings.items()
        ),
        f"| **total** | **{total:.2f}** | |",
    ]
    if cob.RECOMPUTED in run.counts and not first:
        part += [
            "",
            f"The arrears step recomputed {run.counts[cob.RECOMPUTED]:,} loans (those whose state"
            " can have changed since the date before); the others' days past due moved on.",
        ]
    if plans:
        slowest = max((s for s in run.timings if s in STEP_PLANS), key=lambda s: run.timings[s])
        name = STEP_PLANS[slowest]
        part += [
            "",
            f"<details><summary>EXPLAIN (ANALYZE, BUFFERS) of the {name} statement, first"
            " chunk</summary>",
            "",
            "```",
            *plans[name],
            "```",
            "</details>",
        ]
    write_part(f"{size}-{kind}", part)
    print(f"wrote {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
