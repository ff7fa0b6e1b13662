"""Benchmark of the donor report (`tandir.reports.donor.donor_report`) for a project of
`--participants` people (100,000 by default, the goal's size) of a `tandir synth` portfolio.

Run: TANDIR_DATABASE_URL=postgres://tandir:tandir@127.0.0.1:54400/tandir_synth1m \\
         .venv/bin/python bench/bench_donor.py [--organization NAME] [--participants 100000]
         [--runs 3]

The first run adds the project `BENCH-DONOR-<participants>` (in the portfolio's currency, so
no exchange rate is needed) and enrols that many participants in it, dated on their
registration, in one INSERT … SELECT: every participant of a portfolio of that size, or on a
larger one (the 1M-loan database of the goal) every k-th by id, so the project spans every
branch and year of the portfolio. On PostgreSQL it then gives the project's people the records
a programme of that size has beside its loans, also in INSERT … SELECTs: a training place in
their branch's cohort (70 % completed, 10 % dropped out, the rest enrolled), a baseline
interview on enrolment and, for borrowers a year past disbursement, the 12-month follow-up
with the outcome answers (income, jobs, quality of life, business operating). Later runs reuse
them. The period is the project's whole life
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
from typing import Any

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
    from tandir.training.models import Cohort

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
    if connection.vendor == "postgresql" and not Cohort.objects.filter(project=project).exists():
        started = time.perf_counter()
        _programme_records(project, date_to)
        print(f"training places and interviews added in {time.perf_counter() - started:.1f} s")
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


def _pick(alias: str) -> str:
    """A number from 0 up, spread by a hash of the person's id: the project's people are every
    k-th id, so the id itself would give all of them the same remainders."""
    return f"abs(hashtext({alias}.beneficiary_id::text))"


def _programme_records(project: Any, date_to: datetime.date) -> None:
    """Training places, baseline and 12-month follow-up interviews of the project's people."""
    from django.db import connection

    from tandir.impact.actions import seed_instruments
    from tandir.impact.models import Instrument, InstrumentVersion, Question
    from tandir.orgs.models import Branch, District, StaffUser
    from tandir.orgs.roles import Role
    from tandir.training.models import Cohort, Course, Venue

    organization = project.organization
    org = organization.pk
    course = Course.objects.create(organization=organization, code="bench", title="Benchmark")
    district = District.objects.order_by("pk").first()
    assert district is not None
    venue = Venue.objects.create(
        organization=organization, name="Benchmark centre", district=district, capacity=30
    )
    Cohort.objects.bulk_create(
        Cohort(
            organization=organization,
            code=f"bench-{project.pk}-{branch.pk}",
            course=course,
            venue=venue,
            branch=branch,
            starts_on=project.starts_on,
            ends_on=date_to,
            capacity=30_000,
            project=project,
        )
        for branch in Branch.objects.filter(organization=organization)
    )
    administrator = StaffUser.objects.get(organization=organization, role=Role.ADMINISTRATOR)
    seed_instruments(administrator, organization)
    versions = {
        code: InstrumentVersion.objects.get(instrument__organization=organization,
                                            instrument__code=code, number=1)
        for code in ("baseline", "follow-up-12")
    }  # fmt: skip
    enrolled = "FROM registry_enrolment e JOIN registry_beneficiary b ON b.id = e.beneficiary_id"
    people = f"{enrolled} WHERE e.project_id = %(project)s"
    # Outcome answers by question code: a number or a text, from `_pick` so that the shares
    # are known (income rose for 70 %, 92 % say it is better, 91 % their life).
    r, e = _pick("r"), _pick("e")
    numbers = {
        "baseline": {
            "household_income_monthly": f"40000 + {r} %% 40 * 1000",
            "paid_employees": "0",
            "family_workers": "1",
        },
        "follow-up-12": {
            "household_income_monthly": f"40000 + {r} %% 40 * 1000 + ({r} %% 10 - 2) * 2000",
            "paid_employees": f"{r} %% 3",
            "family_workers": f"1 + {r} %% 2",
        },
    }
    texts = {
        "income_change": f"CASE WHEN {r} %% 100 < 92 THEN 'better' ELSE 'same' END",
        "quality_of_life_change": f"CASE WHEN {r} %% 100 < 91 THEN 'better' ELSE 'same' END",
        "business_operating": f"CASE WHEN {r} %% 100 < 88 THEN 'yes' ELSE 'no' END",
    }
    values = {"project": project.pk, "org": org, "user": administrator.pk,
              "currency": project.budget_currency, "to": date_to}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO training_participant (organization_id, cohort_id, beneficiary_id,
              status, applied_on, enrolled_on, completed_on, dropped_on, drop_reason)
            SELECT e.organization_id, c.id, e.beneficiary_id,
              CASE WHEN {e} %% 10 < 7 THEN 'completed'
                WHEN {e} %% 10 = 7 THEN 'dropped' ELSE 'enrolled' END,
              e.enrolled_on, e.enrolled_on,
              CASE WHEN {e} %% 10 < 7 THEN e.enrolled_on + 30 END,
              CASE WHEN {e} %% 10 = 7 THEN e.enrolled_on + 10 END, ''
            {enrolled} JOIN training_cohort c ON c.branch_id = b.branch_id
              AND c.project_id = e.project_id
            WHERE e.project_id = %(project)s""",
            values,
        )
        for code, version in versions.items():
            taken = (
                "e.enrolled_on"
                if code == "baseline"
                else "(SELECT MIN(l.disbursed_on) + 365 FROM lending_loan l "
                "WHERE l.beneficiary_id = e.beneficiary_id AND l.disbursed_on IS NOT NULL)"
            )
            cursor.execute(
                f"""INSERT INTO impact_response (organization_id, instrument_id, version_id,
                  beneficiary_id, branch_id, taken_on, currency, source, reference,
                  recorded_by_id, recorded_at)
                SELECT * FROM (
                  SELECT e.organization_id, {version.instrument_id}, {version.pk},
                    e.beneficiary_id, b.branch_id, {taken} AS taken_on, %(currency)s, 'import',
                    '', %(user)s, now()
                  {people}
                ) x WHERE x.taken_on <= %(to)s""",
                values,
            )
            questions = dict(Question.objects.filter(version=version).values_list("code", "pk"))
            for question, expression in [*numbers[code].items(), *texts.items()]:
                if question not in questions:
                    continue
                is_text = question in texts
                cursor.execute(
                    f"""INSERT INTO impact_answer (organization_id, response_id, question_id,
                      code, number, text)
                    SELECT r.organization_id, r.id, {questions[question]}, '{question}',
                      {"NULL" if is_text else expression}, {expression if is_text else "''"}
                    FROM impact_response r WHERE r.version_id = {version.pk}""",
                    values,
                )
        for table in ("training_participant", "impact_response", "impact_answer"):
            cursor.execute(f"ANALYZE {table}")
    assert Instrument.objects.filter(organization=organization).count() >= 2


if __name__ == "__main__":
    raise SystemExit(main())
