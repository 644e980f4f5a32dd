"""NIK (Nomor Induk Kependudukan) parsing: the parts a 16-digit NIK encodes.

Rules from shared reference nik.md (Dukcapil): positions 1–6 region of first registration,
7–8 day of birth (+40 for women), 9–10 month, 11–12 two-digit year, 13–16 serial (not 0000).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.domain import N_


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


def parse(value: str, today: date | None = None) -> NIK:
    """Return the parts of `value`, or raise NIKError saying what is wrong with it.

    The century is inferred: the latest year not after `today` (working-age people are not
    born in the future).
    """
    today = today or date.today()
    value = (value or "").strip()
    if len(value) != 16 or not value.isascii() or not value.isdigit():
        raise NIKError(N_("NIK harus 16 angka (tertulis %(n)d karakter)."), n=len(value))
    day, month, yy = int(value[6:8]), int(value[8:10]), int(value[10:12])
    sex = "L"
    if day > 40:
        day, sex = day - 40, "P"
    year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    try:
        born = date(year, month, day)
    except ValueError:
        raise NIKError(N_("Tanggal lahir dalam NIK tidak ada di kalender (%(d)s)."),
                       d=value[6:12]) from None
    if born > today:
        year -= 100
        born = born.replace(year=year)
    if value[12:] == "0000":
        raise NIKError(N_("Nomor urut NIK tidak boleh 0000."))
    return NIK(value, value[:2], value[:4], value[:6], born, sex, value[12:])


def compose(kecamatan: str, birth_date: date, sex: str, serial: int) -> str:
    """Build the NIK a person with these parts would hold (used by demo data and tests)."""
    day = birth_date.day + (40 if sex == "P" else 0)
    return f"{kecamatan}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"
