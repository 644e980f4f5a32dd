"""The language switch in the header, with CSRF on as in production: the page comes back in
English where it was, and the account keeps the choice in a new browser."""
from __future__ import annotations

import re

from tests.e2e.support import expect, login


def test_switch_to_english_and_back_from_the_header(pages, live):
    page = pages("dinsos")
    page.goto(f"{live.url}/antrian/?status=all")
    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(re.compile(r"/antrian/\?status=all$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verification queue")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")

    elsewhere = pages()  # another browser: the account remembers the language
    login(elsewhere, live.url, "dinsos")
    expect(elsewhere.get_by_role("heading", level=1)).to_contain_text("Verification queue")

    page.get_by_role("button", name="Indonesia").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Antrian verifikasi")
    expect(page.locator("html")).to_have_attribute("lang", "id")


def test_login_page_in_english(pages, live):
    page = pages()
    page.goto(f"{live.url}/masuk")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_label("Username")).to_be_visible()
