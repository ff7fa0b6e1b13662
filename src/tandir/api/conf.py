"""The API's settings, each with a default: set them in the Django settings, or as environment
variables of the same name.

TANDIR_API_TOKEN_DAYS      days a new API token works (default 90; `createtoken --days N`)
TANDIR_IDEMPOTENCY_HOURS   hours a stored answer to an Idempotency-Key is replayed (default 24)
"""

from __future__ import annotations

import datetime
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_TOKEN_DAYS = 90
DEFAULT_IDEMPOTENCY_HOURS = 24


def _positive_setting(name: str, default: int) -> int:
    value: object = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, str(default))
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least 1, not {value!r}.")
    return number


def token_days() -> int:
    """How many days a new API token works unless it is made with another lifetime."""
    return _positive_setting("TANDIR_API_TOKEN_DAYS", DEFAULT_TOKEN_DAYS)


def idempotency_lifetime() -> datetime.timedelta:
    """How long the first answer to a request with an Idempotency-Key is kept and replayed.

    The stored answer holds a whole person's record, so it is kept no longer than a client
    needs to retry.
    """
    return datetime.timedelta(
        hours=_positive_setting("TANDIR_IDEMPOTENCY_HOURS", DEFAULT_IDEMPOTENCY_HOURS)
    )
