"""Accountability: every change kept with who, when, through which channel and old and new
values; consent withdrawal with its reason; merges that lose nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tandir.core.models import TargetGroup
from tandir.orgs.models import StaffUser
from tandir.registry import actions
from tandir.registry.models import AliasKind, Beneficiary, Consent
from tandir.registry.queries import registry_summary, search_beneficiaries
from tests.api.conftest import token_for
from tests.factories import PASSWORD, World, beneficiary_data, register


def client_for(user: StaffUser) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_an_api_patch_of_last_name_and_id_leaves_a_trace(world: World) -> None:
    person = register(world)
    token = token_for(world.intake_a)
    response = Client().patch(
        f"/api/v1/beneficiaries/{person.pk}",
        json.dumps({"last_name": "Petrosian", "national_id": "AM7777777"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200, response.content
    latest = person.changes.latest("history_date")
    assert latest.history_user_id == world.intake_a.pk
    assert latest.history_channel == "api"
    assert (latest.prev_record.last_name, latest.last_name) == ("Petrosyan", "Petrosian")
    assert (latest.prev_record.national_id, latest.national_id) == ("AM1234567", "AM7777777")
    page = client_for(world.manager_a).get(f"/beneficiaries/{person.pk}/")
    changes = page.context["changes"]
    fields = {(f.label, f.old, f.new) for c in changes for f in c.fields}
    assert ("last name", "Petrosyan", "Petrosian") in fields
    assert ("ID number", "AM1234567", "AM7777777") in fields
    assert any(c.channel == "API" and c.who == world.intake_a.username for c in changes)
    assert "Petrosian" in page.content.decode()


def test_a_web_edit_is_recorded_as_coming_through_the_pages(world: World) -> None:
    person = register(world)
    response = client_for(world.intake_a).post(
        f"/beneficiaries/{person.pk}/edit/", beneficiary_data(world, first_name="Ani")
    )
    assert response.status_code == 302
    latest = person.changes.latest("history_date")
    assert (latest.history_channel, latest.first_name) == ("web", "Ani")


def test_protected_group_changes_are_hidden_from_roles_that_may_not_see_them(
    world: World,
) -> None:
    protected = TargetGroup.objects.get(code="victim_of_trafficking")
    refugee = TargetGroup.objects.get(code="refugee")
    person = register(world, target_groups=[protected.pk, refugee.pk])
    seen_by_officer = client_for(world.loan_officer_a).get(f"/beneficiaries/{person.pk}/")
    groups_seen = {f.label for c in seen_by_officer.context["changes"] for f in c.fields}
    assert str(refugee) in groups_seen and str(protected) not in groups_seen
    seen_by_manager = client_for(world.manager_a).get(f"/beneficiaries/{person.pk}/")
    assert str(protected) in {f.label for c in seen_by_manager.context["changes"] for f in c.fields}


def test_withdrawing_consent_asks_why_and_for_confirmation(world: World) -> None:
    person = register(world)
    client = client_for(world.intake_a)
    page = client.get(f"/beneficiaries/{person.pk}/consent/withdraw/")
    assert page.status_code == 200
    unconfirmed = client.post(
        f"/beneficiaries/{person.pk}/consent/withdraw/", {"reason": "asked by phone"}
    )
    assert unconfirmed.status_code == 200 and "confirm" in unconfirmed.context["form"].errors
    assert Consent.objects.get(beneficiary=person).withdrawn_on is None
    done = client.post(
        f"/beneficiaries/{person.pk}/consent/withdraw/",
        {"reason": "asked by phone", "confirm": "on"},
    )
    assert done.status_code == 302
    consent = Consent.objects.get(beneficiary=person)
    assert consent.withdrawn_by == world.intake_a
    assert consent.withdrawal_reason == "asked by phone"
    assert consent.changes.latest("history_date").withdrawal_reason == "asked by phone"
    detail = client.get(f"/beneficiaries/{person.pk}/")
    assert "asked by phone" in detail.content.decode()


def test_a_new_consent_can_follow_a_withdrawal(world: World) -> None:
    person = register(world)
    actions.withdraw_consent(world.intake_a, person, reason="asked")
    response = client_for(world.intake_a).post(
        f"/beneficiaries/{person.pk}/consent/new/",
        {"programme_use": "on", "follow_up_surveys": "on"},
    )
    assert response.status_code == 302
    in_force = Consent.objects.get(beneficiary=person, withdrawn_on=None)
    assert in_force.follow_up_surveys and not in_force.network_sharing
    assert Consent.objects.filter(beneficiary=person).count() == 2


def test_withdrawing_without_a_reason_changes_nothing(world: World) -> None:
    person = register(world)
    with pytest.raises(actions.TandirError):
        actions.withdraw_consent(world.intake_a, person, reason="  ")
    assert Consent.objects.get(beneficiary=person).withdrawn_on is None


@pytest.fixture
def pair(world: World) -> tuple[Beneficiary, Beneficiary]:
    kept = register(world)
    duplicate = register(
        world,
        first_name="Anait",
        last_name="Petrosian",
        phone="+374 99 000111",
        national_id="AM9999999",
    )
    return kept, duplicate


def test_merging_shows_the_two_records_side_by_side(
    world: World, pair: tuple[Beneficiary, Beneficiary]
) -> None:
    kept, duplicate = pair
    page = client_for(world.manager_a).get(
        f"/beneficiaries/{duplicate.pk}/merge/", {"kept": kept.pk}
    )
    assert page.status_code == 200
    rows = {row["label"]: row for row in page.context["rows"]}
    assert rows["Last name"]["kept"] == "Petrosyan"
    assert rows["Last name"]["duplicate"] == "Petrosian"
    assert rows["Last name"]["differs"] and not rows["Sex"]["differs"]


def test_merging_keeps_the_other_spelling_and_phone_and_one_consent(
    world: World, pair: tuple[Beneficiary, Beneficiary]
) -> None:
    kept, duplicate = pair
    response = client_for(world.manager_a).post(
        f"/beneficiaries/{duplicate.pk}/merge/", {"kept": kept.pk}
    )
    assert response.status_code == 302
    aliases = {(a.kind, a.value) for a in kept.aliases.all()}
    assert (AliasKind.NAME, "Anait Petrosian") in aliases
    assert (AliasKind.PHONE, "+37499000111") in aliases
    assert (AliasKind.ID_NUMBER, "AM9999999") in aliases
    assert Consent.objects.filter(beneficiary=kept, withdrawn_on=None).count() == 1
    assert registry_summary(world.manager_a).consent_withdrawn == 0
    found = search_beneficiaries(world.manager_a, text="Anait Petrosian")
    assert list(found) == [kept]
    assert list(search_beneficiaries(world.manager_a, text="99000111")) == [kept]


def test_a_merged_phone_still_belongs_to_the_kept_person(
    world: World, pair: tuple[Beneficiary, Beneficiary]
) -> None:
    kept, duplicate = pair
    actions.merge_beneficiaries(world.manager_a, kept, duplicate)
    from tandir.registry.duplicates import DuplicateRefused
    from tandir.registry.forms import BeneficiaryForm

    form = BeneficiaryForm(
        beneficiary_data(
            world, phone="+374 99 000111", national_id="", first_name="Someone", last_name="Else"
        ),
        user=world.intake_a,
    )
    assert form.is_valid(), form.errors
    with pytest.raises(DuplicateRefused):
        actions.register_beneficiary(world.intake_a, form.cleaned_data)


def test_the_person_page_costs_the_same_queries_however_many_changes(
    world: World, django_assert_max_num_queries: Any
) -> None:
    person = register(world)
    client = client_for(world.manager_a)
    client.get(f"/beneficiaries/{person.pk}/")  # warm caches (sessions, content types)

    def queries_of_page() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/beneficiaries/{person.pk}/")
        assert response.status_code == 200
        return len(captured)

    few = queries_of_page()
    for n in range(8):
        form_data = beneficiary_data(world, first_name=f"Anahit{n}", household_members=4 + n)
        assert client.post(f"/beneficiaries/{person.pk}/edit/", form_data).status_code == 302
    many = queries_of_page()
    assert len(person.changes.all()) > 8
    assert many == few
    with django_assert_max_num_queries(30):
        assert client.get(f"/beneficiaries/{person.pk}/").status_code == 200


def test_an_import_leaves_history_as_the_import_channel_with_its_groups(
    world: World, tmp_path: Any
) -> None:
    from django.core.management import call_command

    path = tmp_path / "people.csv"
    path.write_text(
        "first_name,last_name,sex,date_of_birth,phone,branch,district,household_members,"
        "household_head_sex,target_groups\n"
        "Lusine,Grigoryan,female,1991-02-03,091 000111,A,Gyumri,3,female,refugee\n",
        encoding="utf-8",
    )
    call_command("import_beneficiaries", str(path), "--as", world.intake_a.username)
    person = Beneficiary.objects.get(last_name="Grigoryan")
    created = person.changes.get()
    assert (created.history_type, created.history_channel) == ("+", "import")
    assert created.history_user_id == world.intake_a.pk
    assert Consent.changes.filter(beneficiary_id=person.pk).exists()
    page = client_for(world.intake_a).get(f"/beneficiaries/{person.pk}/")
    groups = [c for c in page.context["changes"] if c.what == "Target groups"]
    assert [f.label for c in groups for f in c.fields] == ["Refugee"]
    assert {c.channel for c in page.context["changes"]} == {"import"}


def test_an_import_refuses_a_phone_kept_as_an_alias_after_a_merge(
    world: World, pair: tuple[Beneficiary, Beneficiary], tmp_path: Any
) -> None:
    from tandir.registry.imports import import_beneficiaries

    kept, duplicate = pair
    actions.merge_beneficiaries(world.manager_a, kept, duplicate)
    path = tmp_path / "people.csv"
    path.write_text(
        "first_name,last_name,sex,date_of_birth,phone,branch,district,household_members,"
        "household_head_sex\n"
        "Someone,Else,female,1991-02-03,+374 99 000111,A,Gyumri,3,female\n",
        encoding="utf-8",
    )
    result = import_beneficiaries(world.intake_a, path)
    assert [(e.line, e.column) for e in result.errors] == [(2, "phone")]
    assert not Beneficiary.objects.filter(last_name="Else").exists()
