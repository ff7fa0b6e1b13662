"""Stored answers to idempotent requests expire and are purged: they hold personal data."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings

from tandir.api.models import IdempotencyKey
from tandir.registry.models import Beneficiary
from tests.api.conftest import ClientFor, new_person
from tests.factories import World

KEY = {"Idempotency-Key": "tablet-7f3a"}


def age_every_answer(hours: float) -> None:
    IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(hours=hours))


def stored_answer(world: World, key: str, hours_old: float) -> IdempotencyKey:
    record = IdempotencyKey.objects.create(
        user=world.intake_a,
        key=key,
        request_hash="0" * 64,
        response_status=201,
        response_body={"id": 1, "first_name": "Anahit"},
    )
    IdempotencyKey.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=hours_old)
    )
    return record


def test_an_answer_within_its_lifetime_is_replayed(world: World, client_for: ClientFor) -> None:
    client = client_for(world.intake_a)
    first = client.post("beneficiaries", new_person(world), headers=KEY)
    age_every_answer(23)
    again = client.post("beneficiaries", new_person(world), headers=KEY)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert Beneficiary.objects.count() == 1


def test_an_expired_answer_is_not_replayed_and_its_key_acts_as_a_new_one(
    world: World, client_for: ClientFor
) -> None:
    client = client_for(world.intake_a)
    client.post("beneficiaries", new_person(world), headers=KEY)
    age_every_answer(25)
    other = new_person(world, first_name="Mane", phone="+37499444444", national_id="AM4444444")
    response = client.post("beneficiaries", other, headers=KEY)
    # Not refused as a reused key, not the first answer: a new registration.
    assert response.status_code == 201
    assert response.json()["first_name"] == "Mane"
    assert Beneficiary.objects.count() == 2
    assert IdempotencyKey.objects.get().response_body["first_name"] == "Mane"


def test_the_lifetime_follows_the_setting(
    world: World, client_for: ClientFor, settings: Settings
) -> None:
    settings.TANDIR_IDEMPOTENCY_HOURS = 1
    client = client_for(world.intake_a)
    client.post("beneficiaries", new_person(world), headers=KEY)
    age_every_answer(2)
    again = client.post("beneficiaries", new_person(world), headers=KEY)
    # The first answer is forgotten, so the same person is now a duplicate, not a replay.
    assert again.status_code == 409
    assert Beneficiary.objects.count() == 1


def test_purgeidempotency_deletes_only_expired_answers_with_one_statement(
    world: World, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    for number in range(3):
        stored_answer(world, f"old-{number}", hours_old=24.5)
    fresh = stored_answer(world, "fresh", hours_old=23.5)
    out = io.StringIO()
    with django_assert_num_queries(1) as captured:
        call_command("purgeidempotency", stdout=out)
    assert captured.captured_queries[0]["sql"].upper().startswith("DELETE")
    assert list(IdempotencyKey.objects.all()) == [fresh]
    assert "Deleted 3 idempotency records older than 24 hours." in out.getvalue()


def test_purgeidempotency_with_nothing_expired_deletes_nothing(world: World) -> None:
    stored_answer(world, "fresh", hours_old=1)
    out = io.StringIO()
    call_command("purgeidempotency", stdout=out)
    assert IdempotencyKey.objects.count() == 1
    assert "Deleted 0" in out.getvalue()


@pytest.mark.parametrize("hours", [0, -1, "a day"])
def test_a_lifetime_that_is_not_a_positive_number_of_hours_is_a_clear_error(
    world: World, settings: Settings, hours: object
) -> None:
    settings.TANDIR_IDEMPOTENCY_HOURS = hours
    with pytest.raises(ImproperlyConfigured, match="TANDIR_IDEMPOTENCY_HOURS"):
        call_command("purgeidempotency", stdout=io.StringIO())
