"""Test data for the network and dashboard tests: a member with a small portfolio closed through
two month-ends, people whose identifying details are easy to look for in any output.

(A module of builders, no tests: its name keeps it beside the tests that use it.)
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from tandir.cob import actions as cob
from tandir.lending.models import Loan
from tandir.orgs.models import Organization, OrganizationKind, Role, StaffUser
from tandir.registry.models import Beneficiary
from tests.factories import World, make_user, register
from tests.lending_factories import DISBURSED, Lending, build_lending, disbursed_loan

NOVEMBER_END = datetime.date(2025, 11, 30)
DECEMBER_END = datetime.date(2025, 12, 31)
JANUARY_END = datetime.date(2026, 1, 31)
REGISTERED_ON = datetime.date(2025, 10, 1)
WOMEN = 6
MEN = 2
D = Decimal


@dataclass
class Portfolio:
    lending: Lending
    women: list[Beneficiary]
    men: list[Beneficiary]
    loans: list[Loan]
    other_network: Organization
    other_analyst: StaffUser
    other_me: StaffUser
    # Strings that identify a person or a record: none may leave the member.
    identifying: list[str] = field(default_factory=list)

    @property
    def world(self) -> World:
        return self.lending.world


def person(world: World, n: int, sex: str) -> Beneficiary:
    return register(
        world,
        phone=f"+3749955{n:04d}",
        national_id=f"ZX{8800000 + n}",
        first_name=f"Siranush{n}",
        last_name=f"Vardanyanova{n}",
        patronymic=f"Grigorovna{n}",
        sex=sex,
        date_of_birth=f"19{70 + n}-03-0{1 + n % 8}",
    )


def build_portfolio(world: World, *, through: datetime.date = JANUARY_END) -> Portfolio:
    """Six women and two men, each with a loan of 1,000 USD disbursed on 15 November 2025
    (one man's of 2,000 in the flat product, the others declining), nothing repaid, business
    closed through `through` (on 31 January every loan is 47 days late). Everyone, with the
    lending factory's own registrant (a woman, no loan), registered on 1 October 2025."""
    lending = build_lending(world)
    women = [person(world, n, "female") for n in range(WOMEN)]
    men = [person(world, WOMEN + n, "male") for n in range(MEN)]
    loans = [disbursed_loan(lending, lending.declining, person=p) for p in women + men[:1]]
    loans.append(disbursed_loan(lending, lending.flat, person=men[1], amount="2000"))
    # Registered before the loans, as a programme would (the form dates it today).
    Beneficiary.objects.filter(organization=world.org).update(registered_on=REGISTERED_ON)
    cob.close_business(lending.accountant, world.org, through=through)
    other_network = Organization.objects.create(
        name="Other Network", short_name="ON", kind=OrganizationKind.NETWORK
    )
    world.other_org.networks.add(other_network)
    identifying = [world.intake_a.username, "Gyumri", "Branch A", "Petrosyan"]
    for p in women + men:
        identifying += [p.first_name, p.last_name, p.patronymic, p.phone, str(p.national_id)]
        identifying.append(p.date_of_birth.isoformat())
    identifying += [loan.reference for loan in loans]
    return Portfolio(
        lending=lending,
        women=women,
        men=men,
        loans=loans,
        other_network=other_network,
        other_analyst=make_user(other_network, Role.NETWORK_ANALYST, [], "other_analyst"),
        other_me=make_user(world.other_org, Role.ME_OFFICER, [], "other_me"),
        identifying=identifying,
    )


# The names of fields that identify a person or a record; none may be a key of any output.
IDENTIFYING_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "patronymic",
        "name_latin",
        "full_name",
        "national_id",
        "id_document",
        "id_number",
        "phone",
        "date_of_birth",
        "birth_date",
        "beneficiary",
        "beneficiary_id",
        "loan",
        "loan_id",
        "reference",
        "loan_reference",
        "bank_reference",
        "household",
        "household_id",
        "locality",
        "locality_id",
        "address",
        "branch",
        "branch_id",
        "officer",
        "officer_id",
        "district",
        "district_id",
    }
)

__all__ = ["DISBURSED", "IDENTIFYING_FIELDS", "D", "Portfolio", "build_portfolio"]
