"""The audit of data leaving the portal. Every export of personal data is one event (action
"export") whose detail names what was exported, with which filters, how many rows and which
workers, as a compact range string ("3-870,912"): a 100 000-row export stays one small sealed
event instead of 100 000 chain links, and the data subject report still finds it (`touching`)."""
from __future__ import annotations

import json
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.core import audit
from portal.core.models import Event, User


def id_ranges(ids: Iterable[int]) -> str:
    """[1, 2, 3, 7, 9, 10] → '1-3,7,9-10'."""
    parts, ordered = [], sorted(set(ids))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def in_ranges(ranges: str, worker_id: int) -> bool:
    """Whether `worker_id` is in a string made by `id_ranges`."""
    for part in filter(None, ranges.split(",")):
        low, _, high = part.partition("-")
        if int(low) <= worker_id <= int(high or low):
            return True
    return False


def record(session: Session, user: User, what: str, filters: dict, worker_ids: Iterable[int],
           rows: int) -> Event:
    """The audit event of one export, in the caller's transaction."""
    detail = json.dumps({"what": what, "filters": filters, "rows": rows, "workers": id_ranges(worker_ids)},
                        ensure_ascii=False, sort_keys=True)
    return audit.record(session, action="export", user_id=user.id, detail=detail)


def touching(session: Session, worker_id: int) -> list[Event]:
    """Every export that included this worker, oldest first (for the data subject report)."""
    found = []
    for event in session.scalars(select(Event).where(Event.action == "export").order_by(Event.seq)):
        try:
            ranges = json.loads(event.detail).get("workers", "")
        except (ValueError, AttributeError):
            continue
        if isinstance(ranges, str) and in_ranges(ranges, worker_id):
            found.append(event)
    return found


def summary(event: Event) -> str:
    """An export event in one line, without its id list: 'bpjs.xlsx, 120 baris, opd=DINSOS'."""
    try:
        data = json.loads(event.detail)
    except ValueError:
        return ""
    filters = ", ".join(f"{k}={v}" for k, v in sorted((data.get("filters") or {}).items()) if v not in ("", None))
    return ", ".join(filter(None, [data.get("what", ""), f"{data.get('rows', 0)} baris", filters]))
