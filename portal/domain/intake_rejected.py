"""The rows an import refused, as a workbook the OPD can fix and upload again: the original
columns, then "Kesalahan" (why) and "Baris asal" (the row number in the uploaded file)."""
from __future__ import annotations

import io
from datetime import date, datetime
from typing import TYPE_CHECKING, Callable

from portal.domain.intake_cells import text
from portal.domain.nik import Problem

if TYPE_CHECKING:
    from portal.domain.intake import Preview


def rejected_rows_xlsx(preview: Preview, say: Callable[[Problem], str] = Problem.text) -> bytes:
    """The error rows of `preview` as .xlsx bytes. The NIK column is text (format "@"), so Excel
    keeps all 16 digits; a cell that would start a formula stays text. `say` words a problem
    (the web passes its translating `describe`)."""
    from openpyxl import Workbook  # only when a workbook is asked for: it is slow to import

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Baris bermasalah")
    headers = list(preview.sheet.headers) if preview.sheet else []
    nik_column = preview.sheet.columns.get("nik") if preview.sheet else None
    sheet.append([_cell(sheet, h) for h in headers] + ["Kesalahan", "Baris asal"])
    for row in preview.rows:
        if row.status != "error":
            continue
        cells = [_cell(sheet, row.cells[i] if i < len(row.cells) else None, as_text=i == nik_column)
                 for i in range(len(headers))]
        ordered = sorted(row.problems, key=lambda p: p.level != "error")
        sheet.append(cells + [_cell(sheet, "; ".join(say(p) for p in ordered)), row.number])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(sheet, value, as_text: bool = False):
    from openpyxl.cell import WriteOnlyCell

    if as_text:
        cell = WriteOnlyCell(sheet, value=text(value) or None)
        cell.number_format = "@"
        return cell
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # a string from the file, never a formula
    elif isinstance(value, (date, datetime)):
        cell.number_format = "DD-MM-YYYY"
    return cell
