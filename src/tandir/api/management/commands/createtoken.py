"""`tandir createtoken USERNAME [--name NAME]`: make an API token and print it, once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandir.api.models import ApiToken, hash_token


class Command(BaseCommand):
    help = "Create an API token for a user. The token is printed once; only its hash is kept."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for, e.g. 'survey app'.")

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        try:
            user = user_model.objects.get(username=options["username"])
        except user_model.DoesNotExist as exc:
            raise CommandError(f"No user named {options['username']!r}.") from exc
        if not user.is_active:
            raise CommandError(f"User {options['username']!r} is not active.")
        token = ApiToken.new_token()
        ApiToken.objects.create(user=user, name=options["name"], token_hash=hash_token(token))
        self.stdout.write(token)
        self.stderr.write("Keep this token now: it cannot be shown again.")
