"""Fixtures shared by the integration, API and end-to-end tests."""

from __future__ import annotations

import pytest

from tests.factories import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    # Hashing strength is Django's concern, not ours; a fast hasher keeps the suite quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
