"""Reading every uploaded spreadsheet (an OPD's list, BPJS's participant report, the offline
decision sheet): .xlsx or .csv, one set of limits, the header row found below any title rows.
A file is read whole in a forked child under a wall-time, memory and result-size limit
(`portal.core.bounded`), so no upload can grow the web worker or hold it for long. In there an
.xlsx is inspected before anything parses it (its zip directory, then one pass for a DTD and the
number of cells), then streamed by `portal.core.xlsx` under limits on parts, cells, cells per row
and shared strings. Everything that stops a file is a `Refused` (an `Invalid`, 422) carrying one
Indonesian `Problem`; no exception from a malformed file escapes. Cells: `cells`.
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from portal.core import N_, bounded
from portal.core.cells import blank, key
from portal.core.errors import Invalid, Problem

MAX_BYTES = 5 * 1024 * 1024  # the upload itself
MAX_UNZIPPED = 50 * 1024 * 1024  # the declared uncompressed sizes of an .xlsx's members, summed
MAX_CELLS = 600_000  # cells in all the worksheets of an .xlsx, counted before they are parsed and while
MAX_ROWS = 20_000  # non-blank rows below the header
MAX_PHYSICAL = 100_000  # rows read at all, blank ones included
MAX_COLS = 60
MAX_MEMBERS = 1_000  # parts in an .xlsx (Excel's own have a few dozen)
MAX_MEMBER = 40 * 1024 * 1024  # the declared uncompressed size of any one part
MAX_ROW_CELLS = 1_000  # cells in one row (formatted empty ones too); only MAX_COLS are kept
MAX_STRINGS = 600_000  # shared strings of an .xlsx: no more than its cells
MAX_TEXT = 20_000_000  # their characters, summed
MAX_CELL_CHARS = 32_767  # one CSV cell: Excel's own limit for a cell
READ_SECONDS = 1.5  # wall time to read a file, in the child
CELL_SECONDS = 15e-6  # more for each cell the first count of an .xlsx found (~8 µs each on 2 cores)
READ_MOST = 10.0  # and at most this in all: a list of MAX_ROWS × 10 columns needs ~1.7 s
READ_MEMORY = 200 * 1024 * 1024  # the child's memory on top of what it starts with
MAX_RESULT = 48 * 1024 * 1024  # the rows it sends back, pickled
HEADER_SCAN = 20  # title rows allowed above the header
DELIMITERS = (",", ";", "\t")
CHUNK = 1 << 20
SNIFF = 1 << 16  # characters of a CSV the delimiter is chosen by
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old .xls, or an .xlsx encrypted with a password
DTD = tuple(marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY")
            for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"))
CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")  # <c r="A1">, <c>, <x:c …>
STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")  # a shared string: <si>, <x:si>
ENDS = (b" ", b">", b"/")  # how writers end a tag's name; `xlsx` counts every other exactly
Spellings = Mapping[str, str | Iterable[str]]  # field → its header spellings, space-separated or a set


class Refused(Invalid):
    """The whole file is refused; `problem` says why (its code is stable, its message Indonesian)."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message, **problem.params)
        self.problem = problem

    def __str__(self) -> str:
        return self.problem.text()


def refuse(code: str, message: str, **params) -> Refused:
    return Refused(Problem(code, message, params))


