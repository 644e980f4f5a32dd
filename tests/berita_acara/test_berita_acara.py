"""The Berita Acara Verifikasi: contents, totals, access, audited NIK reveals, the date."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from portal.berita_acara import contents
from portal.core import audit, clock, tallies
from portal.core.models import Event, Worker
from portal.web.extensions import db

URL = "/berita-acara/{}"


@pytest.fixture
def kesra_list(world):
    """KESRA: 2 approved, 2 rejected (one with a note), 1 pending, 1 on hold; plus DINSOS names."""
    w = world.worker
    made = {
        "approved": [w("KESRA", verification="approved", full_name="Siti Aminah"),
                     w("KESRA", verification="approved", full_name="Ahmad Fauzi")],
        "rejected": [w("KESRA", verification="rejected", full_name="Budi Santoso",
                       reject_reason=world.reason("MENINGGAL")),
                     w("KESRA", verification="rejected", full_name="Cahya Lestari",
                       reject_reason=world.reason("LAINNYA"), decision_note="Sudah pindah ke Palembang")],
        "pending": [w("KESRA", full_name="Dewi Pending")],
        "on_hold": [w("KESRA", verification="on_hold", full_name="Eko Ditunda")],
        "other": [w("DINSOS", verification="approved", full_name="Orang Dinsos Setuju"),
                  w("DINSOS", verification="rejected", full_name="Orang Dinsos Tolak",
                    reject_reason=world.reason("PINDAH"))],
    }
    return made


def nik_views(user_id=None):
    stmt = select(Event).where(Event.action == "nik_view")
    if user_id is not None:
        stmt = stmt.where(Event.user_id == user_id)
    return db.session.scalars(stmt.order_by(Event.seq)).all()


# --- rules ----------------------------------------------------------------------------------

def test_build_lists_only_that_opds_decided_names(world, kesra_list):
    doc = contents.build(db.session, world.opd["KESRA"], world.users["kesra"], date(2025, 12, 1))
    assert [line.full_name for line in doc.approved] == ["Ahmad Fauzi", "Siti Aminah"]  # by name
    assert [line.full_name for line in doc.rejected] == ["Budi Santoso", "Cahya Lestari"]
    assert {line.worker_id for line in doc.approved + doc.rejected} == \
        {x.id for x in kesra_list["approved"] + kesra_list["rejected"]}
    assert doc.rejected[0].reason == "Meninggal dunia" and doc.rejected[0].note == ""
    assert doc.rejected[1].reason.startswith("Lainnya") and doc.rejected[1].note == "Sudah pindah ke Palembang"
    assert doc.approved[0].nik == kesra_list["approved"][1].nik  # the full number
    assert doc.verifier_name == world.users["kesra"].full_name


def test_totals_equal_a_direct_count(world, kesra_list):
    kesra = world.opd["KESRA"]
    doc = contents.build(db.session, kesra, world.users["admin"], date(2025, 12, 1))
    direct = dict(db.session.execute(select(Worker.verification, func.count())
                                     .where(Worker.opd_id == kesra.id).group_by(Worker.verification)).all())
    assert (doc.figures.approved, doc.figures.rejected, doc.figures.pending, doc.figures.on_hold) == \
        (direct["approved"], direct["rejected"], direct["pending"], direct["on_hold"]) == (2, 2, 1, 1)
    assert doc.figures.received == sum(direct.values()) == 6
    assert doc.undecided == 2
    assert doc.figures == tallies.for_opd(db.session, kesra.id)  # and the kept tallies agree
    assert doc.verifier_name == ""  # only the OPD's own verifier is named


def test_record_view_writes_one_sealed_event_per_worker(world, kesra_list):
    viewer = world.users["bpjs"]
    ids = [w.id for w in kesra_list["approved"] + kesra_list["rejected"]]
    assert contents.record_view(db.session, viewer, ids) == 4
    db.session.commit()
    events = nik_views(viewer.id)
    assert sorted(e.worker_id for e in events) == sorted(ids)
    assert {(e.note, e.detail) for e in events} == {("berita acara", "")}
    assert audit.verify(db.session)[1] == []


@pytest.mark.parametrize("day, words", [
    (date(2025, 12, 1), ("Senin", "1 Desember 2025")),
    (date(2026, 1, 2), ("Jumat", "2 Januari 2026")),
    (date(2025, 8, 17), ("Minggu", "17 Agustus 2025")),
])
def test_date_words_in_indonesian(day, words):
    assert contents.date_words(day) == words


def test_may_view(world):
    kesra = world.opd["KESRA"]
    allowed = {name: contents.may_view(user, kesra) for name, user in world.users.items()}
    assert allowed == {"admin": True, "supervisor": False, "bpjs": True, "dinsos": False, "kesra": True}


# --- pages ----------------------------------------------------------------------------------

def test_document_shows_lists_reasons_totals_and_signatures(client, auth, world, kesra_list):
    auth.login("kesra")
    response = client.get(URL.format("KESRA") + "?tanggal=2025-12-01")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.text
    assert "<!doctype html>" in html and "css/print.css" in html
    assert "BERITA ACARA VERIFIKASI DATA PEKERJA RENTAN" in html
    assert "Bagian Kesejahteraan Rakyat Setda" in html and "Kabupaten Ogan Komering Ulu Selatan" in html
    assert "Pada hari ini, Senin tanggal 1 Desember 2025" in html
    assert "BPJS Ketenagakerjaan" in html and "APBD" in html
    for worker in kesra_list["approved"] + kesra_list["rejected"]:
        assert worker.full_name in html and worker.nik in html
    for worker in kesra_list["pending"] + kesra_list["on_hold"] + kesra_list["other"]:
        assert worker.full_name not in html and worker.nik not in html
    assert "Meninggal dunia" in html and "Sudah pindah ke Palembang" in html
    approved = html.split('id="ba-daftar-disetujui"')[1].split("</tbody>")[0]
    rejected = html.split('id="ba-daftar-ditolak"')[1].split("</tbody>")[0]
    assert "Siti Aminah" in approved and "Budi Santoso" not in approved
    assert "Budi Santoso" in rejected and "Siti Aminah" not in rejected
    for cell, value in (("diterima", 6), ("disetujui", 2), ("ditolak", 2), ("belum", 2)):
        assert f'id="ba-{cell}">{value}<' in html
    assert "Kepala Bagian Kesejahteraan Rakyat Setda" in html and "Verifikator" in html
    assert world.users["kesra"].full_name in html  # the verifier opened it: named
    assert html.count("NIP.") == 2 and "( ................................ )" in html


def test_bpjs_sees_a_blank_verifier_line(client, auth, world, kesra_list):
    auth.login("bpjs")
    html = client.get(URL.format("kesra")).text  # code in any case
    assert "BERITA ACARA" in html and world.users["kesra"].full_name not in html
    assert html.count("( ................................ )") == 2


def test_empty_lists_say_so(client, auth, world):
    auth.login("kesra")
    response = client.get(URL.format("KESRA"))
    assert response.status_code == 200 and response.text.count("Tidak ada nama.") == 2
    assert nik_views() == []


def test_viewing_records_one_nik_view_per_listed_worker(client, auth, world, kesra_list):
    auth.login("kesra")
    client.get(URL.format("KESRA"))
    events = nik_views(world.users["kesra"].id)
    listed = {w.id for w in kesra_list["approved"] + kesra_list["rejected"]}
    assert len(events) == 4 and {e.worker_id for e in events} == listed
    assert {e.note for e in events} == {"berita acara"}
    client.get(URL.format("KESRA"))  # every showing counts
    assert len(nik_views()) == 8


@pytest.mark.parametrize("user, status", [
    ("kesra", 200), ("admin", 200), ("bpjs", 200), ("dinsos", 404), ("supervisor", 403)])
def test_access_to_kesras_document(client, auth, world, kesra_list, user, status):
    auth.login(user)
    response = client.get(URL.format("KESRA"))
    assert response.status_code == status
    if status != 200:
        assert kesra_list["approved"][0].nik not in response.text
        assert nik_views() == []


def test_anonymous_goes_to_login(client, world):
    response = client.get(URL.format("KESRA"))
    assert response.status_code == 302 and response.headers["Location"].startswith("/masuk")


def test_unknown_opd_is_404(client, auth, world):
    auth.login("admin")
    assert client.get(URL.format("NOPE")).status_code == 404


@pytest.mark.parametrize("raw", ["kemarin", "2025-13-01", "2025-02-30", "01-12-2025", "1900-01-01",
                                 "2025-12-01T00:00", "9" * 60])
def test_bad_tanggal_is_422_and_reveals_nothing(client, auth, world, kesra_list, raw):
    auth.login("kesra")
    response = client.get(URL.format("KESRA"), query_string={"tanggal": raw})
    assert response.status_code == 422
    assert "Tanggal dokumen tidak sah" in response.text and "TTTT-BB-HH" in response.text
    assert kesra_list["approved"][0].nik not in response.text
    assert nik_views() == []


def test_default_date_is_today_in_jakarta(client, auth, world, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 3, 19, 23, 30, tzinfo=timezone.utc))  # 06:30 WIB
    auth.login("kesra")
    assert "Pada hari ini, Jumat tanggal 20 Maret 2026" in client.get(URL.format("KESRA")).text


def test_index_redirects_a_verifier_to_the_own_document(client, auth, world):
    auth.login("dinsos")
    response = client.get("/berita-acara")
    assert response.status_code == 302 and response.headers["Location"].endswith("/berita-acara/DINSOS")
    dated = client.get("/berita-acara?tanggal=2025-12-01")
    assert dated.headers["Location"].endswith("/berita-acara/DINSOS?tanggal=2025-12-01")


@pytest.mark.parametrize("user", ["admin", "bpjs"])
def test_index_lists_every_opd_for_admin_and_bpjs(client, auth, world, kesra_list, user):
    auth.login(user)
    response = client.get("/berita-acara")
    assert response.status_code == 200
    for code in world.opd:
        assert f'href="/berita-acara/{code}"' in response.text
    row = response.text.split('id="ba-KESRA"')[1].split("</tr>")[0]
    assert [c.split("<")[0] for c in row.split('class="n">')[1:]] == ["6", "2", "2", "2"]
    assert nik_views() == []  # the list shows no NIK


def test_index_is_403_for_supervisor(client, auth, world):
    auth.login("supervisor")
    assert client.get("/berita-acara").status_code == 403


# --- the date ------------------------------------------------------------------------------

@pytest.fixture
def decided_in_2025(world):
    """KESRA: Ahmad approved on 5 Aug 2025 (00:30 WIB); Budi rejected on 1 Mar 2025, reopened on
    1 Sep and approved on 2 Sep; Cahya pending throughout. The workers hold today's states."""
    admin = world.users["admin"]
    ahmad = world.worker("KESRA", verification="approved", full_name="Ahmad Kemudian")
    budi = world.worker("KESRA", verification="approved", full_name="Budi Dibuka Lagi")
    world.worker("KESRA", full_name="Cahya Menunggu")
    utc = lambda m, d, h=3, minute=0: datetime(2025, m, d, h, minute, tzinfo=timezone.utc)
    for w, action, was, to, at, reason, note in [
            (budi, "reject", "pending", "rejected", utc(3, 1), "MENINGGAL", "Kata kepala desa"),
            (ahmad, "approve", "pending", "approved", utc(8, 4, 17, 30), None, ""),  # 00:30 WIB on the 5th
            (budi, "reopen", "rejected", "pending", utc(9, 1), None, ""),
            (budi, "approve", "pending", "approved", utc(9, 2), None, "")]:
        audit.record(db.session, action=action, user_id=admin.id, worker_id=w.id, from_state=was, to_state=to,
                     reason_code=reason, note=note, created_at=at)
    db.session.commit()
    return ahmad, budi


