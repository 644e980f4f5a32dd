"""portal.core.xlsx reads what openpyxl's read-only mode reads (the reader the uploads used
before): every kind of value, dates by number format and epoch, rich and inline text, rows and
cells left out, several worksheets; and it stops at its limits while streaming."""
import io
from datetime import date, datetime, time, timedelta

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from portal.core import sheets, xlsx
from tests.core.test_sheets import GOOD, SHEET_NS, refusal, with_member
from tests.files import messy


def by_openpyxl(content: bytes) -> list[tuple[str, list[tuple]]]:
    """The reference: what the uploads read with openpyxl before."""
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    return [(ws.title, [tuple(r[:sheets.MAX_COLS]) for r in ws.iter_rows(values_only=True, max_col=sheets.MAX_COLS)])
            for ws in workbook.worksheets]


def by_portal(content: bytes) -> list[tuple[str, list[tuple]]]:
    return [(title, list(rows)) for title, rows in sheets.worksheets(content, "a.xlsx")]


def save(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_every_kind_of_value_reads_as_openpyxl_reads_it():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Daftar"
    ws.append(["NIK", "Nama", "Lahir", "Jam", "Durasi", "Angka", "Pecahan", "Ya", "Rumus", "Besar"])
    ws.append(["1609014507850001", "Hj. Siti  Aminah ", datetime(1985, 7, 5), time(8, 30), timedelta(hours=30),
               1609014507850000, 2.5, True, "=1+1", 1.5e20])
    ws.append([None, "x005F_y", date(1900, 1, 15), None, None, -3, 0.1, False])
    ws["L3"] = "tepi"
    ws.cell(row=3, column=70, value="di luar kolom 60")
    ws.cell(row=7, column=2, value="setelah baris kosong")
    ws["C7"] = 45000
    ws["C7"].number_format = "dd/mm/yyyy"
    ws["D7"] = 0.75
    ws["D7"].number_format = "h:mm"
    ws["E7"] = CellRichText(["Ahmad ", TextBlock(InlineFont(b=True), "Dahlan")])
    other = wb.create_sheet("Catatan")
    other.append(["satu"])
    content = save(wb)
    assert by_portal(content) == by_openpyxl(content)
    assert by_portal(content)[0][1][6][1:5] == ("setelah baris kosong", datetime(2023, 3, 15), time(18, 0),
                                                "Ahmad Dahlan")


def test_the_messy_list_and_a_1904_workbook_read_the_same():
    wb = openpyxl.Workbook()
    for row in messy.rows("1609014507850009", "1609014507850010"):
        wb.active.append(row)
    content = save(wb)
    assert by_portal(content) == by_openpyxl(content)
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    content = save(wb)
    assert by_portal(content) == by_openpyxl(content)


def test_inline_strings_cells_without_references_and_rows_out_of_order():
    sheet = (b"<worksheet " + SHEET_NS + b"><sheetData>"
             b'<row r="2"><c t="inlineStr"><is><t>a</t></is></c><c t="inlineStr"><is><r><t>b</t></r>'
             b'<rPh sb="0" eb="1"><t>phonetic</t></rPh></is></c><c><v>3</v></c></row>'
             b'<row r="1"><c r="A1"><v>9</v></c></row>'
             b'<row r="4"/><row><c r="C5" t="b"><v>1</v></c><c r="D5" t="e"><v>#N/A</v></c>'
             b'<c r="E5" t="str"><v>teks</v></c><c r="F5"><v></v></c></row>'
             b"</sheetData><mergeCells/></worksheet>")
    content = with_member(GOOD, "xl/worksheets/sheet1.xml", sheet)
    assert by_portal(content) == by_openpyxl(content)
    assert by_portal(content)[0][1][0][:3] == (None, None, None)  # row 1 before row 2 is dropped, as openpyxl does
    assert by_portal(content)[0][1][1][:3] == ("a", "b", 3)


def test_limits_stop_the_stream_where_they_are_met(monkeypatch):
    row = b'<row r="1">' + b'<c t="inlineStr"><is><t>x</t></is></c>' * 6 + b"</row>"
    content = with_member(GOOD, "xl/worksheets/sheet1.xml", b"<worksheet " + SHEET_NS + b"><sheetData>" + row
                          + b"</sheetData></worksheet>")
    monkeypatch.setattr(sheets, "MAX_ROW_CELLS", 5)
    refused = refusal(content)
    assert refused.problem.code == "file_row_cells" and "lebih dari 5 sel dalam satu baris" in str(refused)
    monkeypatch.setattr(sheets, "MAX_ROW_CELLS", 6)
    assert by_portal(content)[0][1][0][:7] == ("x",) * 6 + (None,)
    strings = b"<sst " + SHEET_NS + b">" + b"<si><t>abc</t></si>" * 4 + b"</sst>"
    monkeypatch.setattr(sheets, "MAX_STRINGS", 3)
    assert refusal(with_member(GOOD, "xl/sharedStrings.xml", strings)).problem.code == "file_strings"
    monkeypatch.setattr(sheets, "MAX_STRINGS", 10)
    monkeypatch.setattr(sheets, "MAX_TEXT", 11)
    assert refusal(with_member(GOOD, "xl/sharedStrings.xml", strings)).problem.code == "file_text"


def test_the_column_of_a_reference_and_a_damaged_one():
    assert [xlsx._column(r) for r in ("A1", "Z9", "AA10", "XFD1")] == [1, 26, 27, 16_384]
    for bad in ("XFE1", "a1", "1"):
        with pytest.raises(xlsx.Damaged):
            xlsx._column(bad)
    sheet = b"<worksheet " + SHEET_NS + b'><sheetData><row r="1"><c r="A-1"><v>1</v></c></row></sheetData></worksheet>'
    assert refusal(with_member(GOOD, "xl/worksheets/sheet1.xml", sheet)).problem.code == "file_corrupt"


def test_a_list_of_the_most_rows_allowed_is_read_in_the_time_it_is_given():
    """20,000 rows of 10 columns (MAX_ROWS): the time grows with the cells counted first."""
    wb = openpyxl.Workbook()
    for n in range(sheets.MAX_ROWS):
        wb.active.append([n + 1, f"1609{n:012d}", f"Nama {n}", "L", "12-03-1985", "Dusun", "Bumi Agung", "Muara Dua",
                          "081234567890", "PEKSOS"])
    rows = by_portal(save(wb))[0][1]
    assert len(rows) == sheets.MAX_ROWS and rows[-1][:2] == (sheets.MAX_ROWS, f"1609{sheets.MAX_ROWS - 1:012d}")
