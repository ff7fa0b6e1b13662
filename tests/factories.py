"""Small builders for test data: two organisations, branches, districts and staff of every role."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tandir.orgs.models import (
    Branch,
    Country,
    District,
    Organization,
    OrganizationKind,
    Project,
    Region,
    Role,
    StaffUser,
)

PASSWORD = "test-pass-123"


def make_user(
    organization: Organization, role: str, branches: list[Branch], username: str
) -> StaffUser:
    user = StaffUser.objects.create_user(
        username=username, password=PASSWORD, organization=organization, role=role
    )
    user.branches.set(branches)
    return user


@dataclass
class World:
    org: Organization
    other_org: Organization
    branch_a: Branch
    branch_b: Branch
    other_branch: Branch
    district_a: District
    district_b: District
    project: Project
    admin: StaffUser
    intake_a: StaffUser
    loan_officer_a: StaffUser
    loan_officer_b: StaffUser
    manager_a: StaffUser
    me_officer: StaffUser
    other_intake: StaffUser
    analyst: StaffUser


def build_world() -> World:
    armenia = Country.objects.create(code="AM", name="Armenia")
    region = Region.objects.create(country=armenia, name="Shirak")
    district_a = District.objects.create(region=region, name="Gyumri")
    district_b = District.objects.create(region=region, name="Artik")
    network = Organization.objects.create(name="Network", kind=OrganizationKind.NETWORK)
    org = Organization.objects.create(
        name="Org X", kind=OrganizationKind.MFI, country=armenia, currency="AMD"
    )
    other_org = Organization.objects.create(
        name="Org Y", kind=OrganizationKind.MFI, country=armenia
    )
    org.networks.add(network)
    other_org.networks.add(network)
    branch_a = Branch.objects.create(organization=org, name="Branch A", code="A")
    branch_b = Branch.objects.create(organization=org, name="Branch B", code="B")
    other_branch = Branch.objects.create(organization=other_org, name="Branch Y", code="Y")
    project = Project.objects.create(
        organization=org,
        name="Self-reliance",
        code="SR1",
        budget_amount=Decimal("1000000.00"),
        budget_currency="USD",
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2028, 12, 31),
    )
    return World(
        org=org,
        other_org=other_org,
        branch_a=branch_a,
        branch_b=branch_b,
        other_branch=other_branch,
        district_a=district_a,
        district_b=district_b,
        project=project,
        admin=make_user(org, Role.ADMINISTRATOR, [], "admin"),
        intake_a=make_user(org, Role.INTAKE_OFFICER, [branch_a], "intake_a"),
        loan_officer_a=make_user(org, Role.LOAN_OFFICER, [branch_a], "loan_a"),
        loan_officer_b=make_user(org, Role.LOAN_OFFICER, [branch_b], "loan_b"),
        manager_a=make_user(org, Role.BRANCH_MANAGER, [branch_a], "manager_a"),
        me_officer=make_user(org, Role.ME_OFFICER, [], "me"),
        other_intake=make_user(other_org, Role.INTAKE_OFFICER, [other_branch], "other_intake"),
        analyst=make_user(network, Role.NETWORK_ANALYST, [], "analyst"),
    )


def beneficiary_data(world: World, **overrides: Any) -> dict[str, Any]:
    """Raw form data (as posted) for a valid registration in branch A, district A."""
    data: dict[str, Any] = {
        "first_name": "Anahit",
        "patronymic": "",
        "last_name": "Petrosyan",
        "sex": "female",
        "date_of_birth": "1990-04-12",
        "phone": "+374 91 123456",
        "national_id": "AM1234567",
        "branch": world.branch_a.pk,
        "district": world.district_a.pk,
        "locality": "",
        "target_groups": [],
        "education": "secondary",
        "economic_activity": "none",
        "heard_via": "media",
        "heard_via_detail": "",
        "projects": [world.project.pk],
        "household_members": 4,
        "household_dependants": 2,
        "household_head_sex": "female",
        "household_income": "120000",
        "household_income_currency": "AMD",
        "consent_programme": "on",
        "consent_surveys": "on",
    }
    data.update(overrides)
    return data


def register(world: World, officer: StaffUser | None = None, **overrides: Any):
    """Register through the real form and action, as the web page does."""
    from tandir.registry.actions import register_beneficiary
    from tandir.registry.forms import BeneficiaryForm

    officer = officer or world.intake_a
    form = BeneficiaryForm(beneficiary_data(world, **overrides), user=officer)
    assert form.is_valid(), form.errors
    return register_beneficiary(
        officer, form.cleaned_data, confirm_possible_duplicate=True
    ).beneficiary
