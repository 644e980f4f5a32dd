"""NIK (Nomor Induk Kependudukan): the parts a 16-digit NIK encodes, and what is wrong with one.

Rules from shared reference nik.md (Dukcapil): positions 1–6 region of first registration,
7–8 day of birth (+40 for women), 9–10 month, 11–12 two-digit year, 13–16 serial (not 0000).
Region codes: portal/data/wilayah-*.csv (Kemendagri codes, cahyadsn/wilayah; see NOTICE.md).
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from portal.core import N_, clock
from portal.core.errors import Problem

DATA = Path(__file__).resolve().parent.parent / "data"
HOME = "1609"  # Kabupaten OKU Selatan (Kemendagri code; BPS codes differ, see reference README)
AGE_MIN, AGE_MAX = 15, 80  # vulnerable workers are of working age; outside this a NIK digit is likely mistyped


class NIKError(ValueError):
    """A NIK that cannot be parsed; `message` is Indonesian, for people."""

    def __init__(self, message: str, **params):
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


@dataclass(frozen=True)
class NIK:
    value: str
    province: str  # 2 digits
    regency: str  # 4 digits, e.g. 1609
    kecamatan: str  # 6 digits, e.g. 160901
    birth_date: date
    sex: str  # "L" (laki-laki) or "P" (perempuan)
    serial: str


@dataclass(frozen=True)
class Verdict:
    """The outcome of `validate`: the normalised value, its parts when it could be decoded
    (even with warnings), and every problem found."""
    value: str
    nik: NIK | None
    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed): the NIK can be stored."""
        return not self.errors


