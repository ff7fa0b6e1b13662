"""Benchmark of the donor report (`tandir.reports.donor.donor_report`) for a project with every
participant of a `tandir synth` portfolio enrolled (100,000 with `--loans 100000`).

Run: TANDIR_DATABASE_URL=postgres://tandir:tandir@127.0.0.1:54400/tandir_synth100k \\
         .venv/bin/python bench/bench_donor.py [--organization NAME] [--runs 3]

The first run adds the project `BENCH-DONOR` (in the portfolio's currency, so no exchange rate
is needed) and enrols every participant in it, dated on their registration, in one
INSERT … SELECT; later runs reuse it. The period is the project's whole life up to the last
closed business date (or synth's portfolio date when nothing was closed). Prints the best and
median wall-clock time of `runs` reports with disaggregations (the target: 10 s for 100,000
participants), the statements one report makes and its headline figures. Each figure is one
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
    project = Project.objects.filter(organization=organization, code=CODE).first()
    if project is None:
        started = time.perf_counter()
        project = Project.objects.create(
            organization=organization,
            name="Benchmark project",
            code=CODE,
            budget_amount=0,
            budget_currency=currency,
            starts_on=first,
            ends_on=date_to + datetime.timedelta(days=365),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Enrolment._meta.db_table} "
                "(organization_id, beneficiary_id, project_id, enrolled_on) "
                f"SELECT organization_id, id, %s, registered_on FROM {Beneficiary._meta.db_table} "
                "WHERE organization_id = %s",
                [project.pk, organization.pk],
            )
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {Enrolment._meta.db_table}")
        print(
            f"project {CODE} made, participants enrolled in {time.perf_counter() - started:.1f} s"
        )
    enrolled = Enrolment.objects.filter(project=project).count()
    print(
        f"{connection.vendor}, {organization}: {enrolled:,} participants in {CODE}, "
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
