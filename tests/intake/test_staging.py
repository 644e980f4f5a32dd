"""portal.intake.staging without the web: each verdict, the messy workbook, CSV dialects, refused
files, matching of regions and categories, the commit's one transaction and its idempotence."""
import io
import json
import zipfile
from datetime import date, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from portal.core import audit, nik, sheets, tallies
from portal.core.errors import NotAllowed
from portal.core.models import Category, Claim, Event, ImportBatch, Worker, utcnow
from portal.intake import rejected, staging
from portal.web.extensions import db
from tests.files import messy

TODAY = date(2026, 11, 28)
HEADER = ["NIK", "Nama", "Kecamatan", "Desa", "Kategori"]


def run(world, content, name="daftar.xlsx", opd="DINSOS"):
    return staging.preview(db.session, world.opd[opd], name, content, TODAY)


def verdicts(result) -> dict[int, tuple[str, set[str]]]:
    return {r.number: (r.status, {p.code for p in r.problems}) for r in result.rows}


def one(world, row, header=HEADER):
    """The verdict of a single data row under `header` (row 2 of an .xlsx)."""
    result = run(world, messy.xlsx([header, row]))
    assert result.refusal is None, result.refusal
    return result.rows[0]


@pytest.fixture
def held(world):
    return world.worker("KESRA"), world.worker("DINSOS")


def test_messy_workbook_gets_every_row_its_verdict(world, held):
    other, own = held
    result = run(world, messy.workbook(other.nik, own.nik))
    assert result.refusal is None and result.sheet.header_row == 4 and result.sheet.name == "Dinsos 2025"
    got = verdicts(result)
    assert set(got) == set(messy.EXPECTED)  # trailing blank rows are not rows of the list
    for number, (status, must) in messy.EXPECTED.items():
        assert got[number][0] == status and must <= got[number][1], (number, got[number])
    assert result.counts == messy.COUNTS and result.importable == 4
    assert "baris 6" in next(p.text() for p in result.rows[5].problems if p.code == "nik_duplicate")


def test_commit_imports_good_rows_opens_claims_and_audits(world, held):
    other, own = held
    actor = world.users["dinsos"]
    result, batch = staging.stage(db.session, world.opd["DINSOS"], actor, "dinsos.xlsx",
                                 messy.workbook(other.nik, own.nik), TODAY)
    db.session.commit()
    assert batch.status == "preview" and batch.content and batch.rows_error == 5
    staging.commit(db.session, batch, actor, TODAY)
    db.session.commit()
    names = set(db.session.scalars(select(Worker.full_name).where(Worker.import_batch_id == batch.id)))
    assert names == {"Hj. Siti Aminah", "H. Ahmad Dahlan", "Budi Santoso", "Drs. Sukri"}  # titles kept
    ahmad = db.session.scalar(select(Worker).where(Worker.full_name == "H. Ahmad Dahlan"))
    assert (ahmad.kecamatan_code, ahmad.desa.name, ahmad.phone, ahmad.category.code) == \
        ("160901", "Kisau", "081234567891", "PEKSOS")
    assert (ahmad.verification, ahmad.enrolment, ahmad.sex, ahmad.birth_date) == \
        ("pending", "not_enrolled", "L", date(1985, 3, 12))
    assert tallies.kept(db.session) == tallies.counted(db.session)
    assert (batch.status, batch.content, batch.rows_ok, batch.rows_warning, batch.rows_claimed) == \
        ("imported", None, 2, 2, 1)
    claim = db.session.scalars(select(Claim)).one()
    assert (claim.worker_id, claim.claimant_opd_id, claim.batch_id, claim.status) == \
        (other.id, world.opd["DINSOS"].id, batch.id, "open")
    assert json.loads(claim.submitted)["name"] == "Marbot Yang Sama" and json.loads(claim.submitted)["row"] == 11
    assert other.opd_id == world.opd["KESRA"].id  # the holder keeps the worker until someone decides
    events = {e.action: e for e in db.session.scalars(select(Event))}
    assert json.loads(events["import"].detail)["imported"] == 4 and events["import"].user_id == actor.id
    assert events["claim_open"].worker_id == other.id
    assert audit.verify(db.session)[1] == []


