"""Fixtures shared by the integration, API and end-to-end tests."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from tests.factories import World, build_world

_SEED = importlib.import_module("tandir.core.migrations.0003_target_groups").seed


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    # Hashing strength is Django's concern, not ours; a fast hasher keeps the suite quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """Rows the migrations seed (the standard target groups) exist in every test's database.

    A transactional test ends by emptying every table; the next test on that worker would
    otherwise find no target groups. Restoring them here, instead of with Django's serialized
    rollback, also keeps the content types a flush recreates from clashing with a restore.
    """
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & names
    )
    if transactional:
        request.getfixturevalue("transactional_db")
    elif marker is not None or "db" in names:
        request.getfixturevalue("db")
    else:
        return
    from django.apps import apps

    from tandir.core.models import TargetGroup

    if not TargetGroup.objects.exists():
        _SEED(apps, None)


@pytest.fixture(autouse=True)
def _english_outside_requests() -> None:
    # A request in another language leaves it active in the thread; a command run by the next
    # test would then answer in it.
    from django.utils import translation

    translation.activate("en")
