"""The `tandir` command.

`tandir schedule` is pure loan math and starts no Django. Every other sub-command is a Django
management command; unknown ones pass straight through (`tandir check --deploy`).
"""

from __future__ import annotations

import os
import sys

USAGE = """usage: tandir COMMAND [ARGS]     (tandir COMMAND --help for a command's options)

running Tandir:
  demo [--serve] [--port N]     migrate an SQLite database, load the demo programme if empty
  serve [--port N]              serve Tandir on http://127.0.0.1:8000 (development server)
  serve --production            serve with gunicorn and the production settings
  migrate                       create or update the database tables
  compilemessages               compile the translation catalogues

people and accounts:
  createadmin                   create an administrator account
  createtoken USERNAME [--days N] [--scope read|read_write]
                                make an API token (shown once)
  purgeidempotency              delete stored API answers older than their lifetime
  import beneficiaries FILE --as USERNAME
                                import beneficiaries from CSV or XLSX (all or nothing)

lending:
  import loans FILE --as USERNAME
                                bring an existing loan portfolio (all or nothing)
  import repayments FILE --as USERNAME
                                post a partner bank's statement (all or nothing, once)
  portfolio --as-of DATE [--organization CODE] [--json]
                                every loan's state on a date: outstanding, overdue, bucket

close of business:
  cob --date DATE [--organization NAME] [--as USERNAME]
                                close one business day: penalties, arrears, accruals, snapshots
  cob --through DATE [--organization NAME] [--as USERNAME]
                                close every day not yet closed, in order, through DATE
  worker [--burst]              run the scheduled jobs (close of business every night)
  synth --loans N [--organization CODE] [--seed N] [--as-of DATE]
                                build a synthetic national portfolio for benchmarks

training, plans, associations:
  import attendance FILE --cohort CODE --as USERNAME
                                a cohort's attendance sheet (all or nothing)

events and cooperation:
  events reminders [--as-of DATE] [--organization NAME]
                                overdue activities of cooperation agreements' action plans

impact and reports:
  import responses FILE --instrument CODE --as USERNAME
                                survey answers from CSV, XLSX or KoboToolbox JSON (all or nothing)
  report portfolio --as-of DATE [--from DATE] [--organization CODE] --json
                                portfolio quality: GLP, PAR, buckets, write-offs, repayment rates
  report donor --project CODE --from DATE --to DATE [--currency USD] --format json|xlsx|pdf
         [--output FILE]        the donor report of a project for a period
  report network --network CODE --as-of DATE
                                publish this organisation's anonymised figures to a network

loan engine:
  schedule --amount ... [--json]
                                print a repayment schedule with APR and EIR

Any other Django management command passes through (tandir check --deploy).
"""


# `tandir import WHAT`: each is the management command `import_WHAT`.
IMPORTS = ("beneficiaries", "loans", "repayments", "attendance", "responses")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0
    command, rest = args[0], args[1:]
    if command == "schedule":
        from tandir.schedule_cli import main as schedule_main

        try:
            return schedule_main(rest)
        except BrokenPipeError:
            # `tandir schedule ... | head` closed the pipe early: not an error of ours.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    if command == "compilemessages":
        from tandir.core.translations import compile_catalogues

        compile_catalogues()
        return 0

    if command == "serve" and "--production" in rest:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandir.settings_production")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandir.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings module
    except ImproperlyConfigured as exc:
        # A configuration mistake (a missing secret key, say) is one line, not a traceback.
        print(f"tandir: {exc}", file=sys.stderr)
        return 1

    if command == "import":
        if not rest or rest[0] not in IMPORTS:
            print(
                "tandir import: what to import? usage: tandir import "
                f"{'|'.join(IMPORTS)} FILE --as USERNAME",
                file=sys.stderr,
            )
            return 2
        django_args = [f"import_{rest[0]}", *rest[1:]]
    elif command == "events" and rest[:1] == ["reminders"]:
        django_args = ["events_reminders", *rest[1:]]
    elif command == "serve":
        django_args = ["serve", *rest]
    else:
        django_args = [command, *rest]
    execute_from_command_line(["tandir", *django_args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