@cache
def regions() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(provinces, regencies, kecamatan): code → name, read once from the Kemendagri tables."""
    provinces: dict[str, str] = {}
    regencies: dict[str, str] = {}
    kecamatan: dict[str, str] = {}
    with open(DATA / "wilayah-provinsi-kabupaten.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            (provinces if row["level"] == "provinsi" else regencies)[row["kode"]] = row["nama"]
    with open(DATA / "wilayah-kecamatan.csv", encoding="utf-8", newline="") as f:
        kecamatan = {row["kode"]: row["nama"] for row in csv.DictReader(f)}
    return provinces, regencies, kecamatan


def _decode(value: str, today: date) -> tuple[NIK | None, list[Problem]]:
    """The parts of a 16-digit string, or the format, date and serial problems that stop it."""
    if len(value) != 16 or not value.isascii() or not value.isdigit():
        return None, [Problem("nik_length", N_("NIK harus 16 angka (tertulis %(n)d karakter)."), {"n": len(value)})]
    problems = []
    day, month, yy = int(value[6:8]), int(value[8:10]), int(value[10:12])
    sex = "L"
    if day > 40:
        day, sex = day - 40, "P"
    born = None
    if not 1 <= day <= 31:
        problems.append(Problem("nik_date", N_("Tanggal lahir dalam NIK tidak ada di kalender: hari %(dd)s "
                                               "(laki-laki 01–31, perempuan 41–71)."), {"dd": value[6:8]}))
    elif not 1 <= month <= 12:
        problems.append(Problem("nik_date", N_("Tanggal lahir dalam NIK tidak ada di kalender: bulan %(mm)s."),
                                {"mm": value[8:10]}))
    else:
        # The century: the latest year not after today (working-age people are not born in the future).
        year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
        try:
            born = date(year, month, day)
            if born > today:
                born = date(year - 100, month, day)
        except ValueError:
            born = None
            problems.append(Problem("nik_date", N_("Tanggal lahir dalam NIK tidak ada di kalender (%(d)s)."),
                                    {"d": value[6:12]}))
    if value[12:] == "0000":
        problems.append(Problem("nik_serial", N_("Nomor urut NIK tidak boleh 0000.")))
    if problems or born is None:
        return None, problems
    return NIK(value, value[:2], value[:4], value[:6], born, sex, value[12:]), []


def parse(value: str, today: date | None = None) -> NIK:
    """Return the parts of `value`, or raise NIKError saying what is wrong with it (format,
    calendar date, serial; region codes are `validate`'s business)."""
    parts, problems = _decode((value or "").strip(), today or clock.today())
    if problems or parts is None:
        raise NIKError(problems[0].message, **problems[0].params)
    return parts


def compose(kecamatan: str, birth_date: date, sex: str, serial: int) -> str:
    """Build the NIK a person with these parts would hold (used by demo data and tests)."""
    day = birth_date.day + (40 if sex == "P" else 0)
    return f"{kecamatan}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"


SCIENTIFIC = re.compile(r"^[0-9]+([.,][0-9]+)?[eE][+]?[0-9]+$")
FLOAT_TEXT = re.compile(r"^[0-9]+[.,]0+$")  # "1609014507850000.0": a number written out as text


def _from_number_problem(shown: str) -> Problem:
    return Problem("nik_number", N_("NIK tersimpan sebagai angka di Excel (%(shown)s), sehingga angka "
                                    "terakhirnya bisa hilang. Ubah format kolom NIK menjadi Teks, lalu ketik "
                                    "ulang NIK ini."), {"shown": shown})


def _show(number: int | float) -> str:
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e20:
        return str(int(number))
    return str(number)


def validate(value, today: date | None = None, *, from_number: bool = False,
             birth_date: date | None = None, sex: str | None = None) -> Verdict:
    """Everything wrong with `value` as a NIK, with the parts when it can be decoded.

    `value` is the cell as read: a number (int/float) or `from_number` (the cell was numeric in
    the workbook) is refused, since Excel keeps only 15 digits. Unknown province or regency,
    a date not on the calendar and serial 0000 are errors; an unknown kecamatan (they are split
    and renumbered) and a NIK first issued outside OKU Selatan are warnings. `birth_date` and
    `sex` as written elsewhere in the row are compared with the NIK (a mismatch is a warning:
    a NIK is never reissued when a recorded date is corrected).
    """
    today = today or clock.today()
    if isinstance(value, bool) or value is None:
        value = ""
    if isinstance(value, (int, float)):
        return Verdict(_show(value), None, (_from_number_problem(_show(value)),))
    text = str(value)
    if not (len(text) == 16 and text.isdigit()):  # the common case needs no tidying
        text = re.sub(r"\s+", "", text).lstrip("'")
    if not text:
        return Verdict("", None, (Problem("nik_missing", N_("NIK kosong.")),))
    if from_number or SCIENTIFIC.match(text) or FLOAT_TEXT.match(text):
        return Verdict(text, None, (_from_number_problem(text),))
    if not (text.isascii() and text.isdigit()):
        odd = "".join(dict.fromkeys(c for c in text if not (c.isascii() and c.isdigit())))
        return Verdict(text, None, (Problem("nik_chars", N_("NIK hanya boleh berisi angka (tertulis “%(chars)s”)."),
                                            {"chars": odd[:10]}),))
    parts, problems = _decode(text, today)
    if len(text) != 16:
        return Verdict(text, None, tuple(problems))
    problems = _region_problems(text) + problems
    if parts is not None:
        problems += _agreement_problems(parts, birth_date, sex) + _age_problems(parts, today)
    has_error = any(p.level == "error" for p in problems)
    return Verdict(text, None if has_error else parts, tuple(problems))


def _region_problems(value: str) -> list[Problem]:
    provinces, regencies, kecamatan = regions()
    if value[:2] not in provinces:
        return [Problem("nik_province", N_("Kode provinsi %(code)s dalam NIK tidak dikenal."), {"code": value[:2]})]
    if value[:4] not in regencies:
        return [Problem("nik_regency", N_("Kode kabupaten/kota %(code)s dalam NIK tidak dikenal."),
                        {"code": value[:4]})]
    problems = []
    if value[:6] not in kecamatan:
        problems.append(Problem("nik_kecamatan", N_("Kode kecamatan %(code)s dalam NIK tidak ada di daftar "
                                                    "Kemendagri (mungkin kecamatan lama); periksa NIK."),
                                {"code": value[:6]}, "warning"))
    if value[:4] != HOME:
        problems.append(Problem("nik_outside", N_("NIK dari luar OKU Selatan (%(name)s); pastikan orangnya "
                                                  "berdomisili di OKU Selatan."),
                                {"name": regencies[value[:4]]}, "warning"))
    return problems


def age(born: date, on: date) -> int:
    """Whole years of age on `on`: a birthday not yet reached that year counts one year less
    (someone born on 29 February turns a year older on 1 March in other years)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _age_problems(parts: NIK, today: date) -> list[Problem]:
    """A warning when the NIK's birth date makes the worker younger than AGE_MIN or older than
    AGE_MAX today: possible (so not an error), but more often a mistyped date digit."""
    years = age(parts.birth_date, today)
    if AGE_MIN <= years <= AGE_MAX:
        return []
    code = "nik_age_young" if years < AGE_MIN else "nik_age_old"
    return [Problem(code, N_("Menurut NIK, umur pekerja %(age)d tahun pada hari impor; periksa NIK (pekerja rentan "
                             "umumnya %(min)d–%(max)d tahun)."), {"age": years, "min": AGE_MIN, "max": AGE_MAX},
                    "warning")]


def _agreement_problems(parts: NIK, birth_date: date | None, sex: str | None) -> list[Problem]:
    problems = []
    # Compare day, month and two-digit year: the century is our inference, not the NIK's.
    if birth_date is not None and (birth_date.day, birth_date.month, birth_date.year % 100) != \
            (parts.birth_date.day, parts.birth_date.month, parts.birth_date.year % 100):
        problems.append(Problem("nik_birth_mismatch", N_("Tanggal lahir di file (%(sheet)s) berbeda dengan "
                                                         "tanggal lahir dalam NIK (%(nik)s); yang dipakai NIK."),
                                {"sheet": birth_date.strftime("%d-%m-%Y"),
                                 "nik": parts.birth_date.strftime("%d-%m-%Y")}, "warning"))
    if sex in ("L", "P") and sex != parts.sex:
        problems.append(Problem("nik_sex_mismatch", N_("Jenis kelamin di file (%(sheet)s) berbeda dengan NIK "
                                                       "(%(nik)s); yang dipakai NIK."),
                                {"sheet": sex, "nik": parts.sex}, "warning"))
    return problems
