"""Reading an uploaded list: .xlsx (openpyxl) or .csv (UTF-8 or Windows-1252, `,` `;` or tab),
limits checked, the header row found below any title rows, columns mapped by their headers.

Everything that stops a file is a `Refused` carrying one Indonesian `Problem`; no exception from
a malformed file escapes `read`.
"""
from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field

from portal.core import N_
from portal.core.errors import Problem

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000  # non-blank rows below the header
MAX_PHYSICAL = 100_000  # rows read at all, blank ones included
MAX_UNZIPPED = 50 * 1024 * 1024  # what an .xlsx may expand to (zip bombs)
MAX_COLS = 60
HEADER_SCAN = 20  # title rows allowed above the header

# Header spellings seen in OPD lists, compared without case, spaces or punctuation.
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
HEADERS = {spelling: name for name, spellings in SYNONYMS.items() for spelling in spellings.split()}
LABELS = {"nik": "NIK", "name": "Nama"}  # the required columns, as people call them


class Refused(Exception):
    """The whole file is refused; `problem` says why."""

    def __init__(self, problem: Problem):
        super().__init__(problem.text())
        self.problem = problem


@dataclass
class Sheet:
    """The table found in a file: header row, field → column index, and the data rows below
    it as (row number as Excel shows it, cells as read)."""
    kind: str
    name: str
    header_row: int
    headers: list[str]
    columns: dict[str, int]
    unused: list[str] = field(default_factory=list)
    rows: list[tuple[int, tuple]] = field(default_factory=list)


def key(value) -> str:
    """Lower case letters and digits only: 'No. HP' → 'nohp', 'Muara Dua' → 'muaradua'."""
    return re.sub(r"[^0-9a-z]", "", str(value or "").lower())


def _refuse(code: str, message: str, **params) -> Refused:
    return Refused(Problem(code, message, params))


_recent: OrderedDict[tuple[str, str], Sheet] = OrderedDict()
_recent_lock = threading.Lock()
RECENT = 2  # sheets kept: upload, preview page and confirm of one file read it once per process


