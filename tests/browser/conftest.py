"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against pytest-django's live_server."""
import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
_BASE = Path(__file__).resolve().parents[2]
_taken: list[Path] = []


def _screenshot_dir() -> Path:
    configured = os.environ.get("SCREENSHOT_DIR")
    path = Path(configured) if configured else _BASE / "var" / "screenshots" / datetime.now().strftime("%Y%m%d-%H%M%S")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    return _screenshot_dir()


@pytest.fixture
def shoot(screenshot_dir):
    """``shoot(page, "name")`` saves a full-page PNG (or only the viewport) into the screenshot folder."""

    def _shoot(page, name: str, full_page: bool = True) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        _taken.append(path)
        return path

    return _shoot


@pytest.fixture(scope="module")
def browser():
    """One Chromium per module: Playwright's event loop must not outlive the browser tests."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django must still allow ORM calls from it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def pytest_terminal_summary(terminalreporter):
    if _taken:
        terminalreporter.write_line(f"screenshots ({len(_taken)}): {_taken[0].parent}")


@pytest.fixture(autouse=True)
def _plain_http_cookies(settings):
    """The live server speaks plain HTTP: secure-only cookies would never come back."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
