"""A verifier's day in the queue, in a real browser: keys, row swaps, out-of-band tallies, bulk
approval, a stale decision, and the same decisions with JavaScript off."""
from __future__ import annotations

import re

from sqlalchemy import select

from portal.core.models import RejectReason, Worker
from tests.e2e.support import expect, figure, mark_document, read, same_document

TALLIES = "#tallies"


def _row_ids(page, n: int) -> list[str]:
    rows = page.locator("#results tbody tr[data-row]")
    expect(rows.nth(n - 1)).to_be_attached()
    return [rows.nth(i).get_attribute("id") for i in range(n)]


def _reason(live) -> str:
    """A reject reason that needs no note."""
    return live.query(lambda s: str(s.scalar(select(RejectReason.id).where(
        RejectReason.active, ~RejectReason.note_required).order_by(RejectReason.sort))))


def _state(live, row_id: str) -> str:
    return live.query(lambda s: s.get(Worker, int(row_id.removeprefix("w-"))).verification)


def _count_loads(page) -> list:
    loads = []
    page.on("load", lambda *_: loads.append(page.url))
    return loads


def test_keys_approve_reject_and_move_with_tallies_updating_in_place(pages, live):
    page = pages("dinsos")
    expect(page).to_have_url(re.compile(r"/antrian/$"))
    first, second, third = _row_ids(page, 3)
    pending, approved, rejected = (read(page, TALLIES, label) for label in ("Menunggu", "Disetujui", "Ditolak"))
    mark_document(page)
    loads = _count_loads(page)

    page.keyboard.press("j")
    expect(page.locator(f"#{first}")).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("a")  # approve, and the next row becomes the current one
    expect(page.locator(f"#{first}")).to_have_class(re.compile(r"\bst-approved\b"))
    expect(page.locator(f"#{first} .badge")).to_have_text(re.compile("Disetujui"))
    expect(figure(page, TALLIES, "Disetujui")).to_have_text(str(approved + 1))
    expect(page.locator(f"#{second}")).to_have_class(re.compile(r"\bcurrent\b"))

    page.keyboard.press("r")  # the reject form of the current row opens, its reason list focused
    reason = page.locator(f"#{second} select[name=reason]")
    expect(reason).to_be_visible()
    expect(reason).to_be_focused()
    reason.select_option(_reason(live))
    page.locator(f"#{second} details[data-key=r] button").click()
    expect(page.locator(f"#{second}")).to_have_class(re.compile(r"\bst-rejected\b"))
    expect(figure(page, TALLIES, "Ditolak")).to_have_text(str(rejected + 1))
    expect(figure(page, TALLIES, "Menunggu")).to_have_text(str(pending - 2))

    expect(page.locator(f"#{third}")).to_have_class(re.compile(r"\bcurrent\b"))  # as after approve
    page.keyboard.press("k")
    expect(page.locator(f"#{second}")).to_have_class(re.compile(r"\bcurrent\b"))
    expect(page.locator(f"#{third}")).not_to_have_class(re.compile(r"\bcurrent\b"))

    assert same_document(page) and loads == [], "the decisions reloaded the page"
    assert (_state(live, first), _state(live, second), _state(live, third)) == ("approved", "rejected", "pending")


def _note_reason(live) -> str:
    return live.query(lambda s: str(s.scalar(select(RejectReason.id).where(
        RejectReason.active, RejectReason.note_required))))


def test_enter_in_the_reason_list_rejects_or_asks_for_the_note_and_hold_moves_on(pages, live):
    page = pages("dinsos")
    first, second, third, fourth = _row_ids(page, 4)
    page.keyboard.press("j")
    page.keyboard.press("r")
    reason = page.locator(f"#{first} select[name=reason]")
    expect(reason).to_be_focused()
    reason.select_option(_reason(live))
    reason.press("Enter")  # a reason without a note: rejected at once, the next row current
    expect(page.locator(f"#{first}")).to_have_class(re.compile(r"\bst-rejected\b"))
    expect(page.locator(f"#{second}")).to_have_class(re.compile(r"\bcurrent\b"))

    page.keyboard.press("r")
    reason = page.locator(f"#{second} select[name=reason]")
    reason.select_option(_note_reason(live))
    expect(page.locator(f"#{second} .hint")).to_contain_text("Wajib diisi bila alasannya Lainnya")
    reason.press("Enter")  # this reason needs a note: the note, not a refusal
    note = page.locator(f"#{second} input[name=note]").first
    expect(note).to_be_focused()
    note.fill("Sudah pindah ke Palembang")
    note.press("Enter")
    expect(page.locator(f"#{second}")).to_have_class(re.compile(r"\bst-rejected\b"))
    expect(page.locator(f"#{third}")).to_have_class(re.compile(r"\bcurrent\b"))

    page.keyboard.press("h")
    hold = page.locator(f"#{third} details[data-key=h] input[name=note]")
    expect(hold).to_be_focused()
    hold.fill("menunggu KK")
    hold.press("Enter")
    expect(page.locator(f"#{third}")).to_have_class(re.compile(r"\bst-on_hold\b"))
    expect(page.locator(f"#{fourth}")).to_have_class(re.compile(r"\bcurrent\b"))
    assert [_state(live, r) for r in (first, second, third)] == ["rejected", "rejected", "on_hold"]