@pytest.mark.parametrize("day, approved, rejected, counts", [
    # counts: (received, approved, rejected, pending), by hand from the fixture's events
    (date(2025, 1, 1), [], [], (3, 0, 0, 3)),
    (date(2025, 8, 4), [], ["Budi Dibuka Lagi"], (3, 0, 1, 2)),  # 23:59 WIB: Ahmad not yet
    (date(2025, 8, 5), ["Ahmad Kemudian"], ["Budi Dibuka Lagi"], (3, 1, 1, 1)),
    (date(2025, 12, 1), ["Ahmad Kemudian", "Budi Dibuka Lagi"], [], (3, 2, 0, 1)),
])
def test_a_dated_document_lists_what_stood_at_the_end_of_that_day(world, decided_in_2025, day, approved,
                                                                    rejected, counts):
    doc = contents.build(db.session, world.opd["KESRA"], world.users["admin"], day)
    assert [line.full_name for line in doc.approved] == approved
    assert [line.full_name for line in doc.rejected] == rejected
    f = doc.figures
    assert (f.received, f.approved, f.rejected, f.pending) == counts
    assert (f.approved, f.rejected) == (len(doc.approved), len(doc.rejected))  # totals agree with lists
    if rejected:  # the reason it was rejected with then, though it is approved now
        assert (doc.rejected[0].reason, doc.rejected[0].note) == ("Meninggal dunia", "Kata kepala desa")


