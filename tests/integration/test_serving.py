"""Serving for real: `tandir serve --production` (gunicorn and whitenoise) on a loopback port,
the production settings (secret key, hosts, logs), and the Content-Security-Policy."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from pytest_django.fixtures import Settings as DjangoSettings

from tandir.web.middleware import content_security_policy
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, e2e_required
from tests.factories import World, register
from tests.integration.live_site import (
    REPO,
    SeededDatabase,
    Site,
    copy_database,
    production_environment,
    run_tandir,
    seed_database,
    serve,
)

# A proxy that terminated HTTPS says so; without it the production settings redirect to https.
BEHIND_HTTPS = {"X-Forwarded-Proto": "https"}
TEMPLATES = sorted((REPO / "src" / "tandir").glob("*/templates/**/*.html"))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> SeededDatabase:
    return seed_database(tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="module")
def production_site(
    seeded: SeededDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("production")
    database = copy_database(seeded, home)
    env = production_environment(home, database)
    with serve(home, database, "--production", "--workers", "2", env=env) as site:
        yield site


def test_production_server_serves_a_page_with_the_security_headers(production_site: Site) -> None:
    page = production_site.request("GET", "/accounts/login/", headers=BEHIND_HTTPS)
    assert page.status == 200
    assert page.headers["Server"].startswith("gunicorn")
    assert "Log in to Tandir" in page.text()
    assert page.headers["Content-Security-Policy"] == content_security_policy()
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert page.headers["X-Frame-Options"] == "DENY"


def test_production_server_redirects_plain_http_to_https(production_site: Site) -> None:
    answer = production_site.request("GET", "/accounts/login/")
    assert answer.status == 301
    assert answer.headers["Location"].startswith("https://127.0.0.1:")


def test_production_server_serves_hashed_compressed_static_files(production_site: Site) -> None:
    page = production_site.request("GET", "/accounts/login/", headers=BEHIND_HTTPS).text()
    stylesheet = re.search(r'href="(/static/tandir/app\.[0-9a-f]{12}\.css)"', page)
    script = re.search(r'src="(/static/tandir/htmx\.min\.[0-9a-f]{12}\.js)"', page)
    assert stylesheet and script, page

    css = production_site.request("GET", stylesheet.group(1), headers=BEHIND_HTTPS)
    assert css.status == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert b".topbar" in css.body
    # A hashed name never changes its content, so browsers may keep it for as long as they like.
    assert "immutable" in css.headers["Cache-Control"]

    gzipped = production_site.request(
        "GET", script.group(1), headers=BEHIND_HTTPS | {"Accept-Encoding": "gzip"}
    )
    assert gzipped.status == 200
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert gzipped.body[:2] == b"\x1f\x8b"


def test_production_server_logs_requests_without_their_query_strings(
    production_site: Site,
) -> None:
    # A search names the person looked for; the access log must not keep it.
    path = "/accounts/login/?next=/beneficiaries/%3Fq%3DPetrosyan"
    assert production_site.request("GET", path, headers=BEHIND_HTTPS).status == 200
    log = production_site.log_text()
    assert '"GET /accounts/login/" 200' in log
    assert "Petrosyan" not in log


def test_production_server_refuses_a_database_that_needs_migrating(tmp_path: Path) -> None:
    env = production_environment(tmp_path, tmp_path / "empty.sqlite3")
    result = run_tandir(env, "serve", "--production", "--port", "9")
    assert result.returncode == 1
    assert "tandir migrate" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("settings_module", "arguments"),
    [
        ("tandir.settings_production", ["migrate"]),
        # `serve --production` picks the production settings by itself.
        (None, ["serve", "--production"]),
    ],
)
def test_a_missing_secret_key_is_a_one_line_error(
    tmp_path: Path, settings_module: str | None, arguments: list[str]
) -> None:
    env = production_environment(tmp_path, tmp_path / "tandir.sqlite3")
    del env["TANDIR_SECRET_KEY"]
    env.pop("DJANGO_SETTINGS_MODULE")
    if settings_module:
        env["DJANGO_SETTINGS_MODULE"] = settings_module
    result = run_tandir(env, *arguments)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tandir: Set TANDIR_SECRET_KEY")


def test_production_settings_allow_no_testserver_and_log_tracebacks_to_stderr(
    tmp_path: Path,
) -> None:
    env = production_environment(tmp_path, tmp_path / "tandir.sqlite3")
    del env["TANDIR_ALLOWED_HOSTS"]
    script = (
        "import logging\n"
        "import django\n"
        "from django.conf import settings\n"
        "django.setup()\n"
        "print(','.join(settings.ALLOWED_HOSTS))\n"
        "try:\n"
        "    1 / 0\n"
        "except ZeroDivisionError:\n"
        "    logging.getLogger('django.request').exception('Internal Server Error: /boom/')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "testserver" not in result.stdout.split(",")
    assert result.stdout.strip() == "127.0.0.1,localhost"
    assert "ERROR django.request: Internal Server Error: /boom/" in result.stderr
    assert "Traceback (most recent call last)" in result.stderr
    assert "ZeroDivisionError" in result.stderr


def test_pages_carry_the_content_security_policy(client: Client, db: None) -> None:
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert policy == content_security_policy()
    script_sources = settings.SECURE_CSP["script-src"]
    assert "'unsafe-inline'" not in script_sources
    assert "'unsafe-eval'" not in script_sources
    assert "frame-ancestors 'none'" in policy


def test_debug_pages_carry_no_policy(client: Client, db: None, settings: DjangoSettings) -> None:
    settings.DEBUG = True
    assert "Content-Security-Policy" not in client.get("/accounts/login/")


def _inline_scripts(template: Path) -> list[str]:
    text = template.read_text()
    handlers = [
        m.group(2) for m in re.finditer(r"""\son[a-z]+\s*=\s*(["'])(.*?)\1""", text, re.I | re.S)
    ]
    scripts = [
        m.group(2)
        for m in re.finditer(r"<script\b([^>]*)>(.*?)</script>", text, re.I | re.S)
        if "src=" not in m.group(1) and "application/json" not in m.group(1)
    ]
    return handlers + scripts


