"""API tokens in the admin: listed with scope and expiry, revoked, within the organisation."""

from __future__ import annotations

import datetime
from typing import Any

from django.test import Client
from django.utils import timezone

from tandir.api.models import ApiToken, TokenScope
from tests.api.conftest import ApiClient, token_for
from tests.factories import World

TOKENS = "/admin/api/apitoken/"


def admin_client(user: Any) -> Client:
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def test_an_administrator_revokes_a_token_and_it_stops_working(
    world: World, openapi: dict[str, Any]
) -> None:
    token = token_for(world.intake_a)
    stored = ApiToken.objects.get()
    response = admin_client(world.admin).post(
        TOKENS, {"action": "revoke", "_selected_action": [stored.pk]}
    )
    assert response.status_code == 302
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert ApiClient(openapi, token).get("beneficiaries").status_code == 401


def test_an_administrator_never_sees_another_organisations_tokens(world: World) -> None:
    token_for(world.intake_a, name="ours")
    token_for(world.other_intake, name="theirs")
    page = admin_client(world.admin).get(TOKENS).content.decode()
    assert "ours" in page
    assert "theirs" not in page


def test_an_administrator_cannot_revoke_another_organisations_token_by_a_direct_post(
    world: World, openapi: dict[str, Any]
) -> None:
    token = token_for(world.other_intake, name="theirs")
    theirs = ApiToken.objects.get()
    admin_client(world.admin).post(TOKENS, {"action": "revoke", "_selected_action": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert ApiClient(openapi, token).get("beneficiaries").status_code == 200


def test_the_token_list_shows_each_tokens_scope_expiry_and_status(world: World) -> None:
    token_for(world.intake_a, name="tablet", scope=TokenScope.READ, days=30)
    token_for(world.manager_a, name="sync job", scope=TokenScope.READ_WRITE)
    ApiToken.objects.filter(name="sync job").update(
        expires_at=timezone.now() - datetime.timedelta(days=1)
    )
    response = admin_client(world.admin).get(TOKENS)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Read and write" in page and ">Read<" in page
    assert "Expired" in page and "Works" in page
    tablet = ApiToken.objects.get(name="tablet")
    assert tablet.expires_at.strftime("%Y") in page


def test_the_status_filter_lists_only_expired_tokens(world: World) -> None:
    token_for(world.intake_a, name="fresh-one")
    token_for(world.intake_a, name="stale-one")
    ApiToken.objects.filter(name="stale-one").update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    page = admin_client(world.admin).get(TOKENS, {"status": "expired"}).content.decode()
    assert "stale-one" in page
    assert "fresh-one" not in page
