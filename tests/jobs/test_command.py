"""`tandir worker` in its own process: `--burst` works the queue and exits; without it the
cluster runs until SIGTERM stops it.

The child process uses this test's database: on PostgreSQL the test database itself, on
SQLite a copy of the in-memory test database written to a file.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from tandir.jobs import actions
from tandir.jobs.models import JobRun, RunStatus
from tests.factories import World
from tests.jobs.factories import accountant

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def database_for_child(tmp_path: Path) -> tuple[str, Path | None]:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "worker.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        return f"sqlite:///{path}", path
    user, password = settings["USER"], settings["PASSWORD"]
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{settings['NAME']}", None


def child_environment(url: str) -> dict[str, str]:
    env = {**os.environ, "TANDIR_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    return env


def tandir(*args: str) -> list[str]:
    return [sys.executable, "-m", "tandir.cli", *args]


def test_worker_burst_works_the_queue_and_exits(world: World, tmp_path: Path) -> None:
    run = actions.run_now(accountant(world), world.org)
    url, sqlite_file = database_for_child(tmp_path)
    result = subprocess.run(
        tandir("worker", "--burst"),
        env=child_environment(url),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "worker: 1 task(s) done" in result.stdout
    if sqlite_file is not None:
        with sqlite3.connect(sqlite_file) as db:
            status, error = db.execute(
                "SELECT status, error FROM jobs_jobrun WHERE id = ?", (run.pk,)
            ).fetchone()
    else:
        run.refresh_from_db()
        status, error = run.status, run.error
    # The child ran tandir.cob's real close of business (the organisation has no loans).
    assert status == RunStatus.FINISHED, error


def test_worker_starts_and_stops_on_sigterm(world: World, tmp_path: Path) -> None:
    url, _ = database_for_child(tmp_path)
    process = subprocess.Popen(
        tandir("worker"),
        env=child_environment(url),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 240
        seen = []
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "worker: running" in line:
                break
        assert any("worker: running" in line for line in seen), "".join(seen)[-3000:]
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, rest[-3000:]
    assert "worker: stopped" in rest
    assert not JobRun.objects.exists()
