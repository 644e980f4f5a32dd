"""The worksheets of an .xlsx, read by streaming its XML (lxml's pull parser, row by row) under
the limits of `portal.core.sheets`, counted as the parts are inflated and parsed: bytes of each
part, cells in all, cells in a row, shared strings and their characters. The values are what
openpyxl's read-only mode gives (`values_only`): numbers, dates by the cell's number format,
booleans, strings, formulas' cached results; about ten times faster, and no part is ever held
whole. Called by `sheets` (which says why in Indonesian) in a bounded child (portal.core.bounded)."""
from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass
from typing import Iterator

from lxml import etree
from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
C, ROW, SHEET_DATA, V, IS, T, R, SI = (MAIN + tag for tag in ("c", "row", "sheetData", "v", "is", "t", "r", "si"))
MAX_COLUMN = 16_384  # XFD, Excel's last column


class Damaged(Exception):
    """The part is not what a workbook holds: `sheets` refuses the file as unreadable."""


class Over(Exception):
    """A limit was reached: `code` is the refusal's (file_unzipped, file_cells, file_row_cells,
    file_strings, file_text, file_complex)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Limits:
    chunk: int
    member: int  # bytes of one part
    unzipped: int  # bytes of all the parts read
    strings: int
    text: int  # characters of the shared strings
    cols: int  # columns kept
    row_cells: int
    cells: int


def _elements(archive: zipfile.ZipFile, name: str, tags: tuple[str, ...], counter: list[int],
              limits: Limits) -> Iterator[etree._Element]:
    """The elements `tags` of part `name` as each ends; what came before them is dropped as the
    caller moves on. Inflated bytes count against the part's declared size (the zip directory can
    lie: zipfile stops there and fails the checksum), `limits.member` and, in `counter`, `.unzipped`."""
    parser = etree.XMLPullParser(events=("end",), tag=tags, resolve_entities=False, no_network=True,
                                 load_dtd=False, huge_tree=False)
    declared = archive.getinfo(name).file_size
    inflated = 0
    with archive.open(name) as stream:
        while chunk := stream.read(limits.chunk):
            inflated += len(chunk)
            counter[0] += len(chunk)
            if inflated > min(declared, limits.member) or counter[0] > limits.unzipped:
                raise Over("file_unzipped")
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
    """Past the XML parser's own limits (depth 256, a text of 10 MB), or else damaged."""
    return Over("file_complex") if "depth" in str(error).lower() or "huge" in str(error).lower() else Damaged()


def _text(node: etree._Element) -> str:
    """A string item as openpyxl reads it: its <t>, then the <t> of each rich-text run (not the
    phonetic guides). Children are walked, not searched: find() parses its path each time."""
    plain: str | None = None
    runs: list[str] = []
    for child in node:
        if child.tag == T:
            plain = plain if plain is not None else child.text
        elif child.tag == R:
            runs.extend(t.text for t in child if t.tag == T and t.text)
    return (plain or "") + "".join(runs)


def _relations(archive: zipfile.ZipFile, counter: list[int], limits: Limits) -> dict[str, tuple[str, str]]:
    """The workbook's relationships: id → (type, part name)."""
    found = {}
    if "xl/_rels/workbook.xml.rels" in archive.NameToInfo:
        for rel in _elements(archive, "xl/_rels/workbook.xml.rels", (RELS + "Relationship",), counter, limits):
            target = rel.get("Target") or ""
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            found[rel.get("Id") or ""] = (rel.get("Type") or "", path)
    return found


def _strings(archive: zipfile.ZipFile, name: str, counter: list[int], limits: Limits) -> list[str]:
    strings: list[str] = []
    if name not in archive.NameToInfo:
        return strings
    characters = 0
    for item in _elements(archive, name, (SI,), counter, limits):
        text = _text(item).replace("x005F_", "")
        characters += len(text)
        strings.append(text)
        if len(strings) > limits.strings:
            raise Over("file_strings")
        if characters > limits.text:
            raise Over("file_text")
    return strings


def _formats(archive: zipfile.ZipFile, name: str, counter: list[int], limits: Limits) -> tuple[set[int], set[int]]:
    """The cell styles (index into cellXfs) whose number format is a date, and a duration."""
    dates: set[int] = set()
    durations: set[int] = set()
    if name not in archive.NameToInfo:
        return dates, durations
    custom: dict[int, str] = {}
    index = 0
    for element in _elements(archive, name, (MAIN + "numFmt", MAIN + "xf"), counter, limits):
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
        wanted = IS if kind == "inlineStr" else V
        found = next((child for child in cell if child.tag == wanted), None)
        if kind == "inlineStr":
            return None if found is None else _text(found)
        value = None if found is None else found.text or None
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

    def rows(self, archive: zipfile.ZipFile, name: str, counter: list[int], cells: list[int],
             limits: Limits) -> Iterator[tuple]:
        """The rows, numbered as their r says (rows left out come as ()), each up to its last
        value among the first `limits.cols` columns; openpyxl pads them to that (`sheets` does)."""
        width = limits.cols
        expected = 1
        for element in _elements(archive, name, (ROW, SHEET_DATA), counter, limits):
            if element.tag == SHEET_DATA:
                return  # the rest of the part (merged cells, print setup) is not read
            if len(element) > limits.row_cells:  # the pre-scan's count bounded the row's size
                raise Over("file_row_cells")
            cells[0] += len(element)
            if cells[0] > limits.cells:
                raise Over("file_cells")
            values: list = []
            column = 0
            for cell in element.iterchildren(C):
                reference = cell.get("r")
                column = _column(reference) if reference else column + 1
                if column <= width:
                    value = self.value(cell)
                    if value is not None:
                        values.extend([None] * (column - len(values)))
                        values[column - 1] = value
            number = element.get("r")
            index = int(float(number)) if number else expected
            while expected < index:
                expected += 1
                yield ()
            if expected <= index:
                expected += 1
                yield tuple(values)


def read(content: bytes, limits: Limits) -> Iterator[tuple[str, Iterator[tuple]]]:
    """(title, rows) of each worksheet, in the workbook's order; `Over` a limit, or `Damaged`."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        counter, cells = [0], [0]
        relations = _relations(archive, counter, limits)
        by_type = {kind.rsplit("/", 1)[-1]: path for kind, path in relations.values()}
        found, epoch = [], CALENDAR_WINDOWS_1900
        for element in _elements(archive, "xl/workbook.xml", (MAIN + "sheet", MAIN + "workbookPr"), counter, limits):
            if element.tag == MAIN + "workbookPr":
                epoch = CALENDAR_MAC_1904 if element.get("date1904") in ("1", "true") else epoch
                continue
            kind, path = relations.get(element.get(REL_ID) or "", ("", ""))
            if kind.endswith("/worksheet"):
                found.append((element.get("name") or "", path))
        # Parts not related but at their usual place are read too (openpyxl finds them by content type).
        strings = _strings(archive, by_type.get("sharedStrings", "xl/sharedStrings.xml"), counter, limits)
        sheet = _Sheet(strings, *_formats(archive, by_type.get("styles", "xl/styles.xml"), counter, limits), epoch)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, NotImplementedError, RuntimeError):
        raise Damaged() from None
    for title, path in found:
        yield title, sheet.rows(archive, path, counter, cells, limits)
