"""Fixtures of the business-plan tests."""

from __future__ import annotations

import pytest

from tests.factories import World
from tests.plans.factories import Plans, build_plans


@pytest.fixture
def plans(world: World) -> Plans:
    return build_plans(world)
