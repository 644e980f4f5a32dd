"""The worksheets of an .xlsx, read by streaming its XML (lxml's pull parser, row by row) under
the limits of `portal.core.sheets`, counted as the parts are inflated and parsed: bytes of each
part, cells in all, cells in a row, shared strings and their characters. The values are what
openpyxl's read-only mode gives (`values_only`): numbers, dates by the cell's number format,
booleans, strings, formulas' cached results; about ten times faster, and no part is ever held
whole. Called by `sheets` in a bounded child (portal.core.bounded)."""
from __future__ import annotations

import io
import posixpath
import zipfile
from typing import Iterator

from lxml import etree
from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

from portal.core import N_, sheets

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
C, ROW, SHEET_DATA, V, IS, T, R, SI = (MAIN + tag for tag in ("c", "row", "sheetData", "v", "is", "t", "r", "si"))
MAX_COLUMN = 16_384  # XFD, Excel's last column


class Damaged(Exception):
    """The part is not what a workbook holds: `sheets` refuses the file as unreadable."""


def _elements(archive: zipfile.ZipFile, name: str, tags: tuple[str, ...],
              counter: list[int]) -> Iterator[etree._Element]:
    """The elements `tags` of part `name` as each ends; what came before them is dropped as the
    caller moves on. Inflated bytes count against the part's declared size (the zip directory can
    lie: zipfile stops there and fails the checksum), MAX_MEMBER and, in `counter`, MAX_UNZIPPED."""
    parser = etree.XMLPullParser(events=("end",), tag=tags, resolve_entities=False, no_network=True,
                                 load_dtd=False, huge_tree=False)
    declared = archive.getinfo(name).file_size
    inflated = 0
    with archive.open(name) as stream:
        while chunk := stream.read(sheets.CHUNK):
            inflated += len(chunk)
            counter[0] += len(chunk)
            if inflated > min(declared, sheets.MAX_MEMBER) or counter[0] > sheets.MAX_UNZIPPED:
                raise sheets.unzipped_refusal()
            try:
                parser.feed(chunk)
                for _event, element in parser.read_events():
                    yield element
                    element.clear()
                    while element.getprevious() is not None:
                        del element.getparent()[0]
            except etree.XMLSyntaxError as error:
                raise _syntax(error) from None
    try:
        parser.close()
    except etree.XMLSyntaxError as error:
        raise _syntax(error) from None


def _syntax(error: etree.XMLSyntaxError) -> Exception:
    if "depth" in str(error).lower() or "huge" in str(error).lower():
        return sheets.refuse("file_complex", N_("Berkas terlalu rumit untuk dibaca: susunan XML-nya terlalu dalam "
                                                "atau terlalu panjang. Simpan ulang dari Excel sebagai .xlsx."))
    return Damaged()


def _text(node: etree._Element) -> str:
    """A string item as openpyxl reads it: its <t>, then the <t> of each rich-text run (not the
    phonetic guides)."""
    parts = []
    plain = node.find(T)
    if plain is not None and plain.text:
        parts.append(plain.text)
    for run in node.iterfind(R):
        t = run.find(T)
        if t is not None and t.text:
            parts.append(t.text)
    return "".join(parts)


def _relations(archive: zipfile.ZipFile, counter: list[int]) -> dict[str, tuple[str, str]]:
    """The workbook's relationships: id → (type, part name)."""
    found = {}
    if "xl/_rels/workbook.xml.rels" in archive.NameToInfo:
        for rel in _elements(archive, "xl/_rels/workbook.xml.rels", (RELS + "Relationship",), counter):
            target = rel.get("Target") or ""
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            found[rel.get("Id") or ""] = (rel.get("Type") or "", path)
    return found


def _strings(archive: zipfile.ZipFile, name: str, counter: list[int]) -> list[str]:
    strings: list[str] = []
    if name not in archive.NameToInfo:
        return strings
    characters = 0
    for item in _elements(archive, name, (SI,), counter):
        text = _text(item).replace("x005F_", "")
        characters += len(text)
        strings.append(text)
        if len(strings) > sheets.MAX_STRINGS:
            raise sheets.strings_refusal()
        if characters > sheets.MAX_TEXT:
            raise sheets.refuse("file_text", N_("Berkas terlalu rumit untuk dibaca: teksnya lebih dari %(n)s "
                                                "karakter. Hapus isi yang tidak perlu, atau pecah menjadi beberapa "
                                                "berkas."), n=sheets.figure(sheets.MAX_TEXT))
    return strings


