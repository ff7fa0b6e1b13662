"""The demo programme: what `tandir demo` loads, that it loads the same every time, and the
`demo` and `createadmin` commands.

The demo is loaded once for the module (people and loans: about 45 seconds of one core) inside
a transaction rolled back at the end; each test runs in its own savepoint within it. A second
load, by `tandir demo` into a fresh SQLite database, runs meanwhile in another process and must
give the same people and the same loans.
"""

from __future__ import annotations

import datetime
import io
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from tandir.demo.loader import (
    ARMENIAN_PROGRAMME_NAME,
    AZERBAIJANI_MFI_NAME,
    DEMO_PASSWORD,
    HISTORY_ENDS,
    NETWORK_NAME,
    PAKISTANI_LENDER_NAME,
    DemoAlreadyLoaded,
    DemoSummary,
    demo_logins,
    load_demo,
)
from tandir.ledger.charts import Role as AccountRole
from tandir.ledger.models import Account
from tandir.ledger.queries import balance, unbalanced_entries
from tandir.lending.actions import fund_balance
from tandir.lending.models import (
    ApprovalLimit,
    BankBranch,
    Centre,
    CollectionSheet,
    Disbursement,
    FundingSource,
    Loan,
    LoanProduct,
    LoanStatus,
    ProductVersion,
    Repayment,
    RepaymentSource,
    SolidarityGroup,
)
from tandir.lending.queries import ledger_mismatches, overdue_installments
from tandir.orgs.models import (
    Branch,
    Organization,
    OrganizationKind,
    Project,
    Role,
    StaffUser,
)
from tandir.registry.models import Beneficiary, Consent, Enrolment, Status, StatusChange

CENT = Decimal("0.01")
ARMENIAN_LETTER = re.compile(r"[\u0531-\u0587]")
CYRILLIC_LETTER = re.compile(r"[\u0400-\u04ff]")
AZERBAIJANI_LETTER = re.compile(r"[əƏşŞçÇğĞıİöÖüÜ]")
URDU_LETTER = re.compile(r"[\u0600-\u06ff]")
LENDERS = (ARMENIAN_PROGRAMME_NAME, AZERBAIJANI_MFI_NAME, PAKISTANI_LENDER_NAME)


@dataclass
class FreshLoad:
    """`tandir demo` run in a fresh SQLite database, in a separate process."""

    process: subprocess.Popen[str]
    home: Path


