"""The /impor pages and the import-workers command, as a verifier, an admin and a shell use them."""
import io
import json
import re
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from portal.core import clock, nik, tallies
from portal.core.models import Category, Claim, Event, ImportBatch, Kecamatan, Worker
from portal.intake import reading, staging, template
from portal.intake.commands import import_workers_command
from portal.web.extensions import db
from tests.core.test_sheets import MESSAGE, entity_bomb, zip_bomb
from tests.factories import PASSWORD
from tests.files import messy

HEADER = ["NIK", "Nama", "Kecamatan", "Kategori"]
GOOD = messy.xlsx([HEADER, ["1609014507850001", "Hj. Siti", "Muara Dua", "PEKSOS"],
                   ["1609011203850002", "H. Ahmad", "Muara Dua", "PEKSOS"]])


def upload(client, content, name="daftar.xlsx", **fields):
    return client.post("/impor", data={"file": (io.BytesIO(content), name), **fields},
                       content_type="multipart/form-data")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def staged(client, content=GOOD, name="daftar.xlsx", **fields) -> int:
    response = upload(client, content, name, **fields)
    assert response.status_code == 303, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


def statuses_on_page(html: str) -> dict[int, str]:
    """Row number → verdict, read from the preview table."""
    by_label = {label: status for status, label in staging.VERDICT_LABELS.items()}
    return {int(n): by_label[label] for n, label in
            re.findall(r'<tr id="baris-(\d+)">\s*<td class="n">\d+</td>\s*<td><span class="badge[^"]*">([^<]+)</span>', html)}


@pytest.fixture
def cli(app):
    if "import-workers" not in app.cli.commands:  # registered by portal.cli once wired
        app.cli.add_command(import_workers_command)
    return app.test_cli_runner()


def test_upload_preview_confirm_and_reupload(client, auth, world):
    other, own = world.worker("KESRA"), world.worker("DINSOS")
    content = messy.workbook(other.nik, own.nik)
    auth.login("dinsos")
    form = client.get("/impor")
    assert form.status_code == 200 and 'type="file"' in form.text and 'name="opd"' not in form.text
    batch_id = staged(client, content, "dinsos 2025.xlsx")
    page = client.get(f"/impor/{batch_id}")
    assert page.status_code == 200 and "Impor 4 baris dan ajukan 1 klaim" in page.text
    assert statuses_on_page(page.text) == {n: s for n, (s, _) in messy.EXPECTED.items()}
    assert "Hj. Siti Aminah" in page.text and "NIK sama dengan baris 6 di file ini." in page.text
    assert count(Worker) == 2  # a preview stores no worker

    done = client.post(f"/impor/{batch_id}/konfirmasi")
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/impor/{batch_id}")
    assert "4 nama diimpor" in client.get(done.headers["Location"]).text
    assert count(Worker) == 6 and count(Claim) == 1
    assert tallies.kept(db.session) == tallies.counted(db.session)
    batch = db.session.get(ImportBatch, batch_id)
    assert (batch.status, batch.file_name, batch.user.username, batch.rows_ok, batch.rows_error) == \
        ("imported", "dinsos 2025.xlsx", "dinsos", 2, 5)
    assert db.session.scalar(select(Event).where(Event.action == "import")).user.username == "dinsos"

    twice = client.post(f"/impor/{batch_id}/konfirmasi")
    assert twice.status_code == 409 and "sudah dilakukan" in twice.text
    again = upload(client, content, "salinan.xlsx")
    assert again.status_code == 422 and "sudah diimpor ke OPD ini" in again.text
    assert count(Worker) == 6 and count(ImportBatch) == 1


def test_admin_imports_into_the_opd_it_picks_and_a_verifier_only_into_its_own(client, auth, world):
    auth.login("admin")
    assert '<option selected value="KESRA">' in client.get("/impor?opd=kesra").text
    unpicked = upload(client, GOOD)
    assert unpicked.status_code == 422 and "Pilih OPD tujuan impor." in unpicked.text
    batch_id = staged(client, opd="KESRA")
    client.post(f"/impor/{batch_id}/konfirmasi")
    assert {w.opd.code for w in db.session.scalars(select(Worker))} == {"KESRA"}
    auth.logout()
    auth.login("dinsos")
    other = messy.xlsx([HEADER, ["1609015507850003", "Rina", "Muara Dua", "PEKSOS"]])
    batch_id = staged(client, other, opd="KESRA")  # the field is not theirs to choose
    assert db.session.get(ImportBatch, batch_id).opd.code == "DINSOS"


