"""On a phone (360×740): the pages fit the screen's width, and the queue is usable by touch."""
from __future__ import annotations

import re

import pytest

from tests.e2e.support import PHONE, expect, no_horizontal_scroll

PHONE_CONTEXT = {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.mark.parametrize("user, path", [
    ("dinsos", "/antrian/"),
    ("supervisor", "/kabupaten/"),
    ("bpjs", "/bpjs/"),
    (None, "/masuk"),
])
def test_page_fits_the_phone_width(pages, live, user, path):
    page = pages(user, **PHONE_CONTEXT)
    page.goto(live.url + path)
    scroll_width, inner_width = no_horizontal_scroll(page)
    assert scroll_width <= inner_width, f"{path} scrolls sideways: {scroll_width}px wide in {inner_width}px"


def test_queue_is_usable_by_touch(pages, live):
    page = pages("dinsos", **PHONE_CONTEXT)
    row = page.locator("#results tbody tr[data-row]").first
    row_id = row.get_attribute("id")
    approve = row.locator("[data-key=a]")
    box = approve.bounding_box()
    assert box and 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], "the approve button is off screen"
    assert box["height"] >= 24, "the approve button is too small to tap"
    approve.tap()
    expect(page.locator(f"#{row_id}")).to_have_class(re.compile(r"\bst-approved\b"))
    scroll_width, inner_width = no_horizontal_scroll(page)
    assert scroll_width <= inner_width