def test_bulk_approval_of_three_ticked_rows_through_the_confirmation(pages, live):
    page = pages("dinsos")
    ids = _row_ids(page, 3)
    approved, pending = read(page, TALLIES, "Disetujui"), read(page, TALLIES, "Menunggu")
    mark_document(page)
    for row_id in ids:
        page.locator(f"#{row_id} input[name=pilih]").check()
    page.get_by_role("button", name="Setujui yang dicentang").click()

    confirm = page.locator("#bulk-confirm [role=alertdialog]")
    expect(confirm).to_contain_text("Setujui 3 nama sekaligus?")
    assert all(_state(live, row_id) == "pending" for row_id in ids), "nothing changes before confirming"
    confirm.get_by_role("button", name="Ya, setujui 3 nama").click()

    expect(page.locator("#results")).to_contain_text("3 nama disetujui.")
    expect(figure(page, TALLIES, "Disetujui")).to_have_text(str(approved + 3))
    expect(figure(page, TALLIES, "Menunggu")).to_have_text(str(pending - 3))
    for row_id in ids:
        expect(page.locator(f"#{row_id}")).to_have_count(0)  # the pending list no longer holds them
        assert _state(live, row_id) == "approved"
    assert same_document(page)


def test_a_stale_decision_shows_who_changed_the_row(pages, live):
    mine = pages("dinsos")
    other = pages("admin")
    other.goto(f"{live.url}/antrian/?opd=DINSOS")
    (row_id,) = _row_ids(mine, 1)
    expect(other.locator(f"#{row_id}")).to_be_visible()

    mine.locator(f"#{row_id} [data-key=a]").click()
    expect(mine.locator(f"#{row_id}")).to_have_class(re.compile(r"\bst-approved\b"))

    # The other person still sees the row as pending and rejects it: refused, with who and what.
    other.locator(f"#{row_id} details[data-key=r] summary").click()
    other.locator(f"#{row_id} select[name=reason]").select_option(_reason(live))
    other.locator(f"#{row_id} details[data-key=r] button").click()
    message = other.locator(f"#{row_id} .row-msg")
    expect(message).to_contain_text("Data ini sudah diubah oleh dinsos (menyetujui)")
    expect(message).to_contain_text("status sekarang Disetujui")
    expect(other.locator(f"#{row_id}")).to_have_class(re.compile(r"\bst-approved\b"))
    assert _state(live, row_id) == "approved"


def test_without_javascript_approve_and_reject_are_full_page_posts(pages, live):
    page = pages("dinsos", java_script_enabled=False)
    first, second = _row_ids(page, 2)
    names = [page.locator(f"#{i} .person a").inner_text() for i in (first, second)]
    approved = read(page, TALLIES, "Disetujui")

    with page.expect_navigation():
        page.locator(f"#{first} [data-key=a]").click()
    expect(page).to_have_url(re.compile(r"/antrian/$"))  # 303 back to the queue
    expect(page.locator("#pesan")).to_contain_text(f"{names[0]}: Disetujui.")
    expect(figure(page, TALLIES, "Disetujui")).to_have_text(str(approved + 1))
    expect(page.locator(f"#{first}")).to_have_count(0)

    page.locator(f"#{second} details[data-key=r] summary").click()  # <details> opens without script
    page.locator(f"#{second} select[name=reason]").select_option(_reason(live))
    with page.expect_navigation():
        page.locator(f"#{second} details[data-key=r] button").click()
    expect(page.locator("#pesan")).to_contain_text(f"{names[1]}: Ditolak.")
    assert (_state(live, first), _state(live, second)) == ("approved", "rejected")


def test_question_mark_opens_the_list_of_shortcuts(pages, live):
    page = pages("dinsos")
    help_box = page.locator("#keys")
    expect(help_box).not_to_have_attribute("open", "")
    page.keyboard.press("?")
    expect(help_box).to_have_attribute("open", "")
    expect(help_box).to_contain_text("Tombol pintas")
    expect(help_box.locator("kbd", has_text="j")).to_be_visible()
    page.keyboard.press("Escape")
    expect(help_box).not_to_have_attribute("open", "")
    page.keyboard.press("j")  # the shortcuts still work after the help closed
    expect(page.locator("#results tbody tr[data-row]").first).to_have_class(re.compile(r"\bcurrent\b"))
    page.locator("#q").press("?")  # typing in the search box is typing, not a shortcut
    expect(help_box).not_to_have_attribute("open", "")


def test_a_dozen_rows_fit_at_1280_by_800_and_columns_do_not_jump_after_a_swap(pages, live):
    page = pages("kesra")
    rows = page.locator("#results tbody tr[data-row]")
    expect(rows.nth(11)).to_be_attached()

    def fully_visible() -> int:
        return page.evaluate("""() => [...document.querySelectorAll('#results tbody tr[data-row]')]
            .filter(r => { const b = r.getBoundingClientRect(); return b.top >= 0 && b.bottom <= innerHeight; }).length""")

    def widths() -> list[float]:
        return [round(page.locator("table.decide thead th").nth(i).bounding_box()["width"])
                for i in range(page.locator("table.decide thead th").count())]

    assert fully_visible() >= 12
    before, height = widths(), rows.first.bounding_box()["height"]
    first = rows.first.get_attribute("id")
    page.keyboard.press("j")
    page.keyboard.press("a")
    expect(page.locator(f"#{first}")).to_have_class(re.compile(r"\bst-approved\b"))
    assert widths() == before and rows.first.bounding_box()["height"] == height
    page.keyboard.press("r")  # the reject form opens over the rows below, not inside its row
    expect(page.locator("tr.current details[data-key=r] select")).to_be_visible()
    assert fully_visible() >= 12
