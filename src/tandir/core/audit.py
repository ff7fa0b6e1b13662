"""Accountability: the channel a change came through, and the access log of protected records.

Every change to a business record is kept by django-simple-history (who, when, old and new
values); this module adds *through which channel* (web, api, admin, import, cli) to each
historical row, read from a context variable that each channel's entry point sets. Reads of
protected records are logged by `log_access`, which the permission-checked lookups call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record

from tandir.core.models import AccessLog

Channel = str  # "web", "api", "admin", "import", "export", "cli"

_channel: ContextVar[Channel] = ContextVar("tandir_channel", default="cli")


def current_channel() -> Channel:
    return _channel.get()


@contextmanager
def channel(name: Channel) -> Iterator[None]:
    """Changes made inside the block are recorded as coming through `name`."""
    token = _channel.set(name)
    try:
        yield
    finally:
        _channel.reset(token)


@receiver(pre_create_historical_record)
def _record_channel(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    if hasattr(history_instance, "history_channel"):
        history_instance.history_channel = current_channel()


def log_access(
    user: Any, seen: Iterable[tuple[int, int]], channel: Channel, *, record_type: str
) -> None:
    """One access-log row per (organisation id, record id) of a protected record seen."""
    AccessLog.objects.bulk_create(
        AccessLog(
            organization_id=organization_id,
            user=user,
            record_type=record_type,
            record_id=record_id,
            channel=channel,
        )
        for organization_id, record_id in seen
    )


class ChannelMiddleware:
    """Marks each web request's changes with its channel: the admin, the API or the pages."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        path = request.path_info
        name = (
            "api" if path.startswith("/api/") else "admin" if path.startswith("/admin/") else "web"
        )
        with channel(name):
            return self.get_response(request)