@pytest.mark.parametrize("user, expected", [
    (None, "login"), ("supervisor", 403), ("bpjs", 403), ("kesra", 404), ("dinsos", 200), ("admin", 200)])
def test_who_may_see_a_dinsos_upload(make_app, user, expected):
    app = make_app()
    with app.app_context():
        from tests.factories import World
        World(db.session)
    client = app.test_client()
    client.post("/masuk", data={"username": "dinsos", "password": PASSWORD})
    batch_id = staged(client)
    client.post("/keluar")
    if user:
        client.post("/masuk", data={"username": user, "password": PASSWORD})
    urls = [("get", "/impor"), ("get", f"/impor/{batch_id}"), ("get", f"/impor/{batch_id}/bermasalah.xlsx")]
    for method, url in urls:
        response = getattr(client, method)(url)
        if expected == "login":
            assert response.status_code == 302 and "/masuk" in response.headers["Location"]
        elif url == "/impor" and expected == 404:
            assert response.status_code == 200  # kesra may import its own lists
        else:
            assert response.status_code == expected, (url, response.status_code)
    for url in (f"/impor/{batch_id}/konfirmasi", f"/impor/{batch_id}/batal"):
        response = client.post(url)
        if expected == "login":
            assert response.status_code == 302
        elif expected != 200:
            assert response.status_code == expected
    with app.app_context():
        imported = db.session.get(ImportBatch, batch_id)
        assert (imported is None or imported.status == "imported") == (expected == 200)


@pytest.mark.parametrize("name, content, status, message", [
    ("kosong.xlsx", b"", 422, "Berkas kosong."),
    ("foto.png", b"\x89PNG\r\n\x1a\n\x00\x00", 422, "Jenis berkas tidak didukung. Unggah berkas Excel (.xlsx)"),
    ("rusak.xlsx", b"PK\x03\x04rusak", 422, "rusak"),
    ("besar.csv", b"NIK,Nama\n" + b"1" * 200_000, 413, "Berkas terlalu besar (paling besar"),
    ("tanpa.csv", b"Nama,Alamat,Kecamatan\nSiti,x,y\n", 422, "Kolom wajib tidak ditemukan: NIK"),
])
def test_junk_uploads_get_a_clear_message(client, auth, monkeypatch, name, content, status, message):
    # A smaller limit: the test client leaks its temporary file for bodies over 500 KB.
    monkeypatch.setattr("portal.core.sheets.MAX_BYTES", 100_000)
    auth.login("dinsos")
    response = upload(client, content, name)
    assert response.status_code == status and message in response.text
    assert count(ImportBatch) == 0


@pytest.mark.parametrize("bomb, member, says", [
    ("zip", "xl/sharedStrings.xml", "Isi berkas Excel ini terlalu besar setelah dibuka (lebih dari 1 MB)."),
    ("zip", "xl/worksheets/sheet1.xml", "Isi berkas Excel ini terlalu besar setelah dibuka (lebih dari 1 MB)."),
    ("entity", "xl/worksheets/sheet1.xml", MESSAGE["file_dtd"]),
    ("entity", "xl/sharedStrings.xml", MESSAGE["file_dtd"]),
])
def test_bombs_are_refused_and_nothing_is_stored(client, auth, world, monkeypatch, bomb, member, says):
    monkeypatch.setattr("portal.core.sheets.MAX_UNZIPPED", 2**20)
    data = zip_bomb(GOOD, 3 * 2**20, member) if bomb == "zip" else entity_bomb(GOOD, member)
    assert len(data) < 100_000
    auth.login("dinsos")
    workers, events = count(Worker), count(Event)
    response = upload(client, data, "daftar.xlsx")
    assert response.status_code == 422 and says in response.text
    assert (count(ImportBatch), count(Worker), count(Claim), count(Event)) == (0, workers, 0, events)
    assert upload(client, GOOD, "daftar.xlsx").status_code == 303  # the same list unbombed is staged


