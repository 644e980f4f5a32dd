"""Hostile uploads, each a few KB to a few MB, each built to make a reader spend memory or time:
the shapes an attack run against the portal tried (issue 13). `SHAPES` maps a name to
(filename, builder, refusal code expected); every builder returns the file's bytes. The .xlsx
shapes are built around a real workbook (`base`), so everything else about them is valid."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import Callable

import openpyxl

MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def base() -> bytes:
    """A plain, valid list: a header and one row."""
    wb = openpyxl.Workbook()
    wb.active.append(["NIK", "Nama"])
    wb.active.append(["1609014507850001", "Siti"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _with(parts: dict[str, bytes], level: int = 9, content: bytes | None = None) -> bytes:
    """`content` (the base workbook) with `parts` replacing or added to its members."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content or base())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
        for item in source.infolist():
            if item.filename not in parts:
                target.writestr(item.filename, source.read(item))
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


def _sheet(rows: bytes) -> bytes:
    return b"<worksheet " + MAIN + b"><sheetData>" + rows + b"</sheetData></worksheet>"


def _strings(items: bytes, count: int) -> bytes:
    return b"<sst " + MAIN + b' count="%d" uniqueCount="%d">' % (count, count) + items + b"</sst>"


def _related(parts: dict[str, bytes]) -> bytes:
    """The base workbook with shared strings its relationships and content types point to."""
    content = base()
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        rels = z.read("xl/_rels/workbook.xml.rels").replace(
            b"</Relationships>", b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                                 b'relationships/sharedStrings" Target="sharedStrings.xml" Id="rIdS"/></Relationships>')
        types = z.read("[Content_Types].xml").replace(
            b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                         b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    return _with({"xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": types, **parts}, content=content)


def _zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip of (name, deflated data, CRC-32, size declared, size really) written by hand, so
    that a member can be a deflate stream built without inflating it, and lie about its size."""
    out, central = io.BytesIO(), []
    for name, data, crc, declared, _real in members:
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), declared,
                              len(encoded), 0) + encoded + data)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(data), declared,
                                   len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    out.write(b"".join(central))
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)


def _run(head: bytes, letter: bytes, megabytes: int, tail: bytes) -> tuple[bytes, int, int]:
    """`head`, `megabytes` MB of `letter`, `tail`, deflated in a fraction of a second: after a
    full flush every megabyte compresses to the same bytes, so one is compressed and repeated."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    mega = letter * 2**20
    first = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(mega) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(head)
    for _ in range(megabytes):
        crc = zlib.crc32(mega, crc)
    return (first + block * megabytes + packer.compress(tail) + packer.flush(), zlib.crc32(tail, crc),
            len(head) + megabytes * 2**20 + len(tail))


def _bombed(name: str, stream: tuple[bytes, int, int], declared: int | None = None,
            parts: dict[str, bytes] | None = None) -> bytes:
    """The base workbook (with `parts`) plus member `name` holding `stream`, its size declared as
    `declared` (default: the truth)."""
    with zipfile.ZipFile(io.BytesIO(_related(parts or {}) if name.endswith("sharedStrings.xml") else base())) as z:
        members = [(item.filename, *_deflated(z.read(item))) for item in z.infolist() if item.filename != name]
    data, crc, size = stream
    return _zip([(n, d, c, s, s) for n, d, c, s in members] + [(name, data, crc, declared or size, size)])


def shared_strings_bomb() -> bytes:
    """~400 KB zipped; its shared strings unpack to 400 MB (the directory says so honestly)."""
    return _bombed("xl/sharedStrings.xml", _run(b"<sst " + MAIN + b'><si><t>', b"A", 400, b"</t></si></sst>"))


def lying_directory() -> bytes:
    """A worksheet that inflates to 300 MB while the zip directory (and local header) say 2 KB."""
    return _bombed("xl/worksheets/sheet1.xml", _run(b"<worksheet " + MAIN + b'><sheetData><row r="1"><c r="A1" '
                                                    b't="inlineStr"><is><t>', b"A", 300,
                                                    b"</t></is></c></row></sheetData></worksheet>"), declared=2048)


def many_strings() -> bytes:
    """Under every declared size (36 MB unpacked): two million one-letter shared strings."""
    return _related({"xl/sharedStrings.xml": _strings(b"<si><t>a</t></si>" * 2_000_000, 2_000_000)})


def wide_rows() -> bytes:
    """58 rows of 16,000 cells (the 130 KB sheet of the attack)."""
    row = b"".join(b'<c t="s"><v>0</v></c>' for _ in range(16_000))
    rows = b"".join(b'<row r="%d">' % r + row + b"</row>" for r in range(1, 59))
    return _related({"xl/worksheets/sheet1.xml": _sheet(rows), "xl/sharedStrings.xml": _strings(b"<si><t>x</t></si>", 1)})


def one_huge_row() -> bytes:
    """A header row of 16,000 cells (NIK, Nama and empty ones): under the workbook's cell limit."""
    head = b'<c t="inlineStr"><is><t>NIK</t></is></c><c t="inlineStr"><is><t>Nama</t></is></c>'
    return _with({"xl/worksheets/sheet1.xml": _sheet(b'<row r="1">' + head + b"<c/>" * 16_000 + b"</row>")})


def many_cells() -> bytes:
    """15,000 rows × 50 columns: 750,000 cells, past the workbook's cell limit."""
    row = b"<c><v>1</v></c>" * 50
    return _with({"xl/worksheets/sheet1.xml": _sheet(b"".join(b"<row>" + row + b"</row>" for _ in range(15_000)))})


def slow_cells() -> bytes:
    """5,000 cells of 300 rich-text runs each: few cells, so little time allowed, and much to parse."""
    cell = b'<c t="inlineStr"><is>' + b"<r><t>x</t></r>" * 300 + b"</is></c>"
    return _with({"xl/worksheets/sheet1.xml": _sheet((b"<row>" + cell * 50 + b"</row>") * 100)})


def deep_xml() -> bytes:
    """A cell nested 200,000 elements deep."""
    return _with({"xl/worksheets/sheet1.xml": _sheet(b'<row r="1"><c r="A1">' + b"<x>" * 200_000 + b"</x>" * 200_000
                                                     + b"</c></row>")})


def oversized_xml() -> bytes:
    """One 12 MB text node in a cell (an XML parser's limit is 10 MB)."""
    return _with({"xl/worksheets/sheet1.xml": _sheet(b'<row r="1"><c r="A1" t="inlineStr"><is><t>'
                                                     + b"B" * (12 * 2**20) + b"</t></is></c></row>")})


def many_members() -> bytes:
    """A workbook with 5,000 extra parts."""
    return _with({f"xl/media/image{i}.png": b"" for i in range(5_000)}, level=1)


def csv_huge_line() -> bytes:
    """A header, then one line of 2.4 million empty cells (4.8 MB)."""
    return b"NIK,Nama\n" + b"," * (4_800_000) + b"\n"


def csv_huge_field() -> bytes:
    """A header, then one quoted cell of 4.8 MB."""
    return b'NIK,Nama\n"' + b"x" * 4_800_000 + b'",Siti\n'


SHAPES: dict[str, tuple[str, Callable[[], bytes], str]] = {
    "shared_strings_bomb": ("daftar.xlsx", shared_strings_bomb, "file_unzipped"),
    "lying_directory": ("daftar.xlsx", lying_directory, "file_corrupt"),
    "many_strings": ("daftar.xlsx", many_strings, "file_strings"),
    "wide_rows": ("daftar.xlsx", wide_rows, "file_cells"),
    "one_huge_row": ("daftar.xlsx", one_huge_row, "file_row_cells"),
    "many_cells": ("daftar.xlsx", many_cells, "file_cells"),
    "slow_cells": ("daftar.xlsx", slow_cells, "file_time"),
    "deep_xml": ("daftar.xlsx", deep_xml, "file_complex"),
    "oversized_xml": ("daftar.xlsx", oversized_xml, "file_complex"),
    "many_members": ("daftar.xlsx", many_members, "file_members"),
    "csv_huge_line": ("daftar.csv", csv_huge_line, "file_row_cells"),
    "csv_huge_field": ("daftar.csv", csv_huge_field, "file_corrupt"),
}
