"""The built site in a real browser: headless Debian Chromium driven by Playwright, the site served on loopback.

Checks the home page, navigation, an API reference page and search, with no console error on any of them.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
_TIMEOUT_MS = 20_000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium package is not installed (/usr/bin/chromium); .ci/run installs it"
)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the site strictly into a temporary directory and serve it on 127.0.0.1 (ephemeral port)."""
    site = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-5000:]
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _failed_request(problems: list[str], url: str, failure: str | None) -> None:
    """A failed request is a problem, except one cancelled because the test navigated away (ERR_ABORTED)."""
    if failure != "net::ERR_ABORTED":
        problems.append(f"request failed: {url} {failure}")


@pytest.mark.timeout(180)
def test_site_renders_in_chromium(site_url: str) -> None:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(_TIMEOUT_MS)
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: _failed_request(problems, r.url, r.failure))

            page.goto(site_url)
            assert "qwen-integrations" in page.title()
            assert page.locator("article h1").first.inner_text().strip(" ¶\n") == "qwen-integrations"

            page.locator("nav.md-nav--primary a.md-nav__link", has_text="Errors and retries").first.click()
            page.wait_for_url("**/guides/errors/")
            assert page.locator("article h1").first.inner_text().strip(" ¶\n") == "Errors and retries"
            assert page.locator("article table").count() >= 1

            page.goto(site_url + "reference/langchain_qwen/")
            heading = page.locator(".doc-heading", has_text="ChatQwen").first
            assert heading.is_visible()
            assert page.locator("article .doc-contents pre").count() >= 3

            page.goto(site_url)
            search = page.locator("input.md-search__input")
            search.click()
            search.press_sequentially("emulator", delay=20)  # Material searches on key events
            results = page.locator(".md-search-result__item")
            results.first.wait_for(state="visible")
            assert results.count() >= 1
        finally:
            browser.close()
    assert problems == [], problems
