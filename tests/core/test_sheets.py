"""portal.core.sheets and portal.core.cells without the web: the limits every upload shares, the
zip- and entity-bomb guards, CSV decoding and the delimiter sniffer, the header finder, dates as
Indonesians write them, and cells written so that no spreadsheet runs them as formulas.

`zip_bomb` and `entity_bomb` are used by the upload tests of each feature as well."""
import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from portal.core import cells, sheets
from portal.core.errors import Invalid

TODAY = date(2026, 11, 28)
SHEET_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
LAUGHS = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
          + b"".join(b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%s;" % (str(i - 1).encode() if i > 1 else b"")) * 10)
                     for i in range(1, 10)) + b"]>\n")
MESSAGE = {
    "file_dtd": "Berkas Excel ini memuat definisi XML yang tidak diizinkan (DTD/entitas); simpan ulang dari Excel "
                "sebagai .xlsx.",
    "file_unzipped": "Isi berkas Excel ini terlalu besar setelah dibuka (lebih dari 50 MB).",
}


def xlsx(rows, title="Sheet1") -> bytes:
    wb = Workbook()
    wb.active.title = title
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def with_member(content: bytes, name: str, data: bytes) -> bytes:
    """The .xlsx `content` with member `name` replaced by (or added as) `data`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != name:
                target.writestr(item, source.read(item))
        target.writestr(name, data)
    return out.getvalue()


def zip_bomb(content: bytes, size: int, member: str = "xl/sharedStrings.xml") -> bytes:
    """`content` whose shared strings (or `member`) unpack to `size` bytes, a few KB zipped."""
    return with_member(content, member, b"<sst " + SHEET_NS + b"><si><t>" + b"A" * size + b"</t></si></sst>")


def entity_bomb(content: bytes, member: str = "xl/worksheets/sheet1.xml") -> bytes:
    """`content` whose worksheet (or shared strings) is a billion laughs: ten entities of ten."""
    if member.endswith("sharedStrings.xml"):
        body = b"<sst " + SHEET_NS + b"><si><t>&lol9;</t></si></sst>"
    else:
        body = (b"<worksheet " + SHEET_NS + b'><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t>'
                b"</is></c></row></sheetData></worksheet>")
    return with_member(content, member, LAUGHS + body)


def refusal(content: bytes, filename: str = "daftar.xlsx") -> sheets.Refused:
    with pytest.raises(sheets.Refused) as caught:
        for _title, rows in sheets.worksheets(content, filename):
            list(rows)
    return caught.value


def read(content: bytes, filename: str = "daftar.xlsx") -> list[tuple[str, list[tuple]]]:
    return [(title, list(rows)) for title, rows in sheets.worksheets(content, filename)]


GOOD = xlsx([["NIK", "Nama"], ["1609014507850001", "Siti"]])


# --- the bombs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"])
def test_an_entity_bomb_is_refused_before_it_is_parsed(member, monkeypatch):
    def never(*_args, **_kwargs):
        raise AssertionError("openpyxl must not see the file")
    monkeypatch.setattr("openpyxl.load_workbook", never)
    refused = refusal(entity_bomb(GOOD, member))
    assert (refused.problem.code, str(refused)) == ("file_dtd", MESSAGE["file_dtd"])
    assert isinstance(refused, Invalid) and refused.status == 422 and refused.message == MESSAGE["file_dtd"]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-be"])
def test_a_dtd_in_another_encoding_is_found_too(encoding):
    sheet = (LAUGHS.replace(b'encoding="UTF-8"', b"") + b"<worksheet/>").decode().encode(encoding)
    assert refusal(with_member(GOOD, "xl/worksheets/sheet1.xml", sheet)).problem.code == "file_dtd"


def test_a_dtd_cut_between_two_chunks_is_found(monkeypatch):
    monkeypatch.setattr(sheets, "CHUNK", 7)  # every marker spans chunks
    bombed = entity_bomb(GOOD)
    assert refusal(bombed).problem.code == "file_dtd"
    assert read(GOOD)[0][1][1][:2] == ("1609014507850001", "Siti")


def test_a_zip_bomb_is_refused_by_its_declared_size():
    refused = refusal(zip_bomb(GOOD, sheets.MAX_UNZIPPED + 1))
    assert refused.problem.code == "file_unzipped" and str(refused).startswith(MESSAGE["file_unzipped"])
    assert refusal(zip_bomb(GOOD, sheets.MAX_UNZIPPED + 1, "xl/worksheets/sheet1.xml")).problem.code == "file_unzipped"


def test_the_declared_size_is_what_counts(monkeypatch):
    monkeypatch.setattr(sheets, "MAX_UNZIPPED", 100_000)
    with zipfile.ZipFile(io.BytesIO(GOOD)) as z:
        room = 100_000 - sum(i.file_size for i in z.infolist())
    assert read(with_member(GOOD, "xl/pad.xml", b" " * room))[0][1][1][:2] == ("1609014507850001", "Siti")
    assert refusal(with_member(GOOD, "xl/pad.xml", b" " * (room + 1))).problem.code == "file_unzipped"


def test_cells_are_counted_before_openpyxl_reads_them(monkeypatch):
    content = xlsx([["NIK", "Nama"], ["1609014507850001", "Siti"], ["1609014507850002", "Rina"]])  # 6 cells
    monkeypatch.setattr(sheets, "MAX_CELLS", 6)
    assert len(read(content)[0][1]) == 3
    monkeypatch.setattr(sheets, "MAX_CELLS", 5)
    refused = refusal(content)
    assert refused.problem.code == "file_cells" and "paling banyak 5 sel" in str(refused)
    monkeypatch.setattr(sheets, "CHUNK", 5)  # cell tags cut between chunks are counted once
    assert refusal(content).problem.code == "file_cells"
    monkeypatch.setattr(sheets, "MAX_CELLS", 6)
    assert len(read(content)[0][1]) == 3


def test_cells_with_a_namespace_prefix_are_counted(monkeypatch):
    sheet = (b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
             + b'<x:row r="1">' + b"".join(b'<x:c r="%s1"><x:v>1</x:v></x:c>' % c for c in (b"A", b"B", b"C"))
             + b"</x:row></x:sheetData></x:worksheet>")
    monkeypatch.setattr(sheets, "MAX_CELLS", 2)
    assert refusal(with_member(GOOD, "xl/worksheets/sheet1.xml", sheet)).problem.code == "file_cells"


def test_the_default_limits():
    assert (sheets.MAX_BYTES, sheets.MAX_UNZIPPED, sheets.MAX_ROWS, sheets.MAX_PHYSICAL, sheets.MAX_COLS) == \
        (5 * 2**20, 50 * 2**20, 20_000, 100_000, 60)
    assert sheets.MAX_CELLS == 600_000


# --- files of every kind ---------------------------------------------------------------------------
@pytest.mark.parametrize("content, name, code, says", [
    (b"", "a.xlsx", "file_empty", "Berkas kosong."),
    (b"x" * (5 * 2**20 + 1), "a.csv", "file_size", "Berkas terlalu besar (paling besar 5 MB)."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 50, "lama.xls", "file_xls", "Berkas Excel lama (.xls)"),
    (b"%PDF-1.4", "a.pdf", "file_type", "Jenis berkas tidak didukung. Unggah berkas Excel (.xlsx) atau CSV (.csv)."),
    (b"bukan zip", "a.xlsx", "file_corrupt", "Berkas .xlsx ini rusak atau bukan berkas Excel."),
    (b"PK\x03\x04rusak", "a.csv", "file_corrupt", "Berkas .xlsx ini rusak"),  # a zip is read as a workbook
    (b"NIK,Nama\n\x00\x00", "a.csv", "file_corrupt", "Berkas CSV ini rusak (memuat karakter NUL)."),
    (b'NIK,Nama\n"1609,Siti\n' + b"x" * 200_000, "a.csv", "file_corrupt", "Berkas CSV tidak dapat dibaca"),
    (with_member(GOOD, "xl/workbook.xml", b"<not xml"), "a.xlsx", "file_corrupt", "Workbook tidak dapat dibaca"),
])
def test_files_that_are_refused(content, name, code, says):
    refused = refusal(content, name)
    assert refused.problem.code == code and says in str(refused)


def test_five_megabytes_exactly_are_read():
    lines, rest = divmod(sheets.MAX_BYTES - 9, 100)
    content = b"NIK,Nama\n" + (b"1" * 99 + b"\n") * lines + b"2" * (rest - 1) + b"\n"
    assert len(content) == sheets.MAX_BYTES and len(read(content, "a.csv")[0][1]) == lines + 2


def test_physical_rows_and_columns_are_bounded(monkeypatch):
    monkeypatch.setattr(sheets, "MAX_PHYSICAL", 3)
    assert len(read(b"a\nb\nc\n", "a.csv")[0][1]) == 3
    refused = refusal(b"a\nb\nc\nd\n", "a.csv")
    assert refused.problem.code == "file_rows" and "lebih dari 3 baris" in str(refused)
    wide = ",".join(f"k{i}" for i in range(70)).encode()
    monkeypatch.undo()
    assert len(read(wide, "a.csv")[0][1][0]) == 60
    assert len(read(xlsx([list(range(70))]))[0][1][0]) == 60


def test_every_worksheet_is_read_and_a_csv_is_one_sheet():
    wb = Workbook()
    wb.active.title = "Catatan"
    wb.active.append(["x"])
    wb.create_sheet("Daftar").append(["NIK", "Nama"])
    out = io.BytesIO()
    wb.save(out)
    assert [(t, rows[0][:2]) for t, rows in read(out.getvalue())] == [("Catatan", ("x", None)), ("Daftar", ("NIK", "Nama"))]
    assert read(b"NIK;Nama\n1;Siti\n", "a.txt") == [("", [("NIK", "Nama"), ("1", "Siti")])]


def test_decode():
    assert sheets.decode("\ufeffNama\n".encode()) == "Nama\n"
    assert sheets.decode("Ma\u2019rifah".encode()) == "Ma\u2019rifah"
    assert sheets.decode("Ma\u2019rifah é".encode("cp1252")) == "Ma\u2019rifah é"
    assert sheets.decode("\ufeffNama\tMa\u2019rifah\n".encode("utf-16-le")) == "Nama\tMa\u2019rifah\n"
    assert sheets.decode("\ufeffNama\tMa\u2019rifah\n".encode("utf-16-be")) == "Nama\tMa\u2019rifah\n"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_csv_with_its_bom_is_read(encoding):
    """Excel's "Unicode Text" (.txt) and some exports are UTF-16: every other byte is a zero, which
    is no reason to call the file corrupt once it is decoded."""
    content = "\ufeffNIK\tNama\n1609014507850001\tSiti Ma\u2019rifah\n".encode(encoding)
    for name in ("daftar.csv", "daftar.txt"):
        assert read(content, name) == [("", [("NIK", "Nama"), ("1609014507850001", "Siti Ma\u2019rifah")])]


def test_utf16_without_a_bom_and_a_nul_in_the_text_are_still_refused():
    refused = refusal("NIK,Nama\n".encode("utf-16-le"), "a.csv")  # no BOM: which byte order is a guess
    assert refused.problem.code == "file_corrupt" and "karakter NUL" in str(refused)
    refused = refusal("\ufeffNIK,Nama\n\x00".encode("utf-16-le"), "a.csv")
    assert refused.problem.code == "file_corrupt" and "karakter NUL" in str(refused)


@pytest.mark.parametrize("text, expected", [
    ("NIK,Nama,Desa\n1,Siti,Kisau\n", ","),
    ("NIK;Nama;Desa\n1;Siti;Kisau\n", ";"),
    ("NIK\tNama\tDesa\n1\tSiti\tKisau\n", "\t"),
    ("Daftar nama, tahun 2025\n\nNIK;Nama;Desa;Kecamatan\n1;Siti, S.Pd;Kisau;Muara Dua\n", ";"),  # title rows above
    ("NIK\tNama\tDesa\n1,5\t2\t3\n", "\t"),
    ("NIK;Nama\n1,2;3\n", ";"),  # every row two cells under ;, only one row under ,
    ("NIK;Nama;Alamat\n1;Siti;Jl. Merdeka, RT 1, RW 2, Desa Kisau, Kec. Muara Dua\n2;Budi;Jl. Baru\n", ";"),
    ("NIK,Nama\n1;2,3\n", ","),  # the same the other way round
    ("Nama\nSiti\n", ","),
    ("a;b;c\n" * 20 + "1,2,3,4,5\n", ";"),  # only the first HEADER_SCAN rows count
    ('"Siti; S.Pd",Kisau\n', ","),  # a delimiter inside quotes does not count
])
def test_delimiter(text, expected):
    assert sheets.delimiter(text) == expected


def test_refused_is_the_invalid_every_flow_shows():
    refused = sheets.refuse("file_rows", "Terlalu banyak: %(n)s.", n="3")
    assert isinstance(refused, Invalid) and refused.status == 422
    assert (refused.problem.code, refused.message, refused.params, str(refused)) == \
        ("file_rows", "Terlalu banyak: %(n)s.", {"n": "3"}, "Terlalu banyak: 3.")


# --- the header and the table -----------------------------------------------------------------------
SPELLINGS = {"nik": "nik nomornik", "name": {"nama", "nama lengkap"}, "phone": "nohp"}
LABELS = {"nik": "NIK", "name": "Nama"}


def test_find_header_below_title_rows():
    rows = [("DAFTAR PEKERJA",), (), (None, "No. HP", "N I K", "Nama Lengkap", "NIK")]
    assert sheets.find_header(rows, SPELLINGS, ("nik", "name"), LABELS) == (2, {"phone": 1, "nik": 2, "name": 3})


def test_find_header_names_the_missing_column_and_the_header_row():
    with pytest.raises(sheets.Refused) as caught:
        sheets.find_header([("judul",), ("Nama", "Alamat")], SPELLINGS, ("nik", "name"), LABELS)
    assert caught.value.problem.code == "column_missing"
    assert str(caught.value) == ("Kolom wajib tidak ditemukan: NIK (baris judul kolom: baris 2). Beri judul yang "
                                 "jelas pada kolom itu.")


def test_find_header_looks_only_so_far():
    rows = [("x",)] * 3 + [("NIK", "Nama")]
    assert sheets.find_header(rows, SPELLINGS, ("nik", "name"), LABELS, look=4)[0] == 3
    with pytest.raises(sheets.Refused) as caught:
        sheets.find_header(rows, SPELLINGS, ("nik", "name"), LABELS, look=3)
    assert caught.value.problem.code == "header_missing"
    assert str(caught.value) == "Baris judul kolom tidak ditemukan di 3 baris pertama. Harus ada kolom berjudul “NIK”, “Nama”."


def test_table_reads_the_first_worksheet_below_its_header(monkeypatch):
    content = xlsx([["Laporan"], ["NIK", "Nama", None, None], ["1", "Siti", None, "catatan"], [], ["2", "Rina"], []])
    table = sheets.table(content, "a.xlsx", SPELLINGS, ("nik", "name"), LABELS)
    assert (table.name, table.header_row, table.headers, table.columns) == ("Sheet1", 2, ["NIK", "Nama"],
                                                                           {"nik": 0, "name": 1})
    assert table.rows == [(3, ("1", "Siti")), (4, ()), (5, ("2", "Rina"))]
    monkeypatch.setattr(sheets, "MAX_ROWS", 1)
    with pytest.raises(sheets.Refused, match="paling banyak 1 baris data per berkas"):
        sheets.table(content, "a.xlsx", SPELLINGS, ("nik", "name"), LABELS)


# --- dates ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, day", [
    (date(2024, 1, 5), date(2024, 1, 5)), (datetime(2024, 1, 5, 8, 30), date(2024, 1, 5)),
    (45296, date(2024, 1, 5)), (45296.75, date(2024, 1, 5)),  # Excel serials, a time of day dropped
    (3000, date(1908, 3, 18)), (2999, None), (79999, date(2119, 1, 10)), (80000, None), (0, None), (True, None),
    ("2024-01-05", date(2024, 1, 5)), ("2024/1/5", date(2024, 1, 5)), ("2024-01-05 00:00:00", date(2024, 1, 5)),
    ("05/01/2024", date(2024, 1, 5)), ("5-1-2024", date(2024, 1, 5)), ("5.1.2024", date(2024, 1, 5)),
    ("05/07/85", date(1985, 7, 5)), ("05/07/26", date(2026, 7, 5)), ("05/07/27", date(1927, 7, 5)),  # today: 2026
    ("12 Maret 1985", date(1985, 3, 12)), ("5 Januari 2024", date(2024, 1, 5)), ("5-Jan-2024", date(2024, 1, 5)),
    ("5 Jan. 2024", date(2024, 1, 5)), ("17 AGT 2024", date(2024, 8, 17)), ("17 agu 2024", date(2024, 8, 17)),
    ("17 Agus 2024", date(2024, 8, 17)), ("17 Aug 2024", date(2024, 8, 17)), ("1 Okt 2020", date(2020, 10, 1)),
    ("1 Oct 2020", date(2020, 10, 1)), ("24 Des 2020", date(2020, 12, 24)), ("24 Dec 2020", date(2020, 12, 24)),
    ("1 Pebruari 2020", date(2020, 2, 1)), ("1 Peb 2020", date(2020, 2, 1)), ("9 Nop 2020", date(2020, 11, 9)),
    ("3 Mei 85", date(1985, 5, 3)), ("3 May 2020", date(2020, 5, 3)),
    ("Muara Dua, 12-03-1985", date(1985, 3, 12)), ("Muaradua, 12 Maret 1985", date(1985, 3, 12)),
    ("31/02/2025", None), ("12 Foo 1985", None), ("kemarin", None), ("", None), (None, None), ("123-04-2025", None),
])
def test_read_date(value, day):
    assert cells.read_date(value, TODAY) == day


# --- cells written -------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, cell", [
    ("=1+1", "'=1+1"), ("+62 812", "'+62 812"), ("-", "'-"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\r=1", "'\r=1"), ("Siti", "Siti"), ("a=b", "a=b"), (None, ""), (12, "12"), (-3, "'-3"),
    (date(2025, 1, 2), "2025-01-02"),
])
def test_csv_cell(value, cell):
    assert cells.csv_cell(value) == cell


def test_text_cell_never_becomes_a_formula_and_keeps_digits():
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("x")
    plain, formula, nik, dirty = (cells.text_cell(ws, "Siti"), cells.text_cell(ws, "=HYPERLINK(\"http://x\")"),
                                  cells.text_cell(ws, "1609014507850001", number_format="@"),
                                  cells.text_cell(ws, "Si\x00ti\x1f"))
    assert plain == "Siti" and dirty == "Siti" and cells.text_cell(ws, None) is None  # plain str: no styled cell
    ws.append([plain, formula, nik, dirty, cells.text_cell(ws, None, number_format="@")])
    out = io.BytesIO()
    wb.save(out)
    row = load_workbook(io.BytesIO(out.getvalue())).active[1]
    assert [c.value for c in row[:4]] == ["Siti", "=HYPERLINK(\"http://x\")", "1609014507850001", "Siti"]
    assert row[1].data_type == "s" and row[2].data_type == "s" and row[2].number_format == "@"
    assert row[4].value is None and row[4].number_format == "@"


def test_key_and_blank():
    assert cells.key("No. HP/WA") == "nohpwa" and cells.key(None) == ""
    assert cells.blank(None) and cells.blank(" \t") and not cells.blank(0) and not cells.blank("x")
