"""A realistic messy OPD workbook, built with openpyxl: title rows above the header, a row of
column numbers, numeric NIK cells, titles in names, duplicates, blank rows, a totals row, a NIK
another OPD holds, one already in this OPD, one from another regency. `EXPECTED` gives every
row's verdict (Excel row number → status, the problem codes that must be among its problems)."""
from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl

HEADER = ["No.", "N I K", "Nama Lengkap", "L/P", "Tgl. Lahir", "Alamat", "Desa/Kel.", "Kecamatan", "No. HP/WA",
          "Pekerjaan"]


def rows(held_by_other: str, held_here: str) -> list[list]:
    """The sheet's rows from row 1; `held_by_other`/`held_here` are NIKs already stored."""
    return [
        ["DAFTAR PEKERJA SOSIAL MASYARAKAT CALON PESERTA BPJS KETENAGAKERJAAN"],           # 1 title
        ["DINAS SOSIAL KABUPATEN OKU SELATAN TAHUN 2025"],                                  # 2 title
        [],                                                                                 # 3
        HEADER,                                                                             # 4 header
        list(range(1, 11)),                                                                 # 5 column numbers
        [1, "1609014507850001", "Hj. Siti Aminah", "P", datetime(1985, 7, 5), "Jl. Merdeka 1", "Bumi Agung",
         "Muara Dua", "0812-3456-7890", "PEKSOS"],                                          # 6 ok
        [2, "1609011203850002", "H.  Ahmad   Dahlan ", "L", "12-03-1985", "Dusun II", "kisau", "muara dua",
         81234567891, "Pekerja sosial masyarakat, TKSK, pendamping"],                      # 7 ok
        [3, 1609014507850000, "Ust. Mahmud", "L", None, "", "", "Muara Dua", "", "PEKSOS"],  # 8 NIK as number
        [],                                                                                 # 9 blank
        [4, "1609014507850001", "Siti Aminah", "P", None, "", "", "Muara Dua", "", "PEKSOS"],  # 10 duplicate of 6
        [5, held_by_other, "Marbot Yang Sama", "L", None, "", "", "Muara Dua", "", "PEKSOS"],  # 11 claim
        [6, "3201011203900003", "Budi Santoso", "L", date(1990, 3, 12), "", "", "Simpang", "", "PEKSOS"],  # 12 other regency
        [7, "1609021506800004", "", "L", None, "", "", "Pulau Beringin", "", "PEKSOS"],     # 13 no name
        [8, "1609022506800005", "Drs. Sukri", "L", date(1980, 6, 26), "", "", "Pulau Beringin", "", "PEKSOS"],  # 14 birth differs
        [9, "1609013102850006", "Rahmat", "L", None, "", "", "Muara Dua", "", "PEKSOS"],    # 15 31 February
        [10, held_here, "Sudah Ada", "L", None, "", "", "Muara Dua", "", "PEKSOS"],         # 16 already in this OPD
        ["Jumlah", None, None, None, None, None, None, None, None, None],                  # 17 totals
        [],                                                                                 # 18
        [],                                                                                 # 19
    ]


EXPECTED = {
    5: ("skipped", {"numbers_only"}),
    6: ("ok", set()),
    7: ("ok", set()),
    8: ("error", {"nik_number"}),
    9: ("skipped", {"blank"}),
    10: ("error", {"nik_duplicate"}),
    11: ("claim", {"claim"}),
    12: ("warning", {"nik_outside"}),
    13: ("error", {"name_missing"}),
    14: ("warning", {"nik_birth_mismatch"}),
    15: ("error", {"nik_date"}),
    16: ("error", {"nik_in_opd"}),
    17: ("skipped", {"totals"}),
}
COUNTS = {"ok": 2, "warning": 2, "error": 5, "claim": 1, "skipped": 3}


def workbook(held_by_other: str, held_here: str) -> bytes:
    """The workbook as .xlsx bytes; the NIK column is text except the one numeric cell."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Dinsos 2025"
    for row in rows(held_by_other, held_here):
        sheet.append(row)
    for cell in sheet["B"][5:]:
        if isinstance(cell.value, str):
            cell.number_format = "@"
    sheet.append([])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx(rows_: list[list], title: str = "Sheet1") -> bytes:
    """Any rows as .xlsx bytes."""
    book = openpyxl.Workbook()
    book.active.title = title
    for row in rows_:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows_: list[list], delimiter: str = ",", encoding: str = "utf-8", bom: bool = False) -> bytes:
    """Rows as CSV bytes in the encoding Excel would use."""
    import csv

    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows_)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode(encoding)
