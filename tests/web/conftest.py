"""Browser fixtures for the web tests: Debian's Chromium driven by Playwright (see tests/web/browser.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from .browser import ANSWER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def browser() -> Iterator:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.fail("chromium is not installed: run `make browser` (Debian: apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A page in a fresh context (its own profile: no cookies, no storage), 1360x900; records off-host requests."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    context.set_default_timeout(ANSWER_TIMEOUT_MS)
    page = context.new_page()
    page.off_host_requests = []
    page.on(
        "request",
        lambda r: (
            page.off_host_requests.append(r.url)
            if urlparse(r.url).hostname not in (None, "127.0.0.1", "localhost")
            and not r.url.startswith(("data:", "blob:"))
            else None
        ),
    )
    yield page
    context.close()