def test_reupload_imports_nothing_twice(world):
    actor = world.users["dinsos"]
    content = messy.xlsx([HEADER, ["1609014507850001", "Siti", "Muara Dua", "", "PEKSOS"]])
    _, batch = staging.stage(db.session, world.opd["DINSOS"], actor, "a.xlsx", content, TODAY)
    _, again = staging.stage(db.session, world.opd["DINSOS"], actor, "a.xlsx", content, TODAY)
    staging.commit(db.session, batch, actor, TODAY)
    db.session.commit()
    same = run(world, content)
    assert same.refusal.code == "file_imported" and "#%d" % batch.id in same.refusal.text()
    with pytest.raises(staging.AlreadyImported):
        staging.commit(db.session, batch, actor, TODAY)  # the same batch
    db.session.rollback()
    with pytest.raises(staging.AlreadyImported):
        staging.commit(db.session, again, actor, TODAY)  # another upload of the same file
    db.session.rollback()
    edited = messy.xlsx([HEADER, ["1609014507850001", "Siti A.", "Muara Dua", "", "PEKSOS"]])
    assert verdicts(run(world, edited))[2] == ("error", {"nik_in_opd"})
    assert db.session.scalar(select(func.count()).select_from(Worker)) == 1


def test_a_failure_during_commit_leaves_nothing_half_imported(world, held, monkeypatch):
    other, own = held
    actor = world.users["dinsos"]
    _, batch = staging.stage(db.session, world.opd["DINSOS"], actor, "d.xlsx", messy.workbook(other.nik, own.nik), TODAY)
    db.session.commit()
    before = (tallies.kept(db.session), db.session.scalar(select(func.count()).select_from(Event)))

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record_many", fail)  # after the workers, tallies and the batch
    with pytest.raises(RuntimeError):
        staging.commit(db.session, batch, actor, TODAY)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Worker)) == 2
    assert db.session.scalar(select(func.count()).select_from(Claim)) == 0
    assert (tallies.kept(db.session), db.session.scalar(select(func.count()).select_from(Event))) == before
    assert db.session.get(ImportBatch, batch.id).status == "preview"


def test_only_the_opds_verifier_or_an_admin_imports(world):
    content = messy.xlsx([HEADER, ["1609014507850001", "Siti", "Muara Dua", "", ""]])
    with pytest.raises(NotAllowed):
        staging.stage(db.session, world.opd["DINSOS"], world.users["kesra"], "a.xlsx", content, TODAY)
    with pytest.raises(NotAllowed):
        staging.stage(db.session, world.opd["DINSOS"], world.users["supervisor"], "a.xlsx", content, TODAY)
    assert staging.stage(db.session, world.opd["DINSOS"], world.users["admin"], "a.xlsx", content, TODAY)[1]


def test_claims_are_not_opened_twice(world, held):
    other, _ = held
    actor = world.users["dinsos"]
    first = messy.xlsx([HEADER, [other.nik, "Sama", "Muara Dua", "", "PEKSOS"]])
    _, batch = staging.stage(db.session, world.opd["DINSOS"], actor, "a.xlsx", first, TODAY)
    staging.commit(db.session, batch, actor, TODAY)
    again = messy.xlsx([HEADER, [other.nik, "Sama lagi", "Muara Dua", "", "PEKSOS"]])
    assert verdicts(run(world, again))[2] == ("error", {"claim", "claim_open"})
    db.session.scalars(select(Claim)).one().status = "kept"
    assert verdicts(run(world, again))[2][1] == {"claim", "claim_kept"}
    assert verdicts(run(world, again, opd="KESRA"))[2] == ("error", {"nik_in_opd"})