@pytest.fixture(scope="module")
def fresh_load(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreshLoad]:
    # Started before this module loads its own copy, so the two loads run side by side.
    home = tmp_path_factory.mktemp("fresh-demo")
    env = {k: v for k, v in os.environ.items() if k != "TANDIR_DATABASE_URL"}
    env["TANDIR_HOME"] = str(home)
    process = subprocess.Popen(
        [sys.executable, "-m", "tandir.cli", "demo"],
        env=env,
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield FreshLoad(process, home)
    if process.poll() is None:
        process.kill()
        process.communicate()


@pytest.fixture(scope="module")
def demo(fresh_load: FreshLoad, django_db_setup: None, django_db_blocker) -> Iterator[DemoSummary]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_demo()
        transaction.set_rollback(True)


def people(name: str) -> list[Beneficiary]:
    return list(
        Beneficiary.objects.filter(organization__name=name)
        .prefetch_related("target_groups")
        .order_by("id")
    )


def share(persons: Sequence[Any], test: Callable[[Any], Any]) -> float:
    return sum(1 for p in persons if test(p)) / len(persons)


def in_group(code: str):
    return lambda p: any(g.code == code for g in p.target_groups.all())


def test_the_demo_has_a_network_of_two_member_organisations_with_branches_and_projects(demo, db):
    network = Organization.objects.get(name=NETWORK_NAME, kind=OrganizationKind.NETWORK)
    members = network.members.order_by("name")
    assert [(m.name, m.kind, m.currency) for m in members] == [
        (ARMENIAN_PROGRAMME_NAME, OrganizationKind.AGENCY, "AMD"),
        (AZERBAIJANI_MFI_NAME, OrganizationKind.MFI, "AZN"),
    ]
    branches = {
        org.name: list(Branch.objects.filter(organization=org).values_list("name", flat=True))
        for org in members
    }
    assert branches == {
        ARMENIAN_PROGRAMME_NAME: ["Gyumri", "Vanadzor", "Yerevan"],
        AZERBAIJANI_MFI_NAME: ["Ganja", "Lankaran", "Shaki", "Yevlakh"],
    }
    gyumri = Branch.objects.get(name="Gyumri")
    assert {"Gyumri", "Artik", "Akhuryan", "Maralik"} <= {d.name for d in gyumri.districts.all()}
    project = Project.objects.get(organization=members[0])
    assert sorted(d.kind for d in project.donors.all()) == ["donor", "donor"]
    assert project.budget_currency == "USD"
    assert {"refugee", "returnee", "idp"} <= {g.code for g in project.target_groups.all()}
    azerbaijani_regions = set(
        Branch.objects.filter(organization=members[1]).values_list(
            "districts__region__name", flat=True
        )
    )
    assert len(azerbaijani_regions) >= 4
    assert demo.organizations == Organization.objects.count()


def test_every_role_has_an_account_in_each_member_organisation_and_the_network(demo, db, settings):
    member_roles = {r for r in Role.values if r != Role.NETWORK_ANALYST}
    for name in LENDERS:
        roles = set(
            StaffUser.objects.filter(organization__name=name).values_list("role", flat=True)
        )
        assert roles == member_roles, name
        admin = StaffUser.objects.get(organization__name=name, role=Role.ADMINISTRATOR)
        assert (admin.is_staff, admin.is_superuser) == (True, False)
    analyst = StaffUser.objects.get(username="network.analyst")
    assert analyst.organization is not None
    assert (analyst.role, analyst.organization.name) == (Role.NETWORK_ANALYST, NETWORK_NAME)
    assert StaffUser.objects.get(username="am.loan.gyumri").branches.get().name == "Gyumri"
    # One shared password, hashed once; checked on one account with the hasher that made it.
    assert StaffUser.objects.values("password").distinct().count() == 1
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    assert analyst.check_password(DEMO_PASSWORD)
    assert demo.logins == demo_logins()
    assert len(demo.logins) == demo.staff == StaffUser.objects.count() == 43


def test_560_participants_are_registered_300_armenian_200_azerbaijani_and_60_pakistani(demo, db):
    assert demo.beneficiaries == 560
    assert len(people(ARMENIAN_PROGRAMME_NAME)) == 300
    assert len(people(AZERBAIJANI_MFI_NAME)) == 200
    pakistani = people(PAKISTANI_LENDER_NAME)
    assert len(pakistani) == 60
    assert 0.7 <= share(pakistani, lambda p: p.sex == "female") <= 0.9
    assert 0.45 <= share(pakistani, lambda p: URDU_LETTER.search(p.full_name)) <= 0.75
    registered = Beneficiary.objects.values_list("registered_on", flat=True)
    assert min(registered) >= datetime.date(2025, 1, 1)
    assert max(registered) <= HISTORY_ENDS


def test_target_groups_come_in_plausible_shares(demo, db):
    armenian = people(ARMENIAN_PROGRAMME_NAME)
    assert 0.28 <= share(armenian, in_group("refugee")) <= 0.42
    assert 0.03 <= share(armenian, in_group("returnee")) <= 0.12
    assert 0.03 <= share(armenian, in_group("idp")) <= 0.12
    assert 0.18 <= share(armenian, in_group("woman_headed_household")) <= 0.33
    assert 0.15 <= share(armenian, in_group("low_income")) <= 0.45
    assert 0.02 <= share(armenian, in_group("disability")) <= 0.08
    assert 0.18 <= share(armenian, lambda p: p.age_on(HISTORY_ENDS) <= 29) <= 0.38

    azerbaijani = people(AZERBAIJANI_MFI_NAME)
    assert 0.52 <= share(azerbaijani, lambda p: p.sex == "female") <= 0.68
    assert 0.20 <= share(azerbaijani, lambda p: p.age_on(HISTORY_ENDS) <= 29) <= 0.38
    assert 0.14 <= share(azerbaijani, in_group("idp")) <= 0.28
    assert all(18 <= p.age_on(p.registered_on) <= 65 for p in armenian + azerbaijani)


def test_a_few_victims_of_trafficking_are_registered_in_the_protected_group(demo, db):
    survivors = Beneficiary.objects.filter(target_groups__code="victim_of_trafficking")
    assert survivors.count() == 3
    assert all(s.target_groups.get(code="victim_of_trafficking").is_protected for s in survivors)


def test_names_are_written_in_local_scripts_latin_and_cyrillic(demo, db):
    armenian = [p.full_name for p in people(ARMENIAN_PROGRAMME_NAME)]
    assert share(armenian, ARMENIAN_LETTER.search) >= 0.6
    assert 0.05 <= share(armenian, CYRILLIC_LETTER.search) <= 0.2
    assert share(armenian, lambda n: n.isascii()) >= 0.1
    azerbaijani = [p.full_name for p in people(AZERBAIJANI_MFI_NAME)]
    assert share(azerbaijani, AZERBAIJANI_LETTER.search) >= 0.5
    assert 0.05 <= share(azerbaijani, CYRILLIC_LETTER.search) <= 0.25
    assert any("qızı" in n for n in azerbaijani) and any("oğlu" in n for n in azerbaijani)
    cyrillic_armenian = [n for n in armenian if CYRILLIC_LETTER.search(n)]
    assert all(re.search(r"(ович|овна|евич|евна) ", n) for n in cyrillic_armenian)


def test_phones_are_unique_and_in_local_formats_and_refugees_often_lack_an_id(demo, db):
    phones = [p for p in Beneficiary.objects.values_list("phone", flat=True) if p]
    assert len(phones) == len(set(phones)) >= 480
    for person in people(ARMENIAN_PROGRAMME_NAME):
        assert person.phone == "" or re.fullmatch(r"\+374(9[1-9]|77|55)\d{6}", person.phone)
    for person in people(AZERBAIJANI_MFI_NAME):
        assert re.fullmatch(r"\+994(50|51|55|70|77|99|10)\d{7}", person.phone)
    for person in people(PAKISTANI_LENDER_NAME):
        assert re.fullmatch(r"\+923\d{9}", person.phone)
    armenian = people(ARMENIAN_PROGRAMME_NAME)
    refugees = [p for p in armenian if in_group("refugee")(p)]
    others = [p for p in armenian if not in_group("refugee")(p)]
    assert share(refugees, lambda p: p.national_id is None) > 0.4
    assert share(others, lambda p: p.national_id is None) < 0.15


def test_participants_move_along_the_pipeline_with_a_dated_history(demo, db):
    statuses = set(Beneficiary.objects.values_list("status", flat=True))
    assert statuses == set(Status.values) - {Status.INTERESTED}
    assert demo.status_changes == StatusChange.objects.exclude(from_status="").count() > 500
    for person in Beneficiary.objects.filter(status=Status.BORROWER).prefetch_related("history")[
        :20
    ]:
        history = list(person.history.all())
        assert [h.to_status for h in history] == [
            "registered",
            "in_training",
            "trained",
            "planning",
            "borrower",
        ]
        days = [h.changed_on for h in history]
        assert days == sorted(days) and days[0] == person.registered_on
        assert days[-1] <= HISTORY_ENDS
    assert Enrolment.objects.count() > 400
    assert Consent.objects.filter(follow_up_surveys=True).count() > 250
    assert Consent.objects.filter(network_sharing=True).exists()
    assert Consent.objects.exclude(withdrawn_on=None).exists()
    heard = set(Beneficiary.objects.values_list("heard_via", flat=True))
    assert {"media", "event", "referral"} <= heard


def test_loading_the_demo_twice_is_refused(demo, db):
    with pytest.raises(DemoAlreadyLoaded):
        load_demo()
    assert Beneficiary.objects.count() == 560


def test_the_demo_command_on_a_loaded_database_creates_nothing_and_prints_the_logins(demo, db):
    models = (Organization, StaffUser, Beneficiary, StatusChange, Loan, Repayment)
    before = [m.objects.count() for m in models]
    out = io.StringIO()
    call_command("demo", stdout=out, stderr=io.StringIO())
    assert [m.objects.count() for m in models] == before
    text = out.getvalue()
    assert "not loaded again" in text
    assert f"Password for every account: {DEMO_PASSWORD}" in text
    assert re.search(r"am\.loan\.gyumri +Loan officer +Gyumri", text)
    assert re.search(r"network\.analyst +Network analyst", text)
    assert re.search(r"pk\.committee +Credit committee member +all branches", text)
    assert re.search(r"az\.accountant +Accountant +all branches", text)
    assert "http://127.0.0.1:8000/" in text


def test_two_loads_into_fresh_databases_give_the_same_people(demo, db, fresh_load):
    """`tandir demo` in a fresh SQLite database loads exactly what this module loaded."""
    stdout, stderr = fresh_load.process.communicate(timeout=300)
    assert fresh_load.process.returncode == 0, stderr
    assert "560 participants" in stdout
    assert f"Lending up to {HISTORY_ENDS.isoformat()}: {demo.lending.loans} loans" in stdout
    assert "am.intake.vanadzor" in stdout
    assert "pk.accountant" in stdout

    columns = "first_name, patronymic, last_name, sex, date_of_birth, phone, national_id, status"
    with sqlite3.connect(fresh_load.home / "var" / "tandir.sqlite3") as fresh:
        theirs = fresh.execute(
            f"SELECT {columns}, registered_on FROM registry_beneficiary ORDER BY id"
        ).fetchall()
        their_changes = fresh.execute("SELECT COUNT(*) FROM registry_statuschange").fetchone()[0]
        their_loans = fresh.execute(
            "SELECT reference, status, amount, disbursed_on, principal_outstanding"
            " FROM lending_loan ORDER BY id"
        ).fetchall()
        their_repayments = fresh.execute(
            "SELECT value_date, amount FROM lending_repayment ORDER BY id"
        ).fetchall()
    ours = [
        (*row[:4], row[4].isoformat(), *row[5:8], row[8].isoformat())
        for row in Beneficiary.objects.order_by("id").values_list(
            *columns.split(", "), "registered_on"
        )
    ]
    assert theirs == ours
    assert their_changes == StatusChange.objects.count()

    # SQLite hands decimals back as numbers: compared as decimals of the currency's unit. A
    # reference's number comes from the loan's id, which PostgreSQL's sequences do not give
    # back when the tests before this one roll back: only its branch part is compared.
    def branch(reference: str) -> str:
        return reference.rsplit("-", 1)[0]

    assert [
        (
            branch(ref),
            status,
            Decimal(str(amount)).quantize(CENT),
            day,
            Decimal(str(left)).quantize(CENT),
        )
        for ref, status, amount, day, left in their_loans
    ] == [
        (branch(ref), status, amount.quantize(CENT), day and day.isoformat(), left.quantize(CENT))
        for ref, status, amount, day, left in Loan.objects.order_by("id").values_list(
            "reference", "status", "amount", "disbursed_on", "principal_outstanding"
        )
    ]
    assert [(day, Decimal(str(amount)).quantize(CENT)) for day, amount in their_repayments] == [
        (day.isoformat(), amount.quantize(CENT))
        for day, amount in Repayment.objects.order_by("id").values_list("value_date", "amount")
    ]


def test_createadmin_creates_an_administrator_and_their_organisation(db):
    out = io.StringIO()
    call_command(
        "createadmin",
        username="lusine",
        organization="Shirak Microcredit",
        password="a-long-password",
        stdout=out,
    )
    user = StaffUser.objects.get(username="lusine")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.ADMINISTRATOR, True, False)
    assert user.check_password("a-long-password")
    assert user.organization is not None
    assert (user.organization.name, user.organization.kind) == ("Shirak Microcredit", "mfi")
    assert "Created the administrator" in out.getvalue()


