"""A synthetic national loan portfolio for benchmarks (`tandir synth --loans N`).

One organisation (a national lender with conventional and Islamic products in PKR), its branches
(one per 2,000 loans), loan officers (one per 300 loans) and branch managers, one participant per
loan with a household, consent and target groups, solidarity groups and centres for the weekly
group loans, and loans of every method (flat weekly group loans, declining-balance monthly loans
on the accrual basis, Qard Hasan, Murabaha with its profit recognised as due) with their
schedules and repayment histories: on time, late, partial and defaulted borrowers, a few loans
rescheduled (`renegotiated`) and written off. The portfolio is as it stands at the end of the
business day `as_of`: charges due by then are recognised, as if close of business had run.

Exact and fast at once: the loan engine builds one schedule per (product, amount, rate, term)
template and allocates one repayment history per (template, payment pattern) with its
reference dates; every loan of the template reuses them with its own dates. The amounts of a
schedule do not depend on its dates (periodic day count), and every payment falls on a due date
plus fewer days than the shortest period (28 days, or 7 for weekly loans), so the same
installments are due at each payment and the engine's allocation is the same. The rescheduled
loans, which are few, get their new schedule and its allocations from the engine one by one.

Rows are written in chunks of loans: COPY on PostgreSQL (secondary indexes, unique and foreign-key
constraints of the big tables dropped before and rebuilt after, for large portfolios, then
ANALYZE), batches of `executemany` elsewhere (SQLite, for the tests). Ids are drawn in order from
the tables' current maximum, so one seed on one database state gives the same rows, ids
included. The same seed makes the same portfolio.

The ledger holds one opening-balance entry per branch, dated `as_of`, as the portfolio import
does per loan: the receivables (principal, recognised unpaid interest, the Murabaha sale price
left) and the deferred Murabaha profit, against suspense. The repayments of the history were
books of the past: their applications carry no journal entry. No change history (simple-history)
rows are written for the synthetic records.
"""

from __future__ import annotations

import datetime
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.core.errors import TandirError
from tandir.core.models import TargetGroup
from tandir.demo.names import pakistani_name
from tandir.engine import (
    Frequency,
    InstallmentDue,
    LoanTerms,
    Method,
    Payment,
    Product,
    RepaymentState,
    build_schedule,
    quantum,
    replay,
)
from tandir.engine.calendar import scheduled_dates
from tandir.ledger.charts import TEMPLATES, Role
from tandir.ledger.models import Account, EntryKind, JournalEntry, JournalLine
from tandir.lending.models import (
    AccountingBasis,
    Application,
    ApplicationLine,
    Centre,
    ChangeKind,
    ChangeStatus,
    GroupMembership,
    Installment,
    Loan,
    LoanChange,
    LoanEvent,
    LoanProduct,
    LoanStatus,
    ProductVersion,
    ProfitRecognition,
    Repayment,
    RepaymentSource,
    Sector,
    SolidarityGroup,
)
from tandir.lending.terms import engine_product
from tandir.orgs.models import (
    Branch,
    BranchDistrict,
    Country,
    District,
    Organization,
    OrganizationKind,
    StaffBranch,
    StaffUser,
)
from tandir.orgs.models import (
    Role as StaffRole,
)
from tandir.registry.duplicates import keys_for
from tandir.registry.models import (
    Beneficiary,
    BeneficiaryTargetGroup,
    Consent,
    EconomicActivity,
    Education,
    HeardVia,
    Household,
    IdDocument,
    Sex,
    Status,
    StatusChange,
)
from tandir.registry.names import to_latin

CURRENCY = "PKR"
LOANS_PER_BRANCH = 2000
LOANS_PER_OFFICER = 300
GROUP_SIZE = 5
GROUPS_PER_CENTRE = 4
CHUNK = 20_000
# Above this many loans, PostgreSQL's secondary indexes and constraints of the big tables are
# dropped for the COPY and rebuilt after it: one sort per index instead of millions of inserts
# into it, and one join per foreign key instead of a deferred trigger per row.
REBUILD_FROM = 20_000
ZERO = Decimal(0)
UNIT = quantum(CURRENCY)
# The reference disbursement date of every template: its due dates fall on the 1st.
REFERENCE_DAY = datetime.date(2001, 1, 1)
UTC = datetime.UTC


class SynthRefused(TandirError):
    pass


@dataclass(frozen=True)
class ProductSpec:
    """One product of the synthetic lender and the loans it makes."""

    code: str
    name: str
    method: Method
    frequency: Frequency
    rates: tuple[Decimal, ...]
    amounts: tuple[int, ...]
    terms: tuple[int, ...]
    share: float  # of the loans
    group: bool = False
    accrual: bool = False
    sectors: tuple[str, ...] = ()


PRODUCTS = (
    ProductSpec(
        "syn-group",
        "Group enterprise loan (weekly, flat)",
        Method.FLAT,
        Frequency.WEEKLY,
        (Decimal(20), Decimal(24)),
        (20_000, 25_000, 30_000, 40_000, 50_000),
        (16, 24),
        0.35,
        group=True,
        sectors=(Sector.TRADE, Sector.LIVESTOCK, Sector.CRAFTS, Sector.SERVICES),
    ),
    ProductSpec(
        "syn-business",
        "Individual business loan (monthly, declining balance)",
        Method.DECLINING,
        Frequency.MONTHLY,
        (Decimal(28), Decimal(32)),
        (50_000, 75_000, 100_000, 150_000, 200_000, 250_000, 300_000),
        (6, 9, 12, 18),
        0.30,
        accrual=True,
        sectors=(Sector.TRADE, Sector.SERVICES, Sector.MANUFACTURING, Sector.AGRICULTURE),
    ),
    ProductSpec(
        "syn-murabaha",
        "Murabaha (monthly)",
        Method.MURABAHA,
        Frequency.MONTHLY,
        (Decimal(12), Decimal(15)),
        (60_000, 90_000, 120_000, 180_000, 250_000),
        (6, 12, 18),
        0.25,
        sectors=(Sector.TRADE, Sector.LIVESTOCK, Sector.AGRICULTURE, Sector.MANUFACTURING),
    ),
    ProductSpec(
        "syn-qard",
        "Qard Hasan (monthly, interest free)",
        Method.QARD_HASAN,
        Frequency.MONTHLY,
        (ZERO,),
        (10_000, 15_000, 20_000, 30_000, 50_000),
        (6, 10, 12),
        0.10,
        sectors=(Sector.SERVICES, Sector.CRAFTS, Sector.OTHER),
    ),
)

