"""Demo training: the five modules, courses and cohorts in each programme, with attendance,
completion and certificates for the participants the registry moved through training."""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tandir.demo.loader import Programme


def load_training(
    rng: random.Random, programmes: Sequence[Programme], *, as_of: datetime.date
) -> None:
    """Fill in by the training app."""
