"""Benchmark of `tandir synth`: how long a synthetic national portfolio takes to build.

    TANDIR_DATABASE_URL=postgres://tandir:tandir@127.0.0.1:54400/tandir_synth100k \\
        .venv/bin/python bench/bench_synth.py --loans 100000 [--seed 1] [--as-of 2026-11-30] \\
        [--markdown bench-synth.md]

The database is migrated first if it has no tables (its migration time is printed apart); the
portfolio is built into it and kept, so close of business and the other benchmarks can run on
it. Prints the seconds of each phase, the rows written per table, the loans by status and, on
PostgreSQL, the database's size (`pg_database_size`) and each big table's.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandir.settings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--organization", default="synth")
    parser.add_argument("--as-of", dest="as_of", default="2026-11-30")
    parser.add_argument("--markdown", help="write the figures as a markdown section here")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tandir.demo.synth import build_synthetic_portfolio

    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if "lending_loan" not in tables:
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        say(f"migrate (empty database): {time.perf_counter() - started:.1f} s")
    load = os.getloadavg()
    started = time.perf_counter()
    cpu = time.process_time()
    report = build_synthetic_portfolio(
        args.loans,
        organization=args.organization,
        seed=args.seed,
        as_of=datetime.date.fromisoformat(args.as_of),
    )
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    end_load = os.getloadavg()
    vendor = connection.vendor
    version = ""
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("SELECT sqlite_version()")
            version = f"SQLite {cursor.fetchone()[0]}"
    say(f"## `tandir synth --loans {args.loans:,}` ({version})")
    say()
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    say(
        f"Measured {today} on {os.cpu_count()} CPUs "
        f"({platform.machine()}, Linux {platform.release()}), CPython {platform.python_version()}, "
        f"{version}; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1, 5, 15 min) "
        f"at the start and {end_load[0]:.1f} / {end_load[1]:.1f} / {end_load[2]:.1f} at the end. "
        f"One run, seed {args.seed}, business day {args.as_of}."
    )
    say()
    say(
        f"**{wall:.1f} s** wall clock ({args.loans / wall:,.0f} loans/s), {cpu:.1f} s of CPU "
        "in the Python process (the rest is the database server and waiting for it)."
    )
    say()
    say("| Phase | Seconds |")
    say("|---|---:|")
    for phase, seconds in report.seconds.items():
        say(f"| {phase} | {seconds:.1f} |")
    say()
    say("| Loans by status | Count |")
    say("|---|---:|")
    for status, count in sorted(report.statuses.items()):
        say(f"| {status} | {count:,} |")
    say()
    sizes: dict[str, int] = {}
    total_size = 0
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            total_size = cursor.fetchone()[0]
            for table in report.rows:
                cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                sizes[table] = cursor.fetchone()[0]
    say("| Table | Rows written | Seconds writing (COPY) | Size with indexes |")
    say("|---|---:|---:|---:|")
    total_rows = 0
    for table, count in sorted(report.rows.items(), key=lambda item: -item[1]):
        total_rows += count
        size = f"{sizes[table] / 2**20:,.0f} MiB" if table in sizes else ""
        written = report.write_seconds.get(table)
        spent = f"{written:.1f}" if written is not None else ""
        say(f"| {table} | {count:,} | {spent} | {size} |")
    say(f"| **all** | **{total_rows:,}** | {sum(report.write_seconds.values()):.1f} | |")
    say()
    if total_size:
        say(f"Database size after the run (`pg_database_size`): **{total_size / 2**30:.2f} GiB**.")
        say()
    say(f"{total_rows / wall:,.0f} rows/s over the whole run.")
    if args.markdown:
        Path(args.markdown).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
