"""Debian's Chromium, driven by Playwright, for the browser tests of every app.

Playwright's sync API runs an event loop in the test's thread, and Django then hands out a
separate database connection for it: a browser started once the test database is set up, and
that connection closed before the test database is flushed, keep the two apart (and the flush
sees the test's rows).
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from tests.conftest import _missing

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium(artifacts: Path) -> Iterator[Any]:
    """A headless Chromium, closed afterwards with the connection its thread used; screenshots
    go to `artifacts`. Without Chromium or Playwright the test fails in CI, and skips elsewhere."""
    if not os.path.exists(CHROMIUM):
        _missing(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[dev]')")
    artifacts.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # The tests' own ORM calls are plain synchronous code all the same.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()