def test_the_page_dated_before_a_decision_does_not_show_it(client, auth, world, decided_in_2025):
    ahmad, budi = decided_in_2025
    auth.login("kesra")
    html = client.get(URL.format("KESRA") + "?tanggal=2025-01-01").text
    assert "Pada hari ini, Rabu tanggal 1 Januari 2025" in html and "keadaan pada akhir tanggal dokumen" in html
    assert ahmad.nik not in html and budi.nik not in html and html.count("Tidak ada nama.") == 2
    for cell, value in (("diterima", 3), ("disetujui", 0), ("ditolak", 0), ("belum", 3)):
        assert f'id="ba-{cell}">{value}<' in html
    assert nik_views() == []  # nothing shown, nothing revealed
    html = client.get(URL.format("KESRA") + "?tanggal=2025-08-05").text
    approved = html.split('id="ba-daftar-disetujui"')[1].split("</tbody>")[0]
    rejected = html.split('id="ba-daftar-ditolak"')[1].split("</tbody>")[0]
    assert ahmad.nik in approved and budi.nik in rejected and "Meninggal dunia" in rejected
    for cell, value in (("diterima", 3), ("disetujui", 1), ("ditolak", 1), ("belum", 1)):
        assert f'id="ba-{cell}">{value}<' in html
    assert {e.worker_id for e in nik_views()} == {ahmad.id, budi.id}


def test_a_future_date_is_refused(client, auth, world, kesra_list, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 3, 19, 16, 59, tzinfo=timezone.utc))  # 23:59 WIB
    auth.login("kesra")
    response = client.get(URL.format("KESRA"), query_string={"tanggal": "2026-03-20"})
    assert response.status_code == 422
    assert "Tanggal dokumen 20 Maret 2026 belum tiba" in response.text and 'max="2026-03-19"' in response.text
    assert kesra_list["approved"][0].nik not in response.text and nik_views() == []
    assert client.get(URL.format("KESRA"), query_string={"tanggal": "2026-03-19"}).status_code == 200
