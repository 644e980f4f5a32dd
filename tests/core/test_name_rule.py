"""portal.core.name_rule without the web: every kind of character a name may not hold, the stored
form (NFC, tidy spaces), stacked combining marks and the formula prefix the import has always refused."""
import unicodedata

import pytest

from portal.core.name_rule import clean


@pytest.mark.parametrize("char, code", [
    ("\u202e", "name_bidi"), ("\u202a", "name_bidi"), ("\u202b", "name_bidi"), ("\u202c", "name_bidi"),
    ("\u202d", "name_bidi"), ("\u2066", "name_bidi"), ("\u2067", "name_bidi"), ("\u2068", "name_bidi"),
    ("\u2069", "name_bidi"), ("\u200e", "name_bidi"), ("\u200f", "name_bidi"), ("\u061c", "name_bidi"),
    ("\u200b", "name_invisible"), ("\u200c", "name_invisible"), ("\u200d", "name_invisible"),
    ("\u2060", "name_invisible"), ("\ufeff", "name_invisible"), ("\u00ad", "name_invisible"),
    ("\x00", "name_control"), ("\x07", "name_control"), ("\x1b", "name_control"), ("\x1f", "name_control"),
    ("\x7f", "name_control"), ("\x85", "name_control"), ("\x9b", "name_control"),
    ("\ue000", "name_control"), ("\U000e0001", "name_invisible"), ("\U0010ffff", "name_control"),
])
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_each_hidden_character_is_refused_naming_it(char, code, where):
    name = {"start": char + "Siti Aminah", "middle": "Siti" + char + "Aminah", "end": "Siti Aminah" + char}[where]
    _stored, problem = clean(name)
    assert problem is not None and problem.code == code and problem.level == "error"
    written = f"U+{ord(char):04X}"
    assert problem.params["code"] == written and written in problem.text()


def test_the_messages_say_which_character_and_why():
    assert clean("Siti\u200bAminah")[1].text().startswith("Nama memuat karakter tak terlihat (U+200B): nama tampak "
                                                           "sama dengan nama lain tetapi tidak cocok saat dicari")
    assert clean("Siti\u202eharsiN")[1].text().startswith("Nama memuat karakter pengatur arah teks (U+202E): nama "
                                                          "bisa tampil terbalik")
    assert clean("Siti\x07")[1].text().startswith("Nama memuat karakter kendali atau tidak sah (U+0007)")
    assert clean("Sit\u0069\u0301\u0302\u0303")[1].text().startswith("Nama memuat lebih dari 2 tanda diakritik pada "
                                                                    "satu huruf (U+0303)")


def test_the_first_offending_character_is_named():
    assert clean("A\u200dB\u202eC")[1].params == {"code": "U+200D"}


@pytest.mark.parametrize("typed, stored", [
    ("Siti Aminah", "Siti Aminah"),
    ("  Hj.  Siti\tAminah\n", "Hj. Siti Aminah"),  # tab and line breaks are spaces, not controls
    ("Siti\u00a0Aminah", "Siti Aminah"),  # a no-break space too
    ("Jose\u0301 Mari\u0301a", "Jos\u00e9 Mar\u00eda"),  # composed: one letter where two were typed
    ("Ma\u2019rifah", "Ma\u2019rifah"),
    ("Nguy\u1ec5n Th\u1ecb \u0110\u00f4ng", "Nguy\u1ec5n Th\u1ecb \u0110\u00f4ng"),  # two marks on a letter (ễ)
    ("Siti Aminah, S.Pd.", "Siti Aminah, S.Pd."),
    ("", ""), (None, ""), ("   ", ""),  # empty: whether a name is required is the caller's rule
])
def test_what_is_stored(typed, stored):
    assert clean(typed) == (stored, None)


def test_nfc_makes_two_spellings_of_one_name_one():
    decomposed, composed = clean("Rene\u0301")[0], clean("Ren\u00e9")[0]
    assert decomposed == composed and unicodedata.is_normalized("NFC", decomposed)


@pytest.mark.parametrize("name, allowed", [
    ("a\u0301\u0302", True),  # two marks
    ("\u1ec7", True),  # ệ, two marks once decomposed
    ("a\u0301\u0302\u0303", False),  # three on one letter
    ("\u00e1\u0302\u0303", False),  # as many, one of them composed into the letter
    ("a\u0301\u0302b\u0303\u0304", True),  # two on each of two letters
    ("Siti" + "\u0336" * 5, False),  # struck through
    ("Z\u0351\u0352\u0353\u0354algo", False),
])
def test_at_most_two_combining_marks_on_one_letter(name, allowed):
    problem = clean(name)[1]
    assert (problem is None) == allowed
    if not allowed:
        assert problem.code == "name_marks" and problem.params["max"] == 2


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
def test_a_formula_prefix_is_refused_as_the_import_refuses_it(prefix):
    problem = clean(f"{prefix}HYPERLINK(\"x\")")[1]
    assert problem.code == "name_formula" and problem.text() == f"Nama tidak boleh diawali “{prefix}”."
    assert clean(f"  {prefix}1+1")[1].code == "name_formula"  # spaces in front do not hide it
    assert clean(f"Siti {prefix} Aminah")[1] is None  # inside a name it is only a character
