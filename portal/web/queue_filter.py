"""The queue's filter as its URL carries it, read alike by the queue page, its row actions, its
bulk approval and its exports: ?status=&q=&kec=&desa=&kat=&tanpa_hp=1&urut=&turun=1, the page
(?hal=) and the optional columns (?lahir=1&hp=1&alamat=1)."""
from __future__ import annotations

import re

from portal.core import queries

COLUMNS = ("lahir", "hp", "alamat")  # optional columns: birth date, phone, address
FLAGS = ("tanpa_hp", "turun") + COLUMNS


def read(values) -> dict:
    """The filter from request values; anything malformed is dropped, never an error."""
    status = values.get("status", "pending")
    kec, desa, kat = ((values.get(k, "") or "").strip() for k in ("kec", "desa", "kat"))
    sort = values.get("urut", "")
    return {"status": status if status in queries.STATUS_FILTERS else "pending",
            "q": (values.get("q", "") or "")[:50].strip(),
            "kec": kec if re.fullmatch(r"\d{6}", kec) else "",
            "desa": desa if re.fullmatch(r"\d{10}", desa) and (not kec or desa.startswith(kec)) else "",
            "kat": kat if re.fullmatch(r"\d{1,9}", kat) else "",
            "urut": sort if sort in queries.QUEUE_SORTS else "",
            **{flag: "1" if values.get(flag) == "1" else "" for flag in FLAGS},
            "hal": _page(values.get("hal"))}


def _page(value) -> int:
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 6 and int(text) > 0 else 1


def where(f: dict) -> dict:
    """The keyword filters of portal.core.queries.matching."""
    return {"kecamatan": f["kec"] or None, "desa": f["desa"] or None,
            "category_id": int(f["kat"]) if f["kat"] else None, "no_phone": f["tanpa_hp"] == "1"}


def order(f: dict) -> dict:
    """The sort keywords of portal.core.queries.queue_page / queue_ids."""
    return {"sort": f["urut"], "desc": f["turun"] == "1"}


DEFAULTS = {"status": "pending", "hal": 1}


def kept(f: dict, drop: tuple[str, ...] = ()) -> dict:
    """The filter as URL arguments: only what differs from the default, without `drop`."""
    return {k: v for k, v in f.items() if k not in drop and v != "" and DEFAULTS.get(k) != v}
