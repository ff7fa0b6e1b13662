"""Revoking API tokens in the admin, scoped to the administrator's organisation."""

from __future__ import annotations

from django.test import Client

from tandir.api.models import ApiToken
from tests.api.conftest import ApiClient, token_for


def admin_client(user) -> Client:
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def test_an_administrator_revokes_a_token_and_it_stops_working(world, openapi):
    token = token_for(world.intake_a)
    stored = ApiToken.objects.get()
    response = admin_client(world.admin).post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [stored.pk]},
    )
    assert response.status_code == 302
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert ApiClient(openapi, token).get("beneficiaries").status_code == 401


def test_an_administrator_never_sees_another_organisations_tokens(world):
    token_for(world.intake_a, name="ours")
    token_for(world.other_intake, name="theirs")
    page = admin_client(world.admin).get("/admin/api/apitoken/").content.decode()
    assert "ours" in page
    assert "theirs" not in page
