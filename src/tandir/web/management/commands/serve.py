"""`tandir serve`: run Tandir on this machine.

Without options it runs Django's development server, static files included, as the demo does.
`tandir serve --production` runs gunicorn (threaded workers) with whitenoise serving the static
files: it collects them, refuses to start on a database that needs `tandir migrate`, and logs
requests without their query strings (searches carry people's names).
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.core.wsgi import get_wsgi_application
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

DEFAULT_ADDR = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_THREADS = 4
# Address, time, method, path (no query string), status, bytes, milliseconds.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


def default_workers() -> int:
    """Gunicorn's rule of thumb (two per core, plus one), at most eight."""
    return min(2 * (os.cpu_count() or 1) + 1, 8)


def add_server_arguments(parser: CommandParser) -> None:
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=_("port to listen on"))
    parser.add_argument("--addr", default=DEFAULT_ADDR, help=_("address to listen on"))


def site_url(addr: str, port: int) -> str:
    """The address to open in a browser; a server on every interface is reached locally."""
    host = "127.0.0.1" if addr in {"0.0.0.0", "::", ""} else addr
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def bind_address(addr: str, port: int) -> str:
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def run_server(stdout: OutputWrapper, addr: str, port: int) -> None:
    stdout.write(
        _("Serving Tandir at %(url)s — press Ctrl+C to stop.") % {"url": site_url(addr, port)}
    )
    # --insecure serves the static files even with DEBUG off, as the demo runs.
    call_command("runserver", bind_address(addr, port), "--insecure", use_reloader=False)


def unapplied_migrations() -> int:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def gunicorn_options(addr: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    return {
        "bind": [bind_address(addr, port)],
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": int(os.environ.get("TANDIR_WORKER_TIMEOUT", "120")),
        "graceful_timeout": 30,
        "keepalive": 5,
        # A fresh worker now and then keeps a slow leak from growing for weeks.
        "max_requests": 5000,
        "max_requests_jitter": 500,
        "preload_app": True,
        "proc_name": "tandir",
        "accesslog": "-",
        "errorlog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        # The reverse proxy in front, trusted for X-Forwarded-Proto.
        "forwarded_allow_ips": os.environ.get("TANDIR_FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
        # Gunicorn's control socket lives in the home directory; two servers would share it.
        "control_socket_disable": True,
    }


def run_production_server(
    stdout: OutputWrapper, addr: str, port: int, workers: int, threads: int
) -> None:
    from gunicorn.app.base import BaseApplication

    pending = unapplied_migrations()
    if pending:
        raise CommandError(
            _(
                "The database is not up to date (%(count)d migrations to apply): "
                "run `tandir migrate` first."
            )
            % {"count": pending}
        )
    call_command("collectstatic", interactive=False, verbosity=0)
    application = get_wsgi_application()
    # The workers are forked from this process: none may inherit its database connection.
    connections.close_all()

    class ProductionServer(BaseApplication):
        def load_config(self) -> None:
            for key, value in gunicorn_options(addr, port, workers, threads).items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    stdout.write(
        _(
            "Serving Tandir (production) at %(url)s with %(workers)d workers of %(threads)d "
            "threads — press Ctrl+C to stop."
        )
        % {"url": site_url(addr, port), "workers": workers, "threads": threads}
    )
    stdout.flush()
    ProductionServer().run()


class Command(BaseCommand):
    help = _(
        "Serve Tandir on this machine (default http://127.0.0.1:8000); "
        "--production runs gunicorn with the production settings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_server_arguments(parser)
        parser.add_argument(
            "--production",
            action="store_true",
            help=_("serve with gunicorn and whitenoise instead of the development server"),
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("TANDIR_WORKERS", "0")) or None,
            help=_("worker processes (--production; default two per CPU core plus one, at most 8)"),
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("TANDIR_THREADS", str(DEFAULT_THREADS))),
            help=_("threads per worker (--production; default 4)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["production"]:
            run_production_server(
                self.stdout,
                options["addr"],
                options["port"],
                options["workers"] or default_workers(),
                max(1, options["threads"]),
            )
        else:
            run_server(self.stdout, options["addr"], options["port"])