PURPOSES = {
    Sector.TRADE: "Stock for a general store",
    Sector.SERVICES: "Tools for a tailoring service",
    Sector.AGRICULTURE: "Seed and fertiliser",
    Sector.LIVESTOCK: "A buffalo for milk sales",
    Sector.MANUFACTURING: "A machine for a small workshop",
    Sector.CRAFTS: "Materials for embroidery",
    Sector.OTHER: "Working capital",
}

# Borrower behaviours and their shares: (kind, share).
BEHAVIOURS = (("on_time", 0.62), ("late", 0.18), ("partial", 0.10), ("defaulted", 0.10))
RESCHEDULED_SHARE = 0.08  # of late and partial borrowers on conventional and Qard Hasan loans
WRITTEN_OFF_SHARE = 0.6  # of defaulters more than 200 days past due
WRITE_OFF_AFTER_DAYS = 181
PREVIOUS_CYCLE_SHARE = 0.12  # loans whose whole schedule fell due long ago


@dataclass
class SynthReport:
    organization_id: int
    as_of: datetime.date
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: dict[str, float] = field(default_factory=dict)
    # Seconds spent in the database's writes, by table (COPY or executemany).
    write_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    statuses: dict[str, int] = field(default_factory=lambda: defaultdict(int))


# --- Templates and patterns ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Template:
    spec: ProductSpec
    version_id: int
    product: Product
    amount: Decimal
    rate: Decimal
    term: int
    # (number, principal, charge, fees, savings, total) of each installment.
    rows: tuple[tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal], ...]
    recognises: bool  # charges recognised as due (accrual basis, Murabaha profit)
    reference_dates: tuple[datetime.date, ...]


# A payment of a pattern: the installment whose due date it follows, the days after that date,
# and the amount. An allocation: (number, component, amount) lines.
_Pay = tuple[int, int, Decimal]
_Lines = tuple[tuple[int, str, Decimal], ...]


@dataclass(frozen=True, slots=True)
class _History:
    payments: tuple[_Pay, ...]
    allocations: tuple[_Lines, ...]


def _state(
    rows: Sequence[tuple[Any, ...]], dates: Sequence[datetime.date], product: Product
) -> RepaymentState:
    """Nothing paid, as `tandir.lending.terms.initial_state` reads stored rows."""
    zero = ZERO.quantize(UNIT)
    return RepaymentState(
        tuple(
            InstallmentDue(number, day, principal, charge, fees, savings, zero)
            for (number, principal, charge, fees, savings, _total), day in zip(
                rows, dates, strict=True
            )
        ),
        zero,
        product,
    )


def _allocate(
    state: RepaymentState, dates: Sequence[datetime.date], payments: Sequence[_Pay]
) -> tuple[_Lines, ...]:
    history = replay(
        state,
        [
            Payment(f"p{index}", dates[k - 1] + datetime.timedelta(days=days), amount)
            for index, (k, days, amount) in enumerate(payments)
        ],
    )
    allocations = []
    for allocation in history.allocations:
        assert allocation.credit == ZERO, "a synthetic payment never exceeds what is due"
        allocations.append(
            tuple(
                (line.number, str(line.component), line.amount)
                for line in allocation.lines
                if line.amount
            )
        )
    return tuple(allocations)


def _payments(template: _Template, pattern: tuple[Any, ...]) -> tuple[_Pay, ...]:
    kind, days, fraction, stop = pattern
    rows = template.rows
    if kind == "partial":
        return tuple(
            (number, days, (total * fraction).quantize(UNIT, ROUND_DOWN))
            for number, *_parts, total in rows
        )
    count = stop if kind == "defaulted" else len(rows)
    return tuple((number, days, total) for number, *_parts, total in rows[:count])


# --- Writing rows -------------------------------------------------------------------------------


class _Writer:
    """Rows by table, with their ids drawn in order; COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, report: SynthReport) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.next_ids: dict[type[models.Model], int] = {}
        self.report = report

    def ids(self, model: type[models.Model], count: int) -> int:
        """The first of `count` new ids of the model's table."""
        if model not in self.next_ids:
            table = model._meta.db_table
            with connection.cursor() as cursor:
                if self.postgres:
                    cursor.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
                cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
                (highest,) = cursor.fetchone()
            self.next_ids[model] = int(highest) + 1
        first = self.next_ids[model]
        self.next_ids[model] = first + count
        return first

    def write(
        self, model: type[models.Model], columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        table = model._meta.db_table
        self.report.rows[table] += len(rows)
        quoted = ", ".join(f'"{column}"' for column in columns)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            if self.postgres:
                raw: Any = cursor.cursor
                # COPY's text format built here with `str` on every value (psycopg's write_row
                # costs several times more): None prints as the NULL marker, True and False are
                # booleans to PostgreSQL, and no text written here holds a tab, a newline or a
                # backslash (names, codes and references are made by this module).
                with raw.copy(
                    f"COPY \"{table}\" ({quoted}) FROM STDIN WITH (FORMAT text, NULL 'None')"
                ) as copy:
                    for start in range(0, len(rows), 5000):
                        copy.write(
                            "".join(
                                "\t".join(map(str, row)) + "\n"
                                for row in rows[start : start + 5000]
                            )
                        )
            else:
                marks = ", ".join(["%s"] * len(columns))
                sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})'
                for start in range(0, len(rows), 5000):
                    cursor.executemany(sql, [_sqlite(row) for row in rows[start : start + 5000]])
        self.report.write_seconds[table] += time.perf_counter() - started

    def finish(self) -> None:
        """Sequences continue after the ids drawn here."""
        if not self.postgres:
            return
        with connection.cursor() as cursor:
            for model, next_id in self.next_ids.items():
                table = model._meta.db_table
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
                    [table, next_id],
                )


def _sqlite(row: tuple[Any, ...]) -> tuple[Any, ...]:
    out = []
    for value in row:
        if isinstance(value, datetime.datetime):
            value = value.replace(tzinfo=None).isoformat(sep=" ")
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out.append(value)
    return tuple(out)


BIG_MODELS: tuple[type[models.Model], ...] = (
    Household,
    Beneficiary,
    Consent,
    StatusChange,
    BeneficiaryTargetGroup,
    Centre,
    SolidarityGroup,
    GroupMembership,
    Loan,
    LoanEvent,
    LoanChange,
    Installment,
    Repayment,
    Application,
    ApplicationLine,
)


