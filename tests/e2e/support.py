"""What the browser tests share: where Chromium is, the test server's settings, and helpers that
read the page as a person does (by labels and visible text)."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from config import TestingConfig

try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # reported by conftest: the tests are skipped (or fail where required)
    Page = expect = sync_playwright = None

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
AXE = HERE / "vendor" / "axe-4.14.1.min.js"
# The README's pictures are refreshed on purpose (`make screenshots`), not by every test run.
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", Path(tempfile.gettempdir()) / "portal-screenshots"))
PASSWORD = "sandi-uji-peramban-2025"
POLL_SECONDS = 2  # the county page's polling interval in the test app (10 s in production)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if sync_playwright is None:
        return "the playwright package is not installed (.venv/bin/pip install playwright)"
    if not (os.path.isfile(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)"
    return None


def config(database: Path, **settings) -> type:
    """The app the browser talks to: CSRF on as in production, a fast poll, its own SQLite file."""
    return type("BrowserTestConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "AUDIT_ANCHOR_PATH": str(database.with_name("audit-anchor.log")),
        "WTF_CSRF_ENABLED": True,
        "COUNTY_POLL_SECONDS": POLL_SECONDS,
        "DEMO_PASSWORD": PASSWORD,
        **settings,
    })


def login(page: Page, base: str, username: str) -> None:
    """Log in through the form, as a person would, and wait for the landing page."""
    page.goto(f"{base}/masuk")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button.primary").click()
    page.wait_for_url(lambda url: "/masuk" not in url)


def number(text: str) -> int:
    """'1.234' (Indonesian) or '1,234' (English) → 1234."""
    return int(re.sub(r"[^\d]", "", text))


def figure(page: Page, scope: str, label: str):
    """The <dd> under the <dt> saying exactly `label` inside `scope` (e.g. the queue's tallies)."""
    return page.locator(f"{scope} dl > div").filter(
        has=page.locator("dt", has_text=re.compile(rf"^{re.escape(label)}$"))).locator("dd")


def read(page: Page, scope: str, label: str) -> int:
    return number(figure(page, scope, label).inner_text())


def mark_document(page: Page) -> None:
    """Tag the loaded document; a full page load (navigation, reload) would lose the tag."""
    page.evaluate("() => { window.e2eDocument = 'still-here'; }")


def same_document(page: Page) -> bool:
    return page.evaluate("() => window.e2eDocument") == "still-here"


def no_horizontal_scroll(page: Page) -> tuple[int, int]:
    """(scrollWidth, innerWidth) of the page: the first must not exceed the second."""
    return tuple(page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]"))