def test_createadmin_joins_an_existing_organisation_and_refuses_a_taken_username(demo, db):
    call_command(
        "createadmin",
        username="kur.second.admin",
        organization=AZERBAIJANI_MFI_NAME,
        password="a-long-password",
        stdout=io.StringIO(),
    )
    assert Organization.objects.filter(name=AZERBAIJANI_MFI_NAME).count() == 1
    second = StaffUser.objects.get(username="kur.second.admin").organization
    assert second is not None
    assert second.name == (AZERBAIJANI_MFI_NAME)
    with pytest.raises(CommandError, match="already exists"):
        call_command(
            "createadmin", username="am.admin", organization="X", password="a-long-password"
        )


def test_createadmin_without_a_terminal_says_what_is_missing_and_creates_nothing(db, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO())
    with pytest.raises(CommandError, match="--username"):
        call_command("createadmin")
    with pytest.raises(CommandError, match="at least 8 characters"):
        call_command("createadmin", username="short", organization="X", password="short")
    assert not StaffUser.objects.filter(username="short").exists()
    assert not Organization.objects.filter(name="X").exists()


def test_the_demo_has_repeat_registrations_for_a_manager_to_merge(demo, db):
    flagged = Beneficiary.objects.filter(possible_duplicate_of__isnull=False)
    assert demo.possible_duplicates == flagged.count()
    assert flagged.filter(organization__name=ARMENIAN_PROGRAMME_NAME).count() == 4
    for repeat in flagged.select_related("possible_duplicate_of"):
        original = repeat.possible_duplicate_of
        assert original is not None
        assert repeat.district_id == original.district_id
        assert repeat.name_latin.split()[-1] == original.name_latin.split()[-1]


