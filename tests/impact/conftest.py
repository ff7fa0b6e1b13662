"""Fixtures of the impact tests, and the end-to-end ones (live server, offline Chromium)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import artifacts_dir, browser_page
from tests.factories import World
from tests.impact.factories import Impact, build_impact

__all__ = ["artifacts_dir", "browser_page"]


@pytest.fixture
def impact(world: World) -> Impact:
    return build_impact(world)
