"""Reading an uploaded list as people wrote it: the table (the first worksheet with a NIK and a
Nama column, under any of the spellings OPDs use), and each cell: text with tidy whitespace, a
birth date in the ways Indonesians write one, L/P, a phone number, and rows that are not people
(blank, totals, only numbers)."""
from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from datetime import date, datetime

from portal.core import N_, sheets
from portal.core.cells import blank, key, read_date
from portal.core.errors import Problem
from portal.core.sheets import Refused, Sheet

# Header spellings seen in OPD lists, compared without case, spaces or punctuation (`key`).
SYNONYMS = {
    "nik": "nik nonik nomornik noinduk nomorindukkependudukan nikktp noktp nomorktp nikpeserta",
    "name": "nama namalengkap namapekerja namapeserta namasesuaiktp namalengkapsesuaiktp namatenagakerja",
    "sex": "jeniskelamin jk lp kelamin jenkel gender jkelamin",
    "sex_l": "l lk lakilaki",
    "sex_p": "p pr perempuan",
    "birth": "tgllahir tanggallahir tgllhr tgllahirddmmyyyy ttl tempattanggallahir tempattgllahir",
    "address": "alamat alamatlengkap alamatrumah alamatdomisili domisili",
    "desa": "desa kelurahan desakelurahan kelurahandesa desakel keldesa",
    "kecamatan": "kecamatan kec",
    "phone": "nohp nomorhp hp notelepon notelp telepon telp nomortelepon nohpwa nowa whatsapp nomorwa notlp "
             "nohandphone",
    "category": "kategori pekerjaan jenispekerjaan profesi kategoripekerja jabatan",
}
LABELS = {"nik": "NIK", "name": "Nama"}  # the required columns, as people call them
TOTAL = re.compile(r"^\s*(jumlah|total|jml|grand ?total|sub ?total)\b", re.I)
MALE, FEMALE = {"l", "lk", "laki", "lakilaki", "pria", "m", "male"}, {"p", "pr", "perempuan", "wanita", "w", "f", "female"}

_recent: OrderedDict[tuple[str, str], Sheet] = OrderedDict()
_recent_lock = threading.Lock()
RECENT = 2  # sheets kept: upload, preview page and confirm of one file read it once per process


def read(filename: str, content: bytes) -> Sheet:
    """The list in `content`: the first worksheet holding a NIK/Nama table (`sheets.worksheets`),
    or Refused with the reason (empty, too big, wrong type, corrupt, over a limit, no NIK/Nama
    header, too many rows). The last few sheets read are kept by content hash, so the preview
    page and the confirm step do not parse the same workbook again; callers must not change the
    Sheet."""
    cache_key = (hashlib.sha256(content).hexdigest(), filename.lower().rsplit(".", 1)[-1])
    with _recent_lock:
        if cache_key in _recent:
            _recent.move_to_end(cache_key)
            return _recent[cache_key]
    sheet = _read(filename, content)
    with _recent_lock:
        _recent[cache_key] = sheet
        while len(_recent) > RECENT:
            _recent.popitem(last=False)
    return sheet


def _read(filename: str, content: bytes) -> Sheet:
    partial = None
    for title, rows in sheets.worksheets(content, filename):
        try:
            return sheets.read_table(title, rows, SYNONYMS, tuple(LABELS), LABELS)
        except Refused as refused:
            if refused.problem.code not in ("column_missing", "header_missing"):
                raise
            if refused.problem.code == "column_missing":
                partial = partial or refused
    raise partial or sheets.missing_header(tuple(LABELS), LABELS)


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
    """The birth date written in the row (`read_date`: a date cell, dd-mm-yyyy, yyyy-mm-dd,
    '12 Maret 1985', or the date at the end of a 'tempat, tanggal lahir' cell)."""
    if blank(value):
        return None, None
    born = read_date(value, today)
    if born is not None:
        return born, None
    return None, Problem("birth_unreadable", N_("Tanggal lahir “%(v)s” tidak terbaca; yang dipakai tanggal dalam NIK."),
                         {"v": text(value)[:30]}, "warning")


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
