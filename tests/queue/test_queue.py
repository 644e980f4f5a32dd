"""The verifier's queue through the test client, as a browser and as htmx would use it."""
import re

import pytest
from sqlalchemy import func, select

from portal.core import tallies
from portal.core.models import Event, RejectReason, Worker
from portal.queue import transitions
from portal.web.extensions import db
from tests.conftest import HTMX
from tests.forms import form, parse


def tally_of(html: str, label: str) -> str:
    return re.search(rf"<dt>{label}</dt><dd>([^<]*)</dd>", html).group(1)


@pytest.fixture
def dinsos(auth, world):
    auth.login("dinsos")
    return world


def test_full_page_and_fragment_from_one_url(client, dinsos):
    dinsos.worker(full_name="Siti Aminah")
    page = client.get("/antrian/")
    assert page.status_code == 200 and page.text.lstrip().lower().startswith("<!doctype html>")
    assert 'id="tallies"' in page.text and "Siti Aminah" in page.text
    fragment = client.get("/antrian/", headers=HTMX)
    assert fragment.status_code == 200 and "<!doctype" not in fragment.text.lower()
    assert fragment.text.lstrip().startswith('<div id="results">') and "Siti Aminah" in fragment.text
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in page.headers["Vary"]


def test_history_restore_gets_the_full_page(client, dinsos):
    r = client.get("/antrian/", headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<!doctype html>" in r.text.lower()


def test_only_own_opd_is_listed(client, dinsos):
    dinsos.worker("DINSOS", full_name="Milik Dinsos")
    dinsos.worker("KESRA", full_name="Milik Kesra")
    r = client.get("/antrian/?status=all")
    assert "Milik Dinsos" in r.text and "Milik Kesra" not in r.text


def test_search_by_name_and_nik_prefix(client, dinsos):
    a = dinsos.worker(full_name="Siti Aminah")
    dinsos.worker(full_name="Budi Santoso")
    r = client.get("/antrian/?q=aMiN", headers=HTMX)
    assert "Siti Aminah" in r.text and "Budi Santoso" not in r.text
    r = client.get(f"/antrian/?q={a.nik[:14]}", headers=HTMX)
    assert "Siti Aminah" in r.text and "Budi Santoso" not in r.text
    r = client.get("/antrian/?q=%25", headers=HTMX)  # a LIKE wildcard is searched literally
    assert "Siti Aminah" not in r.text and "Tidak ada nama" in r.text


def test_status_filter_and_pending_first(client, dinsos):
    dinsos.worker(full_name="Ani Disetujui", verification="approved")
    dinsos.worker(full_name="Zul Menunggu")
    assert "Ani Disetujui" not in client.get("/antrian/").text
    assert "Ani Disetujui" in client.get("/antrian/?status=approved").text
    text = client.get("/antrian/?status=all").text
    assert text.index("Zul Menunggu") < text.index("Ani Disetujui")
    assert client.get("/antrian/?status=nonsense").status_code == 200  # falls back to pending


def test_pagination(client, dinsos, app):
    app.config["QUEUE_PAGE_SIZE"] = 2
    for i in range(5):
        dinsos.worker(full_name=f"Nama {i}")
    first = client.get("/antrian/")
    assert "Nama 0" in first.text and "Nama 2" not in first.text and "Halaman 1 dari 3" in first.text
    third = client.get("/antrian/?hal=3", headers=HTMX)
    assert "Nama 4" in third.text and "Nama 0" not in third.text
    assert "Nama 4" in client.get("/antrian/?hal=99").text  # past the end: the last page


def test_approve_with_htmx_swaps_row_and_tallies(client, dinsos):
    w = dinsos.worker(full_name="Siti Aminah")
    r = client.post(f"/antrian/{w.id}/setujui", data={"version": 1}, headers=HTMX)
    assert r.status_code == 200
    assert r.text.lstrip().startswith(f'<tr id="w-{w.id}"') and "Disetujui" in r.text
    assert 'id="tallies" class="tallies" aria-live="polite" hx-swap-oob="true"' in r.text
    assert tally_of(r.text, "Disetujui") == "1" and tally_of(r.text, "Menunggu") == "0"
    assert db.session.get(Worker, w.id).verification == "approved"


def test_approve_without_javascript_redirects_back(client, dinsos):
    w = dinsos.worker()
    r = client.post(f"/antrian/{w.id}/setujui", data={"version": 1, "status": "all", "q": "x"})
    assert r.status_code == 303 and r.headers["Location"] == "/antrian/?status=all&q=x"
    follow = client.get(r.headers["Location"])
    assert "Disetujui" in follow.text
    assert db.session.get(Worker, w.id).verification == "approved"


def test_reject_needs_a_reason_422(client, dinsos):
    w = dinsos.worker()
    r = client.post(f"/antrian/{w.id}/tolak", data={"version": 1, "reason": ""}, headers=HTMX)
    assert r.status_code == 422 and "Pilih alasan penolakan" in r.text
    assert db.session.get(Worker, w.id).verification == "pending"


def test_reject_with_reason_and_note(client, dinsos):
    w = dinsos.worker()
    reason = dinsos.reason("LAINNYA")
    r = client.post(f"/antrian/{w.id}/tolak", data={"version": 1, "reason": reason.id}, headers=HTMX)
    assert r.status_code == 422 and "wajib disertai catatan" in r.text
    r = client.post(f"/antrian/{w.id}/tolak", data={"version": 1, "reason": reason.id, "note": "pensiun"},
                    headers=HTMX)
    assert r.status_code == 200 and "Ditolak" in r.text and "pensiun" in r.text


def test_hold_and_reopen(client, dinsos):
    w = dinsos.worker()
    assert client.post(f"/antrian/{w.id}/tunda", data={"version": 1, "note": "cek KK"}, headers=HTMX).status_code == 200
    assert db.session.get(Worker, w.id).verification == "on_hold"
    r = client.post(f"/antrian/{w.id}/buka", data={"version": 2}, headers=HTMX)
    assert r.status_code == 200 and db.session.get(Worker, w.id).verification == "pending"


def test_stale_decision_shows_who_changed_it(client, dinsos):
    w = dinsos.worker()
    client.post(f"/antrian/{w.id}/setujui", data={"version": 1}, headers=HTMX)
    r = client.post(f"/antrian/{w.id}/tolak", data={"version": 1, "reason": dinsos.reason("PINDAH").id},
                    headers=HTMX)
    assert r.status_code == 409
    assert "sudah diubah oleh dinsos" in r.text and "Disetujui" in r.text
    assert f'id="w-{w.id}"' in r.text  # the row shows its current state
    assert db.session.get(Worker, w.id).verification == "approved"


def test_wrong_state_is_409_with_message(client, dinsos):
    w = dinsos.worker(verification="rejected")
    r = client.post(f"/antrian/{w.id}/setujui", data={"version": 1}, headers=HTMX)
    assert r.status_code == 409 and "status sekarang Ditolak" in r.text


@pytest.mark.parametrize("data", [{}, {"version": "abc"}, {"version": "1" * 400}])
def test_missing_or_junk_version_is_422(client, dinsos, data):
    w = dinsos.worker()
    r = client.post(f"/antrian/{w.id}/setujui", data=data, headers=HTMX)
    assert r.status_code == 422
    assert db.session.get(Worker, w.id).verification == "pending"


def test_other_opds_worker_is_404(client, dinsos):
    w = dinsos.worker("KESRA")
    assert client.post(f"/antrian/{w.id}/setujui", data={"version": 1}).status_code == 404
    assert client.get(f"/antrian/{w.id}").status_code == 404
    r = client.post(f"/antrian/{w.id}/setujui", data={"version": 1}, headers=HTMX)
    assert r.status_code == 404 and r.headers["HX-Retarget"] == "#pesan"
    assert "tidak ditemukan" in r.text and "<!doctype" not in r.text.lower()


def test_html_in_names_is_escaped(client, dinsos):
    dinsos.worker(full_name="<script>alert(1)</script>")
    text = client.get("/antrian/").text
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text


def test_bulk_confirm_states_the_count_then_approves_exactly_those(client, dinsos):
    a, b, c = (dinsos.worker(full_name=f"Nama {i}") for i in range(3))
    dinsos.worker(full_name="Sudah ditolak", verification="rejected")
    r = client.post("/antrian/massal/konfirmasi", data={"scope": "selected", "pilih": [a.id, b.id]}, headers=HTMX)
    assert r.status_code == 200 and "Setujui 2 nama sekaligus?" in r.text
    items = re.search(r'name="items" value="([^"]+)"', r.text).group(1)
    assert items == f"{a.id}:1,{b.id}:1"
    r = client.post("/antrian/massal", data={"items": items}, headers=HTMX)
    assert r.status_code == 200 and "2 nama disetujui" in r.text and 'hx-swap-oob="true"' in r.text
    states = dict(db.session.execute(select(Worker.full_name, Worker.verification)).all())
    assert states == {"Nama 0": "approved", "Nama 1": "approved", "Nama 2": "pending", "Sudah ditolak": "rejected"}
    assert tallies.kept(db.session) == tallies.counted(db.session)


def test_bulk_all_matching_filter(client, dinsos):
    for i in range(3):
        dinsos.worker(full_name=f"Marbot {i}")
    dinsos.worker(full_name="Guru Ngaji")
    dinsos.worker("KESRA", full_name="Marbot Kesra")
    r = client.post("/antrian/massal/konfirmasi", data={"scope": "filter", "status": "pending", "q": "marbot"})
    assert r.status_code == 200 and "<!doctype html>" in r.text.lower()  # works without JavaScript
    assert "Setujui 3 nama sekaligus?" in r.text
    items = re.search(r'name="items" value="([^"]+)"', r.text).group(1)
    r = client.post("/antrian/massal", data={"items": items})
    assert r.status_code == 303
    assert db.session.scalar(select(func.count()).where(Worker.verification == "approved")) == 3


def test_bulk_with_a_row_changed_meanwhile_changes_nothing(client, dinsos):
    a, b = dinsos.worker(), dinsos.worker()
    client.post(f"/antrian/{b.id}/tunda", data={"version": 1, "note": "cek"})
    r = client.post("/antrian/massal", data={"items": f"{a.id}:1,{b.id}:1"}, headers=HTMX)
    assert r.status_code == 409 and b.full_name in r.text
    assert db.session.get(Worker, a.id).verification == "pending"


@pytest.mark.parametrize("items", ["", "1;2", "x:y", "1:"])
def test_bulk_refuses_junk(client, dinsos, items):
    r = client.post("/antrian/massal", data={"items": items}, headers=HTMX)
    assert r.status_code == 422


def test_bulk_cannot_reach_another_opd(client, dinsos):
    w = dinsos.worker("KESRA")
    r = client.post("/antrian/massal/konfirmasi", data={"scope": "selected", "pilih": [w.id]}, headers=HTMX)
    assert r.status_code == 422
    r = client.post("/antrian/massal", data={"items": f"{w.id}:1"}, headers=HTMX)
    assert r.status_code == 404 and db.session.get(Worker, w.id).verification == "pending"


def test_worker_page_and_correction(client, dinsos):
    w = dinsos.worker(full_name="Siti Aminah")
    page = client.get(f"/antrian/{w.id}")
    assert page.status_code == 200 and w.nik in page.text and "Perbaiki data" in page.text
    action = f"/antrian/{w.id}/perbaiki"
    r = client.post(action, data=form(page.text, action, full_name="Siti Aminah Lubis", address="Dusun 2"))
    assert r.status_code == 303 and r.headers["Location"] == f"/antrian/{w.id}"
    page = client.get(r.headers["Location"])
    assert "Siti Aminah Lubis" in page.text and "“Siti Aminah” → “Siti Aminah Lubis”" in page.text
    actions = db.session.scalars(select(Event.action).where(Event.worker_id == w.id).order_by(Event.seq)).all()
    assert actions == ["nik_view", "correct", "nik_view"]  # each view of the page shows the full NIK
    assert "melihat NIK lengkap" not in page.text  # the history lists decisions and changes only


def test_correction_form_carries_the_version_and_a_stale_one_offers_the_current(client, dinsos):
    w = dinsos.worker(full_name="Siti Aminah")
    action = f"/antrian/{w.id}/perbaiki"
    seen = form(client.get(f"/antrian/{w.id}").text, action, full_name="Siti Aminah Lubis")
    assert seen["version"] == "1"  # a hidden input, though the field is an integer
    w.phone = "0812"  # someone else changes the worker meanwhile (its version goes up)
    db.session.commit()
    r = client.post(action, data=seen)
    assert r.status_code == 409 and "Siti Aminah Lubis" not in db.session.get(Worker, w.id).full_name
    again = form(r.text, action)
    assert again["version"] == "2" and again["full_name"] == "Siti Aminah Lubis"  # a resubmit is deliberate
    assert client.post(action, data=again).status_code == 303
    assert db.session.get(Worker, w.id).full_name == "Siti Aminah Lubis"


def test_correction_without_a_version_says_what_to_do(client, dinsos):
    w = dinsos.worker()
    action = f"/antrian/{w.id}/perbaiki"
    data = form(client.get(f"/antrian/{w.id}").text, action)
    del data["version"]
    r = client.post(action, data=data)
    assert r.status_code == 422 and parse(r.text).messages == ["Versi baris tidak ada. Muat ulang halaman."]
    assert db.session.get(Worker, w.id).version == 1


@pytest.mark.parametrize("typed, says", [
    ("Siti\u200bAminah", "Nama memuat karakter tak terlihat (U+200B)"),
    ("Siti \u202eharsiN", "Nama memuat karakter pengatur arah teks (U+202E)"),
    ("\ufeffSiti Aminah", "Nama memuat karakter tak terlihat (U+FEFF)"),
    ("Siti\u0301\u0302\u0303 Aminah", "Nama memuat lebih dari 2 tanda diakritik pada satu huruf (U+0303)"),
    ("=HYPERLINK(\"http://x\")", "Nama tidak boleh diawali “=”."),
    ("+62 Siti", "Nama tidak boleh diawali “+”."),
    ("@Siti", "Nama tidak boleh diawali “@”."),
    ("-Siti", "Nama tidak boleh diawali “-”."),
])
def test_a_correction_to_a_name_the_import_would_refuse_is_422_and_changes_nothing(client, dinsos, typed, says):
    w = dinsos.worker(full_name="Siti Aminah")
    action = f"/antrian/{w.id}/perbaiki"
    r = client.post(action, data=form(client.get(f"/antrian/{w.id}").text, action, full_name=typed))
    assert r.status_code == 422
    assert any(m.startswith(says) for m in parse(r.text).messages), parse(r.text).messages
    stored = db.session.get(Worker, w.id)
    assert (stored.full_name, stored.version) == ("Siti Aminah", 1)
    assert db.session.scalar(select(func.count()).select_from(Event).where(Event.action == "correct")) == 0


def test_a_corrected_name_is_stored_composed(client, dinsos):
    w = dinsos.worker(full_name="Rene Santoso")
    action = f"/antrian/{w.id}/perbaiki"
    r = client.post(action, data=form(client.get(f"/antrian/{w.id}").text, action, full_name=" Rene\u0301  Santoso"))
    assert r.status_code == 303 and db.session.get(Worker, w.id).full_name == "Ren\u00e9 Santoso"


def test_correction_with_bad_phone_is_422(client, dinsos):
    w = dinsos.worker()
    r = client.post(f"/antrian/{w.id}/perbaiki", data={"version": 1, "full_name": "X", "desa_code": "",
                                                      "phone": "<b>"})
    assert r.status_code == 422 and "No. HP hanya angka" in r.text
    assert db.session.get(Worker, w.id).version == 1


def test_admin_picks_an_opd(client, auth, world):
    world.worker("KESRA", full_name="Milik Kesra")
    auth.login("admin")
    r = client.get("/antrian/?opd=kesra")
    assert r.status_code == 200 and "Milik Kesra" in r.text


@pytest.mark.parametrize("q, found", [("1609", True), ("16", True), ("1610", False), ("9999", False)])
def test_nik_prefix_is_a_range(client, dinsos, q, found):
    w = dinsos.worker(full_name="Siti Aminah")
    assert w.nik.startswith("1609")
    r = client.get(f"/antrian/?q={q}", headers=HTMX)
    assert ("Siti Aminah" in r.text) is found
    r = client.get(f"/antrian/?q={w.nik}", headers=HTMX)  # the whole NIK
    assert "Siti Aminah" in r.text


def test_the_shown_total_moves_with_each_decision_and_refusals_name_the_worker(client, auth, world):
    for i in range(3):
        world.worker("DINSOS", full_name=f"Pekerja {i}")
    other = world.worker("DINSOS", full_name="Zaenal Lainnya")
    auth.login("dinsos")
    page = client.get("/antrian/").text
    assert re.search(r'dari <span id="count-total">4</span> nama', page)
    first = db.session.scalars(select(Worker).order_by(Worker.full_name)).first()
    r = client.post(f"/antrian/{first.id}/setujui", data=form(page, f"/antrian/{first.id}/setujui"), headers=HTMX)
    assert r.status_code == 200 and '<span id="count-total" hx-swap-oob="true">3</span>' in r.text
    lainnya = db.session.scalar(select(RejectReason.id).where(RejectReason.note_required))
    sent = form(page, f"/antrian/{other.id}/tolak", reason=str(lainnya))
    r = client.post(f"/antrian/{other.id}/tolak", data=sent)  # without JavaScript
    assert r.status_code == 422 and "Zaenal Lainnya: Alasan" in r.text
    assert db.session.get(Worker, other.id).verification == "pending"


def test_deciding_on_the_worker_page_follows_the_same_rules_and_comes_back_to_it(client, auth, world):
    w = world.worker("DINSOS", verification="approved", enrolment="enrolled", kpj="26000000007")
    auth.login("dinsos")
    page = client.get(f"/antrian/{w.id}").text
    assert "sudah terdaftar BPJS" in page  # reopening an enrolled name is warned of
    r = client.post(f"/antrian/{w.id}/buka", data=form(page, f"/antrian/{w.id}/buka"))
    assert r.status_code == 303 and r.headers["Location"] == f"/antrian/{w.id}"
    db.session.refresh(w)
    assert w.verification == "pending"
    page = client.get(f"/antrian/{w.id}").text
    lainnya = db.session.scalar(select(RejectReason.id).where(RejectReason.note_required))
    r = client.post(f"/antrian/{w.id}/tolak", data=form(page, f"/antrian/{w.id}/tolak", reason=str(lainnya)))
    assert r.status_code == 422 and "wajib disertai catatan" in r.text and "Perbaiki data" in r.text
    stale = form(page, f"/antrian/{w.id}/setujui")
    client.post(f"/antrian/{w.id}/tunda", data=form(page, f"/antrian/{w.id}/tunda", note="menunggu KK"))
    r = client.post(f"/antrian/{w.id}/setujui", data=stale)  # the page's version is old by now
    assert r.status_code == 409 and db.session.get(Worker, w.id).verification == "on_hold"
    current = db.session.get(Worker, w.id).version  # the page that answers corrects the row as it is now
    assert form(r.text, f"/antrian/{w.id}/perbaiki")["version"] == str(current)
    assert [e.action for e in db.session.scalars(select(Event).where(Event.worker_id == w.id).order_by(Event.seq))
            if e.action in ("reopen", "reject", "hold", "approve")] == ["reopen", "hold"]


def test_a_bulk_approval_can_be_undone_from_its_message_exactly_and_only_if_unchanged(client, auth, world):
    names = [world.worker("DINSOS", full_name=f"Massal {i}") for i in range(3)]
    other = world.worker("DINSOS", full_name="Sudah Disetujui", verification="approved")
    auth.login("dinsos")
    page = client.get("/antrian/").text
    sent = {**form(page, "/antrian/massal/konfirmasi"), "scope": "filter"}
    confirm = client.post("/antrian/massal/konfirmasi", data=sent, headers=HTMX)
    done = client.post("/antrian/massal", data=form(confirm.text, "/antrian/massal"), headers=HTMX)
    assert done.status_code == 200 and "3 nama disetujui." in done.text
    undo = form(done.text, "/antrian/massal/batal")
    # someone changes one of them in between: the undo is refused whole
    first = db.session.get(Worker, names[0].id)
    transitions.reopen(db.session, first, world.users["dinsos"], first.version)
    db.session.commit()
    refused = client.post("/antrian/massal/batal", data=undo, headers=HTMX)
    assert refused.status_code == 409 and "Massal 0 sudah berubah" in refused.text
    assert {db.session.get(Worker, w.id).verification for w in names[1:]} == {"approved"}
    # a bulk approval left as it was is undone exactly: that set reopened, one event each
    fresh = [world.worker("DINSOS", full_name=f"Baru {i}") for i in range(2)]
    page = client.get("/antrian/").text
    sent = {**form(page, "/antrian/massal/konfirmasi"), "scope": "selected", "pilih": [str(w.id) for w in fresh]}
    confirm = client.post("/antrian/massal/konfirmasi", data=sent, headers=HTMX)
    done = client.post("/antrian/massal", data=form(confirm.text, "/antrian/massal"), headers=HTMX)
    r = client.post("/antrian/massal/batal", data=form(done.text, "/antrian/massal/batal"), headers=HTMX)
    assert r.status_code == 200 and "Persetujuan 2 nama dibatalkan" in r.text
    state = {w.full_name: db.session.get(Worker, w.id).verification for w in names + fresh + [other]}
    assert state == {"Massal 0": "pending", "Massal 1": "approved", "Massal 2": "approved", "Baru 0": "pending",
                     "Baru 1": "pending", "Sudah Disetujui": "approved"}
    undone = db.session.scalars(select(Event).where(Event.note == "pembatalan persetujuan massal")).all()
    assert sorted(e.worker_id for e in undone) == sorted(w.id for w in fresh)


def test_an_undo_leaves_names_that_were_on_hold_approved_and_the_list_keeps_its_filter(client, auth, world):
    waiting = world.worker("DINSOS", full_name="Tunggu KK", verification="on_hold", decision_note="tunggu KK")
    fresh = world.worker("DINSOS", full_name="Baru Sekali")
    auth.login("dinsos")
    page = client.get("/antrian/?status=all&tanpa_hp=1").text
    sent = {**form(page, "/antrian/massal/konfirmasi"), "scope": "filter"}
    confirm = client.post("/antrian/massal/konfirmasi", data=sent, headers=HTMX)
    assert 'name="tanpa_hp" value="1"' in confirm.text and 'name="status" value="all"' in confirm.text
    done = client.post("/antrian/massal", data=form(confirm.text, "/antrian/massal"), headers=HTMX)
    assert "2 nama disetujui. 1 di antaranya sebelumnya ditunda" in done.text
    assert '<span id="count-total">' in done.text  # inside the swapped results, not out of band
    assert 'id="status"' not in done.text and 'name="status" value="all"' in done.text  # the undo keeps the filter
    r = client.post("/antrian/massal/batal", data=form(done.text, "/antrian/massal/batal"), headers=HTMX)
    assert "Persetujuan 1 nama dibatalkan" in r.text and 'name="tanpa_hp" value="1"' in r.text
    assert (db.session.get(Worker, waiting.id).verification, db.session.get(Worker, fresh.id).verification) == (
        "approved", "pending")
