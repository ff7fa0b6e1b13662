"""`Idempotency-Key`: a retried request answers with the first response instead of acting twice.

Money-moving requests (a repayment) require a key; others (registration) honour one when sent.
A key belongs to one user; the same key with a different request is refused, and a key still
being worked on by another request answers 409 `idempotency_key_in_progress`. A stored answer
expires after `TANDIR_IDEMPOTENCY_HOURS` (it holds personal data): then the key starts afresh,
and `purge_expired` deletes it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, connection, transaction
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


class IdempotencyKeyRequired(TandirError):
    code = "idempotency_key_required"
    http_status = 400

    def __init__(self) -> None:
        super().__init__(
            _(
                "Send an Idempotency-Key header (e.g. a new UUID for each payment), so that a "
                "retry cannot post the payment twice."
            )
        )


class IdempotencyKeyInProgress(TandirError):
    code = "idempotency_key_in_progress"
    http_status = 409

    def __init__(self) -> None:
        super().__init__(
            _(
                "A request with this Idempotency-Key is still being processed. Send it again "
                "in a moment to get its answer."
            )
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


def lock_id(user: Any, key: str) -> int:
    """The PostgreSQL advisory lock of one user's key: 64 bits of a hash, as a signed bigint.
    Two keys sharing a lock (one chance in 2⁶⁴ per pair at the same moment) only make one of
    them answer 409 and be sent again."""
    digest = hashlib.sha256(f"tandir.api.idempotency\0{user.pk}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _claim(user: Any, key: str) -> None:
    """Hold the key for this transaction, or refuse at once if another request holds it.

    On PostgreSQL a transaction-level advisory lock, released when the transaction ends (after
    its commit is visible, so whoever takes the lock next finds the stored answer). SQLite
    needs none: every transaction begins IMMEDIATE, so a second request waits for the first to
    commit (up to `TANDIR_SQLITE_TIMEOUT`, then 503 `busy`) and then replays its answer.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_id(user, key)])
        (claimed,) = cursor.fetchone()
    if not claimed:
        raise IdempotencyKeyInProgress()


def answer_once(
    request: HttpRequest, user: Any, key: str | None, act: Callable[[], Answer]
) -> Answer:
    """Run `act` once per (user, key); a replay with the same request gets the stored answer.

    The key row is written in the same transaction as the work, so a failed request leaves no
    key behind. A retry while the first request is still running answers 409
    `idempotency_key_in_progress` on PostgreSQL (on SQLite it waits for the first, then
    replays). An expired answer is forgotten first, so its key acts again as a new one.
    """
    if not key:
        return act()
    fingerprint = request_hash(request)
    with transaction.atomic():
        _claim(user, key)
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
