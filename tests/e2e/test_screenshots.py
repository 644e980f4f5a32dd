"""Screenshots for the README (docs/screenshots/, 1280×800): the queue, the county dashboard, the
BPJS desk and a Berita Acara, as the demo data shows them. Set E2E_SCREENSHOTS to write elsewhere."""
from __future__ import annotations

import pytest

from tests.e2e.support import DESKTOP, SCREENSHOTS, expect

SHOTS = [
    # file, user, path
    ("queue.png", "dinsos", "/antrian/"),
    ("county.png", "supervisor", "/kabupaten/"),
    ("bpjs-desk.png", "bpjs", "/bpjs/"),
    ("berita-acara.png", "dinsos", "/berita-acara"),
]


@pytest.mark.portal_config(COUNTY_POLL_SECONDS=10)  # the page says its interval: production's
@pytest.mark.parametrize("name, user, path", SHOTS, ids=[s[0] for s in SHOTS])
def test_screenshot(pages, live, name, user, path):
    page = pages(user, viewport=DESKTOP)
    page.goto(live.url + path)
    if name == "queue.png":  # show the keyboard's current row and an open reject form
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.keyboard.press("r")
        expect(page.locator("tr.current details[data-key=r] select")).to_be_focused()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / name
    page.screenshot(path=str(target), animations="disabled", caret="hide", scale="css")
    assert target.stat().st_size > 10_000  # a page, not a blank
