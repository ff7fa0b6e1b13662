"""Every write to API tokens: made by `tandir createtoken`, revoked by an administrator."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from tandir.api.models import ApiToken, TokenScope, hash_token
from tandir.orgs.models import StaffUser


def create_token(user: StaffUser, *, name: str, scope: str, days: int) -> tuple[str, ApiToken]:
    """A new token of `user` for `days`: the token itself, to show once, and its stored row."""
    token = ApiToken.new_token()
    stored = ApiToken.objects.create(
        user=user,
        name=name,
        token_hash=hash_token(token),
        scope=TokenScope(scope),
        expires_at=ApiToken.expiry(days),
    )
    return token, stored


def revoke_tokens(tokens: QuerySet[ApiToken]) -> int:
    """Revoke the tokens not yet revoked; how many were. The caller scopes `tokens`."""
    return tokens.filter(revoked_at=None).update(revoked_at=timezone.now())
