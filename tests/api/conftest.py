"""An API client that authenticates with a real token and checks every answer it gets.

Each JSON response is checked against the OpenAPI document for its operation and status
code, and every error against the one error shape, so a test cannot pass on an answer the
documentation does not describe.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tandir.api.main import api
from tandir.api.models import ApiToken, TokenScope, hash_token
from tests.api.openapi_check import response_errors

BASE = "/api/v1"


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    # Through JSON, as clients read it (status codes become strings).
    return json.loads(json.dumps(api.get_openapi_schema()))


def token_for(
    user: Any, name: str = "test", *, scope: str = TokenScope.READ_WRITE, days: int = 90
) -> str:
    """A new token of `user`; it may write unless made with `scope=TokenScope.READ`."""
    token = ApiToken.new_token()
    ApiToken.objects.create(
        user=user,
        name=name,
        token_hash=hash_token(token),
        scope=scope,
        expires_at=ApiToken.expiry(days),
    )
    return token


def assert_error_shape(body: Any) -> None:
    assert isinstance(body, dict) and list(body) == ["error"], body
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"], body
    assert isinstance(error["message"], str) and error["message"], body
    if "fields" in error:
        assert all(
            isinstance(name, str) and messages and all(isinstance(m, str) for m in messages)
            for name, messages in error["fields"].items()
        ), body


class ApiClient:
    def __init__(self, document: dict[str, Any], token: str | None) -> None:
        self.document = document
        self.token = token
        # As a real client: no session, no CSRF token, so Django's CSRF check runs as it would.
        self.client = Client(enforce_csrf_checks=True)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        **query: Any,
    ) -> Any:
        all_headers = dict(headers or {})
        if self.token is not None and "Authorization" not in all_headers:
            all_headers["Authorization"] = f"Bearer {self.token}"
        url = path if path.startswith("/") else f"{BASE}/{path}"
        send = getattr(self.client, method.lower())
        if method == "GET":
            response = send(url, query, headers=all_headers)
        else:
            data = raw if raw is not None else json.dumps(body)
            response = send(url, data, content_type="application/json", headers=all_headers)
        self.check(method, url, response)
        return response

    def check(self, method: str, url: str, response: Any) -> None:
        assert response["Content-Type"].startswith("application/json"), response.content[:200]
        body = response.json()
        problems = response_errors(self.document, method, url, response.status_code, body)
        assert not problems, "\n".join(problems)
        if response.status_code >= 400:
            assert_error_shape(body)

    def get(self, path: str, **query: Any) -> Any:
        return self.request("GET", path, **query)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("PATCH", path, body, **kwargs)


# `client_for(user)`, as tests annotate the fixture.
ClientFor = Callable[[Any], ApiClient]


@pytest.fixture
def client_for(world: Any, openapi: dict[str, Any]) -> ClientFor:
    """`client_for(user)`: an API client holding a fresh token of `user` (None: no token)."""

    def make(user: Any) -> ApiClient:
        return ApiClient(openapi, token_for(user) if user is not None else None)

    return make


def new_person(world: Any, **overrides: Any) -> dict[str, Any]:
    """A valid registration body for branch A, district A."""
    body: dict[str, Any] = {
        "first_name": "Anahit",
        "last_name": "Petrosyan",
        "sex": "female",
        "date_of_birth": "1990-04-12",
        "phone": "+374 91 123456",
        "national_id": "AM1234567",
        "branch": world.branch_a.pk,
        "district": world.district_a.pk,
        "projects": [world.project.code],
        "heard_via": "media",
        "household": {
            "members_count": 4,
            "dependants": 2,
            "head_sex": "female",
            "monthly_income": {"amount": "120000", "currency": "AMD"},
        },
        "consent": {"programme_use": True, "follow_up_surveys": True},
    }
    body.update(overrides)
    return body
