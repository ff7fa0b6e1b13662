"""`Idempotency-Key`: a retried request answers with the first response instead of acting twice.

Money-moving requests will require a key; others (registration) honour one when sent. A key
belongs to one user; the same key with a different request is refused. A stored answer expires
after `TANDIR_IDEMPOTENCY_HOURS` (it holds personal data): then the key starts afresh, and
`purge_expired` deletes it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.api.conf import idempotency_lifetime
from tandir.api.models import IdempotencyKey
from tandir.core.errors import TandirError

Answer = tuple[int, dict[str, Any]]


class IdempotencyKeyReused(TandirError):
    code = "idempotency_key_reused"
    http_status = 422

    def __init__(self) -> None:
        super().__init__(
            _("This Idempotency-Key was already used for a different request. Use a new key.")
        )


def request_hash(request: HttpRequest) -> str:
    """The request's method, path and JSON body, insensitive to key order and whitespace."""
    try:
        body: Any = json.loads(request.body or b"null")
    except ValueError:
        body = request.body.decode(errors="replace")
    canonical = json.dumps(
        [request.method, request.path, body], sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def expired(now: datetime.datetime | None = None) -> QuerySet[IdempotencyKey]:
    """Stored answers older than their lifetime: never replayed again."""
    return IdempotencyKey.objects.filter(
        created_at__lt=(now or timezone.now()) - idempotency_lifetime()
    )


def purge_expired(now: datetime.datetime | None = None) -> int:
    """Delete every expired answer in one statement; how many were deleted."""
    deleted, _by_model = expired(now).delete()
    return deleted


def answer_once(
    request: HttpRequest, user: Any, key: str | None, act: Callable[[], Answer]
) -> Answer:
    """Run `act` once per (user, key); a replay with the same request gets the stored answer.

    The key row is written in the same transaction as the work, so a failed request leaves no
    key behind, and a concurrent retry waits on the unique index, then replays. An expired
    answer is forgotten first, so its key acts again as a new one.
    """
    if not key:
        return act()
    fingerprint = request_hash(request)
    with transaction.atomic():
        expired().filter(user=user, key=key).delete()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    request_hash=fingerprint,
                    response_status=0,
                    response_body={},
                )
        except IntegrityError:
            earlier = IdempotencyKey.objects.get(user=user, key=key)
            if earlier.request_hash != fingerprint:
                raise IdempotencyKeyReused() from None
            return earlier.response_status, earlier.response_body
        status, body = act()
        IdempotencyKey.objects.filter(pk=record.pk).update(
            response_status=status, response_body=body
        )
        return status, body