# --- Lending ------------------------------------------------------------------------------------


def loans_of(name: str):
    return Loan.objects.filter(organization__name=name)


@pytest.mark.parametrize("name", LENDERS)
def test_each_lender_has_loans_in_every_state(demo, db, name):
    loans = loans_of(name)
    assert set(loans.values_list("status", flat=True)) == set(LoanStatus.values)
    live = loans.filter(status=LoanStatus.ACTIVE)
    late = set(
        overdue_installments(HISTORY_ENDS)
        .filter(loan__organization__name=name, due_date__lt=HISTORY_ENDS - datetime.timedelta(30))
        .values_list("loan_id", flat=True)
    )
    on_time = live.exclude(pk__in=late)
    # Realistic arrears: most active loans are paid up, a few are more than 30 days late.
    assert late and len(late) / live.count() <= 0.3, (len(late), live.count())
    assert on_time.count() > len(late)
    assert live.filter(renegotiated=True).exists()
    assert loans.filter(status=LoanStatus.WRITTEN_OFF, written_off_principal__gt=0).exists()
    assert loans.filter(status=LoanStatus.OVERPAID, credit_held__gt=0).exists()


@pytest.mark.parametrize("name", LENDERS)
def test_the_ledger_balances_and_agrees_with_each_lenders_loans(demo, db, name):
    assert unbalanced_entries() == []
    organization = Organization.objects.get(name=name)
    assert ledger_mismatches(organization.pk) == []


