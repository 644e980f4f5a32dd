"""BPJS's participant report: every verdict of the preview, apply through the enrolment module
(all or nothing, audited, tallies kept), and files that must be refused without a 500."""
import io
import json
import re
from datetime import date, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from portal.bpjs import enrolment, participant_file
from portal.core import clock, sheets, tallies
from portal.core.errors import Invalid
from portal.core.models import Event, Worker
from portal.web.extensions import db
from tests.core.test_sheets import MESSAGE, entity_bomb, zip_bomb

TODAY = clock.today()
HEADER = ["No", "NIK", "Nama", "No KPJ", "Status", "Tgl Daftar"]


@pytest.fixture(autouse=True)
def _uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "unggahan")


def workbook(rows, title_rows=2, header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    for i in range(title_rows):
        ws.append([f"LAPORAN PESERTA BPU — halaman {i + 1}"])
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def scene(world):
    """One worker for every verdict, and the report rows that hit them."""
    w = {
        "enrol": world.worker(verification="approved"),
        "same": world.worker(verification="approved", enrolment="enrolled", kpj="26000000002", enrolled_on=TODAY),
        "lapse": world.worker(verification="approved", enrolment="enrolled", kpj="26000000003", enrolled_on=TODAY),
        "restore": world.worker(verification="approved", enrolment="inactive", kpj="26000000004", enrolled_on=TODAY),
        "not_approved": world.worker(verification="pending"),
        "conflict_own": world.worker(verification="approved", enrolment="enrolled", kpj="26000000005"),
        "conflict_other": world.worker("KESRA", verification="approved"),
    }
    rows = [
        [1, w["enrol"].nik, w["enrol"].full_name.upper(), "26000000001", "Aktif", "05/01/2025"],
        [2, w["same"].nik, w["same"].full_name.upper(), "26000000002", "AKTIF", date(2025, 1, 5)],
        [3, w["lapse"].nik, w["lapse"].full_name.upper(), "26000000003", "Non Aktif", ""],
        [4, w["restore"].nik, w["restore"].full_name.upper(), "26000000004", "aktif", "2025-01-05"],
        [5, "1609010101900099", "E", "26000000006", "Aktif", "2025-01-05"],
        [6, w["not_approved"].nik, w["not_approved"].full_name.upper(), "26000000007", "Aktif", "2025-01-05"],
        [7, w["conflict_own"].nik, w["conflict_own"].full_name.upper(), "26000000099", "Aktif", "2025-01-05"],
        [8, w["conflict_other"].nik, w["conflict_other"].full_name.upper(), "26000000005", "Aktif", "2025-01-05"],
        [9, "12345", "I", "26000000008", "Aktif", "2025-01-05"],
        [10, int(w["enrol"].nik[:15] + "0"), "J", "26000000010", "Aktif", "2025-01-05"],
        [11, w["enrol"].nik, w["enrol"].full_name, "26000000001", "Aktif", "05/01/2025"],
        [12, w["not_approved"].nik[:15] + "8", "L", "2600000001", "Aktif", "2025-01-05"],
    ]
    return w, rows


EXPECTED = {"enrol": 1, "restore": 1, "lapse": 1, "same": 1, "not_found": 1, "not_approved": 1, "conflict": 2,
            "invalid": 4}


def upload(client, data: bytes, name: str = "laporan.xlsx"):
    return client.post("/bpjs/impor", data={"berkas": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_preview_gives_every_row_its_verdict(world, scene):
    w, rows = scene
    preview = participant_file.preview(db.session, workbook(rows), "laporan.xlsx", TODAY)
    assert preview.counts == EXPECTED
    by_row = {line.number: line for line in preview.lines}
    first = by_row[4]  # two title rows, the header on row 3
    assert (first.verdict, first.on, first.worker_id, first.kpj) == ("enrol", date(2025, 1, 5), w["enrol"].id, "26000000001")
    assert [by_row[n].verdict for n in range(5, 16)] == [
        "same", "lapse", "restore", "not_found", "not_approved", "conflict", "conflict", "invalid", "invalid",
        "invalid", "invalid"]
    assert "KPJ lain" in by_row[10].message and by_row[11].params == {"other": w["conflict_own"].full_name}
    assert "16 angka" in by_row[12].message and "digit terakhir" in by_row[13].message
    assert "sebelumnya" in by_row[14].message and "11 angka" in by_row[15].message
    assert preview.actionable == 3


def test_one_kpj_for_two_niks_in_the_file_is_a_conflict_on_both(world):
    a, b = world.worker(verification="approved"), world.worker(verification="approved")
    rows = [[1, a.nik, "", "26000000001", "Aktif", "2025-01-05"], [2, b.nik, "", "26000000001", "Aktif", "2025-01-05"]]
    preview = participant_file.preview(db.session, workbook(rows, title_rows=0), "x.xlsx", TODAY)
    assert [line.verdict for line in preview.lines] == ["conflict", "conflict"]


def test_upload_preview_apply_through_the_web(auth, client, world, scene):
    w, rows = scene
    auth.login("bpjs")
    response = upload(client, workbook(rows))
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Pratinjau" in text and 'id="baris-14"' in text
    sha = re.search(r'value="([0-9a-f]{64})"', text)
    done = client.post(response.headers["Location"], data={"sha": sha.group(1)})
    assert done.status_code == 303
    for key in w:
        db.session.refresh(w[key])
    assert (w["enrol"].enrolment, w["enrol"].kpj, w["enrol"].enrolled_on) == ("enrolled", "26000000001", date(2025, 1, 5))
    assert w["lapse"].enrolment == "inactive" and w["restore"].enrolment == "enrolled"
    lapse = db.session.scalars(select(Event).where(Event.action == "lapse")).one()
    assert json.loads(lapse.detail) == {"lapsed_on": TODAY.isoformat()}  # no date in the file: the day it came
    assert w["not_approved"].enrolment == "not_enrolled" and w["conflict_other"].enrolment == "not_enrolled"
    assert w["conflict_own"].kpj == "26000000005"
    assert tallies.kept(db.session) == tallies.counted(db.session)
    actions = [e.action for e in db.session.scalars(select(Event).order_by(Event.seq)) if e.user_id == world.users["bpjs"].id]
    assert sorted(actions[-4:]) == ["bpjs_file_apply", "enrol", "lapse", "restore"] and actions[-1] == "bpjs_file_apply"
    summary = db.session.scalars(select(Event).where(Event.action == "bpjs_file_apply")).one()
    assert json.loads(summary.detail)["counts"] == EXPECTED
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Hasil" in result and "Baris yang tidak diterapkan" in result and "Terapkan</button>" not in result
    again = client.post(response.headers["Location"], data={"sha": sha.group(1)})
    assert again.status_code == 303
    assert db.session.scalars(select(Event).where(Event.action == "bpjs_file_apply")).all() == [summary]


def test_csv_with_semicolons_and_windows_1252(auth, client, world):
    w = world.worker(verification="approved", full_name="Zubaidah")
    text = f"NIK;No. KPJ;Nama;Status Kepesertaan;Tanggal Kepesertaan\r\n{w.nik};260 0000 0011;Zubaidah é;Aktif;5 Januari 2025\r\n"
    preview = participant_file.preview(db.session, text.encode("cp1252"), "bpjs.csv", TODAY)
    assert preview.counts["enrol"] == 1 and preview.lines[0].kpj == "26000000011"


def test_apply_is_all_or_nothing(world, scene, monkeypatch):
    w, rows = scene

    def refuse(*_args, **_kw):
        raise Invalid("ditolak")
    monkeypatch.setattr(enrolment, "restore", refuse)
    with pytest.raises(Invalid):
        participant_file.apply(db.session, world.users["bpjs"], workbook(rows), "laporan.xlsx", TODAY)
    db.session.rollback()
    assert db.session.get(Worker, w["enrol"].id).enrolment == "not_enrolled"
    assert db.session.get(Worker, w["lapse"].id).enrolment == "enrolled"
    assert not db.session.scalars(select(Event).where(Event.action.in_(("enrol", "lapse", "bpjs_file_apply")))).all()


def test_a_refused_apply_shows_the_preview_with_the_reason(auth, client, world, scene, monkeypatch):
    w, rows = scene
    auth.login("admin")
    location = upload(client, workbook(rows)).headers["Location"]
    sha = re.search(r'value="([0-9a-f]{64})"', client.get(location).get_data(as_text=True)).group(1)
    assert client.post(location, data={"sha": "0" * 64}).status_code == 409
    monkeypatch.setattr(enrolment, "lapse", lambda *a, **k: (_ for _ in ()).throw(Invalid("Tidak bisa sekarang.")))
    refused = client.post(location, data={"sha": sha})
    assert refused.status_code == 422 and "Tidak bisa sekarang." in refused.get_data(as_text=True)
    assert db.session.get(Worker, w["enrol"].id).enrolment == "not_enrolled"


def test_apply_classifies_again_against_current_data(world, scene):
    w, rows = scene
    enrolment.enrol(db.session, w["enrol"], world.users["bpjs"], w["enrol"].version, "26000000001", TODAY, TODAY)
    db.session.commit()
    result = participant_file.apply(db.session, world.users["bpjs"], workbook(rows), "laporan.xlsx", TODAY)
    db.session.commit()
    assert result.counts["enrol"] == 0 and result.counts["same"] == 2


def test_enrol_needs_a_usable_date(world):
    w = world.worker(verification="approved")
    for when in ("", "kemarin", (TODAY + timedelta(days=1)).isoformat(), "2013-12-31"):
        preview = participant_file.preview(db.session, workbook([[1, w.nik, "", "26000000001", "Aktif", when]]), "x.xlsx", TODAY)
        assert preview.lines[0].verdict == "invalid", when


def test_another_users_upload_is_not_found(auth, client, world, scene):
    auth.login("bpjs")
    location = upload(client, workbook(scene[1])).headers["Location"]
    auth.logout()
    auth.login("admin")
    assert client.get(location).status_code == 404
    assert client.get("/bpjs/impor/" + "a" * 32).status_code == 404
    assert client.get("/bpjs/impor/..%2F..%2Fportal").status_code == 404


@pytest.mark.parametrize("data, name, says", [
    (b"x" * 1001, "besar.csv", "terlalu besar"),  # the limit is lowered to 1000 bytes below
    (b"%PDF-1.4", "laporan.pdf", "Jenis berkas tidak didukung"),
    (b"PK\x03\x04rusak", "laporan.xlsx", "rusak"),
    (b"bukan zip", "laporan.xlsx", "rusak"),
    (b"", "kosong.csv", "Berkas kosong"),
    (b"NIK,Nama\n1609010101900001,Siti\n", "laporan.csv", "Kolom wajib tidak ditemukan: No KPJ, Status"),
    (b"NIK,KPJ,Status,Tgl Daftar\n\x00\x00", "laporan.csv", "rusak"),
])
def test_bad_files_get_a_clear_message(auth, client, world, monkeypatch, data, name, says):
    # The test client leaks the temporary file it spools a large upload into, so the web test
    # lowers the limit; the real 5 MB limit is checked on the domain function below.
    monkeypatch.setattr("portal.core.sheets.MAX_BYTES", 1000)
    auth.login("bpjs")
    response = upload(client, data, name)
    assert response.status_code == 422 and says in response.get_data(as_text=True)


def test_five_megabytes_and_twenty_thousand_rows_at_most():
    with pytest.raises(Invalid, match="Berkas terlalu besar"):
        participant_file.read_report(b"x" * (5 * 1024 * 1024 + 1), "besar.csv")
    header, line = b"NIK,No KPJ,Status,Tgl Daftar\n", b"1609010101900001,26000000001,Aktif,2025-01-05"
    width = (5 * 1024 * 1024 - len(header)) // 20_000  # 20 000 lines fill the 5 MB
    body = (line + b" " * (width - len(line) - 1) + b"\n") * 20_000
    content = header + body + b" " * (5 * 1024 * 1024 - len(header) - len(body))
    lines = participant_file.read_report(content, "pas.csv", TODAY)
    assert len(content) == 5 * 1024 * 1024 and len(lines) == 20_000 and lines[-1].on == date(2025, 1, 5)
    with pytest.raises(Invalid, match="paling banyak 20.000 baris data per berkas"):
        participant_file.read_report(header + (line + b"\n") * 20_001, "banyak.csv", TODAY)


@pytest.mark.parametrize("bomb, member, says", [
    ("zip", "xl/sharedStrings.xml", "Isi berkas Excel ini terlalu besar setelah dibuka (lebih dari 1 MB)."),
    ("zip", "xl/worksheets/sheet1.xml", "Isi berkas Excel ini terlalu besar setelah dibuka (lebih dari 1 MB)."),
    ("entity", "xl/worksheets/sheet1.xml", MESSAGE["file_dtd"]),
    ("entity", "xl/sharedStrings.xml", MESSAGE["file_dtd"]),
])
def test_bombs_are_refused_and_nothing_changes(auth, client, world, scene, monkeypatch, tmp_path, bomb, member, says):
    w, rows = scene
    monkeypatch.setattr(sheets, "MAX_UNZIPPED", 2**20)
    report = workbook(rows)
    data = zip_bomb(report, 3 * 2**20, member) if bomb == "zip" else entity_bomb(report, member)
    assert len(data) < 100_000
    before = {key: (x.enrolment, x.kpj, x.version) for key, x in w.items()}
    auth.login("bpjs")
    response = upload(client, data)
    assert response.status_code == 422 and says in response.get_data(as_text=True)
    for x in w.values():
        db.session.refresh(x)
    assert {key: (x.enrolment, x.kpj, x.version) for key, x in w.items()} == before
    assert not list((tmp_path / "unggahan").glob("*"))  # nothing kept for a preview
    assert db.session.scalars(select(Event).where(Event.action.in_(("enrol", "lapse", "restore",
                                                                    "bpjs_file_apply")))).all() == []
    assert upload(client, report).status_code == 303  # the same report unbombed is read


def test_report_dates_are_read_as_people_write_them(world):
    text = ("NIK,No KPJ,Status,Tgl Daftar\n" + "\n".join(
        f"1609010101900001,26000000001,Aktif,{when}" for when in ("17 Agt 2024", "05/01/25", "5-Jan-2024", "45296",
                                                                    "2013-02-30"))).encode()
    assert [line.on for line in participant_file.read_report(text, "d.csv", date(2026, 11, 28))] == [
        date(2024, 8, 17), date(2025, 1, 5), date(2024, 1, 5), None, None]
    serial = participant_file.read_report(workbook([[1, "1609010101900001", "", "26000000001", "Aktif", 45296]]),
                                          "d.xlsx", TODAY)
    assert serial[0].on == date(2024, 1, 5)


def test_missing_file_and_roles(auth, client, world):
    auth.login("bpjs")
    assert client.get("/bpjs/impor").status_code == 200
    assert client.post("/bpjs/impor", data={}).status_code == 422
    auth.logout()
    auth.login("supervisor")
    assert client.get("/bpjs/impor").status_code == 403


def test_only_enrollers_apply(world, scene):
    with pytest.raises(Exception, match="petugas BPJS"):
        participant_file.apply(db.session, world.users["dinsos"], workbook(scene[1]), "x.xlsx", TODAY)


@pytest.mark.parametrize("value, active", [("Aktif", True), ("AKTIF", True), ("Non Aktif", False),
                                           ("Non-Aktif", False), ("Tidak Aktif", False), ("?", None), (None, None)])
def test_status(value, active):
    assert participant_file._status(value) is active


def test_a_name_that_is_another_persons_is_flagged_with_both_names(world):
    siti = world.worker(verification="approved", full_name="Hj. Siti Aminah, S.Pd.")
    rudi = world.worker(verification="approved", full_name="Rudi Hartono")
    yusuf = world.worker(verification="approved", full_name="Muhammad Yusuf")
    rows = [[1, siti.nik, "SITI AMINAH", "26000000001", "Aktif", "2025-01-05"],  # titles and case
            [2, rudi.nik, "x", "26000000002", "Aktif", "2025-01-05"],  # someone else's NIK
            [3, yusuf.nik, "MOHAMAD YUSUF", "26000000003", "Aktif", "2025-01-05"]]  # a spelling variant
    lines = participant_file.preview(db.session, workbook(rows), "laporan.xlsx", TODAY).lines
    assert [line.verdict for line in lines] == ["enrol", "conflict", "enrol"]
    said = lines[1].message % lines[1].params
    assert "“x”" in said and "“Rudi Hartono”" in said
    no_names = [[1, rudi.nik, "26000000002", "Aktif", "2025-01-05"]]  # a file without a name column
    header = ["No", "NIK", "No KPJ", "Status", "Tgl Daftar"]
    assert participant_file.preview(db.session, workbook(no_names, header=header), "l.xlsx", TODAY).lines[0].verdict == "enrol"


def test_a_lapse_from_the_file_is_dated_the_day_it_came_not_the_participation_start(world):
    w = world.worker(verification="approved", enrolment="enrolled", kpj="26000000031", enrolled_on=date(2025, 1, 5))
    rows = [[1, w.nik, w.full_name.upper(), "26000000031", "Non Aktif", "2025-01-05"]]
    participant_file.apply(db.session, world.users["bpjs"], workbook(rows), "laporan.xlsx", TODAY)
    db.session.commit()
    lapse = db.session.scalars(select(Event).where(Event.action == "lapse")).one()
    assert json.loads(lapse.detail) == {"lapsed_on": TODAY.isoformat()}
