"""`tandir serve`: run Tandir on this machine with Django's server, static files included."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser, OutputWrapper
from django.utils.translation import gettext as _

DEFAULT_ADDR = "127.0.0.1"
DEFAULT_PORT = 8000


def add_server_arguments(parser: CommandParser) -> None:
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=_("port to listen on"))
    parser.add_argument("--addr", default=DEFAULT_ADDR, help=_("address to listen on"))


def site_url(addr: str, port: int) -> str:
    """The address to open in a browser; a server on every interface is reached locally."""
    host = "127.0.0.1" if addr in {"0.0.0.0", "::", ""} else addr
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def run_server(stdout: OutputWrapper, addr: str, port: int) -> None:
    stdout.write(
        _("Serving Tandir at %(url)s — press Ctrl+C to stop.") % {"url": site_url(addr, port)}
    )
    # --insecure serves the static files even with DEBUG off, as the demo runs.
    bind = f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"
    call_command("runserver", bind, "--insecure", use_reloader=False)


class Command(BaseCommand):
    help = _("Serve Tandir on this machine (default http://127.0.0.1:8000).")

    def add_arguments(self, parser: CommandParser) -> None:
        add_server_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        run_server(self.stdout, options["addr"], options["port"])
