"""API tokens and stored answers to idempotent requests.

Only a token's hash is stored; the token itself is shown once, when it is made. A token works
until it expires or is revoked, and only for what its scope allows.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenScope(models.TextChoices):
    """What a token may do, on top of what its user's role allows."""

    READ = "read", _("Read")
    READ_WRITE = "read_write", _("Read and write")


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(
        _("scope"), max_length=20, choices=TokenScope.choices, default=TokenScope.READ
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} {self.name}"

    @staticmethod
    def new_token() -> str:
        return "tdr_" + secrets.token_urlsafe(32)

    @staticmethod
    def expiry(days: int, now: datetime.datetime | None = None) -> datetime.datetime:
        return (now or timezone.now()) + datetime.timedelta(days=days)

    @property
    def may_write(self) -> bool:
        return self.scope == TokenScope.READ_WRITE


class IdempotencyKey(models.Model):
    """The first response to a request sent with an `Idempotency-Key`, replayed on a retry.

    Only successful responses are kept: a refused request changed nothing, so sending it again
    is safe and answers the same way. A response holds a whole person's record, so it is kept
    only for `TANDIR_IDEMPOTENCY_HOURS`: after that it is never replayed, and
    `tandir purgeidempotency` deletes it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    # Indexed for the purge, which deletes by age.
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"
