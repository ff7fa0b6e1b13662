"""The demo's lending: for each demo organisation a chart of accounts, funds with money received,
partner-bank branches, approval limits, products, and loans in every state with months of
repayments up to the last day of the demo's history.

Everything goes through `tandir.lending.actions`, done by the member of staff whose job it is
(the branch's loan officer applies, the appraiser appraises, the credit committee approves, the
accountant confirms the bank's payment), so the ledger balances and agrees with the loans. The
demo's "today" is the loader's `HISTORY_ENDS`: loans are disbursed on the day the registry made
the person a borrower, and repaid, late, partly or not at all, up to that day.

A few actions stamp the real date on what they record (a rejection's or withdrawal's event, the
day a change was asked for, a follow-up note); the demo moves those dates back into its history
afterwards, as it may write outside the actions and nobody else may.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from tandir.core.models import TargetGroup
from tandir.engine import RoundingRule, build_schedule, round_amount
from tandir.ledger.actions import install_chart
from tandir.lending import actions
from tandir.lending.models import (
    Attendance,
    BankBranch,
    ChangeKind,
    CollectionSheet,
    FollowUp,
    FundingSource,
    FundKind,
    Installment,
    Loan,
    LoanChange,
    LoanProduct,
    LoanStatus,
    PenaltyKind,
    ProductVersion,
    ProfitRecognition,
    Repayment,
    RepaymentSource,
    SolidarityGroup,
)
from tandir.lending.queries import overdue_installments
from tandir.lending.terms import loan_terms
from tandir.orgs.models import Branch, District, Organization, Role, StaffUser
from tandir.registry.models import Beneficiary, Consent, EconomicActivity, Sex, Status, StatusChange
from tandir.registry.queries import youngest_non_youth_birthday

D = Decimal
ZERO = Decimal(0)
DAY = datetime.timedelta(days=1)


@dataclass
class LendingSummary:
    loans: int = 0
    repayments: int = 0
    collection_sheets: int = 0


@dataclass
class LendingBook:
    """One demo organisation as lending sees it."""

    kind: str  # a key of BOOKS
    organization: Organization
    bank: Organization
    staff: dict[str, StaffUser]
    prefix: str
    branches: list[tuple[Branch, str]]  # each branch and the suffix of its staff's usernames


@dataclass
class GroupCohort:
    """Members of one branch who borrow together as one or more solidarity groups."""

    organization: Organization
    branch: Branch
    members: list[Beneficiary]
    disbursed_on: datetime.date
    groups: tuple[str, ...]
    centre: str  # empty: the groups meet on their own
    place: str


# --- What each organisation lends ---------------------------------------------------------------


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name: str
    terms: dict[str, Any]
    amounts: tuple[int, int, int]  # what loan officers offer: lowest, highest, step
    installments: tuple[int, ...]
    grace: tuple[int, ...] = (0,)
    target_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class FundSpec:
    code: str
    name: str
    kind: str
    amount: str
    received_on: datetime.date
    from_bank: bool = False


@dataclass(frozen=True)
class BookSpec:
    chart: str
    currency: str
    products: tuple[ProductSpec, ...]
    funds: tuple[FundSpec, ...]
    approval_limits: tuple[tuple[str, str], ...]  # (role, largest amount)
    # Branch code: (bank branch code, name, region, district).
    bank_branches: dict[str, tuple[str, str, str, str]]
    pays_at_bank: bool  # clients repay at the partner bank (a bank statement line)
    partial_step: str  # partial payments are round sums of this
    # (product code, from date, changes): a new version of a product's terms.
    revision: tuple[str, datetime.date, dict[str, Any]] | None = None


def _monthly(method: str, currency: str, **terms: Any) -> dict[str, Any]:
    return {"method": method, "currency": currency, "frequencies": ["monthly"], **terms}


BOOKS: dict[str, BookSpec] = {
    "arev": BookSpec(
        chart="conventional",
        currency="AMD",
        products=(
            ProductSpec(
                "start-up",
                "Business start-up loan",
                _monthly(
                    "declining", "AMD",
                    rate_min=D(12), rate_max=D(14),
                    amount_min=D(300_000), amount_max=D(3_000_000),
                    term_min=12, term_max=36, grace_principal_max=3, round_to=D(10),
                    fees=[{"name": "Bank transfer", "value": "1", "is_percent": True}],
                ),
                amounts=(300_000, 1_500_000, 50_000),
                installments=(12, 18, 24),
                grace=(0, 0, 1, 2),
            ),
            ProductSpec(
                "agro",
                "Agricultural loan",
                _monthly(
                    "declining", "AMD",
                    rate_min=D(10), rate_max=D(12),
                    amount_min=D(300_000), amount_max=D(2_000_000),
                    term_min=12, term_max=24, grace_principal_max=4, round_to=D(10),
                    sectors=["agriculture", "livestock"],
                ),
                amounts=(400_000, 2_000_000, 100_000),
                installments=(18, 24),
                grace=(3, 4),
            ),
        ),
        funds=(
            FundSpec(
                "nordlys", "Nordlys refugee livelihoods fund", FundKind.DONOR, "60000000",
                datetime.date(2025, 1, 20),
            ),
            FundSpec(
                "sevan-line", "Sevan Bank credit line", FundKind.CREDIT_LINE, "90000000",
                datetime.date(2025, 2, 3), from_bank=True,
            ),
        ),
        approval_limits=((Role.BRANCH_MANAGER, "1000000"), (Role.CREDIT_COMMITTEE, "5000000")),
        bank_branches={
            "YER": ("SEV-KEN", "Yerevan, Kentron", "Yerevan", "Kentron"),
            "GYU": ("SEV-GYU", "Gyumri", "Shirak", "Gyumri"),
            "VAN": ("SEV-VAN", "Vanadzor", "Lori", "Vanadzor"),
        },
        pays_at_bank=True,
        partial_step="1000",
        # The donors lowered the rate from the new year.
        revision=("start-up", datetime.date(2026, 1, 1), {"rate_min": D(10), "rate_max": D(12)}),
    ),
    "kur": BookSpec(
        chart="conventional",
        currency="AZN",
        products=(
            ProductSpec(
                "women",
                "Women's enterprise loan",
                _monthly(
                    "flat", "AZN",
                    rate_min=D(18), rate_max=D(22),
                    amount_min=D(300), amount_max=D(3_000),
                    term_min=6, term_max=12,
                    fees=[{"name": "Service fee", "value": "1", "is_percent": True}],
                    penalty_kind=PenaltyKind.PERCENT, penalty_value=D(1), penalty_after_days=7,
                ),
                amounts=(300, 2_500, 100),
                installments=(6, 9, 12),
            ),
            ProductSpec(
                "youth-agro",
                "Youth agriculture loan",
                _monthly(
                    "declining", "AZN",
                    rate_min=D(20), rate_max=D(24),
                    amount_min=D(500), amount_max=D(5_000),
                    term_min=12, term_max=18, grace_principal_max=3,
                    sectors=["agriculture", "livestock"],
                    penalty_kind=PenaltyKind.PERCENT, penalty_value=D(1), penalty_after_days=7,
                ),
                amounts=(800, 4_000, 100),
                installments=(12, 18),
                grace=(0, 2, 3),
                target_groups=("youth",),
            ),
            ProductSpec(
                "micro",
                "Micro-business loan",
                _monthly(
                    "declining", "AZN",
                    rate_min=D(24), rate_max=D(28),
                    amount_min=D(500), amount_max=D(5_000),
                    term_min=6, term_max=18,
                    penalty_kind=PenaltyKind.PERCENT, penalty_value=D(1), penalty_after_days=7,
                ),
                amounts=(500, 3_000, 100),
                installments=(6, 12),
            ),
        ),
        funds=(
            FundSpec(
                "revolving", "Alpine revolving fund", FundKind.REVOLVING, "180000",
                datetime.date(2025, 3, 3),
            ),
            FundSpec(
                "caspian-line", "Caspian Bank credit line", FundKind.CREDIT_LINE, "120000",
                datetime.date(2025, 4, 1), from_bank=True,
            ),
        ),
        approval_limits=((Role.BRANCH_MANAGER, "3000"), (Role.CREDIT_COMMITTEE, "20000")),
        bank_branches={
            "GNJ": ("CAS-GNJ", "Ganja", "Ganja-Dashkasan", "Ganja"),
            "SHK": ("CAS-SHK", "Shaki", "Shaki-Zagatala", "Shaki"),
            "LNK": ("CAS-LNK", "Lankaran", "Lankaran-Astara", "Lankaran"),
            "YVL": ("CAS-YVL", "Yevlakh", "Central Aran", "Yevlakh"),
        },
        pays_at_bank=False,
        partial_step="5",
    ),
    "roshni": BookSpec(
        chart="islamic",
        currency="PKR",
        products=(
            ProductSpec(
                "qard-hasan",
                "Qard Hasan",
                _monthly(
                    "qard-hasan", "PKR",
                    amount_min=D(10_000), amount_max=D(60_000),
                    term_min=6, term_max=12, round_to=D(10),
                    fees=[{"name": "Documentation fee", "value": "200"}],
                ),
                amounts=(10_000, 50_000, 5_000),
                installments=(6, 10, 12),
            ),
            ProductSpec(
                "murabaha",
                "Murabaha asset finance",
                _monthly(
                    "murabaha", "PKR",
                    rate_min=D(10), rate_max=D(18),
                    amount_min=D(25_000), amount_max=D(200_000),
                    term_min=6, term_max=12, round_to=D(10),
                    profit_recognition=ProfitRecognition.AS_DUE,
                    # A late charge never earns: all of it goes to the charity payable.
                    penalty_kind=PenaltyKind.FIXED, penalty_value=D(300), penalty_after_days=7,
                ),
                amounts=(25_000, 150_000, 5_000),
                installments=(6, 9, 12),
            ),
        ),
        funds=(
            FundSpec(
                "qard-pool", "Hilal Qard Hasan pool", FundKind.DONOR, "6000000",
                datetime.date(2025, 2, 10),
            ),
            FundSpec(
                "murabaha-rev", "Murabaha revolving fund", FundKind.REVOLVING, "9000000",
                datetime.date(2025, 2, 10),
            ),
        ),
        approval_limits=((Role.BRANCH_MANAGER, "100000"), (Role.CREDIT_COMMITTEE, "500000")),
        bank_branches={
            "LHR": ("IND-LHR", "Lahore, Mall Road", "Punjab", "Lahore"),
            "MUL": ("IND-MUL", "Multan Cantt", "Punjab", "Multan"),
        },
        pays_at_bank=False,
        partial_step="500",
    ),
}  # fmt: skip

PURPOSES = {
    "trade": ["Stock for a grocery stall", "Goods for a market stand", "Shelves and a fridge"],
    "services": ["Hairdressing chairs and dryer", "Tools for a repair shop", "Car wash pump"],
    "agriculture": ["Seeds and fertiliser", "Drip irrigation", "A greenhouse"],
    "livestock": ["Two dairy cows", "Sheep for breeding", "A poultry shed"],
    "manufacturing": ["A bakery oven", "A dough mixer", "Woodworking machines"],
    "crafts": ["A sewing machine", "A carpet loom", "Embroidery supplies"],
}
SITE_VISITS = [
    "Visited the home and the place of business; stock and records seen.",
    "The business runs from the family home; neighbours confirm it trades every day.",
    "Spoke with the spouse, who supports the plan; the cash book is kept.",
    "The premises are rented for two years; the rent receipts were shown.",
]
FOLLOW_UPS = [
    "Visited: sales were poor this month, promised to pay after the market day.",
    "Phoned: the client is caring for a sick relative and will pay part next week.",
    "Met at home: the harvest was sold late; promised to bring the installment.",
]
# How clients repay: on time, late, part of each installment, or stopping after a while (and,
# on the oldest loans, "seasonal": a quarter's installments at once).
BEHAVIOURS = ["on_time", "late", "partial", "stopped"]
BEHAVIOUR_WEIGHTS = [76, 10, 5, 9]


@dataclass
class _Plan:
    """A borrower of the registry's pipeline: disbursed on the day they became one."""

    person: Beneficiary
    disbursed_on: datetime.date
    exited: bool
    behaviour: str = "on_time"


