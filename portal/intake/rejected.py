"""The rows an import refused, as a workbook the OPD can fix and upload again: the original
columns, then "Kesalahan" (why) and "Baris asal" (the row number in the uploaded file)."""
from __future__ import annotations

import io
from datetime import date, datetime
from typing import Callable

from portal.core.cells import text_cell
from portal.core.errors import Problem
from portal.core.sheets import Sheet
from portal.intake.reading import text
from portal.intake.rows import Row


def rejected_rows_xlsx(sheet: Sheet | None, rows: list[Row], say: Callable[[Problem], str] = Problem.text) -> bytes:
    """The error rows among `rows` (read from `sheet`) as .xlsx bytes. The NIK column is text
    (format "@"), so Excel keeps all 16 digits; a cell that would start a formula stays text.
    `say` words a problem (the web passes its translating `describe`)."""
    from openpyxl import Workbook  # only when a workbook is asked for: it is slow to import

    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("Baris bermasalah")
    headers = list(sheet.headers) if sheet else []
    nik_column = sheet.columns.get("nik") if sheet else None
    ws.append([_cell(ws, h) for h in headers] + ["Kesalahan", "Baris asal"])
    for row in rows:
        if row.status != "error":
            continue
        cells = [_cell(ws, row.cells[i] if i < len(row.cells) else None, as_text=i == nik_column)
                 for i in range(len(headers))]
        ordered = sorted(row.problems, key=lambda p: p.level != "error")
        ws.append(cells + [_cell(ws, "; ".join(say(p) for p in ordered)), row.number])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(sheet, value, as_text: bool = False):
    """A cell as read from the file: text never becomes a formula (`text_cell`), the NIK column is
    text with all its digits, dates show as dd-mm-yyyy."""
    if as_text:
        return text_cell(sheet, text(value) or None, number_format="@")
    if isinstance(value, str):
        return text_cell(sheet, value)
    if isinstance(value, (date, datetime)):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "DD-MM-YYYY"
        return cell
    return value
