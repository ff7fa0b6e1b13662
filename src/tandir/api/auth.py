"""Token authentication: `Authorization: Bearer <token>`, checked against the stored hash.

A token works while it is neither expired nor revoked and its user is active; a read-only token
is refused (403 `not_allowed`) on any request that could change something.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from tandir.api.models import ApiToken, hash_token
from tandir.core.errors import NotAllowed

# Recording every use would turn each read into a write; a minute is precise enough to see
# whether a token is still in use.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)

READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def live_token(token: str) -> ApiToken | None:
    """The stored token for `token` if it works now: not expired, not revoked, user active."""
    if not token:
        return None
    now = timezone.now()
    api_token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(token), revoked_at=None, expires_at__gt=now)
        .first()
    )
    if api_token is None or not api_token.user.is_active:
        return None
    if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
    return api_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        api_token = live_token(token.strip())
        if api_token is None:
            return None
        if request.method not in READING_METHODS and not api_token.may_write:
            raise NotAllowed(_("This API token may only read; make one that may also write."))
        request.user = api_token.user
        return api_token.user
