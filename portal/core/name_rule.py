"""What a person's name may hold before it is stored, wherever it is written (an imported list, a
correction on the worker's page, an account's full name): one rule, so a name refused in one place
is not let in through another.

A name is stored composed (NFC: "e" + U+0301 becomes "é") with one space between words. It is
refused when it holds a character nobody sees but that changes what the name is: bidirectional
controls (after U+202E the rest of a name shows reversed), zero-width characters and the BOM
(two names that look the same but never match in a search or the duplicate check), any other
control or unassigned character, or more than two combining marks stacked on one letter; and when
it starts with what a spreadsheet runs as a formula (= + - @), as the export would otherwise have
to defuse it on every download.
"""
from __future__ import annotations

import unicodedata

from portal.core import N_
from portal.core.cells import FORMULA_START
from portal.core.errors import Problem

MAX_MARKS = 2  # combining marks on one base letter: Vietnamese needs 2 (ệ), nobody needs 3
BIDI = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
WHITESPACE_CONTROLS = frozenset("\t\n\r")  # become a space between words, like any other space


def code(char: str) -> str:
    """A character as Unicode writes it: U+200B."""
    return f"U+{ord(char):04X}"


def _hidden(char: str) -> Problem | None:
    """Why `char` may not be in a name: a bidirectional control, an invisible (format) character,
    or a control, surrogate, private-use or unassigned one; None for any other."""
    if ord(char) in BIDI:
        return Problem("name_bidi", N_("Nama memuat karakter pengatur arah teks (%(code)s): nama bisa tampil terbalik "
                                       "atau berbeda dari isinya. Ketik ulang nama tanpa karakter itu."),
                       {"code": code(char)})
    category = unicodedata.category(char)
    if category == "Cf":  # zero-width space, joiners, word joiner, BOM, soft hyphen, …
        return Problem("name_invisible", N_("Nama memuat karakter tak terlihat (%(code)s): nama tampak sama dengan "
                                            "nama lain tetapi tidak cocok saat dicari atau diperiksa gandanya. Ketik "
                                            "ulang nama tanpa karakter itu."), {"code": code(char)})
    if category in ("Cc", "Cs", "Co", "Cn") and char not in WHITESPACE_CONTROLS:
        return Problem("name_control", N_("Nama memuat karakter kendali atau tidak sah (%(code)s) yang tidak boleh ada "
                                          "dalam nama. Ketik ulang namanya."), {"code": code(char)})
    return None


def _stacked(name: str) -> Problem | None:
    """A letter carrying more than MAX_MARKS combining marks (Zalgo text, or a look-alike of
    another name), naming the first mark too many; counted decomposed, so a mark composed into
    its letter (NFC) still counts."""
    run = 0
    for char in unicodedata.normalize("NFD", name):
        run = run + 1 if unicodedata.category(char).startswith("M") else 0
        if run > MAX_MARKS:
            return Problem("name_marks", N_("Nama memuat lebih dari %(max)d tanda diakritik pada satu huruf (%(code)s): "
                                            "nama bisa menyerupai nama lain. Ketik ulang namanya."),
                           {"max": MAX_MARKS, "code": code(char)})
    return None


def clean(name: str | None) -> tuple[str, Problem | None]:
    """(the name as it is stored: NFC, one space between words, none at the ends; the first reason
    it may not be stored, or None). An empty name is ("", None): whether a name is required, and
    how long it may be, is the caller's rule."""
    raw = name or ""
    for char in raw:
        if not char.isascii() or char < " " or char == "\x7f":
            problem = _hidden(char)
            if problem is not None:
                return " ".join(raw.split()), problem
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    if not text.isascii() and (problem := _stacked(text)) is not None:
        return text, problem
    if text.startswith(FORMULA_START):
        # the message the import has always given; a spreadsheet would run the name as a formula
        return text, Problem("name_formula", N_("Nama tidak boleh diawali “%(c)s”."), {"c": text[0]})
    return text, None