def test_no_file_is_a_form_error(client, auth):
    auth.login("dinsos")
    response = client.post("/impor", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Pilih file .xlsx atau .csv" in response.text


def test_upload_without_csrf_token_is_refused(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        from tests.factories import World
        World(db.session)
    client = app.test_client()
    login = client.get("/masuk").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login) or \
        re.search(r'name="csrf_token" value="([^"]+)"', login)
    client.post("/masuk", data={"username": "dinsos", "password": PASSWORD, "csrf_token": token.group(1)})
    response = upload(client, GOOD)
    assert response.status_code == 400
    with app.app_context():
        assert count(ImportBatch) == 0


def test_big_preview_is_paged_and_filtered_but_counted_whole(client, auth, world):
    rows = [HEADER] + [[f"16090145078{i:05d}", f"Nama {i}", "Muara Dua", "PEKSOS"] for i in range(1, 240)]
    rows += [["160901450785", "Pendek", "Muara Dua", "PEKSOS"]]
    auth.login("dinsos")
    batch_id = staged(client, messy.xlsx(rows))
    first = client.get(f"/impor/{batch_id}")
    assert len(statuses_on_page(first.text)) == 100 and "Halaman 1 dari 3" in first.text
    assert "Impor 239 baris" in first.text
    last = client.get(f"/impor/{batch_id}?hal=3")
    assert len(statuses_on_page(last.text)) == 40
    errors = client.get(f"/impor/{batch_id}?status=error")
    assert statuses_on_page(errors.text) == {241: "error"} and "NIK harus 16 angka" in errors.text


def test_rejected_rows_download(client, auth, world):
    auth.login("dinsos")
    content = messy.xlsx([HEADER, ["1609014507850001", "Siti", "Muara Dua", "PEKSOS"],
                          [1609011203850000, "H. Ahmad", "Muara Dua", "PEKSOS"]])
    batch_id = staged(client, content, "daftar kesra.xlsx")
    page = client.get(f"/impor/{batch_id}").text
    assert "Unduh baris bermasalah (.xlsx)" in page
    response = client.get(f"/impor/{batch_id}/bermasalah.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert 'filename="baris-bermasalah-daftar_kesra.xlsx"' in response.headers["Content-Disposition"]
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0] == (*HEADER, "Kesalahan", "Baris asal") and rows[1][0] == "1609011203850000"
    assert len(rows) == 2 and rows[1][-1] == 3
    client.post(f"/impor/{batch_id}/konfirmasi")
    gone = client.get(f"/impor/{batch_id}/bermasalah.xlsx", follow_redirects=True)
    assert "tidak disimpan lagi" in gone.text


def test_discard_deletes_the_upload(client, auth, world):
    auth.login("dinsos")
    batch_id = staged(client)
    response = client.post(f"/impor/{batch_id}/batal")
    assert response.status_code == 303 and count(ImportBatch) == 0 and count(Worker) == 0


def test_a_failure_during_confirm_leaves_nothing_half_imported(client, auth, world, monkeypatch):
    auth.login("dinsos")
    batch_id = staged(client)
    monkeypatch.setattr(tallies, "move_many", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    response = client.post(f"/impor/{batch_id}/konfirmasi")
    assert response.status_code == 500 and "Tidak ada data yang berubah" in response.text
    assert count(Worker) == 0 and db.session.get(ImportBatch, batch_id).status == "preview"
    monkeypatch.undo()
    assert client.post(f"/impor/{batch_id}/konfirmasi").status_code == 303 and count(Worker) == 2


def test_cli_dry_run_reports_the_web_previews_verdicts(client, auth, world, cli, tmp_path):
    other, own = world.worker("KESRA"), world.worker("DINSOS")
    path = tmp_path / "dinsos.xlsx"
    path.write_bytes(messy.workbook(other.nik, own.nik))
    report = tmp_path / "laporan.json"
    result = cli.invoke(args=["import-workers", str(path), "--opd", "dinsos", "--dry-run", "--report", str(report)])
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["dry_run"] and data["opd"] == "DINSOS" and data["batch"] is None
    assert {k: data["totals"][k] for k in messy.COUNTS} == messy.COUNTS
    cli_rows = {r["row"]: r["status"] for r in data["rows"]}
    assert all(p.keys() >= {"code", "message"} for r in data["rows"] for p in r["problems"])
    assert count(Worker) == 2 and count(ImportBatch) == 0
    auth.login("dinsos")
    page = client.get(f"/impor/{staged(client, path.read_bytes())}").text
    assert statuses_on_page(page) == cli_rows
    web = {n: s for n, (s, _) in messy.EXPECTED.items()}
    assert cli_rows == web


def test_cli_imports_and_records_who(world, cli, tmp_path):
    path = tmp_path / "kesra.xlsx"
    path.write_bytes(GOOD)
    result = cli.invoke(args=["import-workers", str(path), "--opd", "Kesra"])
    assert result.exit_code == 0 and "2 nama masuk" in result.output, result.output
    batch = db.session.scalars(select(ImportBatch)).one()
    assert (batch.status, batch.opd.code, batch.user.username) == ("imported", "KESRA", "admin")
    assert count(Worker) == 2 and tallies.kept(db.session) == tallies.counted(db.session)
    again = cli.invoke(args=["import-workers", str(path), "--opd", "KESRA", "--report", str(tmp_path / "r.json")])
    assert again.exit_code == 1 and "sudah diimpor" in again.output
    assert json.loads((tmp_path / "r.json").read_text())["refusal"]["code"] == "file_imported"


def test_cli_user_option_and_failures(world, cli, tmp_path):
    path = tmp_path / "dinsos.csv"
    path.write_bytes(messy.csv_bytes([HEADER, ["1609014507850001", "Siti", "Muara Dua", "PEKSOS"]]))
    ok = cli.invoke(args=["import-workers", str(path), "--opd", "DINSOS", "--user", "dinsos"])
    assert ok.exit_code == 0 and db.session.scalars(select(ImportBatch)).one().user.username == "dinsos"
    bad = tmp_path / "salah.csv"
    bad.write_bytes(messy.csv_bytes([HEADER, ["123", "Siti", "Muara Dua", "PEKSOS"]]))
    nothing = cli.invoke(args=["import-workers", str(bad), "--opd", "DINSOS"])
    assert nothing.exit_code == 1 and "Tidak ada yang dapat diimpor" in nothing.output
    assert count(ImportBatch) == 1  # nothing stored for a file with nothing to import
    assert cli.invoke(args=["import-workers", str(path), "--opd", "NOPE"]).exit_code != 0
    assert cli.invoke(args=["import-workers", str(bad), "--opd", "DINSOS", "--user", "kesra"]).exit_code != 0
    junk = tmp_path / "x.pdf"
    junk.write_bytes(b"%PDF-1.4\x00")
    refused = cli.invoke(args=["import-workers", str(junk), "--opd", "DINSOS"])
    assert refused.exit_code == 1 and "Jenis berkas tidak didukung" in refused.output


def test_two_previews_of_one_file_import_it_once(client, auth, world):
    auth.login("dinsos")
    first, second = staged(client), staged(client)
    assert client.post(f"/impor/{first}/konfirmasi").status_code == 303
    page = client.get(f"/impor/{second}")
    assert "sudah diimpor ke OPD ini" in page.text and "/konfirmasi" not in page.text
    refused = client.post(f"/impor/{second}/konfirmasi")
    assert refused.status_code == 409 and "sudah diimpor" in refused.text and count(Worker) == 2


def test_age_warnings_and_a_truncated_nik_column_on_the_preview(client, auth, world, monkeypatch):
    today = date(2026, 11, 28)
    monkeypatch.setattr(clock, "today", lambda: today)  # the import day, in the regency's zone
    born = {2: date(2011, 11, 29), 3: date(2011, 11, 28), 4: date(1946, 11, 28), 5: date(1945, 11, 28)}
    rows = [HEADER] + [[nik.compose("160901", b, "L", 1), f"Nama {n}", "Muara Dua", "PEKSOS"] for n, b in born.items()]
    auth.login("dinsos")
    page = client.get(f"/impor/{staged(client, messy.csv_bytes(rows), 'umur.csv')}").text
    assert statuses_on_page(page) == {2: "warning", 3: "ok", 4: "ok", 5: "warning"}
    assert "umur pekerja 14 tahun" in page and "umur pekerja 81 tahun" in page
    assert 'id="catatan-nik_truncated"' not in page

    cut = [HEADER] + [[nik.compose("160901", date(1985, 3, 12), "L", 10 * i), f"Nama {i}", "Muara Dua", "PEKSOS"]
                      for i in range(1, 13)]
    page = client.get(f"/impor/{staged(client, messy.csv_bytes(cut), 'terpotong.csv')}").text
    assert 'id="catatan-nik_truncated"' in page and "12 dari 12 NIK di file ini berakhiran 0" in page


def test_the_template_has_the_headers_lists_and_an_example_and_imports_as_filled(client, auth, world):
    auth.login("dinsos")
    page = client.get("/impor").text
    assert 'href="/impor/templat.xlsx"' in page
    r = client.get("/impor/templat.xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    daftar, contoh = wb.worksheets[0], wb["Contoh dan petunjuk"]
    assert [c.value for c in daftar[1]] == template.HEADER
    assert daftar.cell(2, 1).number_format == "@"  # NIK as text
    rules = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in daftar.data_validations.dataValidation}
    assert rules["C2"] == '"L,P"' and rules["G2"].startswith("Pilihan!$B$1") and rules["I2"].startswith("Pilihan!$A$1")
    options = wb["Pilihan"]
    assert [c.value for c in options["A"] if c.value] == sorted(db.session.scalars(select(Category.name).where(Category.active)))
    assert [c.value for c in options["B"] if c.value] == sorted(db.session.scalars(select(Kecamatan.name)))
    assert [c.value for c in contoh[2]][:2] == ["1609xxxxxxxxxxxx", "Siti Aminah"]
    sheet = reading.read("templat.xlsx", r.data)  # as uploaded untouched: every header known, no row
    assert set(sheet.columns) >= {"nik", "name", "sex", "birth", "address", "desa", "kecamatan", "phone", "category"}
    assert not [row for row in sheet.rows if row[1]]
    assert not db.session.scalars(select(Event).where(Event.action == "export")).all()  # no personal data


def test_a_filled_template_imports(client, auth, world):
    auth.login("dinsos")
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/impor/templat.xlsx").data))
    daftar = wb.worksheets[0]
    category = db.session.scalars(select(Category.name).order_by(Category.name)).first()
    kecamatan = db.session.scalars(select(Kecamatan.name).where(Kecamatan.code == "160901")).one()
    for col, value in enumerate(["1609014507850001", "Hj. Siti Aminah", "P", "05-07-1985", "Jl. Merdeka 5", "",
                                 kecamatan, "081234567890", category], 1):
        daftar.cell(2, col).value = value
    out = io.BytesIO()
    wb.save(out)
    html = client.get(f"/impor/{staged(client, out.getvalue())}").text
    assert statuses_on_page(html) == {2: "ok"}


def test_a_utf16_list_with_a_hidden_character_in_one_name_previews_and_imports_the_rest(client, auth, world):
    text = ("\ufeffNIK\tNama\tKecamatan\tKategori\r\n1609014507850001\tSiti\u200bAminah\tMuara Dua\tPEKSOS\r\n"
            "1609011203850002\tRen\u00e9 Santoso\tMuara Dua\tPEKSOS\r\n")
    auth.login("dinsos")
    batch_id = staged(client, text.encode("utf-16-le"), "daftar.txt")  # Excel's "Unicode Text"
    page = client.get(f"/impor/{batch_id}")
    assert statuses_on_page(page.text) == {2: "error", 3: "ok"}
    row = re.search(r'<tr id="baris-2">.*?</tr>', page.text, re.S).group(0)
    assert "Nama memuat karakter tak terlihat (U+200B)" in row
    assert client.post(f"/impor/{batch_id}/konfirmasi").status_code == 303
    assert db.session.scalars(select(Worker.full_name)).all() == ["Ren\u00e9 Santoso"]
