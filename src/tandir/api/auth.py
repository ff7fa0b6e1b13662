"""Token authentication: `Authorization: Bearer <token>`, checked against the stored hash."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from tandir.api.models import ApiToken, hash_token

# Recording every use would turn each read into a write; a minute is precise enough to see
# whether a token is still in use.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def user_for_token(token: str) -> Any | None:
    """The active user a live token belongs to, or None."""
    if not token:
        return None
    api_token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(token), revoked_at=None)
        .first()
    )
    if api_token is None or not api_token.user.is_active:
        return None
    now = timezone.now()
    if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
    return api_token.user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        user = user_for_token(token.strip())
        if user is not None:
            request.user = user
        return user
