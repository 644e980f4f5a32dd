"""How values read on a page: numbers as 3.934 and 25,77 %, dates as 3 Mei 1975, times with their
zone, a domain error in the user's language."""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from flask_babel import format_date, format_datetime, format_decimal, gettext

from portal.core import N_, measures


class Shown(NamedTuple):
    label: str
    explain: str


def measure(key: str) -> Shown:
    """A measure's label and one-line explanation in the current language (portal.core.measures)."""
    m = measures.BY_KEY[key]
    return Shown(gettext(m.label), gettext(m.explain))


def num(value: int | float) -> str:
    """3934 → '3.934' in Indonesian."""
    return format_decimal(value, format="#,##0")


def rupiah(amount: int) -> str:
    """793094400 → 'Rp 793.094.400' (no-break space, thousands as `num` writes them)."""
    return "Rp\u00a0" + num(amount)


def pct(share: float) -> str:
    """0.2577 → '25,77 %' in Indonesian; halves round up (0.03125 → '3,13 %'), as people expect.

    Babel rounds half to even, so the share goes through Decimal (from its shortest repr, so a
    float's binary tail cannot tip a half) and is rounded here; Babel then only formats."""
    hundredths = (Decimal(str(share)) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return format_decimal(hundredths, format="#,##0.00") + "\u00a0%"


def when(value: datetime | None) -> str:
    return format_datetime(value, "d MMM yyyy HH:mm zzz") if value else ""


def date_id(value) -> str:
    """A date as people write it: 3 Mei 1975."""
    return format_date(value, "d MMMM yyyy") if value else ""


def changes(detail: str) -> list[tuple[str, list]]:
    """The (field, [old, new]) pairs a correction event recorded."""
    if not detail:
        return []
    try:
        data = json.loads(detail)
    except ValueError:
        return []
    return [(gettext(FIELD_LABELS.get(k, k)), v) for k, v in data.items() if isinstance(v, list)]


FIELD_LABELS = {"full_name": N_("Nama"), "address": N_("Alamat"), "desa_code": N_("Desa"),
                "phone": N_("No. HP"), "kecamatan_code": N_("Kecamatan")}


def describe(error) -> str:
    """A domain error's message in the user's language, with its values filled in (times with
    their zone, dates as people write them)."""
    params = {}
    for key, value in error.params.items():
        if isinstance(value, datetime):
            value = when(value)
        elif isinstance(value, date):
            value = date_id(value)
        elif key in ("state", "action"):
            value = gettext(value)
        params[key] = value
    return gettext(error.message, **params)