@pytest.mark.parametrize("row, status, must", [
    (["1609014507850001", "Siti", "Kec. Muara Dua", "Desa Kisau", "marbot masjid"], "ok", set()),
    (["1609014507850001", "Siti", "MUARADUA", "", "Guru Ngaji"], "ok", set()),
    (["1609014507850001", "Siti", "160901", "", "guru_ngaji"], "ok", set()),
    (["1609014507850001", "Siti", "", "Kisau", "PEKSOS"], "ok", set()),  # the kecamatan of a unique desa
    (["1609014507850001", "Siti", "Atlantis", "Kisau", "PEKSOS"], "warning", {"kecamatan_from_desa"}),
    (["1609014507850001", "Siti", "", "Bumi Agung", "PEKSOS"], "warning", {"desa_ambiguous", "kecamatan_from_nik"}),
    (["1609014507850001", "Siti", "Muara Dua", "Antah", "PEKSOS"], "warning", {"desa_unknown"}),
    (["1609014507850001", "Siti", "", "", "PEKSOS"], "warning", {"kecamatan_from_nik"}),
    (["1609014507850001", "Siti", "Atlantis", "", "PEKSOS"], "warning", {"kecamatan_from_nik"}),
    (["3201011203900003", "Budi", "Atlantis", "", "PEKSOS"], "error", {"kecamatan_unknown", "nik_outside"}),
    (["3201011203900003", "Budi", "", "", "PEKSOS"], "error", {"kecamatan_unknown", "nik_outside"}),
    (["1609014507850001", "Siti", "Muara Dua", "", "Tukang"], "warning", {"category_unknown"}),
    (["1609014507850001", "Siti", "Muara Dua", "", ""], "warning", {"category_default"}),
    (["1609014507850001", "12345", "Muara Dua", "", "PEKSOS"], "error", {"name_letters"}),
    (["1609014507850001", "x" * 121, "Muara Dua", "", "PEKSOS"], "error", {"name_long"}),
    (["", "Siti", "Muara Dua", "", "PEKSOS"], "error", {"nik_missing"}),
    (["1609014507850001", "=HYPERLINK(\"x\")", "Muara Dua", "", "PEKSOS"], "error", {"name_missing"}),  # no cached value
    (["1609014507850001", "Siti", "Muara Dua", "-", "PEKSOS"], "ok", set()),  # a dash is "none"
])
def test_row_rules(world, row, status, must):
    got = one(world, row)
    assert (got.status, {p.code for p in got.problems}) == (status, must)


def test_matched_values_are_stored(world):
    row = one(world, ["1609014507850001", "  Hj.  Siti\tAminah ", "", "Kisau", "guru ngaji"])
    assert row.worker["full_name"] == "Hj. Siti Aminah" and row.worker["kecamatan_code"] == "160901"
    assert row.worker["desa_code"] == "1609011016"
    default = one(world, ["1609014507850001", "Siti", "Muara Dua", "", "Tukang"])
    own = db.session.scalars(select(Category).where(Category.opd_id == world.opd["DINSOS"].id)
                             .order_by(Category.id)).first()
    assert default.worker["category_id"] == own.id and "“%s”" % own.name in default.problems[0].text()


@pytest.mark.parametrize("sex_cells, birth, status, must", [
    (("Perempuan",), "5 Juli 1985", "ok", set()),
    (("P",), "Muaradua, 05-07-1985", "ok", set()),
    (("wanita",), "1985-07-05", "ok", set()),
    (("Laki-laki",), "05/07/85", "warning", {"nik_sex_mismatch"}),
    (("?",), "kemarin", "warning", {"sex_unreadable", "birth_unreadable"}),
    (("",), 31233, "ok", set()),  # an Excel serial day number for 5 July 1985
])
def test_sex_and_birth_date_as_written(world, sex_cells, birth, status, must):
    header = ["NIK", "Nama", "Jenis Kelamin", "Tanggal Lahir", "Kecamatan", "Kategori"]
    got = one(world, ["1609014507850001", "Siti", *sex_cells, birth, "Muara Dua", "PEKSOS"], header)
    assert (got.status, {p.code for p in got.problems}) == (status, must)