def read(filename: str, content: bytes) -> Sheet:
    """The table in `content`, or Refused with the reason (empty, too big, wrong type, corrupt,
    no NIK/Nama header, too many rows). The last few sheets read are kept by content hash, so
    the preview page and the confirm step do not parse the same workbook again; callers must
    not change the Sheet."""
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
    if not content:
        raise _refuse("file_empty", N_("File kosong."))
    if len(content) > MAX_BYTES:
        raise _refuse("file_size", N_("File terlalu besar (paling besar %(mb)d MB). Pecah menjadi beberapa file."),
                      mb=MAX_BYTES // (1024 * 1024))
    if content[:4] == b"PK\x03\x04":
        return _read_xlsx(content)
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        # An OLE container: an old .xls, or an .xlsx encrypted with a password.
        raise _refuse("file_xls", N_("File Excel lama (.xls) atau yang dilindungi kata sandi tidak dapat dibaca. "
                                     "Buka di Excel, hapus kata sandinya bila ada, simpan sebagai .xlsx (Excel "
                                     "Workbook), lalu unggah lagi."))
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise _refuse("file_corrupt", N_("File .xlsx ini rusak atau bukan file Excel."))
    if not filename.lower().endswith((".csv", ".txt")) or b"\x00" in content:
        raise _refuse("file_type", N_("Jenis file tidak didukung. Unggah file Excel (.xlsx) atau CSV (.csv)."))
    return _read_csv(content)


def _read_xlsx(content: bytes) -> Sheet:
    import openpyxl  # only when a workbook arrives

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            unzipped = sum(i.file_size for i in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _refuse("file_corrupt", N_("File .xlsx ini rusak atau bukan file Excel.")) from None
    if "xl/workbook.xml" not in names:
        raise _refuse("file_type", N_("File ini bukan workbook Excel (.xlsx). File LibreOffice (.ods) atau Word "
                                      "perlu disimpan sebagai .xlsx atau .csv dulu."))
    if unzipped > MAX_UNZIPPED:
        raise _refuse("file_rows", N_("Isi workbook terlalu besar. Paling banyak %(n)s baris per file."),
                      n=f"{MAX_ROWS:,}".replace(",", "."))
    workbook = None
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        partial = None
        for sheet in workbook.worksheets:  # the first sheet holding a NIK/Nama table
            try:
                found = _table(sheet.iter_rows(values_only=True, max_col=MAX_COLS), "xlsx", sheet.title)
            except Refused as refused:
                if refused.problem.code != "column_missing":
                    raise
                partial = partial or refused
                continue
            if found is not None:
                return found
        raise partial or _missing_header()
    except Refused:
        raise
    except Exception:  # openpyxl raises many kinds of error on a damaged file
        raise _refuse("file_corrupt", N_("Workbook tidak dapat dibaca (rusak atau dilindungi kata sandi). "
                                         "Buka di Excel, simpan ulang sebagai .xlsx, lalu unggah lagi.")) from None
    finally:
        if workbook is not None:
            workbook.close()


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="replace")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")  # what Excel on Windows saves as "CSV"


def _read_csv(content: bytes) -> Sheet:
    text = _decode(content)
    best, partial = None, None
    for delimiter in (",", ";", "\t"):  # the one under which a header with most columns appears
        try:
            found = _find_header(list(_csv_rows(text, delimiter, HEADER_SCAN)))
        except (Refused, csv.Error) as refused:
            partial = partial or (refused if isinstance(refused, Refused) else None)
            continue
        if found is not None and (best is None or len(found[1]) > len(best[1][1])):
            best = (delimiter, found)
    if best is None:
        raise partial or _missing_header()
    try:
        return _table(_csv_rows(text, best[0], None), "csv", "")
    except csv.Error:
        raise _refuse("file_corrupt", N_("File CSV tidak dapat dibaca (tanda kutip tidak berpasangan?).")) from None


def _csv_rows(text: str, delimiter: str, limit: int | None):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for n, row in enumerate(reader, 1):
        if limit is not None and n > limit:
            return
        yield tuple(row[:MAX_COLS])


def _find_header(rows: list[tuple]) -> tuple[int, dict[str, int]] | None:
    """The first row (1-based) whose cells name both NIK and Nama, with its field → column map;
    failing that, the best-mapped row, so a missing column can be named."""
    best = None
    for number, cells in enumerate(rows, 1):
        columns: dict[str, int] = {}
        for index, cell in enumerate(cells):
            name = HEADERS.get(key(cell)) if isinstance(cell, str) else None
            if name and name not in columns:
                columns[name] = index
        if "nik" in columns and "name" in columns:
            return number, columns
        if len(columns) >= 2 and (best is None or len(columns) > len(best[1])):
            best = (number, columns)
    if best is not None:
        missing = [LABELS[f] for f in ("nik", "name") if f not in best[1]]
        raise _refuse("column_missing", N_("Kolom wajib tidak ditemukan: %(missing)s (baris judul kolom: baris "
                                           "%(row)d). Beri judul kolom yang jelas, mis. “NIK” dan “Nama”."),
                      missing=", ".join(missing), row=best[0])
    return None


def _missing_header() -> Refused:
    return _refuse("header_missing", N_("Baris judul kolom tidak ditemukan di %(n)d baris pertama. Harus ada "
                                        "kolom berjudul “NIK” dan “Nama”."), n=HEADER_SCAN)


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _table(rows, kind: str, name: str) -> Sheet | None:
    """Read `rows` (an iterator of cell tuples) into a Sheet; None when no header is found."""
    rows = iter(rows)
    head = [r for _, r in zip(range(HEADER_SCAN), rows)]
    found = _find_header(head)
    if found is None:
        return None
    header_row, columns = found
    header = head[header_row - 1]
    width = max((i + 1 for i, c in enumerate(header) if not _blank(c)), default=0)
    headers = ["" if c is None else str(c).strip() for c in header[:width]]
    mapped = set(columns.values())
    unused = [h for i, h in enumerate(headers) if h and i not in mapped]
    sheet = Sheet(kind, name, header_row, headers, columns, unused)
    data = last_filled = 0
    for number, cells in enumerate(itertools.chain(head[header_row:], rows), header_row + 1):
        if number > MAX_PHYSICAL:
            raise _refuse("file_rows", N_("Lembar kerja berisi lebih dari %(n)s baris (baris kosong yang "
                                          "diformat juga terhitung). Hapus baris kosong di bawah data."),
                          n=f"{MAX_PHYSICAL:,}".replace(",", "."))
        if all(_blank(c) for c in cells):
            sheet.rows.append((number, ()))
            continue
        data += 1
        if data > MAX_ROWS:
            raise _too_many()
        sheet.rows.append((number, tuple(cells[:max(width, 1)])))
        last_filled = len(sheet.rows)
    del sheet.rows[last_filled:]  # blank rows below the data are not rows of the list
    return sheet


def _too_many() -> Refused:
    return _refuse("file_rows", N_("Terlalu banyak baris: paling banyak %(n)s baris data per file. Pecah "
                                   "menjadi beberapa file."),
                   n=f"{MAX_ROWS:,}".replace(",", "."))
