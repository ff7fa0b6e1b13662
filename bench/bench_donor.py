"""Benchmark of the donor report (`tandir.reports.donor.donor_report`) for a project of
`--participants` people (100,000 by default, the goal's size) of a `tandir synth` portfolio.

Run: TANDIR_DATABASE_URL=postgres://tandir:tandir@127.0.0.1:54400/tandir_synth1m \\
         .venv/bin/python bench/bench_donor.py [--organization NAME] [--participants 100000]
         [--runs 3]

The first run adds the project `BENCH-DONOR-<participants>` (in the portfolio's currency, so
no exchange rate is needed) and enrols that many participants in it, dated on their
registration, in one INSERT … SELECT: every participant of a portfolio of that size, or on a
larger one (the 1M-loan database of the goal) every k-th by id, so the project spans every
branch and year of the portfolio. Later runs reuse it. The period is the project's whole life
up to the last closed business date (or synth's portfolio date when nothing was closed). Prints
the best and median wall-clock time of `runs` reports with disaggregations (the target: 10 s for
100,000 participants), the statements one report makes and its headline figures. Each figure is one
run on a possibly shared machine: the load average is printed beside.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandir.settings")

CODE = "BENCH-DONOR"


def main() -> int:
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Max, Min
    from django.test.utils import CaptureQueriesContext

    from tandir.cob.models import CobRun, RunStatus
    from tandir.lending.models import Loan
    from tandir.orgs.models import Organization, Project
    from tandir.registry.models import Beneficiary, Enrolment
    from tandir.reports.donor import donor_report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organization")
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    lending = Loan.objects.filter(disbursed_on__isnull=False).values("organization_id")
    organizations = Organization.objects.filter(pk__in=lending)
    if options.organization:
        organizations = organizations.filter(short_name__iexact=options.organization)
    organization = organizations.order_by("pk").first()
    if organization is None:
        print("no organisation with loans: run `tandir synth --loans N` first")
        return 1
    people = Beneficiary.objects.filter(organization=organization)
    first = people.aggregate(day=Min("registered_on"))["day"]
    last_closed = CobRun.objects.filter(
        organization=organization, status=RunStatus.FINISHED
    ).aggregate(day=Max("business_date"))["day"]
    last_paid = Loan.objects.filter(organization=organization).aggregate(day=Max("disbursed_on"))[
        "day"
    ]
    date_to = last_closed or last_paid
    assert first is not None and date_to is not None
    currency = Loan.objects.filter(organization=organization).values_list("currency", flat=True)[0]
    code = f"{CODE}-{options.participants}"
    project = Project.objects.filter(organization=organization, code=code).first()
    if project is None:
        started = time.perf_counter()
        project = Project.objects.create(
            organization=organization,
            name="Benchmark project",
            code=code,
            budget_amount=0,
            budget_currency=currency,
            starts_on=first,
            ends_on=date_to + datetime.timedelta(days=365),
        )
        step = max(1, people.count() // options.participants)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Enrolment._meta.db_table} "
                "(organization_id, beneficiary_id, project_id, enrolled_on) "
                "SELECT organization_id, id, %s, registered_on FROM ("
                "  SELECT organization_id, id, registered_on, ROW_NUMBER() OVER (ORDER BY id) AS n"
                f"  FROM {Beneficiary._meta.db_table} WHERE organization_id = %s"
                ") p WHERE (p.n - 1) %% %s = 0 ORDER BY p.n LIMIT %s",
                [project.pk, organization.pk, step, options.participants],
            )
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {Enrolment._meta.db_table}")
        print(
            f"project {code} made, participants enrolled in {time.perf_counter() - started:.1f} s"
        )
    enrolled = Enrolment.objects.filter(project=project).count()
    print(
        f"{connection.vendor}, {organization}: {enrolled:,} of {people.count():,} participants "
        f"in {code}, "
        f"{first} to {date_to}, {currency}"
    )
    print(f"load average before: {os.getloadavg()}")
    times = []
    statements = 0
    report = None
    for _ in range(options.runs):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            report = donor_report(project, first, date_to)
        times.append(time.perf_counter() - started)
        statements = len(queries)
    assert report is not None
    print(
        f"  donor report: best {min(times):.2f} s, median {statistics.median(times):.2f} s "
        f"over {len(times)} runs, {statements} statements"
    )
    for figure in report.headline:
        print(f"    {figure.key:<32} {figure.value}")
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
