"""SQLite under concurrent writes: registrations queue for the write lock instead of failing, and
a request that still finds the database locked after the busy timeout answers 503, never 500.

The servers run on SQLite files of their own whatever database the suite uses; the last tests
(the mapping of a lock timeout to 503 for pages and the API) run on the suite's database.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError
from django.test import Client, RequestFactory

from tandir.api.auth import TokenAuth
from tandir.web.middleware import RETRY_AFTER_SECONDS, DatabaseBusyMiddleware
from tests.api.conftest import assert_error_shape, token_for
from tests.factories import World
from tests.integration.live_site import (
    Answer,
    SeededDatabase,
    Site,
    base_environment,
    copy_database,
    production_environment,
    seed_database,
    serve,
)

CONCURRENT = 20
LOCKED = OperationalError("database is locked")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> SeededDatabase:
    return seed_database(tmp_path_factory.mktemp("seed"))


def person(seed: SeededDatabase, n: int) -> dict[str, Any]:
    """A registration body for the n-th person: own phone, ID and (years apart) birth date."""
    return seed.person | {
        "phone": f"+374 91 {200000 + n}",
        "national_id": f"AM{7000000 + n}",
        "date_of_birth": f"{1950 + 2 * n}-05-{1 + n % 28:02d}",
    }


def register_at_once(site: Site, seed: SeededDatabase, count: int) -> list[Answer]:
    """`count` registrations sent at the same moment, each from its own thread."""
    answers: list[Answer | None] = [None] * count
    start = threading.Barrier(count)
    headers = {"Authorization": f"Bearer {seed.token}", "X-Forwarded-Proto": "https"}

    def send(n: int) -> None:
        start.wait()
        answers[n] = site.request("POST", "/api/v1/beneficiaries", person(seed, n), headers=headers)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(answer is not None for answer in answers)
    return [answer for answer in answers if answer is not None]


def stored_ids(database: Path) -> set[int]:
    with sqlite3.connect(database) as connection:
        return {row[0] for row in connection.execute("SELECT id FROM registry_beneficiary")}


@pytest.mark.parametrize("server", ["development", "production"])
def test_twenty_concurrent_registrations_on_sqlite_queue_and_are_all_stored(
    seeded: SeededDatabase, tmp_path: Path, server: str
) -> None:
    database = copy_database(seeded, tmp_path)
    if server == "production":
        env = production_environment(tmp_path, database)
        arguments = ["--production", "--workers", "2", "--threads", "8"]
    else:
        env, arguments = base_environment(tmp_path, database), []
    with serve(tmp_path, database, *arguments, env=env) as site:
        answers = register_at_once(site, seeded, CONCURRENT)

    statuses = sorted(answer.status for answer in answers)
    assert 500 not in statuses
    # Each write waits its turn (10 s at most, and twenty take well under that): all accepted.
    assert statuses == [201] * CONCURRENT, [a.body[:200] for a in answers if a.status != 201]
    accepted = {answer.json()["id"] for answer in answers if answer.status == 201}
    assert stored_ids(database) == accepted


@contextmanager
def write_lock_held(database: Path) -> Iterator[None]:
    """Another process's write transaction, holding SQLite's write lock until the block ends."""
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def test_a_write_still_locked_after_the_busy_timeout_answers_503_with_retry_after(
    seeded: SeededDatabase, tmp_path: Path
) -> None:
    database = copy_database(seeded, tmp_path)
    env = base_environment(tmp_path, database) | {"TANDIR_SQLITE_TIMEOUT": "0.3"}
    api_headers = {"Authorization": f"Bearer {seeded.token}"}
    with serve(tmp_path, database, env=env) as site:
        login_page = site.request("GET", "/accounts/login/")
        csrf = re.search(r"csrftoken=([^;]+)", login_page.headers["Set-Cookie"])
        assert csrf
        login_form = (
            f"csrfmiddlewaretoken={csrf.group(1)}&username=nobody&password=wrong-password"
        ).encode()
        form_headers = {
            "Cookie": f"csrftoken={csrf.group(1)}",
            "Content-Type": "application/x-www-form-urlencoded",
        }

        with write_lock_held(database):
            api = site.request(
                "POST", "/api/v1/beneficiaries", person(seeded, 1), headers=api_headers
            )
            # A failed login is written down (django-axes), so the login page writes too.
            page = site.request("POST", "/accounts/login/", data=login_form, headers=form_headers)

        assert api.status == 503
        assert api.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert_error_shape(api.json())
        assert api.json()["error"]["code"] == "busy"

        assert page.status == 503
        assert page.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert page.headers["Content-Type"].startswith("text/html")
        assert "wait a few seconds and send it again" in page.text()

        # Nothing half-done was left behind, and the same request goes through now.
        assert stored_ids(database) == set()
        again = site.request(
            "POST", "/api/v1/beneficiaries", person(seeded, 1), headers=api_headers
        )
        assert again.status == 201
        assert stored_ids(database) == {again.json()["id"]}
    assert "Traceback" not in site.log_text()


def test_a_view_that_finds_the_database_locked_answers_a_503_page() -> None:
    request = RequestFactory().post("/beneficiaries/new/")
    middleware = DatabaseBusyMiddleware(lambda request: pytest.fail("not called"))
    response = middleware.process_exception(request, LOCKED)
    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert middleware.process_exception(request, OperationalError("no such table: x")) is None
    assert middleware.process_exception(request, ValueError("database is locked")) is None


def test_a_session_write_that_finds_the_database_locked_answers_503_not_500(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The session is saved by the session middleware, outside any view.
    client = Client(raise_request_exception=False)
    client.force_login(world.intake_a)

    def locked_save(self: SessionStore, must_create: bool = False) -> None:
        raise LOCKED

    monkeypatch.setattr(SessionStore, "save", locked_save)
    response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


def test_the_api_answers_503_busy_when_the_database_stays_locked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(self: TokenAuth, request: Any, token: str) -> None:
        raise LOCKED

    token = token_for(world.intake_a)
    monkeypatch.setattr(TokenAuth, "authenticate", locked)
    response = Client().get("/api/v1/beneficiaries", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert_error_shape(response.json())
    assert response.json()["error"]["code"] == "busy"


def test_any_other_database_error_in_the_api_stays_a_server_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: TokenAuth, request: Any, token: str) -> None:
        raise OperationalError("disk I/O error")

    token = token_for(world.intake_a)
    monkeypatch.setattr(TokenAuth, "authenticate", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/beneficiaries", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