@dataclass
class _Books:
    """What one organisation's lending set up, for its loans to use."""

    book: LendingBook
    spec: BookSpec
    products: dict[str, LoanProduct]
    funds: dict[str, FundingSource]
    bank_branches: dict[int, BankBranch]  # by the organisation's branch
    officers: dict[int, StaffUser]  # the loan officer of each branch
    revised: bool = False
    versions: dict[str, ProductVersion] = field(default_factory=dict)

    def staff(self, key: str) -> StaffUser:
        return self.book.staff[f"{self.book.prefix}.{key}"]

    def version(self, code: str) -> ProductVersion:
        """The product's current terms (kept here until the product is revised)."""
        if code not in self.versions:
            self.versions[code] = actions.current_version(self.products[code])
        return self.versions[code]


class _Lender:
    """Lends in each organisation in turn, from one random generator, up to `as_of`."""

    def __init__(self, rng: random.Random, as_of: datetime.date) -> None:
        self.rng = rng
        self.as_of = as_of
        # Who counts as youth is decided on the real date, as the lending actions decide it.
        self.youth_born_after = youngest_non_youth_birthday(timezone.localdate())
        self.groups = {g.code: g for g in TargetGroup.objects.all()}

    # --- set-up ---------------------------------------------------------------------------------

    def set_up(self, book: LendingBook) -> _Books:
        spec = BOOKS[book.kind]
        organization = book.organization
        admin = book.staff[f"{book.prefix}.admin"]
        accountant = book.staff[f"{book.prefix}.accountant"]
        install_chart(admin, organization, spec.chart)
        bank_branches = {}
        for branch, _suffix in book.branches:
            code, name, region, district = spec.bank_branches[branch.code]
            bank_branches[branch.pk] = actions.create_bank_branch(
                admin,
                organization,
                bank=book.bank,
                code=code,
                name=name,
                district=District.objects.get(
                    region__country=organization.country, region__name=region, name=district
                ),
            )
        funds = {}
        for fund in spec.funds:
            funds[fund.code] = actions.create_fund(
                admin,
                organization,
                code=fund.code,
                name=fund.name,
                kind=fund.kind,
                currency=spec.currency,
                bank=book.bank if fund.from_bank else None,
            )
            actions.receive_funds(accountant, funds[fund.code], D(fund.amount), on=fund.received_on)
        for role, amount in spec.approval_limits:
            actions.set_approval_limit(
                admin, organization, role=role, currency=spec.currency, amount=D(amount)
            )
        products = {}
        for product in spec.products:
            version = actions.create_product(
                admin,
                organization,
                code=product.code,
                name=product.name,
                target_groups=[self.groups[code] for code in product.target_groups],
                **product.terms,
            )
            products[product.code] = version.product
        officers = {
            branch.pk: book.staff[f"{book.prefix}.loan{suffix}"] for branch, suffix in book.branches
        }
        return _Books(book, spec, products, funds, bank_branches, officers)

    # --- choosing what each person borrows ------------------------------------------------------

    def _sector(self, person: Beneficiary, books: _Books, product: str) -> str:
        version = books.version(product)
        if version.sectors:
            return str(self.rng.choice(version.sectors))
        if person.economic_activity == EconomicActivity.FARMING:
            return self.rng.choice(["agriculture", "livestock"])
        return self.rng.choice(["trade", "trade", "services", "crafts", "manufacturing"])

    def _product_for(self, person: Beneficiary, books: _Books) -> str:
        rng = self.rng
        kind = books.book.kind
        if kind == "arev":
            farming = person.economic_activity == EconomicActivity.FARMING
            return "agro" if farming or rng.random() < 0.15 else "start-up"
        if kind == "kur":
            if person.date_of_birth > self.youth_born_after and rng.random() < 0.6:
                return "youth-agro"
            return "women" if person.sex == Sex.FEMALE else "micro"
        poorest = any(g.code == "low_income" for g in person.target_groups.all())
        return "qard-hasan" if rng.random() < (0.65 if poorest else 0.3) else "murabaha"

    def _fund_for(self, person: Beneficiary, books: _Books, product: str) -> FundingSource:
        kind = books.book.kind
        if kind == "arev":
            codes = {g.code for g in person.target_groups.all()}
            displaced = bool({"refugee", "idp", "returnee"} & codes)
            return books.funds["nordlys" if displaced else "sevan-line"]
        if kind == "kur":
            return books.funds["caspian-line" if self.rng.random() < 0.3 else "revolving"]
        return books.funds["qard-pool" if product == "qard-hasan" else "murabaha-rev"]

    def _offer(self, books: _Books, code: str) -> tuple[Decimal, int, Decimal, int]:
        """Amount, installments, rate and principal grace within the product's current terms."""
        rng = self.rng
        spec = next(p for p in books.spec.products if p.code == code)
        version = books.version(code)
        low, high, step = spec.amounts
        amount = D(rng.randrange(low, high + 1, step))
        rates = range(int(version.rate_min), int(version.rate_max) + 1)
        grace = min(rng.choice(spec.grace), version.grace_principal_max)
        return amount, rng.choice(spec.installments), D(rng.choice(rates)), grace

    # --- the cycle ------------------------------------------------------------------------------

    def _appraise(self, books: _Books, loan: Loan, *, passes: bool = True) -> None:
        """An appraisal whose cash flow leaves the installment a plausible share of it."""
        schedule = build_schedule(loan_terms(loan))
        largest = max(row.total for row in schedule.installments)
        per_month = actions.monthly(largest, loan.frequency)
        share = D(self.rng.randint(22, 44) if passes else self.rng.randint(70, 95)) / 100
        rule = RoundingRule(loan.currency, D(books.spec.partial_step))
        net = round_amount(per_month / share, rule)
        business_expenses = round_amount(net * D("0.9"), rule)
        household_expenses = round_amount(net * D("0.6"), rule)
        actions.appraise(
            books.staff("appraiser"),
            loan,
            business_income=net + business_expenses + household_expenses,
            business_expenses=business_expenses,
            household_expenses=household_expenses,
            site_visit_notes=self.rng.choice(SITE_VISITS),
            recommendation="approve" if passes else "reject",
        )

    def _apply(
        self,
        books: _Books,
        person: Beneficiary,
        on: datetime.date,
        *,
        group: SolidarityGroup | None = None,
        product: str | None = None,
        term: int | None = None,
    ) -> Loan:
        if books.spec.revision and not books.revised:
            code, starts, changes = books.spec.revision
            if on >= starts:
                version = actions.revise_product(
                    books.staff("admin"), books.products[code], **changes
                )
                books.versions[code] = version
                books.revised = True
        code = product or self._product_for(person, books)
        amount, installments, rate, grace = self._offer(books, code)
        sector = self._sector(person, books, code)
        return actions.apply_for_loan(
            books.officers[person.branch_id],
            person,
            books.products[code],
            amount=amount,
            term=term or installments,
            rate=rate,
            grace_principal=grace,
            purpose=self.rng.choice(PURPOSES[sector]),
            sector=sector,
            group=group,
            on=on,
        )

    def _approve(self, books: _Books, loan: Loan, on: datetime.date) -> Loan:
        product = self._product_code(books, loan)
        return actions.approve(
            books.staff("committee"),
            loan,
            on=on,
            fund=self._fund_for(loan.beneficiary, books, product),
            bank_branch=books.bank_branches[loan.branch_id],
        )

    @staticmethod
    def _product_code(books: _Books, loan: Loan) -> str:
        return next(c for c, p in books.products.items() if p.pk == loan.product_version.product_id)

    def _disburse(self, books: _Books, loans: Sequence[Loan], on: datetime.date) -> list[Loan]:
        """One instruction to the bank for the loans, then its confirmation of each payment."""
        instructed = on - datetime.timedelta(days=self.rng.randint(1, 3))
        actions.instruct_disbursement(
            books.officers[loans[0].branch_id], books.book.bank, list(loans), on=instructed
        )
        return [
            actions.confirm_disbursement(
                books.staff("accountant"),
                loan,
                bank_reference=f"{books.book.bank.short_name[:3].upper()}-{loan.pk:07d}",
                on=on,
            )
            for loan in loans
        ]

    def _lend(self, books: _Books, plan: _Plan) -> Loan:
        day = plan.disbursed_on
        applied = day - datetime.timedelta(self.rng.randint(14, 20))
        # Rescheduling a Murabaha adds markup to the new installments without a ledger entry
        # for it (lending.actions._reschedule), so the Islamic lender's rescheduled loan is a
        # Qard Hasan, whose schedule carries no charge.
        product = (
            "qard-hasan"
            if plan.behaviour == "rescheduled" and books.book.kind == "roshni"
            else None
        )
        loan = self._apply(books, plan.person, applied, product=product)
        self._appraise(books, loan)
        loan = self._approve(books, loan, day - datetime.timedelta(self.rng.randint(4, 9)))
        return self._disburse(books, [loan], day)[0]

    # --- repayments -----------------------------------------------------------------------------

    def _pay(
        self, books: _Books, loan: Loan, amount: Decimal, day: datetime.date, number: int
    ) -> None:
        if books.spec.pays_at_bank:
            actions.record_repayment(
                books.staff("accountant"),
                loan,
                amount=amount,
                value_date=day,
                reference=f"{loan.reference}-{number:02d}",
                source=RepaymentSource.BANK_FILE,
                bank_reference=f"{books.book.bank.short_name[:3].upper()}{day:%y%m%d}{loan.pk:05d}",
            )
        else:
            actions.record_repayment(
                books.officers[loan.branch_id],
                loan,
                amount=amount,
                value_date=day,
                reference=f"{loan.reference}-{number:02d}",
            )

    def _rows(self, loan: Loan) -> list[Installment]:
        loan.refresh_from_db(fields=["schedule_version", "status", "schedule_from"])
        return list(
            Installment.objects.filter(loan=loan, version=loan.schedule_version).order_by("number")
        )

    def _on_time(self, loan: Loan, due: datetime.date) -> datetime.date:
        day = due + datetime.timedelta(days=self.rng.randint(-2, 1))
        return max(day, (loan.schedule_from or loan.disbursed_on or due) + DAY)

    def _repay(self, books: _Books, loan: Loan, behaviour: str) -> None:
        """Payments of each installment fallen due, the way this client pays."""
        rng = self.rng
        rows = self._rows(loan)
        due = [row for row in rows if row.due_date <= self.as_of]
        stop = len(due)
        if behaviour == "stopped":
            stop = rng.randint(min(1, len(due)), max(1, len(due) - 2))
        number = 0
        if behaviour == "seasonal":
            # What fell due in each quarter, paid together at its end (after a harvest, or when
            # money comes from family working abroad); the quarter under way up to its last
            # installment so far.
            for start in range(0, len(due), 3):
                quarter = due[start : start + 3]
                day = quarter[-1].due_date + datetime.timedelta(days=rng.randint(0, 5))
                if day <= self.as_of:
                    number += 1
                    self._pay(books, loan, sum((r.total for r in quarter), ZERO), day, number)
            return
        for row in due[:stop]:
            amount = row.total
            if behaviour == "late":
                day = row.due_date + datetime.timedelta(days=rng.randint(3, 25))
                if day <= self.as_of:
                    # The late charge is added when the client comes, and paid with the rest.
                    amount += actions.charge_penalties(
                        books.officers[loan.branch_id], loan, as_of=day
                    )
            elif behaviour == "partial":
                day = row.due_date + datetime.timedelta(days=rng.randint(0, 6))
                share = D(rng.randint(50, 85)) / 100
                amount = round_amount(row.total * share, self._step(books, loan))
            else:
                day = self._on_time(loan, row.due_date)
            if day > self.as_of or amount <= ZERO:
                continue
            number += 1
            self._pay(books, loan, amount, day, number)

    def _step(self, books: _Books, loan: Loan) -> RoundingRule:
        return RoundingRule(loan.currency, D(books.spec.partial_step))

    def _pay_on_time(
        self, books: _Books, loan: Loan, rows: Sequence[Installment], first: int
    ) -> int:
        number = first
        for row in rows:
            day = self._on_time(loan, row.due_date)
            if day > self.as_of:
                break
            number += 1
            self._pay(books, loan, row.total, day, number)
        return number

    def _close_early(self, books: _Books, loan: Loan, *, overpay: bool) -> None:
        """A few installments on time, then everything left at once (with too much, for one)."""
        rows = self._rows(loan)
        due = [row for row in rows if row.due_date <= self.as_of]
        paid = self.rng.randint(1, max(1, len(due) - 1))
        number = self._pay_on_time(books, loan, rows[:paid], 0)
        early = datetime.timedelta(days=self.rng.randint(3, 12))
        day = min(rows[paid].due_date - early, self.as_of)
        reference = f"{loan.reference}-{number + 1:02d}"
        if overpay:
            left = sum((row.total for row in rows[paid:]), ZERO)
            extra = round_amount(rows[0].total / 4, self._step(books, loan))
            self._pay(books, loan, left + extra, day, number + 1)
        elif books.spec.pays_at_bank:
            actions.pay_off(books.staff("accountant"), loan, value_date=day, reference=reference)
        else:
            actions.pay_off(
                books.officers[loan.branch_id], loan, value_date=day, reference=reference
            )

    def _reschedule(self, books: _Books, loan: Loan) -> None:
        """One installment on time, two missed (a failed harvest), then a longer schedule that
        the client keeps to."""
        rows = self._rows(loan)
        number = self._pay_on_time(books, loan, rows[:1], 0)
        day = rows[2].due_date + datetime.timedelta(days=12)
        change = actions.request_change(
            books.officers[loan.branch_id],
            loan,
            kind=ChangeKind.RESCHEDULE,
            reason="The harvest failed after the hail in spring; income returns in autumn.",
            terms={"term": len(rows) - 1 + 6},
        )
        actions.decide_change(
            books.staff("committee"),
            change,
            approve=True,
            on=day,
            reason="Cash flow confirmed on a second visit.",
        )
        LoanChange.objects.filter(pk=change.pk).update(requested_on=day - 6 * DAY)
        self._pay_on_time(books, loan, self._rows(loan), number)

    def _write_off(self, books: _Books, loan: Loan, recovery: bool) -> None:
        """Two installments paid, then nothing: written off six months after the first missed
        one, and for one loan a part recovered afterwards."""
        rows = self._rows(loan)
        number = self._pay_on_time(books, loan, rows[:2], 0)
        day = rows[2].due_date + datetime.timedelta(days=180)
        change = actions.request_change(
            books.officers[loan.branch_id],
            loan,
            kind=ChangeKind.WRITE_OFF,
            reason="The client left the country; the guarantor cannot pay.",
        )
        actions.decide_change(books.staff("committee"), change, approve=True, on=day)
        LoanChange.objects.filter(pk=change.pk).update(requested_on=day - 10 * DAY)
        later = day + datetime.timedelta(days=40)
        if recovery and later <= self.as_of:
            amount = round_amount(rows[0].total * 2, self._step(books, loan))
            self._pay(books, loan, amount, later, number + 1)

    # --- applications that were not disbursed ---------------------------------------------------

    def _pending(self, books: _Books, people: list[tuple[Beneficiary, datetime.date]]) -> None:
        """Applications of the last weeks: waiting, approved (one already sent to the bank),
        rejected by the committee and withdrawn by the client."""
        outcomes = ["submitted", "approved", "rejected", "withdrawn", "instructed", "appraised"]
        for (person, planning), outcome in zip(people, outcomes, strict=False):
            applied = max(planning + 5 * DAY, self.as_of - datetime.timedelta(days=30))
            applied += datetime.timedelta(days=self.rng.randint(0, 10))
            loan = self._apply(books, person, min(applied, self.as_of - 4 * DAY))
            decided = loan.submitted_on + datetime.timedelta(days=3)
            if outcome == "submitted":
                continue
            self._appraise(books, loan, passes=outcome != "rejected")
            if outcome == "appraised":
                continue
            if outcome == "rejected":
                actions.reject(
                    books.staff("committee"),
                    loan,
                    reason="Over-indebted: the installment would take most of the cash flow.",
                    on=decided,
                )
            elif outcome == "withdrawn":
                actions.withdraw(
                    books.officers[loan.branch_id],
                    loan,
                    reason="The family lent the money; the client no longer needs the loan.",
                    on=decided,
                )
            else:
                loan = self._approve(books, loan, decided)
                if outcome == "instructed":
                    actions.instruct_disbursement(
                        books.officers[loan.branch_id], books.book.bank, [loan], on=self.as_of
                    )

    # --- groups ---------------------------------------------------------------------------------

    def _cohort(self, books: _Books, cohort: GroupCohort) -> None:
        """Solidarity groups (in a centre, or meeting alone) borrowing on one day and repaying at
        monthly meetings, one collection sheet each; one member falls behind at the end."""
        rng = self.rng
        officer = books.officers[cohort.branch.pk]
        day = cohort.disbursed_on
        formed = day - datetime.timedelta(days=28)
        centre = None
        if cohort.centre:
            centre = actions.create_centre(
                officer,
                cohort.branch,
                name=cohort.centre,
                meeting_day=day.weekday(),
                meeting_place=cohort.place,
            )
        groups = [
            actions.create_group(
                officer,
                cohort.branch,
                name=name,
                centre=centre,
                meeting_day=day.weekday(),
                meeting_place=cohort.place,
            )
            for name in cohort.groups
        ]
        size = -(-len(cohort.members) // len(groups))
        loans = []
        product = "women" if books.book.kind == "kur" else "murabaha"
        for index, person in enumerate(cohort.members):
            group = groups[index // size]
            actions.join_group(officer, group, person, is_leader=index % size == 0, on=formed)
            loan = self._apply(books, person, day - 14 * DAY, group=group, product=product, term=12)
            self._appraise(books, loan)
            loans.append(self._approve(books, loan, day - 5 * DAY))
        loans = self._disburse(books, loans, day)
        schedules = {loan.pk: self._rows(loan) for loan in loans}
        late = loans[-1]  # falls behind from the last two meetings
        absent = loans[1]  # misses one meeting and pays double at the next
        meetings = [row.due_date for row in schedules[loans[0].pk] if row.due_date <= self.as_of]
        for number, meeting in enumerate(meetings):
            by_place = (
                [(centre, None, loans)]
                if centre
                else [
                    (None, group, [ln for ln in loans if ln.group_id == group.pk])
                    for group in groups
                ]
            )
            for place_centre, place_group, members in by_place:
                lines = []
                for loan in members:
                    row = schedules[loan.pk][number]
                    paid, attendance = row.total, Attendance.PRESENT
                    if loan is late and number >= len(meetings) - 2:
                        paid, attendance = ZERO, Attendance.ABSENT
                    elif loan is absent and number == 2:
                        paid, attendance = ZERO, Attendance.LEAVE
                    elif loan is absent and number == 3:
                        # The missed installment, with the late charge the product adds to it.
                        late_charge = actions.charge_penalties(officer, loan, as_of=meeting)
                        paid += schedules[loan.pk][2].total + late_charge
                    elif rng.random() < 0.1:
                        attendance = Attendance.LATE
                    lines.append(
                        actions.SheetLine(
                            loan.beneficiary, attendance, loan=loan, paid=paid, due=row.total
                        )
                    )
                actions.post_collection_sheet(
                    officer,
                    meeting_date=meeting,
                    lines=lines,
                    centre=place_centre,
                    group=place_group,
                )

    # --- after the history ----------------------------------------------------------------------

    def _close_the_books(self, books: _Books) -> None:
        """Late charges on what is overdue, Murabaha profit fallen due released, and a note with
        a promise to pay on a few late loans."""
        accountant = books.staff("accountant")
        live = Loan.objects.filter(
            organization=books.book.organization, status=LoanStatus.ACTIVE
        ).select_related("product_version")
        overdue = set(
            overdue_installments(self.as_of)
            .filter(loan__organization=books.book.organization)
            .values_list("loan_id", flat=True)
        )
        notes = 0
        for loan in live:
            if loan.pk in overdue and loan.product_version.penalty_kind != PenaltyKind.NONE:
                actions.charge_penalties(accountant, loan, as_of=self.as_of)
            if loan.product_version.method == "murabaha":
                actions.recognise_due(accountant, loan, through=self.as_of)
            if loan.pk in overdue and notes < 3:
                note = actions.follow_up(
                    books.officers[loan.branch_id], loan, note=FOLLOW_UPS[notes]
                )
                # The promise was made in the demo's last week, for a day soon after it.
                at = timezone.make_aware(
                    datetime.datetime.combine(self.as_of - (3 - notes) * DAY, datetime.time(11))
                )
                FollowUp.objects.filter(pk=note.pk).update(
                    at=at, promised_on=self.as_of + (notes + 2) * DAY
                )
                notes += 1

    # --- one organisation -----------------------------------------------------------------------

    def lend(self, book: LendingBook, cohorts: Sequence[GroupCohort]) -> None:
        books = self.set_up(book)
        organization = book.organization
        in_cohorts = {p.pk for c in cohorts for p in c.members}
        consenting = Consent.objects.filter(withdrawn_on=None, programme_use=True).values(
            "beneficiary_id"
        )
        people = (
            Beneficiary.objects.filter(
                organization=organization, merged_into=None, pk__in=consenting
            )
            .exclude(pk__in=in_cohorts)
            .prefetch_related("target_groups")
        )
        by_id = {p.pk: p for p in people}
        became = dict(
            StatusChange.objects.filter(
                beneficiary_id__in=list(by_id), to_status=Status.BORROWER
            ).values_list("beneficiary_id", "changed_on")
        )
        planning = dict(
            StatusChange.objects.filter(
                beneficiary_id__in=list(by_id), to_status=Status.PLANNING
            ).values_list("beneficiary_id", "changed_on")
        )
        plans = sorted(
            (
                _Plan(by_id[pk], day, by_id[pk].status == Status.EXITED)
                for pk, day in became.items()
            ),
            key=lambda p: (p.disbursed_on, p.person.pk),
        )
        self._choose_behaviours(plans)
        for cohort in cohorts:
            if cohort.organization.pk == organization.pk:
                self._cohort(books, cohort)
        recovered = False
        for plan in plans:
            loan = self._lend(books, plan)
            if plan.behaviour == "written_off":
                self._write_off(books, loan, recovery=not recovered)
                recovered = True
            elif plan.behaviour == "rescheduled":
                self._reschedule(books, loan)
            elif plan.behaviour in ("closed_early", "overpaid"):
                self._close_early(books, loan, overpay=plan.behaviour == "overpaid")
            else:
                self._repay(books, loan, plan.behaviour)
        waiting = sorted(
            (
                (by_id[pk], day)
                for pk, day in planning.items()
                if by_id[pk].status == Status.PLANNING and day <= self.as_of - 10 * DAY
            ),
            key=lambda pair: (pair[1], pair[0].pk),
        )
        self._pending(books, waiting[-6:])
        self._close_the_books(books)

    def _choose_behaviours(self, plans: list[_Plan]) -> None:
        """Every state for the organisation first (written off, rescheduled, paid off early,
        overpaid), from the loans old enough for it; the rest repay as clients do."""
        rng = self.rng
        as_of = self.as_of

        def pick(behaviour: str, older_than: int, prefer_exited: bool = False) -> None:
            free = [
                p
                for p in plans
                if p.behaviour == "on_time" and (as_of - p.disbursed_on).days >= older_than
            ]
            exited = [p for p in free if p.exited]
            chosen = exited if prefer_exited and exited else free
            if chosen:
                rng.choice(chosen).behaviour = behaviour

        # Drawn before the special states, so that they do not change who pays how.
        for plan in plans:
            plan.behaviour = rng.choices(BEHAVIOURS, BEHAVIOUR_WEIGHTS)[0]
            if plan.exited:
                # Who left the programme either settled before leaving or stopped paying.
                settled = (as_of - plan.disbursed_on).days >= 90 and rng.random() < 0.5
                plan.behaviour = "closed_early" if settled else "stopped"
        # Written off: disbursed long enough ago for six months of arrears after two payments.
        pick("written_off", 330, prefer_exited=True)
        pick("rescheduled", 150)
        pick("rescheduled", 150)
        pick("closed_early", 120)
        pick("overpaid", 90)
        # Loans older than half a year were mostly repaid by the quarter: the demo keeps six
        # months of monthly repayments, and stays quick to load.
        for plan in plans:
            old = (as_of - plan.disbursed_on).days > 183
            if old and plan.behaviour in ("on_time", "late", "partial"):
                plan.behaviour = "seasonal"


def load_lending(
    rng: random.Random,
    books: Sequence[LendingBook],
    cohorts: Sequence[GroupCohort],
    *,
    as_of: datetime.date,
) -> LendingSummary:
    """Lending for every demo organisation, up to `as_of`, through the lending actions."""
    lender = _Lender(rng, as_of)
    for book in books:
        lender.lend(book, cohorts)
    organizations = [b.organization.pk for b in books]
    return LendingSummary(
        loans=Loan.objects.filter(organization_id__in=organizations).count(),
        repayments=Repayment.objects.filter(organization_id__in=organizations).count(),
        collection_sheets=CollectionSheet.objects.filter(organization_id__in=organizations).count(),
    )
