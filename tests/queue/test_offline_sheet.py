"""The offline decision spreadsheet: download, fill in with openpyxl, upload, preview, apply; rows
altered, outdated or of another OPD are refused with their reason and never applied."""
import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from portal.core import sheets, tallies
from portal.core.models import Event, Worker
from portal.queue import offline_sheet, transitions
from portal.web.extensions import db
from tests.core.test_sheets import MESSAGE, entity_bomb, zip_bomb

KEY = b"test-only"  # TestingConfig.SECRET_KEY
COL = {name: i for i, name in enumerate(offline_sheet.HEADER, 1)}


@pytest.fixture(autouse=True)
def _uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "unggahan")


def download(client, query: str = ""):
    response = client.get("/antrian/unduh.xlsx" + query)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data))


def rows_by_name(wb) -> dict:
    ws = wb["Antrian"]
    return {ws.cell(r, COL["Nama"]).value: r for r in range(2, ws.max_row + 1)}


def fill(wb, row: int, decision=None, reason=None, note=None) -> None:
    ws = wb["Antrian"]
    for column, value in (("Keputusan", decision), ("Alasan", reason), ("Catatan", note)):
        ws.cell(row, COL[column]).value = value


def upload(client, wb, name: str = "keputusan.xlsx"):
    out = io.BytesIO()
    wb.save(out)
    return client.post("/antrian/unggah", data={"berkas": (io.BytesIO(out.getvalue()), name)},
                       content_type="multipart/form-data")


def apply(client, location: str):
    sha = re.search(r'value="([0-9a-f]{64})"', client.get(location).get_data(as_text=True)).group(1)
    return client.post(location, data={"sha": sha})


@pytest.fixture
def names(world):
    made = {n: world.worker("DINSOS", full_name=n) for n in
            ("Ahmad", "Badu", "Cici", "Dedi", "Euis", "Fajar", "Gita", "Hadi")}
    made["Kesra"] = world.worker("KESRA", full_name="Kesra Satu")
    made["Sudah"] = world.worker("DINSOS", full_name="Sudah Disetujui", verification="approved")
    return made


