"""The import template an OPD fills in: one sheet with the headers the importer knows, drop-down
lists for category, kecamatan and sex, the NIK column as text (so Excel keeps all 16 digits),
and a second sheet with one example row and the rules. No Flask import.

The example row is on its own sheet on purpose: the importer reads the first sheet only, so an
example nobody deleted can never become a worker.
"""
from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.core.cells import text_cell
from portal.core.models import Category, Kecamatan

HEADER = ["NIK", "Nama", "Jenis Kelamin", "Tgl Lahir", "Alamat", "Desa/Kelurahan", "Kecamatan", "No HP",
          "Kategori"]
WIDTHS = [20, 32, 14, 12, 36, 24, 22, 16, 34]
ROWS = 5000  # the drop-down lists cover this many rows
EXAMPLE = ["1609xxxxxxxxxxxx", "Siti Aminah", "P", "12-05-1975", "Jl. Merdeka No. 5, RT 02", "Pasar Muaradua",
           "Muaradua", "081234567890"]


def build(session: Session, out) -> list[int]:
    """Write the template to the file object `out`; returns [] (it holds no worker)."""
    categories = list(session.scalars(select(Category.name).where(Category.active).order_by(Category.name)))
    kecamatan = list(session.scalars(select(Kecamatan.name).order_by(Kecamatan.name)))
    wb = Workbook(write_only=True)
    ws, example, lists = wb.create_sheet("Daftar pekerja"), wb.create_sheet("Contoh dan petunjuk"), \
        wb.create_sheet("Pilihan")
    lists.sheet_state = "hidden"
    for col, width in enumerate(WIDTHS, 1):
        ws.column_dimensions[chr(64 + col)].width = width
        example.column_dimensions[chr(64 + col)].width = width
    ws.freeze_panes = "A2"
    ws.append([text_cell(ws, title, font=Font(bold=True)) for title in HEADER])
    for i in range(max(len(categories), len(kecamatan))):
        lists.append([text_cell(lists, categories[i] if i < len(categories) else None),
                      text_cell(lists, kecamatan[i] if i < len(kecamatan) else None)])
    for validation, column in (
            (DataValidation(type="list", formula1='"L,P"', allow_blank=True), "C"),
            (DataValidation(type="list", formula1=f"Pilihan!$B$1:$B${max(len(kecamatan), 1)}", allow_blank=True,
                            showErrorMessage=True, errorTitle="Kecamatan", error="Pilih kecamatan dari daftar."), "G"),
            (DataValidation(type="list", formula1=f"Pilihan!$A$1:$A${max(len(categories), 1)}", allow_blank=True,
                            showErrorMessage=True, errorTitle="Kategori", error="Pilih kategori dari daftar."), "I")):
        validation.add(f"{column}2:{column}{ROWS + 1}")
        ws.data_validations.append(validation)
    for _ in range(ROWS):  # text cells, so a typed NIK keeps its 16 digits
        ws.append([text_cell(ws, "", number_format="@")])
    example.append([text_cell(example, title, font=Font(bold=True)) for title in HEADER])
    example.append([text_cell(example, v, number_format="@") for v in EXAMPLE] + [text_cell(example, categories[0]
                                                                                           if categories else "")])
    for line in ("Isi daftar di lembar pertama, \u201cDaftar pekerja\u201d; lembar ini hanya contoh dan tidak diimpor.",
                 "Wajib: NIK (16 angka, sebagai teks) dan Nama sesuai KTP. Jenis kelamin dan tanggal lahir "
                 "diperiksa terhadap NIK.",
                 "Kecamatan dan Kategori dipilih dari daftar; Desa/Kelurahan ditulis seperti di KTP.",
                 "Simpan sebagai .xlsx, lalu unggah di menu Impor."):
        example.append([])
        example.append([line])
    wb.save(out)
    return []
