"""Phones and ID numbers through the form, the database and the migration that normalises them."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.test import Client

from tandir.registry import actions
from tandir.registry.duplicates import DuplicateRefused
from tandir.registry.forms import BeneficiaryForm
from tandir.registry.models import Beneficiary
from tests.factories import PASSWORD, World, beneficiary_data, register

normalising = importlib.import_module("tandir.registry.migrations.0007_normalise_phones_and_ids")


def test_the_form_stores_phones_in_e164_with_the_branch_country(world: World) -> None:
    person = register(world, phone="091 123456")
    assert person.phone == "+37491123456"


@pytest.mark.parametrize("phone", ["abcdefg", "+374 91 12ab34 56"])
def test_a_phone_that_is_not_a_phone_is_a_field_error(world: World, phone: str) -> None:
    form = BeneficiaryForm(beneficiary_data(world, phone=phone), user=world.intake_a)
    assert not form.is_valid()
    assert "phone" in form.errors


def test_the_same_phone_written_another_way_is_refused_as_held(world: World) -> None:
    register(world, phone="+374 91 123456", national_id="")
    form = BeneficiaryForm(
        beneficiary_data(
            world, phone="٠٩١١٢٣٤٥٦", national_id="", first_name="Gohar", last_name="Sargsyan"
        ),
        user=world.intake_a,
    )
    assert form.is_valid(), form.errors
    with pytest.raises(DuplicateRefused) as refused:
        actions.register_beneficiary(world.intake_a, form.cleaned_data)
    assert refused.value.field == "phone"


def test_an_id_number_typed_with_spaces_and_dashes_is_the_same_number(world: World) -> None:
    register(world, national_id="AM1234567")
    form = BeneficiaryForm(
        beneficiary_data(
            world, national_id="am 123-4567", phone="", first_name="Gohar", last_name="Sargsyan"
        ),
        user=world.intake_a,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["national_id"] == "AM1234567"
    with pytest.raises(DuplicateRefused) as refused:
        actions.register_beneficiary(world.intake_a, form.cleaned_data)
    assert refused.value.field == "national_id"


def test_the_same_number_on_another_kind_of_document_is_another_number(world: World) -> None:
    register(world, national_id="AB1234567", id_document="passport")
    other = register(
        world,
        national_id="AB1234567",
        id_document="refugee_id",
        phone="",
        first_name="Gohar",
        last_name="Sargsyan",
    )
    assert other.national_id == "AB1234567"


def test_search_finds_a_phone_typed_in_urdu_digits(world: World) -> None:
    person = register(world, phone="+374 91 123456")
    client = Client()
    assert client.login(username=world.intake_a.username, password=PASSWORD)
    page = client.get("/beneficiaries/", {"q": "۹۱۱۲۳۴"})
    assert page.status_code == 200
    assert [p.pk for p in page.context["page"]] == [person.pk]


def test_the_migration_normalises_stored_numbers_and_reports_conflicts(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    first = register(world, phone="+374 91 123456", national_id="AM1234567")
    second = register(
        world, phone="+374 91 654321", national_id="AM7654321", first_name="Gohar", last_name="S"
    )
    third = register(
        world, phone="+374 93 111111", national_id="AM0000001", first_name="Ani", last_name="T"
    )
    # As the registry stored them before phones were parsed: digits only, IDs as typed.
    Beneficiary.objects.filter(pk=first.pk).update(phone="091123456", national_id="am 123 4567")
    Beneficiary.objects.filter(pk=second.pk).update(phone="+374 (91) 12-34-56")
    Beneficiary.objects.filter(pk=third.pk).update(phone="call me")
    normalising.normalise(apps, None)
    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()
    assert (first.phone, first.national_id) == ("+37491123456", "AM1234567")
    # The second person's phone is the first's number: kept as typed, flagged for review.
    assert second.phone == "+374 (91) 12-34-56"
    assert second.possible_duplicate_of_id == first.pk
    assert third.phone == "call me"
    report = capsys.readouterr().out
    assert f"person {second.pk}: phone +37491123456 is also person {first.pk}'s" in report
    assert f"person {third.pk}: phone 'call me' is not a phone" in report
