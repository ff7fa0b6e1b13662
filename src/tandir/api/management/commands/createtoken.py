"""`tandir createtoken USERNAME [--name NAME] [--days N] [--scope read|read_write]`: make an API
token and print it, once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandir.api.actions import create_token
from tandir.api.conf import token_days
from tandir.api.models import TokenScope


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        days = 0
    if days < 1:
        raise CommandError(f"--days must be a whole number of at least 1, not {value!r}.")
    return days


class Command(BaseCommand):
    help = (
        "Create an API token for a user. The token is printed once; only its hash is kept. "
        "It expires after --days (default TANDIR_API_TOKEN_DAYS, 90) and may only read unless "
        "made with --scope read_write."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for, e.g. 'survey app'.")
        parser.add_argument(
            "--days", help="Days the token works (default: TANDIR_API_TOKEN_DAYS, 90)."
        )
        parser.add_argument(
            "--scope",
            choices=TokenScope.values,
            default=TokenScope.READ,
            help="read (default), or read_write to register and change records.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = _days(options["days"]) if options["days"] is not None else token_days()
        user_model = get_user_model()
        try:
            user = user_model.objects.get(username=options["username"])
        except user_model.DoesNotExist as exc:
            raise CommandError(f"No user named {options['username']!r}.") from exc
        if not user.is_active:
            raise CommandError(f"User {options['username']!r} is not active.")
        token, stored = create_token(user, name=options["name"], scope=options["scope"], days=days)
        self.stdout.write(token)
        self.stderr.write(
            f"Keep this token now: it cannot be shown again. It may "
            f"{'read and write' if stored.may_write else 'only read'} and works until "
            f"{stored.expires_at:%Y-%m-%d %H:%M} UTC ({days} days)."
        )
