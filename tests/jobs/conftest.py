"""Every test of the scheduler starts with the stand-in job and no day closed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import artifacts_dir, browser_page  # noqa: F401 - for test_e2e
from tests.jobs import factories


@pytest.fixture(autouse=True)
def _stand_in_job(settings: Any) -> None:
    factories.reset()
    settings.TANDIR_JOBS_CLOSE_BUSINESS = factories.FAKE_JOB
    settings.TANDIR_JOBS_RETRY_DELAYS = [0, 0]
