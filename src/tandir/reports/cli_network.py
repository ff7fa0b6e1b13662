"""`tandir report network`."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

HELP = "network report"


def add_arguments(parser: ArgumentParser) -> None:
    pass


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    raise CommandError("not built yet")