def test_separate_l_and_p_columns(world):
    header = ["NIK", "Nama", "L", "P", "Kecamatan", "Kategori"]
    assert one(world, ["1609014507850001", "Siti", "", "v", "Muara Dua", "PEKSOS"], header).status == "ok"
    wrong = one(world, ["1609014507850001", "Siti", "v", "", "Muara Dua", "PEKSOS"], header)
    assert {p.code for p in wrong.problems} == {"nik_sex_mismatch"}


def test_csv_dialects(world):
    rows = [["Daftar nama"], HEADER, ["1609014507850001", "Siti Ma\u2019rifah", "Muara Dua", "", "PEKSOS"],
            ["1,60901E+15", "Ahmad", "Muara Dua", "", "PEKSOS"]]
    for content in (messy.csv_bytes(rows), messy.csv_bytes(rows, ";", bom=True),
                    messy.csv_bytes(rows, ";", "cp1252"), messy.csv_bytes(rows, "\t")):
        result = run(world, content, "daftar.csv")
        assert result.refusal is None and result.sheet.header_row == 2
        assert verdicts(result) == {3: ("ok", set()), 4: ("error", {"nik_number"})}
        assert result.rows[0].worker["full_name"] == "Siti Ma\u2019rifah"


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("name, content, code", [
    ("kosong.xlsx", b"", "file_empty"),
    ("besar.csv", b"NIK,Nama\n" + b"x" * sheets.MAX_BYTES, "file_size"),
    ("lama.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "file_xls"),
    ("daftar.pdf", b"%PDF-1.4 binary\x00\x01", "file_type"),
    ("daftar.csv", b"NIK,Nama\x00\x00", "file_corrupt"),
    ("rusak.xlsx", b"this is not a workbook", "file_corrupt"),
    ("rusak.xlsx", b"PK\x03\x04broken zip", "file_corrupt"),
    ("surat.xlsx", _zip({"word/document.xml": b"<w/>"}), "file_type"),
    ("bom.xlsx", _zip({"xl/workbook.xml": b"<w/>", "xl/worksheets/sheet1.xml": b"\0" * (60 * 2**20)}), "file_unzipped"),
    ("rusak.xlsx", _zip({"xl/workbook.xml": b"<not xml", "[Content_Types].xml": b"<x/>"}), "file_corrupt"),
    ("tanpa.csv", messy.csv_bytes([["a", "b"], ["1", "2"]]), "header_missing"),
    ("tanpa-nama.csv", messy.csv_bytes([["NIK", "Alamat", "Kecamatan"], ["1609014507850001", "x", "y"]]),
     "column_missing"),
])
def test_refused_files(world, name, content, code):
    result = run(world, content, name)
    assert result.refusal is not None and result.refusal.code == code, result.refusal
    assert result.rows == [] and result.refusal.text()


def test_too_many_rows_are_refused(world, monkeypatch):
    rows = [HEADER] + [[f"16090145078{i:05d}", "Nama", "Muara Dua", "", ""] for i in range(sheets.MAX_ROWS + 1)]
    assert run(world, messy.csv_bytes(rows), "banyak.csv").refusal.code == "file_rows"
    monkeypatch.setattr("portal.core.sheets.MAX_ROWS", 50)
    assert run(world, messy.xlsx(rows[:60]), "banyak.xlsx").refusal.code == "file_rows"
    assert run(world, messy.xlsx(rows[:51]), "cukup.xlsx").refusal is None


def test_rejected_rows_workbook(world, held):
    other, own = held
    result = run(world, messy.workbook(other.nik, own.nik))
    book = openpyxl.load_workbook(io.BytesIO(rejected.rejected_rows_xlsx(result.sheet, result.rows)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == (*messy.HEADER, "Kesalahan", "Baris asal")
    assert [r[-1] for r in rows[1:]] == [8, 10, 13, 15, 16]
    numeric = book.active.cell(row=2, column=2)
    assert numeric.value == "1609014507850000" and numeric.number_format == "@"  # text, all 16 digits
    assert "angka di Excel" in rows[1][-2] and "baris 6" in rows[2][-2]


def test_a_name_that_a_spreadsheet_would_run_is_refused(world):
    result = run(world, messy.csv_bytes([HEADER, ["1609014507850001", "=1+1", "Muara Dua", "", "PEKSOS"]]), "f.csv")
    assert verdicts(result) == {2: ("error", {"name_formula"})}


def test_names_with_hidden_characters_are_refused_with_their_reason_and_the_others_import(world):
    rows = [HEADER,
            ["1609014507850001", "Siti\u200bAminah", "Muara Dua", "", "PEKSOS"],
            ["1609011203850002", "Ahmad\u202eharsiN", "Muara Dua", "", "PEKSOS"],
            ["1609021506800004", "\ufeffRahmat", "Muara Dua", "", "PEKSOS"],
            ["1609022506800005", "Sukri\u0301\u0302\u0303", "Muara Dua", "", "PEKSOS"],
            ["1609013001850006", "@Budi", "Muara Dua", "", "PEKSOS"],
            ["1609014102850007", "Rene\u0301 Santoso", "Muara Dua", "", "PEKSOS"],
            ["1609011503850008", "Hj. Siti Ma\u2019rifah", "Muara Dua", "", "PEKSOS"]]
    actor = world.users["dinsos"]
    result, batch = staging.stage(db.session, world.opd["DINSOS"], actor, "daftar.csv", messy.csv_bytes(rows), TODAY)
    assert verdicts(result) == {2: ("error", {"name_invisible"}), 3: ("error", {"name_bidi"}),
                                4: ("error", {"name_invisible"}), 5: ("error", {"name_marks"}),
                                6: ("error", {"name_formula"}), 7: ("ok", set()), 8: ("ok", set())}
    said = {r.number: r.problems[0].text() for r in result.rows if r.problems}
    assert said[2].startswith("Nama memuat karakter tak terlihat (U+200B)")
    assert said[3].startswith("Nama memuat karakter pengatur arah teks (U+202E)")
    assert said[4].startswith("Nama memuat karakter tak terlihat (U+FEFF)")
    assert said[5].startswith("Nama memuat lebih dari 2 tanda diakritik pada satu huruf (U+0303)")
    assert said[6] == "Nama tidak boleh diawali “@”."
    assert result.rows[5].worker["full_name"] == "Ren\u00e9 Santoso"  # stored composed (NFC)
    staging.commit(db.session, batch, actor, TODAY)
    stored = db.session.scalars(select(Worker.full_name).where(Worker.import_batch_id == batch.id)).all()
    assert sorted(stored) == ["Hj. Siti Ma\u2019rifah", "Ren\u00e9 Santoso"]
    book = openpyxl.load_workbook(io.BytesIO(rejected.rejected_rows_xlsx(result.sheet, result.rows))).active
    assert [(r[-1], r[-2].split(" (")[0]) for r in book.iter_rows(min_row=2, values_only=True)] == [
        (2, "Nama memuat karakter tak terlihat"), (3, "Nama memuat karakter pengatur arah teks"),
        (4, "Nama memuat karakter tak terlihat"), (5, "Nama memuat lebih dari 2 tanda diakritik pada satu huruf"),
        (6, "Nama tidak boleh diawali “@”.")]  # each row to fix, with its own number and reason


def test_a_utf16_list_imports(world):
    rows = [HEADER, ["1609014507850001", "Siti Ma\u2019rifah", "Muara Dua", "", "PEKSOS"],
            ["1609011203850002", "Ren\u00e9", "Muara Dua", "", "PEKSOS"]]
    for encoding in ("utf-16-le", "utf-16-be"):  # Excel's "Unicode Text": tab-separated, with a BOM
        content = "\ufeff".encode(encoding) + messy.csv_bytes(rows, "\t", encoding)
        result = run(world, content, "daftar.txt")
        assert result.refusal is None and verdicts(result) == {2: ("ok", set()), 3: ("ok", set())}
        assert result.rows[0].worker["full_name"] == "Siti Ma\u2019rifah"


def test_a_formula_in_a_cell_comes_back_as_text(world):
    result = run(world, messy.csv_bytes([HEADER, ["123", "=HYPERLINK(\"http://x\")", "", "", ""]]), "f.csv")
    sheet = openpyxl.load_workbook(io.BytesIO(rejected.rejected_rows_xlsx(result.sheet, result.rows))).active
    assert sheet.cell(row=2, column=2).data_type == "s"


def test_stale_previews_lose_their_file_and_expire(world):
    actor = world.users["dinsos"]
    content = messy.xlsx([HEADER, ["1609014507850001", "Siti", "Muara Dua", "", ""]])
    _, old = staging.stage(db.session, world.opd["DINSOS"], actor, "a.xlsx", content, TODAY)
    old.created_at = utcnow() - timedelta(days=2)
    db.session.commit()
    _, new = staging.stage(db.session, world.opd["DINSOS"], actor, "b.xlsx", content + b"", TODAY)
    db.session.commit()
    kept = {b.id: (b.status, b.content is None) for b in db.session.scalars(select(ImportBatch))}
    assert kept == {old.id: ("expired", True), new.id: ("preview", False)}
    for attempt in (staging.commit, staging.discard):
        with pytest.raises(staging.Expired):
            attempt(db.session, db.session.get(ImportBatch, old.id), actor)


def _csv(niks) -> bytes:
    return messy.csv_bytes([HEADER] + [[value, f"Nama {i}", "Muara Dua", "", "PEKSOS"] for i, value in enumerate(niks)])


@pytest.mark.parametrize("born, status, code", [
    (date(2011, 11, 29), "warning", "nik_age_young"),  # 14 years and 364 days on TODAY
    (date(2011, 11, 28), "ok", None),  # exactly 15
    (date(1946, 11, 28), "ok", None),  # exactly 80
    (date(1945, 11, 28), "warning", "nik_age_old"),  # 81
])
def test_age_from_the_nik_on_the_import_day(world, born, status, code):
    result = run(world, _csv([nik.compose("160901", born, "L", 1)]), "umur.csv")
    row = result.rows[0]
    assert (row.status, {p.code for p in row.problems}) == (status, {code} if code else set())
    assert row.worker is not None  # a warning row is still imported
    if code:
        assert "umur pekerja %d tahun" % (14 if code == "nik_age_young" else 81) in row.problems[0].text()


def test_a_nik_column_truncated_by_excel_is_a_file_warning(world):
    born = date(1985, 7, 5)
    cut = run(world, _csv([nik.compose("160901", born, "P", 10 * i) for i in range(1, 13)]), "terpotong.csv")
    assert cut.notes[0].code == "nik_truncated" and cut.notes[0].level == "warning"
    assert "12 dari 12 NIK" in cut.notes[0].text() and "Teks" in cut.notes[0].text()
    assert cut.counts["ok"] == 12  # each row is still judged on its own
    normal = run(world, _csv([nik.compose("160901", born, "P", i) for i in range(1, 13)]), "biasa.csv")
    assert "nik_truncated" not in {p.code for p in normal.notes}  # serial 10 ends in 0, by chance
    few = run(world, _csv([nik.compose("160901", born, "P", 10 * i) for i in range(1, 10)]), "sedikit.csv")
    assert "nik_truncated" not in {p.code for p in few.notes}  # 9 NIKs: too few to tell