def figure(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def file_name(filename: str) -> str:
    """An uploaded file's own name, without any folder, at most its last 200 characters (so
    the extension stays)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[-200:] or "unggahan"


# --- one generic reader ---------------------------------------------------------------------
def worksheets(content: bytes, filename: str) -> Iterator[tuple[str, Iterator[tuple]]]:
    """(title, rows) of each worksheet of an .xlsx, or ("", rows) of a .csv; rows are tuples of at
    most MAX_COLS cells, MAX_PHYSICAL rows at most. Refuses files empty, too big, of another type,
    corrupt, or over a limit, here or while the rows are read. The file is read whole in a child
    process (`bounded`: READ_SECONDS, plus CELL_SECONDS a cell of an .xlsx up to READ_MOST;
    READ_MEMORY, MAX_RESULT) and its rows replayed here, a refusal where the reading met it."""
    if not content:
        raise refuse("file_empty", N_("Berkas kosong."))
    if len(content) > MAX_BYTES:
        raise refuse("file_size", N_("Berkas terlalu besar (paling besar %(mb)d MB). Pecah menjadi beberapa "
                                     "berkas."), mb=MAX_BYTES // 2**20)
    from portal.core import xlsx  # noqa: F401 - imported before the fork, not in every child

    try:
        found, last = bounded.run(lambda: _read_all(content, filename), READ_SECONDS, READ_MEMORY, MAX_RESULT,
                                  READ_MOST)
    except bounded.Exceeded as exceeded:
        raise _exceeded(exceeded.kind, exceeded.seconds) from None
    for title, width, rows, stop in found:
        yield title, _replay(rows, width, stop)
    if last is not None:
        raise Refused(last)


def _exceeded(kind: str, seconds: float) -> Refused:
    if kind == "time":
        return refuse("file_time", N_("Berkas terlalu rumit untuk dibaca: waktu baca habis (lebih dari %(s)s detik). "
                                      "Hapus isi yang tidak perlu, atau pecah menjadi beberapa berkas."),
                      s=f"{seconds:.1f}".replace(".", ","))
    if kind == "size":
        return refuse("file_content", N_("Berkas terlalu rumit untuk dibaca: isi selnya lebih dari %(mb)d MB. Hapus "
                                         "isi yang tidak perlu, atau pecah menjadi beberapa berkas."),
                      mb=MAX_RESULT // 2**20)
    return refuse("file_memory", N_("Berkas terlalu rumit untuk dibaca: memori baca habis (lebih dari %(mb)d MB). "
                                    "Hapus isi yang tidak perlu, atau pecah menjadi beberapa berkas."),
                  mb=READ_MEMORY // 2**20)


Read = tuple[list[tuple[str, int, list[tuple], Problem | None]], Problem | None]


def _read_all(content: bytes, filename: str) -> Read:
    """In the child: every worksheet's rows (blank ones as (), cells up to the last value) and the
    refusal met while reading them, then the one met after the last worksheet."""
    found: list[tuple[str, int, list[tuple], Problem | None]] = []
    try:
        width = MAX_COLS if content[:4] == b"PK\x03\x04" else 0
        for title, rows in _worksheets(content, filename):
            kept: list[tuple] = []
            found.append((title, width, kept, None))
            try:
                for cells in rows:
                    end = len(cells)
                    while end and cells[end - 1] is None:
                        end -= 1
                    kept.append(tuple(cells[:end]))
            except Refused as refused:
                found[-1] = (title, width, kept, refused.problem)
                return found, None
    except Refused as refused:
        return found, refused.problem
    return found, None


def _replay(rows: list[tuple], width: int, stop: Problem | None) -> Iterator[tuple]:
    """The rows as read, an .xlsx's padded to `width` as openpyxl gives them, then the refusal."""
    for cells in rows:
        yield cells + (None,) * (width - len(cells)) if width else cells
    if stop is not None:
        raise Refused(stop)


def _worksheets(content: bytes, filename: str) -> Iterator[tuple[str, Iterator[tuple]]]:
    name = filename.lower()
    if content[:4] == b"PK\x03\x04":
        yield from _xlsx(content)
    elif content[:8] == OLE:
        raise refuse("file_xls", N_("Berkas Excel lama (.xls) atau yang dilindungi kata sandi tidak dapat dibaca. "
                                    "Buka di Excel, hapus kata sandinya bila ada, simpan sebagai .xlsx (Excel "
                                    "Workbook), lalu unggah lagi."))
    elif name.endswith((".xlsx", ".xlsm")):
        raise _not_xlsx()
    elif name.endswith((".csv", ".txt")):
        yield "", _csv(content)
    else:
        raise refuse("file_type", N_("Jenis berkas tidak didukung. Unggah berkas Excel (.xlsx) atau CSV (.csv)."))


def _not_xlsx() -> Refused:
    return refuse("file_corrupt", N_("Berkas .xlsx ini rusak atau bukan berkas Excel."))


def unreadable() -> Refused:
    return refuse("file_corrupt", N_("Workbook tidak dapat dibaca (rusak atau dilindungi kata sandi). Buka di "
                                     "Excel, simpan ulang sebagai .xlsx, lalu unggah lagi."))


def unzipped_refusal() -> Refused:
    return refuse("file_unzipped", N_("Isi berkas Excel ini terlalu besar setelah dibuka (lebih dari %(mb)d MB). "
                                      "Hapus lembar atau gambar yang tidak perlu, atau pecah menjadi beberapa "
                                      "berkas."), mb=MAX_UNZIPPED // 2**20)


def cells_refusal() -> Refused:
    return refuse("file_cells", N_("Berkas Excel ini memuat terlalu banyak sel (paling banyak %(n)s sel). Hapus "
                                   "kolom dan baris yang tidak perlu, atau pecah menjadi beberapa berkas."),
                  n=figure(MAX_CELLS))


def inspect_xlsx(content: bytes) -> int:
    """Refuse the .xlsx before anything parses it: not a workbook, more than MAX_MEMBERS parts,
    more than MAX_MEMBER declared for one part or MAX_UNZIPPED for all (zipfile never unpacks a
    part past its declared size; the bytes are counted as they inflate too), a DTD in any part
    (an entity bomb; a workbook never has one), more than MAX_CELLS cells or MAX_STRINGS shared
    strings, found in one pass over chunks. Returns the cells counted."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _not_xlsx() from None
    with archive:
        members = archive.infolist()
        if "xl/workbook.xml" not in {m.filename for m in members}:
            raise refuse("file_type", N_("Berkas ini bukan workbook Excel (.xlsx). Berkas LibreOffice (.ods) atau "
                                         "Word perlu disimpan sebagai .xlsx atau .csv dulu."))
        if len(members) > MAX_MEMBERS:
            raise refuse("file_members", N_("Berkas terlalu rumit untuk dibaca: lebih dari %(n)s bagian di dalam "
                                            "berkas .xlsx. Simpan ulang dari Excel sebagai .xlsx."),
                         n=figure(MAX_MEMBERS))
        if sum(m.file_size for m in members) > MAX_UNZIPPED or any(m.file_size > MAX_MEMBER for m in members):
            raise unzipped_refusal()
        cells = strings = inflated = 0
        for member in members:
            sheet = member.filename.startswith("xl/worksheets/")  # cells there, shared strings elsewhere
            try:
                with archive.open(member) as stream:
                    seam = carry = b""  # what came before: markers cut between chunks are found
                    while chunk := stream.read(CHUNK):
                        inflated += len(chunk)
                        if inflated > MAX_UNZIPPED:
                            raise unzipped_refusal()
                        window = seam + chunk
                        if any(marker in window for marker in DTD):
                            raise refuse("file_dtd", N_("Berkas Excel ini memuat definisi XML yang tidak diizinkan "
                                                        "(DTD/entitas); simpan ulang dari Excel sebagai .xlsx."))
                        data, seam = carry + chunk, window[-40:]
                        cut = data.rfind(b"<", max(0, len(data) - 64))  # a cell counted once, whole
                        data, carry = (data[:cut], data[cut:]) if cut >= 0 else (data, b"")
                        if sheet:
                            cells += _count(CELL, b"c", data)
                        else:
                            strings += _count(STRING, b"si", data)
                        if cells > MAX_CELLS:
                            raise cells_refusal()
                        if strings > MAX_STRINGS:
                            raise strings_refusal()
                    cells += _count(CELL, b"c", carry) if sheet else 0
                    strings += 0 if sheet else _count(STRING, b"si", carry)
            except Refused:
                raise
            except Exception:  # a damaged member, zip encryption, an unknown compression
                raise _not_xlsx() from None
            if cells > MAX_CELLS:
                raise cells_refusal()
            if strings > MAX_STRINGS:
                raise strings_refusal()
    return cells


def _count(pattern: re.Pattern, tag: bytes, data: bytes) -> int:
    """Elements `tag` in `data` as `pattern` finds them, counted by bytes.count (ten times faster)
    unless `data` may hold one with a namespace prefix. A first count, to refuse early: the
    worksheets' parser (`xlsx`) counts every cell and string exactly as it reads them."""
    if not any(b":" + tag + end in data for end in ENDS):
        return sum(data.count(b"<" + tag + end) for end in ENDS)
    return len(pattern.findall(data))


def strings_refusal() -> Refused:
    return refuse("file_strings", N_("Berkas terlalu rumit untuk dibaca: lebih dari %(n)s teks berbeda (shared "
                                     "strings). Hapus isi yang tidak perlu, atau pecah menjadi beberapa berkas."),
                  n=figure(MAX_STRINGS))


def _xlsx(content: bytes) -> Iterator[tuple[str, Iterator[tuple]]]:
    bounded.allow(inspect_xlsx(content) * CELL_SECONDS)  # a large list needs longer than a small one
    from portal.core import xlsx

    limits = xlsx.Limits(CHUNK, MAX_MEMBER, MAX_UNZIPPED, MAX_STRINGS, MAX_TEXT, MAX_COLS, MAX_ROW_CELLS, MAX_CELLS)
    damaged = lambda error: _over(error.code) if isinstance(error, xlsx.Over) else unreadable()  # noqa: E731
    found = xlsx.read(content, limits)
    while True:
        try:
            title, rows = next(found)
        except StopIteration:
            return
        except Exception as error:  # a limit, or damaged
            raise damaged(error) from None
        yield title, _rows(rows, damaged)


def _over(code: str) -> Refused:
    """The refusal of an .xlsx over the limit `code` (portal.core.xlsx.Over)."""
    if code == "file_text":
        return refuse("file_text", N_("Berkas terlalu rumit untuk dibaca: teksnya lebih dari %(n)s karakter. Hapus "
                                      "isi yang tidak perlu, atau pecah menjadi beberapa berkas."), n=figure(MAX_TEXT))
    if code == "file_complex":
        return refuse("file_complex", N_("Berkas terlalu rumit untuk dibaca: susunan XML-nya terlalu dalam atau "
                                         "terlalu panjang. Simpan ulang dari Excel sebagai .xlsx."))
    return {"file_unzipped": unzipped_refusal, "file_strings": strings_refusal, "file_row_cells": row_cells_refusal,
            "file_cells": cells_refusal}[code]()


def _rows(rows: Iterable[Sequence[Any]], damaged: Callable[[Exception], Refused]) -> Iterator[tuple]:
    """`rows`, refused past MAX_PHYSICAL or a row of more than MAX_ROW_CELLS cells; a parse error
    while reading them is `damaged(error)`."""
    try:
        for number, cells in enumerate(rows, 1):
            if number > MAX_PHYSICAL:
                raise refuse("file_rows", N_("Lembar kerja berisi lebih dari %(n)s baris (baris kosong yang "
                                             "diformat juga terhitung). Hapus baris kosong di bawah data."),
                             n=figure(MAX_PHYSICAL))
            if len(cells) > MAX_ROW_CELLS:
                raise row_cells_refusal()
            yield tuple(cells[:MAX_COLS])
    except Refused:
        raise
    except Exception as error:
        raise damaged(error) from None


def row_cells_refusal() -> Refused:
    return refuse("file_row_cells", N_("Berkas terlalu rumit untuk dibaca: lebih dari %(n)s sel dalam satu baris. "
                                       "Hapus kolom yang tidak perlu."), n=figure(MAX_ROW_CELLS))


BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def decode(content: bytes) -> str:
    """A CSV's text: after a BOM, UTF-8 or UTF-16 (little or big endian: Excel's "Unicode Text"),
    else UTF-8, else Windows-1252 (what Excel saves as "CSV")."""
    for bom, encoding in BOMS:
        if content.startswith(bom):
            return content[len(bom):].decode(encoding, errors="replace")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def delimiter(text: str) -> str:
    """`,` `;` or tab: the one under which most of the first HEADER_SCAN rows split into the same
    number (two or more) of cells, as a table's rows do; an address full of commas in a `;` file
    splits unevenly under `,`. Ties go to the wider table, then in that order."""
    def score(candidate: str) -> tuple[int, int]:
        try:
            rows = itertools.islice(csv.reader(io.StringIO(text, newline=""), delimiter=candidate), HEADER_SCAN)
            widths = Counter(len(row) for row in rows if any(cell.strip() for cell in row))
        except csv.Error:
            return (-1, 0)
        return max(((n, width) for width, n in widths.items() if width >= 2), default=(0, 0))
    return max(DELIMITERS, key=score)


def _csv(content: bytes) -> Iterator[tuple]:
    text = decode(content)
    if "\x00" in text:  # looked for once decoded: every other byte of UTF-16 text is a zero
        raise refuse("file_corrupt", N_("Berkas CSV ini rusak (memuat karakter NUL). Simpan ulang dari Excel "
                                        "sebagai CSV, lalu unggah lagi."))
    csv.field_size_limit(MAX_CELL_CHARS)  # process-wide: this runs in the reading child only
    head = text[:SNIFF]  # the rows the delimiter is chosen by, whole, within SNIFF characters
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(head[:head.rfind("\n") + 1] or head))
    yield from _rows(reader, _csv_damaged)


def _csv_damaged(error: Exception) -> Refused:
    if "field limit" in str(error):
        return refuse("file_corrupt", N_("Berkas CSV tidak dapat dibaca: satu sel lebih dari %(n)s karakter (tanda "
                                         "kutip tidak berpasangan?)."), n=figure(MAX_CELL_CHARS))
    return refuse("file_corrupt", N_("Berkas CSV tidak dapat dibaca (tanda kutip tidak berpasangan?)."))


# --- the header, and a table below it ---------------------------------------------------------
def find_header(rows: Sequence[tuple], spellings: Spellings, required: Sequence[str],
                labels: dict[str, str], look: int = HEADER_SCAN) -> tuple[int, dict[str, int]]:
    """(index in `rows` of the header row, {field: column}): the first of the `look` first rows
    whose cells, compared by `key`, name every `required` field (`spellings`: each field's
    spellings, a set or space-separated). Refused "column_missing" naming what is missing when a
    row named some of them, else "header_missing"."""
    wanted = {key(s): name for name, names in spellings.items()
              for s in (names.split() if isinstance(names, str) else names)}
    best = None
    for index, cells in enumerate(rows[:look]):
        columns: dict[str, int] = {}
        for column, cell in enumerate(cells):
            name = wanted.get(key(cell)) if isinstance(cell, str) else None
            if name and name not in columns:
                columns[name] = column
        named = sum(name in columns for name in required)
        if named == len(required):
            return index, columns
        if named and (best is None or named > best[0]):
            best = (named, index, columns)
    if best is not None:
        missing = ", ".join(labels[name] for name in required if name not in best[2])
        raise refuse("column_missing", N_("Kolom wajib tidak ditemukan: %(missing)s (baris judul kolom: baris "
                                          "%(row)d). Beri judul yang jelas pada kolom itu."),
                     missing=missing, row=best[1] + 1)
    raise missing_header(required, labels, look)


def missing_header(required: Sequence[str], labels: dict[str, str], look: int = HEADER_SCAN) -> Refused:
    return refuse("header_missing", N_("Baris judul kolom tidak ditemukan di %(n)d baris pertama. Harus ada kolom "
                                       "berjudul %(columns)s."),
                  n=look, columns=", ".join(f"“{labels[name]}”" for name in required))


@dataclass
class Sheet:
    """A worksheet's table: title, header row number, header cells, field → column, headers no field
    took, and the rows below as (row number, cells to the header's width), a blank one (number, ())."""
    name: str
    header_row: int
    headers: list[str]
    columns: dict[str, int]
    unused: list[str] = field(default_factory=list)
    rows: list[tuple[int, tuple]] = field(default_factory=list)


def read_table(name: str, rows: Iterator[tuple], spellings: Spellings, required: Sequence[str],
               labels: dict[str, str], look: int = HEADER_SCAN) -> Sheet:
    """The table of one worksheet's `rows`, its header among the first `look` (`find_header`);
    refused past MAX_ROWS non-blank rows."""
    head = list(itertools.islice(rows, look))
    index, columns = find_header(head, spellings, required, labels, look)
    header = head[index]
    width = max((i + 1 for i, cell in enumerate(header) if not blank(cell)), default=1)
    headers = ["" if cell is None else str(cell).strip() for cell in header[:width]]
    mapped = set(columns.values())
    sheet = Sheet(name, index + 1, headers, columns, [h for i, h in enumerate(headers) if h and i not in mapped])
    filled = last = 0
    for number, cells in enumerate(itertools.chain(head[index + 1:], rows), index + 2):
        if all(blank(cell) for cell in cells):
            sheet.rows.append((number, ()))
            continue
        filled += 1
        if filled > MAX_ROWS:
            raise refuse("file_rows", N_("Terlalu banyak baris: paling banyak %(n)s baris data per berkas. Pecah "
                                         "menjadi beberapa berkas."), n=figure(MAX_ROWS))
        sheet.rows.append((number, cells[:width]))
        last = len(sheet.rows)
    del sheet.rows[last:]
    return sheet


def table(content: bytes, filename: str, spellings: Spellings, required: Sequence[str],
          labels: dict[str, str], look: int = HEADER_SCAN) -> Sheet:
    """The table of the first worksheet of an .xlsx, or of a .csv (BPJS's report, the decision sheet)."""
    for name, rows in worksheets(content, filename):
        return read_table(name, rows, spellings, required, labels, look)
    raise missing_header(required, labels, look)
