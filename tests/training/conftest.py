"""Fixtures of the training tests."""

from __future__ import annotations

import pytest

from tests.factories import World
from tests.training.factories import Training, build_training


@pytest.fixture
def training(world: World) -> Training:
    return build_training(world)