def test_download_holds_the_pending_names_sealed_and_protected(auth, client, names):
    auth.login("dinsos")
    wb = download(client)
    ws = wb["Antrian"]
    assert [c.value for c in ws[1]] == offline_sheet.HEADER
    rows = rows_by_name(wb)
    assert set(rows) == {"Ahmad", "Badu", "Cici", "Dedi", "Euis", "Fajar", "Gita", "Hadi"}
    r = rows["Ahmad"]
    w = names["Ahmad"]
    nik = ws.cell(r, COL["NIK"])
    assert nik.value == w.nik and nik.data_type == "s" and nik.number_format == "@"
    assert ws.cell(r, COL["Cek"]).value == offline_sheet.checksum(KEY, w.id, w.nik, w.full_name, w.version)
    assert all(ws.column_dimensions[c].hidden for c in ("A", "B", "K"))
    assert ws.protection.sheet and wb.security.lockStructure and wb["Daftar"].sheet_state == "hidden"
    assert not ws.cell(r, COL["Keputusan"]).protection.locked and ws.cell(r, COL["NIK"]).protection.locked
    lists = {str(dv.sqref)[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists["H"] == '"Setujui,Tolak,Tunda"' and lists["I"].startswith("Daftar!$A$1:")
    assert "Lainnya" in [c.value for c in wb["Daftar"]["A"]]  # the reason, without the flag's hint
    event = db.session.scalars(select(Event).where(Event.action == "export")).one()
    assert '"what": "antrian.xlsx"' in event.detail and '"rows": 8' in event.detail


def test_round_trip_applies_decisions_and_refuses_what_it_must(auth, client, world, names):
    auth.login("kesra")
    kesra_row = [c.value for c in download(client)["Antrian"][2]]  # a genuine row of another OPD
    auth.logout()
    auth.login("dinsos")
    wb = download(client)
    rows = rows_by_name(wb)
    fill(wb, rows["Ahmad"], "Setujui")
    fill(wb, rows["Badu"], "Tolak", "Meninggal dunia")
    fill(wb, rows["Cici"], "Tunda", None, "Menunggu KTP baru")
    fill(wb, rows["Dedi"], "Tolak", "Lainnya (catatan wajib)")  # a sheet from before 0003; note missing
    fill(wb, rows["Euis"], "Setujui")
    wb["Antrian"].cell(rows["Euis"], COL["Nama"]).value = "Euis Diubah"  # tampered
    fill(wb, rows["Fajar"], "Setujui")  # changed since the download, below
    fill(wb, rows["Gita"], "Mungkin")
    ws = wb["Antrian"]
    ws.append(kesra_row[:7] + ["Setujui", None, None, kesra_row[10]])
    ws.append([names["Kesra"].id, names["Kesra"].version, names["Kesra"].nik, "Kesra Satu", "", "", "", "Setujui",
               None, None, "0" * 64])  # forged
    fajar = names["Fajar"]
    transitions.hold(db.session, fajar, world.users["dinsos"], fajar.version, "cek lapangan")
    db.session.commit()

    response = upload(client, wb)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pratinjau" in page and "NIK atau nama diubah di file" in page
    assert "sudah berubah sejak diunduh" in page and "Bukan data OPD Anda" in page
    assert "wajib disertai catatan" in page and "Keputusan tidak dikenal" in page

    assert apply(client, response.headers["Location"]).status_code == 303
    for w in names.values():
        db.session.refresh(w)
    state = {n: names[n].verification for n in names}
    assert state == {"Ahmad": "approved", "Badu": "rejected", "Cici": "on_hold", "Dedi": "pending", "Euis": "pending",
                     "Fajar": "on_hold", "Gita": "pending", "Hadi": "pending", "Kesra": "pending", "Sudah": "approved"}
    assert names["Badu"].reject_reason.code == "MENINGGAL" and names["Cici"].decision_note == "Menunggu KTP baru"
    assert tallies.kept(db.session) == tallies.counted(db.session)
    decided = db.session.scalars(select(Event).where(Event.action.in_(("approve", "reject", "hold")),
                                                     Event.user_id == world.users["dinsos"].id)).all()
    assert sorted((e.worker_id, e.action) for e in decided) == sorted(
        [(names["Ahmad"].id, "approve"), (names["Badu"].id, "reject"), (names["Cici"].id, "hold"),
         (fajar.id, "hold")])
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Hasil" in result and "NIK atau nama diubah di file" in result and "Euis Diubah" in result
    assert "Terapkan</button>" not in result


def test_admin_downloads_an_opd_and_decides_it(auth, client, world, names):
    auth.login("admin")
    wb = download(client, "?opd=KESRA")
    assert set(rows_by_name(wb)) == {"Kesra Satu"}
    fill(wb, 2, "tolak", "data_ganda")  # case and reason code are accepted too
    location = upload(client, wb).headers["Location"]
    assert apply(client, location).status_code == 303
    db.session.refresh(names["Kesra"])
    assert names["Kesra"].verification == "rejected" and names["Kesra"].reject_reason.code == "DATA_GANDA"


def test_a_refusal_at_apply_changes_nothing(auth, client, world, names, monkeypatch):
    auth.login("dinsos")
    wb = download(client)
    rows = rows_by_name(wb)
    fill(wb, rows["Ahmad"], "Setujui")
    fill(wb, rows["Badu"], "Setujui")
    location = upload(client, wb).headers["Location"]
    real = transitions.approve
    calls = []

    def approve_then_fail(session, worker, actor, version):
        calls.append(worker.id)
        if len(calls) == 2:
            raise transitions.Stale("Data ini sudah berubah.")
        return real(session, worker, actor, version)
    monkeypatch.setattr(transitions, "approve", approve_then_fail)
    response = apply(client, location)
    assert response.status_code == 409 and "Data ini sudah berubah." in response.get_data(as_text=True)
    assert {db.session.get(Worker, names[n].id).verification for n in ("Ahmad", "Badu")} == {"pending"}
    assert tallies.kept(db.session) == tallies.counted(db.session)


def test_another_opds_verifier_cannot_open_the_upload(auth, client, names):
    auth.login("dinsos")
    location = upload(client, download(client)).headers["Location"]
    auth.logout()
    auth.login("kesra")
    assert client.get(location).status_code == 404
    assert client.post(location, data={"sha": "0" * 64}).status_code == 404


def test_an_untouched_sheet_is_all_skipped(auth, client, names):
    auth.login("dinsos")
    location = upload(client, download(client)).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Tidak ada keputusan yang dapat diterapkan" in page and "Terapkan</button>" not in page


@pytest.mark.parametrize("name, build, says", [
    ("keputusan.csv", lambda: b"ID,Versi\n", "Unggah berkas .xlsx"),
    ("keputusan.xlsx", lambda: _sheet([["NIK", "Nama"], ["1609", "x"]]),
     "Kolom wajib tidak ditemukan: ID, Versi, Keputusan, Alasan, Catatan, Cek (baris judul kolom: baris 1)"),
    ("keputusan.xlsx", lambda: _sheet([["Daftar"], offline_sheet.HEADER]), "Baris judul kolom tidak ditemukan di 1 "
                                                                           "baris pertama"),
    ("keputusan.xlsx", lambda: b"PK\x03\x04rusak", "Berkas .xlsx ini rusak atau bukan berkas Excel."),
    ("keputusan.xlsx", lambda: b"", "Berkas kosong."),
])
def test_bad_uploads_get_a_clear_message(auth, client, world, name, build, says):
    auth.login("dinsos")
    response = client.post("/antrian/unggah", data={"berkas": (io.BytesIO(build()), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and says in response.get_data(as_text=True)


@pytest.mark.parametrize("bomb, member, says", [
    ("zip", "xl/sharedStrings.xml", "Isi berkas Excel ini terlalu besar setelah dibuka (lebih dari 1 MB)."),
    ("zip", "xl/worksheets/sheet1.xml", "Isi berkas Excel ini terlalu besar setelah dibuka (lebih dari 1 MB)."),
    ("entity", "xl/worksheets/sheet1.xml", MESSAGE["file_dtd"]),
    ("entity", "xl/sharedStrings.xml", MESSAGE["file_dtd"]),
])
def test_bombs_are_refused_and_no_decision_is_applied(auth, client, names, monkeypatch, tmp_path, bomb, member, says):
    monkeypatch.setattr(sheets, "MAX_UNZIPPED", 2**20)
    auth.login("dinsos")
    wb = download(client)
    rows = rows_by_name(wb)
    fill(wb, rows["Ahmad"], "Setujui")
    fill(wb, rows["Badu"], "Tolak", "Meninggal dunia")
    out = io.BytesIO()
    wb.save(out)
    data = zip_bomb(out.getvalue(), 3 * 2**20, member) if bomb == "zip" else entity_bomb(out.getvalue(), member)
    assert len(data) < 100_000
    response = client.post("/antrian/unggah", data={"berkas": (io.BytesIO(data), "keputusan.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and says in response.get_data(as_text=True)
    assert {db.session.get(Worker, names[n].id).verification for n in ("Ahmad", "Badu")} == {"pending"}
    assert not list((tmp_path / "unggahan").glob("*"))  # nothing kept for a preview
    assert db.session.scalars(select(Event).where(Event.action.in_(("approve", "reject")))).all() == []
    assert upload(client, wb).status_code == 303  # the same sheet unbombed is read


def _sheet(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_checksum_depends_on_key_and_every_sealed_field():
    base = offline_sheet.checksum(KEY, 1, "1609010101900001", "Siti", 3)
    assert base != offline_sheet.checksum(b"other", 1, "1609010101900001", "Siti", 3)
    assert base != offline_sheet.checksum(KEY, 2, "1609010101900001", "Siti", 3)
    assert base != offline_sheet.checksum(KEY, 1, "1609010101900002", "Siti", 3)
    assert base != offline_sheet.checksum(KEY, 1, "1609010101900001", "Sita", 3)
    assert base != offline_sheet.checksum(KEY, 1, "1609010101900001", "Siti", 4)


def test_review_refuses_holds_without_a_note_and_is_repeatable(world):
    w = world.worker("DINSOS")
    line = offline_sheet.Line(2, w.id, w.version, w.nik, w.full_name, decision="tunda",
                          check=offline_sheet.checksum(KEY, w.id, w.nik, w.full_name, w.version))
    for _ in range(2):
        result = offline_sheet.review(db.session, world.users["dinsos"], [line], KEY)
        assert result.counts["refused"] == 1 and "Tunda wajib" in line.message
    line.note = "tunggu"
    assert offline_sheet.review(db.session, world.users["dinsos"], [line], KEY).counts["hold"] == 1
    with pytest.raises(transitions.NotAllowed):
        offline_sheet.review(db.session, world.users["bpjs"], [line], KEY)


def test_on_hold_names_come_too_skipped_rows_are_a_count_and_the_same_file_is_known_again(auth, client, world,
                                                                                          names):
    hadi = names["Hadi"]
    transitions.hold(db.session, hadi, world.users["dinsos"], hadi.version, "menunggu KK")
    db.session.commit()
    auth.login("dinsos")
    wb = download(client)
    rows = rows_by_name(wb)
    ws = wb["Antrian"]
    assert ws.cell(rows["Hadi"], COL["Status"]).value == "Ditunda: menunggu KK"
    assert ws.cell(rows["Ahmad"], COL["Status"]).value == "Menunggu"
    assert max(rows.values()) == rows["Hadi"]  # pending first, then those on hold
    fill(wb, rows["Hadi"], "Setujui")
    fill(wb, rows["Ahmad"], "Tunda")  # no note: cannot be applied
    out = io.BytesIO()
    wb.save(out)

    def send():  # the same bytes each time, as a clerk uploading the same file twice
        return client.post("/antrian/unggah", data={"berkas": (io.BytesIO(out.getvalue()), "keputusan.xlsx")},
                           content_type="multipart/form-data").headers["Location"]
    location = send()
    page = client.get(location).get_data(as_text=True)
    assert "Tidak dapat diterapkan" in page and "Ditolak portal" not in page and "Dilewati" not in page
    assert "6 baris tanpa keputusan dilewati" in page
    assert 'id="baris-' + str(rows["Badu"]) + '"' not in page  # a skipped row is only counted
    assert apply(client, location).status_code == 303
    db.session.refresh(hadi)
    assert hadi.verification == "approved"
    event = db.session.scalars(select(Event).where(Event.action == "sheet_apply")).one()
    assert '"sha256": "' in event.detail

    again = client.get(send()).get_data(as_text=True)
    assert "Berkas ini sudah diterapkan pada" in again
    assert "Sudah diterapkan dari berkas ini sebelumnya" in again and "sudah berubah sejak diunduh" not in again
