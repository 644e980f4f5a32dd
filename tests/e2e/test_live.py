"""Two people at once: what a verifier and the BPJS liaison record appears on a supervisor's county
page, open in another browser context, within its polling interval and without a reload."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from portal.core.models import RejectReason, Worker
from tests.e2e.support import POLL_SECONDS, expect, figure, mark_document, read, same_document
from tests.forms import wib_today

COUNTY = "#county"
WITHIN_A_POLL = (POLL_SECONDS + 5) * 1000  # ms: one interval plus a margin for a slow machine


def _pct(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_county_page_shows_decisions_within_the_polling_interval(pages, live):
    county = pages("supervisor")
    expect(county).to_have_url(re.compile(r"/kabupaten/$"))
    approved, rejected = read(county, COUNTY, "Disetujui"), read(county, COUNTY, "Ditolak")
    dinsos_row = county.locator("#opd-DINSOS")
    dinsos_before = dinsos_row.inner_text()
    mark_document(county)

    queue = pages("dinsos")
    rows = queue.locator("#results tbody tr[data-row]")
    first, second = rows.nth(0).get_attribute("id"), rows.nth(1).get_attribute("id")
    queue.locator(f"#{first} [data-key=a]").click()
    expect(queue.locator(f"#{first}")).to_have_class(re.compile(r"\bst-approved\b"))
    reason = live.query(lambda s: str(s.scalar(select(RejectReason.id).where(~RejectReason.note_required))))
    queue.locator(f"#{second} details[data-key=r] summary").click()
    queue.locator(f"#{second} select[name=reason]").select_option(reason)
    queue.locator(f"#{second} details[data-key=r] button").click()
    expect(queue.locator(f"#{second}")).to_have_class(re.compile(r"\bst-rejected\b"))

    expect(figure(county, COUNTY, "Disetujui")).to_have_text(str(approved + 1), timeout=WITHIN_A_POLL)
    expect(figure(county, COUNTY, "Ditolak")).to_have_text(str(rejected + 1), timeout=WITHIN_A_POLL)
    assert dinsos_row.inner_text() != dinsos_before
    assert same_document(county), "the county page reloaded instead of refreshing its figures"


def test_bpjs_enrolment_moves_the_coverage_on_the_county_page(pages, live):
    county = pages("supervisor")
    enrolled = read(county, COUNTY, "Terdaftar dan disetujui")
    coverage = _pct(figure(county, COUNTY, "Cakupan dari yang disetujui").inner_text())
    mark_document(county)

    desk = pages("bpjs")
    expect(desk).to_have_url(re.compile(r"/bpjs/$"))
    ready = read(desk, "#counts", "Siap didaftarkan")
    at_desk = read(desk, "#counts", "Terdaftar dan disetujui")  # the desk and the county say it alike
    row = desk.locator("#results tbody tr").filter(has=desk.locator("form.enrol-form")).first
    row_id = row.get_attribute("id")
    row.locator("input[name=kpj]").fill("31234567890")
    on = wib_today() - timedelta(days=3)
    row.locator("input[name=enrolled_on]").fill(on.isoformat())
    row.get_by_role("button", name="Catat terdaftar").click()
    done = desk.locator(f"#{row_id}")
    expect(done).to_contain_text("KPJ 31234567890")
    expect(done).to_contain_text(re.compile(rf"\b{on.day} \w+ {on.year}\b"))  # e.g. 26 November 2025
    assert live.query(lambda s: s.get(Worker, int(row_id.removeprefix("w-"))).enrolled_on) == on
    expect(done).to_contain_text("Terdaftar")
    expect(figure(desk, "#counts", "Siap didaftarkan")).to_have_text(str(ready - 1))
    expect(figure(desk, "#counts", "Terdaftar dan disetujui")).to_have_text(str(at_desk + 1))

    expect(figure(county, COUNTY, "Terdaftar dan disetujui")).to_have_text(str(enrolled + 1), timeout=WITHIN_A_POLL)
    expect(figure(county, COUNTY, "Cakupan dari yang disetujui")).not_to_have_text(coverage)
    assert same_document(county)


def test_an_invalid_kpj_is_refused_in_the_row(pages, live):
    desk = pages("bpjs")
    row = desk.locator("#results tbody tr").filter(has=desk.locator("form.enrol-form")).first
    row_id = row.get_attribute("id")
    # Ten digits: the browser's own pattern check stops it; the server refuses it too without one.
    row.locator("input[name=kpj]").evaluate("el => el.removeAttribute('pattern')")
    row.locator("input[name=kpj]").fill("3123456789")
    row.get_by_role("button", name="Catat terdaftar").click()
    expect(desk.locator(f"#{row_id} .row-msg")).to_have_text("Nomor KPJ harus tepat 11 digit; yang tertulis 10 digit.")
    expect(desk.locator(f"#{row_id} form.enrol-form")).to_be_visible()
    expect(desk.locator(f"#{row_id} input[name=kpj]")).to_have_value("3123456789")  # to correct, not retype