class _Rebuild:
    """PostgreSQL: the big tables' secondary indexes and unique and foreign-key constraints,
    dropped before a large load and made again after it (validated then, all at once)."""

    def __init__(self) -> None:
        self.indexes: list[str] = []
        self.constraints: list[tuple[str, str, str]] = []

    def drop(self) -> None:
        tables = [model._meta.db_table for model in BIG_MODELS]
        with connection.cursor() as cursor:
            # A table with checks still pending at commit cannot be altered: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                """
                SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
                FROM pg_constraint c
                WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('f', 'u')
                ORDER BY c.contype, c.conrelid::regclass::text, c.conname
                """,
                [tables],
            )
            found = cursor.fetchall()
            # Unique constraints first on re-creation: a foreign key may need its index.
            self.constraints = [(t, n, d) for t, n, d, kind in found if kind == "u"] + [
                (t, n, d) for t, n, d, kind in found if kind == "f"
            ]
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                ORDER BY 1
                """,
                [tables],
            )
            indexes = cursor.fetchall()
            self.indexes = [definition for _name, definition in indexes]
            for table, name, _definition in reversed(self.constraints):
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {name}")

    def restore(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for definition in self.indexes:
                cursor.execute(definition)
            for table, name, definition in self.constraints:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


# --- The builder --------------------------------------------------------------------------------


@dataclass
class _Branch:
    branch: Branch
    districts: list[int]
    officers: list[int]
    manager: int


@dataclass
class _Group:
    branch: int
    disbursed: datetime.date
    template: _Template
    officer: int
    members: int = 1  # planned
    written: int = 0
    group_id: int = 0


def _organization(code: str) -> Organization:
    found = Organization.objects.filter(short_name__iexact=code).first()
    if found is not None:
        return found
    pakistan = Country.objects.get(code="PK")
    return Organization.objects.create(
        name=_("Synthetic national lender %(code)s") % {"code": code},
        short_name=code,
        kind=OrganizationKind.MFI,
        country=pakistan,
        currency=CURRENCY,
    )


def _chart(organization: Organization) -> dict[str, int]:
    have = Account.objects.filter(organization=organization)
    codes = set(have.values_list("code", flat=True))
    roles = set(have.values_list("role", flat=True))
    Account.objects.bulk_create(
        Account(organization=organization, code=t.code, name=t.name, type=t.type, role=t.role)
        for t in TEMPLATES["both"]
        if t.code not in codes and t.role not in roles
    )
    return {
        account.role: account.pk
        for account in Account.objects.filter(organization=organization).exclude(role="")
    }


def _staff(
    organization: Organization, username: str, role: str, first: str, last: str
) -> StaffUser:
    user, _created = StaffUser.objects.get_or_create(
        username=username,
        defaults={
            "organization": organization,
            "role": role,
            "first_name": first,
            "last_name": last,
            "password": "!synthetic",  # no password: these accounts cannot log in
        },
    )
    return user


def _versions(organization: Organization, administrator: StaffUser) -> dict[str, ProductVersion]:
    versions = {}
    for spec in PRODUCTS:
        product, _created = LoanProduct.objects.get_or_create(
            organization=organization, code=spec.code, defaults={"name": spec.name}
        )
        version = product.versions.order_by("-number").first()
        if version is None:
            version = ProductVersion.objects.create(
                organization=organization,
                product=product,
                number=1,
                created_by=administrator,
                method=spec.method.value,
                currency=CURRENCY,
                frequencies=[spec.frequency.value],
                rate_min=min(spec.rates),
                rate_max=max(spec.rates),
                amount_min=min(spec.amounts),
                amount_max=max(spec.amounts),
                term_min=min(spec.terms),
                term_max=max(spec.terms),
                arrears_days=1 if spec.group else 0,
                accounting_basis=AccountingBasis.ACCRUAL if spec.accrual else AccountingBasis.CASH,
                profit_recognition=ProfitRecognition.AS_DUE,
                penalty_kind="percent" if not spec.method.is_islamic else "fixed",
                penalty_value=Decimal(2) if not spec.method.is_islamic else Decimal(100),
                penalty_after_days=7,
                sectors=list(spec.sectors),
            )
        versions[spec.code] = version
    return versions


class _Builder:
    def __init__(
        self,
        loans: int,
        *,
        code: str,
        seed: int,
        as_of: datetime.date,
        progress: Callable[[str, int, int], None] | None,
    ) -> None:
        self.count = loans
        self.code = code
        self.seed = seed
        self.as_of = as_of
        self.progress = progress
        self.rng = random.Random(f"tandir-synth-{seed}")
        self.templates: dict[tuple[str, int, Decimal, int], _Template] = {}
        self.histories: dict[tuple[Any, ...], _History] = {}
        self.paid_cache: dict[tuple[Any, ...], tuple[tuple[Decimal, ...], ...]] = {}
        self.dates_cache: dict[tuple[datetime.date, Frequency, int], tuple[datetime.date, ...]] = {}
        self.stamps: dict[datetime.date, datetime.datetime] = {}
        self.balances: dict[int, dict[str, Decimal]] = defaultdict(
            lambda: defaultdict(lambda: ZERO)
        )
        self.centre = (0, 0, 0)  # branch, centre id, groups in it

    # The reference data: organisation, chart, products, branches and staff (ORM, few rows).

    def setup(self, report: SynthReport) -> None:
        from tandir.demo.loader import load_geography

        load_geography()
        self.organization = _organization(self.code)
        org = self.organization
        report.organization_id = org.pk
        self.prefix = f"{self.code.upper()}{self.seed}-"
        if Loan.objects.filter(organization=org, reference__startswith=self.prefix).exists():
            raise SynthRefused(
                _(
                    "The organisation %(code)s already has a synthetic portfolio of seed "
                    "%(seed)s; use another seed or another organisation."
                )
                % {"code": self.code, "seed": self.seed},
                code="synth_exists",
            )
        self.accounts = _chart(org)
        self.administrator = _staff(
            org, f"{self.code}.admin", StaffRole.ADMINISTRATOR, "Synthetic", "Administrator"
        )
        self.versions = _versions(org, self.administrator)
        self.products = {
            (spec.code, rate): engine_product(
                self.versions[spec.code], rate=rate, frequency=spec.frequency.value
            )
            for spec in PRODUCTS
            for rate in spec.rates
        }
        districts = list(
            District.objects.filter(region__country__code="PK")
            .order_by("name")
            .values_list("pk", "name")
        )
        branch_count = max(1, round(self.count / LOANS_PER_BRANCH))
        officer_count = max(branch_count, round(self.count / LOANS_PER_OFFICER))
        tag = f"S{self.seed}"
        branches = Branch.objects.bulk_create(
            Branch(
                organization=org,
                name=f"{districts[i % len(districts)][1]} {tag}-{i + 1:04d}",
                code=f"{tag}-{i + 1:04d}",
            )
            for i in range(branch_count)
        )
        BranchDistrict.objects.bulk_create(
            BranchDistrict(
                organization=org, branch=branch, district_id=districts[i % len(districts)][0]
            )
            for i, branch in enumerate(branches)
        )
        base = f"{self.code}.{tag.lower()}"
        managers = StaffUser.objects.bulk_create(
            StaffUser(
                organization=org,
                username=f"{base}.bm{i + 1:04d}",
                role=StaffRole.BRANCH_MANAGER,
                first_name="Branch",
                last_name=f"Manager {i + 1}",
                password="!synthetic",
            )
            for i in range(branch_count)
        )
        officers = StaffUser.objects.bulk_create(
            StaffUser(
                organization=org,
                username=f"{base}.lo{i + 1:05d}",
                role=StaffRole.LOAN_OFFICER,
                first_name="Loan",
                last_name=f"Officer {i + 1}",
                password="!synthetic",
            )
            for i in range(officer_count)
        )
        StaffBranch.objects.bulk_create(
            [
                StaffBranch(organization=org, staffuser=user, branch=branches[i % branch_count])
                for i, user in enumerate(officers)
            ]
            + [
                StaffBranch(organization=org, staffuser=user, branch=branches[i])
                for i, user in enumerate(managers)
            ]
        )
        self.branches = [
            _Branch(
                branch,
                [districts[i % len(districts)][0]],
                [officers[j].pk for j in range(i, officer_count, branch_count)],
                managers[i].pk,
            )
            for i, branch in enumerate(branches)
        ]
        self.target_groups = dict(TargetGroup.objects.values_list("code", "pk"))
        report.rows["orgs_branch"] += branch_count
        report.rows["orgs_staffuser"] += branch_count + officer_count
        # Phones and ID numbers the organisation already holds are skipped.
        held = Beneficiary.objects.filter(organization=org)
        self.held_phones = set(held.values_list("phone", flat=True))
        self.held_ids = set(held.exclude(national_id=None).values_list("national_id", flat=True))
        self.person_index = 0
        self.phone_offset = self.rng.randrange(10**9)
        self.id_offset = self.rng.randrange(9 * 10**12)

    # Pieces of one loan.

    def _template(self, spec: ProductSpec, amount: int, rate: Decimal, term: int) -> _Template:
        key = (spec.code, amount, rate, term)
        found = self.templates.get(key)
        if found is not None:
            return found
        product = self.products[spec.code, rate]
        schedule = build_schedule(LoanTerms(product, Decimal(amount), term, REFERENCE_DAY))
        rows = tuple(
            (row.number, row.principal, row.charge, row.fees, row.savings, row.total)
            for row in schedule.installments
        )
        template = _Template(
            spec,
            self.versions[spec.code].pk,
            product,
            Decimal(amount),
            rate,
            term,
            rows,
            spec.accrual or spec.method is Method.MURABAHA,
            tuple(row.due_date for row in schedule.installments),
        )
        self.templates[key] = template
        return template

    def _history(self, template: _Template, pattern: tuple[Any, ...]) -> _History:
        key = (template.spec.code, template.amount, template.rate, template.term, pattern)
        found = self.histories.get(key)
        if found is None:
            payments = _payments(template, pattern)
            state = _state(template.rows, template.reference_dates, template.product)
            found = _History(payments, _allocate(state, template.reference_dates, payments))
            self.histories[key] = found
        return found

    def _paid(
        self,
        key: tuple[Any, ...] | None,
        rows: Sequence[tuple[Any, ...]],
        allocations: Sequence[_Lines],
    ) -> tuple[tuple[Decimal, ...], ...]:
        """Paid (principal, charge, fees, savings) of each installment after the allocations;
        kept for a template's history (key), computed afresh for a loan's own (None)."""
        found = self.paid_cache.get(key) if key is not None else None
        if found is None:
            paid = [[ZERO, ZERO, ZERO, ZERO] for _row in rows]
            index = {"principal": 0, "charge": 1, "fees": 2, "savings": 3}
            for lines in allocations:
                for number, component, amount in lines:
                    paid[number - 1][index[component]] += amount
            found = tuple(tuple(parts) for parts in paid)
            if key is not None:
                self.paid_cache[key] = found
        return found

    def _dates(
        self, disbursed: datetime.date, frequency: Frequency, term: int
    ) -> tuple[datetime.date, ...]:
        key = (disbursed, frequency, term)
        found = self.dates_cache.get(key)
        if found is None:
            found = scheduled_dates(disbursed, None, frequency, term)
            self.dates_cache[key] = found
        return found

    def _stamp(self, day: datetime.date) -> datetime.datetime:
        found = self.stamps.get(day)
        if found is None:
            found = datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=UTC)
            self.stamps[day] = found
        return found

    def _pattern(self, spec: ProductSpec, template: _Template) -> tuple[Any, ...]:
        rng = self.rng
        kind = rng.choices([k for k, _share in BEHAVIOURS], [s for _k, s in BEHAVIOURS])[0]
        weekly = spec.frequency is Frequency.WEEKLY
        if kind == "on_time":
            return ("on_time", 0 if rng.random() < 0.7 else rng.randint(1, 2), None, None)
        if kind == "late":
            return ("late", rng.randint(2, 6) if weekly else rng.randint(5, 25), None, None)
        if kind == "partial":
            return (
                "partial",
                rng.randint(0, 2),
                rng.choice((Decimal("0.5"), Decimal("0.6"), Decimal("0.75"))),
                None,
            )
        return ("defaulted", 0, None, rng.randint(0, max(1, template.term // 2)))

    def _disbursed(self, template: _Template) -> datetime.date:
        rng = self.rng
        spec = template.spec
        period = 7 if spec.frequency is Frequency.WEEKLY else 30
        span = template.term * period + 30
        if rng.random() < PREVIOUS_CYCLE_SHARE:
            age = span + rng.randint(30, 400)
        else:
            age = rng.randint(3, span)
        return self.as_of - datetime.timedelta(days=age)

    def _person(self) -> tuple[str, str]:
        while True:
            index = self.person_index
            self.person_index += 1
            phone = f"+923{(387_420_489 * index + self.phone_offset) % 10**9:09d}"
            national_id = (
                f"{(7_777_777_777_777 * index + self.id_offset) % (9 * 10**12) + 10**12:013d}"
            )
            if phone not in self.held_phones and national_id not in self.held_ids:
                return phone, national_id

    # The loans, chunk by chunk.

    def plan(self) -> Iterator[list[dict[str, Any]]]:
        """The loans in order, in chunks: branch, product, amount, dates and behaviour."""
        rng = self.rng
        branches = len(self.branches)
        weights = [spec.share for spec in PRODUCTS]
        group: _Group | None = None
        chunk: list[dict[str, Any]] = []
        officer_turn: dict[int, int] = defaultdict(int)
        for i in range(self.count):
            b = i * branches // self.count
            branch = self.branches[b]
            spec = rng.choices(PRODUCTS, weights)[0]
            if group is not None and (group.members >= GROUP_SIZE or group.branch != b):
                group = None
            if spec.group and group is not None:
                template = group.template
                disbursed = group.disbursed
                officer = group.officer
                group.members += 1
                group_ref: _Group | None = group
            else:
                amount = rng.choice(spec.amounts)
                template = self._template(
                    spec, amount, rng.choice(spec.rates), rng.choice(spec.terms)
                )
                disbursed = self._disbursed(template)
                officer = branch.officers[officer_turn[b] % len(branch.officers)]
                officer_turn[b] += 1
                group_ref = None
                if spec.group:
                    group = _Group(b, disbursed, template, officer)
                    group_ref = group
            if spec.group and group_ref is not None and group_ref.members > 1:
                # Members borrow different amounts on the group's terms.
                amount = rng.choice(spec.amounts)
                template = self._template(
                    spec, amount, group_ref.template.rate, group_ref.template.term
                )
            chunk.append(
                {
                    "index": i,
                    "branch": branch,
                    "spec": spec,
                    "template": template,
                    "disbursed": disbursed,
                    "officer": officer,
                    "pattern": self._pattern(spec, template),
                    "group": group_ref,
                    "sector": rng.choice(spec.sectors),
                    "female": rng.random() < (0.9 if spec.group else 0.45),
                    "reschedule": rng.random(),
                    "write_off": rng.random(),
                }
            )
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def write_chunk(
        self, writer: _Writer, chunk: list[dict[str, Any]], report: SynthReport
    ) -> None:
        rng = self.rng
        org = self.organization.pk
        count = len(chunk)
        households: list[tuple[Any, ...]] = []
        people: list[tuple[Any, ...]] = []
        consents: list[tuple[Any, ...]] = []
        status_changes: list[tuple[Any, ...]] = []
        target_rows: list[tuple[Any, ...]] = []
        centres: list[tuple[Any, ...]] = []
        groups: list[tuple[Any, ...]] = []
        memberships: list[tuple[Any, ...]] = []
        loans: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, ...]] = []
        installments: list[tuple[Any, ...]] = []
        repayments: list[tuple[Any, ...]] = []
        applications: list[tuple[Any, ...]] = []
        lines: list[tuple[Any, ...]] = []
        household_id = writer.ids(Household, count)
        person_id = writer.ids(Beneficiary, count)
        loan_id = writer.ids(Loan, count)
        consent_id = writer.ids(Consent, count)
        status_id = writer.ids(StatusChange, count)
        low_income = self.target_groups.get("low_income")
        woman_headed = self.target_groups.get("woman_headed_household")
        for offset, plan in enumerate(chunk):
            branch: _Branch = plan["branch"]
            template: _Template = plan["template"]
            spec: ProductSpec = plan["spec"]
            disbursed: datetime.date = plan["disbursed"]
            officer: int = plan["officer"]
            hid, pid, lid = household_id + offset, person_id + offset, loan_id + offset
            # The participant and their household.
            female = plan["female"]
            sex = Sex.FEMALE.value if female else Sex.MALE.value
            name = pakistani_name(rng, sex, "ur" if rng.random() < 0.15 else "latn")
            keys = keys_for(name.first_name, "", name.last_name)
            phone, national_id = self._person()
            members = rng.randint(2, 9)
            head_sex = (
                sex if rng.random() < 0.6 else (Sex.MALE.value if female else Sex.FEMALE.value)
            )
            households.append(
                (hid, org, members, rng.randint(0, members - 1), head_sex,
                 Decimal(rng.randrange(15_000, 90_000, 500)), CURRENCY)
            )  # fmt: skip
            registered = disbursed - datetime.timedelta(days=rng.randint(30, 200))
            stamp = self._stamp(registered)
            born = registered - datetime.timedelta(days=rng.randint(18 * 365, 62 * 365))
            people.append(
                (pid, org, branch.branch.pk, name.first_name, name.last_name, "",
                 to_latin(f"{name.first_name} {name.last_name}"), keys.full_key,
                 keys.last_name_key, sex, born, phone, IdDocument.NATIONAL_ID.value, national_id,
                 branch.districts[0], None, hid, rng.choice(Education.values),
                 rng.choice(EconomicActivity.values), rng.choice(HeardVia.values), "",
                 Status.BORROWER.value, officer, registered, None, None, stamp, stamp)
            )  # fmt: skip
            consents.append(
                (consent_id + offset, org, pid, registered, True, rng.random() < 0.7,
                 rng.random() < 0.5, None, None, "", officer)
            )  # fmt: skip
            status_changes.append(
                (status_id + offset, org, pid, Status.REGISTERED.value, Status.BORROWER.value,
                 disbursed, self._stamp(disbursed), officer, "")
            )  # fmt: skip
            if low_income and rng.random() < 0.45:
                target_rows.append((org, pid, low_income))
            if woman_headed and head_sex == Sex.FEMALE.value and rng.random() < 0.5:
                target_rows.append((org, pid, woman_headed))
            # The solidarity group of a group loan, made with its first member.
            group: _Group | None = plan["group"]
            group_id = None
            if group is not None:
                if group.group_id == 0:
                    group.group_id = writer.ids(SolidarityGroup, 1)
                    day = disbursed.weekday()
                    centre_branch, centre_id, centre_groups = self.centre
                    if centre_branch != branch.branch.pk or centre_groups >= GROUPS_PER_CENTRE:
                        centre_id, centre_groups = writer.ids(Centre, 1), 0
                        centres.append(
                            (centre_id, org, branch.branch.pk, f"Centre {centre_id}", day,
                             "Community hall", group.officer)
                        )  # fmt: skip
                    self.centre = (branch.branch.pk, centre_id, centre_groups + 1)
                    groups.append(
                        (group.group_id, org, branch.branch.pk, centre_id,
                         f"Group {group.group_id}", day, "", group.officer)
                    )  # fmt: skip
                group_id = group.group_id
                group.written += 1
                memberships.append(
                    (org, group_id, pid, group.written == 1,
                     disbursed - datetime.timedelta(days=30), None)
                )  # fmt: skip
            self._loan(
                lid, plan, template, spec, branch, officer, disbursed, pid, group_id,
                writer, loans, events, changes, installments, repayments, applications, lines,
                report,
            )  # fmt: skip
        writer.write(Household, HOUSEHOLD_COLUMNS, households)
        writer.write(Beneficiary, BENEFICIARY_COLUMNS, people)
        writer.write(Consent, CONSENT_COLUMNS, consents)
        writer.write(StatusChange, STATUS_COLUMNS, status_changes)
        writer.write(
            BeneficiaryTargetGroup,
            *_with_ids(writer, BeneficiaryTargetGroup, TARGET_COLUMNS, target_rows),
        )
        writer.write(Centre, CENTRE_COLUMNS, centres)
        writer.write(SolidarityGroup, GROUP_COLUMNS, groups)
        writer.write(
            GroupMembership, *_with_ids(writer, GroupMembership, MEMBERSHIP_COLUMNS, memberships)
        )
        writer.write(Loan, LOAN_COLUMNS, loans)
        writer.write(LoanEvent, *_with_ids(writer, LoanEvent, EVENT_COLUMNS, events))
        writer.write(LoanChange, *_with_ids(writer, LoanChange, CHANGE_COLUMNS, changes))
        writer.write(
            Installment, *_with_ids(writer, Installment, INSTALLMENT_COLUMNS, installments)
        )
        writer.write(Repayment, REPAYMENT_COLUMNS, repayments)
        writer.write(Application, APPLICATION_COLUMNS, applications)
        writer.write(ApplicationLine, *_with_ids(writer, ApplicationLine, LINE_COLUMNS, lines))

    def _loan(
        self,
        lid: int,
        plan: dict[str, Any],
        template: _Template,
        spec: ProductSpec,
        branch: _Branch,
        officer: int,
        disbursed: datetime.date,
        pid: int,
        group_id: int | None,
        writer: _Writer,
        loans: list[tuple[Any, ...]],
        events: list[tuple[Any, ...]],
        changes: list[tuple[Any, ...]],
        installments: list[tuple[Any, ...]],
        repayments: list[tuple[Any, ...]],
        applications: list[tuple[Any, ...]],
        lines: list[tuple[Any, ...]],
        report: SynthReport,
    ) -> None:
        org = self.organization.pk
        as_of = self.as_of
        reference = f"{self.prefix}{plan['index'] + 1:07d}"
        pattern = plan["pattern"]
        history = self._history(template, pattern)
        dates = self._dates(disbursed, spec.frequency, template.term)
        day = datetime.timedelta
        paid_on = [dates[k - 1] + day(days=days) for k, days, _amount in history.payments]
        made = sum(1 for d in paid_on if d <= as_of)
        status = LoanStatus.ACTIVE.value
        closed_on: datetime.date | None = None
        term = template.term
        schedule_version = 1
        schedule_from = disbursed
        renegotiated = False
        written_off = ZERO
        source = (
            RepaymentSource.COLLECTION_SHEET.value
            if spec.group
            else RepaymentSource.BANK_FILE.value
        )
        manager = branch.manager
        # Rescheduled: a late or partial borrower's loan given a new schedule after some
        # installments (never a Murabaha: a sale's price is not renegotiated with more profit).
        reschedule_on: datetime.date | None = None
        if (
            pattern[0] in ("late", "partial")
            and spec.method is not Method.MURABAHA
            and plan["reschedule"] < RESCHEDULED_SHARE
        ):
            due_by = sum(1 for d in dates if d <= as_of - day(days=40))
            elapsed = max(2, due_by // 2)
            if due_by >= 2 and elapsed <= term - 2:
                gap = 10 if spec.frequency is Frequency.MONTHLY else 3
                reschedule_on = dates[elapsed - 1] + day(days=gap)
                if reschedule_on >= as_of - day(days=20):
                    reschedule_on = None
        if reschedule_on is not None:
            # The first schedule's payments before the rescheduling day.
            made = sum(1 for d in paid_on if d < reschedule_on)
        paid = self._paid((id(history), made), template.rows, history.allocations[:made])
        rows_out: list[tuple[Any, ...]] = []
        unpaid_principal = ZERO
        for (number, principal, charge, fees, savings, _total), due, parts in zip(
            template.rows, dates, paid, strict=True
        ):
            rows_out.append(
                (org, lid, 1, number, due, principal, charge, fees, savings, ZERO,
                 parts[0], parts[1], parts[2], parts[3], ZERO,
                 template.recognises and due <= (reschedule_on or as_of), None)
            )  # fmt: skip
            unpaid_principal += principal - parts[0]
        current = rows_out
        self._payments_out(
            writer, lid, reference, source, officer, history.allocations[:made],
            [p[2] for p in history.payments[:made]], paid_on[:made], dates,
            repayments, applications, lines,
        )  # fmt: skip
        last_paid = paid_on[made - 1] if made else None
        events.append(
            (
                org,
                lid,
                LoanStatus.APPROVED.value,
                LoanStatus.ACTIVE.value,
                "disburse",
                disbursed,
                self._stamp(disbursed),
                officer,
                "",
            )
        )
        if reschedule_on is not None:
            new_term = term - (sum(1 for d in dates if d <= reschedule_on)) + 3
            carried = sum((r[6] - r[11] for r in rows_out if r[4] <= reschedule_on), ZERO)
            second = build_schedule(
                LoanTerms(template.product, unpaid_principal, new_term, reschedule_on)
            )
            # Charges overdue on the day are due with the first new installment.
            v2_rows = tuple(
                (
                    row.number,
                    row.principal,
                    row.charge + (carried if row.number == 1 else ZERO),
                    row.fees,
                    row.savings,
                    row.total + (carried if row.number == 1 else ZERO),
                )
                for row in second.installments
            )
            v2_dates = [row.due_date for row in second.installments]
            pays = [(n, 0, total) for n, *_parts, total in v2_rows if v2_dates[n - 1] <= as_of]
            allocations = _allocate(_state(v2_rows, v2_dates, template.product), v2_dates, pays)
            paid2 = self._paid(None, v2_rows, allocations)
            unpaid_principal = ZERO
            current = []
            for (number, principal, charge, fees, savings, _total), due, parts in zip(
                v2_rows, v2_dates, paid2, strict=True
            ):
                current.append(
                    (org, lid, 2, number, due, principal, charge, fees, savings, ZERO,
                     parts[0], parts[1], parts[2], parts[3], ZERO,
                     template.recognises and due <= as_of, None)
                )  # fmt: skip
                unpaid_principal += principal - parts[0]
            rows_out = rows_out + current
            v2_paid_on = [v2_dates[n - 1] for n, _days, _amount in pays]
            self._payments_out(
                writer, lid, reference, source, officer, allocations,
                [p[2] for p in pays], v2_paid_on, v2_dates, repayments, applications, lines,
                first_number=made,
            )  # fmt: skip
            if pays:
                last_paid = v2_paid_on[-1]
            term = new_term
            schedule_version = 2
            schedule_from = reschedule_on
            renegotiated = True
            events.append(
                (
                    org,
                    lid,
                    LoanStatus.ACTIVE.value,
                    LoanStatus.ACTIVE.value,
                    "reschedule",
                    reschedule_on,
                    self._stamp(reschedule_on),
                    manager,
                    "",
                )
            )
            changes.append(
                (org, lid, ChangeKind.RESCHEDULE.value, ChangeStatus.APPROVED.value,
                 "The client's income fell for a season",
                 json.dumps({"term": new_term, "rate": str(template.rate), "first_due": None,
                             "frequency": spec.frequency.value}),
                 officer, reschedule_on, manager, reschedule_on, "")
            )  # fmt: skip
        if unpaid_principal == ZERO and all(r[6] == r[11] and r[7] == r[12] for r in current):
            status = LoanStatus.CLOSED.value
            assert last_paid is not None
            closed_on = last_paid
            events.append(
                (
                    org,
                    lid,
                    LoanStatus.ACTIVE.value,
                    status,
                    "repay",
                    closed_on,
                    self._stamp(closed_on),
                    officer,
                    "",
                )
            )
        elif pattern[0] == "defaulted" and plan["write_off"] < WRITTEN_OFF_SHARE:
            first_unpaid = next(r[4] for r in current if r[10] < r[5] or r[11] < r[6])
            if (as_of - first_unpaid).days > 200:
                status = LoanStatus.WRITTEN_OFF.value
                closed_on = first_unpaid + day(days=WRITE_OFF_AFTER_DAYS)
                written_off = unpaid_principal
                unpaid_principal = ZERO
                events.append(
                    (
                        org,
                        lid,
                        LoanStatus.ACTIVE.value,
                        status,
                        "write_off",
                        closed_on,
                        self._stamp(closed_on),
                        manager,
                        "Written off after 180 days past due",
                    )
                )
                changes.append(
                    (org, lid, ChangeKind.WRITE_OFF.value, ChangeStatus.APPROVED.value,
                     "No payment for more than 180 days", None, officer, closed_on, manager,
                     closed_on, "")
                )  # fmt: skip
        report.statuses[status] += 1
        installments.extend(rows_out)
        if status == LoanStatus.ACTIVE.value:
            self._balance(branch.branch.pk, spec, current, unpaid_principal)
        amount = template.amount
        submitted = disbursed - datetime.timedelta(days=12)
        loans.append(
            (lid, org, reference, branch.branch.pk, pid, officer, template.version_id, status,
             CURRENCY, amount, template.rate, term, spec.frequency.value, 0, 0, None, None,
             PURPOSES[plan["sector"]], plan["sector"], group_id, None, None, None, submitted,
             officer, disbursed - datetime.timedelta(days=3), manager, None, disbursed, "",
             schedule_version, schedule_from, renegotiated, closed_on, unpaid_principal, ZERO,
             written_off, self._stamp(submitted))
        )  # fmt: skip

    def _payments_out(
        self,
        writer: _Writer,
        lid: int,
        reference: str,
        source: str,
        officer: int,
        allocations: Sequence[_Lines],
        amounts: Sequence[Decimal],
        days: Sequence[datetime.date],
        due_dates: Sequence[datetime.date],
        repayments: list[tuple[Any, ...]],
        applications: list[tuple[Any, ...]],
        lines: list[tuple[Any, ...]],
        first_number: int = 0,
    ) -> None:
        if not allocations:
            return
        org = self.organization.pk
        first = writer.ids(Repayment, len(allocations))
        application = writer.ids(Application, len(allocations))
        for offset, (split, amount, day) in enumerate(zip(allocations, amounts, days, strict=True)):
            rid = first + offset
            ref = f"{reference}-{first_number + offset + 1:03d}"
            stamp = self._stamp(day)
            repayments.append(
                (rid, org, lid, ref, day, CURRENCY, amount, source, "", f"R{rid:08d}", officer,
                 stamp, None, None, "", False)
            )  # fmt: skip
            aid = application + offset
            applications.append(
                (aid, org, lid, rid, ref, day, False, amount, ZERO, None, True, None)
            )
            for number, component, part in split:
                # The loan's own due date: the split was allocated on the template's dates.
                lines.append((org, aid, number, component, part, due_dates[number - 1]))

    def _balance(
        self, branch: int, spec: ProductSpec, rows: list[tuple[Any, ...]], principal: Decimal
    ) -> None:
        """What an active loan adds to its branch's opening balances."""
        balances = self.balances[branch]
        method = spec.method
        if method is Method.MURABAHA:
            charge_unpaid = sum((r[6] - r[11] for r in rows), ZERO)
            balances[Role.MURABAHA_RECEIVABLE] += principal + charge_unpaid
            balances[Role.DEFERRED_PROFIT] -= sum((r[6] for r in rows if not r[15]), ZERO)
        elif method is Method.QARD_HASAN:
            balances[Role.QARD_RECEIVABLE] += principal
        else:
            balances[Role.LOAN_PORTFOLIO] += principal
            if spec.accrual:
                balances[Role.INTEREST_RECEIVABLE] += sum(
                    (r[6] - r[11] for r in rows if r[15]), ZERO
                )

    def write_ledger(self, report: SynthReport) -> None:
        """One opening entry per branch: receivables and deferred profit against suspense."""
        memo = _("Opening balance of the synthetic portfolio as of %(day)s") % {
            "day": self.as_of.isoformat()
        }
        entries = []
        for branch_id in sorted(self.balances):
            entries.append(
                JournalEntry(
                    organization_id=self.organization.pk,
                    branch_id=branch_id,
                    entry_date=self.as_of,
                    kind=EntryKind.DISBURSEMENT,
                    memo=memo[:300],
                    created_by=self.administrator,
                )
            )
        entries = JournalEntry.objects.bulk_create(entries)
        journal = []
        for entry in entries:
            assert entry.branch_id is not None
            net = self.balances[entry.branch_id]
            total = sum(net.values(), ZERO)
            sides = dict(net)
            sides[Role.SUSPENSE] = sides.get(Role.SUSPENSE, ZERO) - total
            for role in sorted(sides):
                amount = sides[role]
                if amount == ZERO:
                    continue
                journal.append(
                    JournalLine(
                        organization_id=self.organization.pk,
                        entry=entry,
                        account_id=self.accounts[role],
                        currency=CURRENCY,
                        debit=amount if amount > ZERO else ZERO,
                        credit=-amount if amount < ZERO else ZERO,
                        entry_date=self.as_of,
                        branch_id=entry.branch_id,
                    )
                )
        JournalLine.objects.bulk_create(journal)
        report.rows["ledger_journalentry"] += len(entries)
        report.rows["ledger_journalline"] += len(journal)


def _with_ids(
    writer: _Writer, model: type[models.Model], columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> tuple[Sequence[str], list[tuple[Any, ...]]]:
    first = writer.ids(model, len(rows)) if rows else 0
    return ("id", *columns), [(first + offset, *row) for offset, row in enumerate(rows)]


HOUSEHOLD_COLUMNS = (
    "id", "organization_id", "members_count", "dependants", "head_sex",
    "monthly_income_amount", "monthly_income_currency",
)  # fmt: skip
BENEFICIARY_COLUMNS = (
    "id", "organization_id", "branch_id", "first_name", "last_name", "patronymic", "name_latin",
    "name_key", "last_name_key", "sex", "date_of_birth", "phone", "id_document", "national_id",
    "district_id", "locality_id", "household_id", "education", "economic_activity",
    "heard_via", "heard_via_detail", "status", "registered_by_id", "registered_on",
    "possible_duplicate_of_id", "merged_into_id", "created_at", "updated_at",
)  # fmt: skip
CONSENT_COLUMNS = (
    "id", "organization_id", "beneficiary_id", "given_on", "programme_use",
    "follow_up_surveys", "network_sharing", "withdrawn_on", "withdrawn_by_id",
    "withdrawal_reason", "recorded_by_id",
)  # fmt: skip
STATUS_COLUMNS = (
    "id", "organization_id", "beneficiary_id", "from_status", "to_status", "changed_on",
    "changed_at", "changed_by_id", "note",
)  # fmt: skip
TARGET_COLUMNS = ("organization_id", "beneficiary_id", "targetgroup_id")
CENTRE_COLUMNS = (
    "id", "organization_id", "branch_id", "name", "meeting_day", "meeting_place", "officer_id",
)  # fmt: skip
GROUP_COLUMNS = (
    "id", "organization_id", "branch_id", "centre_id", "name", "meeting_day", "meeting_place",
    "officer_id",
)  # fmt: skip
MEMBERSHIP_COLUMNS = (
    "organization_id", "group_id", "beneficiary_id", "is_leader", "joined_on", "left_on",
)  # fmt: skip
LOAN_COLUMNS = (
    "id", "organization_id", "reference", "branch_id", "beneficiary_id", "officer_id",
    "product_version_id", "status", "currency", "amount", "rate", "term", "frequency",
    "grace_principal", "grace_interest", "first_due", "custom_schedule", "purpose", "sector",
    "group_id", "business_plan_id", "fund_id", "bank_branch_id", "submitted_on",
    "created_by_id", "approved_on", "approved_by_id", "disbursement_id", "disbursed_on",
    "bank_reference", "schedule_version", "schedule_from", "renegotiated", "closed_on",
    "principal_outstanding", "credit_held", "written_off_principal", "created_at",
)  # fmt: skip
EVENT_COLUMNS = (
    "organization_id", "loan_id", "from_status", "to_status", "action", "on", "at", "by_id",
    "reason",
)  # fmt: skip
CHANGE_COLUMNS = (
    "organization_id", "loan_id", "kind", "status", "reason", "terms", "requested_by_id",
    "requested_on", "decided_by_id", "decided_on", "decision_reason",
)  # fmt: skip
INSTALLMENT_COLUMNS = (
    "organization_id", "loan_id", "version", "number", "due_date", "principal", "charge",
    "fees", "savings", "penalty", "principal_paid", "charge_paid", "fees_paid", "savings_paid",
    "penalty_paid", "recognised", "penalty_charged_on",
)  # fmt: skip
REPAYMENT_COLUMNS = (
    "id", "organization_id", "loan_id", "reference", "value_date", "currency", "amount",
    "source", "bank_reference", "receipt_number", "received_by_id", "created_at",
    "reversed_at", "reversed_by_id", "reversal_reason", "is_recovery",
)  # fmt: skip
APPLICATION_COLUMNS = (
    "id", "organization_id", "loan_id", "repayment_id", "reference", "applied_on",
    "from_credit", "amount", "credit", "entry_id", "is_active", "withdrawn_by_entry_id",
)  # fmt: skip
LINE_COLUMNS = ("organization_id", "application_id", "number", "component", "amount", "due_on")


def build_synthetic_portfolio(
    loans: int,
    *,
    organization: str = "synth",
    seed: int = 1,
    as_of: datetime.date | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> SynthReport:
    """Build `loans` synthetic loans (with everything they need) in one transaction."""
    if loans < 1:
        raise SynthRefused(_("Ask for at least one loan."), code="no_loans")
    day = as_of or (timezone.localdate() - datetime.timedelta(days=1))
    report = SynthReport(0, day)
    builder = _Builder(loans, code=organization, seed=seed, as_of=day, progress=progress)
    phase = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal phase
        now = time.perf_counter()
        report.seconds[name] = report.seconds.get(name, 0.0) + now - phase
        phase = now

    with transaction.atomic():
        builder.setup(report)
        lap("setup")
        writer = _Writer(report)
        rebuild = _Rebuild() if writer.postgres and loans >= REBUILD_FROM else None
        if writer.postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        if rebuild is not None:
            rebuild.drop()
            lap("drop indexes")
        done = 0
        for chunk in builder.plan():
            builder.write_chunk(writer, chunk, report)
            done += len(chunk)
            if progress is not None:
                progress("loans", done, loans)
        lap("generate and write")
        writer.finish()
        if rebuild is not None:
            rebuild.restore()
            lap("rebuild indexes and constraints")
        builder.write_ledger(report)
        lap("ledger")
    if writer.postgres:
        with connection.cursor() as cursor:
            for table in [m._meta.db_table for m in BIG_MODELS] + [
                JournalEntry._meta.db_table,
                JournalLine._meta.db_table,
            ]:
                cursor.execute(f'ANALYZE "{table}"')
        lap("analyze")
    return report


def sizes(tables: Iterable[str]) -> dict[str, int]:
    """Rows per table (exact counts)."""
    out = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            out[table] = cursor.fetchone()[0]
    return out
