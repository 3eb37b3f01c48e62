"""Playwright (Debian's Chromium, headless) against pytest-django's live server.

Playwright's sync API runs an event loop in the test thread, which makes Django refuse
ORM calls there ("async context"); the ORM calls of these tests are plain synchronous
set-up, so that check is switched off for each browser test only (never process-wide:
`check --deploy` flags the variable, async.E001).
"""

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser(transactional_db, monkeypatch):
    """One Chromium per test (about a second), stopped before the database flush of
    transactional_db, which must not run while Playwright's loop is running."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run bin/ensure-system-deps as root (installs chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Shots:
    """Screenshots of a page at desktop and phone widths, with the same session cookies."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(self, page, name: str, *, fits_phone: bool = True) -> None:
        """`fits_phone`: at 390 px nothing may widen the page (wide parts scroll inside themselves)."""
        page.evaluate("window.scrollTo(0, 0)")  # sticky panes sit where the viewport is
        page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"), full_page=True)
        phone = self.browser.new_context(
            viewport=PHONE,
            storage_state=page.context.storage_state(),
            device_scale_factor=1,
            is_mobile=True,
            has_touch=True,
        )
        try:
            other = phone.new_page()
            other.goto(page.url)
            other.wait_for_load_state("networkidle")
            other.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"), full_page=True)
            if fits_phone:
                width = other.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["width"], f"{name}: page is {width}px wide at phone width"
        finally:
            phone.close()


@pytest.fixture
def shots(browser, live_server):
    return Shots(browser, live_server.url)


@pytest.fixture
def new_page(browser, live_server):
    contexts = []

    def make():
        context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()