def test_every_inline_script_in_the_templates_is_allowed_by_its_hash() -> None:
    """The policy allows inline JavaScript only by hash: a new inline handler needs its hash in
    SECURE_CSP (or, better, a static script), or it silently stops working in the browser."""
    assert TEMPLATES
    allowed = set(settings.SECURE_CSP["script-src"])
    missing = []
    for template in TEMPLATES:
        text = template.read_text()
        assert "javascript:" not in text, f"{template}: javascript: URLs are blocked by the policy"
        for script in _inline_scripts(template):
            assert "{{" not in script and "{%" not in script, (
                f"{template}: an inline script that changes per page cannot be allowed by hash"
            )
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            if f"'sha256-{digest}'" not in allowed:
                missing.append(f"{template.relative_to(REPO)}: 'sha256-{digest}' for {script!r}")
    assert not missing, "add to SECURE_CSP['script-src'] or move to a static file:\n" + "\n".join(
        missing
    )


@pytest.mark.e2e
def test_pages_keep_working_in_chromium_under_the_policy(
    seeded: SeededDatabase, tmp_path: Path
) -> None:
    """Log in, search with htmx, switch language (the inline handler), open the admin and the
    API docs on the production server, with no script or style refused by the policy."""
    if not CHROMIUM.exists():
        if e2e_required():
            pytest.fail(f"Chromium not found at {CHROMIUM}, but TANDIR_REQUIRE_E2E=1")
        pytest.skip(f"Chromium not found at {CHROMIUM}: end-to-end tests skipped")
    from playwright.sync_api import expect, sync_playwright

    database = copy_database(seeded, tmp_path)
    # Plain HTTP on the loopback (a browser keeps Secure cookies for localhost).
    env = production_environment(tmp_path, database) | {"TANDIR_SSL_REDIRECT": "0"}
    refused: list[str] = []
    errors: list[str] = []
    with (
        serve(tmp_path, database, "--production", "--workers", "1", env=env) as site,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(base_url=site.url.replace("127.0.0.1", "localhost"))
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            page.goto("/accounts/login/")
            page.fill("#id_username", seeded.username)
            page.fill("#id_password", seeded.password)
            page.locator("form:has(#id_password) [type=submit]").click()
            expect(page).not_to_have_url(re.compile(r"/accounts/login/"))

            page.goto("/beneficiaries/")
            with page.expect_request(lambda r: r.headers.get("hx-request") == "true"):
                page.locator("input[name=q]").fill("Anahit")
            expect(page).to_have_url(re.compile(r"q=Anahit"))

            page.select_option("select#language-select", "ur")
            expect(page.locator("html")).to_have_attribute("lang", "ur")
            page.select_option("select#language-select", "en")
            expect(page.locator("html")).to_have_attribute("lang", "en")

            page.goto("/admin/")
            expect(page.locator("#site-name")).to_be_visible()
            page.goto("/api/v1/docs")
            expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
        finally:
            context.close()
            browser.close()
    assert not refused, refused
    assert not errors, errors


def _postgres_bin() -> Path | None:
    found = shutil.which("pg_dump")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))
    return candidates[-1].parent if candidates else None


