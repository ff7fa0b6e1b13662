"""Token authentication and the createtoken command."""

from __future__ import annotations

import datetime
import io

from django.core.management import call_command
from django.utils import timezone

from tandir.api.models import ApiToken, hash_token
from tests.api.conftest import BASE, ApiClient, token_for


def test_a_request_without_a_token_is_refused_with_401_unauthenticated(client_for):
    response = client_for(None).get("beneficiaries")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_an_unknown_token_is_refused(world, openapi):
    response = ApiClient(openapi, "tdr_not-a-real-token").get("beneficiaries")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_token_in_another_scheme_is_refused(world, openapi):
    token = token_for(world.intake_a)
    client = ApiClient(openapi, None)
    response = client.get("beneficiaries", headers={"Authorization": f"Token {token}"})
    assert response.status_code == 401


def test_a_revoked_token_is_refused(world, openapi):
    token = token_for(world.intake_a)
    ApiToken.objects.filter(token_hash=hash_token(token)).update(revoked_at=timezone.now())
    assert ApiClient(openapi, token).get("beneficiaries").status_code == 401


def test_the_token_of_a_deactivated_user_is_refused(world, openapi):
    token = token_for(world.intake_a)
    world.intake_a.is_active = False
    world.intake_a.save()
    assert ApiClient(openapi, token).get("beneficiaries").status_code == 401


def test_only_the_hash_of_a_token_is_stored(world):
    token = token_for(world.intake_a)
    stored = ApiToken.objects.get(user=world.intake_a)
    assert stored.token_hash == hash_token(token)
    assert token not in stored.token_hash


def test_last_used_is_recorded_at_most_once_a_minute(world, openapi, django_assert_num_queries):
    token = token_for(world.intake_a)
    client = ApiClient(openapi, token)
    client.get("beneficiaries")
    first_use = ApiToken.objects.get().last_used_at
    assert first_use is not None
    client.get("beneficiaries")
    assert ApiToken.objects.get().last_used_at == first_use

    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    ApiToken.objects.update(last_used_at=an_hour_ago)
    client.get("beneficiaries")
    last_use = ApiToken.objects.get().last_used_at
    assert last_use is not None and last_use > an_hour_ago


def test_createtoken_prints_a_working_token_once(world, openapi):
    out, err = io.StringIO(), io.StringIO()
    call_command("createtoken", "intake_a", "--name", "survey app", stdout=out, stderr=err)
    token = out.getvalue().strip()
    assert token.startswith("tdr_")
    stored = ApiToken.objects.get(user=world.intake_a)
    assert stored.name == "survey app"
    assert stored.token_hash == hash_token(token)
    assert ApiClient(openapi, token).get("beneficiaries").status_code == 200


def test_createtoken_for_an_unknown_user_fails_and_creates_nothing(world):
    import pytest
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("createtoken", "nobody", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_the_api_answers_under_its_versioned_prefix(world, client_for):
    assert client_for(world.intake_a).get(f"{BASE}/beneficiaries").status_code == 200
