"""Real Chromium against a live Tandir server, for the end-to-end tests.

The browser is the Debian package at /usr/bin/chromium, started offline: Playwright never
downloads one. Without it the tests skip with a message, except where TANDIR_REQUIRE_E2E=1
(CI) makes a missing browser a failure. Screenshots go to test-artifacts/ at the repository root.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MISSING = f"Chromium not found at {CHROMIUM}"
TIMEOUT_MS = 15_000


def e2e_required() -> bool:
    return os.environ.get("TANDIR_REQUIRE_E2E") == "1"


def _no_browser(reason: str) -> None:
    if e2e_required():
        pytest.fail(
            f"{reason}, but TANDIR_REQUIRE_E2E=1 requires the end-to-end tests", pytrace=False
        )
    pytest.skip(f"{reason}: end-to-end tests skipped (CI always runs them)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Keep each phase's report on the test so a fixture can tell whether the test failed.
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def browser_page(
    request: pytest.FixtureRequest,
    live_server: Any,
    transactional_db: None,
    artifacts_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Any]:
    """A fresh Chromium page whose relative URLs resolve against the live server.

    Requests to anything but the live server are blocked and recorded (CI machines are
    offline, so a page that needs the internet would hang there); the test fails if a page
    made one, or if a page raised a JavaScript error. A failing test leaves a screenshot.
    """
    if not CHROMIUM.exists():
        _no_browser(MISSING)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev dependencies include playwright
        _no_browser("The playwright package is not installed")

    # Playwright's sync API runs an asyncio loop in this thread, which trips Django's
    # async-safety check on the test's own database access; only for this test.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    base = live_server.url.rstrip("/")
    external: list[str] = []
    js_errors: list[str] = []

    def keep_offline(route: Any) -> None:
        url = route.request.url
        if url.startswith(base) or re.match(r"^(data|blob|about):", url):
            route.continue_()
        else:
            external.append(url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            base_url=base,
            locale="en-GB",
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", keep_offline)
        page = context.new_page()
        page.on("pageerror", lambda error: js_errors.append(str(error)))
        try:
            yield page
            call = getattr(request.node, "_report_call", None)
            if call is not None and call.failed:
                page.screenshot(path=artifacts_dir / f"{request.node.name}-failure.png")
        finally:
            context.close()
            browser.close()
    assert not external, f"pages requested resources outside the server: {external}"
    assert not js_errors, f"JavaScript errors on the pages: {js_errors}"
