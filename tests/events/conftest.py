"""Fixtures of the events tests; the browser fixtures are the end-to-end tests' own."""

from tests.e2e.conftest import artifacts_dir, browser_page
from tests.events.factories import events, today

__all__ = ["artifacts_dir", "browser_page", "events", "today"]
