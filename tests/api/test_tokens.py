"""API tokens expire and carry a scope: read, or read and write."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from pytest_django.fixtures import Settings

from tandir.api.models import ApiToken, TokenScope, hash_token
from tandir.registry.models import Beneficiary
from tests.api.conftest import ApiClient, new_person, token_for
from tests.factories import World, register


def make_token(*args: str) -> tuple[str, ApiToken]:
    out, err = io.StringIO(), io.StringIO()
    call_command("createtoken", *args, stdout=out, stderr=err)
    token = out.getvalue().strip()
    return token, ApiToken.objects.get(token_hash=hash_token(token))


def near(moment: datetime.datetime, expected: datetime.datetime) -> bool:
    return abs(moment - expected) < datetime.timedelta(minutes=1)


# --- Expiry -------------------------------------------------------------------------------


def test_an_expired_token_is_refused_with_401(world: World, openapi: dict[str, Any]) -> None:
    token = token_for(world.intake_a)
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = ApiClient(openapi, token).get("beneficiaries")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_token_works_until_it_expires(world: World, openapi: dict[str, Any]) -> None:
    token = token_for(world.intake_a)
    ApiToken.objects.update(expires_at=timezone.now() + datetime.timedelta(minutes=1))
    assert ApiClient(openapi, token).get("beneficiaries").status_code == 200


def test_an_expired_token_is_not_marked_as_used(world: World, openapi: dict[str, Any]) -> None:
    token = token_for(world.intake_a)
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(days=1))
    ApiClient(openapi, token).get("beneficiaries")
    assert ApiToken.objects.get().last_used_at is None


def test_createtoken_makes_a_token_that_expires_after_the_configured_days(
    world: World, settings: Settings
) -> None:
    settings.TANDIR_API_TOKEN_DAYS = 30
    _token, stored = make_token("intake_a")
    assert near(stored.expires_at, timezone.now() + datetime.timedelta(days=30))


def test_a_new_token_lasts_ninety_days_unless_configured(world: World) -> None:
    _token, stored = make_token("intake_a")
    assert near(stored.expires_at, timezone.now() + datetime.timedelta(days=90))


def test_createtoken_days_sets_the_lifetime_and_says_when_it_ends(world: World) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("createtoken", "intake_a", "--days", "7", stdout=out, stderr=err)
    stored = ApiToken.objects.get()
    assert near(stored.expires_at, timezone.now() + datetime.timedelta(days=7))
    assert f"{stored.expires_at:%Y-%m-%d}" in err.getvalue()
    assert "only read" in err.getvalue()


@pytest.mark.parametrize("days", ["0", "-3", "soon"])
def test_createtoken_refuses_a_lifetime_below_one_day_and_makes_nothing(
    world: World, days: str
) -> None:
    with pytest.raises(CommandError):
        call_command("createtoken", "intake_a", "--days", days, stdout=io.StringIO())
    assert not ApiToken.objects.exists()


# --- Scope --------------------------------------------------------------------------------


def test_createtoken_makes_a_read_only_token_unless_asked_for_writing(world: World) -> None:
    _token, read_only = make_token("intake_a")
    assert read_only.scope == TokenScope.READ
    _token, writing = make_token("intake_a", "--scope", "read_write")
    assert writing.scope == TokenScope.READ_WRITE


def test_a_read_only_token_reads(world: World, openapi: dict[str, Any]) -> None:
    person = register(world)
    client = ApiClient(openapi, token_for(world.intake_a, scope=TokenScope.READ))
    assert client.get("beneficiaries").json()["count"] == 1
    assert client.get(f"beneficiaries/{person.pk}").status_code == 200


def test_a_read_only_token_may_not_register_and_nothing_is_written(
    world: World, openapi: dict[str, Any]
) -> None:
    client = ApiClient(openapi, token_for(world.intake_a, scope=TokenScope.READ))
    response = client.post("beneficiaries", new_person(world))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_allowed"
    assert not Beneficiary.objects.exists()


def test_a_read_only_token_may_not_change_a_record(world: World, openapi: dict[str, Any]) -> None:
    person = register(world)
    client = ApiClient(openapi, token_for(world.intake_a, scope=TokenScope.READ))
    response = client.patch(f"beneficiaries/{person.pk}", {"first_name": "Ani"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_allowed"
    person.refresh_from_db()
    assert person.first_name == "Anahit"


def test_a_read_only_token_gets_the_same_403_for_a_record_outside_its_scope(
    world: World, openapi: dict[str, Any]
) -> None:
    # Refused before the record is looked up, so the answer says nothing about its existence.
    theirs = register(world, officer=world.admin, branch=world.branch_b.pk)
    client = ApiClient(openapi, token_for(world.intake_a, scope=TokenScope.READ))
    outside = client.patch(f"beneficiaries/{theirs.pk}", {"first_name": "X"})
    missing = client.patch("beneficiaries/999999", {"first_name": "X"})
    assert outside.status_code == missing.status_code == 403
    assert outside.json() == missing.json()


def test_a_read_and_write_token_registers(world: World, openapi: dict[str, Any]) -> None:
    client = ApiClient(openapi, token_for(world.intake_a, scope=TokenScope.READ_WRITE))
    assert client.post("beneficiaries", new_person(world)).status_code == 201


def test_a_token_may_not_write_beyond_its_users_role(world: World, openapi: dict[str, Any]) -> None:
    client = ApiClient(openapi, token_for(world.loan_officer_a, scope=TokenScope.READ_WRITE))
    assert client.post("beneficiaries", new_person(world)).status_code == 403
    assert not Beneficiary.objects.exists()
