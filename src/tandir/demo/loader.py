"""The demo programme: a network of two member organisations, a Pakistani Islamic lender,
their staff, 560 participants and their loans.

Everything is drawn from one seeded random generator and fixed dates, so every load gives the
same people in the same order. Participants are registered the way an officer registers them:
`BeneficiaryForm` validates the fields, `register_beneficiary` writes them, `change_status`
moves them along the pipeline. Lending (`tandir.demo.lending`) follows, through the lending
actions, up to the same last day of history.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from tandir.core.models import TargetGroup
from tandir.demo.associations import load_associations
from tandir.demo.events import load_events
from tandir.demo.geography import COUNTRIES
from tandir.demo.impact import load_impact
from tandir.demo.jobs import load_jobs
from tandir.demo.lending import GroupCohort, LendingBook, LendingSummary, load_lending
from tandir.demo.names import PersonName, armenian_name, azerbaijani_name, pakistani_name
from tandir.demo.plans import load_plans
from tandir.demo.reports import ReportsSummary, load_reports
from tandir.demo.training import load_training
from tandir.orgs.models import (
    Branch,
    Country,
    District,
    Locality,
    Organization,
    OrganizationKind,
    Project,
    Region,
    Role,
    StaffUser,
)
from tandir.registry.actions import change_status, register_beneficiary, withdraw_consent
from tandir.registry.forms import BeneficiaryForm, KnownChoices
from tandir.registry.models import (
    Beneficiary,
    EconomicActivity,
    Education,
    HeardVia,
    Sex,
    Status,
    StatusChange,
    age_on,
)
from tandir.registry.names import to_latin

DEMO_PASSWORD = "tandir-demo"
SEED = 2026
FIRST_REGISTRATION = datetime.date(2025, 1, 13)
LAST_REGISTRATION = datetime.date(2026, 10, 16)
# The day the demo's history runs up to; no status change is dated later.
HISTORY_ENDS = datetime.date(2026, 10, 31)

NETWORK_NAME = "South Caucasus Microfinance Network"
ARMENIAN_PROGRAMME_NAME = "Arev Micro-Enterprise Development Programme"
AZERBAIJANI_MFI_NAME = "Kür Microfinance"
PAKISTANI_LENDER_NAME = "Roshni Islamic Microfinance"


class DemoAlreadyLoaded(Exception):
    """The demo organisations are already in the database."""


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    organization: str
    branches: tuple[str, ...] = ()  # empty: the whole organisation


@dataclass
class DemoSummary:
    organizations: int
    branches: int
    projects: int
    staff: int
    beneficiaries: int
    possible_duplicates: int
    status_changes: int
    lending: LendingSummary = field(default_factory=LendingSummary)
    reports: ReportsSummary | None = None
    logins: list[DemoLogin] = field(default_factory=list)
    password: str = DEMO_PASSWORD


# --- Organisations, branches and staff ----------------------------------------------------


@dataclass(frozen=True)
class BranchSpec:
    code: str
    name: str
    # (region, district, weight): how many participants come from each district, relatively.
    districts: tuple[tuple[str, str, int], ...]
    share: float  # of the organisation's participants


@dataclass(frozen=True)
class StaffSpec:
    username: str
    role: str
    first_name: str
    last_name: str
    branch_codes: tuple[str, ...] | None = None  # None: every branch of the organisation


ARMENIAN_BRANCHES = (
    BranchSpec(
        "YER",
        "Yerevan",
        (
            ("Yerevan", "Erebuni", 3),
            ("Yerevan", "Shengavit", 3),
            ("Yerevan", "Malatia-Sebastia", 2),
            ("Yerevan", "Nor Nork", 2),
            ("Yerevan", "Kanaker-Zeytun", 1),
            ("Yerevan", "Kentron", 1),
            ("Yerevan", "Arabkir", 1),
            ("Kotayk", "Abovyan", 3),
            ("Kotayk", "Hrazdan", 2),
            ("Kotayk", "Charentsavan", 2),
            ("Ararat", "Artashat", 2),
            ("Ararat", "Masis", 2),
        ),
        0.45,
    ),
    BranchSpec(
        "GYU",
        "Gyumri",
        (
            ("Shirak", "Gyumri", 6),
            ("Shirak", "Artik", 2),
            ("Shirak", "Akhuryan", 2),
            ("Shirak", "Maralik", 1),
            ("Shirak", "Amasia", 1),
        ),
        0.30,
    ),
    BranchSpec(
        "VAN",
        "Vanadzor",
        (
            ("Lori", "Vanadzor", 6),
            ("Lori", "Spitak", 2),
            ("Lori", "Alaverdi", 1),
            ("Lori", "Stepanavan", 2),
            ("Lori", "Tashir", 1),
        ),
        0.25,
    ),
)

AZERBAIJANI_BRANCHES = (
    BranchSpec(
        "GNJ",
        "Ganja",
        (
            ("Ganja-Dashkasan", "Ganja", 6),
            ("Ganja-Dashkasan", "Goygol", 2),
            ("Ganja-Dashkasan", "Samukh", 1),
            ("Gazakh-Tovuz", "Shamkir", 2),
        ),
        0.30,
    ),
    BranchSpec(
        "SHK",
        "Shaki",
        (
            ("Shaki-Zagatala", "Shaki", 4),
            ("Shaki-Zagatala", "Zagatala", 2),
            ("Shaki-Zagatala", "Gakh", 1),
            ("Shaki-Zagatala", "Oghuz", 1),
            ("Shaki-Zagatala", "Gabala", 2),
        ),
        0.20,
    ),
    BranchSpec(
        "LNK",
        "Lankaran",
        (
            ("Lankaran-Astara", "Lankaran", 4),
            ("Lankaran-Astara", "Astara", 1),
            ("Lankaran-Astara", "Masally", 2),
            ("Lankaran-Astara", "Jalilabad", 2),
        ),
        0.25,
    ),
    BranchSpec(
        "YVL",
        "Yevlakh",
        (
            ("Central Aran", "Yevlakh", 3),
            ("Central Aran", "Mingachevir", 2),
            ("Karabakh", "Barda", 3),
            ("Karabakh", "Tartar", 2),
            ("Karabakh", "Aghjabadi", 1),
            ("Mil-Mughan", "Beylagan", 1),
        ),
        0.25,
    ),
)


PAKISTANI_BRANCHES = (
    BranchSpec(
        "LHR",
        "Lahore",
        (
            ("Punjab", "Lahore", 6),
            ("Punjab", "Gujranwala", 2),
            ("Punjab", "Sialkot", 2),
        ),
        0.55,
    ),
    BranchSpec(
        "MUL",
        "Multan",
        (
            ("Punjab", "Multan", 5),
            ("Punjab", "Bahawalpur", 3),
            ("Punjab", "Faisalabad", 2),
        ),
        0.45,
    ),
)


def _staff(prefix: str, people: dict[str, tuple[str, str]], branches: Sequence[BranchSpec]):
    """Staff of every role: one per role for the organisation, intake and loan per branch."""
    main, *others = branches

    def spec(key: str, role: str, codes: tuple[str, ...] | None = None) -> StaffSpec:
        first, last = people[key]
        return StaffSpec(f"{prefix}.{key}", role, first, last, codes)

    specs = [
        spec("admin", Role.ADMINISTRATOR),
        spec("me", Role.ME_OFFICER),
        spec("manager", Role.BRANCH_MANAGER, (main.code,)),
        spec("intake", Role.INTAKE_OFFICER, (main.code,)),
        spec("loan", Role.LOAN_OFFICER, (main.code,)),
    ]
    for branch in others:
        suffix = branch.name.lower()
        specs.append(spec(f"intake.{suffix}", Role.INTAKE_OFFICER, (branch.code,)))
        specs.append(spec(f"loan.{suffix}", Role.LOAN_OFFICER, (branch.code,)))
    specs += [
        spec("trainer", Role.TRAINER),
        spec("advisor", Role.BUSINESS_ADVISOR),
        spec("appraiser", Role.LOAN_APPRAISER),
        spec("committee", Role.CREDIT_COMMITTEE),
        spec("accountant", Role.ACCOUNTANT),
    ]
    return specs


ARMENIAN_STAFF = _staff(
    "am",
    {
        "admin": ("Lilit", "Hakobyan"),
        "me": ("Tatevik", "Sargsyan"),
        "manager": ("Armen", "Grigoryan"),
        "intake": ("Anahit", "Karapetyan"),
        "loan": ("Tigran", "Davtyan"),
        "intake.gyumri": ("Gayane", "Ghazaryan"),
        "loan.gyumri": ("Karen", "Poghosyan"),
        "intake.vanadzor": ("Sona", "Melkonyan"),
        "loan.vanadzor": ("Artak", "Stepanyan"),
        "trainer": ("Narine", "Avetisyan"),
        "advisor": ("Vahe", "Martirosyan"),
        "appraiser": ("Gevorg", "Manukyan"),
        "committee": ("Ruzanna", "Hovhannisyan"),
        "accountant": ("Hayk", "Vardanyan"),
    },
    ARMENIAN_BRANCHES,
)

AZERBAIJANI_STAFF = _staff(
    "az",
    {
        "admin": ("Leyla", "Məmmədova"),
        "me": ("Nərmin", "Quliyeva"),
        "manager": ("Elçin", "Rzayev"),
        "intake": ("Günel", "Babayeva"),
        "loan": ("Orxan", "Cəfərov"),
        "intake.shaki": ("Sevinc", "Orucova"),
        "loan.shaki": ("Kamran", "Sadıqov"),
        "intake.lankaran": ("Xədicə", "Nəsirova"),
        "loan.lankaran": ("Murad", "Rəhimov"),
        "intake.yevlakh": ("Fidan", "Vəliyeva"),
        "loan.yevlakh": ("Vüqar", "Bağırov"),
        "trainer": ("Aysel", "Həsənova"),
        "advisor": ("Tural", "Kərimov"),
        "appraiser": ("Rəşad", "Abbasov"),
        "committee": ("Səbinə", "İsmayılova"),
        "accountant": ("Emil", "Hüseynov"),
    },
    AZERBAIJANI_BRANCHES,
)

PAKISTANI_STAFF = _staff(
    "pk",
    {
        "admin": ("Ayesha", "Siddiqui"),
        "me": ("Sana", "Qureshi"),
        "manager": ("Imran", "Aslam"),
        "intake": ("Farah", "Naz"),
        "loan": ("Bilal", "Ahmed"),
        "intake.multan": ("Rabia", "Bibi"),
        "loan.multan": ("Usman", "Tariq"),
        "trainer": ("Saima", "Noreen"),
        "advisor": ("Kashif", "Mehmood"),
        "appraiser": ("Zubair", "Hussain"),
        "committee": ("Nasreen", "Akhtar"),
        "accountant": ("Faisal", "Iqbal"),
    },
    PAKISTANI_BRANCHES,
)

NETWORK_STAFF = [StaffSpec("network.analyst", Role.NETWORK_ANALYST, "Nino", "Beridze")]

DEMO_USERNAMES = [
    s.username for s in (*ARMENIAN_STAFF, *AZERBAIJANI_STAFF, *PAKISTANI_STAFF, *NETWORK_STAFF)
]


# --- Loading ---------------------------------------------------------------------------------


def load_geography() -> None:
    """Countries, regions, districts and localities of the demo; rows already there are kept."""
    for country_data in COUNTRIES:
        country, _ = Country.objects.get_or_create(
            code=country_data.code, defaults={"name": country_data.name}
        )
        for region_data in country_data.regions:
            region, _ = Region.objects.get_or_create(
                country=country,
                name=region_data.name,
                defaults={"name_local": region_data.name_local},
            )
            have = set(region.districts.values_list("name", flat=True))
            District.objects.bulk_create(
                District(region=region, name=d.name, name_local=d.name_local)
                for d in region_data.districts
                if d.name not in have
            )
            districts = {d.name: d for d in region.districts.all()}
            for district_data in region_data.districts:
                if not district_data.localities:
                    continue
                district = districts[district_data.name]
                have = set(district.localities.values_list("name", flat=True))
                Locality.objects.bulk_create(
                    Locality(district=district, name=p.name, name_local=p.name_local)
                    for p in district_data.localities
                    if p.name not in have
                )


def load_demo() -> DemoSummary:
    """Load the whole demo in one transaction; refuse if its organisations already exist."""
    with transaction.atomic():
        if Organization.objects.filter(name=NETWORK_NAME).exists():
            raise DemoAlreadyLoaded(NETWORK_NAME)
        return _Loader(random.Random(SEED)).load()


def demo_logins() -> list[DemoLogin]:
    """The demo accounts present in the database, in the order they are printed."""
    users = {
        u.username: u
        for u in StaffUser.objects.filter(username__in=DEMO_USERNAMES)
        .select_related("organization")
        .prefetch_related("branches")
    }
    counts = {
        row["organization_id"]: row["n"]
        for row in Branch.objects.values("organization_id").annotate(n=Count("id"))
    }
    logins = []
    for name in DEMO_USERNAMES:
        if name not in users:
            continue
        user = users[name]
        branches = sorted(b.name for b in user.branches.all())
        if len(branches) == counts.get(user.organization_id or 0, 0):
            branches = []
        logins.append(DemoLogin(name, user.role, str(user.organization), tuple(branches)))
    return logins


@dataclass
class Programme:
    """One member organisation while its participants are being drawn."""

    organization: Organization
    branches: list[tuple[Branch, BranchSpec]]
    staff: dict[str, StaffUser]
    prefix: str
    project: Project
    # How far people get: registered, in training, trained, planning, borrower.
    stage_weights: tuple[int, ...]


@dataclass
class _Applicant:
    programme: Programme
    officer: StaffUser
    branch: Branch
    registered_on: datetime.date
    form_data: dict[str, Any]
    steps: list[tuple[str, datetime.date, StaffUser, str]]
    consent_withdrawn_on: datetime.date | None
    beneficiary: Beneficiary | None = None  # once registered


@dataclass
class _Cohort:
    """Neighbours who form a solidarity group and borrow together on one day."""

    organization: Organization
    branch: Branch
    members: list[_Applicant]
    disbursed_on: datetime.date
    groups: tuple[str, ...]
    centre: str
    place: str


class _Loader:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.password_hash = make_password(DEMO_PASSWORD)  # hashed once: 31 hashes take seconds
        self.groups = {g.code: g for g in TargetGroup.objects.all()}
        self.districts: dict[tuple[str, str, str], District] = {}
        self.localities: dict[int, list[Locality]] = {}
        self.phones: set[str] = set()
        self.national_ids: set[str] = set()
        self.logins: list[DemoLogin] = []
        # Each officer's branches, districts, projects and groups, loaded once for all the forms
        # they fill in, as the import does.
        self.known: dict[int, KnownChoices] = {}

    def load(self) -> DemoSummary:
        load_geography()
        for district in District.objects.select_related("region__country"):
            key = (district.region.country.code, district.region.name, district.name)
            self.districts[key] = district
        for locality in Locality.objects.order_by("district_id", "name"):
            self.localities.setdefault(locality.district_id, []).append(locality)

        countries = {c.code: c for c in Country.objects.all()}
        network = Organization.objects.create(
            name=NETWORK_NAME, short_name="SCMN", kind=OrganizationKind.NETWORK, currency="USD"
        )
        nordlys = Organization.objects.create(
            name="Nordlys Livelihoods Fund", short_name="NLF", kind=OrganizationKind.DONOR
        )
        alpine = Organization.objects.create(
            name="Alpine Development Foundation", short_name="ADF", kind=OrganizationKind.DONOR
        )
        sevan = Organization.objects.create(
            name="Sevan Partner Bank",
            short_name="Sevan Bank",
            kind=OrganizationKind.BANK,
            country=countries["AM"],
            currency="AMD",
        )
        caspian = Organization.objects.create(
            name="Caspian Partner Bank",
            short_name="Caspian Bank",
            kind=OrganizationKind.BANK,
            country=countries["AZ"],
            currency="AZN",
        )
        indus = Organization.objects.create(
            name="Indus Partner Bank",
            short_name="Indus Bank",
            kind=OrganizationKind.BANK,
            country=countries["PK"],
            currency="PKR",
        )
        hilal = Organization.objects.create(
            name="Hilal Community Trust", short_name="HCT", kind=OrganizationKind.DONOR
        )
        arev = self._member(
            network,
            name=ARMENIAN_PROGRAMME_NAME,
            short_name="Arev",
            kind=OrganizationKind.AGENCY,
            country=countries["AM"],
            currency="AMD",
            prefix="am",
            branch_specs=ARMENIAN_BRANCHES,
            staff_specs=ARMENIAN_STAFF,
            project={
                "name": "Livelihoods for Refugee and Displaced Families",
                "code": "LRDF",
                "budget_amount": Decimal("2400000.00"),
                "budget_currency": "USD",
                "starts_on": datetime.date(2025, 1, 1),
                "ends_on": datetime.date(2027, 12, 31),
            },
            donors=[nordlys, alpine],
            project_groups=[
                "refugee",
                "returnee",
                "idp",
                "woman_headed_household",
                "low_income",
                "youth",
                "victim_of_trafficking",
                "disability",
            ],
            stage_weights=(26, 20, 20, 14, 20),
        )
        kur = self._member(
            network,
            name=AZERBAIJANI_MFI_NAME,
            short_name="Kür",
            kind=OrganizationKind.MFI,
            country=countries["AZ"],
            currency="AZN",
            prefix="az",
            branch_specs=AZERBAIJANI_BRANCHES,
            staff_specs=AZERBAIJANI_STAFF,
            project={
                "name": "Women and Youth Enterprise Credit",
                "code": "WYEC",
                "budget_amount": Decimal("850000.00"),
                "budget_currency": "USD",
                "starts_on": datetime.date(2025, 3, 1),
                "ends_on": datetime.date(2027, 2, 28),
            },
            donors=[alpine],
            project_groups=["woman_headed_household", "youth", "idp", "low_income"],
            # A microfinance institution: most people it registers come for a loan.
            stage_weights=(18, 10, 10, 14, 48),
        )
        roshni = self._member(
            None,
            name=PAKISTANI_LENDER_NAME,
            short_name="Roshni",
            kind=OrganizationKind.MFI,
            country=countries["PK"],
            currency="PKR",
            prefix="pk",
            branch_specs=PAKISTANI_BRANCHES,
            staff_specs=PAKISTANI_STAFF,
            project={
                "name": "Interest-Free Livelihoods for Women",
                "code": "IFLW",
                "budget_amount": Decimal("600000.00"),
                "budget_currency": "USD",
                "starts_on": datetime.date(2025, 2, 1),
                "ends_on": datetime.date(2027, 12, 31),
            },
            donors=[hilal],
            project_groups=["low_income", "woman_headed_household", "disability", "refugee"],
            # An Islamic lender: most people come for an interest-free loan or a Murabaha.
            stage_weights=(14, 8, 8, 20, 50),
        )
        self._create_staff(network, NETWORK_STAFF, [])

        applicants = [self._armenian_applicant(arev) for _ in range(300)]
        self._mark_trafficking_survivors(applicants, count=3)
        self._mark_repeat_registrations(applicants, count=4)
        azerbaijani = [self._azerbaijani_applicant(kur) for _ in range(200)]
        pakistani = [self._pakistani_applicant(roshni) for _ in range(60)]
        cohorts = [
            self._group_cohort(
                azerbaijani,
                branch_code="GNJ",
                size=5,
                disbursed_on=datetime.date(2026, 5, 11),
                groups=("Bərəkət",),
                centre="",
                place="Ganja, Kapaz district, the MFI's office",
            ),
            self._group_cohort(
                pakistani,
                branch_code="LHR",
                size=9,
                disbursed_on=datetime.date(2026, 4, 13),
                groups=("Noor", "Sitara"),
                centre="Shadbagh",
                place="Community hall, Shadbagh",
            ),
        ]
        applicants += azerbaijani + pakistani
        # Registered in date order, as they would have been.
        applicants.sort(key=lambda a: a.registered_on)
        possible_duplicates = 0
        for applicant in applicants:
            flagged, _changes = self._register(applicant)
            possible_duplicates += flagged
        lending = load_lending(
            self.rng,
            [
                self._book(arev, "arev", sevan),
                self._book(kur, "kur", caspian),
                self._book(roshni, "roshni", indus),
            ],
            [
                GroupCohort(
                    organization=c.organization,
                    branch=c.branch,
                    members=[a.beneficiary for a in c.members if a.beneficiary is not None],
                    disbursed_on=c.disbursed_on,
                    groups=c.groups,
                    centre=c.centre,
                    place=c.place,
                )
                for c in cohorts
            ],
            as_of=HISTORY_ENDS,
        )
        # The stages beside lending, one loader per app (tandir.demo.<app>).
        programmes = [arev, kur, roshni]
        load_training(self.rng, programmes, as_of=HISTORY_ENDS)
        load_plans(self.rng, programmes, as_of=HISTORY_ENDS)
        load_associations(self.rng, programmes, as_of=HISTORY_ENDS)
        load_events(self.rng, programmes, as_of=HISTORY_ENDS)
        load_jobs(self.rng, programmes, as_of=HISTORY_ENDS)
        load_impact(self.rng, programmes, as_of=HISTORY_ENDS)
        reports = load_reports(self.rng, programmes, as_of=HISTORY_ENDS)
        return DemoSummary(
            organizations=Organization.objects.count(),
            branches=Branch.objects.count(),
            projects=Project.objects.count(),
            staff=len(self.logins),
            beneficiaries=Beneficiary.objects.count(),
            possible_duplicates=possible_duplicates,
            # The pipeline's moves, and those that disbursing the groups' loans made.
            status_changes=StatusChange.objects.exclude(from_status="").count(),
            lending=lending,
            reports=reports,
            logins=self.logins,
        )

    def _book(self, programme: Programme, kind: str, bank: Organization) -> LendingBook:
        return LendingBook(
            kind=kind,
            organization=programme.organization,
            bank=bank,
            staff=programme.staff,
            prefix=programme.prefix,
            branches=[
                (branch, "" if i == 0 else f".{spec.name.lower()}")
                for i, (branch, spec) in enumerate(programme.branches)
            ],
        )

    # --- organisations -----------------------------------------------------------------------

    def _member(
        self,
        network: Organization | None,
        *,
        name: str,
        short_name: str,
        kind: str,
        country: Country,
        currency: str,
        prefix: str,
        branch_specs: Sequence[BranchSpec],
        staff_specs: Sequence[StaffSpec],
        project: dict[str, Any],
        donors: list[Organization],
        project_groups: list[str],
        stage_weights: tuple[int, ...],
    ) -> Programme:
        organization = Organization.objects.create(
            name=name, short_name=short_name, kind=kind, country=country, currency=currency
        )
        if network is not None:
            organization.networks.add(network)
        branches = []
        for spec in branch_specs:
            branch = Branch.objects.create(
                organization=organization, name=spec.name, code=spec.code
            )
            branch.districts.set(self._district(country.code, r, d) for r, d, _ in spec.districts)
            branches.append((branch, spec))
        created_project = Project.objects.create(organization=organization, **project)
        created_project.donors.set(donors)
        created_project.target_groups.set(self.groups[code] for code in project_groups)
        created_project.districts.set(
            self._district(country.code, r, d) for _, s in branches for r, d, _ in s.districts
        )
        staff = self._create_staff(organization, staff_specs, [b for b, _ in branches])
        return Programme(organization, branches, staff, prefix, created_project, stage_weights)

    def _create_staff(
        self, organization: Organization, specs: Sequence[StaffSpec], branches: list[Branch]
    ) -> dict[str, StaffUser]:
        staff = {}
        for spec in specs:
            user = StaffUser.objects.create(
                username=spec.username,
                password=self.password_hash,
                first_name=spec.first_name,
                last_name=spec.last_name,
                organization=organization,
                role=spec.role,
                is_staff=spec.role == Role.ADMINISTRATOR,
            )
            user.branches.set(
                branches
                if spec.branch_codes is None
                else [b for b in branches if b.code in spec.branch_codes]
            )
            staff[spec.username] = user
            codes = spec.branch_codes or ()
            names = tuple(b.name for b in branches if b.code in codes)
            self.logins.append(DemoLogin(spec.username, spec.role, organization.name, names))
        return staff

    def _district(self, country_code: str, region: str, district: str) -> District:
        return self.districts[(country_code, region, district)]

    # --- participants ------------------------------------------------------------------------

    def _pick_branch(self, programme: Programme) -> tuple[Branch, BranchSpec]:
        return self.rng.choices(programme.branches, [s.share for _, s in programme.branches])[0]

    def _place(self, programme: Programme, spec: BranchSpec) -> tuple[District, Locality | None]:
        region, name, _ = self.rng.choices(spec.districts, [w for _, _, w in spec.districts])[0]
        district = self._district(programme.organization.country.code, region, name)  # type: ignore[union-attr]
        localities = self.localities.get(district.pk, [])
        locality = self.rng.choice(localities) if localities and self.rng.random() < 0.6 else None
        return district, locality

    def _registration_day(self) -> datetime.date:
        span = (LAST_REGISTRATION - FIRST_REGISTRATION).days
        day = FIRST_REGISTRATION + datetime.timedelta(days=self.rng.randrange(span + 1))
        # Offices are closed on Sundays.
        return day if day.weekday() != 6 else day + datetime.timedelta(days=1)

    def _birth_date(self, registered_on: datetime.date, youth_share: float) -> datetime.date:
        youth_max = settings.TANDIR_YOUTH_MAX_AGE
        if self.rng.random() < youth_share:
            age = self.rng.randint(18, youth_max)
        else:
            age = self.rng.randint(youth_max + 1, 65)
        # A birthday in the year before the age was reached, so the age on registration is exact.
        latest = registered_on.replace(year=registered_on.year - age)
        return latest - datetime.timedelta(days=self.rng.randrange(365))

    def _unique(self, seen: set[str], make: Any) -> str:
        while True:
            value = make()
            if value not in seen:
                seen.add(value)
                return str(value)

    def _armenian_phone(self) -> str:
        def make() -> str:
            prefix = self.rng.choice(["91", "93", "94", "95", "96", "98", "99", "77", "55"])
            return f"+374 {prefix} {self.rng.randrange(10**6):06d}"

        return self._unique(self.phones, make)

    def _azerbaijani_phone(self) -> str:
        def make() -> str:
            prefix = self.rng.choice(["50", "51", "55", "70", "77", "99", "10"])
            number = f"{self.rng.randrange(10**7):07d}"
            return f"+994 {prefix} {number[:3]} {number[3:5]} {number[5:]}"

        return self._unique(self.phones, make)

    def _armenian_id(self) -> str:
        def make() -> str:
            if self.rng.random() < 0.6:  # identity card
                return f"{self.rng.randrange(10**9):09d}"
            return f"A{self.rng.choice('KNRT')}{self.rng.randrange(10**7):07d}"  # passport

        return self._unique(self.national_ids, make)

    def _azerbaijani_id(self) -> str:
        def make() -> str:
            if self.rng.random() < 0.8:
                return f"AA{self.rng.randrange(10**7):07d}"
            return f"AZE{self.rng.randrange(10**8):08d}"

        return self._unique(self.national_ids, make)

    def _pakistani_phone(self) -> str:
        def make() -> str:
            prefix = self.rng.choice(["300", "301", "303", "311", "321", "333", "345", "346"])
            return f"+92 {prefix} {self.rng.randrange(10**7):07d}"

        return self._unique(self.phones, make)

    def _pakistani_id(self) -> str:
        """A computerised national identity card number: district code, serial, check digit."""

        def make() -> str:
            district = self.rng.choice(["35202", "35201", "34101", "36302", "31202", "33100"])
            return f"{district}-{self.rng.randrange(10**7):07d}-{self.rng.randrange(10)}"

        return self._unique(self.national_ids, make)

    def _household(
        self,
        sex: str,
        *,
        woman_head_chance: float,
        sizes: Sequence[int],
        size_weights: Sequence[float],
    ) -> tuple[int, int, str]:
        members = self.rng.choices(sizes, size_weights)[0]
        dependants = min(members - 1, self.rng.choice([0, 1, 1, 2, 2, 2, 3, 3, 4]))
        if members == 1:
            head = sex
        elif sex == Sex.FEMALE:
            head = Sex.FEMALE if self.rng.random() < woman_head_chance else Sex.MALE
        else:
            head = Sex.MALE if self.rng.random() < 0.9 else Sex.FEMALE
        return members, dependants, head

    def _income(
        self, members: int, per_person: tuple[int, int], step: int, poverty_line: int
    ) -> tuple[int | None, bool]:
        """Monthly household income (None when not given) and whether it is below the line."""
        if self.rng.random() < 0.08:
            return None, self.rng.random() < 0.3
        each = self.rng.randint(*per_person)
        total = max(step, round(each * members / step) * step)
        return total, each < poverty_line

    def _education_and_activity(self, age: int) -> tuple[str, str]:
        education = self.rng.choices(
            [
                Education.HIGHER,
                Education.VOCATIONAL,
                Education.SECONDARY,
                Education.PRIMARY,
                Education.NONE,
            ],
            [24, 24, 46, 5, 1],
        )[0]
        activities = [
            EconomicActivity.NONE,
            EconomicActivity.CASUAL,
            EconomicActivity.EMPLOYED,
            EconomicActivity.OWN_BUSINESS,
            EconomicActivity.FARMING,
            EconomicActivity.STUDENT,
        ]
        weights = [34, 20, 12, 14, 14, 6 if age <= 24 else 0]
        return education, self.rng.choices(activities, weights)[0]

    def _heard_via(self, town: str, referrers: Sequence[str]) -> tuple[str, str]:
        channel = self.rng.choices(
            [HeardVia.REFERRAL, HeardVia.EVENT, HeardVia.MEDIA, HeardVia.OFFICE, HeardVia.OTHER],
            [34, 24, 26, 11, 5],
        )[0]
        detail = {
            HeardVia.REFERRAL: self.rng.choice(referrers),
            HeardVia.EVENT: self.rng.choice(
                [f"Information session in {town}", "Job fair", "Community meeting", ""]
            ),
            HeardVia.MEDIA: self.rng.choice(
                ["Facebook page", "Local TV news", "Radio programme", "Telegram channel", ""]
            ),
            HeardVia.OTHER: self.rng.choice(["Poster at the market", "Leaflet", ""]),
        }.get(channel, "")
        return channel, detail

    def _pipeline(
        self, programme: Programme, branch_suffix: str, registered_on: datetime.date
    ) -> list[tuple[str, datetime.date, StaffUser, str]]:
        """Later status changes: how far along the pipeline the person got by HISTORY_ENDS."""
        staff = programme.staff
        prefix = programme.prefix
        officers = {
            Status.IN_TRAINING: staff[f"{prefix}.trainer"],
            Status.TRAINED: staff[f"{prefix}.trainer"],
            Status.PLANNING: staff[f"{prefix}.advisor"],
            Status.BORROWER: staff[f"{prefix}.loan{branch_suffix}"],
            Status.EXITED: staff[f"{prefix}.intake{branch_suffix}"],
        }
        durations = {
            Status.IN_TRAINING: (7, 45),
            Status.TRAINED: (21, 42),
            Status.PLANNING: (7, 30),
            Status.BORROWER: (21, 75),
        }
        stages = list(durations)
        goal = self.rng.choices(range(len(stages) + 1), programme.stage_weights)[0]
        steps = []
        day = registered_on
        for stage in stages[:goal]:
            day += datetime.timedelta(days=self.rng.randint(*durations[stage]))
            if day > HISTORY_ENDS:
                break
            steps.append((str(stage), day, officers[stage], ""))
        if self.rng.random() < 0.08:
            day += datetime.timedelta(days=self.rng.randint(10, 60))
            if day <= HISTORY_ENDS:
                reason = self.rng.choice(
                    [
                        "Found a job",
                        "Moved to another town",
                        "Left for seasonal work abroad",
                        "Could not be reached",
                        "Family reasons",
                    ]
                )
                steps.append((str(Status.EXITED), day, officers[Status.EXITED], reason))
        return steps

    def _applicant(
        self,
        programme: Programme,
        *,
        sex: str,
        name: PersonName,
        registered_on: datetime.date,
        date_of_birth: datetime.date,
        phone: str,
        national_id: str,
        groups: list[str],
        household: tuple[int, int, str],
        income: int | None,
        heard: tuple[str, str],
        enrolled: bool,
        branch: Branch,
        spec: BranchSpec,
        district: District,
        locality: Locality | None,
    ) -> _Applicant:
        # Youth is not a ticked group: Tandir derives it from the date of birth.
        age = age_on(date_of_birth, registered_on)
        education, activity = self._education_and_activity(age)
        surveys = self.rng.random() < 0.7
        sharing = surveys and self.rng.random() < 0.6
        members, dependants, head_sex = household
        suffix = "" if spec is programme.branches[0][1] else f".{spec.name.lower()}"
        form_data = {
            "first_name": name.first_name,
            "patronymic": name.patronymic,
            "last_name": name.last_name,
            "sex": sex,
            "date_of_birth": date_of_birth.isoformat(),
            "phone": phone,
            "national_id": national_id,
            "branch": branch.pk,
            "district": district.pk,
            "locality": locality.pk if locality else "",
            "target_groups": [self.groups[code].pk for code in groups],
            "education": education,
            "economic_activity": activity,
            "heard_via": heard[0],
            "heard_via_detail": heard[1],
            "projects": [programme.project.pk] if enrolled else [],
            "household_members": members,
            "household_dependants": dependants,
            "household_head_sex": head_sex,
            "household_income": "" if income is None else str(income),
            "household_income_currency": "" if income is None else programme.organization.currency,
            "consent_programme": "on",
            "consent_surveys": "on" if surveys else "",
            "consent_sharing": "on" if sharing else "",
        }
        withdrawn = None
        if self.rng.random() < 0.03:
            withdrawn = registered_on + datetime.timedelta(days=self.rng.randint(30, 240))
            withdrawn = withdrawn if withdrawn <= HISTORY_ENDS else None
        return _Applicant(
            programme=programme,
            officer=programme.staff[f"{programme.prefix}.intake{suffix}"],
            branch=branch,
            registered_on=registered_on,
            form_data=form_data,
            steps=self._pipeline(programme, suffix, registered_on),
            consent_withdrawn_on=withdrawn,
        )

    def _armenian_applicant(self, programme: Programme) -> _Applicant:
        rng = self.rng
        registered_on = self._registration_day()
        sex = Sex.FEMALE if rng.random() < 0.58 else Sex.MALE
        script = rng.choices(["hy", "latn", "cyrl"], [70, 18, 12])[0]
        name = armenian_name(rng, sex, script)
        displacement = rng.choices(["refugee", "returnee", "idp", ""], [35, 8, 6, 51])[0]
        groups = [displacement] if displacement else []
        born = self._birth_date(registered_on, youth_share=0.3)
        household = self._household(
            sex,
            woman_head_chance=0.42,
            sizes=range(1, 9),
            size_weights=[5, 12, 20, 25, 19, 10, 6, 3],
        )
        if household[2] == Sex.FEMALE:
            groups.append("woman_headed_household")
        per_person = (15_000, 80_000) if displacement == "refugee" else (20_000, 130_000)
        income, low = self._income(household[0], per_person, step=5_000, poverty_line=45_000)
        if low:
            groups.append("low_income")
        if rng.random() < 0.05:
            groups.append("disability")
        branch, spec = self._pick_branch(programme)
        district, locality = self._place(programme, spec)
        has_id = rng.random() < (0.4 if displacement == "refugee" else 0.92)
        referrers = [
            "Municipality social worker",
            "Refugee support centre",
            "Neighbour",
            "Another participant",
            "Relative",
            "Unified social service",
        ]
        return self._applicant(
            programme,
            sex=sex,
            name=name,
            registered_on=registered_on,
            date_of_birth=born,
            phone=self._armenian_phone() if rng.random() < 0.95 else "",
            national_id=self._armenian_id() if has_id else "",
            groups=groups,
            household=household,
            income=income,
            heard=self._heard_via(district.name, referrers),
            enrolled=rng.random() < 0.88,
            branch=branch,
            spec=spec,
            district=district,
            locality=locality,
        )

    def _azerbaijani_applicant(self, programme: Programme) -> _Applicant:
        rng = self.rng
        registered_on = self._registration_day()
        sex = Sex.FEMALE if rng.random() < 0.6 else Sex.MALE
        script = "cyrl" if rng.random() < 0.15 else "latn"
        name = azerbaijani_name(rng, sex, script)
        branch, spec = self._pick_branch(programme)
        district, locality = self._place(programme, spec)
        # Displaced families settled mostly around Barda, Tartar, Aghjabadi, Yevlakh and Ganja.
        idp_chance = 0.38 if spec.code in {"YVL", "GNJ"} else 0.05
        groups = ["idp"] if rng.random() < idp_chance else []
        born = self._birth_date(registered_on, youth_share=0.3)
        household = self._household(
            sex,
            woman_head_chance=0.25,
            sizes=range(1, 10),
            size_weights=[3, 8, 15, 24, 22, 14, 8, 4, 2],
        )
        if household[2] == Sex.FEMALE:
            groups.append("woman_headed_household")
        income, low = self._income(household[0], (100, 600), step=10, poverty_line=250)
        if low:
            groups.append("low_income")
        if rng.random() < 0.03:
            groups.append("disability")
        referrers = [
            "Village executive",
            "Neighbour",
            "Another client",
            "Relative",
            "Women's council",
        ]
        youth = age_on(born, registered_on) <= settings.TANDIR_YOUTH_MAX_AGE
        return self._applicant(
            programme,
            sex=sex,
            name=name,
            registered_on=registered_on,
            date_of_birth=born,
            phone=self._azerbaijani_phone(),
            national_id=self._azerbaijani_id() if rng.random() < 0.97 else "",
            groups=groups,
            household=household,
            income=income,
            heard=self._heard_via(district.name, referrers),
            enrolled=rng.random() < (0.9 if sex == Sex.FEMALE or youth else 0.4),
            branch=branch,
            spec=spec,
            district=district,
            locality=locality,
        )

    def _pakistani_applicant(self, programme: Programme) -> _Applicant:
        rng = self.rng
        registered_on = self._registration_day()
        # Islamic microfinance in Pakistan lends mostly to women.
        sex = Sex.FEMALE if rng.random() < 0.8 else Sex.MALE
        name = pakistani_name(rng, sex, "ur" if rng.random() < 0.6 else "latn")
        branch, spec = self._pick_branch(programme)
        district, locality = self._place(programme, spec)
        groups = ["refugee"] if rng.random() < 0.04 else []  # Afghan families in Punjab
        born = self._birth_date(registered_on, youth_share=0.25)
        household = self._household(
            sex,
            woman_head_chance=0.2,
            sizes=range(2, 11),
            size_weights=[3, 8, 14, 20, 20, 15, 10, 6, 4],
        )
        if household[2] == Sex.FEMALE:
            groups.append("woman_headed_household")
        income, low = self._income(household[0], (4_000, 20_000), step=1_000, poverty_line=9_000)
        if low:
            groups.append("low_income")
        if rng.random() < 0.03:
            groups.append("disability")
        referrers = [
            "Mosque committee",
            "Lady health worker",
            "Neighbour",
            "Another member",
            "Relative",
        ]
        return self._applicant(
            programme,
            sex=sex,
            name=name,
            registered_on=registered_on,
            date_of_birth=born,
            phone=self._pakistani_phone(),
            # Refugees hold a proof-of-registration card, not a national identity card.
            national_id="" if "refugee" in groups else self._pakistani_id(),
            groups=groups,
            household=household,
            income=income,
            heard=self._heard_via(district.name, referrers),
            enrolled=rng.random() < 0.9,
            branch=branch,
            spec=spec,
            district=district,
            locality=locality,
        )

    def _group_cohort(
        self,
        applicants: list[_Applicant],
        *,
        branch_code: str,
        size: int,
        disbursed_on: datetime.date,
        groups: tuple[str, ...],
        centre: str,
        place: str,
    ) -> _Cohort:
        """Women of one branch who go through training and planning together and then borrow as
        a solidarity group: their pipeline is redrawn to end at planning three weeks before the
        group's loans, whose disbursement makes them borrowers."""
        latest = disbursed_on - datetime.timedelta(days=100)
        candidates = [
            a
            for a in applicants
            if a.branch.code == branch_code
            and a.form_data["sex"] == Sex.FEMALE
            and a.registered_on <= latest
            and a.consent_withdrawn_on is None
            and a.steps
        ]
        members = self.rng.sample(candidates, size)
        staff, prefix = members[0].programme.staff, members[0].programme.prefix
        for member in members:
            trained_from = member.registered_on + datetime.timedelta(days=self.rng.randint(7, 20))
            trained = trained_from + datetime.timedelta(days=self.rng.randint(28, 35))
            planning = trained + datetime.timedelta(days=self.rng.randint(7, 14))
            member.steps = [
                (str(Status.IN_TRAINING), trained_from, staff[f"{prefix}.trainer"], ""),
                (str(Status.TRAINED), trained, staff[f"{prefix}.trainer"], ""),
                (str(Status.PLANNING), planning, staff[f"{prefix}.advisor"], ""),
            ]
        return _Cohort(
            members[0].programme.organization,
            members[0].branch,
            members,
            disbursed_on,
            groups,
            centre,
            place,
        )

    def _mark_trafficking_survivors(self, applicants: list[_Applicant], count: int) -> None:
        women = [a for a in applicants if a.form_data["sex"] == Sex.FEMALE]
        survivor_group = self.groups["victim_of_trafficking"].pk
        for applicant in self.rng.sample(women, count):
            applicant.form_data["target_groups"].append(survivor_group)

    def _mark_repeat_registrations(self, applicants: list[_Applicant], count: int) -> None:
        """Make a few people come back later and register again under another spelling.

        The later record spells the name in Latin and swaps the day and month of birth, as
        happens at a busy intake desk, so the demo has possible duplicates for a manager to
        review and merge.
        """
        ordered = sorted(applicants, key=lambda a: a.registered_on)
        half = len(ordered) // 2
        firsts = self.rng.sample(ordered[:half], count)
        for first, again in zip(firsts, self.rng.sample(ordered[half:], count), strict=True):
            original, repeat = first.form_data, again.form_data
            born = datetime.date.fromisoformat(original["date_of_birth"])
            swapped = born.replace(month=born.day, day=born.month) if born.day <= 12 else born
            repeat.update(
                first_name=to_latin(original["first_name"]),
                patronymic="",
                last_name=to_latin(original["last_name"]),
                sex=original["sex"],
                date_of_birth=swapped.isoformat(),
                national_id="",
                branch=original["branch"],
                district=original["district"],
                locality=original["locality"],
            )
            again.branch, again.officer = first.branch, first.officer
            again.steps = []

    def _register(self, applicant: _Applicant) -> tuple[bool, int]:
        officer = applicant.officer
        if officer.pk not in self.known:
            self.known[officer.pk] = KnownChoices(officer)
        form = BeneficiaryForm(applicant.form_data, user=officer, known=self.known[officer.pk])
        if not form.is_valid():
            raise ValueError(f"Demo participant does not validate: {form.errors.as_json()}")
        registration = register_beneficiary(
            applicant.officer,
            form.cleaned_data,
            confirm_possible_duplicate=True,
            today=applicant.registered_on,
        )
        beneficiary = registration.beneficiary
        applicant.beneficiary = beneficiary
        for to_status, day, officer, note in applicant.steps:
            change_status(officer, beneficiary, to_status, note=note, on=day)
        if applicant.consent_withdrawn_on:
            withdraw_consent(
                applicant.officer,
                beneficiary,
                reason=_("Asked at the office not to be contacted again."),
                on=applicant.consent_withdrawn_on,
            )
        return bool(registration.possible_duplicates), len(applicant.steps)
