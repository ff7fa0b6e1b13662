"""After every close-of-business test, the books must balance and agree with the loans."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.factories import World
from tests.lending_factories import Lending, build_lending


@pytest.fixture
def lending(world: World) -> Iterator[Lending]:
    from tandir.ledger.queries import unbalanced_entries
    from tandir.lending.queries import ledger_mismatches

    built = build_lending(world)
    yield built
    assert unbalanced_entries() == [], "journal entries that do not balance"
    assert ledger_mismatches(world.org.pk) == [], "the ledger and the loans disagree"