def test_loans_are_disbursed_in_the_months_before_the_demos_last_day_and_repaid_up_to_it(demo, db):
    disbursed = [
        day
        for day in Loan.objects.values_list("disbursed_on", flat=True)
        if day is not None  # applications not (yet) disbursed
    ]
    assert min(disbursed) >= datetime.date(2025, 3, 1)
    assert max(disbursed) <= HISTORY_ENDS
    days = list(Repayment.objects.values_list("value_date", flat=True))
    assert max(days) <= HISTORY_ENDS
    # Monthly repayments through the last months of the history, every month.
    months = {(d.year, d.month) for d in days if d >= datetime.date(2026, 5, 1)}
    assert months == {(2026, m) for m in range(5, 11)}
    assert demo.lending.loans == Loan.objects.count() >= 150
    assert demo.lending.repayments == Repayment.objects.count() >= 400
    # Clients of the Armenian programme repay at the partner bank, a bank statement line each;
    # those who settled a loan early did so at the office.
    armenian = Repayment.objects.filter(organization__name=ARMENIAN_PROGRAMME_NAME)
    at_bank = armenian.filter(source=RepaymentSource.BANK_FILE)
    assert at_bank.count() >= 0.9 * armenian.count()
    assert not at_bank.filter(bank_reference="").exists()


@pytest.mark.parametrize(
    ("name", "bank", "currency", "methods"),
    [
        (ARMENIAN_PROGRAMME_NAME, "Sevan Partner Bank", "AMD", {"declining"}),
        (AZERBAIJANI_MFI_NAME, "Caspian Partner Bank", "AZN", {"flat", "declining"}),
        (PAKISTANI_LENDER_NAME, "Indus Partner Bank", "PKR", {"qard-hasan", "murabaha"}),
    ],
)
def test_each_lender_has_products_funds_bank_branches_and_approval_limits(
    demo, db, name, bank, currency, methods
):
    organization = Organization.objects.get(name=name)
    versions = ProductVersion.objects.filter(organization=organization)
    assert set(versions.values_list("method", flat=True)) == methods
    assert set(versions.values_list("currency", flat=True)) == {currency}
    branches = BankBranch.objects.filter(organization=organization)
    assert set(branches.values_list("bank__name", flat=True)) == {bank}
    assert branches.count() == Branch.objects.filter(organization=organization).count()
    assert set(Disbursement.objects.filter(organization=organization).values_list(
        "bank__name", flat=True
    )) == {bank}  # fmt: skip
    funds = list(FundingSource.objects.filter(organization=organization))
    assert len(funds) == 2 and all(fund_balance(f) > 0 for f in funds)
    limits = dict(
        ApprovalLimit.objects.filter(organization=organization).values_list("role", "max_amount")
    )
    assert limits[Role.BRANCH_MANAGER] < limits[Role.CREDIT_COMMITTEE]
    assert not loans_of(name).filter(amount__gt=limits[Role.CREDIT_COMMITTEE]).exists()


