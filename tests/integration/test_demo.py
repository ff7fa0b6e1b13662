"""The demo programme: what `tandir demo` loads, that it loads the same every time, and the
`demo` and `createadmin` commands.

The demo is loaded once for the module (about six seconds) inside a transaction rolled back at
the end; each test runs in its own savepoint within it. A second load, by `tandir demo` into a
fresh SQLite database, runs meanwhile in another process and must give the same people.
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
    DemoAlreadyLoaded,
    DemoSummary,
    demo_logins,
    load_demo,
)
from tandir.orgs.models import (
    Branch,
    Organization,
    OrganizationKind,
    Project,
    Role,
    StaffUser,
)
from tandir.registry.models import Beneficiary, Consent, Enrolment, Status, StatusChange

ARMENIAN_LETTER = re.compile(r"[\u0531-\u0587]")
CYRILLIC_LETTER = re.compile(r"[\u0400-\u04ff]")
AZERBAIJANI_LETTER = re.compile(r"[əƏşŞçÇğĞıİöÖüÜ]")


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
    for name in (ARMENIAN_PROGRAMME_NAME, AZERBAIJANI_MFI_NAME):
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
    assert len(demo.logins) == demo.staff == StaffUser.objects.count() == 31


def test_about_500_participants_are_registered_300_armenian_and_200_azerbaijani(demo, db):
    assert demo.beneficiaries == 500
    assert len(people(ARMENIAN_PROGRAMME_NAME)) == 300
    assert len(people(AZERBAIJANI_MFI_NAME)) == 200
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
    assert Beneficiary.objects.count() == 500


def test_the_demo_command_on_a_loaded_database_creates_nothing_and_prints_the_logins(demo, db):
    before = [m.objects.count() for m in (Organization, StaffUser, Beneficiary, StatusChange)]
    out = io.StringIO()
    call_command("demo", stdout=out, stderr=io.StringIO())
    assert [m.objects.count() for m in (Organization, StaffUser, Beneficiary, StatusChange)] == (
        before
    )
    text = out.getvalue()
    assert "not loaded again" in text
    assert f"Password for every account: {DEMO_PASSWORD}" in text
    assert re.search(r"am\.loan\.gyumri +Loan officer +Gyumri", text)
    assert re.search(r"network\.analyst +Network analyst", text)
    assert "http://127.0.0.1:8000/" in text


def test_two_loads_into_fresh_databases_give_the_same_people(demo, db, fresh_load):
    """`tandir demo` in a fresh SQLite database loads exactly what this module loaded."""
    stdout, stderr = fresh_load.process.communicate(timeout=300)
    assert fresh_load.process.returncode == 0, stderr
    assert "500 participants" in stdout
    assert "am.intake.vanadzor" in stdout

    columns = "first_name, patronymic, last_name, sex, date_of_birth, phone, national_id, status"
    with sqlite3.connect(fresh_load.home / "var" / "tandir.sqlite3") as fresh:
        theirs = fresh.execute(
            f"SELECT {columns}, registered_on FROM registry_beneficiary ORDER BY id"
        ).fetchall()
        their_changes = fresh.execute("SELECT COUNT(*) FROM registry_statuschange").fetchone()[0]
    ours = [
        (*row[:4], row[4].isoformat(), *row[5:8], row[8].isoformat())
        for row in Beneficiary.objects.order_by("id").values_list(
            *columns.split(", "), "registered_on"
        )
    ]
    assert theirs == ours
    assert their_changes == StatusChange.objects.count()


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
    assert demo.possible_duplicates == flagged.count() == 4
    for repeat in flagged.select_related("possible_duplicate_of"):
        original = repeat.possible_duplicate_of
        assert original is not None
        assert repeat.district_id == original.district_id
        assert repeat.name_latin.split()[-1] == original.name_latin.split()[-1]
