"""The API against its own OpenAPI document, fuzzed by schemathesis as `schemathesis run` does.

Every phase (examples, coverage, fuzzing, stateful) and every check runs in-process against the
WSGI application with a real token of an intake officer, on the test database (SQLite or
PostgreSQL). The run is seeded and keeps no cache, so it repeats; any failure fails the test
with schemathesis's own report (a curl command per failing case).

By hand, fuzz longer or elsewhere:
`TANDIR_FUZZ_EXAMPLES=1000 TANDIR_FUZZ_SEED=7 .venv/bin/pytest tests/api/test_fuzz.py -s`.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import schemathesis
import werkzeug.test
from django.core.handlers.wsgi import WSGIHandler
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.engine.statistic import Statistic

from tests.api.conftest import token_for
from tests.factories import World

SEED = int(os.environ.get("TANDIR_FUZZ_SEED", "20260601"))
MIN_CASES = 1000
EXAMPLES = int(os.environ.get("TANDIR_FUZZ_EXAMPLES", "80"))

# Registering or changing a person is refused with 422 for rules JSON Schema cannot state (the
# age on today's date, dependants fewer than members, ids in the caller's scope, a phone that is
# a phone), so a schema-valid body may get 422 there. Everywhere else, valid input gets 2xx.
CONFIG = """
seed = {seed}
workers = 1
continue-on-failure = true

[generation]
max-examples = {examples}
database = "none"

[phases.stateful.generation]
max-examples = 20

[cache]
enabled = false

[headers]
Authorization = "Bearer {token}"

[[operations]]
include-method-regex = "POST|PATCH"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
"""


class Application:
    """Django as a server runs it, keeping each thread's database connection for the whole run:
    a new PostgreSQL connection per request, authentication and all, doubled the run's time.
    `close()` ends them from the test's thread, so no session outlives the test database."""

    def __init__(self) -> None:
        self.django = WSGIHandler()
        self.kept: list[BaseDatabaseWrapper] = []
        self.lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        response = self.django(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            response.close()  # ends the request, as a server does
            self._keep(connections[DEFAULT_DB_ALIAS])

    def _keep(self, connection: BaseDatabaseWrapper) -> None:
        with self.lock:
            if connection not in self.kept:
                connection.inc_thread_sharing()
                self.kept.append(connection)

    def close(self) -> None:
        for connection in self.kept:
            if connection is not connections[DEFAULT_DB_ALIAS]:
                connection.close()
            connection.dec_thread_sharing()
        self.kept.clear()


@pytest.fixture
def _in_process_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workarounds for schemathesis 4.32's WSGI transport.

    Its `ignored_auth` probe hands werkzeug the network options of `requests` (max_redirects,
    verify, cert), which werkzeug refuses; drop them as its main send path does. And it tries to
    import Flask for every request; Flask is not installed, so say so at once instead of letting
    Python search the whole path each time.
    """
    open_request = werkzeug.test.Client.open

    def open_without_network_options(self: Any, *args: Any, **kwargs: Any) -> Any:
        for name in ("max_redirects", "verify", "cert"):
            kwargs.pop(name, None)
        return open_request(self, *args, **kwargs)

    monkeypatch.setattr(werkzeug.test.Client, "open", open_without_network_options)
    monkeypatch.setitem(sys.modules, "flask", None)


def failure_report(statistic: Statistic) -> list[str]:
    lines = []
    for label, grouped in statistic.failures.items():
        for group in grouped.values():
            lines.append(f"{label}: {', '.join(f.title for f in group.failures)}")
            lines.extend(f"    {f.message}" for f in group.failures)
            lines.append(f"    {group.code_sample}")
    return lines


@pytest.mark.django_db(transaction=True)  # the engine's worker thread has its own connection
@pytest.mark.usefixtures("_in_process_transport")
def test_schemathesis_finds_no_failure_in_a_seeded_run_of_every_phase_and_check(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(connections[DEFAULT_DB_ALIAS].settings_dict, "CONN_MAX_AGE", None)
    application = Application()
    token = token_for(world.intake_a)
    config = SchemathesisConfig.from_str(CONFIG.format(seed=SEED, examples=EXAMPLES, token=token))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=config)
    statistic = Statistic()
    errors: list[str] = []
    started = time.monotonic()
    try:
        for event in from_schema(schema).execute():
            if isinstance(event, events.ScenarioFinished):
                statistic.on_scenario_finished(event.recorder)
            elif isinstance(event, events.NonFatalError):
                errors.append(f"{event.label}: {''.join(traceback.format_exception(event.value))}")
            elif isinstance(event, events.FatalError):
                errors.append("".join(traceback.format_exception(event.exception)))
    finally:
        application.close()
    seconds = time.monotonic() - started
    print(f"schemathesis: {statistic.total_cases} cases in {seconds:.1f} s, seed {SEED}")

    assert not errors, "\n".join(errors)
    assert not statistic.failures, "\n".join(failure_report(statistic))
    assert statistic.total_cases >= MIN_CASES
