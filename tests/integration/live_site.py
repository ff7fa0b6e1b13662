"""Tandir served by a real server process on a loopback port, on an SQLite file of its own.

For the serving and SQLite concurrency tests: `seed_database` migrates a fresh SQLite file and
builds the test world in it (with an API token and a registration body), `serve` starts
`tandir serve` (Django's server, as the demo runs) or `tandir serve --production` (gunicorn) on
a copy of it, whichever database the rest of the suite uses.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SECRET_KEY = "live-site-" + "k3Y!q9" * 10
# A production server's start (imports, checks, workers) took over 30 s once on a machine at
# load average 4.5 on its two cores; a server that does not start at all fails as clearly at 90.
START_TIMEOUT = 90.0

SEED_SCRIPT = """
import json
import django
from django.conf import settings

django.setup()
# Fast hashes for the world's many users; the one who logs in through a browser gets a real one.
settings.PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
from django.contrib.auth.hashers import make_password
from django.core.management import call_command

call_command("migrate", verbosity=0)
from tests.api.conftest import new_person, token_for
from tests.factories import PASSWORD, build_world

world = build_world()
world.admin.is_staff = True
world.admin.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
world.admin.save()
print(json.dumps({
    "token": token_for(world.intake_a),
    "person": new_person(world),
    "username": world.admin.username,
    "password": PASSWORD,
}))
"""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer to look at, not to follow.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


@dataclass(frozen=True)
class SeededDatabase:
    path: Path
    token: str
    person: dict[str, Any]
    username: str
    password: str


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode()


@dataclass
class Site:
    url: str
    database: Path
    log: Path
    process: subprocess.Popen[bytes]
    started_in: float = 0.0

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> Answer:
        all_headers = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers=all_headers
        )
        try:
            with _OPENER.open(request, timeout=60) as response:
                return Answer(response.status, dict(response.headers.items()), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers.items()), error.read())

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def base_environment(home: Path, database: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TANDIR_", "DJANGO_", "PYTEST_"))
    }
    env.update(
        {
            "TANDIR_HOME": str(home),
            "TANDIR_DATABASE_URL": f"sqlite:///{database}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def run_tandir(
    env: dict[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tandir.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def seed_database(folder: Path) -> SeededDatabase:
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "seed.sqlite3"
    env = base_environment(folder, database) | {"DJANGO_SETTINGS_MODULE": "tandir.settings"}
    result = subprocess.run(
        [sys.executable, "-c", SEED_SCRIPT],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    seeded = json.loads(result.stdout.strip().splitlines()[-1])
    return SeededDatabase(
        path=database,
        token=seeded["token"],
        person=seeded["person"],
        username=seeded["username"],
        password=seeded["password"],
    )


def copy_database(seed: SeededDatabase, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "tandir.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{seed.path}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{target}{suffix}")
    return target


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def production_environment(home: Path, database: Path) -> dict[str, str]:
    return base_environment(home, database) | {
        "DJANGO_SETTINGS_MODULE": "tandir.settings_production",
        "TANDIR_SECRET_KEY": SECRET_KEY,
        "TANDIR_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


@contextmanager
def serve(
    home: Path, database: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[Site]:
    """Run `tandir serve ARGS` on a free loopback port until the block ends.

    `env` replaces the environment (see `base_environment`, `production_environment`).
    """
    port = free_port()
    log = home / f"server-{port}.log"
    environment = env if env is not None else base_environment(home, database)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tandir.cli", "serve", "--port", str(port), *args],
            cwd=REPO,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    site = Site(f"http://127.0.0.1:{port}", database, log, process)
    try:
        site.started_in = wait_until_up(site)
        yield site
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def wait_until_up(site: Site) -> float:
    """Seconds until the server answers; fails with its log if it exits or never answers."""
    started = time.monotonic()
    while time.monotonic() - started < START_TIMEOUT:
        if site.process.poll() is not None:
            raise AssertionError(
                f"the server exited ({site.process.returncode}):\n{site.log_text()}"
            )
        try:
            with socket.create_connection(("127.0.0.1", int(site.url.rsplit(":", 1)[1])), 0.2):
                return time.monotonic() - started
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"the server did not answer within {START_TIMEOUT} s:\n{site.log_text()}")
