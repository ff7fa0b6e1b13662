"""The end-to-end fixtures (live server, offline Chromium) for the associations' browser test."""

from tests.e2e.conftest import artifacts_dir, browser_page

__all__ = ["artifacts_dir", "browser_page"]