def _formats(archive: zipfile.ZipFile, name: str, counter: list[int]) -> tuple[set[int], set[int]]:
    """The cell styles (index into cellXfs) whose number format is a date, and a duration."""
    dates: set[int] = set()
    durations: set[int] = set()
    if name not in archive.NameToInfo:
        return dates, durations
    custom: dict[int, str] = {}
    index = 0
    for element in _elements(archive, name, (MAIN + "numFmt", MAIN + "xf"), counter):
        if element.tag == MAIN + "numFmt":
            custom[int(element.get("numFmtId") or 0)] = element.get("formatCode") or ""
        elif element.getparent().tag == MAIN + "cellXfs":
            number = int(element.get("numFmtId") or 0)
            code = custom.get(number) or builtin_format_code(number)
            if is_date_format(code):
                dates.add(index)
            if is_timedelta_format(code):
                durations.add(index)
            index += 1
    return dates, durations


def _column(reference: str) -> int:
    letters = reference.rstrip("0123456789")
    number = 0
    for letter in letters:
        if not "A" <= letter <= "Z":
            raise Damaged()
        number = number * 26 + ord(letter) - 64
    if not 0 < number <= MAX_COLUMN:
        raise Damaged()
    return number


class _Sheet:
    def __init__(self, strings: list[str], dates: set[int], durations: set[int], epoch):
        self.strings, self.dates, self.durations, self.epoch = strings, dates, durations, epoch

    def value(self, cell: etree._Element):
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            inline = cell.find(IS)
            return None if inline is None else _text(inline)
        value = cell.findtext(V) or None
        if value is None:
            return None
        if kind == "n":
            number = float(value) if "." in value or "E" in value or "e" in value else int(value)
            style = int(cell.get("s") or 0)
            if style in self.dates:
                try:
                    return from_excel(number, self.epoch, timedelta=style in self.durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return self.strings[int(value)]
        if kind == "b":
            return bool(int(value))
        if kind == "d":
            return from_ISO8601(value)
        return value  # "str" (a formula's text), "e" (#N/A…)

    def rows(self, archive: zipfile.ZipFile, name: str, counter: list[int], cells: list[int]) -> Iterator[tuple]:
        """The rows, numbered as their r says (rows left out come as ()), each up to its last
        value among the first MAX_COLS columns; openpyxl pads them to MAX_COLS (`sheets` does)."""
        width = sheets.MAX_COLS
        values: list = []
        in_row = column = 0
        expected = 1
        for element in _elements(archive, name, (C, ROW, SHEET_DATA), counter):
            if element.tag == C:
                in_row += 1
                cells[0] += 1
                if in_row > sheets.MAX_ROW_CELLS:
                    raise sheets.row_cells_refusal()
                if cells[0] > sheets.MAX_CELLS:
                    raise sheets.cells_refusal()
                reference = element.get("r")
                column = _column(reference) if reference else column + 1
                if column <= width:
                    value = self.value(element)
                    if value is not None:
                        values.extend([None] * (column - len(values)))
                        values[column - 1] = value
            elif element.tag == ROW:
                number = element.get("r")
                index = int(float(number)) if number else expected
                while expected < index:
                    expected += 1
                    yield ()
                if expected <= index:
                    expected += 1
                    yield tuple(values)
                values, in_row, column = [], 0, 0
            else:
                return  # the rest of the part (merged cells, print setup) is not read


def read(content: bytes) -> Iterator[tuple[str, Iterator[tuple]]]:
    """(title, rows) of each worksheet, in the workbook's order."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        counter, cells = [0], [0]
        relations = _relations(archive, counter)
        by_type = {kind.rsplit("/", 1)[-1]: path for kind, path in relations.values()}
        found, epoch = [], CALENDAR_WINDOWS_1900
        for element in _elements(archive, "xl/workbook.xml", (MAIN + "sheet", MAIN + "workbookPr"), counter):
            if element.tag == MAIN + "workbookPr":
                epoch = CALENDAR_MAC_1904 if element.get("date1904") in ("1", "true") else epoch
                continue
            kind, path = relations.get(element.get(REL_ID) or "", ("", ""))
            if kind.endswith("/worksheet"):
                found.append((element.get("name") or "", path))
        # Parts not related but at their usual place are read too (openpyxl finds them by content type).
        strings = _strings(archive, by_type.get("sharedStrings", "xl/sharedStrings.xml"), counter)
        sheet = _Sheet(strings, *_formats(archive, by_type.get("styles", "xl/styles.xml"), counter), epoch)
    except (Damaged, zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, NotImplementedError,
            RuntimeError):
        raise sheets.unreadable() from None
    for title, path in found:
        yield title, sheet.rows(archive, path, counter, cells)
