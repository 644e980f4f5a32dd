"""One spreadsheet cell, read or written: its `key` (how headers compare), a date as Indonesians
write one (`read_date`), a CSV cell a spreadsheet will not run as a formula (`csv_cell`), and a
text cell of an openpyxl write-only sheet that never becomes a formula (`text_cell`). Every
upload and export uses these; the files themselves are read by `portal.core.sheets`.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

# Month names and the abbreviations seen in lists: Indonesian and English, old spellings too.
MONTHS = {name: number for number, names in enumerate((
    "januari jan january", "februari pebruari feb peb february", "maret mar march mrt", "april apr",
    "mei may", "juni jun june", "juli jul july", "agustus agu agt agus aug august",
    "september sep sept", "oktober okt oct october", "november nov nop nopember", "desember des dec december"), 1)
    for name in names.split()}
EXCEL_EPOCH = date(1899, 12, 30)
SERIALS = range(3000, 80000)  # Excel day numbers taken as dates: 18 March 1908 to 10 January 2119
_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DAY_FIRST = re.compile(r"(?<!\d)(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4}|\d{2})(?!\d)")
_NAMED = re.compile(r"(?<!\d)(\d{1,2})[-. ]+([a-z]+)\.?[-., ]+(\d{4}|\d{2})(?!\d)")
# Characters an XML document cannot hold (as openpyxl's ILLEGAL_CHARACTERS_RE, without importing it).
ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def key(value) -> str:
    """How header cells and names compare: lower case letters and digits only ('No. HP' → 'nohp',
    'Muara Dua' → 'muaradua')."""
    return re.sub(r"[^0-9a-z]", "", str(value or "").lower())


def blank(cell) -> bool:
    """An empty cell, or one holding only spaces."""
    return cell is None or (isinstance(cell, str) and not cell.strip())


def read_date(value, today: date) -> date | None:
    """The date in a cell, or None: a date cell, an Excel serial day number (`SERIALS`), or text
    such as 2024-01-05, 05/01/2024, 5-1-24, 5.1.2024, "5 Januari 2024", "5-Jan-2024", also at the end
    of a "tempat, tanggal lahir" cell ("Muara Dua, 12-03-1985"). Day first, as in Indonesia; a
    two-digit year is in the latest century not after `today` (as in a NIK)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return EXCEL_EPOCH + timedelta(days=int(value)) if SERIALS.start <= value < SERIALS.stop else None
    text = " ".join(str(value).lower().split())
    if m := _ISO.search(text):
        day, month, year = int(m[3]), int(m[2]), int(m[1])
    elif m := _DAY_FIRST.search(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif (m := _NAMED.search(text)) and m[2] in MONTHS:
        day, month, year = int(m[1]), MONTHS[m[2]], int(m[3])
    else:
        return None
    if year < 100:
        year += today.year // 100 * 100
        if year > today.year:
            year -= 100
    try:
        return date(year, month, day)
    except ValueError:
        return None


def xml_text(value) -> str:
    """The value as text without the characters XML cannot hold ("" for None)."""
    return ILLEGAL.sub("", "" if value is None else str(value))


def csv_cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula: text starting with = + - @, a tab or a
    carriage return gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def text_cell(ws, value, **style):
    """A text cell for the openpyxl write-only sheet `ws` that never becomes a formula (openpyxl
    makes one of any text starting with "="), without the characters XML cannot hold, with the
    given style (e.g. number_format="@", so Excel keeps all 16 digits of a NIK even when retyped;
    font=…, protection=…). Without a style, text that cannot become a formula stays a plain str
    (a styled cell per value costs time); None stays an empty cell."""
    text = None if value is None else xml_text(value)
    if not style and (text is None or not text.startswith("=")):
        return text
    from openpyxl.cell import WriteOnlyCell  # only when a workbook is written: it is slow to import

    cell = WriteOnlyCell(ws, value=text)
    if text is not None:
        cell.data_type = "s"
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell
