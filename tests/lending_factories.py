"""Lending test data on top of `tests.factories.World`: a chart of accounts, a partner bank, a
funded revolving fund, products of every method and the staff of the loan cycle."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tandir.ledger.actions import install_chart
from tandir.lending import actions
from tandir.lending.models import (
    BankBranch,
    FundingSource,
    FundKind,
    Loan,
    LoanProduct,
    ProductVersion,
)
from tandir.orgs.models import Organization, OrganizationKind, Role, StaffUser
from tandir.registry.models import Beneficiary
from tests.factories import World, make_user, register

D = Decimal
DISBURSED = datetime.date(2025, 11, 15)


@dataclass
class Lending:
    world: World
    bank: Organization
    bank_branch: BankBranch
    fund: FundingSource
    declining: LoanProduct
    flat: LoanProduct
    qard: LoanProduct
    murabaha: LoanProduct
    appraiser: StaffUser
    committee: StaffUser
    accountant: StaffUser
    person: Beneficiary

    @property
    def officer(self) -> StaffUser:
        return self.world.loan_officer_a


def product(
    world: World, code: str, method: str, currency: str = "USD", **terms: Any
) -> LoanProduct:
    defaults: dict[str, Any] = {
        "method": method,
        "currency": currency,
        "frequencies": ["monthly"],
        "rate_min": D(0),
        "rate_max": D(36) if method in {"flat", "declining", "equal-principal"} else D(0),
        "amount_min": D(100),
        "amount_max": D(10000),
        "term_min": 3,
        "term_max": 24,
    }
    if method == "murabaha":
        defaults["rate_max"] = D(30)
    defaults.update(terms)
    version: ProductVersion = actions.create_product(
        world.admin, world.org, code=code, name=code.title(), **defaults
    )
    return version.product


def build_lending(world: World) -> Lending:
    install_chart(world.admin, world.org, "both")
    bank = Organization.objects.create(name="Partner Bank", kind=OrganizationKind.BANK)
    bank_branch = actions.create_bank_branch(
        world.admin, world.org, bank=bank, code="PB-GY", name="Gyumri", district=world.district_a
    )
    fund = actions.create_fund(
        world.admin, world.org, code="rev", name="Revolving fund", kind=FundKind.REVOLVING,
        currency="USD",
    )  # fmt: skip
    accountant = make_user(world.org, Role.ACCOUNTANT, [], "accountant")
    actions.receive_funds(accountant, fund, D("100000"), on=datetime.date(2025, 1, 1))
    return Lending(
        world=world,
        bank=bank,
        bank_branch=bank_branch,
        fund=fund,
        declining=product(world, "declining", "declining"),
        flat=product(world, "flat", "flat"),
        qard=product(world, "qard", "qard-hasan", fees=[{"name": "service", "value": "10"}]),
        murabaha=product(world, "murabaha", "murabaha"),
        appraiser=make_user(world.org, Role.LOAN_APPRAISER, [world.branch_a], "appraiser"),
        committee=make_user(world.org, Role.CREDIT_COMMITTEE, [], "committee"),
        accountant=accountant,
        person=register(world),
    )


def disbursed_loan(
    lending: Lending,
    product: LoanProduct,
    *,
    amount: str = "1000",
    rate: str = "24",
    term: int = 12,
    on: datetime.date = DISBURSED,
    person: Beneficiary | None = None,
) -> Loan:
    """A loan through the whole cycle to disbursement, by the people who do each step."""
    loan = actions.apply_for_loan(
        lending.officer,
        person or lending.person,
        product,
        amount=D(amount),
        term=term,
        rate=D(rate),
        purpose="Sewing machine",
        sector="crafts",
        on=on - datetime.timedelta(days=14),
    )
    actions.appraise(
        lending.appraiser,
        loan,
        business_income=D("1200"),
        business_expenses=D("300"),
        household_income=D("100"),
        household_expenses=D("350"),
    )
    actions.approve(
        lending.committee, loan, fund=lending.fund, bank_branch=lending.bank_branch,
        on=on - datetime.timedelta(days=7),
    )  # fmt: skip
    actions.instruct_disbursement(lending.officer, lending.bank, [loan], on=on)
    return actions.confirm_disbursement(lending.accountant, loan, bank_reference="PB-1", on=on)
