"""Reading one cell of an uploaded list as people meant it: text with tidy whitespace, a birth
date in the ways Indonesians write one, L/P, a phone number, and rows that are not people
(blank, totals, only numbers)."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from portal.core import N_
from portal.core.errors import Problem
from portal.core.sheets import key

TOTAL = re.compile(r"^\s*(jumlah|total|jml|grand ?total|sub ?total)\b", re.I)
MONTHS = {m: i for i, names in enumerate((
    "januari jan january", "februari pebruari feb peb february", "maret mar march", "april apr",
    "mei may", "juni jun june", "juli jul july", "agustus agu agt agus aug august",
    "september sep sept", "oktober okt oct october", "november nov nop", "desember des dec december"), 1)
    for m in names.split()}
MALE, FEMALE = {"l", "lk", "laki", "lakilaki", "pria", "m", "male"}, {"p", "pr", "perempuan", "wanita", "w", "f", "female"}


def text(value) -> str:
    """A cell as people read it: dates as dd-mm-yyyy, whole numbers without '.0', whitespace tidied."""
    if value is None:
        return ""
    if not isinstance(value, str):
        if isinstance(value, datetime):
            value = value.date() if value.time() == datetime.min.time() else value
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.strftime("%d-%m-%Y")
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e20:
            value = int(value)
        value = str(value)
    tidy = " ".join(value.split())
    return tidy if tidy.isprintable() else " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", tidy).split())


def blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _number_like(cell) -> bool:
    """A short number: a row number, a column number or a total; never a NIK."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return abs(cell) < 1e9
    return isinstance(cell, str) and re.fullmatch(r"[\d.,\s]+", cell) is not None and \
        sum(c.isdigit() for c in cell) < 10


def skip_reason(cells: tuple, nik_cell) -> Problem | None:
    """Why a row is not a person: blank, a totals row ("Jumlah", "Total"), or only short numbers
    (row or column numbers, sums). A row whose NIK cell holds a long number is never skipped."""
    if isinstance(nik_cell, str):
        digits = nik_cell.strip()
        long_nik = (digits.isdigit() and len(digits) >= 10) or sum(map(str.isdigit, nik_cell)) >= 10
    else:
        long_nik = isinstance(nik_cell, (int, float)) and abs(nik_cell) >= 1e9
    if long_nik:
        return None
    filled = [c for c in cells if c is not None and not (isinstance(c, str) and not c.strip())]
    if not filled:
        return Problem("blank", N_("Baris kosong."), level="skip")
    if any(isinstance(c, str) and TOTAL.match(c) for c in filled):
        return Problem("totals", N_("Baris jumlah/total; dilewati."), level="skip")
    if all(_number_like(c) for c in filled):
        return Problem("numbers_only", N_("Baris hanya berisi angka (nomor atau jumlah); dilewati."), level="skip")
    return None


def birth(value, today: date) -> tuple[date | None, Problem | None]:
    """The birth date written in the row (a date cell, dd-mm-yyyy, yyyy-mm-dd, '12 Maret 1985',
    or the date at the end of a 'tempat, tanggal lahir' cell)."""
    if blank(value):
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, (int, float)) and 3000 <= value < 80000:  # an Excel serial day number (1908–2119)
        return date(1899, 12, 30) + timedelta(days=int(value)), None
    raw = text(value)
    found = None
    if m := re.search(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", raw):
        found = (int(m[3]), int(m[2]), int(m[1]))
    elif m := re.search(r"(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4}|\d{2})\b", raw):
        found = (int(m[1]), int(m[2]), int(m[3]))
    elif (m := re.search(r"(\d{1,2})[ -]+([A-Za-z]+)[ -]+(\d{4}|\d{2})\b", raw)) and m[2].lower() in MONTHS:
        found = (int(m[1]), MONTHS[m[2].lower()], int(m[3]))
    if found:
        day, month, year = found
        if year < 100:  # two digits: the latest century not in the future, as in a NIK
            year += 2000 if 2000 + year <= today.year else 1900
        try:
            return date(year, month, day), None
        except ValueError:
            pass
    return None, Problem("birth_unreadable", N_("Tanggal lahir “%(v)s” tidak terbaca; yang dipakai tanggal dalam NIK."),
                         {"v": raw[:30]}, "warning")


def sex(value, male_column, female_column) -> tuple[str | None, Problem | None]:
    """'L' or 'P' from a Jenis Kelamin cell, or from separate L and P columns (a tick in one)."""
    if blank(value) and not (blank(male_column) and blank(female_column)):
        if blank(female_column):
            return "L", None
        if blank(male_column):
            return "P", None
        value = f"{text(male_column)}/{text(female_column)}"
    if blank(value):
        return None, None
    k = key(value)
    if k in MALE:
        return "L", None
    if k in FEMALE:
        return "P", None
    return None, Problem("sex_unreadable", N_("Jenis kelamin “%(v)s” tidak dikenali; yang dipakai NIK."),
                         {"v": text(value)[:20]}, "warning")


def phone(value, problems: list[Problem]) -> str:
    """The first plausible phone number (8–15 digits) in the cell; a number cell lost its leading 0."""
    if blank(value):
        return ""
    typed = text(value)
    if isinstance(value, (int, float)) and typed.startswith("8"):
        typed = "0" + typed
    if typed.isdigit() and 8 <= len(typed) <= 15:
        return typed
    for part in re.split(r"[/,;]|\batau\b", typed):
        digits = re.sub(r"\D", "", part)
        if 8 <= len(digits) <= 15:
            return ("+" if part.strip().startswith("+") else "") + digits
    problems.append(Problem("phone_invalid", N_("No HP “%(v)s” tidak dikenali; tidak disimpan."),
                            {"v": typed[:30]}, "warning"))
    return ""
