"""Benchmark of the beneficiary registry at national scale: load, pages, search, export, import.

Run: .venv/bin/python bench/bench_registry.py [--people 200000] [--runs 20] [--export-runs 5]
         [--database-url postgres://user:pass@127.0.0.1:5432/tandir_bench] [--no-write]

Without --database-url the registry lives in a fresh SQLite file in a temporary folder. With a
PostgreSQL URL the script creates that database (and drops it afterwards) when the role may;
an existing database is used only if it is empty. Either way it runs `migrate` itself, so it
measures whatever code and migrations are checked out.

It builds one organisation (4 branches, 20 real Armenian districts, staff) and N participants
with households, target groups, enrolments, consents and status history, inserted set-wise
(bulk_create in chunks of 5,000; COPY on PostgreSQL). Names come from the demo's Armenian and
Azerbaijani name lists in Armenian, Latin and Cyrillic script, transliterated by the registry's
own functions, so the search columns hold what registration would have written.

Then it measures the real code paths, each as median and p95 of repeated runs after a warm-up:
pages fetched through django.test.Client (logged in with force_login), with their SQL query
counts, and the query functions called directly; the XLSX export of one branch; the CSV import
of a clean 10,000-line file and of one with 3 bad lines (which must write nothing). On
PostgreSQL it adds EXPLAIN (ANALYZE, BUFFERS) plans of the search queries. The results replace
this database's part of the registry section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import math
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "benchmarks.md"
START_MARK = "<!-- bench_registry:start -->"
END_MARK = "<!-- bench_registry:end -->"
VENDORS = ("sqlite", "postgresql")
SEED = 20260301
CHUNK = 5_000
IMPORT_LINES = 10_000
BAD_LINES = 3

# Goals: what an officer on a tablet over a branch office line should not notice.
PAGE_P95_GOAL_MS = 500.0
EXPORT_GOAL_ROWS = 5_000.0
IMPORT_GOAL_LINES = 500.0

# Branch code, name, share of the participants, (region, district) served.
BRANCHES: list[tuple[str, str, float, list[tuple[str, str]]]] = [
    ("YER", "Yerevan", 0.45, [("Yerevan", d) for d in (
        "Kentron", "Arabkir", "Erebuni", "Shengavit", "Malatia-Sebastia", "Nor Nork", "Avan")]),
    ("GYU", "Gyumri", 0.20, [("Shirak", d) for d in (
        "Gyumri", "Artik", "Akhuryan", "Amasia", "Maralik")]),
    ("VAN", "Vanadzor", 0.20, [("Lori", d) for d in (
        "Vanadzor", "Spitak", "Alaverdi", "Stepanavan")]),
    ("ARM", "Armavir", 0.15, [("Armavir", "Armavir"), ("Armavir", "Metsamor"),
                              ("Armavir", "Vagharshapat"), ("Ararat", "Masis")]),
]  # fmt: skip
BRANCH_NAMES = {code: name for code, name, _share, _places in BRANCHES}
BRANCH_SHARES = {code: share for code, _name, share, _places in BRANCHES}
# The branch whose intake officer and manager the benchmark logs in as: a regional branch.
OWN_BRANCH = "GYU"

STATUS_SHARES = [
    ("interested", 0.10), ("registered", 0.35), ("in_training", 0.15), ("trained", 0.15),
    ("planning", 0.10), ("borrower", 0.12), ("exited", 0.03),
]  # fmt: skip
PIPELINE = ["interested", "registered", "in_training", "trained", "planning", "borrower"]
# Share of participants in each ticked target group (youth is derived from the age).
GROUP_SHARES = {
    "refugee": 0.08, "returnee": 0.03, "idp": 0.05, "low_income": 0.35, "disability": 0.04,
    "victim_of_trafficking": 0.003,
}  # fmt: skip
ARMENIAN_PHONE_PREFIXES = ["91", "93", "94", "95", "96", "98", "99", "77", "55"]
AZERBAIJANI_PHONE_PREFIXES = ["50", "51", "55", "70", "77", "99", "10"]

# The searches, as an officer would type them.
LATIN_FRAGMENT = "petros"
ARMENIAN_NAME = "Անահիտ Պետրոսյան"
NO_MATCH = "Zzyzxq"


# --- Set-up: the database, Django ---------------------------------------------------------------


@dataclass
class Database:
    url: str
    vendor: str
    cleanup: Callable[[], None]
    note: str


def prepare_database(url: str | None, keep: bool) -> Database:
    """A fresh, empty database: a temporary SQLite file, or the PostgreSQL database of `url`."""
    if not url:
        folder = Path(tempfile.mkdtemp(prefix="tandir-bench-"))
        path = folder / "registry.sqlite3"

        def remove_folder() -> None:
            if keep:
                print(f"kept {path}")
            else:
                shutil.rmtree(folder, ignore_errors=True)

        return Database(f"sqlite:///{path}", "sqlite", remove_folder, "a fresh file")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("--database-url must be a postgres:// URL (SQLite is the default)")
    return _prepare_postgresql(url, keep)


def _prepare_postgresql(url: str, keep: bool) -> Database:
    import dj_database_url
    import psycopg

    settings = dj_database_url.parse(url)
    name = str(settings["NAME"])
    params: dict[str, Any] = {
        key.lower(): settings.get(key) for key in ("USER", "PASSWORD", "HOST", "PORT")
    }
    params = {key: value for key, value in params.items() if value}

    def maintenance() -> psycopg.Connection[Any]:
        return psycopg.connect(dbname="postgres", autocommit=True, **params)

    created = False
    try:
        with maintenance() as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
                created = True
    except psycopg.Error as error:
        print(f"could not create database {name} ({error}); using it as it is")
    if not created:
        # Never overwrite someone's data: an existing database must be empty.
        with psycopg.connect(dbname=name, **params) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone()
        if tables and tables[0]:
            raise SystemExit(
                f"database {name} already has {tables[0]} tables; give a new or empty database"
            )

    def drop() -> None:
        if keep or not created:
            print(f"kept database {name}")
            return
        with maintenance() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    return Database(url, "postgresql", drop, "created for the run" if created else "empty")


def setup_django(database_url: str) -> None:
    os.environ["TANDIR_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandir.settings")
    import django

    django.setup()


# --- Building the registry ----------------------------------------------------------------------


@dataclass
class World:
    organization: Any
    network: Any
    branches: dict[str, Any]
    districts: dict[str, list[Any]]  # branch code -> districts served
    localities: dict[int, list[Any]]  # district id -> localities
    projects: list[Any]
    groups: dict[str, Any]
    intake_officers: dict[str, Any]  # branch code -> intake officer who registered there
    intake: Any  # of OWN_BRANCH
    manager: Any  # of OWN_BRANCH
    me_officer: Any
    analyst: Any


def build_world() -> World:
    """The organisation, its network, branches, projects and staff (a few dozen rows)."""
    from tandir.core.models import TargetGroup
    from tandir.demo.loader import load_geography
    from tandir.orgs.models import (
        Branch,
        Country,
        District,
        Locality,
        Organization,
        OrganizationKind,
        Project,
        Role,
        StaffUser,
    )

    load_geography()
    armenia = Country.objects.get(code="AM")
    network = Organization.objects.create(name="Bench Network", kind=OrganizationKind.NETWORK)
    organization = Organization.objects.create(
        name="Bench National Programme",
        kind=OrganizationKind.MFI,
        country=armenia,
        currency="AMD",
    )
    organization.networks.add(network)
    branches: dict[str, Any] = {}
    served: dict[str, list[Any]] = {}
    for code, name, _share, places in BRANCHES:
        branch = Branch.objects.create(organization=organization, name=name, code=code)
        districts = [
            District.objects.get(region__country=armenia, region__name=region, name=district)
            for region, district in places
        ]
        branch.districts.set(districts)
        branches[code], served[code] = branch, districts
    all_districts = [d for ds in served.values() for d in ds]
    localities: dict[int, list[Any]] = {d.pk: [] for d in all_districts}
    for locality in Locality.objects.filter(district__in=all_districts):
        localities[locality.district_id].append(locality)
    projects = [
        Project.objects.create(
            organization=organization,
            name=name,
            code=code,
            budget_amount=Decimal(budget),
            budget_currency="USD",
            starts_on=datetime.date(2023, 1, 1),
            ends_on=datetime.date(2028, 12, 31),
        )
        for name, code, budget in (
            ("Self-employment for displaced families", "SEDF", "4000000.00"),
            ("Rural women's enterprise", "RWE", "2500000.00"),
        )
    ]

    def staff(username: str, role: str, branch_codes: Sequence[str], org: Any = None) -> Any:
        user = StaffUser.objects.create_user(
            username=username, password=None, organization=org or organization, role=role
        )
        user.branches.set([branches[c] for c in branch_codes])
        return user

    intake_officers = {
        code: staff(f"bench.intake.{code.lower()}", Role.INTAKE_OFFICER, [code])
        for code in branches
    }
    return World(
        organization=organization,
        network=network,
        branches=branches,
        districts=served,
        localities=localities,
        projects=projects,
        groups={g.code: g for g in TargetGroup.objects.all()},
        intake_officers=intake_officers,
        intake=intake_officers[OWN_BRANCH],
        manager=staff("bench.manager", Role.BRANCH_MANAGER, [OWN_BRANCH]),
        me_officer=staff("bench.me", Role.ME_OFFICER, []),
        analyst=staff("bench.analyst", Role.NETWORK_ANALYST, [], org=network),
    )


@dataclass(frozen=True)
class Names:
    first_name: str
    patronymic: str
    last_name: str
    name_latin: str
    name_key: str
    last_name_key: str


class People:
    """Deterministic participants: names in three scripts, unique phones and national IDs."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self._names: dict[tuple[str, str, str], Names] = {}

    def names(self, sex: str) -> tuple[Names, bool]:
        """A name, and whether it is Azerbaijani (the phone then has the +994 code)."""
        from tandir.demo.names import armenian_name, azerbaijani_name
        from tandir.registry.duplicates import keys_for
        from tandir.registry.names import to_latin

        rng = self.rng
        azerbaijani = rng.random() >= 0.75
        if not azerbaijani:
            script = rng.choices(["hy", "latn", "cyrl"], [0.55, 0.25, 0.20])[0]
            person = armenian_name(rng, sex, script)
        else:
            person = azerbaijani_name(rng, sex, "latn" if rng.random() < 0.7 else "cyrl")
        parts = (person.first_name, person.patronymic, person.last_name)
        known = self._names.get(parts)
        if known is None:
            # What registration writes (tandir.registry.actions): Latin form and spelling keys.
            keys = keys_for(*parts)
            known = Names(
                *parts,
                name_latin=to_latin(" ".join(p for p in parts if p)),
                name_key=keys.full_key,
                last_name_key=keys.last_name_key,
            )
            self._names[parts] = known
        return known, azerbaijani

    @staticmethod
    def phone(index: int, azerbaijani: bool) -> str:
        """Unique for every index below 7,000,000: the prefix from the index modulo the number
        of prefixes, the subscriber number a bijection (times a prime) of the quotient."""
        if azerbaijani:
            prefixes, digits = AZERBAIJANI_PHONE_PREFIXES, 7
            code = "+994"
        else:
            prefixes, digits = ARMENIAN_PHONE_PREFIXES, 6
            code = "+374"
        quotient, prefix = divmod(index, len(prefixes))
        return f"{code}{prefixes[prefix]}{(quotient * 7919 + 104_729) % 10**digits:0{digits}d}"

    @staticmethod
    def national_id(index: int, kind: float) -> str:
        if kind < 0.6:
            return f"{(index * 7919 + 1009) % 10**9:09d}"  # identity card, unique below 10**9
        return f"A{'KNRT'[index % 4]}{index:07d}"  # passport


class Writer:
    """Inserts rows set-wise: COPY on PostgreSQL, bulk_create in chunks of 5,000 elsewhere."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.copy = connection.vendor == "postgresql"
        self.rows = 0
        self.seconds = 0.0

    def write(self, model: Any, fields: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        start = time.perf_counter()
        if self.copy:
            columns = ", ".join(model._meta.get_field(name).column for name in fields)
            with self.connection.cursor() as cursor:
                raw: Any = cursor.cursor
                with raw.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            model.objects.bulk_create(
                (model(**dict(zip(fields, row, strict=True))) for row in rows), batch_size=CHUNK
            )
        self.seconds += time.perf_counter() - start
        self.rows += len(rows)


BENEFICIARY_FIELDS = [
    "id", "organization_id", "branch_id", "first_name", "last_name", "patronymic", "name_latin",
    "name_key", "last_name_key", "sex", "date_of_birth", "phone", "national_id", "district_id",
    "locality_id", "household_id", "education", "economic_activity", "heard_via",
    "heard_via_detail", "status", "registered_by_id", "registered_on", "possible_duplicate_of_id",
    "merged_into_id", "created_at", "updated_at",
]  # fmt: skip
HOUSEHOLD_FIELDS = [
    "id", "organization_id", "members_count", "dependants", "head_sex", "monthly_income_amount",
    "monthly_income_currency",
]  # fmt: skip
GROUP_FIELDS = ["beneficiary_id", "targetgroup_id"]
ENROLMENT_FIELDS = ["organization_id", "beneficiary_id", "project_id", "enrolled_on"]
CONSENT_FIELDS = [
    "organization_id", "beneficiary_id", "given_on", "programme_use", "follow_up_surveys",
    "network_sharing", "withdrawn_on", "recorded_by_id",
]  # fmt: skip
HISTORY_FIELDS = [
    "organization_id", "beneficiary_id", "from_status", "to_status", "changed_on", "changed_at",
    "changed_by_id", "note",
]  # fmt: skip


@dataclass
class Load:
    people: int
    rows: int
    seconds: float
    insert_seconds: float
    method: str
    by_table: dict[str, int]


def load_people(world: World, count: int, today: datetime.date) -> Load:
    """N participants and everything that hangs off them, in one transaction, chunk by chunk."""
    from django.db import transaction
    from django.utils import timezone

    from tandir.registry.models import Beneficiary, Consent, Enrolment, Household, StatusChange

    people = People(SEED)
    rng = people.rng
    writer = Writer()
    org = world.organization.pk
    now = timezone.now()
    first_day = today - datetime.timedelta(days=4 * 365)
    branch_codes = [code for code, *_ in BRANCHES]
    branch_weights = [share for _code, _name, share, _places in BRANCHES]
    statuses, status_weights = zip(*STATUS_SHARES, strict=True)
    through = Beneficiary.target_groups.through
    by_table = dict.fromkeys(
        ("beneficiaries", "households", "target groups", "enrolments", "consents", "history"), 0
    )
    start = time.perf_counter()
    with transaction.atomic():
        for chunk_start in range(0, count, CHUNK):
            rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in by_table}
            for index in range(chunk_start, min(count, chunk_start + CHUNK)):
                pk = index + 1
                code = rng.choices(branch_codes, branch_weights)[0]
                district = rng.choice(world.districts[code])
                places = world.localities[district.pk]
                locality = rng.choice(places).pk if places and rng.random() < 0.5 else None
                sex = "female" if rng.random() < 0.62 else "male"
                names, azerbaijani = people.names(sex)
                registered_on = first_day + datetime.timedelta(days=rng.randrange(4 * 365 + 1))
                born = registered_on - datetime.timedelta(days=rng.randrange(18 * 365, 60 * 365))
                status = rng.choices(statuses, status_weights)[0]
                officer = world.intake_officers[code].pk
                members = rng.choice([1, 2, 3, 3, 4, 4, 4, 5, 5, 6, 7, 8])
                head = sex if members == 1 or rng.random() < 0.7 else rng.choice(["female", "male"])
                income = Decimal(rng.randrange(40, 400) * 1000) if rng.random() < 0.85 else None
                rows["households"].append(
                    (pk, org, members, min(members - 1, rng.choice([0, 1, 2, 2, 3])), head,
                     income, "AMD" if income is not None else "")
                )  # fmt: skip
                has_id = rng.random()
                rows["beneficiaries"].append(
                    (pk, org, world.branches[code].pk, names.first_name, names.last_name,
                     names.patronymic, names.name_latin, names.name_key, names.last_name_key, sex,
                     born, People.phone(index, azerbaijani) if rng.random() < 0.95 else "",
                     People.national_id(index, has_id) if has_id < 0.93 else None, district.pk,
                     locality, pk, rng.choice(["none", "primary", "secondary", "secondary",
                     "vocational", "higher"]), rng.choice(["none", "casual", "employed",
                     "own_business", "farming"]), rng.choice(["media", "event", "referral",
                     "office", "other"]), "", status, officer, registered_on,
                     rng.randrange(1, pk) if pk > 1 and rng.random() < 0.005 else None, None,
                     now, now)
                )  # fmt: skip
                for group, share in GROUP_SHARES.items():
                    if rng.random() < share:
                        rows["target groups"].append((pk, world.groups[group].pk))
                if sex == "female" and head == "female" and members > 1:
                    rows["target groups"].append((pk, world.groups["woman_headed_household"].pk))
                for number, project in enumerate(world.projects):
                    if rng.random() < (0.9 if number == 0 else 0.2):
                        rows["enrolments"].append((org, pk, project.pk, registered_on))
                withdrawn = registered_on + datetime.timedelta(days=200)
                rows["consents"].append(
                    (org, pk, registered_on, True, rng.random() < 0.8, rng.random() < 0.6,
                     withdrawn if rng.random() < 0.03 and withdrawn < today else None, officer)
                )  # fmt: skip
                day = registered_on
                for before, after in _history(status, rng):
                    rows["history"].append((org, pk, before, after, day, now, officer, ""))
                    day = min(today, day + datetime.timedelta(days=rng.randrange(14, 90)))
            writer.write(Household, HOUSEHOLD_FIELDS, rows["households"])
            writer.write(Beneficiary, BENEFICIARY_FIELDS, rows["beneficiaries"])
            writer.write(through, GROUP_FIELDS, rows["target groups"])
            writer.write(Enrolment, ENROLMENT_FIELDS, rows["enrolments"])
            writer.write(Consent, CONSENT_FIELDS, rows["consents"])
            writer.write(StatusChange, HISTORY_FIELDS, rows["history"])
            for name, table_rows in rows.items():
                by_table[name] += len(table_rows)
        if writer.copy:
            _reset_sequences([Household, Beneficiary])
    seconds = time.perf_counter() - start
    method = "COPY" if writer.copy else f"bulk_create in chunks of {CHUNK:,}"
    return Load(count, writer.rows, seconds, writer.seconds, method, by_table)


def _history(status: str, rng: random.Random) -> list[tuple[str, str]]:
    """Status changes from registration to `status`, along the pipeline."""
    path = ["interested"] if status == "interested" or rng.random() < 0.2 else []
    if status == "exited":
        path += [*PIPELINE[1 : rng.randrange(2, 5)], "exited"]
    elif status != "interested":
        path += PIPELINE[1 : PIPELINE.index(status) + 1]
    return list(zip(["", *path[:-1]], path, strict=True))


def _reset_sequences(models: list[Any]) -> None:
    """After COPY with explicit ids, let the sequences continue after the largest id."""
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


def analyse() -> None:
    """Fresh planner statistics after the bulk load, as autovacuum would gather on PostgreSQL."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


