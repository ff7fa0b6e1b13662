"""Demo events: a past network conference, a roadshow with two investors, and a cooperation
agreement with its action plan."""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tandir.demo.loader import Programme


def load_events(
    rng: random.Random, programmes: Sequence[Programme], *, as_of: datetime.date
) -> None:
    """Fill in by the events app."""