def test_a_revised_product_keeps_each_loan_on_the_terms_it_was_approved_under(demo, db):
    product = LoanProduct.objects.get(organization__name=ARMENIAN_PROGRAMME_NAME, code="start-up")
    first, second = product.versions.order_by("number")
    assert (first.rate_max, second.rate_max) == (Decimal(14), Decimal(12))
    early = Loan.objects.filter(product_version=first)
    assert early.exists() and Loan.objects.filter(product_version=second).exists()
    assert all(loan.submitted_on < datetime.date(2026, 1, 1) for loan in early)


def test_the_pakistani_lender_is_islamic_with_no_interest_anywhere(demo, db):
    roshni = Organization.objects.get(name=PAKISTANI_LENDER_NAME)
    assert not roshni.networks.exists()
    roles = set(Account.objects.filter(organization=roshni).values_list("role", flat=True))
    interest = {
        AccountRole.LOAN_PORTFOLIO,
        AccountRole.INTEREST_RECEIVABLE,
        AccountRole.INTEREST_INCOME,
        AccountRole.PENALTY_INCOME,
    }
    assert not roles & interest
    assert {AccountRole.QARD_RECEIVABLE, AccountRole.MURABAHA_RECEIVABLE} <= roles
    assert {v.is_islamic for v in ProductVersion.objects.filter(organization=roshni)} == {True}
    assert all(
        loan.rate == 0 for loan in loans_of(PAKISTANI_LENDER_NAME).filter(
            product_version__method="qard-hasan"
        )
    )  # fmt: skip
    # Murabaha profit is earned as installments fall due; late charges go to charity.
    assert balance(roshni.pk, AccountRole.PROFIT_INCOME, "PKR") > 0
    assert balance(roshni.pk, AccountRole.CHARITY_PAYABLE, "PKR") > 0
    assert balance(roshni.pk, AccountRole.COMPENSATION_INCOME, "PKR") == 0


def test_solidarity_groups_repay_at_their_meetings_on_a_collection_sheet(demo, db):
    centre = Centre.objects.get(organization__name=PAKISTANI_LENDER_NAME)
    groups = SolidarityGroup.objects.filter(centre=centre)
    assert sorted(groups.values_list("name", flat=True)) == ["Noor", "Sitara"]
    sheets = CollectionSheet.objects.filter(centre=centre).order_by("meeting_date")
    assert sheets.count() >= 5
    members = {m.beneficiary_id for g in groups for m in g.members.all()}
    assert {line.beneficiary_id for line in sheets[0].lines.all()} == members
    assert all(line.repayment_id for line in sheets[0].lines.all())
    assert Loan.objects.filter(group__in=groups).count() == len(members) == 9
    # A member stopped paying at the last meetings: the group's next loans wait for her.
    from tandir.lending.queries import group_on_hold

    assert any(group_on_hold(g.pk, HISTORY_ENDS) for g in groups)
    alone = SolidarityGroup.objects.get(organization__name=AZERBAIJANI_MFI_NAME)
    assert alone.centre is None
    assert CollectionSheet.objects.filter(group=alone).count() >= 4
    assert Repayment.objects.filter(source=RepaymentSource.COLLECTION_SHEET).count() >= 60
    for person in Beneficiary.objects.filter(pk__in=members):
        assert person.status == Status.BORROWER


@pytest.mark.parametrize("username", [
    "am.committee", "am.accountant", "az.committee", "az.accountant", "pk.committee",
    "pk.accountant",
])  # fmt: skip
def test_the_credit_committee_and_the_accountant_of_each_lender_can_log_in(
    demo, db, settings, client, username
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user = StaffUser.objects.get(username=username)
    expected = Role.CREDIT_COMMITTEE if username.endswith("committee") else Role.ACCOUNTANT
    assert user.role == expected
    assert client.login(username=username, password=DEMO_PASSWORD)
    assert client.get("/").status_code == 200
