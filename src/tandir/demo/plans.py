"""Demo business plans in every status, some financed by the demo loans."""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tandir.demo.loader import Programme


def load_plans(
    rng: random.Random, programmes: Sequence[Programme], *, as_of: datetime.date
) -> None:
    """Fill in by the plans app."""
