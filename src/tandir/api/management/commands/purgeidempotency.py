"""`tandir purgeidempotency`: delete stored answers to idempotent requests once they expire.

They hold whole records with personal data and are never replayed after
`TANDIR_IDEMPOTENCY_HOURS` (default 24), so keeping them longer serves no one. Run it daily
(cron or a systemd timer); it deletes with one statement however many there are.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tandir.api.conf import idempotency_lifetime
from tandir.api.idempotency import purge_expired


class Command(BaseCommand):
    help = (
        "Delete stored answers to requests with an Idempotency-Key that are older than "
        "TANDIR_IDEMPOTENCY_HOURS (default 24)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = purge_expired()
        hours = idempotency_lifetime().total_seconds() / 3600
        self.stdout.write(f"Deleted {deleted} idempotency records older than {hours:g} hours.")
