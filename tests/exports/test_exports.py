"""Exports: the BPJS workbook opened back with openpyxl, CSV lists streamed with formula guards
and NIKs masked by role, the audit event of every export and the data subject's view of it."""
import csv
import io
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.core import export_trail, privacy, queries, tallies
from portal.core.models import Event, Worker
from portal.exports import rules
from portal.queue import transitions
from portal.web.extensions import db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "unggahan")


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))


def last_export(what: str) -> dict:
    event = db.session.scalars(select(Event).where(Event.action == "export").order_by(Event.seq.desc())).first()
    detail = json.loads(event.detail)
    assert detail["what"] == what
    return detail


@pytest.fixture
def ready(world):
    """Approved, not enrolled: 3 Dinsos, 2 Kesra; plus names that must not be exported."""
    made = [world.worker("DINSOS", verification="approved") for _ in range(3)]
    made += [world.worker("KESRA", verification="approved") for _ in range(2)]
    world.worker("DINSOS")  # pending
    world.worker("DINSOS", verification="approved", enrolment="enrolled", kpj="26000000009")
    return made


def test_bpjs_workbook_opens_with_nik_as_text_and_counts_the_ready_names(auth, client, ready):
    auth.login("bpjs")
    response = client.get("/ekspor/bpjs.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    ws = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in ws[1]] == rules.BPJS_HEADER
    body = list(ws.iter_rows(min_row=2))
    expected = db.session.scalar(select(func.count()).select_from(Worker).where(*queries.DESK_TABS["ready"]))
    assert len(body) == expected == 5
    for row in body:
        nik = row[1]
        assert isinstance(nik.value, str) and len(nik.value) == 16 and nik.value.isdigit()
        assert nik.number_format == "@"
        assert isinstance(row[3].value, datetime)
    assert {row[1].value for row in body} == {w.nik for w in ready}
    assert [row[0].value for row in body] == [1, 2, 3, 4, 5]


def test_bpjs_workbook_by_opd_and_audited(auth, client, ready):
    auth.login("admin")
    response = client.get("/ekspor/bpjs.xlsx?opd=kesra")
    ws = load_workbook(io.BytesIO(response.data)).active
    assert [r[1].value for r in ws.iter_rows(min_row=2)] == sorted(
        (w.nik for w in ready[3:]), key=lambda n: next(w.full_name for w in ready if w.nik == n))
    detail = last_export("bpjs.xlsx")
    assert detail["rows"] == 2 and detail["filters"] == {"opd": "KESRA"}
    assert all(export_trail.in_ranges(detail["workers"], w.id) for w in ready[3:])
    assert not export_trail.in_ranges(detail["workers"], ready[0].id)
    assert client.get("/ekspor/bpjs.xlsx?opd=NOPE").status_code == 404


def test_cells_never_become_formulas(auth, client, world):
    world.worker("DINSOS", verification="approved", full_name='=HYPERLINK("http://x","klik")', address="+62 \x0bjalan")
    auth.login("bpjs")
    ws = load_workbook(io.BytesIO(client.get("/ekspor/bpjs.xlsx").data)).active
    name, address = ws["C2"], ws["F2"]
    assert (name.data_type, name.value) == ("s", '=HYPERLINK("http://x","klik")')
    assert address.value == "+62 jalan"  # a control character XML cannot hold is dropped, not a 500


@pytest.mark.parametrize("role", ["supervisor", "dinsos"])
def test_bpjs_workbook_is_for_bpjs_and_admin(auth, client, ready, role):
    auth.login(role)
    assert client.get("/ekspor/bpjs.xlsx").status_code == 403


def test_queue_csv_streams_the_filtered_queue_with_full_niks_and_guards(auth, client, world):
    a = world.worker("DINSOS", full_name="=1+1")
    b = world.worker("DINSOS", full_name="@SUM(A1)")
    world.worker("DINSOS", verification="approved")
    world.worker("KESRA")
    auth.login("dinsos")
    response = client.get("/ekspor/antrian.csv?status=pending")
    assert response.status_code == 200 and response.is_streamed and response.mimetype == "text/csv"
    header, *body = rows_of(response)
    assert header == rules.WORKER_HEADER
    assert {r[1] for r in body} == {a.nik, b.nik}
    assert {r[2] for r in body} == {"'=1+1", "'@SUM(A1)"}
    detail = last_export("antrian.csv")
    assert (detail["rows"], detail["filters"]["opd"], detail["filters"]["status"]) == (2, "DINSOS", "pending")


def test_queue_csv_search_and_admin_picks_the_opd(auth, client, world):
    world.worker("KESRA", full_name="Siti Aminah")
    world.worker("KESRA", full_name="Budi")
    auth.login("admin")
    _, *body = rows_of(client.get("/ekspor/antrian.csv?opd=KESRA&status=all&q=siti"))
    assert [r[2] for r in body] == ["Siti Aminah"]


@pytest.mark.parametrize("role, full", [("supervisor", False), ("bpjs", True), ("admin", True)])
def test_list_csv_masks_niks_for_those_who_may_not_see_them(auth, client, world, role, full):
    w = world.worker("DINSOS", verification="approved")
    auth.login(role)
    _, *body = rows_of(client.get("/ekspor/daftar.csv?opd=DINSOS&status=approved"))
    assert [r[1] for r in body] == [w.nik if full else privacy.mask(w.nik)]
    assert last_export("daftar.csv")["rows"] == 1
    assert client.get("/ekspor/daftar.csv?opd=NOPE").status_code == 404


def test_county_csv_matches_the_kept_figures(auth, client, world):
    world.worker("DINSOS")
    world.worker("KESRA", verification="approved", enrolment="enrolled", kpj="26000000001")
    auth.login("supervisor")
    header, *body = rows_of(client.get("/ekspor/kabupaten.csv"))
    total, per_opd = tallies.county(db.session)
    assert len(body) == len(per_opd) + 1
    assert header[2:11] == ["Nama diterima", "Menunggu", "Disetujui", "Ditolak", "Ditunda", "Nama layak",
                            "Terdaftar dan disetujui", "Perlu tindak lanjut BPJS", "Kepesertaan nonaktif"]
    assert body[-1][2:11] == [str(v) for v in (total.received, total.pending, total.approved, total.rejected,
                                                total.on_hold, total.eligible, total.enrolled_approved,
                                                total.enrolled_withdrawn, total.inactive)]
    assert body[-1][11] == "0.5000"  # 1 enrolled and approved of 2 not rejected
    assert header[11] == "Cakupan (pecahan 0–1, titik desimal)"  # a reader knows 0.5000 is 50 %
    assert not db.session.scalar(select(func.count()).select_from(Event).where(Event.action == "export"))


def test_events_csv_of_a_worker_leaves_out_its_own_export_event(auth, client, world):
    w = world.worker("DINSOS")
    other = world.worker("KESRA")
    for worker in (w, other):
        transitions.approve(db.session, worker, world.users["admin"], worker.version)
    db.session.commit()
    auth.login("admin")
    response = client.get(f"/ekspor/peristiwa.csv?worker={w.id}")
    assert response.is_streamed
    header, *body = rows_of(response)
    assert header[0] == "seq" and len(body) == 1
    assert body[0][3] == "menyetujui" and body[0][9] == str(w.id) and body[0][10] == w.nik
    detail = last_export("peristiwa.csv")
    assert detail["rows"] == 1 and detail["workers"] == str(w.id)


def test_events_csv_of_an_opd_and_a_date_range(auth, client, world):
    w, other = world.worker("DINSOS"), world.worker("KESRA")
    for worker in (w, other):
        transitions.approve(db.session, worker, world.users["admin"], worker.version)
    db.session.commit()
    auth.login("admin")
    _, *body = rows_of(client.get("/ekspor/peristiwa.csv?opd=dinsos"))
    assert [r[9] for r in body] == [str(w.id)]
    today = datetime.now(timezone.utc) + timedelta(hours=7)
    _, *body = rows_of(client.get(f"/ekspor/peristiwa.csv?dari={today:%Y-%m-%d}&sampai={today:%Y-%m-%d}"))
    assert {r[3] for r in body} >= {"menyetujui"} and len(body) >= 2
    yesterday = today - timedelta(days=1)
    _, *body = rows_of(client.get(f"/ekspor/peristiwa.csv?sampai={yesterday:%Y-%m-%d}"))
    assert body == []


@pytest.mark.parametrize("query, says", [
    ("", "Pilih pekerja"), ("dari=2025-13-01", "Tanggal tidak sah"), ("opd=NOPE", "OPD tidak dikenal"),
    ("worker=999999", "tidak ditemukan"), ("worker=abc", "tidak ditemukan"),
    ("dari=2025-05-02&sampai=2025-05-01", "sebelum tanggal akhir"),
])
def test_events_csv_refuses_unclear_filters(auth, client, world, query, says):
    auth.login("admin")
    response = client.get(f"/ekspor/peristiwa.csv?{query}")
    assert response.status_code == 422 and says in response.get_data(as_text=True)


@pytest.mark.parametrize("role, sees, hidden", [
    ("dinsos", "antrian.csv", "bpjs.xlsx"), ("bpjs", "bpjs.xlsx", "peristiwa.csv"),
    ("supervisor", "kabupaten.csv", "antrian.csv"), ("admin", "peristiwa.csv", None),
])
def test_exports_page_offers_what_the_role_may_take(auth, client, role, sees, hidden):
    auth.login(role)
    page = client.get("/ekspor").get_data(as_text=True)
    assert f"/ekspor/{sees}" in page
    if hidden:
        assert f"/ekspor/{hidden}" not in page


def test_touching_finds_every_export_of_a_worker(world):
    a, b = world.worker("DINSOS"), world.worker("DINSOS")
    export_trail.record(db.session, world.users["admin"], "antrian.csv", {}, [a.id], 1)
    export_trail.record(db.session, world.users["admin"], "antrian.csv", {}, [a.id, b.id], 2)
    db.session.commit()
    assert [json.loads(e.detail)["rows"] for e in export_trail.touching(db.session, a.id)] == [1, 2]
    assert [json.loads(e.detail)["rows"] for e in export_trail.touching(db.session, b.id)] == [2]
    assert export_trail.summary(export_trail.touching(db.session, b.id)[0]) == "antrian.csv, 2 baris"


@pytest.mark.parametrize("ids, text", [([], ""), ([5], "5"), ([3, 1, 2, 2], "1-3"), ([1, 2, 3, 7, 9, 10], "1-3,7,9-10")])
def test_id_ranges(ids, text):
    assert export_trail.id_ranges(ids) == text
    assert all(export_trail.in_ranges(text, i) for i in ids)
    assert not any(export_trail.in_ranges(text, i) for i in (0, 4, 8, 11) if i not in ids)


@pytest.mark.parametrize("value, cell", [("=1+1", "'=1+1"), ("+62", "'+62"), ("-", "'-"), ("@x", "'@x"),
                                         ("Siti", "Siti"), (None, ""), (12, "12"), (date(2025, 1, 2), "2025-01-02")])
def test_every_csv_line_guards_its_cells(value, cell):
    assert next(csv.reader([rules._line(["x", value])])) == ["x", cell]


@pytest.mark.parametrize("role, path, full", [("dinsos", "/ekspor/antrian.xlsx?status=all", True),
                                              ("supervisor", "/ekspor/daftar.xlsx?opd=DINSOS", False)])
def test_lists_as_xlsx_keep_niks_as_text_and_are_audited(auth, client, world, role, path, full):
    w = world.worker("DINSOS", verification="approved", enrolment="enrolled", kpj="26000000001",
                     phone="081234567890")
    auth.login(role)
    r = client.get(path)
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(r.data))["Daftar"]
    header, row = [c.value for c in ws[1]], ws[2]
    assert header == rules.WORKER_HEADER
    nik = row[1]
    assert nik.value == (w.nik if full else privacy.mask(w.nik)) and nik.number_format == "@"
    assert row[9].value == "081234567890" and row[9].number_format == "@" and row[15].value == "26000000001"
    assert row[4].is_date and row[4].value.date() == w.birth_date
    event = db.session.scalars(select(Event).where(Event.action == "export")).one()
    assert f'"what": "{path.split("/")[2].split("?")[0]}"' in event.detail and '"rows": 1' in event.detail
