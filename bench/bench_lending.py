"""Benchmark of lending at national scale: portfolio import, repayments, bank statements, the
portfolio as of a date.

Run: .venv/bin/python bench/bench_lending.py [--loans 100000] [--file-loans 10000]
         [--repayments 2000] [--statement-lines 10000]
         [--database-url postgres://user:pass@127.0.0.1:5432/tandir_bench] [--no-write]

The database is prepared as `bench_registry.py` does it (a temporary SQLite file by default; a
PostgreSQL database created for the run and dropped afterwards, or an existing empty one), and
the registry's own loader fills it with as many participants as there are loans (COPY on
PostgreSQL). Then, timed with a wall clock around the real code paths:

1. `tandir import loans`: the loans written as CSV files of `--file-loans` lines (mixed methods,
   12 to 24 monthly installments, disbursed over the last year) and each imported by
   `actions.import_portfolio` (the command's action: check, then the set-based write), one
   after the other; loans per second over all files. The check of the first file alone is
   timed too (it writes nothing).
2. Repayments: `--repayments` loans chosen at random, each paid its first installment through
   `actions.record_repayment` in its own transaction, one after the other; per second.
3. A bank statement of `--statement-lines` lines for other loans, checked and posted by
   `bank_statements.import_statement` (if that module works); lines per second.
4. `portfolio_as_of` over every loan.

Each figure is one run (the machine is shared; say so), with the load average before and after.
The results replace the lending section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
import random
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_registry as registry

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "benchmarks.md"
START_MARK = "<!-- bench_lending:start -->"
END_MARK = "<!-- bench_lending:end -->"
SEED = 20261202

IMPORT_GOAL = 2_000.0  # loans per second
REPAYMENT_GOAL = 300.0  # per second, sequentially, each its own transaction
STATEMENT_GOAL = 5_000.0  # lines per second

HEADER = [
    "loan_ref", "beneficiary", "branch", "officer", "method", "amount", "currency", "rate",
    "markup", "service_fee", "term", "frequency", "disbursed_on", "first_due", "grace_principal",
    "grace_interest", "day_count", "round_to", "rounding", "upfront_fee", "savings", "allocation",
    "sector", "purpose",
]  # fmt: skip
# Method, share of the loans, the rate, the rounding.
METHODS = [("declining", 0.6, "24"), ("flat", 0.25, "18"), ("equal-principal", 0.15, "20")]
SECTORS = ["trade", "services", "agriculture", "livestock", "manufacturing", "crafts"]


@dataclass
class Figure:
    what: str
    count: int
    seconds: float
    unit: str
    goal: float | None = None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


class Figures(list[Figure]):
    """The figures of a run, each printed as soon as it is measured."""

    def append(self, figure: Figure) -> None:
        print(f"  {figure.what}: {figure.count:,} in {figure.seconds:.1f} s, "
              f"{figure.rate:,.0f} {figure.unit}")  # fmt: skip
        super().append(figure)


@dataclass
class Results:
    vendor: str
    loans: int
    people_seconds: float = 0.0
    figures: Figures = field(default_factory=Figures)
    notes: list[str] = field(default_factory=list)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    code: str = ""


def staff(world: Any) -> tuple[Any, Any]:
    from tandir.orgs.models import Role, StaffUser

    admin = StaffUser.objects.create_user(
        username="bench.admin", password=None, organization=world.organization,
        role=Role.ADMINISTRATOR,
    )  # fmt: skip
    accountant = StaffUser.objects.create_user(
        username="bench.accountant", password=None, organization=world.organization,
        role=Role.ACCOUNTANT,
    )  # fmt: skip
    return admin, accountant


def _patch_registry_loader(organization_id: int) -> None:
    """The registry benchmark's COPY lists the columns the registry had when it was written;
    NOT NULL columns added since (a person's `id_document`, the organisation of target-group
    rows, a consent's withdrawal reason) get what Django would write: the field's default, an
    empty text, or the run's one organisation."""
    from django.db import models

    original = registry.Writer.write
    if getattr(original, "patched", False):
        return

    def write(self: Any, model: Any, fields: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        given = set(fields)
        extra: list[tuple[str, Any]] = []
        for f in model._meta.concrete_fields:
            if f.primary_key or f.null or f.name in given or f.attname in given:
                continue
            if f.attname == "organization_id":
                extra.append((f.attname, organization_id))
            elif f.has_default():
                extra.append((f.attname, f.get_default()))
            elif isinstance(f, models.CharField | models.TextField):
                extra.append((f.attname, ""))
        if extra:
            fields = [*fields, *(name for name, _value in extra)]
            rows = [(*row, *(value for _name, value in extra)) for row in rows]
        original(self, model, fields, rows)

    write.patched = True  # type: ignore[attr-defined]
    registry.Writer.write = write  # type: ignore[method-assign]


def people_for_loans(world: Any) -> list[tuple[str, str]]:
    """(beneficiary cell, branch code) of everyone who may borrow: an ID or a phone, consent."""
    from tandir.registry.models import Beneficiary

    codes = {branch.pk: code for code, branch in world.branches.items()}
    found = (
        Beneficiary.objects.filter(
            organization=world.organization,
            merged_into=None,
            consents__programme_use=True,
            consents__withdrawn_on=None,
        )
        .order_by("pk")
        .values_list("national_id", "phone", "branch_id")
    )
    return [(nid or phone, codes[branch]) for nid, phone, branch in found if nid or phone]


def write_portfolio(
    folder: Path, people: list[tuple[str, str]], loans: int, per_file: int, today: datetime.date
) -> list[Path]:
    rng = random.Random(SEED)
    methods, weights = [m for m, _w, _r in METHODS], [w for _m, w, _r in METHODS]
    rates = {m: r for m, _w, r in METHODS}
    paths = []
    for start in range(0, loans, per_file):
        path = folder / f"portfolio-{start // per_file + 1:02d}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(HEADER)
            for index in range(start, min(loans, start + per_file)):
                beneficiary, branch = people[index % len(people)]
                method = rng.choices(methods, weights)[0]
                disbursed = today - datetime.timedelta(days=rng.randrange(40, 365))
                row = {
                    "loan_ref": f"OLD-{index + 1:07d}",
                    "beneficiary": beneficiary,
                    "branch": branch,
                    "method": method,
                    "amount": str(rng.randrange(20, 300) * 10_000),
                    "currency": "AMD",
                    "rate": rates[method],
                    "term": str(rng.choice([12, 12, 12, 18, 24])),
                    "disbursed_on": disbursed.isoformat(),
                    "round_to": "10",
                    "upfront_fee": "1%" if rng.random() < 0.3 else "",
                    "sector": rng.choice(SECTORS),
                    "purpose": "Working capital",
                }
                writer.writerow([row.get(column, "") for column in HEADER])
        paths.append(path)
    return paths


def measure_import(admin: Any, paths: list[Path], loans: int, results: Results) -> None:
    from tandir.core.audit import channel
    from tandir.lending.actions import import_portfolio
    from tandir.lending.portfolio_import import check_portfolio

    with channel("import"):
        start = time.perf_counter()
        checked = check_portfolio(admin, paths[0])
        check_seconds = time.perf_counter() - start
        assert not checked.errors, checked.errors[:5]
        results.figures.append(
            Figure(
                f"check of one file of {len(checked.loans):,} loans (reads, writes nothing)",
                len(checked.loans), check_seconds, "loans/s",
            )
        )  # fmt: skip
        total = 0.0
        rates = []
        for number, path in enumerate(paths, 1):
            start = time.perf_counter()
            result = import_portfolio(admin, path)
            seconds = time.perf_counter() - start
            assert not result.errors, result.errors[:5]
            total += seconds
            print(f"  file {number}/{len(paths)}: {result.imported:,} loans in {seconds:.1f} s")
            rates.append(f"{result.imported / seconds:,.0f}")
    results.notes.append(
        "Import, loans per second file by file (the machine's load changes during the run): "
        + ", ".join(rates)
        + "."
    )
    results.figures.append(
        Figure(
            f"`tandir import loans`: {loans:,} loans in {len(paths)} files, check and write",
            loans, total, "loans/s", IMPORT_GOAL,
        )
    )  # fmt: skip


def first_installments(loan_ids: list[int]) -> dict[int, tuple[str, datetime.date, Decimal]]:
    from tandir.lending.models import Installment

    found = Installment.objects.filter(loan_id__in=loan_ids, number=1).values_list(
        "loan_id", "loan__reference", "due_date", "principal", "charge", "fees", "savings"
    )
    return {
        loan: (reference, due, principal + charge + fees + savings)
        for loan, reference, due, principal, charge, fees, savings in found
    }


def measure_repayments(accountant: Any, loan_ids: list[int], results: Results) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tandir.lending import actions
    from tandir.lending.models import Loan

    firsts = first_installments(loan_ids)
    loans = {loan.pk: loan for loan in Loan.objects.filter(pk__in=loan_ids)}
    counted = CaptureQueriesContext(connection)
    start = time.perf_counter()
    for number, loan_id in enumerate(loan_ids):
        _reference, due, amount = firsts[loan_id]
        if number == 0:
            with counted:
                actions.record_repayment(
                    accountant,
                    loans[loan_id],
                    amount=amount,
                    value_date=due,
                    reference=f"bench-{loan_id}",
                )
        else:
            actions.record_repayment(
                accountant,
                loans[loan_id],
                amount=amount,
                value_date=due,
                reference=f"bench-{loan_id}",
            )
    seconds = time.perf_counter() - start
    results.figures.append(
        Figure(
            f"repayments through `actions.record_repayment`, one per transaction, sequential "
            f"({len(loan_ids):,} loans, first installment each)",
            len(loan_ids), seconds, "repayments/s", REPAYMENT_GOAL,
            f"{len(counted.captured_queries)} SQL statements for one repayment",
        )
    )  # fmt: skip


def measure_statement(accountant: Any, loan_ids: list[int], folder: Path, results: Results) -> None:
    firsts = first_installments(loan_ids)
    path = folder / "statement.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["value_date", "loan_ref", "amount", "bank_ref"])
        for loan_id in loan_ids:
            reference, due, amount = firsts[loan_id]
            writer.writerow([due.isoformat(), reference, f"{amount:.2f}", f"BANK-{loan_id}"])
    try:
        from tandir.core.audit import channel
        from tandir.lending.bank_statements import import_statement
    except ImportError as error:
        results.notes.append(f"Bank statement import not measured: {error}.")
        return
    try:
        with channel("import"):
            start = time.perf_counter()
            result = import_statement(accountant, path)
            seconds = time.perf_counter() - start
    except Exception as error:  # another helper's module, measured if it works
        results.notes.append(f"Bank statement import not measured: {type(error).__name__}: {error}")
        return
    if result.errors:
        results.notes.append(
            f"Bank statement import refused the file: {'; '.join(map(str, result.errors[:3]))}"
        )
        return
    results.figures.append(
        Figure(
            f"bank statement: {len(loan_ids):,} lines checked and posted "
            "(`bank_statements.import_statement`)",
            len(loan_ids), seconds, "lines/s", STATEMENT_GOAL,
        )
    )  # fmt: skip


def measure_portfolio(world: Any, loans: int, results: Results) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tandir.lending.portfolio import portfolio_as_of

    with CaptureQueriesContext(connection) as counted:
        start = time.perf_counter()
        portfolio = portfolio_as_of(timezone.localdate(), organization_id=world.organization.pk)
        seconds = time.perf_counter() - start
    results.figures.append(
        Figure(
            f"`tandir portfolio` as of today over {len(portfolio.loans):,} loans (no output)",
            len(portfolio.loans), seconds, "loans/s", None,
            f"{len(counted.captured_queries)} SQL statements",
        )
    )  # fmt: skip


def measure_loan_page(accountant: Any, loan_id: int, results: Results, runs: int = 15) -> None:
    """The loan page of one loan paid in 500 small payments (so 500 transactions and their
    ledger entries), read by the accountant (who sees the ledger too), median of `runs`."""
    import datetime as dt

    from django.test import Client
    from django.utils import timezone

    from tandir.lending import actions
    from tandir.lending.actions import PaymentIn
    from tandir.lending.models import Loan, Repayment

    loan = Loan.objects.get(pk=loan_id)
    have = Repayment.objects.filter(loan=loan).count()
    today = timezone.localdate()
    first = max(loan.disbursed_on or today, today - dt.timedelta(days=499 - have))
    payments = [
        PaymentIn(loan.pk, Decimal("1"), min(today, first + dt.timedelta(days=n)), f"page-{n}", "")
        for n in range(max(0, 500 - have))
    ]
    if payments:
        actions.record_repayments(accountant, payments, source="counter")
    client = Client()
    client.force_login(accountant)
    figure, _recorder = registry.page_figure(client, "loan page", f"/loans/{loan.pk}/", runs)
    results.notes.append(
        f"The loan page with {Repayment.objects.filter(loan=loan).count()} transactions, read by "
        f"an accountant (ledger shown): median {figure.median_ms:.0f} ms, 95th percentile "
        f"{figure.p95_ms:.0f} ms over {runs} runs through Django's test client (server time, "
        f"no network), {figure.queries} SQL statements; goal 100 ms."
    )


def check_books(world: Any, results: Results) -> None:
    from tandir.ledger.queries import unbalanced_entries
    from tandir.lending.queries import ledger_mismatches

    try:
        unbalanced = unbalanced_entries()
        mismatches = ledger_mismatches(world.organization.pk)
    except Exception as error:  # the books are checked by the tests too; a figure is not lost
        results.notes.append(f"The books could not be checked: {type(error).__name__}: {error}")
        return
    results.notes.append(
        "After the run every journal entry balances and the ledger equals the loan sub-ledger."
        if not unbalanced and not mismatches
        else f"BOOKS DO NOT AGREE: {len(unbalanced)} unbalanced entries; {mismatches}"
    )


def load_code() -> None:
    """Import every module the run uses now, so one run measures one state of the code (and a
    file someone edits meanwhile cannot break it halfway)."""
    import importlib

    for module in (
        "tandir.ledger.queries", "tandir.lending.actions", "tandir.lending.bank_statements",
        "tandir.lending.portfolio", "tandir.lending.portfolio_import", "tandir.lending.queries",
    ):  # fmt: skip
        try:
            importlib.import_module(module)
        except ImportError as error:
            print(f"cannot import {module}: {error}")


def run(args: argparse.Namespace, database: Any, folder: Path) -> Results:
    from django.core.management import call_command
    from django.utils import timezone

    from tandir.ledger.actions import install_chart
    from tandir.lending.models import Loan

    results = Results(database.vendor, args.loans, code=registry.code_version())
    load_code()
    results.load_before = os.getloadavg()
    call_command("migrate", verbosity=0)
    world = registry.build_world()
    today = timezone.localdate()
    print(f"loading {args.loans:,} participants into {database.vendor} ...")
    _patch_registry_loader(world.organization.pk)
    load = registry.load_people(world, args.loans, today)
    results.people_seconds = load.seconds
    admin, accountant = staff(world)
    install_chart(admin, world.organization, "both")
    registry.analyse()
    people = people_for_loans(world)
    paths = write_portfolio(folder, people, args.loans, args.file_loans, today)
    print(f"importing {args.loans:,} loans from {len(paths)} files ...")
    measure_import(admin, paths, args.loans, results)
    registry.analyse()
    ids = list(Loan.objects.order_by("pk").values_list("pk", flat=True))
    chosen = random.Random(SEED).sample(ids, args.repayments + args.statement_lines)
    print(f"{args.repayments:,} repayments ...")
    measure_repayments(accountant, chosen[: args.repayments], results)
    print(f"a bank statement of {args.statement_lines:,} lines ...")
    measure_statement(accountant, chosen[args.repayments :], folder, results)
    print("the portfolio as of today ...")
    measure_portfolio(world, args.loans, results)
    print("the loan page with 500 transactions ...")
    measure_loan_page(accountant, chosen[0], results)
    check_books(world, results)
    results.load_after = os.getloadavg()
    return results


def report(results: Results, database: Any) -> str:
    import django

    cpus = os.cpu_count()
    before = ", ".join(f"{x:.1f}" for x in results.load_before)
    after = ", ".join(f"{x:.1f}" for x in results.load_after)
    lines = [
        "## Lending (`bench/bench_lending.py`)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {cpus} CPUs ({platform.machine()}, "
        f"Linux {platform.release()}), CPython {platform.python_version()}, Django "
        f"{django.get_version()}, {registry.db_version()} ({database.note}); code at "
        f"{results.code}. The machine was shared with other work: load average {before} (1, 5, "
        f"15 minutes) when the run started and {after} when it ended, on its {cpus} CPUs, so "
        "these wall-clock figures are lower than a quiet machine gives. Each figure is one run, "
        "timed with `time.perf_counter()` around the real code path, the database server on the "
        "same machine.",
        "",
        f"The database holds one organisation with {results.loans:,} participants (the "
        f"registry benchmark's loader, {results.people_seconds:.0f} s) and the loans the import "
        "makes: one per participant, cycling over those with an ID or phone and consent, in "
        "AMD, 60 % declining, 25 % flat, 15 % equal principal, 12 to 24 monthly installments, "
        "disbursed 40 to 365 days ago, 30 % with a 1 % upfront fee.",
        "",
        "| What | Count | Seconds | Per second | Goal |",
        "|---|---:|---:|---:|---|",
    ]
    for figure in results.figures:
        goal = ""
        if figure.goal is not None:
            met = "met" if figure.rate >= figure.goal else "**not met**"
            goal = f"≥ {figure.goal:,.0f} {figure.unit}: {met}"
        what = figure.what + (f"; {figure.note}" if figure.note else "")
        lines.append(
            f"| {what} | {figure.count:,} | {figure.seconds:.1f} | {figure.rate:,.0f} "
            f"{figure.unit} | {goal} |"
        )
    lines.append("")
    lines += [f"- {note}" for note in results.notes]
    return "\n".join(lines)


def write_report(part: str) -> None:
    text = REPORT.read_text() if REPORT.exists() else "# Benchmarks\n"
    section = f"{START_MARK}\n{part}\n{END_MARK}"
    pattern = re.compile(re.escape(START_MARK) + r".*?" + re.escape(END_MARK), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    REPORT.write_text(text.rstrip("\n") + "\n")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--file-loans", type=int, default=10_000, help="loans per import file")
    parser.add_argument("--repayments", type=int, default=2_000)
    parser.add_argument("--statement-lines", type=int, default=10_000)
    parser.add_argument("--database-url", help="postgres://...; default: SQLite in a temp folder")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(list(argv))
    database = registry.prepare_database(args.database_url, args.keep)
    folder = Path(tempfile.mkdtemp(prefix="tandir-bench-lending-"))
    try:
        registry.setup_django(database.url)
        started = time.perf_counter()
        results = run(args, database, folder)
        part = report(results, database)
        print()
        print(part)
        print(f"\nwhole run: {time.perf_counter() - started:.0f} s")
        if not args.no_write:
            write_report(part)
            print(f"written to {REPORT.relative_to(ROOT)}")
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(folder, ignore_errors=True)
        database.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
