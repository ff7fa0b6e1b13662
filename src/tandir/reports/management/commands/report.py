"""`tandir report portfolio|donor|network`: each sub-command lives beside the report it prints."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tandir.reports import cli_donor, cli_network, cli_portfolio

SUBCOMMANDS = {
    "portfolio": cli_portfolio,
    "donor": cli_donor,
    "network": cli_network,
}


class Command(BaseCommand):
    help = "Print a report: portfolio quality, a project's donor report, network figures."

    def add_arguments(self, parser: ArgumentParser) -> None:
        subparsers = parser.add_subparsers(dest="report", required=True)
        for name, module in SUBCOMMANDS.items():
            sub = subparsers.add_parser(name, help=module.HELP)
            module.add_arguments(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        module = SUBCOMMANDS.get(options["report"])
        if module is None:
            raise CommandError(f"unknown report {options['report']!r}")
        module.handle(self, options)