# --- Measuring ----------------------------------------------------------------------------------


@dataclass
class Figure:
    what: str
    via: str  # "page" or "function"
    median_ms: float
    p95_ms: float
    runs: int
    queries: int | None = None
    matches: int | None = None
    slowest_sql_ms: float | None = None
    slowest_sql: str = ""
    rows_per_second: float | None = None


@dataclass
class Plan:
    what: str
    query: str  # "count" or "rows"
    ms: float
    lines: list[str]
    seq_scan: bool


@dataclass
class Results:
    vendor: str
    db_version: str
    people: int
    load: Load
    migrate_seconds: float
    figures: list[Figure] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    import_clean: dict[str, Any] = field(default_factory=dict)
    import_bad: dict[str, Any] = field(default_factory=dict)
    branch_rows: int = 0
    code: str = ""


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def timed_runs(work: Callable[[], Any], runs: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        work()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return seconds


@dataclass
class SqlCall:
    sql: str
    params: Any
    seconds: float


class SqlRecorder:
    """Records each statement with its parameters and time (to find the slowest and EXPLAIN it)."""

    def __init__(self) -> None:
        self.calls: list[SqlCall] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.calls.append(SqlCall(sql, params, time.perf_counter() - start))


def page_figure(
    client: Any,
    what: str,
    url: str,
    runs: int,
    *,
    matches: int | None = None,
    warmup: int = 2,
) -> tuple[Figure, SqlRecorder]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get() -> Any:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        return response

    seconds = timed_runs(get, runs, warmup)
    recorder = SqlRecorder()
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(recorder):
        get()
    slowest = max(recorder.calls, key=lambda c: c.seconds, default=None)
    figure = Figure(
        what,
        "page",
        1000 * statistics.median(seconds),
        1000 * percentile(seconds, 0.95),
        runs,
        queries=len(captured.captured_queries),
        matches=matches,
        slowest_sql_ms=1000 * slowest.seconds if slowest else None,
        slowest_sql=_sql_label(slowest.sql) if slowest else "",
    )
    return figure, recorder


def function_figure(what: str, work: Callable[[], Any], runs: int) -> Figure:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seconds = timed_runs(work, runs)
    with CaptureQueriesContext(connection) as captured:
        work()
    return Figure(
        what,
        "function",
        1000 * statistics.median(seconds),
        1000 * percentile(seconds, 0.95),
        runs,
        queries=len(captured.captured_queries),
    )


def _sql_label(sql: str) -> str:
    """A short description of a statement: its kind and the tables it reads."""
    tables = sorted(set(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', sql)))
    kind = "COUNT" if re.match(r"\s*SELECT\s+COUNT\(", sql, re.I) else sql.split(None, 1)[0]
    return f"{kind} {', '.join(tables)}"


def _search_statement(sql: str) -> str:
    """Which of the list page's statements this is: the paginator's count, the page's rows."""
    if 'FROM "registry_beneficiary"' not in sql:
        return ""
    if re.match(r"\s*SELECT\s+COUNT\(", sql, re.I):
        return "count"
    return "rows" if " LIMIT " in sql else ""


def explain(what: str, recorder: SqlRecorder, *, slowest_only: bool = False) -> list[Plan]:
    """EXPLAIN (ANALYZE, BUFFERS) of the search's count and rows statements, as the page ran."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    slowest: dict[str, SqlCall] = {}
    for call in recorder.calls:
        kind = "slowest" if slowest_only else _search_statement(call.sql)
        if kind and (kind not in slowest or call.seconds > slowest[kind].seconds):
            slowest[kind] = call
    plans = []
    for kind, call in sorted(slowest.items()):
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + call.sql, call.params)
            lines = [row[0] for row in cursor.fetchall()]
        full = "\n".join(lines)
        plans.append(
            Plan(
                what,
                kind,
                1000 * call.seconds,
                shorten_plan(lines),
                "Seq Scan on registry_beneficiary" in full,
            )
        )
    return plans


def shorten_plan(lines: list[str], limit: int = 16) -> list[str]:
    """The plan's nodes (no conditions or buffer details) and its timings, long lines cut."""
    kept = [lines[0]]
    buffers = [line for line in lines[1:3] if line.strip().startswith("Buffers:")]
    kept += buffers[:1]  # the whole statement's buffers, under the root node
    for line in lines[1 + len(buffers[:1]) :]:
        stripped = line.strip()
        if stripped.startswith("->"):
            kept.append(line)
        elif stripped.startswith(("Planning Time", "Execution Time")):
            continue
        elif stripped.startswith(("Index Cond", "Recheck Cond")) and len(kept) < limit:
            kept.append(line)
    kept = [k if len(k) <= 150 else k[:147] + "..." for k in kept[:limit]]
    if len(kept) == limit:
        kept.append("   ...")
    kept += [line.strip() for line in lines if line.strip().startswith("Execution Time")]
    return kept


def measure_pages(world: World, runs: int, export_runs: int, results: Results) -> None:
    from django.test import Client
    from django.urls import reverse

    from tandir.registry import queries
    from tandir.registry.models import Beneficiary

    list_url = reverse("registry:list")
    home_url = reverse("home")
    me, intake, manager, analyst = world.me_officer, world.intake, world.manager, world.analyst
    people = Beneficiary.objects.filter(organization=world.organization).order_by("id")
    sample = people.exclude(phone="").exclude(national_id=None)[results.people // 3]
    phone_fragment = f"{sample.phone[-6:-4]} {sample.phone[-4:]}"
    card = (
        people.exclude(national_id=None)
        .exclude(national_id__startswith="A")[results.people // 4]
        .national_id
    )
    passport = people.filter(national_id__startswith="A")[results.people // 8].national_id
    gyumri = world.districts[OWN_BRANCH][0]

    def matches(user: Any, **filters: Any) -> int:
        return queries.search_beneficiaries(user, **filters).count()

    clients = {}
    for user in (me, intake, manager, analyst):
        client = Client()
        client.force_login(user)
        clients[user.pk] = client

    searches: list[tuple[str, Any, str, dict[str, Any]]] = [
        ("List, first page (M&E officer, whole organisation)", me, "", {}),
        ("List, first page (intake officer, one branch)", intake, "", {}),
        (f"Search, Latin surname fragment `{LATIN_FRAGMENT}`", me, f"q={LATIN_FRAGMENT}",
         {"text": LATIN_FRAGMENT}),
        (f"Search, Armenian-script name `{ARMENIAN_NAME}`", me, f"q={ARMENIAN_NAME}",
         {"text": ARMENIAN_NAME}),
        (f"Search, phone fragment `{phone_fragment}`", me, f"q={phone_fragment}",
         {"text": phone_fragment}),
        (f"Search, exact national ID (identity card `{card}`)", me, f"q={card}",
         {"text": card}),
        (f"Search, exact national ID (passport `{passport}`)", me, f"q={passport}",
         {"text": passport}),
        ("Search, no match (same page, empty list)", me, f"q={NO_MATCH}", {"text": NO_MATCH}),
        (f"Filter, district {gyumri.name} + status trained", me,
         f"district={gyumri.pk}&status=trained", {"district": gyumri.pk, "status": "trained"}),
    ]  # fmt: skip
    for what, user, query, filters in searches:
        url = list_url + ("?" + "&".join(_quote_pairs(query, quote)) if query else "")
        figure, recorder = page_figure(
            clients[user.pk], what, url, runs, matches=matches(user, **filters)
        )
        results.figures.append(figure)
        if what.startswith("Search") and NO_MATCH not in what:
            results.plans += explain(what, recorder)
        print(_progress(figure))

    def summary() -> Any:
        return queries.registry_summary(me)

    def aggregates() -> Any:
        return queries.network_aggregates(analyst)

    def search_function() -> Any:
        found = queries.search_beneficiaries(me, text=LATIN_FRAGMENT)
        return found.count(), list(found[:25])

    home, recorder = page_figure(
        clients[me.pk], "Home page (registry summary, M&E officer)", home_url, runs
    )
    results.plans += explain(home.what, recorder, slowest_only=True)
    for figure in (
        home,
        function_figure("`registry_summary` (M&E officer)", summary, runs),
        page_figure(clients[analyst.pk], "Home page (network aggregates, analyst)", home_url, runs)[
            0
        ],
        function_figure("`network_aggregates` (network analyst)", aggregates, runs),
        function_figure(
            f"`search_beneficiaries` `{LATIN_FRAGMENT}`: count + first 25", search_function, runs
        ),
    ):
        results.figures.append(figure)
        print(_progress(figure))

    branch_rows = queries.search_beneficiaries(manager).count()
    results.branch_rows = branch_rows
    export_url = reverse("registry:export", kwargs={"file_format": "xlsx"})
    figure, _recorder = page_figure(
        clients[manager.pk],
        f"XLSX export of one branch ({branch_rows:,} rows, branch manager)",
        export_url,
        export_runs,
        matches=branch_rows,
        warmup=1,
    )
    figure.rows_per_second = branch_rows / (figure.median_ms / 1000)
    results.figures.append(figure)
    print(_progress(figure))


def _quote_pairs(query: str, quote: Callable[[str], str]) -> Iterator[str]:
    for pair in query.split("&"):
        key, _sep, value = pair.partition("=")
        yield f"{key}={quote(value)}"


def _progress(figure: Figure) -> str:
    return (
        f"  {figure.what}: median {figure.median_ms:.1f} ms, p95 {figure.p95_ms:.1f} ms,"
        f" {figure.queries} queries"
    )


# --- Import -------------------------------------------------------------------------------------


def write_import_file(
    path: Path, world: World, lines: int, first_index: int, bad: Sequence[int] = ()
) -> list[int]:
    """A CSV of `lines` new participants of OWN_BRANCH; lines at positions `bad` are broken.

    Returns the file line numbers (header = line 1) that should be reported.
    """
    from django.utils import timezone

    from tandir.orgs.models import District
    from tandir.registry.imports import COLUMNS

    people = People(SEED + first_index)
    rng = people.rng
    districts = [
        f"{d.region.name}/{d.name}"
        for d in District.objects.filter(pk__in=[d.pk for d in world.districts[OWN_BRANCH]])
        .select_related("region")
        .order_by("pk")
    ]
    today = timezone.localdate()
    reported: list[int] = []
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, COLUMNS)
        writer.writeheader()
        for position in range(lines):
            index = first_index + position
            sex = "female" if rng.random() < 0.62 else "male"
            names, _azerbaijani = people.names(sex)
            district = rng.choice(districts)
            born = today - datetime.timedelta(days=rng.randrange(18 * 365, 60 * 365))
            groups = [g for g, share in GROUP_SHARES.items() if rng.random() < share]
            row = {
                "first_name": names.first_name,
                "patronymic": names.patronymic,
                "last_name": names.last_name,
                "sex": sex,
                "date_of_birth": born.isoformat(),
                "phone": People.phone(index, False),
                "national_id": People.national_id(index, rng.random()),
                "branch": OWN_BRANCH,
                "district": district,
                "locality": "",
                "target_groups": ";".join(groups),
                "education": "secondary",
                "economic_activity": rng.choice(["none", "casual", "farming"]),
                "heard_via": rng.choice(["media", "event", "referral"]),
                "heard_via_detail": "",
                "projects": world.projects[0].code,
                "household_members": str(rng.randrange(1, 8)),
                "household_dependants": "0",
                "household_head_sex": sex,
                "household_income": str(rng.randrange(40, 400) * 1000),
                "household_income_currency": "AMD",
                "consent_surveys": "yes",
                "consent_sharing": rng.choice(["yes", "no"]),
            }
            if position in bad:
                kind = len(reported) % 3
                if kind == 0:
                    row["date_of_birth"] = "1990-13-45"
                elif kind == 1:
                    row["district"] = "Atlantis"
                else:
                    row["household_members"] = "0"
                reported.append(position + 2)
            writer.writerow(row)
    return reported


def registry_counts() -> dict[str, int]:
    from tandir.registry.models import Beneficiary, Consent, Enrolment, Household, StatusChange

    return {
        model.__name__: model.objects.count()
        for model in (Beneficiary, Household, Enrolment, Consent, StatusChange)
    }


def measure_import(world: World, folder: Path, people: int, results: Results) -> None:
    from django.db import connection

    from tandir.registry.imports import import_beneficiaries

    # Phones and IDs beyond those loaded, so every line is a new person.
    bad_path = folder / "bad.csv"
    positions = [IMPORT_LINES // 7, IMPORT_LINES // 2, IMPORT_LINES - 3]
    expected = write_import_file(bad_path, world, IMPORT_LINES, people + 20_000, positions)
    clean_path = folder / "clean.csv"
    write_import_file(clean_path, world, IMPORT_LINES, people + 40_000)

    before = registry_counts()
    counter = SqlRecorder()
    start = time.perf_counter()
    with connection.execute_wrapper(counter):
        bad = import_beneficiaries(world.intake, bad_path)
    bad_seconds = time.perf_counter() - start
    reported = sorted({e.line for e in bad.errors})
    assert reported == expected, (reported, expected, [str(e) for e in bad.errors])
    assert registry_counts() == before, "a file with bad lines wrote something"
    results.import_bad = {
        "seconds": bad_seconds,
        "lines": bad.lines,
        "errors": [str(e) for e in bad.errors],
        "queries": len(counter.calls),
    }
    print(f"  import with {BAD_LINES} bad lines: {bad_seconds:.1f} s, nothing written")

    counter = SqlRecorder()
    start = time.perf_counter()
    with connection.execute_wrapper(counter):
        clean = import_beneficiaries(world.intake, clean_path)
    seconds = time.perf_counter() - start
    assert clean.ok, [str(e) for e in clean.errors[:5]]
    assert clean.created == IMPORT_LINES, clean.created
    after = registry_counts()
    assert after["Beneficiary"] == before["Beneficiary"] + IMPORT_LINES
    results.import_clean = {
        "seconds": seconds,
        "lines": clean.lines,
        "created": clean.created,
        "flagged": clean.flagged,
        "queries": len(counter.calls),
    }
    print(f"  clean import: {seconds:.1f} s, {clean.lines / seconds:,.0f} lines/s")


# --- Report -------------------------------------------------------------------------------------


def machine(results: Results, database: Database) -> str:
    import django

    memory = "?"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        memory = f"{kib / 1024**2:.0f} GiB RAM"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return (
        f"Measured {datetime.datetime.now(datetime.UTC).date().isoformat()} on"
        f" {os.cpu_count()} CPUs ({platform.machine()}, {platform.system()} {platform.release()}),"
        f" {memory}, {platform.python_implementation()} {platform.python_version()},"
        f" Django {django.get_version()}, {results.db_version} ({database.note}); code at"
        f" {results.code}; load average {load:.2f} at the end of the run."
    )


def code_version() -> str:
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"
    changed = [line[3:].removeprefix("src/tandir/") for line in dirty if line.strip()]
    if changed:
        return f"commit {commit} plus uncommitted changes to {', '.join(changed)}"
    return f"commit {commit}"


def db_version() -> str:
    import sqlite3

    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            settings = []
            for name in ("server_version", "shared_buffers", "work_mem"):
                cursor.execute(f"SHOW {name}")
                row = cursor.fetchone()
                settings.append(str(row[0]).split()[0] if row else "?")
            return (
                f"PostgreSQL {settings[0]} (shared_buffers {settings[1]}, work_mem {settings[2]})"
            )
    return f"SQLite {sqlite3.sqlite_version}"


def report(results: Results, database: Database, runs: int, export_runs: int) -> str:
    title = "SQLite" if results.vendor == "sqlite" else "PostgreSQL"
    load = results.load
    tables = ", ".join(f"{n:,} {name}" for name, n in load.by_table.items())

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    lines = [
        f"<!-- bench_registry:{results.vendor}:start -->",
        f"### {title}: {results.people:,} participants",
        "",
        machine(results, database),
        "",
        f"Load ({load.method}, one transaction): {load.rows:,} rows ({tables}) in"
        f" {load.seconds:.1f} s, **{load.rows / load.seconds:,.0f} rows/s** with the Python that"
        f" makes them ({load.people / load.seconds:,.0f} participants/s); the inserts alone"
        f" {load.rows / load.insert_seconds:,.0f} rows/s. `migrate` on the empty database took"
        f" {results.migrate_seconds:.1f} s."
        + (" Then `VACUUM ANALYZE`, as autovacuum would." if results.vendor != "sqlite" else ""),
        "",
        f"Each figure is the median and p95 (nearest rank) of {runs} runs after 2 warm-up runs,"
        f" except the export: {export_runs} runs after 1 warm-up, since one export takes"
        " seconds (its p95 is then the slowest run). Pages are fetched through"
        " `django.test.Client`, logged in; SQL queries counted with `CaptureQueriesContext`"
        " (session and user included); the slowest query is the slowest statement of one"
        " fetch.",
        "",
        "| What | Via | Median ms | p95 ms | SQL queries | Matches | Slowest query | Goal |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for f in results.figures:
        slowest = f"{f.slowest_sql_ms:.1f} ms {f.slowest_sql}" if f.slowest_sql_ms else "—"
        if f.rows_per_second is not None:
            goal = (
                f"{f.rows_per_second:,.0f} rows/s ≥ {EXPORT_GOAL_ROWS:,.0f}:"
                f" {verdict(f.rows_per_second >= EXPORT_GOAL_ROWS)}"
            )
        else:
            goal = f"p95 ≤ {PAGE_P95_GOAL_MS:.0f} ms: {verdict(f.p95_ms <= PAGE_P95_GOAL_MS)}"
        lines.append(
            f"| {f.what} | {f.via} | {f.median_ms:,.1f} | {f.p95_ms:,.1f} |"
            f" {f.queries if f.queries is not None else '—'} |"
            f" {f'{f.matches:,}' if f.matches is not None else '—'} | {slowest} | {goal} |"
        )
    clean, bad = results.import_clean, results.import_bad
    rate = clean["lines"] / clean["seconds"]
    lines += [
        "",
        f"CSV import (`import_beneficiaries`, intake officer, into the loaded registry):"
        f" a clean {clean['lines']:,}-line file in {clean['seconds']:.1f} s,"
        f" **{rate:,.0f} lines/s** (goal ≥ {IMPORT_GOAL_LINES:,.0f}:"
        f" {verdict(rate >= IMPORT_GOAL_LINES)}), {clean['queries']:,} SQL statements for"
        f" the whole file; {clean['flagged']:,} of"
        f" {clean['created']:,} created people flagged as possible duplicates. A"
        f" {bad['lines']:,}-line file with {BAD_LINES} bad lines: all {BAD_LINES} reported"
        f" ({'; '.join(bad['errors'])}) and nothing written, in {bad['seconds']:.1f} s"
        f" ({bad['queries']:,} SQL statements).",
    ]
    if results.plans:
        lines += [
            "",
            "Plans of the search pages' count and rows statements and of the home page's"
            " slowest statement, as the pages ran them (`EXPLAIN (ANALYZE, BUFFERS)`; nodes,"
            " index conditions and the total buffers only):",
        ]
        for plan in results.plans:
            lines += [
                "",
                f"{plan.what}, {plan.query} statement ({plan.ms:.1f} ms in the page)"
                + (": **sequential scan of the registry**" if plan.seq_scan else ":"),
                "",
                "```",
                *plan.lines,
                "```",
            ]
    lines += ["", *slow_spots(results), f"<!-- bench_registry:{results.vendor}:end -->"]
    return "\n".join(lines)


def slow_spots(results: Results) -> list[str]:
    """What a reader should look at first, found from the figures themselves."""
    spots = []
    for f in results.figures:
        if f.rows_per_second is None and f.p95_ms > PAGE_P95_GOAL_MS:
            slowest = (
                f"; slowest statement {f.slowest_sql_ms:,.0f} ms ({f.slowest_sql})"
                if f.slowest_sql_ms
                else ""
            )
            spots.append(
                f"{f.what}: p95 {f.p95_ms:,.0f} ms, over the {PAGE_P95_GOAL_MS:.0f} ms goal"
                f"{slowest}."
            )
        if "exact national ID" in f.what and f.matches is not None and f.matches != 1:
            spots.append(
                f"{f.what}: {f.matches:,} people found for one person's ID (the ID's letters"
                " also match as a name fragment)."
            )
    for plan in results.plans:
        # Counting a whole organisation has to read it; only a search should not.
        if plan.seq_scan and plan.query in ("count", "rows"):
            spots.append(
                f"{plan.what}: the {plan.query} statement scans `registry_beneficiary` sequentially"
                f" ({plan.ms:,.0f} ms in the page)."
            )
    for f in results.figures:
        if f.rows_per_second is not None and f.rows_per_second < EXPORT_GOAL_ROWS:
            spots.append(
                f"{f.what}: {f.rows_per_second:,.0f} rows/s, under the"
                f" {EXPORT_GOAL_ROWS:,.0f} rows/s goal."
            )
    clean = results.import_clean
    if clean and clean["lines"] / clean["seconds"] < IMPORT_GOAL_LINES:
        spots.append(
            f"CSV import: {clean['lines'] / clean['seconds']:,.0f} lines/s, under the"
            f" {IMPORT_GOAL_LINES:,.0f} lines/s goal ({clean['queries'] / clean['lines']:.2f} SQL"
            " statements a line)."
        )
    queries = {f.what: f.queries or 0 for f in results.figures}
    full = next((n for w, n in queries.items() if w.startswith("List, first page (M&E")), 0)
    empty = next((n for w, n in queries.items() if w.startswith("Search, no match")), 0)
    if full > empty + 2:
        spots.append(
            f"The list page makes {full} queries for 25 rows but {empty} for none: a query per"
            " row (N+1)."
        )
    if not spots:
        return ["No slow spot found: every page within its goal and every search plan indexed."]
    return ["Slow spots found by this run:", "", *(f"- {s}" for s in spots)]


def section_header() -> list[str]:
    return [
        START_MARK,
        "## Registry at national scale (`bench/bench_registry.py`)",
        "",
        "One organisation with 4 branches over 20 Armenian districts and N participants"
        " (households, target groups, enrolments in 2 projects, consent, status history; names"
        " in Armenian, Latin and Cyrillic script, 1 in 4 Azerbaijani), loaded set-wise into a"
        " fresh database migrated by the script. The intake officer and the branch manager work"
        f" in the {BRANCH_NAMES[OWN_BRANCH]} branch"
        f" ({BRANCH_SHARES[OWN_BRANCH]:.0%} of the participants);"
        " the M&E officer sees the whole organisation. Speed goals live here, not in unit tests:"
        f" every page and query function p95 ≤ {PAGE_P95_GOAL_MS:.0f} ms, the XLSX export"
        f" ≥ {EXPORT_GOAL_ROWS:,.0f} rows/s, the import ≥ {IMPORT_GOAL_LINES:,.0f} lines/s."
        " `bench/README.md` says how to run it.",
    ]


def write_report(part: str, vendor: str) -> None:
    """Replace this database's part of the registry section; keep the other database's part."""
    text = REPORT.read_text() if REPORT.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(START_MARK) + r".*?" + re.escape(END_MARK), re.S)
    match = pattern.search(text)
    parts = {}
    for name in VENDORS:
        sub = re.compile(
            re.escape(f"<!-- bench_registry:{name}:start -->")
            + r".*?"
            + re.escape(f"<!-- bench_registry:{name}:end -->"),
            re.S,
        )
        found = sub.search(match.group(0)) if match else None
        if found:
            parts[name] = found.group(0)
    parts[vendor] = part
    section = "\n".join(
        [
            *section_header(),
            *(f"\n{parts[name]}" for name in VENDORS if name in parts),
            "",
            END_MARK,
        ]
    )
    if match:
        text = text[: match.start()] + section + text[match.end() :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    REPORT.write_text(text.rstrip("\n") + "\n")


# --- Main ---------------------------------------------------------------------------------------


def load_code() -> None:
    """Import every module the run uses now, so one run measures one state of the code."""
    import importlib

    from django.urls import reverse

    reverse("home")  # loads the URLconf and with it every view
    for module in ("imports", "exports", "queries", "duplicates", "names"):
        importlib.import_module(f"tandir.registry.{module}")


def run(args: argparse.Namespace, database: Database, folder: Path) -> Results:
    from django.core.management import call_command
    from django.utils import timezone

    code = code_version()  # before anything is imported: the state this run measures
    load_code()

    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_seconds = time.perf_counter() - start
    world = build_world()
    today = timezone.localdate()
    print(f"loading {args.people:,} participants into {database.vendor} ...")
    load = load_people(world, args.people, today)
    print(
        f"  {load.rows:,} rows in {load.seconds:.1f} s ({load.rows / load.seconds:,.0f} rows/s,"
        f" {load.method})"
    )
    analyse()
    results = Results(database.vendor, db_version(), args.people, load, migrate_seconds, code=code)
    print(f"measuring pages and queries ({args.runs} runs each) ...")
    measure_pages(world, args.runs, args.export_runs, results)
    print("measuring the import ...")
    measure_import(world, folder, args.people, results)
    return results


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per figure (≥ 20)")
    parser.add_argument(
        "--export-runs",
        type=int,
        default=5,
        help="timed runs of the branch export, which takes seconds each (default 5)",
    )
    parser.add_argument("--database-url", help="postgres://...; default: SQLite in a temp folder")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(list(argv))
    database = prepare_database(args.database_url, args.keep)
    folder = Path(tempfile.mkdtemp(prefix="tandir-bench-files-"))
    try:
        setup_django(database.url)
        started = time.perf_counter()
        results = run(args, database, folder)
        part = report(results, database, args.runs, args.export_runs)
        print()
        print(part)
        print(f"\nwhole run: {time.perf_counter() - started:.0f} s")
        if not args.no_write:
            write_report(part, database.vendor)
            print(f"written to {REPORT.relative_to(ROOT)}")
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(folder, ignore_errors=True)
        database.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
