"""Every column of a person travels through the API: registered, shown, and kept by a change
that does not name it."""

from __future__ import annotations

from typing import Any

from django.db import models

from tandir.registry.models import Beneficiary
from tests.api.conftest import ClientFor, new_person
from tests.factories import World, register


def columns(person: Beneficiary) -> dict[str, Any]:
    person.refresh_from_db()
    values = {}
    for name in Beneficiary.PERSON_FIELDS:
        column = Beneficiary._meta.get_field(name)
        assert isinstance(column, models.Field)
        values[name] = getattr(person, column.attname)
    return values


def test_a_change_keeps_every_column_it_does_not_name(world: World, client_for: ClientFor) -> None:
    person = register(
        world,
        patronymic="Karenovna",
        id_document="passport",
        national_id="P1234567",
        education="higher",
        economic_activity="farming",
        heard_via="event",
        heard_via_detail="spring fair",
    )
    before = columns(person)
    response = client_for(world.intake_a).patch(f"beneficiaries/{person.pk}", {"first_name": "Ani"})
    assert response.status_code == 200
    after = columns(person)
    assert after.pop("first_name") == "Ani"
    before.pop("first_name")
    assert after == before


def test_registering_may_name_the_id_document_and_the_answer_shows_it(
    world: World, client_for: ClientFor
) -> None:
    response = client_for(world.intake_a).post(
        "beneficiaries", new_person(world, id_document="refugee_id", national_id="RA-77 001")
    )
    assert response.status_code == 201
    assert response.json()["id_document"] == "refugee_id"
    person = Beneficiary.objects.get()
    assert person.id_document == "refugee_id"


def test_an_id_number_without_its_document_is_a_national_id_card(
    world: World, client_for: ClientFor
) -> None:
    response = client_for(world.intake_a).post("beneficiaries", new_person(world))
    assert response.json()["id_document"] == "national_id"


def test_answers_left_out_are_not_recorded_rather_than_guessed(
    world: World, client_for: ClientFor
) -> None:
    body = new_person(world)
    del body["heard_via"]
    response = client_for(world.intake_a).post("beneficiaries", body)
    assert response.status_code == 201
    person = Beneficiary.objects.get()
    assert (person.education, person.economic_activity, person.heard_via) == ("", "", "")