def _url(settings_dict: dict[str, object], name: str) -> str:
    user = quote(str(settings_dict["USER"] or ""), safe="")
    password = quote(str(settings_dict["PASSWORD"] or ""), safe="")
    host = settings_dict["HOST"] or "localhost"
    port = settings_dict["PORT"] or 5432
    return f"postgresql://{user}:{password}@{host}:{port}/{name}"


def _table_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        counts = {}
        for table in tables:
            row = db.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            assert row is not None
            counts[table] = int(row[0])
        return counts


# Skipped before a transactional database is set up for it, which costs a flush.
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="pg_dump backups are for PostgreSQL; run the suite on PostgreSQL to test them",
)
@pytest.mark.django_db(transaction=True)
def test_a_nightly_backup_restores_into_an_empty_database(world: World, tmp_path: Path) -> None:
    """deploy/backup.sh and deploy/restore.sh, on the suite's PostgreSQL database."""
    pg_bin = _postgres_bin()
    if pg_bin is None:
        pytest.skip("pg_dump not found")
    person = register(world, first_name="Անահիտ", last_name="Պետրոսյան")
    source = _url(connection.settings_dict, connection.settings_dict["NAME"])
    env = os.environ | {
        "PG_BIN": str(pg_bin),
        "TANDIR_DATABASE_URL": source,
        "TANDIR_BACKUP_DIR": str(tmp_path / "backups"),
    }

    backup = subprocess.run(
        ["sh", str(REPO / "deploy" / "backup.sh")], env=env, capture_output=True, text=True
    )
    assert backup.returncode == 0, backup.stderr
    archive = Path(backup.stdout.strip())
    assert archive.is_file() and archive.parent == tmp_path / "backups"
    assert not list(archive.parent.glob("*.partial"))

    target_name = f"tandir_restore_{uuid.uuid4().hex[:12]}"
    target = _url(connection.settings_dict, target_name)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{target_name}"')
    try:
        restore = subprocess.run(
            ["sh", str(REPO / "deploy" / "restore.sh"), str(archive), target],
            env=env,
            capture_output=True,
            text=True,
        )
        assert restore.returncode == 0, restore.stderr
        assert _table_counts(target) == _table_counts(source)
        with psycopg.connect(target) as restored:
            row = restored.execute(
                "SELECT first_name, last_name FROM registry_beneficiary WHERE id = %s",
                [person.pk],
            ).fetchone()
        assert row == ("Անահիտ", "Պետրոսյան")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')
