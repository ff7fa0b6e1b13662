"""Demo schedules: each demo organisation closes its business day every night at 01:30 local."""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tandir.jobs.actions import set_schedule
from tandir.jobs.planning import default_time_zone

if TYPE_CHECKING:
    from tandir.demo.loader import Programme


def load_jobs(rng: random.Random, programmes: Sequence[Programme], *, as_of: datetime.date) -> None:
    for programme in programmes:
        accountant = programme.staff[f"{programme.prefix}.accountant"]
        organization = programme.organization
        code = organization.country.code if organization.country is not None else None
        set_schedule(
            accountant,
            organization,
            run_at=datetime.time(1, 30),
            time_zone=default_time_zone(code),
            run_as=accountant,
        )
